// The filter gradient of a 2-D convolution (NHWC, dilation 1), in WebAssembly SIMD, reading the wasm
// backend's heap in place. Compiled by scripts/build-simd-kernels.sh into filter-grad-wasm.ts.
//
//   dW[kh][kw][ci][co] += sum over n, oh, ow of X[n][ih][iw][ci] * dY[n][oh][ow][co],
//   ih = oh * SH + kh - padT, iw = ow * SW + kw - padL (terms outside X are zero: the padding).
//
// The caller zeroes dW and splits the work between threads by ranges of taps (t = kh * KW + kw), of
// input channels [i0, i1) and of output channels [c0, c1); each thread writes only its own part of dW.
// Requires CO, c0, c1 multiples of 4, or CO of 1 to 3 (filter-grad-narrow.h's tiles, with c0 = 0, c1 =
// CO). S is the thread's own scratch: for CO of 1 to 3 the zeroed sums of KH * KW * CO * CI floats,
// otherwise room for the pixel table (pixel_table) of 2 * rowBlock * OW ints.
//
// Why not XNNPACK (tfjs-backend-wasm's convolution): it packs its filter operand before every call, and
// in a filter gradient that operand is dY (or X), so every call pays 6-11 ns per element of it; and its
// GEMM streams the whole reduction (all pixels of all images) for each output tile. Here nothing is
// packed: a row of X (CI floats) and a row of dY (CO floats) are contiguous in NHWC, so a 2 x 16 tile of
// dW (2 input channels, 16 output channels) is the sum over pixels of 2 broadcast X values times 4 vectors of dY. The pixels are taken a few
// rows at a time (`rowBlock`), and every tile of dW is updated from those rows while they are in cache,
// in one loop over the tap's pixel table where rows are short.
// exports: filter_grad
#include <wasm_simd128.h>
#include "filter-grad-narrow.h"

// One pixel of a tile: R broadcast values of X at xp times NV vectors of dY at dp, into the sums.
#define PIXEL(R, NV)                                                                      \
  do {                                                                                    \
    v128_t x0 = wasm_v128_load32_splat(xp);                                               \
    v128_t x1 = R > 1 ? wasm_v128_load32_splat(xp + 1) : x0;                              \
    v128_t d = wasm_v128_load(dp);                                                        \
    a00 = wasm_f32x4_add(a00, wasm_f32x4_mul(x0, d));                                     \
    if (R > 1) a10 = wasm_f32x4_add(a10, wasm_f32x4_mul(x1, d));                          \
    if (NV > 1) {                                                                         \
      d = wasm_v128_load(dp + 4);                                                         \
      a01 = wasm_f32x4_add(a01, wasm_f32x4_mul(x0, d));                                   \
      if (R > 1) a11 = wasm_f32x4_add(a11, wasm_f32x4_mul(x1, d));                        \
      d = wasm_v128_load(dp + 8);                                                         \
      a02 = wasm_f32x4_add(a02, wasm_f32x4_mul(x0, d));                                   \
      if (R > 1) a12 = wasm_f32x4_add(a12, wasm_f32x4_mul(x1, d));                        \
      d = wasm_v128_load(dp + 12);                                                        \
      a03 = wasm_f32x4_add(a03, wasm_f32x4_mul(x0, d));                                   \
      if (R > 1) a13 = wasm_f32x4_add(a13, wasm_f32x4_mul(x1, d));                        \
    }                                                                                     \
  } while (0)

// One tile of dW: R (1 or 2) input channels x NV (1 or 4) vectors of 4 output channels.
#define TILE(R, NV)                                                                       \
  do {                                                                                    \
    float* o0 = dWt + (long)i * CO + c;                                                   \
    float* o1 = R > 1 ? o0 + CO : o0;                                                     \
    v128_t a00 = wasm_v128_load(o0), a10 = wasm_v128_load(o1);                            \
    v128_t a01 = NV > 1 ? wasm_v128_load(o0 + 4) : a00, a11 = NV > 1 ? wasm_v128_load(o1 + 4) : a10; \
    v128_t a02 = NV > 1 ? wasm_v128_load(o0 + 8) : a00, a12 = NV > 1 ? wasm_v128_load(o1 + 8) : a10; \
    v128_t a03 = NV > 1 ? wasm_v128_load(o0 + 12) : a00, a13 = NV > 1 ? wasm_v128_load(o1 + 12) : a10; \
    if (T) {                                                                              \
      const float* xi = X + i;                                                            \
      const float* dc = dY + c;                                                           \
      for (int p = 0; p < pixels; p++) {                                                  \
        const float* xp = xi + T[2 * p];                                                  \
        const float* dp = dc + T[2 * p + 1];                                              \
        PIXEL(R, NV);                                                                     \
      }                                                                                   \
    } else {                                                                              \
      for (int r = r0, n = n0, oh = oh0; r < r1; r++, oh = oh + 1 == OH ? 0 : oh + 1, n += oh == 0) { \
        int ih = oh * SH + kh - padT;                                                     \
        if (ih < 0 || ih >= H) continue;                                                  \
        const float* xp = X + (((long)n * H + ih) * W + owLo * SW + kw - padL) * CI + i;  \
        const float* dp = dY + ((long)r * OW + owLo) * CO + c;                            \
        for (int ow = owLo; ow < owHi; ow++, xp += xs, dp += CO) PIXEL(R, NV);            \
      }                                                                                   \
    }                                                                                     \
    wasm_v128_store(o0, a00);                                                             \
    if (R > 1) wasm_v128_store(o1, a10);                                                  \
    if (NV > 1) {                                                                         \
      wasm_v128_store(o0 + 4, a01); wasm_v128_store(o0 + 8, a02); wasm_v128_store(o0 + 12, a03); \
      if (R > 1) { wasm_v128_store(o1 + 4, a11); wasm_v128_store(o1 + 8, a12); wasm_v128_store(o1 + 12, a13); } \
    }                                                                                     \
  } while (0)

