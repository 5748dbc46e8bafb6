import { rangeError, typeError } from '../../sources/errors.js';
import { nextWord, Random, seedWordStream } from '../../sources/random.js';
import type { ImageBatch } from '../../sources/sample.js';
import { checkOptionKeys, optionKeys } from '../../sources/option-keys.js';

const CREATE_CORRUPTION_KEYS = optionKeys<CorruptionOptions>({
  sigma: true,
  lambda: true,
  amount: true,
  blur: true,
  factor: true,
  block: true,
});

/**
 * A common corruption (in the spirit of Hendrycks & Dietterich's ImageNet-C and Mu & Gilmer's MNIST-C,
 * at one severity): a pure function of a uint8 batch and its keys.
 */
export interface Corruption {
  /** Registry name (`gaussian-noise`, `shot-noise`, `impulse-noise`, `gaussian-blur`, `contrast`, `pixelate`). */
  readonly name: string;
  /** The resolved severity parameter (see {@link CorruptionOptions}). */
  readonly options: Readonly<Record<string, number>>;
  /**
   * Corrupts every image of a uint8 batch `[n, h, w, c]` into a new batch of the same shape (the input
   * is not modified). The randomness of image i is `Random.derive(seed, 'corruption', name, keys[i])`.
   */
  apply(images: ImageBatch, context: CorruptionContext): ImageBatch;
}

/** What a corruption needs besides the pixels. */
export interface CorruptionContext {
  /** Seed of the randomness. An integer in [0, 2^32 - 1]. */
  readonly seed: number;
  /** The images' `__key__`s, one per image. */
  readonly keys: readonly string[];
}

/**
 * The severity parameter of each corruption (one per name; each defaults to about ImageNet-C's severity 3
 * adapted to 28-32 px greyscale images). Pixel values are taken in [0, 1] (`x / 255`).
 */
export interface CorruptionOptions {
  /** `gaussian-noise`: standard deviation of the added noise, in [0, 1] units. @default 0.2 */
  readonly sigma?: number;
  /** `shot-noise`: photons per unit intensity: `Poisson(x * lambda) / lambda`. @default 12 */
  readonly lambda?: number;
  /** `impulse-noise`: fraction of values set to 0 or 255 (salt and pepper, half each). @default 0.09 */
  readonly amount?: number;
  /** `gaussian-blur`: standard deviation of the blur kernel in pixels (radius `ceil(3 * sigma)`, edges clamped). @default 1 */
  readonly blur?: number;
  /** `contrast`: factor towards each image's per-channel mean (`(x - mean) * factor + mean`). @default 0.3 */
  readonly factor?: number;
  /** `pixelate`: side of the square blocks averaged into one value. @default 3 */
  readonly block?: number;
}

type Kernel = (
  src: Uint8Array,
  dst: Uint8Array,
  h: number,
  w: number,
  c: number,
  words: Int32Array,
  value: number,
) => void;

/** Name -> [option, default, min, max, integer?, random?, kernel]. */
const REGISTRY: Readonly<
  Record<string, readonly [keyof CorruptionOptions, number, number, number, boolean, boolean, Kernel]>
> = {
  'gaussian-noise': ['sigma', 0.2, 0, 10, false, true, gaussianNoise],
  'shot-noise': ['lambda', 12, 0.1, 1000, false, true, shotNoise],
  'impulse-noise': ['amount', 0.09, 0, 1, false, true, impulseNoise],
  'gaussian-blur': ['blur', 1, 0.1, 10, false, false, gaussianBlur],
  contrast: ['factor', 0.3, 0, 1, false, false, contrast],
  pixelate: ['block', 3, 1, 64, true, false, pixelate],
};

/** The registered corruption names. */
export const CORRUPTION_NAMES: readonly string[] = Object.keys(REGISTRY);

