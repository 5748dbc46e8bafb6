// A 2-D convolution (NHWC input, HWIO filter, dilation 1), in WebAssembly SIMD, reading and writing the
// wasm backend's heap in place. Compiled by scripts/build-simd-kernels.sh into conv2d-wasm.ts.
//
//   Y[n][oh][ow][co] = sum over kh, kw, ci of X[n][ih][iw][ci] * F[kh][kw][ci][co],
//   ih = oh * SH + kh - padT, iw = ow * SW + kw - padL (terms outside X are zero: the padding).
//
// The filter is first packed (pack_filter) into blocks of 16 output channels (the last ones of 4), each
// block's taps x CI rows contiguous, starting on a cache line: a 64-byte row of the filter as tfjs lays it
// out is 16-byte aligned at best, and a convolution reading rows that straddle cache lines ran at 24-31
// GMAC/s against 33-38 for aligned ones (the DCGAN's k4 s2 layers, 2 threads).
// The caller splits the work between threads by ranges of output rows [r0, r1) (r = n * OH + oh) and of
// output channels [c0, c1); each thread writes only its own part of Y. c0 and c1 lie on block boundaries
// (multiples of 16 unless in the 4-wide blocks after the last multiple of 16, or CO). A CO that is not a
// multiple of 4 (an RGB layer's 3) has a last block of 4 whose missing columns the packing fills with
// zeros and whose missing lanes are never stored.
// Output (n, oh, ow, co) is stored at Y[n * yImage + oh * yRow + ow * yPixel + co]: a plain NHWC output has
// yImage = OH * OW * CO, yRow = OW * CO, yPixel = CO; one phase of a transposed convolution writes every
// stride-th pixel of its output in place with larger strides.
// `zero` points at CI zeros: a tap that falls in the padding left or right reads that row instead of X
// (a tap in a row of padding is skipped).
// `bias` (0: none) points at CO floats that start each output's sum, as XNNPACK's do; `relu` non-zero
// clamps the outputs at 0 (tfjs's FusedConv2D with a bias and a relu activation).
//
// Why not XNNPACK (tfjs-backend-wasm's convolution): it packs its filter before every call with a new
// filter (6-11 ns an element), and in training every filter is new after each update. Here nothing is
// packed: a row of X (CI floats) and a row of F (CO floats) are contiguous, so a tile of 2 output pixels
// x 16 channels is the sum over taps and input channels of 2 broadcast X values times 4 vectors of F.
// exports: conv2d pack_filter pack_filter_flipped
#include <wasm_simd128.h>

#define ACC(a, x, d) a = wasm_f32x4_add(a, wasm_f32x4_mul(x, d))

// The sums over `count` rows of a block of the packed filter from `rows` (16 or 4 wide, as `wide` says) of
// the broadcast values x0[i] (first pixel) and x1[i] (second) times the row: into conv2d's accumulators.
#define ROWS(x0, x1, rows, count)                                                        \
  do {                                                                                   \
    const float* f = rows;                                                               \
    if (wide) {                                                                          \
      for (int i = 0; i < count; i++, f += 16) {                                         \
        v128_t v0 = wasm_v128_load32_splat(x0 + i), v1 = wasm_v128_load32_splat(x1 + i);   \
        v128_t d = wasm_v128_load(f);                                                    \
        ACC(a00, v0, d); ACC(a10, v1, d);                                                \
        d = wasm_v128_load(f + 4);                                                       \
        ACC(a01, v0, d); ACC(a11, v1, d);                                                \
        d = wasm_v128_load(f + 8);                                                       \
        ACC(a02, v0, d); ACC(a12, v1, d);                                                \
        d = wasm_v128_load(f + 12);                                                      \
        ACC(a03, v0, d); ACC(a13, v1, d);                                                \
      }                                                                                  \
    } else {                                                                             \
      for (int i = 0; i < count; i++, f += 4) {                                          \
        v128_t v0 = wasm_v128_load32_splat(x0 + i), v1 = wasm_v128_load32_splat(x1 + i);   \
        v128_t d = wasm_v128_load(f);                                                    \
        ACC(a00, v0, d); ACC(a10, v1, d);                                                \
      }                                                                                  \
    }                                                                                    \
  } while (0)

