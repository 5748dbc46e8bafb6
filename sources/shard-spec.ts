import braces from 'braces';
import { rangeError, typeError, isArray } from './errors.js';

const ACTION = 'expand shard spec';
/** A brace group braces expands: a list with a top-level comma, or a numeric/letter range with an optional step. */
const RANGE = /^\s*(-?\d+|[a-zA-Z])\.\.(-?\d+|[a-zA-Z])(\.\.-?\d+)?\s*$/;
/** Most shards one spec may expand to (a guard against `{0..999999999}` typos). */
const MAX_SHARDS = 10_000_000;

/**
 * Expands a shard spec into shard URLs: `::` separates several specs, each may use brace expansion
 * (`shards/train-{000..099}.tar` keeps the zero padding, `{a,b}` lists, `{0..10..2}` steps, nesting),
 * as WebDataset does, with no limit on the number of shards. Literal braces are written `\{` `\}`.
 * Throws a `RangeError` for an empty spec, or a brace group that does not expand (`{}`, `{5..}`,
 * `{a}`), a `TypeError` for a spec that is not a string or a list of strings.
 *
 * @example expandShardSpec('a-{0..2}.tar::b.tar') // ['a-0.tar', 'a-1.tar', 'a-2.tar', 'b.tar']
 */
export function expandShardSpec(spec: string | readonly string[]): string[] {
  if (typeof spec !== 'string' && !isArray(spec))
    throw typeError(ACTION, 'it must be a string or a list of strings', spec);
  const specs = typeof spec === 'string' ? spec.split('::') : [...spec];
  if (specs.length === 0) throw rangeError(ACTION, 'the list of specs must not be empty', spec);
  const urls: string[] = [];
  for (const one of specs) {
    if (typeof one !== 'string') throw typeError(ACTION, 'every spec must be a string', one);
    const trimmed = one.trim();
    if (trimmed === '') throw rangeError(ACTION, 'no spec may be empty', spec);
    if (!/[{}]/.test(trimmed)) {
      urls.push(trimmed);
      continue;
    }
    checkBraces(trimmed);
    let expanded: string[];
    try {
      expanded = braces(trimmed, { expand: true, rangeLimit: MAX_SHARDS });
    } catch (err) {
      throw rangeError(
        ACTION,
        `its brace expression must expand to at most ${MAX_SHARDS} shards (${err instanceof Error ? err.message : String(err)})`,
        trimmed,
      );
    }
    const nonEmpty = expanded.filter((s) => s !== '');
    if (nonEmpty.length === 0) throw rangeError(ACTION, 'its brace expression expands to no shard', trimmed);
    urls.push(...nonEmpty);
  }
  return urls;
}

/** Throws unless every unescaped brace group is one braces expands (so nothing is left literal by mistake). */
function checkBraces(spec: string): void {
  let s = spec.replace(/\\[{}]/g, '_');
  for (;;) {
    const m = /\{([^{}]*)\}/.exec(s);
    if (!m) break;
    const body = m[1] as string;
    if (!body.includes(',') && !RANGE.test(body)) {
      throw rangeError(
        ACTION,
        `its brace group {${body}} expands to no shard (a list needs a comma, a range is {from..to}; write literal braces as \\{ \\})`,
        spec,
      );
    }
    s = s.slice(0, m.index) + '_' + s.slice(m.index + m[0].length);
  }
  if (/[{}]/.test(s)) throw rangeError(ACTION, 'its braces must be balanced', spec);
}