/**
 * Builds a common corruption from its registry name (as `createNdaTransform` builds an NDA transform):
 * `gaussian-noise`, `shot-noise` (Poisson), `impulse-noise` (salt and pepper), `gaussian-blur`,
 * `contrast` (reduction) and `pixelate`, each at one severity (its one option, see
 * {@link CorruptionOptions}). Shift, jigsaw and friends are NDA transforms, not corruptions. Works on
 * uint8 `[n, h, w, c]` batches, rounding and clamping to [0, 255]; deterministic given (seed, key):
 * the random ones draw from `Random.derive(seed, 'corruption', name, key)` (through a fast word stream).
 *
 * @throws RangeError for an unknown name or an out-of-range option; TypeError for an option of another
 *   corruption or of the wrong type. `apply` throws TypeError/RangeError for a batch that is not uint8
 *   `[n, h, w, c]` or keys that do not match it.
 * @example
 * const noisy = createCorruption('gaussian-noise').apply(batch, { seed: 1, keys });
 */
export function createCorruption(name: string, options: CorruptionOptions = {}): Corruption {
  checkOptionKeys('createCorruption', options, CREATE_CORRUPTION_KEYS);
  const action = 'create a corruption';
  const entry = typeof name === 'string' && Object.hasOwn(REGISTRY, name) ? REGISTRY[name] : undefined;
  if (entry === undefined) throw rangeError(action, `the name must be one of ${CORRUPTION_NAMES.join(', ')}`, name);
  const [option, fallback, min, max, integer, random, kernel] = entry;
  if (typeof options !== 'object' || options === null) throw typeError(action, 'options must be an object', options);
  for (const key of Object.keys(options)) {
    if (key !== option) throw typeError(`create a ${name} corruption`, `its only option is ${option}`, key);
  }
  const value = (options as Record<string, unknown>)[option] ?? fallback;
  if (typeof value !== 'number' || Number.isNaN(value))
    throw typeError(`create a ${name} corruption`, `${option} must be a number`, value);
  if (value < min || value > max || (integer && !Number.isInteger(value))) {
    throw rangeError(
      `create a ${name} corruption`,
      `${option} must be ${integer ? 'an integer ' : ''}in [${min}, ${max}]`,
      value,
    );
  }
  return {
    name,
    options: { [option]: value },
    apply(images: ImageBatch, context: CorruptionContext): ImageBatch {
      const act = `apply the ${name} corruption`;
      const { data, shape } = (images ?? {}) as Partial<ImageBatch>;
      if (!(data instanceof Uint8Array))
        throw typeError(act, 'the images must be a uint8 batch', data?.constructor?.name ?? typeof data);
      if (!Array.isArray(shape) || shape.length !== 4 || !shape.every((s) => Number.isInteger(s) && s >= 0))
        throw rangeError(act, 'the shape must be [n, h, w, c]', shape);
      const [n, h, w, c] = shape as [number, number, number, number];
      const per = h * w * c;
      if (data.length !== n * per)
        throw rangeError(act, `the data must hold ${n * per} values for shape ${JSON.stringify(shape)}`, data.length);
      if (!Array.isArray(context?.keys) || context.keys.length !== n)
        throw rangeError(
          act,
          `keys must have one key per image (${n})`,
          Array.isArray(context?.keys) ? context.keys.length : typeof context?.keys,
        );
      const out = new Uint8Array(data.length);
      const words = new Int32Array(4);
      for (let i = 0; i < n; i++) {
        if (random) seedWordStream(words, Random.derive(context.seed, 'corruption', name, String(context.keys[i])));
        kernel(data.subarray(i * per, (i + 1) * per), out.subarray(i * per, (i + 1) * per), h, w, c, words, value);
      }
      return { data: out, shape: [n, h, w, c] };
    },
  };
}

const clamp = (v: number): number => (v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v));
/** Uniform in (0, 1] from one word. */
const uniform = (s: Int32Array): number => ((nextWord(s) >>> 0) + 1) / 4294967296;

function gaussianNoise(
  src: Uint8Array,
  dst: Uint8Array,
  _h: number,
  _w: number,
  _c: number,
  s: Int32Array,
  sigma: number,
): void {
  const scale = sigma * 255;
  for (let i = 0; i < src.length; i += 2) {
    // Box-Muller: two normals per two uniforms
    const r = Math.sqrt(-2 * Math.log(uniform(s)));
    const t = 2 * Math.PI * uniform(s);
    dst[i] = clamp(src[i]! + scale * r * Math.cos(t));
    if (i + 1 < src.length) dst[i + 1] = clamp(src[i + 1]! + scale * r * Math.sin(t));
  }
}

