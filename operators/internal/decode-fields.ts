import { gunzip, gunzipSync } from 'node:zlib';
import { promisify } from 'node:util';
import { SampleError } from '../../sources/errors.js';
import { describeKey, describeUrl, type Sample } from '../../sources/sample.js';
import { decodeImage, type Geometry, type ImageSettings, type ImageSlot } from './image-decoders.js';

/**
 * Field dispatch for `decode`: which decoder a field gets (user decoders first, by full field name
 * then by last extension; `.gz` unwrapped; then the built-in ones by last extension), and the
 * built-in text, integer and JSON decoders. Every failure becomes a `SampleError` with reason
 * `'decode'` naming the shard, key and field.
 */

/**
 * A user decoder: gets the field's bytes (already gunzipped for a `.gz` field whose inner name it
 * matches), the field name and the whole (undecoded) sample; returns the value, or a Promise of it.
 * Returning `undefined` means "not mine": the built-in decoder for the extension is tried next.
 */
export type FieldDecoder = (bytes: Uint8Array, field: string, sample: Sample) => unknown;

/** Everything resolved in the factory that decoding a sample needs. */
export interface DecodeContext {
  /** User decoders by lower-cased name; `null` turns decoding of that name off. */
  readonly decoders: ReadonlyMap<string, FieldDecoder | null>;
  readonly image: ImageSettings;
  /** Most bytes a `.gz` field may inflate to. */
  readonly maxGunzipBytes: number;
  /** Crop and flip fused into image decoding, per sample (`decode({randomCrop, randomFlip})`). */
  readonly geometry?: (sample: Sample) => Geometry;
}

const gunzipAsync = promisify(gunzip);
/** Compressed `.gz` fields above this many bytes are inflated on the thread pool instead of the main thread. */
const SYNC_GUNZIP_BYTES = 64 * 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeText(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}

function decodeInteger(bytes: Uint8Array): number {
  const text = utf8.decode(bytes).trim();
  if (!/^[+-]?\d+$/.test(text))
    throw new Error(`not an integer: ${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text)}`);
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new Error(`integer out of the safe range: ${text}`);
  return n;
}

function decodeJson(bytes: Uint8Array): unknown {
  return JSON.parse(utf8.decode(bytes));
}

type Builtin = (bytes: Uint8Array, context: DecodeContext, sample: Sample, slot?: ImageSlot) => unknown;

const image: Builtin = (bytes, context, sample, slot) =>
  decodeImage(bytes, context.image, context.geometry?.(sample), slot);

/**
 * Where the images of one sample go, by field (`decode` fused into a `batch`: the field's slot in
 * the batch's memory, see `batch-slots.ts`); undefined: the decoder allocates.
 */
export type SampleSlots = (field: string, bytes: number) => Uint8Array | undefined;

/** Built-in decoders by extension (WebDataset's names for text, integers and JSON). */
const BUILTIN: ReadonlyMap<string, Builtin> = new Map<string, Builtin>([
  ['png', image],
  ['jpg', image],
  ['jpeg', image],
  ['webp', image],
  ['ppm', image],
  ['pgm', image],
  ['pnm', image],
  ['txt', decodeText],
  ['text', decodeText],
  ['transcript', decodeText],
  ['cls', decodeInteger],
  ['cls2', decodeInteger],
  ['class', decodeInteger],
  ['count', decodeInteger],
  ['index', decodeInteger],
  ['inx', decodeInteger],
  ['json', decodeJson],
  ['jsn', decodeJson],
]);

function lastExtension(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? name : name.slice(dot + 1);
}

/** The user decoder for a (lower-cased) name: by full name, then by last extension; null = off; undefined = none. */
function userDecoder(name: string, context: DecodeContext): FieldDecoder | null | undefined {
  const byName = context.decoders.get(name);
  if (byName !== undefined) return byName;
  return context.decoders.get(lastExtension(name));
}

/** True when a (lower-cased) name has any decoder, so that a `.gz` around it is worth inflating. */
function hasDecoder(name: string, context: DecodeContext): boolean {
  const user = userDecoder(name, context);
  if (user !== undefined) return user !== null;
  const ext = lastExtension(name);
  if (BUILTIN.has(ext)) return true;
  return ext === 'gz' && name !== 'gz' && hasDecoder(name.slice(0, -3), context);
}

/** Marks a field left as it is. */
const UNCHANGED: unique symbol = Symbol('unchanged');

