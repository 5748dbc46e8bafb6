import { Observable, type OperatorFunction } from 'rxjs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { checkInteger, rangeError, typeError } from '../sources/errors.js';
import { resolveHandler, type ErrorHandler, type HandlerName } from '../sources/handlers.js';
import { holding, type HoldingOperatorFunction } from '../sources/loader.js';
import { Random } from '../sources/random.js';
import { LINEAGE, carryLineage, lineagesOf, type Batch, type ImageBatch, type Lineage } from '../sources/sample.js';
import type { NdaContext, NdaTransform } from './internal/nda-transform.js';
import { createNdaTransform } from './internal/nda-transforms.js';
import type { NdaAnswer, NdaTask } from './internal/nda-worker.js';
import { resolveSeed } from './internal/resolve-seed.js';
import { handleStageError } from './internal/stage-error.js';
import { slotStage, type Slot } from './internal/slot-stage.js';
import { poolExecArgv } from './internal/pool-exec-argv.js';
import { subscribeSource } from './internal/subscribe-source.js';
import { checkOptionKeys, optionKeys } from '../sources/option-keys.js';

const NDA_PAIRS_KEYS = optionKeys<NdaPairsOptions>({
  transforms: true,
  field: true,
  seed: true,
  onSeed: true,
  workers: true,
  mainThreadMaxBytes: true,
  concurrency: true,
  ordered: true,
  batchSize: true,
  handler: true,
  onPool: true,
});

/** One NDA transform of an {@link ndaPairs} mixture: by registry name (with options), or built. */
export interface NdaChoice {
  /** Registry name (`jigsaw`, `stitch`, `mixup`, `cutout`, `cutmix`, `shift`, `noise`); or give `transform`. */
  readonly name?: string;
  /** The transform's options (see each transform). @default {} */
  readonly options?: object;
  /** A transform already built (e.g. `jigsawTransform({k: 3})`), instead of `name`/`options`. */
  readonly transform?: NdaTransform;
  /** Relative weight of this transform in the mixture (> 0). @default 1 */
  readonly weight?: number;
}

/** A transform for {@link ndaPairs}: a registry name, a built transform, or a weighted choice. */
export type NdaSpec = string | NdaTransform | NdaChoice;

/** Options of {@link ndaPairs}. */
export interface NdaPairsOptions {
  /**
   * The negative transform, or a weighted mixture of them (`[{name: 'jigsaw', options: {k: 2},
   * weight: 2}, {name: 'cutout', weight: 1}]`). A mixture chooses **one transform per batch**, by
   * weight, from the batch's own generator (seed, epoch, the batch's keys): like the paper's
   * official code, where one run uses one NDA, every negative of a batch comes from one transform,
   * and over many batches the transforms appear in proportion to their weights.
   */
  readonly transforms: NdaSpec | readonly NdaSpec[];
  /**
   * The batch field holding the stacked images (`[n, h, w, c]`).
   * @default the batch's only stacked image field (a batch with none or several is an error)
   */
  readonly field?: string;
  /** Seed of every random choice (the mixture's pick, and the transforms' draws). @default a fresh seed, reported with `onSeed` */
  readonly seed?: number;
  /** Called once, when the operator is created, with the seed picked when none was given. @default prints it to stderr */
  readonly onSeed?: (seed: number) => void;
  /**
   * Worker threads that compute the negatives (`piscina`, created on the first batch that needs
   * it, destroyed when the subscription ends). `0` computes them on the main thread. `'auto'`
   * computes batches of at most `mainThreadMaxBytes` of pixels on the main thread and larger ones
   * on a pool of min(concurrency, cores) threads.
   *
   * Measured on 2 cores (`npm run bench:nda`, 2026-11-30): a [64, 32, 32, 3] batch (192 KiB) is
   * transformed in 50-110 us on the main thread (9,000-20,000 batches/s by transform), while a
   * round trip through the pool (copy, move, transform, move back) sustains only 4,000-12,000
   * batches/s: small batches stay on the main thread. A [64, 224, 224, 3] batch (9.4 MiB) costs
   * 1.5-4 ms (jigsaw: 3.6 ms inside the loader, cold caches), which blocks the main thread while
   * sharp's decodes wait for it: the loader (224 px JPEG photos, decode + crop + flip + batch 64)
   * kept 0.84 of its rate with jigsaw pairs on the main thread and 0.88-0.92 with the pool, so
   * large batches go to the pool. At 64-96 px the two measured the same.
   * @default 'auto'
   */
  readonly workers?: number | 'auto';
  /**
   * With `workers: 'auto'`: the largest batch (bytes of pixels) transformed on the main thread.
   * @default 262144 (256 KiB: a batch of 64 RGB 32 px images, 192 KiB, stays on the main thread)
   */
  readonly mainThreadMaxBytes?: number;
  /** Most batches in the stage at once (being transformed, or done and waiting for their turn). @default 2 */
  readonly concurrency?: number;
  /** Emit pairs in input order; with `false`, as soon as each is ready. @default true */
  readonly ordered?: boolean;
  /**
   * Samples per incoming batch, only to declare what the stage holds (`concurrency x batchSize`
   * samples) so that a loader keeps reading the next batches while these are transformed.
   * @default 64
   */
  readonly batchSize?: number;
  /**
   * What to do when a batch cannot be transformed (no image field, a transform that refuses the
   * image size, a thread that dies): its samples are skipped under reason `'nda'` and counted,
   * then the handler decides.
   * @default 'reraise'
   */
  readonly handler?: ErrorHandler | HandlerName;
  /** Called with each pool when it is created (monitoring, tests). @default none */
  readonly onPool?: (pool: Piscina) => void;
}

