import { availableParallelism } from 'node:os';
import type * as TF from '@tensorflow/tfjs-core';
import { checkInteger, rangeError } from '../../sources/errors.js';
import { importOptional } from '../../sources/optional-package.js';
import { BACKEND_ORDER, type BackendName } from './backend-name.js';
import { registerWasmKernels } from './register-wasm-kernels.js';
import { MAX_WASM_THREADS, registerThreadedWasm, type WasmBackendModule } from './wasm-threads.js';
import { checkOptionKeys, optionKeys } from '../../sources/option-keys.js';

const SELECT_BACKEND_KEYS = optionKeys<SelectBackendOptions>({ backend: true, threads: true });

export { BACKEND_ORDER, type BackendName };

/** Options of {@link selectBackend}. */
export interface SelectBackendOptions {
  /**
   * Force one backend (the CLI's `--backend`); selection fails with an `Error` naming why it is
   * unavailable instead of falling back.
   * @default undefined (the first of BACKEND_ORDER that loads)
   */
  readonly backend?: BackendName;
  /**
   * Threads for the wasm backend, 1..8 (1 uses the package's single-threaded SIMD build; more uses its
   * threaded-SIMD build, see `registerThreadedWasm`). Ignored by the other backends.
   * @default min(os.availableParallelism(), 8)
   */
  readonly threads?: number;
}

/** One candidate that could not be used, and why. */
export interface BackendAttempt {
  readonly name: BackendName;
  readonly reason: string;
}

/** What {@link selectBackend} chose; print it at start. */
export interface SelectedBackend {
  /** The ndaflow name of the backend. */
  readonly name: BackendName;
  /** The TF.js backend name now active (`tensorflow`, `wasm` or `cpu`). */
  readonly tfName: string;
  /** Why it was chosen (forced, or the first that loaded, with the earlier failures). */
  readonly reason: string;
  /** Threads it computes with (wasm: its XNNPACK pool; tensorflow: the cores; cpu: 1). */
  readonly threads: number;
  /** Kernels ndaflow registered on it. */
  readonly kernels: readonly string[];
  /** The candidates tried before it, with their failure reasons. */
  readonly failed: readonly BackendAttempt[];
  /**
   * Whether gradient functions are registered: tfjs-core's Node bundle ships none (`tf.grad` fails
   * with "gradient function not found"); `@tensorflow/tfjs` (same pinned version), when installed, is
   * loaded to register them.
   */
  readonly gradients: boolean;
  /** The loaded `@tensorflow/tfjs-core` module (the single instance every backend shares). */
  readonly tf: typeof TF;
}

const TF_NAME: Readonly<Record<BackendName, string>> = {
  'tensorflow-gpu': 'tensorflow',
  tensorflow: 'tensorflow',
  wasm: 'wasm',
  cpu: 'cpu',
};

/**
 * Chooses and activates the TF.js backend at run time: `@tensorflow/tfjs-node-gpu` >
 * `@tensorflow/tfjs-node` > `@tensorflow/tfjs-backend-wasm` (with threads and ndaflow's conv-gradient
 * kernels) > `cpu`, each loaded by dynamic `import()` and each failure recorded with its reason; or
 * forces one. Nothing is loaded or registered before it is called: TF.js is an optional peer
 * dependency, loaded here on first use, so `ndaflow/sources` and `ndaflow/operators` never load it.
 *
 * @example
 * const chosen = await selectBackend({ backend: 'wasm', threads: 2 });
 * console.log(`backend: ${chosen.name} (${chosen.reason}), ${chosen.threads} thread(s)`);
 *
 * @throws RangeError/TypeError for a bad option; `MissingPackageError` (one line with the install
 * command) when `@tensorflow/tfjs-core` is not installed; Error naming every reason when the forced backend (or,
 * unforced, every backend) is unavailable.
 */
