import { Observable, type OperatorFunction } from 'rxjs';
import { checkInteger, typeError } from '../sources/errors.js';
import { resolveHandler, type ErrorHandler, type HandlerName } from '../sources/handlers.js';
import { holding, type HoldingOperatorFunction } from '../sources/loader.js';
import {
  LINEAGE,
  isImage,
  lineagesOf,
  settleSkipped,
  type Batch,
  type Image,
  type ImageBatch,
  type Lineage,
  type Sample,
} from '../sources/sample.js';
import type { BatchOf, UncollatedBatchOf } from './batch-of.js';
import { handleStageError } from './internal/stage-error.js';
import { subscribeSource } from './internal/subscribe-source.js';
import { checkOptionKeys, optionKeys } from '../sources/option-keys.js';
import type { CollatesBatches } from '../sources/loader-fusion.js';
import { blockOf } from './internal/batch-slots.js';

const BATCH_KEYS = optionKeys<BatchOptions>({ partial: true, collate: true, handler: true });

/** Options of {@link batch}. */
export interface BatchOptions {
  /**
   * Emit the last, incomplete batch when the stream ends. With `false` it is dropped, and its
   * samples are counted as skipped under reason `'partial-batch'` (nothing is lost silently).
   * @default true
   */
  readonly partial?: boolean;
  /**
   * Collate each field: images of one shape and dtype are stacked into one {@link ImageBatch}
   * (`[n, h, w, c]`, one contiguous typed array), numbers into a `Float64Array`, anything else into
   * an array. With `false` every field is a plain array of the members' values.
   * @default true
   */
  readonly collate?: boolean;
  /**
   * What to do when a batch cannot be collated (images of different shapes or dtypes, a field that
   * is an image in some members only, tuples of different lengths): the batch's samples are
   * skipped under reason `'collate'` and counted, then the handler decides.
   * @default 'reraise'
   */
  readonly handler?: ErrorHandler | HandlerName;
}

/** A failure to collate one field of a batch. */
class CollateError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

/**
 * Groups consecutive items into batches of `size`, as WebDataset's `batched`.
 *
 * Samples become a {@link Batch}: `__key__` and `__url__` are the members' keys and shards in
 * order, and each field is collated (see {@link BatchOptions.collate}):
 * - every member's value an `Image` of one shape and dtype: one stacked {@link ImageBatch}
 *   (a fresh `Uint8Array`/`Float32Array` of `n*h*w*c`, the members' pixels one after another;
 *   when a `decode` right before this stage in a loader decoded them into one block in order, that
 *   block, without a copy: see `releaseBatch`);
 * - every member's value a number: a `Float64Array`. Float64 holds every JavaScript number exactly,
 *   and the type does not change from batch to batch (labels `3` and `3.0` are the same number, so
 *   choosing Int32 for "integer-looking" batches would make the type depend on the data); make it
 *   `Int32Array.from(b.cls)` where a sink needs integers;
 * - anything else (strings, objects, raw bytes, a field some members lack): the array of values.
 *
 * Tuples (from `toTuple`) are collated position by position into a tuple of columns, as WebDataset
 * does for `to_tuple(...).batched(n)`; the result carries non-enumerable `__key__`/`__url__` arrays.
 *
 * The batch carries the lineage of all its members (`[LINEAGE]` is their array), so delivering it
 * settles them all. The operator holds up to `size` samples (declared with `holding`, so a loader
 * sizes its credit to fit). With `partial: false` the samples of the last incomplete batch are
 * settled as skipped (`'partial-batch'`). Deterministic.
 *
 * @param size Items per batch, >= 1.
 * @throws RangeError/TypeError for a bad `size`, `partial`, `collate` or handler; at run time a
 *   `SampleError` (reason `'collate'`) through the handler when images of different shapes meet.
 * Types: the output type is {@link BatchOf} the input's (`Image` fields -> `ImageBatch`, `number`
 * -> `Float64Array`, `__key__` and other fields -> arrays), or {@link UncollatedBatchOf} with
 * `collate: false`.
 *
 * @example
 * const loader = createLoader(fromShards('data/fmnist/train-{000..001}.tar', { seed: 1, shuffle: 1000 }), decode(), batch(64, { partial: false }));
 * for await (const b of loader) train(b.png, b.cls); // b.png: ImageBatch {data: Uint8Array, shape: [64, 28, 28, 1]}, b.cls: Float64Array
 * @see unbatch
 */