/**
 * A real batch and its negatives. The pair carries the batch's lineage (once: delivering the pair
 * settles each sample once).
 */
export interface NdaPair<B extends Batch = Batch> {
  /** The batch as it came in (same object). */
  readonly real: B;
  /**
   * The negatives: the real batch's fields (same keys and urls, in order; other fields shared with
   * `real`, not copied) with the image field replaced by the negatives, plus `__nda__` (the
   * transform's name, per image) and, for transforms that mix two images, `__partner__` (the
   * partner's key, per image). It carries no lineage of its own.
   */
  readonly negative: B & { readonly __nda__: string[]; readonly __partner__?: string[] };
  [LINEAGE]?: readonly Lineage[];
}

interface Resolved {
  readonly transform: NdaTransform;
  /** The registry can rebuild it in a thread. */
  readonly portable: boolean;
  readonly weight: number;
}

const ACTION = 'create ndaPairs';
const CHOICE_KEYS = optionKeys<NdaChoice>({ name: true, options: true, transform: true, weight: true });

/**
 * Turns a stream of batches (from `batch(n)`) into `{ real, negative }` pairs for negative data
 * augmentation: each real image gets one negative made by an NDA transform (`jigsaw`, `stitch`,
 * `mixup`, `cutout`, `cutmix`, `shift`, `noise`) or a weighted mixture of them, chosen per batch
 * (see {@link NdaPairsOptions.transforms}).
 *
 * Parallel and zero-copy: for a batch sent to the worker pool, its pixels are copied once into a
 * buffer of their own that is **moved** to the thread (the real batch stays intact on the main
 * thread), and the negatives are moved back; nothing is structured-cloned. While threads work, the
 * main thread goes on decoding and batching. At most `concurrency` batches are in the stage.
 * Each subscription creates its own pool and destroys it (threads terminated) on complete, error
 * and unsubscribe.
 *
 * Deterministic given a seed: the transform choice and every draw derive from (seed, epoch, the
 * batch's keys), so the negatives are the same whatever `workers`, `concurrency` or `ordered`.
 *
 * @throws RangeError/TypeError for an unknown transform name, bad transform options, or bad
 *   options; at run time a `SampleError` (reason `'nda'`) through the handler.
 * @example
 * const loader = createLoader(fromShards('data/fmnist/train-{000000..000003}.tar.gz', { seed: 1, shuffle: 1000 }),
 *   decode(), batch(64), ndaPairs({ transforms: [{ name: 'jigsaw', weight: 2 }, 'cutout'], seed: 1 }));
 * for await (const { real, negative } of loader) step(real.png, negative.png);
 * @see batch
 */
