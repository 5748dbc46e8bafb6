import { checkInteger, rangeError } from '../../sources/errors.js';
import type { ImageBatch } from '../../sources/sample.js';
import type { Random } from '../../sources/random.js';
import { outputFor, byteViews, copyBlock } from '../image/nda-bytes.js';
import { batchDims, checkChoice, optionsRecord } from './nda-checks.js';
import { imageRandom, type NdaContext, type NdaResult, type NdaTransform } from './nda-transform.js';
import { checkOptionKeys, optionKeys } from '../../sources/option-keys.js';

const JIGSAW_TRANSFORM_KEYS = optionKeys<JigsawTransformOptions>({ k: true, mode: true });

/** Options of the jigsaw transform (plain JSON). */
export interface JigsawTransformOptions {
  /** Tiles per side: the image is cut into a k x k grid; k must divide the height and the width. @default 2 */
  readonly k?: number;
  /**
   * `'official'` reproduces the paper's official code: a uniformly random permutation of the
   * k*k tiles other than the identity, with the tiles then laid out column by column (the code
   * concatenates each group of k tiles vertically), i.e. transposed; so at k=2 exactly the one
   * permutation that undoes the transposition gives back the input (1 output in 23), and the
   * transposed arrangement itself never occurs. `'strict'` lays the tiles out row by row after a
   * random non-identity permutation, so a negative never has its tiles in their original places.
   * @default 'official'
   */
  readonly mode?: 'official' | 'strict';
}

/** The resolved options. */
export interface JigsawResolvedOptions {
  readonly k: number;
  readonly mode: 'official' | 'strict';
}

/** What {@link jigsawTransform} made of a batch. */
export interface JigsawResult extends NdaResult {
  /**
   * For image i and output tile slot s (row-major in the k x k grid), `tiles[i * k * k + s]` is the
   * (row-major) index of the input tile placed there. The identity (`0, 1, ..., k*k-1`) means the
   * negative equals its image.
   */
  readonly tiles: Int32Array;
}

/** The jigsaw transform: its {@link NdaTransform.apply} returns a {@link JigsawResult}. */
export interface JigsawTransform extends NdaTransform<JigsawResolvedOptions> {
  apply(images: ImageBatch, context: NdaContext, into?: ImageBatch['data']): JigsawResult;
}

/**
 * The jigsaw NDA transform, pure: each image is cut into a k x k grid of tiles, which are put
 * back in a random order (per image, from `(seed, 'jigsaw', epoch, key)`). Copies whole tile rows
 * of the HWC bytes (`Uint8Array` or `Float32Array`, kept); every byte of the output is written.
 * Deterministic given the context.
 *
 * @throws RangeError/TypeError for a bad k or mode; `apply` throws a RangeError when k does not
 *   divide the images' height and width.
 * @see jigsaw
 */
export function jigsawTransform(options: JigsawTransformOptions = {}): JigsawTransform {
  checkOptionKeys('jigsawTransform', options, JIGSAW_TRANSFORM_KEYS);
  const action = 'create a jigsaw transform';
  const o = optionsRecord(action, options);
  const k = checkInteger(action, 'k', o.k ?? 2, 2, 4096);
  const mode = checkChoice(action, 'mode', o.mode ?? 'official', ['official', 'strict'] as const);
  const resolved: JigsawResolvedOptions = { k, mode };
  return {
    name: 'jigsaw',
    options: resolved,
    apply(images: ImageBatch, context: NdaContext, into?: ImageBatch['data']): JigsawResult {
      const [n, H, W, C] = batchDims('make jigsaw negatives', images);
      if (H % k !== 0 || W % k !== 0) {
        throw rangeError(
          `cut a ${H}x${W} image into a ${k}x${k} jigsaw`,
          'k must divide its height and its width (crop or resize first)',
          k,
        );
      }
      const out = outputFor('make jigsaw negatives', images.data, into);
      const src = byteViews(images.data);
      const dst = byteViews(out);
      const bpp = C * images.data.BYTES_PER_ELEMENT;
      const stride = W * bpp;
      const per = H * stride;
      const tileRows = H / k;
      const tileBytes = (W / k) * bpp;
      const m = k * k;
      const perm = new Int32Array(m);
      const tiles = new Int32Array(n * m);
      for (let i = 0; i < n; i++) {
        nonIdentityPermutation(perm, imageRandom('jigsaw', context, i));
        const base = i * per;
        for (let r = 0; r < k; r++) {
          for (let c = 0; c < k; c++) {
            const t = perm[mode === 'official' ? c * k + r : r * k + c] as number;
            tiles[i * m + r * k + c] = t;
            const tr = Math.floor(t / k);
            const tc = t - tr * k;
            copyBlock(
              dst,
              base + r * tileRows * stride + c * tileBytes,
              src,
              base + tr * tileRows * stride + tc * tileBytes,
              tileRows,
              tileBytes,
              stride,
              stride,
            );
          }
        }
      }
      return { images: { data: out, shape: [n, H, W, C] }, partners: null, tiles };
    },
  };
}

/** A uniformly random permutation of 0..m-1 other than the identity (Fisher-Yates, redrawn when it is the identity). */
function nonIdentityPermutation(p: Int32Array, rng: Random): void {
  const m = p.length;
  for (;;) {
    for (let i = 0; i < m; i++) p[i] = i;
    for (let i = m - 1; i > 0; i--) {
      const j = rng.int(0, i);
      const t = p[i] as number;
      p[i] = p[j] as number;
      p[j] = t;
    }
    for (let i = 0; i < m; i++) if (p[i] !== i) return;
  }
}