/** One field being decoded: its name as given, its sample, the settings and where its image may go. */
interface FieldCall {
  readonly field: string;
  readonly sample: Sample;
  readonly context: DecodeContext;
  readonly slot?: ImageSlot;
}

/**
 * Decodes one field's bytes by its name; returns the value (or a Promise of it), or
 * {@link UNCHANGED} when no decoder applies. Throws/rejects plain errors; {@link decodeSample} wraps them.
 */
function decodeField(bytes: Uint8Array, call: FieldCall): unknown {
  return decodeAs(bytes, call.field.toLowerCase(), call);
}

/** Decodes `bytes` as a field named `name` (lower-cased; the inner name once a `.gz` is unwrapped). */
function decodeAs(bytes: Uint8Array, name: string, call: FieldCall): unknown {
  const { context } = call;
  const user = userDecoder(name, context);
  if (user === null) return UNCHANGED;
  if (user !== undefined) {
    const result = user(bytes, call.field, call.sample);
    if (result instanceof Promise)
      return result.then((value: unknown) => (value === undefined ? builtin(bytes, name, call) : value));
    if (result !== undefined) return result;
  }
  return builtin(bytes, name, call);
}

function builtin(bytes: Uint8Array, name: string, call: FieldCall): unknown {
  const { context } = call;
  const ext = lastExtension(name);
  if (ext === 'gz' && name !== 'gz') {
    const inner = name.slice(0, -3);
    if (!hasDecoder(inner, context)) return UNCHANGED;
    const limit = { maxOutputLength: context.maxGunzipBytes };
    if (bytes.length <= SYNC_GUNZIP_BYTES)
      return decodeAs(
        gunzipChecked(() => gunzipSync(bytes, limit), context),
        inner,
        call,
      );
    return gunzipAsync(bytes, limit).then(
      (inflated) => decodeAs(inflated, inner, call),
      (error: unknown) => {
        throw gunzipError(error, context);
      },
    );
  }
  const decoder = BUILTIN.get(ext);
  return decoder === undefined ? UNCHANGED : decoder(bytes, context, call.sample, call.slot);
}

function gunzipChecked(run: () => Uint8Array, context: DecodeContext): Uint8Array {
  try {
    return run();
  } catch (error) {
    throw gunzipError(error, context);
  }
}

function gunzipError(error: unknown, context: DecodeContext): Error {
  if (error instanceof RangeError)
    return new Error(`the gzip data inflates to more than maxGunzipBytes (${context.maxGunzipBytes})`);
  return new Error(`corrupt gzip data (${error instanceof Error ? error.message : String(error)})`);
}

function wrap(error: unknown, sample: Sample, field: string): SampleError {
  if (error instanceof SampleError) {
    if (error.key !== undefined) return error;
    // an error of the fused crop (reason 'random-crop'): give it the sample's site
    return new SampleError(
      error.reason,
      error.message,
      { url: describeUrl(sample), key: describeKey(sample), field },
      error.cause,
    );
  }
  return new SampleError(
    'decode',
    `Cannot decode field ${JSON.stringify(field)}`,
    { url: describeUrl(sample), key: describeKey(sample), field },
    error,
  );
}

/**
 * Decodes every byte field of a sample that has a decoder and returns a new sample (same
 * `__key__`, `__url__` and lineage; fields without a decoder, and values that are not bytes, are
 * kept as they are). Synchronous when every field is; a Promise otherwise. A failing field throws
 * (or rejects with) a `SampleError` of reason `'decode'`. `slots`: where its images may be written.
 */
export function decodeSample(sample: Sample, context: DecodeContext, slots?: SampleSlots): Sample | Promise<Sample> {
  const out: Sample = { ...sample };
  let pending: Promise<void>[] | undefined;
  for (const field of Object.keys(sample)) {
    const bytes = sample[field];
    if (!(bytes instanceof Uint8Array) || (field.startsWith('__') && field.endsWith('__'))) continue;
    let value: unknown;
    try {
      value = decodeField(bytes, { field, sample, context, slot: slots && ((n) => slots(field, n)) });
    } catch (error) {
      throw wrap(error, sample, field);
    }
    if (value === UNCHANGED) continue;
    if (value instanceof Promise) {
      (pending ??= []).push(
        value.then(
          (v: unknown) => {
            if (v !== UNCHANGED) out[field] = v;
          },
          (error: unknown) => {
            throw wrap(error, sample, field);
          },
        ),
      );
    } else {
      out[field] = value;
    }
  }
  if (pending === undefined) return out;
  return Promise.all(pending).then(() => out);
}