function shotNoise(
  src: Uint8Array,
  dst: Uint8Array,
  _h: number,
  _w: number,
  _c: number,
  s: Int32Array,
  lambda: number,
): void {
  for (let i = 0; i < src.length; i++) {
    const mean = (src[i]! / 255) * lambda;
    let k: number;
    if (mean < 30) {
      // Knuth: count uniforms until their product drops below e^-mean
      const limit = Math.exp(-mean);
      let p = uniform(s);
      k = 0;
      while (p > limit) {
        k++;
        p *= uniform(s);
      }
    } else {
      // normal approximation for large means
      const r = Math.sqrt(-2 * Math.log(uniform(s))) * Math.cos(2 * Math.PI * uniform(s));
      k = Math.max(0, Math.round(mean + Math.sqrt(mean) * r));
    }
    dst[i] = clamp((k / lambda) * 255);
  }
}

function impulseNoise(
  src: Uint8Array,
  dst: Uint8Array,
  _h: number,
  _w: number,
  _c: number,
  s: Int32Array,
  amount: number,
): void {
  for (let i = 0; i < src.length; i++) {
    const u = uniform(s);
    dst[i] = u <= amount / 2 ? 0 : u <= amount ? 255 : src[i]!;
  }
}

function gaussianBlur(
  src: Uint8Array,
  dst: Uint8Array,
  h: number,
  w: number,
  c: number,
  _s: Int32Array,
  sigma: number,
): void {
  const radius = Math.ceil(3 * sigma);
  const kernel = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let k = -radius; k <= radius; k++) sum += kernel[k + radius] = Math.exp(-(k * k) / (2 * sigma * sigma));
  for (let k = 0; k < kernel.length; k++) kernel[k]! /= sum;
  const tmp = new Float64Array(src.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let ch = 0; ch < c; ch++) {
        let v = 0;
        for (let k = -radius; k <= radius; k++) {
          const xx = x + k < 0 ? 0 : x + k >= w ? w - 1 : x + k;
          v += kernel[k + radius]! * src[(y * w + xx) * c + ch]!;
        }
        tmp[(y * w + x) * c + ch] = v;
      }
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let ch = 0; ch < c; ch++) {
        let v = 0;
        for (let k = -radius; k <= radius; k++) {
          const yy = y + k < 0 ? 0 : y + k >= h ? h - 1 : y + k;
          v += kernel[k + radius]! * tmp[(yy * w + x) * c + ch]!;
        }
        dst[(y * w + x) * c + ch] = clamp(v);
      }
    }
  }
}

function contrast(
  src: Uint8Array,
  dst: Uint8Array,
  h: number,
  w: number,
  c: number,
  _s: Int32Array,
  factor: number,
): void {
  for (let ch = 0; ch < c; ch++) {
    let sum = 0;
    for (let p = 0; p < h * w; p++) sum += src[p * c + ch]!;
    const mean = h * w > 0 ? sum / (h * w) : 0;
    for (let p = 0; p < h * w; p++) dst[p * c + ch] = clamp((src[p * c + ch]! - mean) * factor + mean);
  }
}

function pixelate(
  src: Uint8Array,
  dst: Uint8Array,
  h: number,
  w: number,
  c: number,
  _s: Int32Array,
  block: number,
): void {
  for (let by = 0; by < h; by += block) {
    for (let bx = 0; bx < w; bx += block) {
      const y1 = Math.min(h, by + block);
      const x1 = Math.min(w, bx + block);
      for (let ch = 0; ch < c; ch++) {
        let sum = 0;
        for (let y = by; y < y1; y++) for (let x = bx; x < x1; x++) sum += src[(y * w + x) * c + ch]!;
        const v = clamp(sum / ((y1 - by) * (x1 - bx)));
        for (let y = by; y < y1; y++) for (let x = bx; x < x1; x++) dst[(y * w + x) * c + ch] = v;
      }
    }
  }
}
