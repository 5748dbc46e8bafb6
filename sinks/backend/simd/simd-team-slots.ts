/**
 * The layout of a {@link SimdTeam}'s control block: one `Int32Array` on a `SharedArrayBuffer` per helper
 * thread, written by the main thread before it bumps `generation` and by the helper before it sets `done`.
 */
export const SLOT = {
  /** Bumped by the main thread to start a call (or to stop, with `stop` set). */
  generation: 0,
  /** Set by the helper to the generation it finished. */
  done: 1,
  /** Non-zero: the helper leaves its loop at the next generation. */
  stop: 2,
  /** Non-zero: the last call threw (its message is on the helper's port). */
  failed: 3,
  /** Index into the team's function names. */
  fn: 4,
  /** How many arguments follow. */
  argCount: 5,
  /** The first argument (int32 each: sizes, and heap offsets, which wasm reads as unsigned). */
  args: 8,
} as const;

/** The most arguments one call takes. */
export const MAX_ARGS = 32;

/** The `Int32Array` length of one control block. */
export const CONTROL_LENGTH = SLOT.args + MAX_ARGS;

/** What the main thread gives a helper thread. */
export interface SimdTeamWorkerData {
  readonly memory: WebAssembly.Memory;
  readonly module: WebAssembly.Module;
  readonly functions: readonly string[];
  readonly control: SharedArrayBuffer;
}
