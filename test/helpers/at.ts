/**
 * `items[index]`, or a RangeError naming the index when it is out of range: for tests that index
 * arrays under `noUncheckedIndexedAccess` and should fail loudly, not read `undefined`.
 */
export function at<T>(items: ArrayLike<T>, index: number): T {
  const value = items[index];
  if (value === undefined)
    throw new RangeError(`Cannot read index ${index} as it is out of range: length is ${items.length}`);
  return value;
}
