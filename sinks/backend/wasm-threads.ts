import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type * as TF from '@tensorflow/tfjs-core';

/** The parts of `@tensorflow/tfjs-backend-wasm` (4.22.0) this module uses. */
export interface WasmBackendModule {
  readonly BackendWasm: new (wasm: unknown) => TF.KernelBackend;
  readonly setThreadsCount: (threads: number) => void;
  readonly getThreadsCount: () => number;
}

/** The most threads the wasm backend's XNNPACK pool can use (it pre-creates 8 workers). */
export const MAX_WASM_THREADS = 8;

/**
 * Re-registers the `wasm` backend so that, when it is initialised, it runs the package's own
 * threaded-SIMD build with `threads` threads in Node.
 *
 * Why this is needed (tfjs-backend-wasm 4.22.0): in Node the `WASM_HAS_MULTITHREAD_SUPPORT` flag is
 * hard-coded false, and forcing it on fails because the backend hands Emscripten `blob:` URLs for the
 * worker and main scripts, which Node's `worker_threads` refuse (`ERR_WORKER_PATH`). Here the worker
 * script is written to a temporary `.cjs` file (removed once the pool has loaded it), the main script is
 * the package's `wasm-out/tfjs-backend-wasm-threaded-simd.js`, and the wasm binary its
 * `dist/tfjs-backend-wasm-threaded-simd.wasm`. The native side sizes its pool at
 * `min(requested, cores / 2, 8)` with the core count read once at module start-up
 * (`os.cpus().length` in Node), so `os.cpus` reports at least `2 * threads` entries during start-up
 * only and is restored right after.
 *
 * Relies on 4.22.0 internals (the `BackendWasm` constructor, the `cwrap` names, the file layout):
 * every `@tensorflow/*` package is pinned to exactly that version.
 *
 * Call before `tf.setBackend('wasm')`; it replaces any earlier `wasm` registration (disposing an
 * initialised instance). Nothing runs until the backend is initialised; an initialisation failure
 * rejects with the underlying error and is also recorded in the returned `lastError()`.
 *
 * @param tf the loaded `@tensorflow/tfjs-core` module.
 * @param wasm the loaded `@tensorflow/tfjs-backend-wasm` module.
 * @param threads how many threads, 2..8 (use the package's own registration for 1).
 */
export function registerThreadedWasm(
  tf: typeof TF,
  wasm: WasmBackendModule,
  threads: number,
): { readonly lastError: () => unknown } {
  const require = createRequire(import.meta.url);
  const pkgDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  let lastError: unknown;
  if (tf.findBackendFactory('wasm') != null) tf.removeBackend('wasm');
  tf.registerBackend(
    'wasm',
    async () => {
      try {
        return await createThreadedBackend(require, pkgDir, wasm, threads);
      } catch (error) {
        lastError = error;
        throw error;
      }
    },
    2,
  );
  return { lastError: () => lastError };
}

async function createThreadedBackend(
  require: NodeJS.Require,
  pkgDir: string,
  wasm: WasmBackendModule,
  threads: number,
): Promise<TF.KernelBackend> {
  const mainScript = join(pkgDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js');
  const binary = join(pkgDir, 'dist', 'tfjs-backend-wasm-threaded-simd.wasm');
  const factory = require(mainScript) as (config: Record<string, unknown>) => Promise<EmscriptenModule>;
  const { wasmWorkerContents } = require(join(pkgDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.worker.js')) as {
    wasmWorkerContents: string;
  };
  const dir = mkdtempSync(join(tmpdir(), 'ndaflow-wasm-'));
  const workerScript = join(dir, 'tfjs-backend-wasm-threaded-simd.worker.cjs');
  // The package stores the script with '\n' inside string literals unescaped (it escapes them when it
  // builds its Blob); do the same so that the file parses.
  writeFileSync(workerScript, wasmWorkerContents.replace(/\n/g, '\\n'));
  const os = require('node:os') as typeof import('node:os');
  const realCpus = os.cpus;
  os.cpus = () => {
    const cpus = realCpus();
    while (cpus.length > 0 && cpus.length < 2 * threads) cpus.push(cpus[0]!);
    return cpus;
  };
  let module: EmscriptenModule;
  try {
    module = await factory({
      locateFile: (path: string, prefix: string) =>
        path.endsWith('.worker.js') ? workerScript : path.endsWith('.wasm') ? binary : prefix + path,
      mainScriptUrlOrBlob: mainScript,
    });
  } finally {
    os.cpus = realCpus;
    rmSync(dir, { recursive: true, force: true });
  }
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  wasm.setThreadsCount(threads);
  const backend = new wasm.BackendWasm(module);
  // The pool's pthreads live as long as the backend; the main thread waits for them synchronously
  // inside each kernel, so they need not keep the process alive (else a finished program hangs).
  const pthread = module.PThread;
  for (const worker of [...(pthread?.runningWorkers ?? []), ...(pthread?.unusedWorkers ?? [])]) worker.unref?.();
  return backend;
}

interface EmscriptenModule {
  cwrap(name: string, returnType: string | null, argTypes: string[]): (...args: number[]) => unknown;
  tfjs?: Record<string, (...args: number[]) => unknown>;
  PThread?: { runningWorkers?: Array<{ unref?(): void }>; unusedWorkers?: Array<{ unref?(): void }> };
}
