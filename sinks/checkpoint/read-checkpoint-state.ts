import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** What a checkpoint's `state.json` must declare to be read by a loader (see {@link readCheckpointState}). */
export interface CheckpointStateLayout {
  /** The layout version the loader reads. */
  readonly version: number;
  /**
   * The `kind` field the state must hold, with the name used in messages.
   * @default undefined (no `kind` checked: the GAN layout has none)
   */
  readonly kind?: { readonly value: string; readonly name: string };
}

/** A checked `state.json`: an object with an integer `step` >= 0, the rest as saved. */
export type CheckpointState = Record<string, unknown> & { readonly step: number };

/**
 * Reads and checks the `state.json` of a step folder (`loadCheckpoint`, `loadMocoCheckpoint`): a JSON
 * object of the expected layout version (and kind) whose `step` is an integer >= 0. `action` starts the
 * messages (`load checkpoint <folder>`).
 *
 * @throws Error `Cannot <action> as ...` for a missing or unparsable file, another kind or version, or a bad step.
 */
export async function readCheckpointState(
  action: string,
  folder: string,
  layout: CheckpointStateLayout,
): Promise<CheckpointState> {
  const path = join(folder, 'state.json');
  let state: Record<string, unknown>;
  try {
    state = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`Cannot ${action} as ${path} must be a readable JSON file: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (typeof state !== 'object' || state === null)
    throw new Error(`Cannot ${action} as ${path} must hold an object: current value is ${JSON.stringify(state)}`);
  const { kind, version } = layout;
  if (kind !== undefined && (state.kind !== kind.value || state.version !== version)) {
    throw new Error(
      `Cannot ${action} as it must be a ${kind.name} checkpoint of version ${version}: current value is ${JSON.stringify({ kind: state.kind, version: state.version })}`,
    );
  }
  if (state.version !== version)
    throw new Error(
      `Cannot ${action} as its version must be ${version}: current value is ${JSON.stringify(state.version)}`,
    );
  const step = state.step;
  if (typeof step !== 'number' || !Number.isInteger(step) || step < 0)
    throw new Error(`Cannot ${action} as its step must be an integer >= 0: current value is ${JSON.stringify(step)}`);
  return state as CheckpointState;
}
