import { availableParallelism } from 'node:os';
import { defer, type OperatorFunction } from 'rxjs';
import sharp from 'sharp';
import { checkInteger, rangeError, typeError } from '../sources/errors.js';
import { resolveHandler, type ErrorHandler, type HandlerName } from '../sources/handlers.js';
import { holding, type HoldingOperatorFunction } from '../sources/loader.js';
import type { Sample, SampleIdentity } from '../sources/sample.js';
import type { DecodedSample } from './decoded-sample.js';
import { decodeSample, type DecodeContext, type FieldDecoder } from './internal/decode-fields.js';
import type { ImageMode } from './image/png-decode.js';
import { parallelMap, type ParallelMapOptions } from './parallel-map.js';
import { BatchSlots } from './internal/batch-slots.js';
import type { FusesIntoBatch } from '../sources/loader-fusion.js';
import type { Geometry } from './internal/image-decoders.js';
import { cropWindow, resolveCropSpec } from './internal/crop-window.js';
import { resolveSeed } from './internal/resolve-seed.js';
import { sampleRandom } from './internal/sample-random.js';
import { resolveResizedCrop } from './internal/resolve-resized-crop.js';
import { resizedCropBox } from './internal/resized-crop-box.js';
import { jpegTurbo, jpegTurboLoadError, type JpegTurbo } from './image/jpeg-turbo.js';
import { checkOptionKeys, optionKeys } from '../sources/option-keys.js';

const DECODE_KEYS = optionKeys<DecodeOptions>({
  image: true,
  maxPixels: true,
  maxGunzipBytes: true,
  concurrency: true,
  sharpConcurrency: true,
  fastPngMaxPixels: true,
  jpegDecoder: true,
  decoders: true,
  handler: true,
  randomCrop: true,
  randomFlip: true,
  randomResizedCrop: true,
});

export type { FieldDecoder } from './internal/decode-fields.js';

/** User decoders by field name or extension (see {@link DecodeOptions.decoders}); `null` turns one off. */
export type Decoders = Readonly<Record<string, FieldDecoder | null>>;

