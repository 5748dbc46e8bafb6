// The hyperbolic tangent of float32 values (tfjs's Tanh: a GAN generator's output), in WebAssembly SIMD on
// the wasm backend's heap. Compiled by scripts/build-simd-kernels.sh into simd-kernels-wasm.ts.
//
//   Y[i] = tanh(X[i]),  i in [i0, i1)
//
// |x| <= 0.625: x + x^3 P(x^2), an odd polynomial; beyond: 1 - 2 / (exp(2|x|) + 1) with x's sign, exp
// by range reduction to [-ln2/2, ln2/2] (n = round(x / ln2), ln2 in two parts), a degree-6 polynomial
// and 2^n put in the exponent bits. The coefficients are Cephes' tanhf and expf (Moshier, public
// domain), within 2 float32 ulps of tanh. NaN gives NaN, +-Inf +-1. The caller splits the range
// between threads.
//
// Why not the package's kernel: a scalar tanhf per element on one thread, 18 ns an element (3.5 ms for
// a generator's [64, 32, 32, 3] output).
// exports: tanh_f32
#include <wasm_simd128.h>

static v128_t exp_f32x4(v128_t x) {
  v128_t n = wasm_f32x4_nearest(wasm_f32x4_mul(x, wasm_f32x4_splat(1.44269504088896341f)));
  x = wasm_f32x4_sub(x, wasm_f32x4_mul(n, wasm_f32x4_splat(0.693359375f)));
  x = wasm_f32x4_sub(x, wasm_f32x4_mul(n, wasm_f32x4_splat(-2.12194440e-4f)));
  v128_t p = wasm_f32x4_splat(1.9875691500e-4f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, x), wasm_f32x4_splat(1.3981999507e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, x), wasm_f32x4_splat(8.3334519073e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, x), wasm_f32x4_splat(4.1665795894e-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, x), wasm_f32x4_splat(1.6666665459e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, x), wasm_f32x4_splat(5.0000001201e-1f));
  p = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(p, wasm_f32x4_mul(x, x)), x), wasm_f32x4_splat(1.0f));
  // 2^n: n (at most 127 here) added to the exponent
  v128_t e = wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(n), wasm_i32x4_splat(127)), 23);
  return wasm_f32x4_mul(p, e);
}

static v128_t tanh_f32x4(v128_t x) {
  // on |x|, x's sign put back at the end (so that tanh(-0) is -0)
  v128_t a = wasm_f32x4_abs(x);
  v128_t sign = wasm_v128_and(x, wasm_i32x4_splat((int)0x80000000));
  // small: |x| + |x|^3 P(x^2)
  v128_t z = wasm_f32x4_mul(a, a);
  v128_t p = wasm_f32x4_splat(-5.70498872745e-3f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, z), wasm_f32x4_splat(2.06390887954e-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, z), wasm_f32x4_splat(-5.37397155531e-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, z), wasm_f32x4_splat(1.33314422036e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, z), wasm_f32x4_splat(-3.33332819422e-1f));
  v128_t small = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(p, z), a), a);
  // large: 1 - 2 / (exp(2|x|) + 1), 2|x| capped where exp is still finite (tanh is 1 in float32 long before)
  v128_t e = exp_f32x4(wasm_f32x4_min(wasm_f32x4_add(a, a), wasm_f32x4_splat(80.0f)));
  v128_t large =
      wasm_f32x4_sub(wasm_f32x4_splat(1.0f), wasm_f32x4_div(wasm_f32x4_splat(2.0f), wasm_f32x4_add(e, wasm_f32x4_splat(1.0f))));
  // a NaN compares false: it takes the polynomial, which keeps it NaN
  return wasm_v128_or(wasm_v128_bitselect(large, small, wasm_f32x4_gt(a, wasm_f32x4_splat(0.625f))), sign);
}

void tanh_f32(const float* X, float* Y, int i0, int i1) {
  int i = i0;
  for (; i + 4 <= i1; i += 4) wasm_v128_store(Y + i, tanh_f32x4(wasm_v128_load(X + i)));
  if (i < i1) {
    float in[4] = {0, 0, 0, 0}, out[4];
    for (int j = 0; i + j < i1; j++) in[j] = X[i + j];
    wasm_v128_store(out, tanh_f32x4(wasm_v128_load(in)));
    for (int j = 0; i + j < i1; j++) Y[i + j] = out[j];
  }
}