// The first `lanes` (1-3) floats at p, the rest zeros (a read of 4 could run past the tensor's end).
static v128_t load_lanes(const float* p, int lanes) {
  v128_t v = wasm_f32x4_splat(0);
  v = wasm_v128_load32_lane(p, v, 0);
  if (lanes > 1) v = wasm_v128_load32_lane(p + 1, v, 1);
  if (lanes > 2) v = wasm_v128_load32_lane(p + 2, v, 2);
  return v;
}

// Stores the first `lanes` (1-4) floats of v at p.
static void store_lanes(float* p, v128_t v, int lanes) {
  if (lanes == 4) { wasm_v128_store(p, v); return; }
  wasm_v128_store32_lane(p, v, 0);
  if (lanes > 1) wasm_v128_store32_lane(p + 1, v, 1);
  if (lanes > 2) wasm_v128_store32_lane(p + 2, v, 2);
}

// P[c * K + k * width + j] = F[k * CO + c + j] for each block [c, c + width) of the output channels
// (width 16, then 4 for the rest; columns past CO are zeros), k over the K = KH * KW * CI rows of the filter.
void pack_filter(const float* F, float* P, int K, int CO) {
  for (int c = 0; c < CO;) {
    int width = c + 16 <= CO ? 16 : 4, lanes = CO - c < 4 ? CO - c : 4;
    float* p = P + (long)c * K;
    for (int k = 0; k < K; k++, p += width) {
      const float* f = F + (long)k * CO + c;
      if (lanes < 4) wasm_v128_store(p, load_lanes(f, lanes));
      else for (int j = 0; j < width; j += 4) wasm_v128_store(p + j, wasm_v128_load(f + j));
    }
    c += width;
  }
}

// The same packing of the filter that one phase of a transposed convolution (a convolution's input
// gradient) convolves dY with: the taps kh = fh + sh * t (t < nh) and kw = fw + sw * u (u < nw) of F
// [KH][KW][CI][CO], in reversed order on both axes, with input and output channels swapped. Its rows are
// k = (a * nw + b) * CO + oc and its columns the CI channels of dX:
//   P[c * K + k * width + j] = F[(((fh + sh * (nh - 1 - a)) * KW + fw + sw * (nw - 1 - b)) * CI + c + j) * CO + oc].
// A tap's [CI][CO] slice is transposed 4 x 4 at a time in registers where 4 rows and 4 columns are
// there (element by element, a strided gather, this packing took ~7 ms of a DCGAN step).
void pack_filter_flipped(const float* F, float* P, int KW, int CI, int CO, int fh, int nh, int sh, int fw, int nw,
                         int sw) {
  long K = (long)nh * nw * CO;
  for (int c = 0; c < CI;) {
    int width = c + 16 <= CI ? 16 : 4, lanes = CI - c < width ? CI - c : width;
    float* p = P + (long)c * K;
    for (int a = 0; a < nh; a++) {
      for (int b = 0; b < nw; b++) {
        const float* tap = F + ((long)(fh + sh * (nh - 1 - a)) * KW + fw + sw * (nw - 1 - b)) * CI * CO;
        int oc = 0;
        for (; oc + 4 <= CO; oc += 4, p += 4 * width) {
          int j = 0;
          for (; j + 4 <= lanes; j += 4) {
            const float* t = tap + (long)(c + j) * CO + oc;
            v128_t r0 = wasm_v128_load(t), r1 = wasm_v128_load(t + CO);
            v128_t r2 = wasm_v128_load(t + 2 * CO), r3 = wasm_v128_load(t + 3 * CO);
            v128_t t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7);
            v128_t t2 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5), t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
            wasm_v128_store(p + j, wasm_i32x4_shuffle(t0, t2, 0, 1, 4, 5));
            wasm_v128_store(p + width + j, wasm_i32x4_shuffle(t0, t2, 2, 3, 6, 7));
            wasm_v128_store(p + 2 * width + j, wasm_i32x4_shuffle(t1, t3, 0, 1, 4, 5));
            wasm_v128_store(p + 3 * width + j, wasm_i32x4_shuffle(t1, t3, 2, 3, 6, 7));
          }
          for (int u = 0; u < 4; u++) {
            float* row = p + u * width;
            for (int jj = j; jj < lanes; jj++) row[jj] = tap[(long)(c + jj) * CO + oc + u];
            for (int jj = lanes; jj < width; jj++) row[jj] = 0;
          }
        }
        for (; oc < CO; oc++, p += width) {
          int j = 0;
          for (; j < lanes; j++) p[j] = tap[(long)(c + j) * CO + oc];
          for (; j < width; j++) p[j] = 0;
        }
      }
    }
    c += width;
  }
}

