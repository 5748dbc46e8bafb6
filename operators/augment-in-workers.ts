import { rangeError, typeError } from '../sources/errors.js';
import type { HoldingOperatorFunction } from '../sources/loader.js';
import type { Sample, SampleIdentity } from '../sources/sample.js';
import { AUGMENT_OPS, buildAugmentChain, type AugmentStep } from './internal/augment-worker.js';
import { workerMap, type WorkerMapOptions } from './worker-map.js';
import { checkOptionKeys, optionKeys } from '../sources/option-keys.js';

const AUGMENT_IN_WORKERS_KEYS = optionKeys<AugmentInWorkersOptions>({
  concurrency: true,
  threads: true,
  ordered: true,
  handler: true,
  onPool: true,
});

export type { AugmentStep, AugmentStepOptions } from './internal/augment-worker.js';

/** Options of {@link augmentInWorkers}: those of {@link workerMap} that apply. */
export interface AugmentInWorkersOptions {
  /** Most samples inside the stage at once (sent to a thread, or done and waiting for their turn). @default the number of cores */
  readonly concurrency?: number;
  /** Worker threads in the pool. @default min(concurrency, number of cores) */
  readonly threads?: number;
  /** Emit results in input order; with `false` each result is emitted as soon as it is ready. @default true */
  readonly ordered?: boolean;
  /**
   * What to do with a sample a step cannot process (a missing field, an image that is not
   * decoded, ...), or whose thread dies: it is skipped under reason `'worker-map'` and counted,
   * then the handler decides. (Steps take no handler of their own: inside the threads every step
   * re-raises, so every failure reaches this one.)
   * @default 'reraise'
   */
  readonly handler?: WorkerMapOptions['handler'];
  /** Called with each subscription's pool (a Piscina instance) when it is created, for monitoring. @default none */
  readonly onPool?: WorkerMapOptions['onPool'];
}

const ACTION = 'augment in workers';

/**
 * Runs a chain of positive augmentations (`randomResizedCrop`, `colorJitter`, `randomGrayscale`,
 * `gaussianBlur`, `randomFlip`, `randomCrop`, `normalize`) on a pool of worker threads, through
 * {@link workerMap}: use it when the augmentations hold the main thread (a MoCo-v2 chain at 224 px
 * costs ~10 ms per sample in JavaScript). The chain is data, not functions, so that it can reach
 * the threads: a list of `{ op, options }` steps, each naming one of the operators above with its
 * options as JSON (no `handler` or `onSeed`; use this operator's `handler`). Each thread builds the
 * operators once and runs every sample through them.
 *
 * Every stochastic step must be given its `seed` (a thread must not pick its own): per-sample
 * draws then come from `(seed, operator, epoch, key)` exactly as on the main thread (the epoch
 * travels with the sample), so the output equals, pixel for pixel, that of the same operators
 * piped on the main thread, whatever the concurrency. Deterministic given the seeds.
 *
 * The chain is validated, and its operators built once, when the stage is declared. Samples cross
 * threads as `workerMap` moves them (their image buffers are transferred: don't reuse an input
 * sample after this stage); key, url and lineage are kept. Holds at most `concurrency` samples;
 * each subscription has its own pool, whose threads end on complete, error and unsubscribe.
 *
 * @param chain The steps, in order (at least one).
 * @throws TypeError/RangeError at declaration for an unknown op name, options that are not JSON,
 *   a stochastic step without a seed, a `handler`/`onSeed` in a step, or any option the operator
 *   itself rejects; at run time a `SampleError` (reason `'worker-map'`) through `handler`.
 * @example
 * // MoCo-v2's augmentation, on 2 threads:
 * createLoader(source, decode({ image: 'rgb' }), augmentInWorkers([
 *   { op: 'randomResizedCrop', options: { size: 224, scale: [0.2, 1], seed: 1 } },
 *   { op: 'colorJitter', options: { brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1, p: 0.8, seed: 2 } },
 *   { op: 'randomGrayscale', options: { p: 0.2, seed: 3 } },
 *   { op: 'gaussianBlur', options: { sigma: [0.1, 2], p: 0.5, seed: 4 } },
 *   { op: 'randomFlip', options: { seed: 5 } },
 *   { op: 'normalize', options: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } },
 * ], { concurrency: 4, threads: 2 }), batch(64));
 * @see workerMap
 */