export function batch<T = Sample, const O extends BatchOptions = Record<never, never>>(
  size: number,
  options?: O,
): HoldingOperatorFunction<T, O extends { readonly collate: false } ? UncollatedBatchOf<T> : BatchOf<T>>;
export function batch(size: number, options: BatchOptions = {}): HoldingOperatorFunction<never, unknown> {
  checkOptionKeys('batch', options, BATCH_KEYS);
  const action = 'create a batch';
  checkInteger(action, 'size', size, 1);
  const partial = options.partial ?? true;
  if (typeof partial !== 'boolean') throw typeError(action, 'partial must be a boolean', partial);
  const collate = options.collate ?? true;
  if (typeof collate !== 'boolean') throw typeError(action, 'collate must be a boolean', collate);
  const handler = resolveHandler(options.handler);
  const op: OperatorFunction<unknown, Batch> = (source) =>
    new Observable<Batch>((subscriber) => {
      let members: unknown[] = [];
      const flush = (): void => {
        const group = members;
        members = [];
        let out: Batch;
        try {
          out = makeBatch(group, collate);
        } catch (error) {
          handleStageError(
            handler,
            error,
            shell(group),
            'collate',
            subscriber,
            error instanceof CollateError && error.field !== '' ? error.field : undefined,
          );
          return;
        }
        subscriber.next(out);
      };
      const sub = subscribeSource(source, subscriber, {
        next: (item) => {
          if (subscriber.closed) return;
          members.push(item);
          if (members.length >= size) flush();
        },
        error: (error: unknown) => {
          members = [];
          subscriber.error(error);
        },
        complete: () => {
          if (members.length > 0) {
            if (partial) flush();
            else {
              for (const m of members) settleSkipped(m, 'partial-batch');
              members = [];
            }
          }
          subscriber.complete();
        },
      });
      return () => {
        sub.unsubscribe();
        members = [];
      };
    });
  const stage = holding(size, op, { name: 'batch' });
  // a decode right before this stage in a loader writes its images into the batch's memory (loader-fusion.ts)
  return collate ? Object.assign(stage, { ndaflowBatchSize: size } satisfies CollatesBatches) : stage;
}

/** An item standing for a group that failed to collate: its keys, shards and lineages (to settle them all). */
function shell(group: readonly unknown[]): Batch {
  const out: Batch = { __key__: group.map(keyOf), __url__: group.map(urlOf) };
  const lineages = group.flatMap((m) => lineagesOf(m));
  if (lineages.length > 0) out[LINEAGE] = lineages;
  return out;
}

function keyOf(item: unknown): string {
  const k = typeof item === 'object' && item !== null ? (item as { __key__?: unknown }).__key__ : undefined;
  return typeof k === 'string' ? k : String(k);
}

function urlOf(item: unknown): string {
  const u = typeof item === 'object' && item !== null ? (item as { __url__?: unknown }).__url__ : undefined;
  return typeof u === 'string' ? u : String(u);
}

