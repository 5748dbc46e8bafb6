import { rangeError } from '../../../sources/errors.js';

/** Checks an encoder's `inputShape` option: `rank` positive integers (each at most 65536). */
export function checkInputShape(action: string, shape: unknown, rank: number, form: string): number[] {
  if (
    !Array.isArray(shape) ||
    shape.length !== rank ||
    !shape.every((s) => Number.isInteger(s) && (s as number) > 0 && (s as number) <= 1 << 16)
  ) {
    throw rangeError(action, `inputShape must be ${form} of positive integers`, shape);
  }
  return [...(shape as number[])];
}
