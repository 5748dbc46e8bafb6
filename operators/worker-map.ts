import { Observable, type OperatorFunction } from 'rxjs';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import { checkInteger, rangeError, typeError, isArray } from '../sources/errors.js';
import { resolveHandler, type ErrorHandler, type HandlerName } from '../sources/handlers.js';
import { holding, type HoldingOperatorFunction } from '../sources/loader.js';
import { carryIdentity } from './internal/carry-identity.js';
import { lineagesOf } from '../sources/sample.js';
import { handleStageError } from './internal/stage-error.js';
import { slotStage, type Slot } from './internal/slot-stage.js';
import { poolExecArgv } from './internal/pool-exec-argv.js';
import { transferablesOf } from './internal/transfer-list.js';
import type { WorkerAnswer, WorkerEntryData, WorkerFailure } from './internal/worker-entry.js';
import { subscribeSource } from './internal/subscribe-source.js';
import { checkOptionKeys, optionKeys } from '../sources/option-keys.js';

const WORKER_MAP_KEYS = optionKeys<WorkerMapOptions>({
  concurrency: true,
  threads: true,
  ordered: true,
  exportName: true,
  handler: true,
  onPool: true,
});

/** Options of {@link workerMap}. */
export interface WorkerMapOptions {
  /** Most items inside the stage at once (sent to a thread, or done and waiting for their turn). @default the number of cores */
  readonly concurrency?: number;
  /** Worker threads in the pool. @default min(concurrency, number of cores) */
  readonly threads?: number;
  /** Emit results in input order; with `false` each result is emitted as soon as it is ready. @default true */
  readonly ordered?: boolean;
  /** The module's export to call. @default 'default' */
  readonly exportName?: string;
  /**
   * What to do when the function throws in the worker (or its thread dies, or its result cannot
   * carry the sample's lineage): the sample is skipped under reason `'worker-map'` and counted, then
   * the handler decides. A module that cannot be loaded, or lacks the export, errors the stream
   * whatever the handler (every sample would fail).
   * @default 'reraise'
   */
  readonly handler?: ErrorHandler | HandlerName;
  /** Called with each subscription's pool (a Piscina instance) when it is created, for monitoring (`threads`, `utilization`). @default none */
  readonly onPool?: (pool: Piscina) => void;
}

/**
 * Maps each item through a function that runs on a pool of worker threads (`piscina`): use it for
 * CPU-heavy JavaScript (pixel loops, NDA transforms written in JS) that would otherwise hold the
 * main thread. The function is the export `exportName` of an ES module (a file path, resolved
 * against the current directory, or a `file:` URL): `export default function (sample) { ...; return
 * sample; }` (it may be async). The module is loaded once per thread.
 *
 * Items cross threads by structured clone, with their typed-array buffers (images' `data`, raw
 * fields) **moved**, not copied, both ways: after an item is sent, its buffers are detached on the
 * main side, so don't use the input item after this stage. A view of part of a buffer (a small
 * Buffer from Node's pool) is copied instead. Node `Buffer`s arrive as `Uint8Array`s; symbol keys
 * and functions don't cross. The sample's lineage stays on the main side and is put back on the
 * result, with `__key__`/`__url__` when the result lacks them.
 *
 * At most `concurrency` items are in the stage at once (in order mode, a finished item waiting for
 * an earlier one counts), declared with `holding` so a loader's credit fits. Each subscription
 * creates its own pool, destroyed (threads terminated) on complete, error and unsubscribe.
 * Deterministic if the function is (order kept unless `ordered: false`).
 *
 * @param module Path or `file:` URL of the ES module.
 * @throws TypeError/RangeError for a module that does not exist or bad options; at run time a
 *   `SampleError` (reason `'worker-map'`) through the handler when the function throws.
 * @example
 * // jitter.mjs: export default function (s) { for (let i = 0; i < s.png.data.length; i++) s.png.data[i] ^= 1; return s; }
 * createLoader(source, decode(), workerMap('./jitter.mjs', { concurrency: 4 }), batch(64));
 * @see map
 */