function makeBatch(group: readonly unknown[], collate: boolean): Batch {
  const keys = group.map(keyOf);
  const lineages: Lineage[] = group.flatMap((m) => lineagesOf(m));
  const tuples = group.filter((m) => Array.isArray(m)).length;
  let out: Batch;
  if (tuples === group.length) {
    const width = (group[0] as unknown[]).length;
    const bad = group.findIndex((m) => (m as unknown[]).length !== width);
    if (bad >= 0)
      throw new CollateError(
        `Cannot collate tuples as they must have one length: member 0 (${JSON.stringify(keys[0])}) has ${width}, member ${bad} (${JSON.stringify(keys[bad])}) has ${(group[bad] as unknown[]).length}`,
        '',
      );
    const columns: unknown[] = [];
    for (let j = 0; j < width; j++) {
      const values = group.map((m) => (m as unknown[])[j]);
      columns.push(collate ? collateField(String(j), values, keys) : values);
    }
    Object.defineProperties(columns, {
      __key__: { value: keys, enumerable: false },
      __url__: { value: group.map(urlOf), enumerable: false },
    });
    out = columns as unknown as Batch;
  } else {
    if (tuples > 0)
      throw new CollateError('Cannot collate a batch as its members must be all samples or all tuples', '');
    out = { __key__: keys, __url__: group.map(urlOf) };
    const fields: string[] = [];
    const known = new Set<string>(['__key__', '__url__']);
    for (const m of group) {
      if (typeof m !== 'object' || m === null)
        throw new CollateError(
          `Cannot batch an item as it must be a sample or a tuple: it is ${m === null ? 'null' : typeof m}`,
          '',
        );
      for (const f of Object.keys(m)) {
        if (!known.has(f)) {
          known.add(f);
          fields.push(f);
        }
      }
    }
    for (const f of fields) {
      const values = group.map((m) => (m as Record<string, unknown>)[f]);
      out[f] = collate ? collateField(f, values, keys) : values;
    }
  }
  if (lineages.length > 0) out[LINEAGE] = lineages;
  return out;
}

function describeImage(v: unknown): string {
  if (!isImage(v)) return `not an image (${v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v})`;
  return `${v.data instanceof Float32Array ? 'float32' : 'uint8'} [${v.shape.join(',')}]`;
}

/** One field's values -> its collated form (see {@link batch}). */
function collateField(field: string, values: readonly unknown[], keys: readonly string[]): unknown {
  const firstImage = values.findIndex(isImage);
  if (firstImage >= 0) {
    const ref = values[firstImage] as Image;
    const float = ref.data instanceof Float32Array;
    const [h, w, c] = ref.shape;
    const per = h * w * c;
    values.forEach((v, i) => {
      if (
        !isImage(v) ||
        v.data instanceof Float32Array !== float ||
        v.shape[0] !== h ||
        v.shape[1] !== w ||
        v.shape[2] !== c ||
        v.data.length !== per
      ) {
        throw new CollateError(
          `Cannot collate field ${JSON.stringify(field)} as its images must share one shape and dtype (resize or crop first, or batch with collate: false): ` +
            `member ${firstImage} (${JSON.stringify(keys[firstImage])}) is ${describeImage(ref)}, member ${i} (${JSON.stringify(keys[i])}) is ${describeImage(v)}`,
          field,
        );
      }
    });
    // Images a fused decode wrote into one block, in order, are the batch as they are (batch-slots.ts)
    const block = float ? undefined : blockOf(values as Image[], per);
    if (block !== undefined) return { data: block, shape: [values.length, h, w, c] } satisfies ImageBatch;
    // Every byte is written below, so skip the zero-fill of a fresh typed array (~1 ms for a batch of 64 RGB 224 px images).
    const bytes = per * values.length * (float ? 4 : 1);
    const memory = Buffer.allocUnsafeSlow(bytes).buffer;
    const data = float ? new Float32Array(memory, 0, per * values.length) : new Uint8Array(memory, 0, bytes);
    values.forEach((v, i) => data.set((v as Image).data, i * per));
    const stacked: ImageBatch = { data, shape: [values.length, h, w, c] };
    return stacked;
  }
  if (values.every((v) => typeof v === 'number')) return Float64Array.from(values as number[]);
  return [...values];
}
