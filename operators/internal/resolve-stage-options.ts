import { resolveHandler, type ErrorHandler, type HandlerName } from '../../sources/handlers.js';
import { checkFields } from './check-fields.js';
import { resolveSeed } from './resolve-seed.js';

/** The options every seeded per-image or per-clip augmentation takes. */
export interface StageOptions {
  readonly seed?: number;
  readonly fields?: readonly string[];
  readonly handler?: ErrorHandler | HandlerName;
  readonly onSeed?: (seed: number) => void;
}

/** {@link StageOptions}, checked and with their defaults. */
export interface ResolvedStageOptions {
  readonly fields: readonly string[] | undefined;
  readonly handler: ErrorHandler;
  readonly seed: number;
}

/**
 * Checks `fields`, `handler` and `seed` (in this order, after the operator's own options) for an
 * image operator and its clip form alike, so both throw the same errors; a missing seed is picked
 * and reported with `onSeed`. `action` names the operator in the messages.
 */
export function resolveStageOptions(action: string, options: StageOptions): ResolvedStageOptions {
  const fields = checkFields(action, options.fields);
  const handler = resolveHandler(options.handler);
  const seed = resolveSeed(action, options.seed, options.onSeed);
  return { fields, handler, seed };
}
