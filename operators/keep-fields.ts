import { Observable, type OperatorFunction } from 'rxjs';
import { rangeError, typeError } from '../sources/errors.js';
import { resolveHandler, type ErrorHandler, type HandlerName } from '../sources/handlers.js';
import { carryLineage, type Sample, type SampleIdentity } from '../sources/sample.js';
import type { FieldOf, IdentityOf } from './internal/field-types.js';
import { handleStageError } from './internal/stage-error.js';
import { subscribeSource } from './internal/subscribe-source.js';
import { checkOptionKeys, optionKeys } from '../sources/option-keys.js';

const KEEP_FIELDS_KEYS = optionKeys<KeepFieldsOptions>({ handler: true });

const ACTION = 'keep fields';

/** Options of {@link keepFields} (given after the field names). */
export interface KeepFieldsOptions {
  /**
   * What to do with a sample that lacks one of the fields: it is skipped under reason
   * `'missing-field'` (with the field named) and counted, then the handler decides.
   * @default 'reraise'
   */
  readonly handler?: ErrorHandler | HandlerName;
}

/** What {@link keepFields} emits: the sample's identity and the fields named (`K`), with their types. */
export type KeptFields<S, K extends string> = IdentityOf<S> & {
  [P in Exclude<K, '__key__' | '__url__'>]: FieldOf<S, P>;
};

/**
 * Keeps only the named fields of each sample (plus `__key__`, `__url__` and its lineage), in the
 * order given: drop what the rest of the pipeline does not need, so it is not carried (nor
 * transferred to workers). Field names are matched exactly (fields are lower-cased extensions:
 * `'png'`, `'seg.png'`, `'cls'`). A sample without one of the fields is an error (`'missing-field'`)
 * that the handler sees. Deterministic.
 *
 * Not WebDataset's `select`, which keeps the *samples* a predicate accepts: for that use RxJS's
 * `filter` (or {@link filterSamples}, which counts the dropped samples under a reason of yours).
 * This one is WebDataset's `rename(..., keep=False)` without the renaming, or TypeScript's `Pick`.
 *
 * @param fields The fields to keep, optionally followed by the options object.
 * @throws TypeError/RangeError when no field is given, a field is not a non-empty string, or one is repeated.
 * @example
 * createLoader(source, keepFields('png', 'cls'), decode()); // items: { __key__, __url__, png: Image, cls: number }
 * @see rename
 * @see toTuple
 */
export function keepFields<S extends SampleIdentity = Sample, K extends string = string>(
  ...fields: K[]
): OperatorFunction<S, KeptFields<S, K>>;
export function keepFields<S extends SampleIdentity = Sample, K extends string = string>(
  ...fields: [...fields: K[], options: KeepFieldsOptions]
): OperatorFunction<S, KeptFields<S, K>>;
export function keepFields(
  ...fields: [...fields: string[], options: KeepFieldsOptions] | string[]
): OperatorFunction<Sample, Sample> {
  const last = fields[fields.length - 1];
  const options: KeepFieldsOptions =
    typeof last === 'object' && last !== null ? (fields.pop() as KeepFieldsOptions) : {};
  checkOptionKeys('keepFields', options, KEEP_FIELDS_KEYS);
  const names = fields as string[];
  if (names.length === 0) throw rangeError(ACTION, 'at least one field must be named', names);
  for (const f of names) {
    if (typeof f !== 'string') throw typeError(ACTION, 'every field must be a string', f);
    if (f === '') throw rangeError(ACTION, 'a field name must not be empty', f);
  }
  if (new Set(names).size !== names.length) throw rangeError(ACTION, 'each field must be named once', names);
  const handler = resolveHandler(options.handler);
  const wanted = names.filter((f) => f !== '__key__' && f !== '__url__');
  return (source) =>
    new Observable<Sample>((subscriber) =>
      subscribeSource(source, subscriber, {
        next: (sample) => {
          if (subscriber.closed) return;
          const out: Sample = { __key__: sample.__key__, __url__: sample.__url__ };
          for (const f of wanted) {
            if (!Object.prototype.hasOwnProperty.call(sample, f) || sample[f] === undefined) {
              handleStageError(
                handler,
                new Error(
                  `Cannot keep field ${JSON.stringify(f)} as the sample lacks it (it has ${fieldList(sample)})`,
                ),
                sample,
                'missing-field',
                subscriber,
                f,
              );
              return;
            }
            out[f] = sample[f];
          }
          subscriber.next(carryLineage(sample, out));
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      }),
    );
}

function fieldList(sample: Sample): string {
  const fields = Object.keys(sample).filter((k) => k !== '__key__' && k !== '__url__');
  return fields.length === 0 ? 'no field' : fields.map((f) => JSON.stringify(f)).join(', ');
}
