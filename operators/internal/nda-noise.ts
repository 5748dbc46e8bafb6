import { rangeError, typeError } from '../../sources/errors.js';
import { nextWord, seedWordStream } from '../../sources/random.js';
import type { ImageBatch } from '../../sources/sample.js';
import { outputFor } from '../image/nda-bytes.js';
import { batchDims, optionsRecord } from './nda-checks.js';
import { imageRandom, type NdaContext, type NdaResult, type NdaTransform } from './nda-transform.js';
import { checkOptionKeys, optionKeys } from '../../sources/option-keys.js';

const NOISE_TRANSFORM_KEYS = optionKeys<NoiseTransformOptions>({ range: true });

/** Options of the noise transform (plain JSON). */
export interface NoiseTransformOptions {
  /**
   * The interval of the values of `Float32Array` negatives, `[low, high]` (the official code draws
   * uniformly over [-1, 1), its data's range). 8-bit negatives take every value 0..255.
   * @default [0, 1]
   */
  readonly range?: readonly [number, number];
}

/** The resolved options. */
export interface NoiseResolvedOptions {
  readonly range: readonly [number, number];
}

/** The noise transform. */
export type NoiseTransform = NdaTransform<NoiseResolvedOptions>;

/**
 * The noise NDA transform, pure (the official code's `noise`): every negative is uniform noise of
 * the image's shape, independent of the image. `Uint8Array` batches: independent uniform integers
 * in [0, 255]; `Float32Array` batches: uniform in `[low, high]` (24-bit steps). The noise of each
 * image is a stream seeded from `(seed, 'noise', epoch, key)` (`seedWordStream`/`nextWord` from sources/random.ts: xoshiro128**, seeded from the
 * project's generator: drawing each value from the general generator would be ~30x slower).
 * Deterministic given the context.
 *
 * @throws RangeError/TypeError for a bad range.
 * @see noise
 */
export function noiseTransform(options: NoiseTransformOptions = {}): NoiseTransform {
  checkOptionKeys('noiseTransform', options, NOISE_TRANSFORM_KEYS);
  const action = 'create a noise transform';
  const o = optionsRecord(action, options);
  const range = resolveRange(action, o.range ?? [0, 1]);
  return {
    name: 'noise',
    options: { range },
    apply(images: ImageBatch, context: NdaContext, into?: ImageBatch['data']): NdaResult {
      const [n, H, W, C] = batchDims('make noise negatives', images);
      const out = outputFor('make noise negatives', images.data, into);
      const per = H * W * C;
      const state = new Int32Array(4);
      // 8-bit noise is written a 32-bit word at a time where the bytes come out the same (little-endian).
      const words = out instanceof Uint8Array && LITTLE_ENDIAN ? new Int32Array(out.buffer, 0, out.length >>> 2) : null;
      for (let i = 0; i < n; i++) {
        seedWordStream(state, imageRandom('noise', context, i));
        if (out instanceof Float32Array) noiseFloat32(out, i * per, per, state, range[0], range[1]);
        else if (words !== null && (i * per) % 4 === 0) noiseWords(out, words, i * per, per, state);
        else noiseUint8(out, i * per, per, state);
      }
      return { images: { data: out, shape: [n, H, W, C] }, partners: null };
    },
  };
}

function resolveRange(action: string, range: unknown): readonly [number, number] {
  if (!Array.isArray(range) || range.length !== 2 || typeof range[0] !== 'number' || typeof range[1] !== 'number')
    throw typeError(action, 'range must be [low, high]', range);
  const [low, high] = range as [number, number];
  if (!Number.isFinite(low) || !Number.isFinite(high) || low > high)
    throw rangeError(action, 'range must be [low, high] with finite low <= high', range);
  return [low, high];
}

function noiseUint8(d: Uint8Array, at: number, len: number, s: Int32Array): void {
  const end = at + len;
  let o = at;
  for (; o + 4 <= end; o += 4) {
    const w = nextWord(s);
    d[o] = w;
    d[o + 1] = w >>> 8;
    d[o + 2] = w >>> 16;
    d[o + 3] = w >>> 24;
  }
  if (o < end) {
    let w = nextWord(s);
    for (; o < end; o++, w >>>= 8) d[o] = w;
  }
}

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** As {@link noiseUint8}, from a 4-byte aligned offset, whole words through `words` (a view of the same bytes). */
function noiseWords(d: Uint8Array, words: Int32Array, at: number, len: number, s: Int32Array): void {
  const first = at / 4;
  const count = Math.floor(len / 4);
  for (let j = 0; j < count; j++) words[first + j] = nextWord(s);
  const o = at + count * 4;
  if (o < at + len) {
    let w = nextWord(s);
    for (let q = o; q < at + len; q++, w >>>= 8) d[q] = w;
  }
}

function noiseFloat32(d: Float32Array, at: number, len: number, s: Int32Array, low: number, high: number): void {
  const scale = (high - low) / 16777216;
  for (let o = at; o < at + len; o++) {
    d[o] = low + (nextWord(s) >>> 8) * scale;
  }
}
