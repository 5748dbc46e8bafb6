import { Observable, type OperatorFunction } from 'rxjs';
import { rangeError, typeError } from '../sources/errors.js';
import { resolveHandler, type ErrorHandler, type HandlerName } from '../sources/handlers.js';
import { carryLineage, type Sample } from '../sources/sample.js';
import { handleStageError } from './internal/stage-error.js';
import { subscribeSource } from './internal/subscribe-source.js';

/** Options of {@link select} (given after the field names). */
export interface SelectOptions {
  /**
   * What to do with a sample that lacks one of the fields: it is skipped under reason
   * `'missing-field'` (with the field named) and counted, then the handler decides.
   * @default 'reraise'
   */
  readonly handler?: ErrorHandler | HandlerName;
}

/**
 * Keeps only the named fields of each sample (plus `__key__`, `__url__` and its lineage), in the
 * order given: drop what the rest of the pipeline does not need, so it is not carried (nor
 * transferred to workers). Field names are matched exactly (fields are lower-cased extensions:
 * `'png'`, `'seg.png'`, `'cls'`). A sample without one of the fields is an error (`'missing-field'`)
 * that the handler sees. Deterministic.
 *
 * @param fields The fields to keep, optionally followed by the options object.
 * @throws TypeError/RangeError when no field is given, a field is not a non-empty string, or one is repeated.
 * @example
 * createLoader(source, select('png', 'cls'), decode());
 * @see rename
 * @see toTuple
 */
export function select(
  ...fields: [...fields: string[], options: SelectOptions] | string[]
): OperatorFunction<Sample, Sample> {
  const last = fields[fields.length - 1];
  const options: SelectOptions = typeof last === 'object' && last !== null ? (fields.pop() as SelectOptions) : {};
  const names = fields as string[];
  if (names.length === 0) throw rangeError('select fields', 'at least one field must be named', names);
  for (const f of names) {
    if (typeof f !== 'string') throw typeError('select fields', 'every field must be a string', f);
    if (f === '') throw rangeError('select fields', 'a field name must not be empty', f);
  }
  if (new Set(names).size !== names.length) throw rangeError('select fields', 'each field must be named once', names);
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
                  `Cannot select field ${JSON.stringify(f)} as the sample lacks it (it has ${fieldList(sample)})`,
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
