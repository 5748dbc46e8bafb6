import { Observable, type OperatorFunction } from 'rxjs';
import { rangeError, typeError } from '../sources/errors.js';
import { resolveHandler, type ErrorHandler, type HandlerName } from '../sources/handlers.js';
import { carryLineage, type Sample, type SampleIdentity } from '../sources/sample.js';
import type { Alternatives, IdentityOf, SpecField } from './internal/field-types.js';
import { handleStageError } from './internal/stage-error.js';
import { subscribeSource } from './internal/subscribe-source.js';
import { checkOptionKeys, optionKeys } from '../sources/option-keys.js';

const RENAME_KEYS = optionKeys<RenameOptions>({ keep: true, handler: true });

/** Options of {@link rename}. */
export interface RenameOptions {
  /**
   * Keep the fields not involved in the renaming. With `false` the result holds only `__key__`,
   * `__url__` and the new fields (WebDataset's `rename(keep=False)`).
   * @default true
   */
  readonly keep?: boolean;
  /**
   * What to do with a sample that has none of a new field's alternatives: it is skipped under
   * reason `'missing-field'` and counted, then the handler decides.
   * @default 'reraise'
   */
  readonly handler?: ErrorHandler | HandlerName;
}

/**
 * What {@link rename} emits: each new field typed as the one its spec names (`'jpg;png'`: either's
 * type), the fields named as sources removed, the others kept (unless `keep: false`).
 */
export type Renamed<S, M extends Readonly<Record<string, string>>, Keep extends boolean = true> = IdentityOf<S> &
  (false extends Keep
    ? unknown
    : { [K in keyof S as K extends Alternatives<M[keyof M] & string> | keyof M ? never : K]: S[K] }) & {
    -readonly [K in keyof M & string]: SpecField<S, M[K] & string>;
  };

/**
 * Renames fields with WebDataset's semantics: `rename({ image: 'jpg;png', label: 'cls' })` sets
 * `image` to the first of `jpg`, `png` the sample has, and `label` to its `cls`; every field named
 * as a source (all alternatives) is removed, and the other fields are kept (unless `keep: false`).
 * Use it to give datasets with different extensions the same field names. A sample with none of a
 * new field's alternatives is an error (`'missing-field'`) that the handler sees. `__key__`,
 * `__url__` and the lineage are always kept. Deterministic.
 *
 * @param mapping `{ newName: 'old' | 'old;alternative;...' }`.
 * @throws TypeError/RangeError for an empty mapping, an empty name or alternative, or a new name
 *   `__key__`/`__url__`.
 * @example
 * createLoader(source, rename({ image: 'jpg;jpeg;png', label: 'cls' }), decode());
 * @see select
 */
export function rename<
  S extends SampleIdentity = Sample,
  const M extends Readonly<Record<string, string>> = Readonly<Record<string, string>>,
  Keep extends boolean = true,
>(mapping: M, options?: RenameOptions & { readonly keep?: Keep }): OperatorFunction<S, Renamed<S, M, Keep>>;
export function rename(
  mapping: Readonly<Record<string, string>>,
  options: RenameOptions = {},
): OperatorFunction<Sample, Sample> {
  checkOptionKeys('rename', options, RENAME_KEYS);
  const action = 'rename fields';
  if (typeof mapping !== 'object' || mapping === null || Array.isArray(mapping))
    throw typeError(action, 'the mapping must be an object { newName: "old;alt" }', mapping);
  const entries = Object.entries(mapping).map(([to, from]): [string, string[]] => {
    if (to === '' || to === '__key__' || to === '__url__')
      throw rangeError(action, 'a new name must be a non-empty field name other than __key__ and __url__', to);
    if (typeof from !== 'string')
      throw typeError(action, `the source of ${JSON.stringify(to)} must be a string of ;-separated alternatives`, from);
    const alternatives = from.split(';');
    if (alternatives.some((a) => a === ''))
      throw rangeError(action, `the source of ${JSON.stringify(to)} must not have an empty alternative`, from);
    return [to, alternatives];
  });
  if (entries.length === 0) throw rangeError(action, 'the mapping must name at least one field', mapping);
  const keep = options.keep ?? true;
  if (typeof keep !== 'boolean') throw typeError(action, 'keep must be a boolean', keep);
  const handler = resolveHandler(options.handler);
  const replaced = new Set(entries.flatMap(([, alternatives]) => alternatives));
  return (source) =>
    new Observable<Sample>((subscriber) =>
      subscribeSource(source, subscriber, {
        next: (sample) => {
          if (subscriber.closed) return;
          const out: Sample = { __key__: sample.__key__, __url__: sample.__url__ };
          if (keep) {
            for (const [k, v] of Object.entries(sample)) if (!replaced.has(k)) out[k] = v;
          }
          for (const [to, alternatives] of entries) {
            const found = alternatives.find((a) => sample[a] !== undefined);
            if (found === undefined) {
              const spec = alternatives.join(';');
              handleStageError(
                handler,
                new Error(
                  `Cannot rename ${JSON.stringify(spec)} to ${JSON.stringify(to)} as the sample has none of these fields`,
                ),
                sample,
                'missing-field',
                subscriber,
                spec,
              );
              return;
            }
            out[to] = sample[found];
          }
          out.__key__ = sample.__key__;
          out.__url__ = sample.__url__;
          subscriber.next(carryLineage(sample, out));
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      }),
    );
}