export function ndaPairs<B extends Batch = Batch>(options: NdaPairsOptions): HoldingOperatorFunction<B, NdaPair<B>>;
export function ndaPairs(options: NdaPairsOptions): HoldingOperatorFunction<Batch, NdaPair> {
  checkOptionKeys('ndaPairs', options, NDA_PAIRS_KEYS);
  if (typeof options !== 'object' || options === null)
    throw typeError(ACTION, 'options must be an object with transforms', options);
  const choices = resolveTransforms(options.transforms);
  const total = choices.reduce((s, c) => s + c.weight, 0);
  const field = options.field;
  if (field !== undefined && (typeof field !== 'string' || field === ''))
    throw typeError(ACTION, 'field must be a non-empty string', field);
  const onSeed = options.onSeed;
  if (onSeed !== undefined && typeof onSeed !== 'function')
    throw typeError(ACTION, 'onSeed must be a function', onSeed);
  const seed = resolveSeed(ACTION, options.seed, onSeed);
  const workersOption = options.workers ?? 'auto';
  if (workersOption !== 'auto') checkInteger(ACTION, 'workers', workersOption, 0, 256);
  const mainThreadMaxBytes = checkInteger(ACTION, 'mainThreadMaxBytes', options.mainThreadMaxBytes ?? 262_144, 0);
  const concurrency = checkInteger(ACTION, 'concurrency', options.concurrency ?? 2, 1, 1024);
  const ordered = options.ordered ?? true;
  if (typeof ordered !== 'boolean') throw typeError(ACTION, 'ordered must be a boolean', ordered);
  const batchSize = checkInteger(ACTION, 'batchSize', options.batchSize ?? 64, 1);
  const handler = resolveHandler(options.handler);
  const onPool = options.onPool;
  if (onPool !== undefined && typeof onPool !== 'function')
    throw typeError(ACTION, 'onPool must be a function', onPool);
  const threads = workersOption === 'auto' ? Math.min(concurrency, availableParallelism()) : workersOption;
  const entry = fileURLToPath(new URL('./internal/nda-worker.js', import.meta.url));

  const pick = (context: NdaContext): Resolved => {
    if (choices.length === 1) return choices[0] as Resolved;
    let x = Random.derive(context.seed, 'ndaPairs', context.epoch, context.keys.join('\u0000')).float() * total;
    for (const c of choices) {
      x -= c.weight;
      if (x < 0) return c;
    }
    return choices[choices.length - 1] as Resolved;
  };

  const op: OperatorFunction<Batch, NdaPair> = (source) =>
    new Observable<NdaPair>((subscriber) => {
      let pool: Piscina | undefined;
      let closed = false;

      /** Pixel buffers back from the threads, reused for the next batches' copies (at most `concurrency`). */
      const spares: (Uint8Array | Float32Array)[] = [];
      const recycle = (answer: NdaAnswer): void => {
        const input = answer.input;
        if (
          !(input instanceof Uint8Array || input instanceof Float32Array) ||
          input.byteLength === 0 ||
          input.byteLength !== input.buffer.byteLength
        )
          return;
        if (answer.kind === 'ok' && (answer.data.buffer === input.buffer || answer.partners?.buffer === input.buffer))
          return; // the negatives live in it
        if (spares.length >= concurrency) spares.shift();
        spares.push(input);
      };

      const poolOf = (): Piscina => {
        if (pool === undefined) {
          pool = new Piscina({
            filename: entry,
            minThreads: threads,
            maxThreads: threads,
            idleTimeout: 2 ** 31 - 1,
            execArgv: poolExecArgv(),
          });
          // A task that finishes while the pool is being destroyed (unsubscribe with batches in
          // flight) makes Piscina emit 'error' ("Unexpected message from Worker"); unhandled, that
          // event would crash the process.
          pool.on('error', (error: unknown) => {
            if (!closed) subscriber.error(error);
          });
          onPool?.(pool);
        }
        return pool;
      };

      /** Starts a batch's negatives; the slot is done at once when computed on the main thread, or failed. */
      const start = (slot: Slot<Batch, NdaPair>): void => {
        const b = slot.item;
        let name: string;
        let images: ImageBatch;
        let context: NdaContext;
        let choice: Resolved;
        try {
          name = field ?? imageFieldOf(b);
          slot.field = name;
          images = b[name] as ImageBatch;
          if (!isImageBatch(images))
            throw new TypeError(
              `Cannot make negatives of field ${JSON.stringify(name)} as it must be a stacked image batch ({data, shape: [n, h, w, c]}, from batch()): it is ${describe(images)}`,
            );
          if (!Array.isArray(b.__key__) || b.__key__.length !== images.shape[0])
            throw new TypeError(
              `Cannot make negatives of a batch as it must have one __key__ per image: ${Array.isArray(b.__key__) ? b.__key__.length : 'no'} keys for ${images.shape[0]} images`,
            );
          context = { seed, epoch: lineagesOf(b)[0]?.pass ?? 0, keys: b.__key__ };
          choice = pick(context);
        } catch (error) {
          slot.done = true;
          slot.error = error;
          return;
        }
        const onMain =
          !choice.portable ||
          threads === 0 ||
          (workersOption === 'auto' && images.data.byteLength <= mainThreadMaxBytes);
        if (onMain) {
          slot.done = true;
          try {
            const result = choice.transform.apply(images, context);
            slot.value = makePair(b, name, choice.transform.name, result.images, result.partners);
          } catch (error) {
            slot.error = error;
          }
          return;
        }
        const task: NdaTask = {
          name: choice.transform.name,
          options: choice.transform.options,
          data: copyInto(spares, images.data),
          shape: images.shape,
          seed,
          epoch: context.epoch,
          keys: context.keys,
        };
        poolOf()
          .run(task, { transferList: [task.data.buffer as ArrayBuffer] })
          .then(
            (answer: NdaAnswer) => {
              if (closed) return;
              recycle(answer);
              slot.done = true;
              if (answer.kind === 'error') slot.error = revive(answer.error);
              else {
                try {
                  slot.value = makePair(
                    b,
                    name,
                    choice.transform.name,
                    { data: answer.data, shape: answer.shape },
                    answer.partners,
                  );
                } catch (error) {
                  slot.error = error;
                }
              }
              stage.pump();
            },
            (error: unknown) => {
              if (closed) return;
              slot.done = true;
              slot.error = error;
              stage.pump();
            },
          );
      };

      const stage = slotStage<Batch, NdaPair>({
        ordered,
        concurrency,
        subscriber,
        isClosed: () => closed,
        start,
        fail: (slot) => handleStageError(handler, slot.error, slot.item, 'nda', subscriber, slot.field),
      });

      const sub = subscribeSource(source, subscriber, {
        next: (item) => stage.push(item),
        error: (error: unknown) => subscriber.error(error),
        complete: () => stage.end(),
      });
      return () => {
        closed = true;
        sub.unsubscribe();
        stage.clear();
        spares.length = 0;
        const p = pool;
        pool = undefined;
        p?.destroy().catch(() => undefined);
      };
    });
  return holding(concurrency * batchSize, op);
}

