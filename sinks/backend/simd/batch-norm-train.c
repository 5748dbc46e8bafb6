// exports: bn_moments bn_grad_sums bn_grad_input
// Batch normalisation in training, NHWC, in WebAssembly SIMD on the wasm backend's heap: the batch's
// moments, and the input gradient through them. Compiled by scripts/build-simd-kernels.sh into
// simd-kernels-wasm.ts. X, dY and dX hold `rows` rows (pixels of every image) of C channels.
//
//   mean[c] = sum_r X[r][c] / rows,   var[c] = sum_r (X[r][c] - mean[c])^2 / rows   (two passes)
//   s1[c] = sum_r dY[r][c],           s2[c] = sum_r dY[r][c] * (X[r][c] - mean[c])
//   dX[r][c] = k[c] * (dY[r][c] - a[c]) - b[c] * (X[r][c] - mean[c])
//
// with k = gamma / sqrt(var + eps), a = s1 / rows and b = k * s2 / (rows * (var + eps)), which the caller
// computes between the two gradient passes (the gradient of y = gamma * (x - mean) / sqrt(var + eps) +
// beta through the batch's mean and variance; dgamma = s2 / sqrt(var + eps), dbeta = s1).
//
// The sums split the channels [c0, c1) between threads (multiples of 4, as C must be), each thread
// reading every row's slice of its channels once; the input gradient splits the rows [r0, r1). A sum is
// taken in blocks of BLOCK rows, each block's sum added to the total, in the scratch `part` (C floats per
// partial sum; each thread uses its own channels): one float32 sum over a whole 64 x 16 x 16 batch would
// lose more to rounding.
//
// Why: tfjs-layers' batch normalisation in training is tf.moments and tf.batchNorm, and its gradient
// through them some 70 kernels per layer (a DCGAN generator's three layers: ~60 ms of a step).
#include <wasm_simd128.h>

#define BLOCK 256

static void zero(float* p, int c0, int c1) {
  for (int c = c0; c < c1; c += 4) wasm_v128_store(p + c, wasm_f32x4_splat(0));
}

// total[c] += part[c]; part[c] = 0
static void flush(float* total, float* part, int c0, int c1) {
  for (int c = c0; c < c1; c += 4) {
    wasm_v128_store(total + c, wasm_f32x4_add(wasm_v128_load(total + c), wasm_v128_load(part + c)));
    wasm_v128_store(part + c, wasm_f32x4_splat(0));
  }
}

static void scale(float* p, float s, int c0, int c1) {
  v128_t v = wasm_f32x4_splat(s);
  for (int c = c0; c < c1; c += 4) wasm_v128_store(p + c, wasm_f32x4_mul(wasm_v128_load(p + c), v));
}

void bn_moments(const float* X, float* mean, float* var, float* part, int rows, int C, int c0, int c1) {
  zero(mean, c0, c1);
  zero(part, c0, c1);
  for (int r = 0; r < rows; r++) {
    const float* x = X + (long)r * C;
    for (int c = c0; c < c1; c += 4)
      wasm_v128_store(part + c, wasm_f32x4_add(wasm_v128_load(part + c), wasm_v128_load(x + c)));
    if ((r + 1) % BLOCK == 0 || r + 1 == rows) flush(mean, part, c0, c1);
  }
  scale(mean, 1.0f / rows, c0, c1);
  zero(var, c0, c1);
  for (int r = 0; r < rows; r++) {
    const float* x = X + (long)r * C;
    for (int c = c0; c < c1; c += 4) {
      v128_t d = wasm_f32x4_sub(wasm_v128_load(x + c), wasm_v128_load(mean + c));
      wasm_v128_store(part + c, wasm_f32x4_add(wasm_v128_load(part + c), wasm_f32x4_mul(d, d)));
    }
    if ((r + 1) % BLOCK == 0 || r + 1 == rows) flush(var, part, c0, c1);
  }
  scale(var, 1.0f / rows, c0, c1);
}

// `part` holds 2 * C floats here: the two sums' partials.
void bn_grad_sums(const float* X, const float* dY, const float* mean, float* s1, float* s2, float* part, int rows,
                  int C, int c0, int c1) {
  float* p1 = part;
  float* p2 = part + C;
  zero(s1, c0, c1);
  zero(s2, c0, c1);
  zero(p1, c0, c1);
  zero(p2, c0, c1);
  for (int r = 0; r < rows; r++) {
    const float* x = X + (long)r * C;
    const float* dy = dY + (long)r * C;
    for (int c = c0; c < c1; c += 4) {
      v128_t g = wasm_v128_load(dy + c);
      v128_t d = wasm_f32x4_sub(wasm_v128_load(x + c), wasm_v128_load(mean + c));
      wasm_v128_store(p1 + c, wasm_f32x4_add(wasm_v128_load(p1 + c), g));
      wasm_v128_store(p2 + c, wasm_f32x4_add(wasm_v128_load(p2 + c), wasm_f32x4_mul(g, d)));
    }
    if ((r + 1) % BLOCK == 0 || r + 1 == rows) {
      flush(s1, p1, c0, c1);
      flush(s2, p2, c0, c1);
    }
  }
}

void bn_grad_input(const float* X, const float* dY, const float* mean, const float* k, const float* a,
                   const float* b, float* dX, int C, int r0, int r1) {
  for (long r = r0; r < r1; r++) {
    const float* x = X + r * C;
    const float* dy = dY + r * C;
    float* dx = dX + r * C;
    for (int c = 0; c < C; c += 4) {
      v128_t d = wasm_f32x4_sub(wasm_v128_load(x + c), wasm_v128_load(mean + c));
      v128_t g = wasm_f32x4_mul(wasm_v128_load(k + c), wasm_f32x4_sub(wasm_v128_load(dy + c), wasm_v128_load(a + c)));
      wasm_v128_store(dx + c, wasm_f32x4_sub(g, wasm_f32x4_mul(wasm_v128_load(b + c), d)));
    }
  }
}