void conv2d(const float* X, const float* P, float* Y, const float* zero, int N, int H, int W, int CI,
            int OH, int OW, int CO, int KH, int KW, int SH, int SW, int padT, int padL, int r0, int r1,
            int c0, int c1, const float* bias, int relu, int yImage, int yRow, int yPixel) {
  v128_t zeros = wasm_f32x4_splat(0);
  long K = (long)KH * KW * CI;
  // channel blocks outermost: a block's filter slice (taps x CI x 16 floats) stays in cache over the rows
  for (int c = c0; c < c1;) {
    int wide = c + 16 <= CO;
    int width = wide ? 16 : 4, lanes = CO - c < 4 ? CO - c : 4;
    const float* block = P + c * K;
    for (int r = r0; r < r1; r++) {
      int n = r / OH, oh = r % OH;
      float* y = Y + (long)n * yImage + (long)oh * yRow;
      for (int ow = 0; ow < OW; ow += 2) {
        int two = ow + 1 < OW;
        v128_t a00 = zeros, a01 = zeros, a02 = zeros, a03 = zeros;
        if (bias) {
          a00 = lanes < 4 ? load_lanes(bias + c, lanes) : wasm_v128_load(bias + c);
          if (wide) { a01 = wasm_v128_load(bias + c + 4); a02 = wasm_v128_load(bias + c + 8); a03 = wasm_v128_load(bias + c + 12); }
        }
        v128_t a10 = a00, a11 = a01, a12 = a02, a13 = a03;
        // both pixels' windows inside X left and right: each window's row of KW taps is KW * CI contiguous
        // values, as the block's rows of filter for those taps are, so a row of taps is one run over them
        // (an RGB layer's 3 channels made runs of 3 a tap: 1.15-1.2x faster so, one thread, alone)
        int inside = ow * SW - padL >= 0 && (ow + two) * SW - padL + KW <= W;
        for (int kh = 0; kh < KH; kh++) {
          int ih = oh * SH + kh - padT;
          // a row of padding adds nothing: skipped (1/16 to 1/8 of the taps of the DCGAN's layers and of
          // their transposed convolutions' phases: 6-14 % faster alone, one thread)
          if (ih < 0 || ih >= H) continue;
          const float* xRow = X + ((long)n * H + ih) * W * CI;
          if (inside) {
            const float* x0 = xRow + (long)(ow * SW - padL) * CI;
            const float* x1 = two ? x0 + (long)SW * CI : x0;
            ROWS(x0, x1, block + (long)kh * KW * CI * width, KW * CI);
            continue;
          }
          for (int kw = 0; kw < KW; kw++) {
            int iw0 = ow * SW + kw - padL, iw1 = iw0 + SW;
            const float* x0 = iw0 >= 0 && iw0 < W ? xRow + (long)iw0 * CI : zero;
            const float* x1 = two && iw1 >= 0 && iw1 < W ? xRow + (long)iw1 * CI : zero;
            ROWS(x0, x1, block + (long)(kh * KW + kw) * CI * width, CI);
          }
        }
        if (relu) {
          a00 = wasm_f32x4_max(a00, zeros); a01 = wasm_f32x4_max(a01, zeros);
          a02 = wasm_f32x4_max(a02, zeros); a03 = wasm_f32x4_max(a03, zeros);
          a10 = wasm_f32x4_max(a10, zeros); a11 = wasm_f32x4_max(a11, zeros);
          a12 = wasm_f32x4_max(a12, zeros); a13 = wasm_f32x4_max(a13, zeros);
        }
        float* y0 = y + (long)ow * yPixel + c;
        store_lanes(y0, a00, lanes);
        if (wide) { wasm_v128_store(y0 + 4, a01); wasm_v128_store(y0 + 8, a02); wasm_v128_store(y0 + 12, a03); }
        if (two) {
          float* y1 = y0 + yPixel;
          store_lanes(y1, a10, lanes);
          if (wide) { wasm_v128_store(y1 + 4, a11); wasm_v128_store(y1 + 8, a12); wasm_v128_store(y1 + 12, a13); }
        }
      }
    }
    c += width;
  }
}

