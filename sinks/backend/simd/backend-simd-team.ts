import { SimdTeam } from './simd-team.js';
import { SIMD_FUNCTIONS, simdKernelsModule } from './simd-kernels.js';

/** What this module reads of tfjs-backend-wasm 4.22.0's `BackendWasm` (its Emscripten module). */
interface WasmBackendInternals {
  readonly wasm?: {
    readonly wasmMemory?: WebAssembly.Memory;
    readonly tfjs?: { readonly getThreadsCount?: () => number };
  };
  dispose(): void;
}

/**
 * Below this many elements the element-wise kernels keep their other path (the package's kernels, or tfjs
 * ops). Chosen when every SIMD call woke the team's threads; such calls now run on the calling thread
 * (`TEAM_MIN_ELEMENTS`), and the floor has not been measured again since.
 */
export const SIMD_MIN_ELEMENTS = 4096;

/**
 * `backend`'s {@link SimdTeam} (see {@link simdTeamOf}) for an element-wise kernel on `tensors`: `null`
 * unless every one is float32 and the first has at least {@link SIMD_MIN_ELEMENTS} elements.
 */
export function elementwiseTeamOf(
  backend: object,
  tensors: ReadonlyArray<{ dtype: string; shape: readonly number[] }>,
): SimdTeam | null {
  if (tensors.some((t) => t.dtype !== 'float32')) return null;
  const size = tensors[0]?.shape.reduce((a, b) => a * b, 1) ?? 0;
  return size < SIMD_MIN_ELEMENTS ? null : simdTeamOf(backend);
}

/** One team per backend instance, ended with it (`null`: the backend cannot host one). */
const teams = new WeakMap<object, SimdTeam | null>();

/**
 * The {@link SimdTeam} running the SIMD kernels (`sinks/backend/simd/*.c`) on `backend`'s heap with as many threads as the backend's
 * own pool, started on first use; `null` where the backend is not the threaded wasm build (its heap is not
 * a shared memory), so the caller keeps its other path. The team is closed when the backend is disposed.
 */
export function simdTeamOf(backend: object): SimdTeam | null {
  const known = teams.get(backend);
  if (known !== undefined) return known;
  const internals = backend as WasmBackendInternals;
  const memory = internals.wasm?.wasmMemory;
  let team: SimdTeam | null = null;
  if (memory !== undefined && memory.buffer instanceof SharedArrayBuffer) {
    const threads = internals.wasm?.tfjs?.getThreadsCount?.() ?? 1;
    team = SimdTeam.start(memory, simdKernelsModule(), SIMD_FUNCTIONS, threads - 1);
    const dispose = internals.dispose.bind(internals);
    const started = team;
    internals.dispose = () => {
      void started.close();
      dispose();
    };
  }
  teams.set(backend, team);
  return team;
}
