// A 2-D convolution to 1 to 3 output channels (an RGB layer's), NHWC input, dilation 1, in WebAssembly
// SIMD on the wasm backend's heap: the narrow counterpart of conv2d.c, with the same arguments but for the
// channel range. Compiled by scripts/build-simd-kernels.sh into simd-kernels-wasm.ts.
//
// conv2d.c's tiles are 16 (or 4) output channels wide: with 3 channels a 4-wide tile wastes a lane and
// loads as many vectors as it multiplies (14 GMAC/s on [64, 32, 32, 64] k3 -> 3, against 18-19 here).
// exports: conv2d_narrow pack_filter_narrow
#include <wasm_simd128.h>

// conv2d_narrow: the roles turn. A tile is 2 output pixels (then 1) x CO_ channels, each an accumulator of
// 4 input channels at a time, summed across its lanes at the end; the filter is packed by
// pack_filter_narrow as Q[co][tap][ci]. All CO channels are computed. Tiles of 4 pixels held 12
// accumulators, 4 input vectors and a filter vector, more than the 15 vector registers V8 allocates on
// x64: 2 pixels ran 1.15-1.2x faster (one thread, alone, 15 calls alternating).
static float lanes_sum(v128_t v) {
  return (wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1)) +
         (wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3));
}

#define NARROW_PIXELS(CO_, P)                                                                        \
  do {                                                                                             \
    v128_t acc[P][CO_];                                                                            \
    float tail[P][CO_];                                                                            \
    for (int p = 0; p < P; p++)                                                                    \
      for (int k = 0; k < CO_; k++) { acc[p][k] = wasm_f32x4_splat(0); tail[p][k] = bias ? bias[k] : 0.0f; } \
    for (int kh = 0; kh < KH; kh++) {                                                              \
      int ih = oh * SH + kh - padT;                                                                \
      if (ih < 0 || ih >= H) continue; /* a row of padding adds nothing */                         \
      const float* xRow = X + ((long)n * H + ih) * W * CI;                                         \
      for (int kw = 0; kw < KW; kw++) {                                                            \
        const float* xs[P];                                                                        \
        for (int p = 0; p < P; p++) {                                                              \
          int iw = (ow + p) * SW + kw - padL;                                                      \
          xs[p] = iw >= 0 && iw < W ? xRow + (long)iw * CI : zero;                                 \
        }                                                                                          \
        const float* q = Q + (long)(kh * KW + kw) * CI;                                            \
        int i = 0;                                                                                 \
        for (; i + 4 <= CI; i += 4) {                                                              \
          v128_t xv[P];                                                                            \
          for (int p = 0; p < P; p++) xv[p] = wasm_v128_load(xs[p] + i);                           \
          for (int k = 0; k < CO_; k++) {                                                          \
            v128_t f = wasm_v128_load(q + (long)k * T * CI + i);                                   \
            for (int p = 0; p < P; p++) acc[p][k] = wasm_f32x4_add(acc[p][k], wasm_f32x4_mul(xv[p], f)); \
          }                                                                                        \
        }                                                                                          \
        for (; i < CI; i++)                                                                        \
          for (int k = 0; k < CO_; k++)                                                            \
            for (int p = 0; p < P; p++) tail[p][k] += xs[p][i] * q[(long)k * T * CI + i];          \
      }                                                                                            \
    }                                                                                              \
    for (int p = 0; p < P; p++) {                                                                  \
      float* yp = y + (long)(ow + p) * yPixel;                                                     \
      for (int k = 0; k < CO_; k++) {                                                              \
        float v = lanes_sum(acc[p][k]) + tail[p][k];                                               \
        yp[k] = relu && v < 0 ? 0.0f : v;                                                          \
      }                                                                                            \
    }                                                                                              \
  } while (0)

#define NARROW_ROW(CO_)                                                                              \
  do {                                                                                             \
    int ow = 0;                                                                                    \
    for (; ow + 2 <= OW; ow += 2) NARROW_PIXELS(CO_, 2);                                           \
    for (; ow < OW; ow++) NARROW_PIXELS(CO_, 1);                                                   \
  } while (0)

void conv2d_narrow(const float* X, const float* Q, float* Y, const float* zero, int N, int H, int W, int CI,
                   int OH, int OW, int CO, int KH, int KW, int SH, int SW, int padT, int padL, int r0, int r1,
                   const float* bias, int relu, int yImage, int yRow, int yPixel) {
  long T = (long)KH * KW;
  for (int r = r0; r < r1; r++) {
    int n = r / OH, oh = r % OH;
    float* y = Y + (long)n * yImage + (long)oh * yRow;
    if (CO == 1) NARROW_ROW(1);
    else if (CO == 2) NARROW_ROW(2);
    else if (CO == 3) NARROW_ROW(3);
  }
}

// Q[(k * nh * nw + a * nw + b) * C + c] = F[tap * tapStride + k * sK + c * sC], tap = (rowFirst + a * rowStep) * KW
// + colFirst + b * colStep, for the CO_ output channels k of conv2d_narrow: a filter's own taps in order
// (steps 1, sK 1, sC = its CO), or a transposed convolution's phase taps reversed (negative steps, the
// channels swapped: sK = the filter's CO, sC = 1).
void pack_filter_narrow(const float* F, float* Q, int CO_, int nh, int rowFirst, int rowStep, int nw, int colFirst,
                        int colStep, int KW, int tapStride, int C, int sK, int sC) {
  for (int k = 0; k < CO_; k++)
    for (int a = 0; a < nh; a++)
      for (int b = 0; b < nw; b++) {
        const float* f = F + ((long)(rowFirst + a * rowStep) * KW + colFirst + b * colStep) * tapStride + (long)k * sK;
        for (int c = 0; c < C; c++) *Q++ = f[(long)c * sC];
      }
}
