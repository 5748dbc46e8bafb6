import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { CONTROL_LENGTH, MAX_ARGS, SLOT, type SimdTeamWorkerData } from './simd-team-slots.js';

/** How long the main thread waits for a helper after finishing its own part, before it gives up. */
export const HELPER_TIMEOUT_MS = 60_000;

interface Helper {
  readonly worker: Worker;
  readonly control: Int32Array;
  readonly port: MessagePort;
}

/**
 * One WebAssembly module instantiated on a shared memory (the threaded wasm backend's heap) in this
 * thread and in `helpers` worker threads, so that one call can be split between them and still return
 * synchronously, as a tfjs kernel must: {@link SimdTeam.run} hands each helper its arguments through a
 * shared control block, runs the first part itself, and blocks (`Atomics.wait`) until every helper has
 * answered.
 *
 * The helpers are `unref`'d (they never keep the process alive) and wait in `Atomics.wait` between calls,
 * as the wasm backend's own pthreads do; {@link SimdTeam.close} ends them. A piece of a worker pool
 * library (Piscina, used by `workerMap`) cannot serve here: its tasks answer asynchronously.
 */
export class SimdTeam {
  private readonly own: ReadonlyMap<string, (...args: number[]) => void>;
  private readonly helpers: Helper[];
  private generation = 0;
  private closed = false;

  private constructor(
    memory: WebAssembly.Memory,
    module: WebAssembly.Module,
    private readonly functions: readonly string[],
    helperCount: number,
  ) {
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    this.own = new Map(functions.map((name) => [name, instance.exports[name] as (...args: number[]) => void]));
    this.helpers = Array.from({ length: helperCount }, () => {
      const control = new SharedArrayBuffer(CONTROL_LENGTH * 4);
      const { port1, port2 } = new MessageChannel();
      const data: SimdTeamWorkerData & { port: MessagePort } = { memory, module, functions, control, port: port2 };
      const worker = new Worker(new URL('./simd-team-worker.js', import.meta.url), {
        workerData: data,
        transferList: [port2],
      });
      worker.unref();
      port1.unref();
      return { worker, control: new Int32Array(control), port: port1 };
    });
  }

  /**
   * Instantiates `module` (which imports `env.memory`) on `memory` here and in `helpers` worker threads.
   * Throws a `TypeError` if `memory` is not shared (a helper could not see this thread's writes) or a
   * function is not exported.
   */
  static start(
    memory: WebAssembly.Memory,
    module: WebAssembly.Module,
    functions: readonly string[],
    helpers: number,
  ): SimdTeam {
    if (!(memory.buffer instanceof SharedArrayBuffer))
      throw new TypeError('Cannot start a SIMD team as its memory must be shared: current value is an unshared memory');
    const exported = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
    const missing = functions.filter((name) => !exported.has(name));
    if (missing.length > 0)
      throw new TypeError(
        `Cannot start a SIMD team as the module must export ${missing.join(', ')}: current value is ${[...exported].join(', ')}`,
      );
    return new SimdTeam(memory, module, functions, Math.max(0, Math.floor(helpers)));
  }

  /** This thread plus the helpers. */
  get threads(): number {
    return this.helpers.length + 1;
  }

  /**
   * Calls `fn` with `parts[0]` here and `parts[k]` on helper `k` (1-based), concurrently, and returns when
   * all have finished; `parts` may be shorter than {@link threads} (the rest idle). Arguments are int32
   * (heap offsets above 2 GiB wrap, and wasm reads them back as unsigned). Throws, after every helper has
   * finished, if a part throws (a wasm trap; a helper's error names the function and the thread); or if a
   * helper does not answer within {@link HELPER_TIMEOUT_MS}.
   */
  run(fn: string, parts: ReadonlyArray<readonly number[]>): void {
    const own = this.own.get(fn);
    if (own === undefined) throw new TypeError(`Cannot run ${fn} as the team has only ${this.functions.join(', ')}`);
    if (this.closed) throw new Error(`Cannot run ${fn} as the SIMD team is closed`);
    if (parts.length > this.threads)
      throw new RangeError(`Cannot run ${fn} in ${parts.length} parts as the team has ${this.threads} thread(s)`);
    const generation = ++this.generation;
    const used = this.helpers.slice(0, Math.max(0, parts.length - 1));
    used.forEach((helper, k) => {
      const args = parts[k + 1]!;
      if (args.length > MAX_ARGS)
        throw new RangeError(`Cannot run ${fn} with ${args.length} arguments: at most ${MAX_ARGS}`);
      const ctl = helper.control;
      ctl[SLOT.fn] = this.functions.indexOf(fn);
      ctl[SLOT.argCount] = args.length;
      ctl.set(args, SLOT.args);
      Atomics.store(ctl, SLOT.generation, generation);
      Atomics.notify(ctl, SLOT.generation);
    });
    try {
      if (parts.length > 0) own(...parts[0]!);
    } finally {
      // whether this thread's part threw or not, the helpers finish before the call returns: their
      // writes to the heap must not outlive it (a helper's failure replaces this thread's error)
      this.awaitHelpers(fn, used, generation);
    }
  }

  /** Blocks until every helper of `used` has answered `generation`; throws the helpers' failures. */
  private awaitHelpers(fn: string, used: readonly Helper[], generation: number): void {
    const failures: string[] = [];
    used.forEach((helper, k) => {
      const ctl = helper.control;
      const deadline = Date.now() + HELPER_TIMEOUT_MS;
      for (let seen = Atomics.load(ctl, SLOT.done); seen !== generation; seen = Atomics.load(ctl, SLOT.done)) {
        const left = deadline - Date.now();
        if (left <= 0) {
          this.closed = true; // its state is unknown: no further call may share its memory writes
          throw new Error(
            `${fn} did not finish on SIMD helper thread ${k + 1} within ${HELPER_TIMEOUT_MS} ms (the thread may have died); the team is closed`,
          );
        }
        Atomics.wait(ctl, SLOT.done, seen, left);
      }
      if (Atomics.load(ctl, SLOT.failed) !== 0) {
        const message = receiveMessageOnPort(helper.port)?.message as string | undefined;
        failures.push(`on helper thread ${k + 1}: ${message ?? 'unknown error'}`);
      }
    });
    if (failures.length > 0) throw new Error(`${fn} failed ${failures.join('; ')}`);
  }

  /** Ends the helper threads (idempotent). */
  async close(): Promise<void> {
    if (this.closed && this.helpers.length === 0) return;
    this.closed = true;
    const helpers = this.helpers.splice(0);
    for (const helper of helpers) {
      Atomics.store(helper.control, SLOT.stop, 1);
      Atomics.store(helper.control, SLOT.generation, ++this.generation);
      Atomics.notify(helper.control, SLOT.generation);
    }
    await Promise.all(helpers.map((helper) => helper.worker.terminate()));
    for (const helper of helpers) helper.port.close();
  }
}
