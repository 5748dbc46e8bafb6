// exports: overlap_add
// The overlap-add of a transposed convolution computed as one matrix product (input-grad.ts's patches
// path): P holds, for each pixel (n, q, p) of dY ([N, OH, OW]), the KH x KW x C values its taps put into
// dX, P[((n * OH + q) * OW + p) * KH * KW * C + (kh * KW + kw) * C + c]; each pixel of dX ([N, H, W, C])
// is the sum of the values that land on it:
//   dX[n][i][j][c] = sum over kh, kw with i + padT - kh = SH * q, j + padL - kw = SW * p (q, p inside dY)
//                    of P[n][q][p][kh][kw][c],
// in a fixed order (taps kh in order; within one, dY's pixels in order), whatever the threads. A pixel's
// KW taps land on KW neighbouring pixels of dX: where all are inside, KW * C contiguous values are added
// to KW * C contiguous ones. The caller splits the work by rows of dX [r0, r1) (r = n * H + i); each
// thread writes its own rows, every element of them. The geometry comes as conv2d.c takes it (N and dY's
// channels CO unused). Compiled by scripts/build-simd-kernels.sh into simd-kernels-wasm.ts.
//
// Why: a transposed convolution to 1-3 channels (a generator's RGB output) as SH x SW phases runs on the
// narrow convolution (14-17 GMAC/s); as one product to KH * KW * C columns it runs on conv2d's wide tiles.

#include <wasm_simd128.h>

void overlap_add(const float* P, float* dX, int N, int H, int W, int C, int OH, int OW, int CO, int KH, int KW,
                 int SH, int SW, int padT, int padL, int r0, int r1) {
  long tapsC = (long)KH * KW * C;
  int KC = KW * C;
  for (int r = r0; r < r1; r++) {
    int n = r / H, i = r % H;
    float* out = dX + (long)r * W * C;
    for (long e = 0; e < (long)W * C; e++) out[e] = 0;
    for (int kh = 0; kh < KH; kh++) {
      int a = i + padT - kh; // = SH * q for the row q of dY this tap reads, if any
      if (a < 0 || a % SH != 0 || a / SH >= OH) continue;
      const float* v = P + ((long)n * OH + a / SH) * OW * tapsC + (long)kh * KC;
      for (int p = 0; p < OW; p++, v += tapsC) {
        // pixel p's taps kw land on dX's pixels j0 + kw: KW * C contiguous values on KW * C contiguous ones
        int j0 = SW * p - padL;
        float* o = out + (long)j0 * C;
        if (j0 >= 0 && j0 + KW <= W) {
          int e = 0;
          for (; e + 4 <= KC; e += 4) wasm_v128_store(o + e, wasm_f32x4_add(wasm_v128_load(o + e), wasm_v128_load(v + e)));
          for (; e < KC; e++) o[e] += v[e];
          continue;
        }
        for (int kw = 0; kw < KW; kw++)
          if (j0 + kw >= 0 && j0 + kw < W)
            for (int c = 0; c < C; c++) o[kw * C + c] += v[kw * C + c];
      }
    }
  }
}
