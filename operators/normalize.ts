import type { OperatorFunction, MonoTypeOperatorFunction } from 'rxjs';
import { typeError, rangeError } from '../sources/errors.js';
import { resolveHandler, type ErrorHandler, type HandlerName } from '../sources/handlers.js';
import type { Image, Sample, SampleIdentity } from '../sources/sample.js';
import { checkFields } from './internal/check-fields.js';
import { checkNumber, imageStage } from './internal/image-stage.js';
import { checkOptionKeys, optionKeys } from '../sources/option-keys.js';

const NORMALIZE_KEYS = optionKeys<NormalizeOptions>({
  mean: true,
  std: true,
  scale: true,
  fields: true,
  handler: true,
});

/** Options of {@link normalize}. */
export interface NormalizeOptions {
  /** Per-channel mean, subtracted after scaling: one number for every channel, or one per channel (ImageNet: `[0.485, 0.456, 0.406]`). */
  readonly mean: number | readonly number[];
  /** Per-channel standard deviation (> 0) the result is divided by: one number, or one per channel (ImageNet: `[0.229, 0.224, 0.225]`). */
  readonly std: number | readonly number[];
  /** Factor applied to the pixels first (`1/255` maps 8-bit pixels to [0, 1], as torchvision's `ToTensor`). @default 1/255 */
  readonly scale?: number;
  /** The image fields to normalise. @default every field whose value is a decoded `Image` */
  readonly fields?: readonly string[];
  /**
   * What to do with a sample that lacks a named field (`'missing-field'`), whose named field is
   * not a decoded image, or whose channel count does not match `mean`/`std` (`'normalize'`): it is
   * skipped and counted, then the handler decides.
   * @default 'reraise'
   */
  readonly handler?: ErrorHandler | HandlerName;
}

/**
 * Turns each image into floats, `(x * scale - mean[c]) / std[c]` per channel: torchvision's
 * `ToTensor` + `Normalize`, the last step of the SimCLR/MoCo augmentations. This is where pixels
 * become `Float32Array` (4 bytes each): keep everything before it on 8-bit data, which moves a
 * quarter of the bytes. On `Uint8Array` data each channel's 256 possible results are computed once
 * (in double precision, then stored as float32), so the pass is one table lookup per value; a
 * `Float32Array` input is normalised again with the same formula. The shape is kept; the output is
 * a new `Float32Array`, the input is never modified. Deterministic (no randomness).
 *
 * @throws RangeError/TypeError for a bad mean, std, scale, fields or handler; at run time a
 *   `SampleError` (reason `'normalize'`) through the handler when an image has a channel count
 *   other than the length of a per-channel `mean`/`std`.
 * @example
 * createLoader(source, decode({ image: 'rgb' }), randomResizedCrop({ size: 224, seed: 1 }),
 *   normalize({ mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }), batch(64));
 */
export function normalize<S extends SampleIdentity = Sample>(options: NormalizeOptions): MonoTypeOperatorFunction<S>;
export function normalize(options: NormalizeOptions): OperatorFunction<Sample, Sample> {
  checkOptionKeys('normalize', options, NORMALIZE_KEYS);
  const action = 'create a normalize';
  if (typeof options !== 'object' || options === null)
    throw typeError(action, 'options must be an object with mean and std', options);
  const mean = perChannel(action, 'mean', options.mean, false);
  const std = perChannel(action, 'std', options.std, true);
  if (mean.length !== 1 && std.length !== 1 && mean.length !== std.length)
    throw rangeError(action, 'mean and std must have one length (or one of them a single number)', {
      mean: mean.length,
      std: std.length,
    });
  const scale = checkNumber(action, 'scale', options.scale ?? 1 / 255, -Infinity, Infinity);
  const fields = checkFields(action, options.fields);
  const handler = resolveHandler(options.handler);
  const channels = Math.max(mean.length, std.length);
  const tables = new Map<number, Float32Array>();
  const tableFor = (C: number): Float32Array => {
    let table = tables.get(C);
    if (!table) {
      table = new Float32Array(256 * C);
      for (let c = 0; c < C; c++) {
        const m = (mean.length === 1 ? mean[0] : mean[c]) as number;
        const s = (std.length === 1 ? std[0] : std[c]) as number;
        for (let v = 0; v < 256; v++) table[c * 256 + v] = (v * scale - m) / s;
      }
      tables.set(C, table);
    }
    return table;
  };
  const apply = (image: Image): Image => {
    const [H, W, C] = image.shape;
    if (channels !== 1 && C !== channels)
      throw new Error(`Cannot normalize an image of ${C} channels as mean and std give ${channels}`);
    const out = new Float32Array(H * W * C);
    if (image.data instanceof Uint8Array) normalize8(image.data, out, tableFor(C), C);
    else normalizeFloat(image.data, out, C, mean, std, scale);
    return { data: out, shape: [H, W, C] };
  };
  return imageStage({ verb: 'normalize', reason: 'normalize', fields, handler, prepare: () => apply });
}

function perChannel(action: string, name: string, value: unknown, positive: boolean): number[] {
  const values = typeof value === 'number' ? [value] : value;
  if (!Array.isArray(values) || values.length === 0)
    throw typeError(action, `${name} must be a number or a non-empty array of numbers`, value);
  return values.map((v: unknown, c) => {
    const label = typeof value === 'number' ? name : `${name}[${c}]`;
    const x = checkNumber(action, label, v, -Infinity, Infinity);
    if (positive && x <= 0) throw rangeError(action, `${label} must be > 0`, x);
    return x;
  });
}

function normalize8(src: Uint8Array, out: Float32Array, table: Float32Array, C: number): void {
  if (C === 3) {
    for (let i = 0; i < src.length; i += 3) {
      out[i] = table[src[i] as number] as number;
      out[i + 1] = table[256 + (src[i + 1] as number)] as number;
      out[i + 2] = table[512 + (src[i + 2] as number)] as number;
    }
  } else if (C === 1) {
    for (let i = 0; i < src.length; i++) out[i] = table[src[i] as number] as number;
  } else {
    for (let i = 0; i < src.length; i += C)
      for (let c = 0; c < C; c++) out[i + c] = table[c * 256 + (src[i + c] as number)] as number;
  }
}

function normalizeFloat(
  src: Float32Array,
  out: Float32Array,
  C: number,
  mean: readonly number[],
  std: readonly number[],
  scale: number,
): void {
  for (let c = 0; c < C; c++) {
    const m = (mean.length === 1 ? mean[0] : mean[c]) as number;
    const s = (std.length === 1 ? std[0] : std[c]) as number;
    for (let i = c; i < src.length; i += C) out[i] = ((src[i] as number) * scale - m) / s;
  }
}