/** Options of {@link decode}. */
export interface DecodeOptions {
  /**
   * Channels of decoded images. `'keep'`: the file's own, alpha included (grey 1, grey+alpha 2,
   * RGB 3, RGBA 4; a palette PNG gives RGB, or RGBA with transparency; a CMYK JPEG gives RGB).
   * `'rgb'`: always 3 (grey copied into each, alpha dropped, not blended). `'gray'`: always 1
   * (colour converted to luminance by sharp, alpha dropped). Datasets that mix grey and colour, or
   * alpha and no alpha, should pick `'rgb'` or `'gray'` so that images batch together.
   * @default 'keep'
   */
  readonly image?: 'keep' | 'rgb' | 'gray';
  /**
   * Most pixels (width x height) an image may have. The header is read before anything is
   * decoded, and a larger image is refused with a `SampleError` (reason `'decode'`): a
   * 100000 x 100000 PNG is a few hundred bytes on disk and 30 GB decoded.
   * @default 67108864 (64 Mi pixels, 8192 x 8192)
   */
  readonly maxPixels?: number;
  /**
   * Most bytes a `.gz` field may inflate to; more is a `SampleError` (reason `'decode'`).
   * @default 268435456 (256 MiB)
   */
  readonly maxGunzipBytes?: number;
  /**
   * Samples being decoded at once (sharp decodes run on libuv's thread pool, whose size,
   * `UV_THREADPOOL_SIZE`, 4 by default, also caps them). Decoded samples waiting for their turn
   * count against it: the stage holds at most this many samples.
   * @default 2 x the available cores
   */
  readonly concurrency?: number;
  /**
   * Threads libvips may use per sharp operation; sets `sharp.concurrency()`, which is global to
   * the process (the last `decode` created wins). The parallelism comes from `concurrency` decodes
   * in flight on the thread pool; more libvips threads per decode oversubscribe the cores (measured
   * on 2 cores, 256 px JPEGs -> fused 224 crop + flip -> batch 64 through the loader, alternating
   * runs: 1 thread ~1,600 images/s, 2 threads ~1,450; `npm run bench:loader -- --shards ... --crop 224
   * --sharp-concurrency N`).
   * @default 1
   */
  readonly sharpConcurrency?: number;
  /**
   * PNGs of at most this many pixels are decoded synchronously in JS when they are 8-bit, not
   * interlaced, without palette, transparency chunk or ICC profile (same pixels as sharp, without
   * its per-call overhead: several times faster on small images). 0 sends every PNG to sharp.
   * @default 16384 (128 x 128)
   */
  readonly fastPngMaxPixels?: number;
  /**
   * Which library decodes JPEGs. `'libjpeg-turbo'`: libjpeg-turbo's TurboJPEG API from the system's
   * `libturbojpeg.so.0` (Debian/Ubuntu package `libturbojpeg0`), for 8-bit baseline and progressive
   * JPEGs, grey or colour, without ICC profile (sharp decodes the rest: CMYK, 12-bit, arithmetic
   * coding, embedded profiles, colour to `'gray'`); same pixels as sharp within 1 level per channel
   * (both are libjpeg-turbo with the same IDCT and upsampling), same errors, at about a fifth of
   * sharp's CPU per image on small photos (measured on 256 px photos: ~0.25 ms against ~1.2 ms).
   * `'sharp'`: sharp for every JPEG. `'auto'`: libjpeg-turbo when the library loads, else sharp.
   * @default 'auto'
   */
  readonly jpegDecoder?: 'auto' | 'libjpeg-turbo' | 'sharp';
  /**
   * Your decoders, by full field name (`'seg.png'`) or by last extension (`'seg'`, `'npy'`);
   * case-insensitive; they take precedence over the built-in ones. A decoder gets
   * `(bytes, field, sample)` and returns the value or a Promise of it; returning `undefined`
   * falls back to the built-in decoder. `null` leaves matching fields as bytes.
   * @default {}
   */
  readonly decoders?: Decoders;
  /**
   * Error policy for a sample that cannot be decoded (corrupt or empty image, image above
   * `maxPixels`, bad JSON, a `cls` that is not an integer, a user decoder that throws): the
   * whole sample is skipped (counted under reason `'decode'`), or the stream errors or stops.
   * @default 'reraise'
   */
  readonly handler?: ErrorHandler | HandlerName;
  /**
   * A random crop fused into decoding, as DALI's `decoders.image_random_crop`: the same window,
   * from the same draws, as `randomCrop({size, pad, seed})` after `decode()` would cut (the result
   * is identical), but libvips decodes straight into the crop, saving a full-size buffer and a
   * copy per image. Applies to every image field. An image smaller than the crop is a `SampleError`
   * with reason `'random-crop'` through `handler`.
   * @default none
   */
  readonly randomCrop?: {
    readonly size: number | readonly [number, number];
    readonly pad?: number;
    readonly seed?: number;
    readonly onSeed?: (seed: number) => void;
  };
  /**
   * torchvision's `RandomResizedCrop` fused into decoding: the same box, from the same draws, as
   * `randomResizedCrop({size, scale, ratio, seed})` after `decode()` (Pillow's bilinear resampling
   * of the box to `size`). With `shrinkOnLoad` (the default), a JPEG decoded by libjpeg-turbo whose
   * box is at least twice the output on both sides is decoded at 1/2, 1/4 or 1/8 scale by libjpeg's
   * DCT scaling (the largest that keeps the box at least as large as the output), then resampled:
   * far less to decode and resample on large photos, pixels within a few levels of the unfused
   * path (tested on real photos at 300-800 px: mean absolute difference below 2 levels, 1.4 measured). Without it, or for
   * other formats, the result is identical to the unfused path. Cannot be combined with `randomCrop`.
   * @default none
   */
  readonly randomResizedCrop?: {
    readonly size: number | readonly [number, number];
    /** @default [0.08, 1] */
    readonly scale?: readonly [number, number];
    /** @default [3/4, 4/3] */
    readonly ratio?: readonly [number, number];
    readonly seed?: number;
    readonly onSeed?: (seed: number) => void;
    /** Decode JPEGs at a reduced scale when the box allows it. @default true */
    readonly shrinkOnLoad?: boolean;
  };
  /**
   * A random horizontal flip fused into decoding: identical to `randomFlip({p, seed})` after it,
   * but the decoded pixels are mirrored in place (no new buffer).
   * @default none
   */
  readonly randomFlip?: { readonly p?: number; readonly seed?: number; readonly onSeed?: (seed: number) => void };
}

const ACTION = 'create a decode';
const MODES: readonly ImageMode[] = ['keep', 'rgb', 'gray'];