export async function selectBackend(options: SelectBackendOptions = {}): Promise<SelectedBackend> {
  checkOptionKeys('selectBackend', options, SELECT_BACKEND_KEYS);
  const action = 'select the TF.js backend';
  if (options.backend !== undefined && !BACKEND_ORDER.includes(options.backend)) {
    throw rangeError(action, `backend must be one of ${BACKEND_ORDER.join(', ')}`, options.backend);
  }
  const threads =
    options.threads === undefined
      ? Math.min(availableParallelism(), MAX_WASM_THREADS)
      : checkInteger(action, 'threads', options.threads, 1, MAX_WASM_THREADS);
  const tf = await importOptional<typeof TF>('@tensorflow/tfjs-core', 'select a TF.js backend', [
    '@tensorflow/tfjs',
    '@tensorflow/tfjs-backend-wasm',
    '@tensorflow/tfjs-backend-cpu',
  ]);
  const gradients = await loadGradients(tf);
  const candidates = options.backend === undefined ? BACKEND_ORDER : [options.backend];
  const failed: BackendAttempt[] = [];
  for (const name of candidates) {
    try {
      const { threads: used, kernels } = await activate(tf, name, threads);
      const reason =
        options.backend !== undefined
          ? 'forced'
          : failed.length === 0
            ? 'first choice'
            : `fallback (${failed.map((f) => `${f.name}: ${f.reason}`).join('; ')})`;
      return { name, tfName: TF_NAME[name], reason, threads: used, kernels, failed, gradients, tf };
    } catch (error) {
      failed.push({ name, reason: describe(error) });
    }
  }
  const detail = failed.map((f) => `${f.name}: ${f.reason}`).join('; ');
  throw new Error(
    options.backend !== undefined
      ? `Cannot use the ${options.backend} backend as it is unavailable: ${detail}`
      : `Cannot select a TF.js backend as none is available: ${detail}`,
  );
}

async function activate(
  tf: typeof TF,
  name: BackendName,
  threads: number,
): Promise<{ threads: number; kernels: string[] }> {
  switch (name) {
    case 'tensorflow-gpu':
    case 'tensorflow': {
      // By name only: these are optional and usually absent (their install downloads libtensorflow).
      const pkg = name === 'tensorflow-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
      await import(pkg);
      if (tf.findBackendFactory('tensorflow') == null) {
        throw new Error(
          `${pkg} loaded a different @tensorflow/tfjs-core (pin every @tensorflow/* package to ${tf.version_core})`,
        );
      }
      await setBackendOrThrow(tf, 'tensorflow', () => undefined);
      return { threads: availableParallelism(), kernels: [] };
    }
    case 'wasm': {
      const wasm = (await import('@tensorflow/tfjs-backend-wasm')) as unknown as WasmBackendModule;
      let lastError = (): unknown => undefined;
      if (threads > 1) lastError = registerThreadedWasm(tf, wasm, threads).lastError;
      else wasm.setThreadsCount(1);
      const kernels = registerWasmKernels(tf);
      await setBackendOrThrow(tf, 'wasm', lastError);
      return { threads: wasm.getThreadsCount(), kernels };
    }
    case 'cpu': {
      await import('@tensorflow/tfjs-backend-cpu');
      await setBackendOrThrow(tf, 'cpu', () => undefined);
      return { threads: 1, kernels: [] };
    }
  }
}

async function loadGradients(tf: typeof TF): Promise<boolean> {
  if (tf.getGradient(tf.Sum) != null) return true;
  try {
    const pkg = '@tensorflow/tfjs'; // by name: optional
    await import(pkg);
  } catch {
    // Absent: the caller sees `gradients: false`.
  }
  return tf.getGradient(tf.Sum) != null;
}

async function setBackendOrThrow(tf: typeof TF, tfName: string, lastError: () => unknown): Promise<void> {
  const ok = await tf.setBackend(tfName);
  if (!ok || tf.getBackend() !== tfName) {
    const cause = lastError();
    throw new Error(
      `initialisation of the ${tfName} backend failed${cause === undefined ? '' : `: ${describe(cause)}`}`,
    );
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return code === 'ERR_MODULE_NOT_FOUND' ? 'package not installed' : error.message.split('\n')[0]!;
  }
  if (typeof error === 'object' && error !== null && 'message' in error) return String(error.message);
  return String(error);
}
