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
// output channels [c0, c1); each thread writes only its own part of Y. Requires CO, c0, c1 multiples of 4,
// and c0, c1 on a block boundary (multiples of 16 unless in the 4-wide blocks after the last multiple of 16).
// `zero` points at CI zeros: a tap that falls in the padding reads that row instead of X.
// `bias` (0: none) points at CO floats that start each output's sum, as XNNPACK's do; `relu` non-zero
// clamps the outputs at 0 (tfjs's FusedConv2D with a bias and a relu activation).
//
// Why not XNNPACK (tfjs-backend-wasm's convolution): it packs its filter before every call with a new
// filter (6-11 ns an element), and in training every filter is new after each update. Here nothing is
// packed: a row of X (CI floats) and a row of F (CO floats) are contiguous, so a tile of 2 output pixels
// x 16 channels is the sum over taps and input channels of 2 broadcast X values times 4 vectors of F.
// exports: conv2d pack_filter
#include <wasm_simd128.h>

#define ACC(a, x, d) a = wasm_f32x4_add(a, wasm_f32x4_mul(x, d))

// P[c * K + k * width + j] = F[k * CO + c + j] for each block [c, c + width) of the output channels
// (width 16, then 4 for the rest), k over the K = KH * KW * CI rows of the filter.
void pack_filter(const float* F, float* P, int K, int CO) {
  for (int c = 0; c < CO;) {
    int width = c + 16 <= CO ? 16 : 4;
    float* p = P + (long)c * K;
    for (int k = 0; k < K; k++, p += width) {
      const float* f = F + (long)k * CO + c;
      for (int j = 0; j < width; j += 4) wasm_v128_store(p + j, wasm_v128_load(f + j));
    }
    c += width;
  }
}

void conv2d(const float* X, const float* P, float* Y, const float* zero, int N, int H, int W, int CI,
            int OH, int OW, int CO, int KH, int KW, int SH, int SW, int padT, int padL, int r0, int r1,
            int c0, int c1, const float* bias, int relu) {
  v128_t zeros = wasm_f32x4_splat(0);
  long K = (long)KH * KW * CI;
  // channel blocks outermost: a block's filter slice (taps x CI x 16 floats) stays in cache over the rows
  for (int c = c0; c < c1;) {
    int wide = c + 16 <= CO;
    int width = wide ? 16 : 4;
    const float* block = P + c * K;
    for (int r = r0; r < r1; r++) {
      int n = r / OH, oh = r % OH;
      float* y = Y + (long)r * OW * CO;
      for (int ow = 0; ow < OW; ow += 2) {
        int two = ow + 1 < OW;
        v128_t a00 = zeros, a01 = zeros, a02 = zeros, a03 = zeros;
        if (bias) {
          a00 = wasm_v128_load(bias + c);
          if (wide) { a01 = wasm_v128_load(bias + c + 4); a02 = wasm_v128_load(bias + c + 8); a03 = wasm_v128_load(bias + c + 12); }
        }
        v128_t a10 = a00, a11 = a01, a12 = a02, a13 = a03;
        for (int kh = 0; kh < KH; kh++) {
          int ih = oh * SH + kh - padT;
          int rowIn = ih >= 0 && ih < H;
          const float* xRow = X + ((long)n * H + ih) * W * CI;
          for (int kw = 0; kw < KW; kw++) {
            int iw0 = ow * SW + kw - padL, iw1 = iw0 + SW;
            const float* x0 = rowIn && iw0 >= 0 && iw0 < W ? xRow + (long)iw0 * CI : zero;
            const float* x1 = rowIn && two && iw1 >= 0 && iw1 < W ? xRow + (long)iw1 * CI : zero;
            const float* f = block + (long)(kh * KW + kw) * CI * width;
            if (wide) {
              for (int i = 0; i < CI; i++, f += 16) {
                v128_t v0 = wasm_v128_load32_splat(x0 + i), v1 = wasm_v128_load32_splat(x1 + i);
                v128_t d = wasm_v128_load(f);
                ACC(a00, v0, d); ACC(a10, v1, d);
                d = wasm_v128_load(f + 4);
                ACC(a01, v0, d); ACC(a11, v1, d);
                d = wasm_v128_load(f + 8);
                ACC(a02, v0, d); ACC(a12, v1, d);
                d = wasm_v128_load(f + 12);
                ACC(a03, v0, d); ACC(a13, v1, d);
              }
            } else {
              for (int i = 0; i < CI; i++, f += 4) {
                v128_t v0 = wasm_v128_load32_splat(x0 + i), v1 = wasm_v128_load32_splat(x1 + i);
                v128_t d = wasm_v128_load(f);
                ACC(a00, v0, d); ACC(a10, v1, d);
              }
            }
          }
        }
        if (relu) {
          a00 = wasm_f32x4_max(a00, zeros); a01 = wasm_f32x4_max(a01, zeros);
          a02 = wasm_f32x4_max(a02, zeros); a03 = wasm_f32x4_max(a03, zeros);
          a10 = wasm_f32x4_max(a10, zeros); a11 = wasm_f32x4_max(a11, zeros);
          a12 = wasm_f32x4_max(a12, zeros); a13 = wasm_f32x4_max(a13, zeros);
        }
        float* y0 = y + (long)ow * CO + c;
        wasm_v128_store(y0, a00);
        if (wide) { wasm_v128_store(y0 + 4, a01); wasm_v128_store(y0 + 8, a02); wasm_v128_store(y0 + 12, a03); }
        if (two) {
          float* y1 = y0 + CO;
          wasm_v128_store(y1, a10);
          if (wide) { wasm_v128_store(y1 + 4, a11); wasm_v128_store(y1 + 8, a12); wasm_v128_store(y1 + 12, a13); }
        }
      }
    }
    c += width;
  }
}
