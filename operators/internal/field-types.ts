import type { Lineage, LINEAGE } from '../../sources/sample.js';

/**
 * Type-level helpers of the field operators (`select`, `rename`, `toTuple`, `decodeClips`): the
 * alternatives of a `'jpg;png'` spec, the type of a named field, and a sample's identity part.
 */

/** The alternatives of a WebDataset field spec: `'jpg;png'` -> `'jpg' | 'png'`. */
export type Alternatives<Spec extends string> = Spec extends `${infer Head};${infer Rest}`
  ? Head | Alternatives<Rest>
  : Spec;

/**
 * The type of field `N` of sample type `S`: its declared type, what an index signature gives for
 * it (a default `Sample`: `unknown`, or `Image` for `png` after `decode`), or `unknown` when `S`
 * does not have it (a declared sample without that field: at run time, a `'missing-field'` error).
 */
export type FieldOf<S, N extends string> = N extends keyof S ? S[N] : unknown;

/**
 * The type of the first of a spec's alternatives a sample has (`'jpg;png'`: either's type; the
 * alternatives a declared sample lacks are left out; none: `unknown`).
 */
export type SpecField<S, Spec extends string> = [Alternatives<Spec> & keyof S] extends [never]
  ? unknown
  : S[Alternatives<Spec> & keyof S];

/** `__key__`, `__url__` and the lineage: what every field operator keeps. */
export type IdentityOf<S> = {
  [K in keyof S as K extends '__key__' | '__url__' | typeof LINEAGE ? K : never]: S[K];
} & { __key__: string; __url__: string; [LINEAGE]?: Lineage | readonly Lineage[] };
