// The filter gradient's tiles for 1 to 3 output channels (an RGB layer's), included by filter-grad.c:
// its own tiles are 4 output channels wide at least, and a row of dY is then shorter than a vector. The
// package's XNNPACK path ran such a gradient at 2.3 GMAC/s (BigGAN's last layer, 50 ms a step), these at
// 24. They expand inside filter_grad's loop over the taps of a block of rows, whose variables they use.

// The roles turn: a tile is CO_ output channels x 4 * NV input channels, the sum over pixels of CO_
// broadcast dY values times NV vectors of X, accumulated in the scratch St = S[t][co][ci] (zeroed by the
// caller), which filter_grad then transposes into its part of dW[t][ci][co].
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

// The input channels [i0, i1) of tap t, for CO_ output channels: tiles of 8, then 4, then one at a time.
// Tiles of 16 held CO_ x 4 accumulators (12 for RGB), the input vector and a broadcast dY value, near V8's
// 15 vector registers on x64: tiles of 8 ran 1.12-1.21x faster (one thread, alone, 10 calls alternating).
#define NARROW_TAP(CO_)                                                                       \
  do {                                                                                      \
    int i = i0;                                                                             \
    for (; i + 8 <= i1; i += 8) NARROW_TILE(CO_, 2);                                      \
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
