import { rangeError, typeError } from '../../sources/errors.js';
import type { ImageBatch } from '../../sources/sample.js';
import type { Random } from '../../sources/random.js';
import { derangement, nonIdentityPermutation, PARTNER_DRAWS, type PartnerDraw } from './nda-transform.js';

/**
 * Checks that a transform's options are a plain object and returns it as a record. Its keys are
 * checked by the factory itself (`checkOptionKeys` of `sources/option-keys.ts`), with one message
 * for every option-taking function.
 */
export function optionsRecord(action: string, options: unknown): Readonly<Record<string, unknown>> {
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw typeError(action, 'options must be an object', options);
  return options as Readonly<Record<string, unknown>>;
}

/** A finite number > 0 (a Beta parameter). */
export function checkPositive(action: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || Number.isNaN(value)) throw typeError(action, `${name} must be a number`, value);
  if (!(value > 0) || !Number.isFinite(value)) throw rangeError(action, `${name} must be a finite number > 0`, value);
  return value;
}

/** A probability, in [0, 1]. */
export function checkProbability(action: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || Number.isNaN(value)) throw typeError(action, `${name} must be a number`, value);
  if (value < 0 || value > 1) throw rangeError(action, `${name} must be in [0, 1]`, value);
  return value;
}

/** One of a few strings. */
export function checkChoice<T extends string>(action: string, name: string, value: unknown, choices: readonly T[]): T {
  if (!choices.includes(value as T))
    throw rangeError(action, `${name} must be ${choices.map((c) => `'${c}'`).join(' or ')}`, value);
  return value as T;
}

/** The dimensions of a stacked batch, checked against its data (a transform's input). */
export function batchDims(action: string, images: ImageBatch): readonly [n: number, h: number, w: number, c: number] {
  const shape = images?.shape;
  if (!Array.isArray(shape) || shape.length !== 4 || !shape.every((d) => Number.isInteger(d) && d >= 0))
    throw typeError(action, 'images must be a stacked batch of shape [n, h, w, c]', shape);
  const data = images.data;
  if (!(data instanceof Uint8Array || data instanceof Float32Array))
    throw typeError(action, 'the pixels must be a Uint8Array or a Float32Array', Object.prototype.toString.call(data));
  const [n, h, w, c] = shape as unknown as [number, number, number, number];
  if (data.length !== n * h * w * c)
    throw rangeError(
      action,
      `the data must hold n*h*w*c = ${n * h * w * c} values for shape [${shape.join(', ')}]`,
      data.length,
    );
  return [n, h, w, c];
}

/**
 * The partners of a batch for a mixing transform, drawn first from the batch's generator, so every
 * transform and field of a batch that draws partners first gets the same ones: a derangement (no
 * image is its own partner), or with `draw: 'official'` the official code's non-identity permutation
 * (see {@link PartnerDraw}). A batch must hold at least 2 images.
 */
export function drawPartners(action: string, n: number, rng: Random, draw: PartnerDraw = 'derangement'): Int32Array {
  if (n === 0) return new Int32Array(0);
  if (n < 2)
    throw rangeError(
      action,
      'a batch must hold at least 2 images (each image is mixed with another one; batch with partial: false)',
      n,
    );
  return draw === 'official' ? nonIdentityPermutation(n, rng) : derangement(n, rng);
}

/** The `partners` option of a mixing transform (see {@link PartnerDraw}). @default 'derangement' */
export function checkPartnerDraw(action: string, value: unknown): PartnerDraw {
  return checkChoice(action, 'partners', value ?? 'derangement', PARTNER_DRAWS);
}

/** The stacked batch of a transform's output: same shape as the input, new data. */
export function sameShape(images: ImageBatch, data: Uint8Array | Float32Array): ImageBatch {
  const [n, h, w, c] = images.shape;
  return { data, shape: [n, h, w, c] };
}
