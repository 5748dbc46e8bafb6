import { LINEAGE, carryLineage, lineagesOf } from '../../sources/sample.js';

/**
 * Gives a stage's result the identity of its input: the lineage (unless the result already carries
 * one, e.g. it was built with `{...sample}`), and `__key__`/`__url__` when the result is a plain
 * object without them. Throws when the input carries lineage and the result cannot (a primitive):
 * its samples could never be settled, and the loader's credit would run out.
 */
export function carryIdentity<T>(input: unknown, result: T, stage: string): T {
  if (result === input) return result;
  const lineages = lineagesOf(input);
  if (typeof result !== 'object' || result === null) {
    if (lineages.length > 0) {
      throw new TypeError(
        `Cannot carry the lineage of a sample through ${stage} as the result must be an object (a sample, an array): it is ${result === null ? 'null' : typeof result}`,
      );
    }
    return result;
  }
  const target = result as { [LINEAGE]?: unknown; __key__?: unknown; __url__?: unknown };
  if (!Object.prototype.hasOwnProperty.call(target, LINEAGE)) carryLineage(input, target);
  if (!Array.isArray(result) && isPlainObject(result) && typeof input === 'object' && input !== null) {
    const from = input as { __key__?: unknown; __url__?: unknown };
    if (target.__key__ === undefined && from.__key__ !== undefined) target.__key__ = from.__key__;
    if (target.__url__ === undefined && from.__url__ !== undefined) target.__url__ = from.__url__;
  }
  return result;
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
