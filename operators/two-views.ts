import { Observable, Subject, type OperatorFunction, type Subscription } from 'rxjs';
import { rangeError, typeError } from '../sources/errors.js';
import { resolveHandler, type ErrorHandler, type HandlerName } from '../sources/handlers.js';
import { holding, type HoldingOperatorFunction, type HoldsSamples } from '../sources/loader.js';
import {
  LINEAGE,
  isImage,
  lineagesOf,
  settleSkipped,
  type Image,
  type LedgerLike,
  type Lineage,
  type Sample,
  type SampleIdentity,
} from '../sources/sample.js';
import { handleStageError } from './internal/stage-error.js';
import { subscribeSource } from './internal/subscribe-source.js';
import { checkOptionKeys, optionKeys } from '../sources/option-keys.js';

const TWO_VIEWS_KEYS = optionKeys<TwoViewsOptions>({
  field: true,
  names: true,
  keepInput: true,
  copyInput: true,
  handler: true,
});

/** The augmentation of one view: an operator, or a list of operators applied in order. */
export type ViewAugmentation = OperatorFunction<Sample, Sample> | readonly OperatorFunction<Sample, Sample>[];

/** Options of {@link twoViews}. */
export interface TwoViewsOptions {
  /**
   * The image field the views are made of (read from each augmented copy).
   * @default the one decoded image field of the augmented copy (a sample with several needs `field`)
   */
  readonly field?: string;
  /** Names of the two output fields, which `batch` then stacks. @default ['view0', 'view1'] */
  readonly names?: readonly [string, string];
  /** Keep the input's image (`field`) in the output besides the views. @default false */
  readonly keepInput?: boolean;
  /**
   * Give each augmented copy its own copies of the sample's typed arrays (image pixels, raw
   * bytes). Needed only when an augmentation moves buffers away (a `workerMap` transfers them to
   * its threads, leaving them empty here): ndaflow's operators never modify their input, so by
   * default both copies read the same pixels. Without it, a first view that took the pixels away
   * is detected and errors the stream, naming this option.
   * @default false
   */
  readonly copyInput?: boolean;
  /**
   * What to do with a sample whose augmented copy has no usable view (no decoded image, or several
   * and no `field`): the sample is skipped under reason `'two-views'` and counted, then the handler
   * decides. A copy that an augmentation skips is settled by that augmentation's own handler: the
   * sample is counted once, under the augmentation's reason.
   * @default 'reraise'
   */
  readonly handler?: ErrorHandler | HandlerName;
}

/** A sample waiting for its two views. */
interface Pending {
  readonly sample: Sample;
  readonly views: [Image | undefined, Image | undefined];
  readonly lineages: readonly [Lineage, Lineage];
}

const ACTION = 'create two views';

/**
 * The type of what {@link twoViews} emits: the sample without its image fields (the input image is
 * dropped unless `keepInput`; typed as dropped either way), plus the two views, `Image`s under `N`.
 */
export type TwoViewsSample<S, N extends readonly [string, string] = readonly ['view0', 'view1']> = {
  [K in keyof S as S[K] extends Image ? never : K]: S[K];
} & { [K in N[number]]: Image };

