// exports: adam
// One Adam update of one variable in a single pass, in WebAssembly SIMD on the wasm backend's heap,
// with the arithmetic of tfjs-core's AdamOptimizer in the same order (so the same float32 results):
//   m' = m * b1 + g * (1 - b1)
//   v' = v * b2 + g^2 * (1 - b2)
//   w' = (m' / c1) / (sqrt(v' / c2) + eps) * -lr + w,   c1 = 1 - b1^t, c2 = 1 - b2^t
// Compiled by scripts/build-simd-kernels.sh into simd-kernels-wasm.ts. The caller splits the elements
// [i0, i1) between threads; the float arguments come as their float32 bits.
//
// Why: tfjs-core's optimizer runs thirteen element-wise kernels per variable, each a pass over memory;
// for the DCGAN's 1.85 M parameters that was ~35 ms of a step.
#include <wasm_simd128.h>

static float f32(int bits) {
  union { int i; float f; } u = { bits };
  return u.f;
}

void adam(const float* w, const float* g, const float* m, const float* v, float* wOut, float* mOut,
          float* vOut, int i0, int i1, int b1Bits, int oneMinusB1Bits, int b2Bits, int oneMinusB2Bits,
          int c1Bits, int c2Bits, int epsBits, int negLrBits) {
  float b1 = f32(b1Bits), omb1 = f32(oneMinusB1Bits), b2 = f32(b2Bits), omb2 = f32(oneMinusB2Bits);
  float c1 = f32(c1Bits), c2 = f32(c2Bits), eps = f32(epsBits), negLr = f32(negLrBits);
  v128_t B1 = wasm_f32x4_splat(b1), OMB1 = wasm_f32x4_splat(omb1), B2 = wasm_f32x4_splat(b2);
  v128_t OMB2 = wasm_f32x4_splat(omb2), C1 = wasm_f32x4_splat(c1), C2 = wasm_f32x4_splat(c2);
  v128_t EPS = wasm_f32x4_splat(eps), NEGLR = wasm_f32x4_splat(negLr);
  int i = i0;
  for (; i + 4 <= i1; i += 4) {
    v128_t gi = wasm_v128_load(g + i);
    v128_t mN = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(m + i), B1), wasm_f32x4_mul(gi, OMB1));
    v128_t vN = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(v + i), B2), wasm_f32x4_mul(wasm_f32x4_mul(gi, gi), OMB2));
    v128_t step = wasm_f32x4_div(wasm_f32x4_div(mN, C1), wasm_f32x4_add(wasm_f32x4_sqrt(wasm_f32x4_div(vN, C2)), EPS));
    wasm_v128_store(wOut + i, wasm_f32x4_add(wasm_f32x4_mul(step, NEGLR), wasm_v128_load(w + i)));
    wasm_v128_store(mOut + i, mN);
    wasm_v128_store(vOut + i, vN);
  }
  for (; i < i1; i++) {
    float gi = g[i];
    float mN = m[i] * b1 + gi * omb1;
    float vN = v[i] * b2 + (gi * gi) * omb2;
    float step = (mN / c1) / (__builtin_sqrtf(vN / c2) + eps);
    wOut[i] = step * negLr + w[i];
    mOut[i] = mN;
    vOut[i] = vN;
  }
}
