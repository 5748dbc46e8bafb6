import { closest, distance } from 'fastest-levenshtein';

/**
 * The option names of one function, listed once: `optionKeys<FromShardsOptions>({ seed: true, ... })`.
 * The record must name every key of `O` and nothing else (a missing or unknown key fails to
 * compile), so adding an option to an options interface without listing it here is a type error.
 */
/** Every key of `O` (optional ones included) mapped to `true`: what {@link optionKeys} takes, and what a shared part of several key lists is spread from. */
export type OptionKeyFlags<O extends object> = { readonly [K in keyof Required<O>]: true };

export function optionKeys<O extends object>(keys: OptionKeyFlags<O>): readonly string[] {
  return Object.freeze(Object.keys(keys));
}

/**
 * Checks that a plain-JS caller spelled every option right (TypeScript callers are checked by the
 * compiler): each own key of `options` must be one of `known`, else a `TypeError`
 * `Cannot call fromShards as sead is not an option of fromShards: did you mean seed?` (the nearest
 * known name by edit distance when it is close, else the list of known names; `owner` names what
 * takes the options when it is not `callee` itself, e.g. an entry of a list option). A key whose value
 * is `undefined` passes (it means the default, whatever its name), as do `undefined` and `null`
 * options; a non-object is left to the function's own checks.
 */
export function checkOptionKeys(callee: string, options: unknown, known: readonly string[], owner = callee): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) return;
  for (const [key, value] of Object.entries(options)) {
    // an undefined value is the default whatever its key (`{ ...flags }` spreads carry some)
    if (known.includes(key) || value === undefined) continue;
    throw new TypeError(`Cannot call ${callee} as ${key} is not an option of ${owner}: ${suggest(key, known)}`);
  }
}

function suggest(key: string, known: readonly string[]): string {
  if (known.length === 0) return 'it takes no options';
  const nearest = closest(key, known);
  // close enough to be a slip: a third of the longer name, at least 2 edits (`sead`/`seed`, `imgae`/`image`)
  const slack = Math.max(2, Math.floor(Math.max(key.length, nearest.length) / 3));
  if (distance(key, nearest) <= slack) return `did you mean ${nearest}?`;
  return `the options are ${known.join(', ')}`;
}

/**
 * The entries of `options` whose keys are in `known` (a wrapper passing its own, larger options
 * object on to a function that checks its keys, e.g. `convertUcf101` to `ucf101Adapter`).
 */
export function pickOptions<O extends object>(options: O, known: readonly string[]): O {
  return Object.fromEntries(Object.entries(options).filter(([k]) => known.includes(k))) as O;
}
