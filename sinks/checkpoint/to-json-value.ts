import { typeError } from '../../sources/errors.js';

/**
 * A copy of `value` as a plain JSON value (`undefined` becomes `null`), for a checkpoint's `state.json`;
 * checked when the save starts, so a value that cannot be kept fails before anything is written.
 *
 * @throws TypeError `Cannot <action> as <name> must be JSON-serialisable (...)` for a value `JSON.stringify`
 *   refuses (a cycle, a BigInt) or turns into nothing (a function).
 */
export function toJsonValue(action: string, name: string, value: unknown): unknown {
  try {
    return JSON.parse(JSON.stringify(value ?? null)) as unknown;
  } catch (error) {
    throw typeError(action, `${name} must be JSON-serialisable (${(error as Error).message})`, typeof value);
  }
}
