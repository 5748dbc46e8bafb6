import { Observable, type OperatorFunction } from 'rxjs';
import { rangeError, typeError } from '../sources/errors.js';
import { resolveHandler, type ErrorHandler, type HandlerName } from '../sources/handlers.js';
import { LINEAGE, carryLineage, type Lineage, type Sample, type SampleIdentity } from '../sources/sample.js';
import type { SpecField } from './internal/field-types.js';
import { handleStageError } from './internal/stage-error.js';
import { subscribeSource } from './internal/subscribe-source.js';
import { checkOptionKeys, optionKeys } from '../sources/option-keys.js';

const TO_TUPLE_KEYS = optionKeys<ToTupleOptions>({ handler: true });

/**
 * What {@link toTuple} emits: the field values in order, an ordinary array that still carries the
 * sample's lineage (under the `LINEAGE` symbol) and, as non-enumerable properties (invisible to
 * spreading, iteration and JSON), its `__key__` and `__url__`.
 */
export type SampleTuple<T extends readonly unknown[] = unknown[]> = T & {
  readonly __key__: string;
  readonly __url__: string;
  [LINEAGE]?: Lineage | readonly Lineage[];
};

/** The values {@link toTuple} takes from a sample of type `S` for the field specs `K`, in order. */
export type TupleOf<S, K extends readonly string[]> = {
  -readonly [I in keyof K]: SpecField<S, K[I] & string>;
} & unknown[];

/** Options of {@link toTuple} (given after the field names). */
export interface ToTupleOptions {
  /**
   * What to do with a sample that has none of a position's alternatives: it is skipped under
   * reason `'missing-field'` and counted, then the handler decides.
   * @default 'reraise'
   */
  readonly handler?: ErrorHandler | HandlerName;
}

/**
 * Turns each sample into an array of field values, as WebDataset's `to_tuple`: each name may list
 * `;`-separated alternatives (`'jpg;png'`: the first the sample has). Use it at the end of a
 * pipeline whose consumer wants `[image, label]` pairs (`batch` collates tuples position by
 * position). The array still carries the sample's lineage, so the loader settles it, and its key
 * and shard as non-enumerable `__key__`/`__url__`. A missing field is an error
 * (`'missing-field'`) that the handler sees. Deterministic.
 *
 * @param fields The fields, in order, optionally followed by the options object.
 * @throws TypeError/RangeError when no field is given or a name or alternative is empty.
 * @example
 * for await (const [image, label] of createLoader(source, decode(), toTuple('png;jpg', 'cls'))) train(image, label);
 * @see select
 */
export function toTuple<S extends SampleIdentity = Sample, const K extends readonly string[] = string[]>(
  ...fields: K
): OperatorFunction<S, SampleTuple<TupleOf<S, K>>>;
export function toTuple<S extends SampleIdentity = Sample, const K extends readonly string[] = string[]>(
  ...fields: [...K, ToTupleOptions]
): OperatorFunction<S, SampleTuple<TupleOf<S, K>>>;
export function toTuple(
  ...fields: [...fields: string[], options: ToTupleOptions] | string[]
): OperatorFunction<Sample, SampleTuple> {
  const last = fields[fields.length - 1];
  const options: ToTupleOptions = typeof last === 'object' && last !== null ? (fields.pop() as ToTupleOptions) : {};
  checkOptionKeys('toTuple', options, TO_TUPLE_KEYS);
  const names = fields as string[];
  if (names.length === 0) throw rangeError('make tuples', 'at least one field must be named', names);
  const specs = names.map((f) => {
    if (typeof f !== 'string') throw typeError('make tuples', 'every field must be a string', f);
    const alternatives = f.split(';');
    if (alternatives.some((a) => a === ''))
      throw rangeError('make tuples', 'a field name or alternative must not be empty', f);
    return alternatives;
  });
  const handler = resolveHandler(options.handler);
  return (source) =>
    new Observable<SampleTuple>((subscriber) =>
      subscribeSource(source, subscriber, {
        next: (sample) => {
          if (subscriber.closed) return;
          const values: unknown[] = [];
          for (const alternatives of specs) {
            const found = alternatives.find((a) => sample[a] !== undefined);
            if (found === undefined) {
              const spec = alternatives.join(';');
              handleStageError(
                handler,
                new Error(`Cannot make a tuple as the sample has no field ${JSON.stringify(spec)}`),
                sample,
                'missing-field',
                subscriber,
                spec,
              );
              return;
            }
            values.push(sample[found]);
          }
          Object.defineProperties(values, {
            __key__: { value: sample.__key__, enumerable: false },
            __url__: { value: sample.__url__, enumerable: false },
          });
          subscriber.next(carryLineage(sample, values) as SampleTuple);
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      }),
    );
}
