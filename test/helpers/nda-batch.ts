import { firstValueFrom, from, toArray, type OperatorFunction } from 'rxjs';
import { LINEAGE, type Batch, type ImageBatch, type Lineage } from '../../sources/sample.js';
import type { RecordingLedger } from './recording-ledger.js';

/**
 * Helpers for the NDA transform tests: batches of pseudo-random pixels (a fixed LCG, so every test
 * sees the same data), naive pixel access, and batches carrying lineage.
 */

/** A stacked batch of pseudo-random pixels: uint8 0..255, or float32 with (nearly) unique values. */
export function pixels(
  shape: readonly [number, number, number, number],
  dtype: 'uint8' | 'float32' = 'uint8',
  seed = 1,
): ImageBatch {
  const len = shape[0] * shape[1] * shape[2] * shape[3];
  let s = seed >>> 0 || 1;
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
  const data =
    dtype === 'uint8'
      ? Uint8Array.from({ length: len }, () => next() >>> 24)
      : Float32Array.from({ length: len }, () => (next() >>> 8) / 16777216);
  return { data, shape: [...shape] as unknown as ImageBatch['shape'] };
}

/** A float32 batch whose every value is its own flat index (so any value says where it came from). */
export function indexed(shape: readonly [number, number, number, number]): ImageBatch {
  const len = shape[0] * shape[1] * shape[2] * shape[3];
  return { data: Float32Array.from({ length: len }, (_, i) => i), shape: [...shape] as unknown as ImageBatch['shape'] };
}

/** Value (i, y, x, c) of a stacked batch. */
export function at(b: ImageBatch, i: number, y: number, x: number, c: number): number {
  const [, H, W, C] = b.shape;
  return b.data[((i * H + y) * W + x) * C + c] as number;
}

/** The C values of pixel (i, y, x). */
export function pixel(b: ImageBatch, i: number, y: number, x: number): number[] {
  const C = b.shape[3];
  return Array.from({ length: C }, (_, c) => at(b, i, y, x, c));
}

/** A batch (as `batch` makes it) of the given keys, fields and pass, each member with a lineage of `ledger`. */
export function batchOf(
  ledger: RecordingLedger,
  keys: readonly string[],
  fields: Record<string, unknown>,
  pass = 0,
): Batch {
  const lineages = keys.map((k) => ledger.sample(k, {}, pass)[LINEAGE] as Lineage);
  return { __key__: [...keys], __url__: keys.map(() => 'mem://test.tar'), ...fields, [LINEAGE]: lineages };
}

/** Keys k0..k(n-1). */
export function keysOf(n: number, prefix = 'k'): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${i}`);
}

/** Runs batches through an operator and collects what it emits. */
export function run<T>(batches: readonly Batch[], op: OperatorFunction<Batch, T>): Promise<T[]> {
  return firstValueFrom(from(batches).pipe<T>(op).pipe(toArray()));
}

/** Same pixels, same shape, same type. */
export function sameImages(a: ImageBatch, b: ImageBatch): boolean {
  return (
    a.data.constructor === b.data.constructor &&
    a.shape.join() === b.shape.join() &&
    Buffer.compare(
      Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength),
      Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength),
    ) === 0
  );
}
