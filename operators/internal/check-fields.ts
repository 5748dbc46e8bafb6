import { rangeError, typeError } from '../../sources/errors.js';

/** Checks a `fields` option (the fields an image operator acts on): undefined, or a non-empty list of non-empty names. */
export function checkFields(action: string, fields: unknown): readonly string[] | undefined {
  if (fields === undefined) return undefined;
  if (!Array.isArray(fields) || fields.length === 0)
    throw typeError(action, 'fields must be a non-empty array of field names', fields);
  for (const f of fields)
    if (typeof f !== 'string' || f === '') throw rangeError(action, 'every field must be a non-empty string', f);
  return [...(fields as string[])];
}
