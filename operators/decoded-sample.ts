import type { Image } from '../sources/sample.js';

/**
 * The type side of `decode`: what each field of a sample becomes, by the same rules as the decoders
 * run at run time (`operators/internal/decode-fields.ts`). A byte field (`Uint8Array`) is mapped by
 * its name: a user decoder first (by full name, then by last extension; `null` leaves bytes), then
 * `.gz` unwrapped when the inner name has a decoder, then the built-in decoders by last extension
 * (lower-cased). Fields that are not bytes, and bytes without a decoder, keep their type.
 */

/** Extensions `decode` turns into an {@link Image}. */
export type ImageExtension = 'png' | 'jpg' | 'jpeg' | 'webp' | 'ppm' | 'pgm' | 'pnm';
/** Extensions `decode` turns into an integer (`number`). */
export type IntegerExtension = 'cls' | 'cls2' | 'class' | 'count' | 'index' | 'inx';
/** Extensions `decode` turns into a string (strict UTF-8). */
export type TextExtension = 'txt' | 'text' | 'transcript';
/** Extensions `decode` parses as JSON (`unknown`: check it where you use it). */
export type JsonExtension = 'json' | 'jsn';
type BuiltinExtension = ImageExtension | IntegerExtension | TextExtension | JsonExtension;

/** The last extension of a field name (`seg.png` -> `png`; a name without a dot is its own extension). */
type LastExtension<N extends string> = N extends `${string}.${infer R}` ? LastExtension<R> : N;

/** The value a built-in decoder makes for an extension; `V` (unchanged) when there is none. */
type BuiltinValue<E extends string, V> = E extends ImageExtension
  ? Image
  : E extends IntegerExtension
    ? number
    : E extends TextExtension
      ? string
      : E extends JsonExtension
        ? unknown
        : V;

/** The user decoder declared for a name (full name first, then last extension), or `undefined`. */
type UserDecoderOf<N extends string, D> = N extends keyof D
  ? D[N]
  : LastExtension<N> extends keyof D
    ? D[LastExtension<N>]
    : undefined;

type HasDecoder<N extends string, D> = [UserDecoderOf<N, D>] extends [undefined]
  ? LastExtension<N> extends BuiltinExtension
    ? true
    : N extends `${infer I}.gz`
      ? HasDecoder<I, D>
      : false
  : [UserDecoderOf<N, D>] extends [null]
    ? false
    : true;

type Builtin<N extends string, V, D> = N extends `${infer I}.gz`
  ? I extends ''
    ? V
    : HasDecoder<I, D> extends true
      ? DecodedField<I, V, D>
      : V
  : BuiltinValue<LastExtension<N>, V>;

/** What a user decoder's result makes of the field: its value, or (when it may return `undefined`) the built-in one too. */
type FromUser<Fn, N extends string, V, D> = [Fn] extends [null]
  ? V
  : Fn extends (...args: never[]) => infer R
    ? Exclude<Awaited<R>, undefined> | (undefined extends Awaited<R> ? Builtin<N, V, D> : never)
    : Builtin<N, V, D>;

/** What `decode` makes of one byte field named `N` (lower-cased), given the user decoders `D`. */
export type DecodedField<N extends string, V, D = object> = [UserDecoderOf<N, D>] extends [undefined]
  ? Builtin<N, V, D>
  : FromUser<UserDecoderOf<N, D>, N, V, D>;

type DecodedValue<K, V, D> = K extends `__${string}__`
  ? V
  : K extends string
    ? V extends Uint8Array
      ? DecodedField<Lowercase<K>, V, D>
      : V
    : V;

/**
 * Fields a sample without declared fields (`Sample`, any field) gets from `decode`, by name
 * pattern: `png`, `seg.png`, ... are `Image`s, `cls` a `number`, `txt` a `string`, `json` `unknown`
 * (and what the user decoders return, for the names they claim). Index signatures, as the
 * `[field: string]: unknown` they refine: a field the shard lacks is still `undefined` at run time.
 */
type KnownDecodedFields<D> = {
  [E in Exclude<BuiltinExtension, keyof D> as `${string}${E}`]: BuiltinValue<E, never>;
} & {
  [E in keyof D & string as `${string}${E}`]: FromUser<D[E], E, unknown, D>;
};

/**
 * A sample after `decode({decoders: D})`: every byte field mapped to what its decoder makes (see
 * {@link DecodedField}); `__key__`, `__url__` and fields that are not bytes unchanged. A sample type
 * with a string index signature (the default `Sample`) also gets the well-known names typed
 * (`png`, `jpg`, ... `Image`; `cls` `number`; `txt` `string`; `json` `unknown`).
 *
 * @example
 * type S = DecodedSample<Sample<{ png: Uint8Array; cls: Uint8Array; 'meta.json': Uint8Array }>>;
 * // { __key__: string; __url__: string; png: Image; cls: number; 'meta.json': unknown }
 */
export type DecodedSample<S, D = object> = {
  [K in keyof S]: DecodedValue<K, S[K], D>;
} & (string extends keyof S ? KnownDecodedFields<D> : unknown);