/**
 * Decodes the byte fields of WebDataset samples by their last extension (after unwrapping a
 * final `.gz`: `json.gz` is gunzipped, then parsed as JSON):
 * - `png`, `jpg`/`jpeg`, `webp`, `ppm`/`pgm`/`pnm` (binary) -> `Image` (`{data: Uint8Array, shape: [h, w, c]}`,
 *   HWC, 8-bit; see `image`). The format is sniffed from the bytes; small plain PNGs are decoded
 *   synchronously in JS, everything else by sharp on the thread pool.
 * - `cls`, `cls2`, `class`, `count`, `index`, `inx` -> integer (`number`).
 * - `txt`, `text`, `transcript` -> string (strict UTF-8). `json`, `jsn` -> parsed JSON.
 * - anything else stays bytes, unless a user decoder (`decoders`) claims it.
 * Extensions match case-insensitively (the shard reader already lower-cases them; hand-made samples
 * may not); the field keeps its name. Values that are not bytes are left alone, so decoding twice is harmless.
 *
 * The sample keeps `__key__`, `__url__` and its lineage; output order is input order (a
 * `parallelMap`, ordered, with `concurrency` decodes in flight). Memory: at most `concurrency`
 * samples are held; the stage declares it to `createLoader`.
 *
 * Deterministic: the same bytes give the same pixels and values, in the same order.
 *
 * Types: the output type is {@link DecodedSample} of the input's: `png`/`jpg`/... fields become
 * `Image`, `cls` `number`, `txt` `string`, `json` `unknown`, and a user decoder's field what it returns.
 *
 * @example
 * const loader = createLoader(fromShards('data/fmnist/train-{000..001}.tar', { seed: 1 }),
 *   decode({ image: 'gray', handler: 'warnAndContinue' }));
 * for await (const s of loader) console.log(s.__key__, s.png.shape, s.cls); // s.png: Image, s.cls: number
 * @throws RangeError/TypeError when an option is invalid. At run time, a sample that cannot be
 * decoded raises a `SampleError` (reason `'decode'`, naming shard, key and field) through `handler`.
 * @see parallelMap
 */
export function decode<S extends SampleIdentity = Sample, D extends Decoders = Record<never, never>>(
  options: DecodeOptions & { readonly decoders?: D } = {},
): HoldingOperatorFunction<S, DecodedSample<S, D>> {
  checkOptionKeys('decode', options, DECODE_KEYS);
  if (typeof options !== 'object' || options === null) throw typeError(ACTION, 'options must be an object', options);
  const mode = options.image ?? 'keep';
  if (!MODES.includes(mode)) throw rangeError(ACTION, `image must be one of ${MODES.join(', ')}`, mode);
  const maxPixels = checkInteger(ACTION, 'maxPixels', options.maxPixels ?? 64 * 1024 * 1024, 1);
  const maxGunzipBytes = checkInteger(
    ACTION,
    'maxGunzipBytes',
    options.maxGunzipBytes ?? 256 * 1024 * 1024,
    1,
    2 ** 32,
  );
  const fastPngMaxPixels = checkInteger(
    ACTION,
    'fastPngMaxPixels',
    options.fastPngMaxPixels ?? 128 * 128,
    0,
    4096 * 4096,
  );
  const cores = availableParallelism();
  const concurrency = checkInteger(ACTION, 'concurrency', options.concurrency ?? 2 * cores, 1, 65_536);
  const sharpConcurrency = checkInteger(ACTION, 'sharpConcurrency', options.sharpConcurrency ?? 1, 1, 1024);
  const handler = resolveHandler(options.handler);
  const decoders = new Map<string, FieldDecoder | null>();
  const given: Decoders = options.decoders ?? {};
  if (typeof given !== 'object' || given === null || Array.isArray(given))
    throw typeError(ACTION, 'decoders must be an object of functions', given);
  for (const [name, fn] of Object.entries(given)) {
    if (fn !== null && typeof fn !== 'function')
      throw typeError(ACTION, `decoders[${JSON.stringify(name)}] must be a function or null`, typeof fn);
    if (name === '') throw rangeError(ACTION, 'decoder names must not be empty', name);
    decoders.set(name.toLowerCase(), fn);
  }
  const jpeg = resolveJpegDecoder(options.jpegDecoder);
  sharp.concurrency(sharpConcurrency);
  const context: DecodeContext = {
    decoders,
    image: { mode, maxPixels, fastPngMaxPixels, jpegTurbo: jpeg },
    maxGunzipBytes,
    geometry: fusedGeometry(options),
  };
  const parallel = { concurrency, ordered: true, handler } as const;
  const op = parallelMap<Sample, Sample>((sample) => decodeSample(sample, context), parallel);
  const stage = holding(op.ndaflowHolds ?? 0, op, { name: 'decode' });
  const fused: FusesIntoBatch = {
    ndaflowIntoBatch: (size) =>
      holding(op.ndaflowHolds ?? 0, decodeIntoBatches(context, parallel, size), { name: 'decode' }),
  };
  // decodeSample maps fields by the rules DecodedSample states at the type level
  return Object.assign(stage, fused) as unknown as HoldingOperatorFunction<S, DecodedSample<S, D>>;
}

