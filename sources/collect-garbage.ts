import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collector: (() => void) | null | undefined;

/**
 * Runs a full garbage collection now, so that FinalizationRegistry callbacks for what became
 * garbage run at the next turn of the event loop (measured on Node 20.20: every dead token is
 * reported by the next `setImmediate` after a full collection; a minor one, `gc({type: 'minor'})`,
 * reports none). Uses `globalThis.gc` when Node runs with `--expose-gc`; otherwise turns the flag on
 * (`v8.setFlagsFromString('--expose-gc')`) and takes `gc` from a fresh context, which works without
 * the command-line flag. Costs one full collection: ~6-12 ms with a 60 MB heap on the project's
 * 2-core machine under load. Returns false when no collector can be had (then nothing ran).
 */
export function collectGarbage(): boolean {
  if (collector === undefined) collector = findCollector();
  if (collector === null) return false;
  collector();
  return true;
}

function findCollector(): (() => void) | null {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === 'function') return exposed;
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as () => void) : null;
  } catch {
    return null;
  }
}
