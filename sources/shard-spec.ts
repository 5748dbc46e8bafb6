import braces from 'braces';
import { rangeError, typeError } from './errors.js';

/**
 * Expands a shard spec into shard URLs: `::` separates several specs, each may use brace expansion
 * (`shards/train-{000..099}.tar`, `{a,b}`), as WebDataset does. Throws a `RangeError` for an empty
 * spec or a brace range that expands to nothing.
 *
 * @example expandShardSpec('a-{0..2}.tar::b.tar') // ['a-0.tar', 'a-1.tar', 'a-2.tar', 'b.tar']
 */
export function expandShardSpec(spec: string | readonly string[]): string[] {
  const specs = typeof spec === 'string' ? spec.split('::') : [...spec];
  if (!Array.isArray(specs)) throw typeError('expand shard spec', 'it must be a string or a list of strings', spec);
  const urls: string[] = [];
  for (const one of specs) {
    if (typeof one !== 'string') throw typeError('expand shard spec', 'every spec must be a string', one);
    const trimmed = one.trim();
    if (trimmed === '') throw rangeError('expand shard spec', 'no spec may be empty', spec);
    const expanded = /[{}]/.test(trimmed) ? braces.expand(trimmed) : [trimmed];
    const nonEmpty = expanded.filter((s) => s !== '');
    if (nonEmpty.length === 0 || nonEmpty.some((s) => /\{\s*\}|\{[^{}]*\.\.\s*\}|\{\s*\.\./.test(s))) {
      throw rangeError('expand shard spec', 'its brace expression expands to no shard', trimmed);
    }
    urls.push(...nonEmpty);
  }
  return urls;
}
