import type { Image, ImageBatch, Lineage, LINEAGE } from '../sources/sample.js';
import type { SampleTuple } from './to-tuple.js';

/**
 * The type side of `batch`'s collation (see `batch`): what one field's values become in a batch.
 * Images -> one stacked {@link ImageBatch}; numbers -> a `Float64Array`; anything else -> the array
 * of the values (a field some members may lack, `T | undefined`, is such an array too, as at run
 * time). `unknown` stays `unknown` (it may hold images or numbers: the run-time check decides).
 */
export type Collated<V> = unknown extends V
  ? unknown
  : [V] extends [Image]
    ? ImageBatch
    : [V] extends [number]
      ? Float64Array
      : V[];

/** The plain tuple of a `SampleTuple` (without its `__key__`/`__url__` properties). */
type TupleValues<T extends readonly unknown[]> = T extends SampleTuple<infer V> ? V : T;

/** Each position's values as an array. */
type UncollatedTuple<V extends readonly unknown[]> = { -readonly [I in keyof V]: V[I][] };

/** Collated values of a tuple, position by position. */
type CollatedTuple<T extends readonly unknown[]> = { -readonly [I in keyof T]: Collated<T[I]> };

/**
 * What `batch(n)` makes of items of type `T`: a sample's `__key__`, `__url__` (and every
 * `__x__` field) become `string[]`-like arrays of the members' values, and each other field its
 * {@link Collated} form; a tuple (`toTuple`) becomes the tuple of its collated columns, with
 * `__key__`/`__url__` arrays.
 *
 * @example
 * type B = BatchOf<{ __key__: string; __url__: string; png: Image; cls: number; txt: string }>;
 * // { __key__: string[]; __url__: string[]; png: ImageBatch; cls: Float64Array; txt: string[] }
 */
export type BatchOf<T> = T extends readonly unknown[]
  ? CollatedTuple<TupleValues<T>> & {
      readonly __key__: string[];
      readonly __url__: string[];
      [LINEAGE]?: readonly Lineage[];
    }
  : {
      [K in keyof T]: K extends typeof LINEAGE
        ? readonly Lineage[]
        : K extends `__${string}__`
          ? Exclude<T[K], undefined>[]
          : Collated<T[K]>;
    };

/** What `batch(n, {collate: false})` makes of items of type `T`: each field the array of the members' values. */
export type UncollatedBatchOf<T> = T extends readonly unknown[]
  ? UncollatedTuple<TupleValues<T>> & {
      readonly __key__: string[];
      readonly __url__: string[];
      [LINEAGE]?: readonly Lineage[];
    }
  : {
      [K in keyof T]: K extends typeof LINEAGE ? readonly Lineage[] : T[K][];
    };
