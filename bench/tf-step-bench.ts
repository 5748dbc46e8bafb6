/**
 * What the TF.js step benchmarks (`bench:train-step`, `bench:contrastive`) share: their command line
 * (`--backend NAME`, `--steps N`, `--threads N`), the backend start-up (chosen backend and kernels logged
 * to stderr, gradients required) and the median of the measured steps.
 */
import type * as TFJS from '@tensorflow/tfjs';
import { BACKEND_ORDER, selectBackend, type BackendName } from '../sinks/backend/index.js';

/** The parsed command line of a step benchmark. */
export interface StepBenchArgs {
  /** `--backend NAME`. @default undefined (the best available) */
  readonly backend?: BackendName;
  /** `--steps N`: measured steps after the warm-up. @default 3 */
  readonly steps: number;
  /** `--threads N` (wasm). @default undefined (the backend's default) */
  readonly threads?: number;
  /** The values of the benchmark's own flags (`--arch dcgan,biggan`), by name without the dashes. */
  readonly extra: Readonly<Record<string, string>>;
}

/**
 * Parses `--backend NAME`, `--steps N` and `--threads N` (N an integer >= 1), and the benchmark's own
 * flags `extraFlags` (each `--NAME VALUE`, kept as strings in `extra`).
 * @throws Error for an unknown argument, a backend not in `BACKEND_ORDER` or a bad count.
 */
export function parseStepBenchArgs(argv: readonly string[], extraFlags: readonly string[] = []): StepBenchArgs {
  const extra: Record<string, string> = {};
  const out: { backend?: BackendName; steps: number; threads?: number; extra: Record<string, string> } = {
    steps: 3,
    extra,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    if (arg === '--backend' && value !== undefined) {
      if (!BACKEND_ORDER.includes(value as BackendName))
        throw new Error(`--backend must be one of ${BACKEND_ORDER.join(', ')}: current value is ${value}`);
      out.backend = value as BackendName;
      i++;
    } else if ((arg === '--steps' || arg === '--threads') && value !== undefined) {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1) throw new Error(`${arg} must be an integer >= 1: current value is ${value}`);
      if (arg === '--steps') out.steps = n;
      else out.threads = n;
      i++;
    } else if (arg !== undefined && extraFlags.includes(arg.replace(/^--/, '')) && value !== undefined) {
      extra[arg.replace(/^--/, '')] = value;
      i++;
    } else {
      const own = extraFlags.map((f) => `, --${f} VALUE`).join('');
      throw new Error(`unknown argument ${arg} (use --backend NAME, --steps N, --threads N${own})`);
    }
  }
  return out;
}

/**
 * Selects the backend the arguments ask for (`selectBackend`), logs it, its threads and its kernels to
 * stderr, and loads `@tensorflow/tfjs` on it.
 * @throws Error when the gradient functions are not registered (the step benchmarks train).
 */
export async function startStepBench(args: StepBenchArgs): Promise<{
  readonly tf: typeof TFJS;
  readonly backend: { readonly name: string; readonly threads: number; readonly kernels: readonly string[] };
}> {
  const chosen = await selectBackend({
    ...(args.backend ? { backend: args.backend } : {}),
    ...(args.threads ? { threads: args.threads } : {}),
  });
  process.stderr.write(
    `backend: ${chosen.name} (${chosen.reason}), ${chosen.threads} thread(s), kernels: ${chosen.kernels.join(', ') || 'none'}\n`,
  );
  if (!chosen.gradients) throw new Error('gradient functions are not registered (@tensorflow/tfjs is missing)');
  const tf = await import('@tensorflow/tfjs');
  return { tf, backend: chosen };
}

/** The median of `xs` (the mean of the middle two for an even count); NaN for none. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}