/**
 * Makes two independently augmented views of each sample, for contrastive learning (SimCLR,
 * MoCo): the sample goes through `augment` twice (or through `augment` and `augmentB`, for
 * asymmetric views as in BYOL), and ONE item comes out carrying both views:
 * `{...sample, view0: Image, view1: Image}` (the input's image field dropped unless `keepInput`),
 * with the sample's key, url and lineage, so `batch` stacks `view0` and `view1` into two
 * `[n, h, w, c]` batches and the loader counts the sample once.
 *
 * Different randomness per view: each copy carries a `__view__` tag (0 or 1) that every seeded
 * ndaflow operator mixes into its per-sample draws (`(seed, operator, epoch, key, view)`), so the
 * same operators with the same seeds give two different views, each reproducible, whatever the
 * order or concurrency. Your own `map` can read `sample.__view__` too. The tag does not reach
 * the output.
 *
 * Accounting: each copy travels with a lineage of its own that this operator watches, so a copy
 * that an augmentation skips (its handler continued) settles the sample as skipped once (under the
 * augmentation's reason) and the other view is discarded; a copy that an augmentation drops
 * without settling is counted as skipped (`'two-views'`) when the stream ends. The augmentations
 * must emit at most one sample per sample (no `batch` inside), keeping its lineage (every ndaflow
 * operator does; build new samples with `{...sample}`); anything else errors the stream.
 *
 * Order: a sample is emitted when both views are ready; with augmentations that keep order (every
 * ndaflow operator does, unless told `ordered: false`) that is the input order. Memory: the stage
 * holds the samples its augmentations hold (their declared `ndaflowHolds`, summed over the list and
 * both views; wrap an opaque `pipe(...)` with `holding(n, op)` so it counts). Teardown unsubscribes
 * both augmentations. Deterministic given the augmentations' seeds.
 *
 * @param augment The first view's augmentation, and the second's when no `augmentB` is given.
 * @param second `augmentB`, the second view's augmentation (asymmetric views, as in BYOL:
 *   `twoViews(strong, weak)`), or the options.
 * @throws RangeError/TypeError for a bad augmentation or option; at run time a `SampleError`
 *   (reason `'two-views'`) through the handler for a copy without a usable view.
 * @example
 * const mocoV2 = [
 *   randomResizedCrop({ size: 224, scale: [0.2, 1], seed: 1 }),
 *   colorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1, p: 0.8, seed: 2 }),
 *   randomGrayscale({ p: 0.2, seed: 3 }),
 *   gaussianBlur({ sigma: [0.1, 2], p: 0.5, seed: 4 }),
 *   randomFlip({ seed: 5 }),
 *   normalize({ mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }),
 * ];
 * const loader = createLoader(source, decode({ image: 'rgb' }), twoViews(mocoV2), batch(256));
 * for await (const b of loader) step(b.view0, b.view1); // each {data: Float32Array, shape: [256, 224, 224, 3]}
 * @see randomResizedCrop
 */
export function twoViews<
  S extends SampleIdentity = Sample,
  const N extends readonly [string, string] = readonly ['view0', 'view1'],
