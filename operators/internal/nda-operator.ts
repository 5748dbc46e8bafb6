import { Observable, type OperatorFunction } from 'rxjs';
import { rangeError, typeError } from '../../sources/errors.js';
import { resolveHandler, type ErrorHandler, type HandlerName } from '../../sources/handlers.js';
import { lineagesOf, type Batch, type ImageBatch } from '../../sources/sample.js';
import { optionsRecord } from './nda-checks.js';
import type { NdaContext, NdaResult } from './nda-transform.js';
import { resolveSeed } from './resolve-seed.js';
import { handleStageError } from './stage-error.js';
import { subscribeSource } from './subscribe-source.js';

/** The options every single-transform NDA operator (`jigsaw`, `stitch`, `mixup`, ...) takes. */
export interface NdaOperatorOptions {
  /**
   * The stacked image field(s) (`[n, h, w, c]`, from `batch`) to replace with negatives. Several
   * fields of one batch get the same draws (partners, lambda, ...; sizes scale with each field).
   * @default every field of the batch that is a stacked image batch
   */
  readonly field?: string | readonly string[];
  /** Seed of the transform's draws. @default a fresh seed, reported with `onSeed` */
  readonly seed?: number;
  /**
   * What to do with a batch that cannot be transformed (a named field missing: reason
   * `'missing-field'`; no stacked image field, a size the transform refuses, a batch of one image
   * for a mixing transform: reason = the transform's name): its samples are skipped and counted,
   * then the handler decides.
   * @default 'reraise'
   */
  readonly handler?: ErrorHandler | HandlerName;
  /** Called once, when the operator is created, with the seed picked when none was given. @default prints it to stderr */
  readonly onSeed?: (seed: number) => void;
}

/**
 * Checks that an operator's options are an object (its factory checks their keys) and returns the
 * transform's part (the keys given, for the transform's factory).
 */
export function transformOptionsOf(
  action: string,
  options: unknown,
  transformKeys: readonly string[],
): Record<string, unknown> {
  const o = optionsRecord(action, options);
  const out: Record<string, unknown> = {};
  for (const k of transformKeys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

/** The part of a transform an operator uses (its apply may return more than an NdaResult). */
interface Applicable<R extends NdaResult> {
  readonly name: string;
  apply(images: ImageBatch, context: NdaContext): R;
}

/**
 * What the single-transform NDA operators share: for each batch, the transform's negatives replace
 * the image field(s); `__key__`, `__url__`, the lineage and every other field are kept (a new
 * object; the input batch and its pixels are not modified); for mixing transforms `__partner__`
 * lists each image's partner by key; `record` adds the transform's own facts (mixup's lambda, ...).
 * The epoch is the pass of the batch's first sample (its lineage), 0 without lineage.
 */
export function ndaOperator<R extends NdaResult>(
  action: string,
  transform: Applicable<R>,
  options: NdaOperatorOptions,
  record?: (out: Batch, results: ReadonlyMap<string, R>) => void,
): OperatorFunction<Batch, Batch> {
  const fields = resolveFields(action, options.field);
  const handler = resolveHandler(options.handler);
  const seed = resolveSeed(action, options.seed, options.onSeed);
  const reason = transform.name;
  const what = `make ${transform.name} negatives`;
  return (source) =>
    new Observable<Batch>((subscriber) =>
      subscribeSource(source, subscriber, {
        next: (batch) => {
          if (subscriber.closed) return;
          const fail = (error: Error, why = reason, field?: string): void =>
            void handleStageError(handler, error, batch, why, subscriber, field);
          if (typeof batch !== 'object' || batch === null || Array.isArray(batch)) {
            fail(
              typeError(
                what,
                'the item must be a batch of samples (from batch(n); not a tuple batch)',
                Array.isArray(batch) ? 'a tuple' : batch === null ? null : typeof batch,
              ),
            );
            return;
          }
          const names = fields ?? Object.keys(batch).filter((f) => isImageBatch(batch[f]));
          if (names.length === 0) {
            fail(typeError(what, 'the batch must have a stacked image field (decode, then batch)', Object.keys(batch)));
            return;
          }
          const keys = batch.__key__;
          for (const field of names) {
            const value = batch[field];
            if (value === undefined)
              return fail(
                new Error(`Cannot ${what} of field ${JSON.stringify(field)} as the batch lacks it`),
                'missing-field',
                field,
              );
            if (!isImageBatch(value))
              return fail(
                typeError(
                  `${what} of field ${JSON.stringify(field)}`,
                  'it must be a stacked image batch [n, h, w, c] (decode, then batch with collate)',
                  describe(value),
                ),
                reason,
                field,
              );
            if (!Array.isArray(keys) || keys.length !== value.shape[0]) {
              return fail(
                rangeError(
                  what,
                  `the batch must have one __key__ per image (${value.shape[0]})`,
                  Array.isArray(keys) ? keys.length : keys,
                ),
                reason,
                field,
              );
            }
          }
          const context: NdaContext = { seed, epoch: lineagesOf(batch)[0]?.pass ?? 0, keys };
          const out: Batch = { ...batch };
          const results = new Map<string, R>();
          for (const field of names) {
            let result: R;
            try {
              result = transform.apply(batch[field] as ImageBatch, context);
            } catch (error) {
              return fail(error instanceof Error ? error : new Error(String(error)), reason, field);
            }
            out[field] = result.images;
            results.set(field, result);
          }
          const partners = results.values().next().value?.partners;
          if (partners) out.__partner__ = Array.from(partners, (p) => keys[p] as string);
          record?.(out, results);
          subscriber.next(out);
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      }),
    );
}

function resolveFields(action: string, field: unknown): readonly string[] | undefined {
  if (field === undefined) return undefined;
  const list = typeof field === 'string' ? [field] : field;
  if (!Array.isArray(list) || list.length === 0)
    throw typeError(action, 'field must be a field name or a non-empty array of them', field);
  for (const f of list)
    if (typeof f !== 'string' || f === '') throw typeError(action, 'every field must be a non-empty string', f);
  return [...new Set(list as string[])];
}

function isImageBatch(v: unknown): v is ImageBatch {
  if (typeof v !== 'object' || v === null) return false;
  const b = v as Partial<ImageBatch>;
  return (
    (b.data instanceof Uint8Array || b.data instanceof Float32Array) && Array.isArray(b.shape) && b.shape.length === 4
  );
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object' && 'shape' in v) return `an image of shape [${String(v.shape)}]`;
  return typeof v;
}
