// exports: leaky_relu leaky_relu_grad
// A leaky ReLU and its gradient, one pass each, in WebAssembly SIMD on the wasm backend's heap, with
// the numbers of the element-wise kernels they replace (tfjs's Step, then Multiply):
//   y  = x * (x > 0 ? 1 : alpha),   NaN where x is NaN
//   dx = dy * (x > 0 ? 1 : alpha),  NaN where x is NaN (Step's NaN); with alpha 0, ReLU's gradient.
// Compiled by scripts/build-simd-kernels.sh into simd-kernels-wasm.ts. The caller splits the elements
// [i0, i1) between threads; alpha comes as its float32 bits.
//
// Why: as two kernels, Step writes a whole tensor that Multiply reads back: five passes over memory
// where one kernel makes two (forward) or three (gradient).
#include <wasm_simd128.h>

static float f32(int bits) {
  union { int i; float f; } u = { bits };
  return u.f;
}

// v * (x > 0 ? 1 : alpha), NaN where x is NaN.
static v128_t slope(v128_t x, v128_t v, v128_t alpha) {
  v128_t scaled = wasm_f32x4_mul(v, alpha);
  v128_t out = wasm_v128_bitselect(v, scaled, wasm_f32x4_gt(x, wasm_f32x4_splat(0)));
  return wasm_v128_bitselect(x, out, wasm_f32x4_ne(x, x));
}

static float slope1(float x, float v, float alpha) {
  if (x != x) return x;
  return x > 0 ? v : v * alpha;
}

void leaky_relu(const float* X, float* Y, int i0, int i1, int alphaBits) {
  float a = f32(alphaBits);
  v128_t alpha = wasm_f32x4_splat(a);
  int i = i0;
  for (; i + 4 <= i1; i += 4) {
    v128_t x = wasm_v128_load(X + i);
    wasm_v128_store(Y + i, slope(x, x, alpha));
  }
  for (; i < i1; i++) Y[i] = slope1(X[i], X[i], a);
}

void leaky_relu_grad(const float* X, const float* dY, float* dX, int i0, int i1, int alphaBits) {
  float a = f32(alphaBits);
  v128_t alpha = wasm_f32x4_splat(a);
  int i = i0;
  for (; i + 4 <= i1; i += 4) wasm_v128_store(dX + i, slope(wasm_v128_load(X + i), wasm_v128_load(dY + i), alpha));
  for (; i < i1; i++) dX[i] = slope1(X[i], dY[i], a);
}
