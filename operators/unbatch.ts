import { Observable, type OperatorFunction } from 'rxjs';
import { resolveHandler, type ErrorHandler, type HandlerName } from '../sources/handlers.js';
import { LINEAGE, lineagesOf, type Sample } from '../sources/sample.js';
import { handleStageError } from './internal/stage-error.js';
import { subscribeSource } from './internal/subscribe-source.js';
import { checkOptionKeys, optionKeys } from '../sources/option-keys.js';

const UNBATCH_KEYS = optionKeys<UnbatchOptions>({ handler: true });

/** Options of {@link unbatch}. */
export interface UnbatchOptions {
  /**
   * What to do with an item that is not a batch, or whose fields do not hold one value per member:
   * its samples are skipped under reason `'unbatch'` and counted, then the handler decides.
   * @default 'reraise'
   */
  readonly handler?: ErrorHandler | HandlerName;
}

function isStacked(v: unknown): v is { data: Uint8Array | Float32Array; shape: readonly number[] } {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as { data?: unknown; shape?: unknown };
  return (
    (s.data instanceof Uint8Array || s.data instanceof Float32Array) && Array.isArray(s.shape) && s.shape.length === 4
  );
}

type Splitter = (i: number) => unknown;

/** How to take member `i`'s value out of a collated field, or an error message. */
function splitter(field: string, value: unknown, n: number): Splitter | string {
  if (isStacked(value)) {
    const [count, h, w, c] = value.shape as [number, number, number, number];
    const per = h * w * c;
    if (count !== n || value.data.length !== n * per)
      return `field ${JSON.stringify(field)} stacks ${count} images of shape [${value.shape.join(',')}] (${value.data.length} values) for ${n} members`;
    return (i) => ({ data: value.data.subarray(i * per, (i + 1) * per), shape: [h, w, c] as const });
  }
  if (Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView))) {
    const list = value as ArrayLike<unknown>;
    if (list.length !== n) return `field ${JSON.stringify(field)} holds ${list.length} values for ${n} members`;
    return (i) => list[i];
  }
  return () => value;
}

/**
 * The inverse of `batch`: emits each member of a batch as its own sample, in order. Collated fields
 * are split: a stacked image batch (`{data, shape: [n, h, w, c]}`) into per-sample images whose
 * `data` are views of the batch's array (no copy; they share its buffer), typed arrays and arrays
 * into their elements. A field that is not a list (a value set once for the whole batch) is given
 * to every member as it is. Member `i` gets `__key__[i]`, `__url__[i]` and the batch's `i`-th
 * lineage, so each sample is settled on its own downstream. A batch of tuples (from `toTuple` then
 * `batch`) becomes tuples again. Use it to go back to samples after a batch-level transform
 * (mixup, jigsaw on a batch). Deterministic.
 *
 * An item that is not a batch (no `__key__` array), a list field of the wrong length, or lineages
 * that do not match the members is an error (`'unbatch'`) that the handler sees; nothing of that
 * batch is emitted.
 *
 * @throws TypeError for an unknown handler.
 * @example
 * createLoader(source, decode(), batch(64), jigsawBatch(), unbatch(), batch(32));
 * @see batch
 */
export function unbatch(options: UnbatchOptions = {}): OperatorFunction<unknown, Sample> {
  checkOptionKeys('unbatch', options, UNBATCH_KEYS);
  const handler = resolveHandler(options.handler);
  return (source) =>
    new Observable<Sample>((subscriber) =>
      subscribeSource(source, subscriber, {
        next: (item) => {
          if (subscriber.closed) return;
          let members: Sample[];
          try {
            members = split(item);
          } catch (error) {
            handleStageError(handler, error, item, 'unbatch', subscriber);
            return;
          }
          for (const m of members) {
            if (subscriber.closed) return;
            subscriber.next(m);
          }
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      }),
    );
}

function split(item: unknown): Sample[] {
  const keys = typeof item === 'object' && item !== null ? (item as { __key__?: unknown }).__key__ : undefined;
  if (!Array.isArray(keys))
    throw new Error('Cannot unbatch an item as it is not a batch: its __key__ must be an array');
  const n = keys.length;
  const batchItem = item as Record<string, unknown> & { __url__?: unknown };
  const urls = Array.isArray(batchItem.__url__) ? (batchItem.__url__ as unknown[]) : undefined;
  if (urls && urls.length !== n)
    throw new Error(`Cannot unbatch an item as its __url__ holds ${urls.length} values for ${n} keys`);
  const lineages = lineagesOf(item);
  if (lineages.length !== 0 && lineages.length !== n)
    throw new Error(`Cannot unbatch an item as it carries ${lineages.length} lineages for ${n} keys`);
  const tuple = Array.isArray(item);
  const names = tuple
    ? (item as unknown[]).map((_, j) => String(j))
    : Object.keys(item as object).filter((f) => f !== '__key__' && f !== '__url__');
  const splitters: Splitter[] = names.map((f) => {
    const s = splitter(f, batchItem[f], n);
    if (typeof s === 'string') throw new Error(`Cannot unbatch an item as its ${s}`);
    return s;
  });
  const out: Sample[] = [];
  for (let i = 0; i < n; i++) {
    const key = keys[i] as string;
    const url = (urls ? urls[i] : batchItem.__url__) as string;
    let member: Sample;
    if (tuple) {
      const values = splitters.map((s) => s(i));
      Object.defineProperties(values, {
        __key__: { value: key, enumerable: false },
        __url__: { value: url, enumerable: false },
      });
      member = values as unknown as Sample;
    } else {
      member = { __key__: key, __url__: url };
      names.forEach((f, j) => {
        member[f] = (splitters[j] as Splitter)(i);
      });
    }
    if (lineages.length === n) member[LINEAGE] = lineages[i];
    out.push(member);
  }
  return out;
}
