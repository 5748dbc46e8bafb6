// The filter gradient of a 2-D convolution to 1 to 3 output channels (an RGB layer's), NHWC, dilation 1,
// in WebAssembly SIMD on the wasm backend's heap: the narrow counterpart of filter-grad.c. Compiled by
// scripts/build-simd-kernels.sh into simd-kernels-wasm.ts.
//
// filter-grad.c's tiles are 4 output channels wide at least, and a row of dY shorter than a vector; the
// package's XNNPACK path ran such a gradient at 2.3 GMAC/s (BigGAN's last layer, 50 ms a step), this at 24.
// exports: filter_grad_narrow
#include <wasm_simd128.h>

// filter_grad_narrow: the roles turn. A tile is CO_ output channels x 4 * NV input channels, the sum over pixels of CO_ broadcast dY values times NV
// vectors of X, accumulated in the scratch S[t][co][ci] (zeroed by the caller), which the thread then
// transposes into its part of dW[t][ci][co]. The caller splits the work by taps [t0, t1) and input
// channels [i0, i1).
#define NARROW_TILE(CO_, NV)                                                                  \
  do {                                                                                      \
    float* s0 = St + i;                                                                     \
    v128_t a[CO_][NV];                                                                      \
    for (int k = 0; k < CO_; k++)                                                           \
      for (int v = 0; v < NV; v++) a[k][v] = wasm_v128_load(s0 + (long)k * CI + 4 * v);     \
    for (int r = r0, n = n0, oh = oh0; r < r1; r++, oh = oh + 1 == OH ? 0 : oh + 1, n += oh == 0) { \
      int ih = oh * SH + kh - padT;                                                         \
      if (ih < 0 || ih >= H) continue;                                                      \
      const float* xp = X + (((long)n * H + ih) * W + owLo * SW + kw - padL) * CI + i;      \
      const float* dp = dY + ((long)r * OW + owLo) * CO_;                                   \
      for (int ow = owLo; ow < owHi; ow++, xp += xs, dp += CO_) {                           \
        for (int v = 0; v < NV; v++) {                                                      \
          v128_t x = wasm_v128_load(xp + 4 * v);                                            \
          for (int k = 0; k < CO_; k++)                                                     \
            a[k][v] = wasm_f32x4_add(a[k][v], wasm_f32x4_mul(wasm_v128_load32_splat(dp + k), x)); \
        }                                                                                   \
      }                                                                                     \
    }                                                                                       \
    for (int k = 0; k < CO_; k++)                                                           \
      for (int v = 0; v < NV; v++) wasm_v128_store(s0 + (long)k * CI + 4 * v, a[k][v]);    \
  } while (0)

// The input channels [i0, i1) of tap t, for CO_ output channels: tiles of 16, then 4, then one at a time.
#define NARROW_TAP(CO_)                                                                       \
  do {                                                                                      \
    int i = i0;                                                                             \
    for (; i + 16 <= i1; i += 16) NARROW_TILE(CO_, 4);                                      \
    for (; i + 4 <= i1; i += 4) NARROW_TILE(CO_, 1);                                        \
    for (; i < i1; i++) {                                                                   \
      for (int r = r0, n = n0, oh = oh0; r < r1; r++, oh = oh + 1 == OH ? 0 : oh + 1, n += oh == 0) { \
        int ih = oh * SH + kh - padT;                                                       \
        if (ih < 0 || ih >= H) continue;                                                    \
        const float* xp = X + (((long)n * H + ih) * W + owLo * SW + kw - padL) * CI + i;    \
        const float* dp = dY + ((long)r * OW + owLo) * CO_;                                 \
        for (int ow = owLo; ow < owHi; ow++, xp += xs, dp += CO_)                           \
          for (int k = 0; k < CO_; k++) St[(long)k * CI + i] += *xp * dp[k];                \
      }                                                                                     \
    }                                                                                       \
  } while (0)

void filter_grad_narrow(const float* X, const float* dY, float* S, float* dW, int N, int H, int W, int CI, int OH,
                        int OW, int CO, int KH, int KW, int SH, int SW, int padT, int padL, int rowBlock, int t0,
                        int t1, int i0, int i1) {
  long xs = (long)SW * CI;
  for (int r0 = 0; r0 < N * OH; r0 += rowBlock) {
    int r1 = r0 + rowBlock < N * OH ? r0 + rowBlock : N * OH;
    int n0 = r0 / OH, oh0 = r0 % OH;
    for (int t = t0; t < t1; t++) {
      int kh = t / KW, kw = t % KW;
      int owLo = 0, owHi = OW;
      while (owLo < OW && owLo * SW + kw - padL < 0) owLo++;
      while (owHi > owLo && (owHi - 1) * SW + kw - padL >= W) owHi--;
      if (owHi <= owLo) continue;
      float* St = S + (long)t * CO * CI;
      if (CO == 1) NARROW_TAP(1);
      else if (CO == 2) NARROW_TAP(2);
      else NARROW_TAP(3);
    }
  }
  for (int t = t0; t < t1; t++)
    for (int i = i0; i < i1; i++)
      for (int k = 0; k < CO; k++) dW[((long)t * CI + i) * CO + k] = S[((long)t * CO + k) * CI + i];
}