/**
 * `decode` fused with the `batch(size)` after it in a loader: the same samples in the same order,
 * with each (libjpeg-turbo, fused-crop) image written into its slot of the batch's memory (see
 * `internal/batch-slots.ts`). Slots are counted per run; a failed sample shifts the ones after it.
 */
function decodeIntoBatches(
  context: DecodeContext,
  parallel: ParallelMapOptions,
  size: number,
): OperatorFunction<Sample, Sample> {
  return (source) =>
    defer(() => {
      const slots = new BatchSlots(size);
      const decodeOne = (sample: Sample): Sample | Promise<Sample> => {
        const ticket = slots.enter();
        let result: Sample | Promise<Sample>;
        try {
          result = decodeSample(sample, context, (field, bytes) => slots.reserve(field, ticket, bytes));
        } catch (error) {
          slots.lost();
          throw error;
        }
        if (!(result instanceof Promise)) return result;
        return result.catch((error: unknown) => {
          slots.lost();
          throw error;
        });
      };
      return source.pipe(parallelMap(decodeOne, parallel));
    });
}

const JPEG_DECODERS = ['auto', 'libjpeg-turbo', 'sharp'] as const;

function resolveJpegDecoder(choice: unknown): JpegTurbo | null {
  const name = choice ?? 'auto';
  if (!JPEG_DECODERS.includes(name as (typeof JPEG_DECODERS)[number]))
    throw rangeError(ACTION, `jpegDecoder must be one of ${JPEG_DECODERS.join(', ')}`, name);
  if (name === 'sharp') return null;
  const turbo = jpegTurbo();
  if (turbo === null && name === 'libjpeg-turbo')
    throw rangeError(
      ACTION,
      `jpegDecoder 'libjpeg-turbo' needs libturbojpeg.so.0 (apt-get install libturbojpeg0), which did not load (${jpegTurboLoadError()})`,
      name,
    );
  return turbo;
}

/** The per-sample crop/flip of `decode({randomCrop, randomFlip})`, drawn exactly as the operators draw them. */
function fusedGeometry(options: DecodeOptions): ((sample: Sample) => Geometry) | undefined {
  const crop = options.randomCrop;
  const flip = options.randomFlip;
  const rrc = options.randomResizedCrop;
  if (crop === undefined && flip === undefined && rrc === undefined) return undefined;
  if (crop !== undefined && rrc !== undefined)
    throw rangeError(ACTION, 'randomCrop and randomResizedCrop cannot both be given', 'both');
  if (rrc !== undefined && (typeof rrc !== 'object' || rrc === null))
    throw typeError(ACTION, 'randomResizedCrop must be an object with a size', rrc);
  if (rrc?.shrinkOnLoad !== undefined && typeof rrc.shrinkOnLoad !== 'boolean')
    throw typeError(ACTION, 'randomResizedCrop.shrinkOnLoad must be a boolean', rrc.shrinkOnLoad);
  const resized = rrc ? resolveResizedCrop(ACTION, rrc) : undefined;
  const shrinkOnLoad = rrc?.shrinkOnLoad ?? true;
  if (crop !== undefined && (typeof crop !== 'object' || crop === null))
    throw typeError(ACTION, 'randomCrop must be an object with a size', crop);
  if (flip !== undefined && (typeof flip !== 'object' || flip === null))
    throw typeError(ACTION, 'randomFlip must be an object', flip);
  const spec = crop ? resolveCropSpec(ACTION, crop.size, crop.pad) : undefined;
  const cropSeed = crop ? resolveSeed(ACTION, crop.seed, crop.onSeed) : 0;
  const p = flip ? checkProbability(ACTION, 'randomFlip.p', flip.p ?? 0.5) : 0;
  const flipSeed = flip ? resolveSeed(ACTION, flip.seed, flip.onSeed) : 0;
  return (sample) => ({
    resizedCrop: resized
      ? {
          h: resized.h,
          w: resized.w,
          shrinkOnLoad,
          box: (H, W) =>
            resizedCropBox(
              sampleRandom(resized.seed, 'random-resized-crop', sample),
              H,
              W,
              resized.scale,
              resized.ratio,
            ),
        }
      : undefined,
    crop: spec
      ? { spec, window: (H, W) => cropWindow(sampleRandom(cropSeed, 'random-crop', sample), H, W, spec) }
      : undefined,
    flip: flip !== undefined && sampleRandom(flipSeed, 'random-flip', sample).float() < p,
  });
}

function checkProbability(action: string, name: string, p: unknown): number {
  if (typeof p !== 'number' || Number.isNaN(p)) throw typeError(action, `${name} must be a number`, p);
  if (p < 0 || p > 1) throw rangeError(action, `${name} must be in [0, 1]`, p);
  return p;
}