/** The options' transforms, each built (so a bad name or option fails here) and weighed. */
function resolveTransforms(spec: unknown): Resolved[] {
  const list = Array.isArray(spec) ? (spec as unknown[]) : [spec];
  if (list.length === 0) throw rangeError(ACTION, 'transforms must name at least one transform', spec);
  return list.map((s) => {
    if (typeof s === 'string') return { transform: createNdaTransform(s, {}), portable: true, weight: 1 };
    if (typeof s !== 'object' || s === null)
      throw typeError(ACTION, 'each transform must be a name, a transform, or {name, options, weight}', s);
    if (typeof (s as NdaTransform).apply === 'function')
      return { transform: s as NdaTransform, portable: rebuilds(s as NdaTransform), weight: 1 };
    checkOptionKeys('ndaPairs', s, CHOICE_KEYS, 'a transforms entry');
    const c = s as NdaChoice;
    const weight = c.weight ?? 1;
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0)
      throw rangeError(ACTION, 'a transform weight must be a finite number > 0', weight);
    if (c.transform !== undefined) {
      if (typeof c.transform !== 'object' || c.transform === null || typeof c.transform.apply !== 'function')
        throw typeError(ACTION, 'transform must be an NdaTransform', c.transform);
      if (c.name !== undefined || c.options !== undefined)
        throw typeError(ACTION, 'a choice takes either transform or name/options, not both', Object.keys(c));
      return { transform: c.transform, portable: rebuilds(c.transform), weight };
    }
    if (typeof c.name !== 'string')
      throw typeError(ACTION, 'a transform choice must have a name (or a transform)', c.name);
    if (c.options !== undefined && (typeof c.options !== 'object' || c.options === null))
      throw typeError(ACTION, `the options of ${c.name} must be an object`, c.options);
    return { transform: createNdaTransform(c.name, c.options ?? {}), portable: true, weight };
  });
}