export function augmentInWorkers<S extends SampleIdentity = Sample>(
  chain: readonly AugmentStep[],
  options?: AugmentInWorkersOptions,
): HoldingOperatorFunction<S, S>;
export function augmentInWorkers(
  chain: readonly AugmentStep[],
  options: AugmentInWorkersOptions = {},
): HoldingOperatorFunction<Sample, Sample> {
  checkOptionKeys('augmentInWorkers', options, AUGMENT_IN_WORKERS_KEYS);
  if (typeof options !== 'object' || options === null) throw typeError(ACTION, 'options must be an object', options);
  const steps = checkChain(chain);
  buildAugmentChain(steps); // each operator validates its options here, at declaration
  const module = new URL('./internal/augment-worker.js', import.meta.url);
  module.searchParams.set('chain', JSON.stringify(steps));
  const { concurrency, threads, ordered, handler, onPool } = options;
  return workerMap<Sample, Sample>(module, { concurrency, threads, ordered, handler, onPool });
}

/** The chain, checked step by step, as plain `{ op, options }` objects. */
function checkChain(chain: unknown): AugmentStep[] {
  if (!Array.isArray(chain)) throw typeError(ACTION, 'the chain must be an array of { op, options } steps', chain);
  if (chain.length === 0) throw rangeError(ACTION, 'the chain must have at least one step', chain);
  const names = Object.keys(AUGMENT_OPS);
  return chain.map((step: unknown, i): AugmentStep => {
    const at = `chain[${i}]`;
    if (typeof step !== 'object' || step === null || Array.isArray(step))
      throw typeError(ACTION, `${at} must be an object { op, options }`, step);
    const extra = Object.keys(step).filter((k) => k !== 'op' && k !== 'options');
    if (extra.length > 0) throw rangeError(ACTION, `${at} must have only the keys "op" and "options"`, extra);
    const { op, options } = step as { op?: unknown; options?: unknown };
    if (typeof op !== 'string') throw typeError(ACTION, `${at}.op must be a string, one of ${names.join(', ')}`, op);
    if (!Object.hasOwn(AUGMENT_OPS, op)) throw rangeError(ACTION, `${at}.op must be one of ${names.join(', ')}`, op);
    const spec = AUGMENT_OPS[op as AugmentStep['op']];
    if (!isPlainObject(options)) throw typeError(ACTION, `${at}.options must be a plain object`, options);
    const bad = firstNonJson(options, `${at}.options`);
    if (bad !== null)
      throw typeError(
        ACTION,
        `${bad.path} must be JSON (a finite number, string, boolean, null, array or plain object)`,
        describe(bad.value),
      );
    for (const key of ['handler', 'onSeed']) {
      if (key in options)
        throw rangeError(
          ACTION,
          `${at}.options must not have "${key}" (give augmentInWorkers its handler; seeds are required)`,
          key,
        );
    }
    if (spec.seeded && options.seed === undefined)
      throw rangeError(
        ACTION,
        `${at}.options.seed must be given (${op} is random, and every thread must draw from the same seed)`,
        options,
      );
    return { op, options } as AugmentStep;
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The first value under `value` that does not survive JSON as itself, with its path; null if none. */
function firstNonJson(value: unknown, path: string): { path: string; value: unknown } | null {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return null;
  if (typeof value === 'number') return Number.isFinite(value) ? null : { path, value };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const bad = firstNonJson(value[i], `${path}[${i}]`);
      if (bad !== null) return bad;
    }
    return null;
  }
  if (isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue; // dropped by JSON: the operator's default, as on the main thread
      const bad = firstNonJson(v, `${path}.${k}`);
      if (bad !== null) return bad;
    }
    return Object.getOwnPropertySymbols(value).length > 0 ? { path, value: 'an object with symbol keys' } : null;
  }
  return { path, value };
}

/** A value for an error message (functions and the like have no JSON form). */
function describe(value: unknown): unknown {
  if (typeof value === 'function') return `a function ${value.name || '(anonymous)'}`;
  if (typeof value === 'number' || typeof value === 'string') return value;
  if (value === undefined) return 'undefined';
  if (typeof value === 'object' && value !== null)
    return `an instance of ${value.constructor?.name ?? 'an unknown class'}`;
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- only a symbol, bigint or boolean is left here
  return String(value);
}
