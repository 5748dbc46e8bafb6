/**
 * Errors. Build-time (a wrong option): `RangeError`/`TypeError` of the form
 * `Cannot <action> as <constraint>: current value is <x>`. Run-time (a bad sample or shard):
 * {@link SampleError} carrying the shard `url`, the sample `key`, the `field` and the `cause`.
 */

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined)
    return String(value);
  try {
    // JSON.stringify gives undefined for a function or symbol, and throws on a bigint or a cycle
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a last resort for those: the message shows whatever was given
    return JSON.stringify(value) ?? String(value);
  } catch {
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- as above
    return String(value);
  }
}

/**
 * `Array.isArray` for validating a value declared as an array (a readonly one included), that
 * narrows it to the declared array type instead of `any[]`.
 */
export function isArray(value: unknown): value is readonly unknown[] {
  return Array.isArray(value);
}

/** `RangeError("Cannot <action> as <constraint>: current value is <x>")`. */
export function rangeError(action: string, constraint: string, value: unknown): RangeError {
  return new RangeError(`Cannot ${action} as ${constraint}: current value is ${show(value)}`);
}

/** `TypeError("Cannot <action> as <constraint>: current value is <x>")`. */
export function typeError(action: string, constraint: string, value: unknown): TypeError {
  return new TypeError(`Cannot ${action} as ${constraint}: current value is ${show(value)}`);
}

/** Checks an integer option in [min, max]; throws the house RangeError/TypeError otherwise. */
export function checkInteger(
  action: string,
  name: string,
  value: unknown,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof value !== 'number' || Number.isNaN(value)) throw typeError(action, `${name} must be a number`, value);
  if (!Number.isInteger(value) && value !== Infinity) throw rangeError(action, `${name} must be an integer`, value);
  if (value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
    throw rangeError(action, `${name} must be ${range}`, value);
  }
  return value;
}

/** Where an error happened: the shard, the sample key and the field (any may be unknown). */
export interface ErrorSite {
  readonly url?: string;
  readonly key?: string;
  readonly field?: string;
}

/**
 * A run-time error about one sample or shard. `reason` is a short stable tag used for the accounting
 * (`decode`, `duplicate-field`, `truncated-shard`, `shard-open`, ...).
 */
export class SampleError extends Error {
  override readonly name: string = 'SampleError';
  readonly url: string | undefined;
  readonly key: string | undefined;
  readonly field: string | undefined;
  readonly reason: string;

  constructor(reason: string, message: string, site: ErrorSite = {}, cause?: unknown) {
    const where = [
      site.url && `shard ${site.url}`,
      site.key && `key ${JSON.stringify(site.key)}`,
      site.field && `field ${JSON.stringify(site.field)}`,
    ]
      .filter(Boolean)
      .join(', ');
    const because =
      cause instanceof Error && cause.message && !message.includes(cause.message) ? `: ${cause.message}` : '';
    super(`${message}${because}${where ? ` (${where})` : ''}`, cause === undefined ? undefined : { cause });
    this.reason = reason;
    this.url = site.url;
    this.key = site.key;
    this.field = site.field;
  }
}

/** An error about a whole shard (cannot open, not a tar, truncated): the samples after it in the shard are lost. */
export class ShardError extends SampleError {
  override readonly name: string = 'ShardError';
}

/** Wraps any error as a {@link SampleError} with a reason and site, keeping one already wrapped. */
export function asSampleError(error: unknown, reason: string, site: ErrorSite): SampleError {
  if (error instanceof SampleError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new SampleError(reason, message, site, error);
}
