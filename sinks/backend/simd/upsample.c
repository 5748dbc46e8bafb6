// exports: upsample_nearest
// Nearest-neighbour upsampling by whole factors, NHWC, times a scale: Y[n][y][x][c] =
// scale * X[n][y / SH][x / SW][c] (tfjs-layers' upSampling2d, and an average pool's gradient with the
// scale 1 / (SH * SW)), in WebAssembly SIMD on the wasm backend's heap. Compiled by
// scripts/build-simd-kernels.sh into simd-kernels-wasm.ts.
//
// The caller splits the work between threads by ranges of input rows [r0, r1) (r = n * H + y); each
// thread writes the SH output rows of its input rows. `scaleBits` is the float32 scale's bits.
//
// Why not the package's kernel: it computes each output element's source by a scalar loop (4.5 ms for a
// BigGAN generator's [64, 16, 16, 64] -> 32x32, 1.1 ns an element); here each output row is written once
// from its input row and the other SH - 1 are copies of it.
#include <wasm_simd128.h>

void upsample_nearest(const float* X, float* Y, int W, int C, int SH, int SW, int scaleBits, int r0, int r1) {
  union { int i; float f; } bits = { scaleBits };
  v128_t scale = wasm_f32x4_splat(bits.f);
  long outRow = (long)W * SW * C;
  for (int r = r0; r < r1; r++) {
    const float* x = X + (long)r * W * C;
    float* y = Y + (long)r * SH * outRow; // input row r = n * H + yy: output rows r * SH + k, k < SH
    float* o = y;
    for (int w = 0; w < W; w++, x += C) {
      for (int k = 0; k < SW; k++, o += C) {
        int c = 0;
        for (; c + 4 <= C; c += 4) wasm_v128_store(o + c, wasm_f32x4_mul(wasm_v128_load(x + c), scale));
        for (; c < C; c++) o[c] = x[c] * bits.f;
      }
    }
    for (int k = 1; k < SH; k++) {
      float* d = y + k * outRow;
      long i = 0;
      for (; i + 4 <= outRow; i += 4) wasm_v128_store(d + i, wasm_v128_load(y + i));
      for (; i < outRow; i++) d[i] = y[i];
    }
  }
}