// The pixels of rows [r0, r1) of dY that tap (kh, kw) meets inside X, into T: for each, where its row of X
// (T[2p]) and of dY (T[2p + 1]) start, in floats. Every tile of the tap then runs one loop over them.
// With a loop per row of dY instead, rows of 4 to 16 pixels (the DCGAN's stride-2 layers) spent 12-20 % on
// starting rows: the table ran 14-24 % faster on them (one thread, alone). On rows of 32 it was 1-2 %
// slower, and on two threads 7-24 % slower for 3 input channels (few tiles share a table): rows of
// TABLE_ROWS_BELOW pixels or more, and fewer than TABLE_MIN_CI input channels, keep the loop per row.
#define TABLE_ROWS_BELOW 32
#define TABLE_MIN_CI 8
static int pixel_table(int* T, int H, int W, int CI, int OH, int OW, int CO, int SH, int SW, int padT, int padL,
                       int kh, int kw, int r0, int r1, int n0, int oh0, int owLo, int owHi) {
  int p = 0;
  for (int r = r0, n = n0, oh = oh0; r < r1; r++, oh = oh + 1 == OH ? 0 : oh + 1, n += oh == 0) {
    int ih = oh * SH + kh - padT;
    if (ih < 0 || ih >= H) continue;
    for (int ow = owLo; ow < owHi; ow++, p++) {
      T[2 * p] = ((n * H + ih) * W + ow * SW + kw - padL) * CI;
      T[2 * p + 1] = (r * OW + ow) * CO;
    }
  }
  return p;
}

void filter_grad(const float* X, const float* dY, float* S, float* dW, int N, int H, int W, int CI, int OH,
                 int OW, int CO, int KH, int KW, int SH, int SW, int padT, int padL, int rowBlock, int t0, int t1,
                 int i0, int i1, int c0, int c1) {
  long xs = (long)SW * CI;
  for (int r0 = 0; r0 < N * OH; r0 += rowBlock) {
    int r1 = r0 + rowBlock < N * OH ? r0 + rowBlock : N * OH;
    // the image and row of r0, stepped along with r in TILE: a division per row of 8-16 pixels cost 5-20 %
    int n0 = r0 / OH, oh0 = r0 % OH;
    for (int t = t0; t < t1; t++) {
      int kh = t / KW, kw = t % KW;
      int owLo = 0, owHi = OW;
      while (owLo < OW && owLo * SW + kw - padL < 0) owLo++;
      while (owHi > owLo && (owHi - 1) * SW + kw - padL >= W) owHi--;
      if (owHi <= owLo) continue;
      if (CO < 4) {
        float* St = S + (long)t * CO * CI;
        if (CO == 1) NARROW_TAP(1);
        else if (CO == 2) NARROW_TAP(2);
        else if (CO == 3) NARROW_TAP(3);
        continue;
      }
      int* T = OW < TABLE_ROWS_BELOW && CI >= TABLE_MIN_CI ? (int*)S : 0; // else a loop per row of dY
      int pixels = T ? pixel_table(T, H, W, CI, OH, OW, CO, SH, SW, padT, padL, kh, kw, r0, r1, n0, oh0, owLo, owHi) : 0;
      float* dWt = dW + (long)t * CI * CO;
      int i = i0;
      for (; i + 2 <= i1; i += 2) {
        int c = c0;
        for (; c + 16 <= c1; c += 16) TILE(2, 4);
        for (; c + 4 <= c1; c += 4) TILE(2, 1);
      }
      for (; i < i1; i++) {
        int c = c0;
        for (; c + 16 <= c1; c += 16) TILE(1, 4);
        for (; c + 4 <= c1; c += 4) TILE(1, 1);
      }
    }
  }
  if (CO < 4) // the narrow tiles' sums, S[t][co][ci], into this part of dW[t][ci][co]
    for (int t = t0; t < t1; t++)
      for (int i = i0; i < i1; i++)
        for (int k = 0; k < CO; k++) dW[((long)t * CI + i) * CO + k] = S[((long)t * CO + k) * CI + i];
}