>(
  augment: ViewAugmentation,
  second?: ViewAugmentation | (TwoViewsOptions & { readonly names?: N }),
  options?: TwoViewsOptions & { readonly names?: N },
): HoldingOperatorFunction<S, TwoViewsSample<S, N>>;
export function twoViews(
  augment: ViewAugmentation,
  second?: ViewAugmentation | TwoViewsOptions,
  third?: TwoViewsOptions,
): HoldingOperatorFunction<never, unknown> {
  const secondIsAugment = typeof second === 'function' || Array.isArray(second);
  const options = ((secondIsAugment ? third : second) ?? {}) as TwoViewsOptions;
  if (typeof options !== 'object' || options === null) throw typeError(ACTION, 'options must be an object', options);
  checkOptionKeys('twoViews', options, TWO_VIEWS_KEYS);
  const opsA = checkAugmentation('augment', augment);
  const opsB = secondIsAugment ? checkAugmentation('augmentB', second as ViewAugmentation) : opsA;
  const field = options.field;
  if (field !== undefined && (typeof field !== 'string' || field === ''))
    throw typeError(ACTION, 'field must be a non-empty string', field);
  const names = options.names ?? ['view0', 'view1'];
  if (!Array.isArray(names) || names.length !== 2 || names.some((n) => typeof n !== 'string' || n === ''))
    throw typeError(ACTION, 'names must be two non-empty strings', names);
  if (names[0] === names[1]) throw rangeError(ACTION, 'names must differ', names);
  for (const n of names)
    if (n === '__key__' || n === '__url__' || n === '__view__')
      throw rangeError(ACTION, 'names must not be __key__, __url__ or __view__', n);
  const keepInput = options.keepInput ?? false;
  if (typeof keepInput !== 'boolean') throw typeError(ACTION, 'keepInput must be a boolean', keepInput);
  const copyInput = options.copyInput ?? false;
  if (typeof copyInput !== 'boolean') throw typeError(ACTION, 'copyInput must be a boolean', copyInput);
  const handler = resolveHandler(options.handler);
  const holds = holdsOf(opsA) + holdsOf(opsB);
  const chains = [compose(opsA), compose(opsB)] as const;

  const op: OperatorFunction<Sample, Sample> = (source) =>
    new Observable<Sample>((subscriber) => {
      const pending = new Map<Lineage, Pending>();
      const inputs = [new Subject<Sample>(), new Subject<Sample>()] as const;
      const finished = [false, false];
      let upstreamDone = false;
      let closed = false;

      /** Copies of samples already settled (skipped): if they still come out, they are dropped. */
      const discarded = new WeakSet<Lineage>();
      const forget = (entry: Pending, failed = false): void => {
        for (const lineage of entry.lineages) {
          pending.delete(lineage);
          if (failed) discarded.add(lineage);
        }
      };
      /** Settles what can no longer come out (the stream ended) as skipped, once. */
      const settleLeftovers = (): void => {
        const seen = new Set<Pending>(pending.values());
        pending.clear();
        for (const entry of seen)
          settleSkipped(
            entry.sample,
            'two-views',
            new Error(
              `Cannot make two views of sample ${JSON.stringify(entry.sample.__key__)} as an augmentation dropped a copy without settling it`,
            ),
          );
      };
      /** The ledger the copies' lineages point to: a copy skipped inside an augmentation skips its sample. */
      const viewLedger: LedgerLike = {
        settleSkipped: (lineage, reason, error) => {
          const entry = pending.get(lineage);
          if (!entry) return;
          forget(entry, true);
          settleSkipped(entry.sample, reason, error);
        },
        settleDelivered: () => undefined,
      };

      const receive = (view: 0 | 1, out: Sample): void => {
        if (closed || subscriber.closed) return;
        const lineages = lineagesOf(out);
        if (lineages.length === 1 && discarded.has(lineages[0] as Lineage)) {
          discarded.delete(lineages[0] as Lineage); // the other view failed: the sample is already settled
          return;
        }
        const entry = lineages.length === 1 ? pending.get(lineages[0] as Lineage) : undefined;
        if (!entry || entry.lineages[view] !== lineages[0] || entry.views[view] !== undefined) {
          subscriber.error(
            new TypeError(
              `Cannot make two views as an augmentation must emit at most one sample per sample, keeping its lineage (build new samples with {...sample}; no batch inside): it emitted ${describe(out)}`,
            ),
          );
          return;
        }
        let image: Image;
        try {
          image = viewOf(out, field);
        } catch (error) {
          forget(entry, true);
          handleStageError(handler, error, entry.sample, 'two-views', subscriber, field);
          return;
        }
        entry.views[view] = image;
        if (entry.views[1 - view] === undefined) return;
        forget(entry);
        const result: Sample = { ...entry.sample };
        const used = field ?? fieldOf(out);
        if (!keepInput && used !== undefined) delete result[used];
        result[names[0]] = entry.views[0];
        result[names[1]] = entry.views[1];
        subscriber.next(result);
      };

      const done = (view: 0 | 1): void => {
        if (closed || subscriber.closed) return;
        finished[view] = true;
        if (!upstreamDone) {
          subscriber.complete(); // the augmentation stopped (an error handler's stop): so do we
          return;
        }
        if (finished[0] && finished[1]) {
          settleLeftovers();
          subscriber.complete();
        }
      };

      const inner: Subscription[] = [0, 1].map((v) => {
        const view = v as 0 | 1;
        return chains[view](inputs[view].asObservable()).subscribe({
          next: (out) => receive(view, out),
          error: (error: unknown) => {
            if (!closed && !subscriber.closed) subscriber.error(error);
          },
          complete: () => done(view),
        });
      });

      const sub = subscribeSource(source, subscriber, {
        next: (sample) => {
          if (closed || subscriber.closed) return;
          const original = lineagesOf(sample)[0];
          const copyLineage = (): Lineage => ({
            ledger: viewLedger,
            pass: original?.pass ?? 0,
            shard: original?.shard ?? 0,
            index: original?.index ?? 0,
          });
          const entry: Pending = { sample, views: [undefined, undefined], lineages: [copyLineage(), copyLineage()] };
          pending.set(entry.lineages[0], entry);
          pending.set(entry.lineages[1], entry);
          const sizes = copyInput ? [] : byteLengths(sample);
          for (const view of [0, 1] as const) {
            if (closed || subscriber.closed || !pending.has(entry.lineages[view])) return;
            if (view === 1 && !copyInput && movedAway(sample, sizes)) {
              subscriber.error(
                new TypeError(
                  `Cannot make two views of sample ${JSON.stringify(sample.__key__)} as the first view's augmentation took its pixels away (a workerMap moves buffers to its threads): set copyInput: true`,
                ),
              );
              return;
            }
            const copy: Sample = {
              ...(copyInput ? copyArrays(sample) : sample),
              __view__: view,
              [LINEAGE]: entry.lineages[view],
            };
            inputs[view].next(copy);
          }
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          upstreamDone = true;
          inputs[0].complete();
          inputs[1].complete();
        },
      });

      return () => {
        closed = true;
        sub.unsubscribe();
        for (const s of inner) s.unsubscribe();
        pending.clear();
      };
    });
  return holding(holds, op);
}