/** Whether the registry rebuilds a transform from its name and options (so a worker thread can run it). */
function rebuilds(t: NdaTransform): boolean {
  try {
    const copy = createNdaTransform(t.name, t.options ?? {});
    return JSON.stringify(copy.options) === JSON.stringify(t.options);
  } catch {
    return false;
  }
}

function isImageBatch(v: unknown): v is ImageBatch {
  if (typeof v !== 'object' || v === null) return false;
  const b = v as Partial<ImageBatch>;
  return (
    (b.data instanceof Uint8Array || b.data instanceof Float32Array) && Array.isArray(b.shape) && b.shape.length === 4
  );
}

function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  return v === null ? 'null' : typeof v;
}

/** The batch's only stacked image field. */
function imageFieldOf(b: Batch): string {
  if (Array.isArray(b))
    throw new TypeError('Cannot make negatives of a tuple batch: batch samples (not tuples), or name the field');
  const fields = Object.keys(b).filter((k) => isImageBatch(b[k]));
  if (fields.length === 1) return fields[0] as string;
  throw new TypeError(
    fields.length === 0
      ? `Cannot make negatives of a batch as it must have a stacked image field (decode, then batch images of one shape): its fields are ${JSON.stringify(Object.keys(b))}`
      : `Cannot choose the image field of a batch as it has several (${JSON.stringify(fields)}): give ndaPairs a field`,
  );
}

function makePair(real: Batch, field: string, name: string, images: ImageBatch, partners: Int32Array | null): NdaPair {
  const keys = real.__key__;
  const n = keys.length;
  const negative: Record<string, unknown> = {};
  for (const k of Object.keys(real)) negative[k] = real[k];
  negative[field] = images;
  negative.__nda__ = new Array<string>(n).fill(name);
  if (partners !== null) {
    const partnerKeys = new Array<string>(n);
    for (let i = 0; i < n; i++) partnerKeys[i] = keys[partners[i] as number] as string;
    negative.__partner__ = partnerKeys;
  }
  return carryLineage(real, { real, negative: negative as NdaPair['negative'] });
}

/**
 * The pixels copied into a buffer of their own, to be moved to a thread: a spare one of the same
 * size and type when there is one (taken out of `spares`), else a new one. Reusing buffers matters
 * at 224 px: a fresh 9.6 MB buffer per batch costs page faults (measured: an echo task through
 * Piscina ran ~420/s with a new buffer each time, ~2,600/s with recycled ones).
 */
function copyInto(spares: (Uint8Array | Float32Array)[], data: Uint8Array | Float32Array): Uint8Array | Float32Array {
  const float = data instanceof Float32Array;
  const i = spares.findIndex((s) => s.length === data.length && s instanceof Float32Array === float);
  const target =
    i >= 0
      ? (spares.splice(i, 1)[0] as Uint8Array | Float32Array)
      : float
        ? new Float32Array(data.length)
        : new Uint8Array(data.length);
  target.set(data);
  return target;
}

function revive(failure: { name: string; message: string; stack?: string }): Error {
  const error = new Error(failure.message);
  error.name = failure.name;
  if (failure.stack) error.stack = failure.stack;
  return error;
}
