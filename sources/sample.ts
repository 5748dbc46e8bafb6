/**
 * The types every layer shares: a WebDataset sample, a decoded image, a batch.
 * They live at the bottom (sources) so that operators and sinks can import them.
 */

/** Symbol under which a sample carries its lineage (who read it, and where from). */
export const LINEAGE: unique symbol = Symbol.for('ndaflow.lineage');

/** Where one sample came from, so that it can be settled (delivered or skipped) and re-read on resume. */
export interface Lineage {
  /** The run (ledger) that read the sample. */
  readonly ledger: LedgerLike;
  /** Position of the shard in the run's shard order (pass, index within pass). */
  readonly pass: number;
  readonly shard: number;
  /** Index of the sample inside its shard (0-based, counting every sample, skipped ones too). */
  readonly index: number;
}

/** The part of a ledger that operators and sinks see: settling samples. */
export interface LedgerLike {
  /** A sample left the pipeline for a reason other than delivery (an error handler skipped it, a filter dropped it). */
  settleSkipped(lineage: Lineage, reason: string, error?: unknown): void;
  /** A sample reached the consumer. */
  settleDelivered(lineage: Lineage): void;
}

/**
 * What every sample carries whatever its fields: `__key__` (the shared key), `__url__` (the shard
 * it came from) and its lineage. A type literal, not an interface, so that sample types built on it
 * stay assignable to `Record<string, unknown>`.
 */
export type SampleIdentity = {
  __key__: string;
  __url__: string;
  [LINEAGE]?: Lineage | readonly Lineage[];
};

/** The fields of a sample whose fields are not declared: any name, of unknown type. */
export type AnyFields = { [field: string]: unknown };

/**
 * A WebDataset sample: the fields of one key, by lower-cased extension (`png`, `cls`, `seg.png`),
 * plus `__key__` (the shared key) and `__url__` (the shard it came from). Raw fields are `Uint8Array`
 * (Node `Buffer`); `decode` replaces them by images, strings, numbers or objects.
 *
 * `Sample` (no type argument) has any field, typed `unknown`. Declare the fields your shards hold
 * to have them typed through the pipeline (`decode` and `batch` map them):
 *
 * @example
 * const source = fromShards<{ png: Uint8Array; cls: Uint8Array }>('data/fmnist/train-{000000..000003}.tar.gz');
 * // createLoader(source, decode(), batch(64)) yields { png: ImageBatch; cls: Float64Array; __key__: string[]; ... }
 */
export type Sample<F extends object = AnyFields> = SampleIdentity & F;

/** A decoded image: interleaved HWC pixels with their shape. */
export interface Image {
  readonly data: Uint8Array | Float32Array;
  /** [height, width, channels] */
  readonly shape: readonly [number, number, number];
}

/** True when a value is an {@link Image}. */
export function isImage(value: unknown): value is Image {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<Image>;
  return (
    (v.data instanceof Uint8Array || v.data instanceof Float32Array) && Array.isArray(v.shape) && v.shape.length === 3
  );
}

/**
 * A batch: `__key__` lists the member keys in order; every other field is the list of that field's
 * values, or, for images of one shape, one stacked {@link Image} of shape [N, H, W, C] (see `batch`).
 */
export interface Batch {
  __key__: string[];
  __url__: string[];
  [LINEAGE]?: readonly Lineage[];
  [field: string]: unknown;
}

/** A batch of images stacked into one typed array: shape [N, H, W, C]. */
export interface ImageBatch {
  readonly data: Uint8Array | Float32Array;
  readonly shape: readonly [number, number, number, number];
}

/**
 * All lineages an item carries: a sample one, a batch one per member. An item without its own
 * lineage is looked into one level deep, so that what stock RxJS operators build keeps its samples:
 * an array (`bufferCount`, `pairwise`, `toArray`) carries its elements' lineages, a plain object
 * (`{ sample, extra }`) its values'. Anything else carries none. A sample may appear more than once
 * (`pairwise`): settling is idempotent.
 */
export function lineagesOf(item: unknown): readonly Lineage[] {
  if (typeof item !== 'object' || item === null) return [];
  const own = ownLineages(item);
  if (own !== undefined) return own;
  let found: Lineage[] | undefined;
  if (Array.isArray(item)) {
    for (const member of item as unknown[]) {
      const l = typeof member === 'object' && member !== null ? ownLineages(member) : undefined;
      if (l !== undefined) (found ??= []).push(...l);
    }
  } else if (isPlainObject(item)) {
    for (const key in item) {
      const value = (item as Record<string, unknown>)[key];
      const l = typeof value === 'object' && value !== null ? ownLineages(value) : undefined;
      if (l !== undefined) (found ??= []).push(...l);
    }
  }
  return found ?? [];
}

function ownLineages(item: object): readonly Lineage[] | undefined {
  const l = (item as { [LINEAGE]?: Lineage | readonly Lineage[] })[LINEAGE];
  if (l === undefined) return undefined;
  return Array.isArray(l) ? (l as readonly Lineage[]) : [l as Lineage];
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Copies the lineage of `from` onto `to` (for operators that build new objects) and returns `to`. */
export function carryLineage<T extends object>(from: unknown, to: T): T {
  const l = typeof from === 'object' && from !== null ? (from as { [LINEAGE]?: unknown })[LINEAGE] : undefined;
  if (l !== undefined) (to as { [LINEAGE]?: unknown })[LINEAGE] = l;
  return to;
}

/** Marks every sample an item carries as skipped, with a reason (for operators that drop items). */
export function settleSkipped(item: unknown, reason: string, error?: unknown): void {
  for (const l of lineagesOf(item)) l.ledger.settleSkipped(l, reason, error);
}

/** Marks every sample an item carries as delivered to the consumer. */
export function settleDelivered(item: unknown): void {
  for (const l of lineagesOf(item)) l.ledger.settleDelivered(l);
}

/** The `__key__` of an item, as one string (a batch's keys joined), for error messages. */
export function describeKey(item: unknown): string {
  if (typeof item !== 'object' || item === null) return '?';
  const k = (item as { __key__?: unknown }).__key__;
  if (Array.isArray(k)) return k.length <= 3 ? k.join(',') : `${k.slice(0, 3).join(',')},...(${k.length})`;
  return typeof k === 'string' ? k : '?';
}

/** The `__url__` of an item, for error messages. */
export function describeUrl(item: unknown): string {
  if (typeof item !== 'object' || item === null) return '?';
  const u = (item as { __url__?: unknown }).__url__;
  if (Array.isArray(u)) return [...new Set(u)].join(',');
  return typeof u === 'string' ? u : '?';
}
