// The filter gradient of a 2-D convolution (NHWC, dilation 1), in WebAssembly SIMD, reading the wasm
// backend's heap in place. Compiled by scripts/build-simd-kernels.sh into filter-grad-wasm.ts.
//
//   dW[kh][kw][ci][co] += sum over n, oh, ow of X[n][ih][iw][ci] * dY[n][oh][ow][co],
//   ih = oh * SH + kh - padT, iw = ow * SW + kw - padL (terms outside X are zero: the padding).
//
// The caller zeroes dW and splits the work between threads by ranges of taps (t = kh * KW + kw), of
// input channels [i0, i1) and of output channels [c0, c1); each thread writes only its own part of dW.
// Requires CO, c0, c1 multiples of 4, or CO of 1 to 3 (filter-grad-narrow.h's tiles, with c0 = 0, c1 =
// CO, and the zeroed scratch S of KH * KW * CO * CI floats; S is unused otherwise).
//
// Why not XNNPACK (tfjs-backend-wasm's convolution): it packs its filter operand before every call, and
// in a filter gradient that operand is dY (or X), so every call pays 6-11 ns per element of it; and its
// GEMM streams the whole reduction (all pixels of all images) for each output tile. Here nothing is
// packed: a row of X (CI floats) and a row of dY (CO floats) are contiguous in NHWC, so a 2 x 16 tile of
// dW (2 input channels, 16 output channels) is the sum over pixels of 2 broadcast X values times 4 vectors of dY. The pixels are taken a few
// rows at a time (`rowBlock`), and every tile of dW is updated from those rows while they are in cache.
// exports: filter_grad
#include <wasm_simd128.h>
#include "filter-grad-narrow.h"

// One tile of dW: R (1 or 2) input channels x NV (1 or 4) vectors of 4 output channels.
#define TILE(R, NV)                                                                       \
  do {                                                                                    \
    float* o0 = dWt + (long)i * CO + c;                                                   \
    float* o1 = R > 1 ? o0 + CO : o0;                                                     \
    v128_t a00 = wasm_v128_load(o0), a10 = wasm_v128_load(o1);                            \
    v128_t a01 = NV > 1 ? wasm_v128_load(o0 + 4) : a00, a11 = NV > 1 ? wasm_v128_load(o1 + 4) : a10; \
    v128_t a02 = NV > 1 ? wasm_v128_load(o0 + 8) : a00, a12 = NV > 1 ? wasm_v128_load(o1 + 8) : a10; \
    v128_t a03 = NV > 1 ? wasm_v128_load(o0 + 12) : a00, a13 = NV > 1 ? wasm_v128_load(o1 + 12) : a10; \
    for (int r = r0, n = n0, oh = oh0; r < r1; r++, oh = oh + 1 == OH ? 0 : oh + 1, n += oh == 0) { \
      int ih = oh * SH + kh - padT;                                                       \
      if (ih < 0 || ih >= H) continue;                                                    \
      const float* xp = X + (((long)n * H + ih) * W + owLo * SW + kw - padL) * CI + i;    \
      const float* dp = dY + ((long)r * OW + owLo) * CO + c;                              \
      for (int ow = owLo; ow < owHi; ow++, xp += xs, dp += CO) {                          \
        v128_t x0 = wasm_v128_load32_splat(xp);                                           \
        v128_t x1 = R > 1 ? wasm_v128_load32_splat(xp + 1) : x0;                          \
        v128_t d = wasm_v128_load(dp);                                                    \
        a00 = wasm_f32x4_add(a00, wasm_f32x4_mul(x0, d));                                 \
        if (R > 1) a10 = wasm_f32x4_add(a10, wasm_f32x4_mul(x1, d));                      \
        if (NV > 1) {                                                                     \
          d = wasm_v128_load(dp + 4);                                                     \
          a01 = wasm_f32x4_add(a01, wasm_f32x4_mul(x0, d));                               \
          if (R > 1) a11 = wasm_f32x4_add(a11, wasm_f32x4_mul(x1, d));                    \
          d = wasm_v128_load(dp + 8);                                                     \
          a02 = wasm_f32x4_add(a02, wasm_f32x4_mul(x0, d));                               \
          if (R > 1) a12 = wasm_f32x4_add(a12, wasm_f32x4_mul(x1, d));                    \
          d = wasm_v128_load(dp + 12);                                                    \
          a03 = wasm_f32x4_add(a03, wasm_f32x4_mul(x0, d));                               \
          if (R > 1) a13 = wasm_f32x4_add(a13, wasm_f32x4_mul(x1, d));                    \
        }                                                                                 \
      }                                                                                   \
    }                                                                                     \
    wasm_v128_store(o0, a00);                                                             \
    if (R > 1) wasm_v128_store(o1, a10);                                                  \
    if (NV > 1) {                                                                         \
      wasm_v128_store(o0 + 4, a01); wasm_v128_store(o0 + 8, a02); wasm_v128_store(o0 + 12, a03); \
      if (R > 1) { wasm_v128_store(o1 + 4, a11); wasm_v128_store(o1 + 8, a12); wasm_v128_store(o1 + 12, a13); } \
    }                                                                                     \
  } while (0)

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