export function workerMap<In extends object = object, Out = In>(
  module: string | URL,
  options: WorkerMapOptions = {},
): HoldingOperatorFunction<In, Out> {
  checkOptionKeys('workerMap', options, WORKER_MAP_KEYS);
  const action = 'create a worker map';
  const moduleUrl = moduleUrlOf(action, module);
  const concurrency = checkInteger(action, 'concurrency', options.concurrency ?? availableParallelism(), 1, 1024);
  const threads = checkInteger(
    action,
    'threads',
    options.threads ?? Math.min(concurrency, availableParallelism()),
    1,
    concurrency,
  );
  const ordered = options.ordered ?? true;
  if (typeof ordered !== 'boolean') throw typeError(action, 'ordered must be a boolean', ordered);
  const exportName = options.exportName ?? 'default';
  if (typeof exportName !== 'string' || exportName === '')
    throw typeError(action, 'exportName must be a non-empty string', exportName);
  const handler = resolveHandler(options.handler);
  const onPool = options.onPool;
  if (onPool !== undefined && typeof onPool !== 'function')
    throw typeError(action, 'onPool must be a function', onPool);
  const entry = fileURLToPath(new URL('./internal/worker-entry.js', import.meta.url));
  const data: WorkerEntryData = { moduleUrl, exportName };

  const op: OperatorFunction<In, Out> = (source) =>
    new Observable<Out>((subscriber) => {
      const pool = new Piscina({
        filename: entry,
        workerData: data,
        minThreads: threads,
        maxThreads: threads,
        concurrentTasksPerWorker: Math.ceil(concurrency / threads),
        execArgv: poolExecArgv(),
      });
      onPool?.(pool);
      let closed = false;
      // Piscina emits 'error' (e.g. a message from a thread being torn down); unheard, it would end the process.
      pool.on('error', (error: unknown) => {
        if (!closed) subscriber.error(error);
      });

      const finish = (slot: Slot<In, Out>, answer: WorkerAnswer): void => {
        if (closed) return;
        if (answer.kind === 'load-error') {
          closed = true;
          subscriber.error(
            new TypeError(
              `Cannot run a worker map as its module must load and export a function: ${answer.error.message}`,
              { cause: revive(answer.error) },
            ),
          );
          return;
        }
        slot.done = true;
        if (answer.kind === 'error') slot.error = revive(answer.error);
        else {
          try {
            slot.value = carryIdentity(slot.item, withoutEpoch(answer.value as Out), 'workerMap');
          } catch (error) {
            slot.error = error;
          }
        }
        stage.pump();
      };

      const stage = slotStage<In, Out>({
        ordered,
        concurrency,
        subscriber,
        isClosed: () => closed,
        start: (slot) => {
          const task = plainCopy(slot.item);
          pool.run(task, { transferList: transferablesOf(task) }).then(
            (answer: WorkerAnswer) => finish(slot, answer),
            (error: unknown) =>
              finish(slot, {
                kind: 'error',
                error: {
                  name: 'Error',
                  message: error instanceof Error ? error.message : String(error),
                  stack: error instanceof Error ? error.stack : undefined,
                },
              }),
          );
        },
        fail: (slot) => handleStageError(handler, slot.error, slot.item, 'worker-map', subscriber),
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
        pool.destroy().catch(() => undefined);
      };
    });
  return holding(concurrency, op);
}

/** The module's `file:` URL, checked to exist. */
function moduleUrlOf(action: string, module: unknown): string {
  let url: URL;
  if (module instanceof URL) url = module;
  else if (typeof module === 'string' && module !== '')
    url = /^[a-z][a-z0-9+.-]+:/i.test(module) ? new URL(module) : pathToFileURL(resolvePath(module));
  else throw typeError(action, 'the module must be a file path or a file: URL', module);
  if (url.protocol !== 'file:')
    throw rangeError(action, 'the module must be a local file (a path or a file: URL)', url.href);
  if (!existsSync(fileURLToPath(url))) throw rangeError(action, 'the module must exist', fileURLToPath(url));
  return url.href;
}

/** The string-keyed own fields of an item (what structured clone would send anyway, minus symbols), as a plain object or array. */
function plainCopy(item: object): unknown {
  if (isArray(item)) return [...item];
  const copy: Record<string, unknown> = Object.fromEntries(Object.entries(item));
  // The lineage (a symbol) stays on this side; its epoch travels as `__epoch__` so that seeded
  // operators run in the worker (sampleRandom) draw per epoch as they do on the main thread.
  const pass = lineagesOf(item)[0]?.pass;
  if (pass !== undefined) copy.__epoch__ = pass;
  return copy;
}

/** Removes the `__epoch__` that {@link plainCopy} added, when the worker's result kept it. */
function withoutEpoch<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && '__epoch__' in value) {
    const { __epoch__: _, ...rest } = value as Record<string, unknown>;
    return rest as T;
  }
  return value;
}

/** An error answered by a worker, as an Error again. */
function revive(failure: WorkerFailure): Error {
  const error = new Error(failure.message);
  error.name = failure.name;
  if (failure.stack) error.stack = failure.stack;
  return error;
}