function checkAugmentation(name: string, augment: unknown): readonly OperatorFunction<Sample, Sample>[] {
  const ops = typeof augment === 'function' ? [augment] : augment;
  if (!Array.isArray(ops))
    throw typeError(ACTION, `${name} must be an operator or an array of operators`, typeof augment);
  for (const op of ops)
    if (typeof op !== 'function') throw typeError(ACTION, `${name} must contain only operators (functions)`, typeof op);
  return ops as readonly OperatorFunction<Sample, Sample>[];
}

function holdsOf(ops: readonly OperatorFunction<Sample, Sample>[]): number {
  return ops.reduce((sum, op) => sum + ((op as HoldsSamples).ndaflowHolds ?? 0), 0);
}

function compose(ops: readonly OperatorFunction<Sample, Sample>[]): (source: Observable<Sample>) => Observable<Sample> {
  return (source) => ops.reduce((s, op) => op(s), source);
}

/** The name of the one decoded image field of `sample`, or undefined when there is not exactly one. */
function fieldOf(sample: Sample): string | undefined {
  const images = Object.keys(sample).filter((k) => isImage(sample[k]));
  return images.length === 1 ? images[0] : undefined;
}

function viewOf(out: Sample, field: string | undefined): Image {
  if (field !== undefined) {
    const image = out[field];
    if (!isImage(image))
      throw new Error(
        `Cannot make two views as field ${JSON.stringify(field)} of the augmented copy must be a decoded image (decode first)`,
      );
    return image;
  }
  const images = Object.keys(out).filter((k) => isImage(out[k]));
  if (images.length !== 1)
    throw new Error(
      `Cannot make two views as the augmented copy must have one decoded image field, or name it with the field option: it has ${images.length}${images.length ? ` (${images.join(', ')})` : ''}`,
    );
  return out[images[0] as string] as Image;
}

/** The byte lengths of the sample's typed arrays (images' pixels, raw bytes), to notice one moved away. */
function byteLengths(sample: Sample): number[] {
  const sizes: number[] = [];
  for (const value of Object.values(sample)) {
    if (isImage(value)) sizes.push(value.data.byteLength);
    else if (ArrayBuffer.isView(value)) sizes.push(value.byteLength);
  }
  return sizes;
}

/** True when one of the sample's typed arrays is now empty and was not (its buffer was transferred). */
function movedAway(sample: Sample, before: readonly number[]): boolean {
  const after = byteLengths(sample);
  return after.some((n, i) => n === 0 && (before[i] ?? 0) > 0);
}

/** The sample with its own copies of images' pixels and raw typed arrays (other values shared). */
function copyArrays(sample: Sample): Sample {
  const out: Sample = { ...sample };
  for (const [k, value] of Object.entries(sample)) {
    if (isImage(value)) out[k] = { data: value.data.slice(), shape: value.shape } satisfies Image;
    else if (value instanceof Uint8Array) out[k] = value.slice();
  }
  return out;
}

function describe(item: unknown): string {
  if (typeof item !== 'object' || item === null) return String(item);
  const key = (item as { __key__?: unknown }).__key__;
  const n = lineagesOf(item).length;
  return `an item with key ${JSON.stringify(key)} and ${n} lineage${n === 1 ? '' : 's'}${n === 1 ? ' not one of its copies (or twice)' : ''}`;
}
