import koffi, { type LibraryHandle } from 'koffi';

/** A bound C function (koffi does not export the type by name). */
type CFunction = ReturnType<LibraryHandle['func']>;

/**
 * libjpeg-turbo's own TurboJPEG API, called through koffi (a prebuilt FFI) from the system's
 * `libturbojpeg.so.0` (Debian/Ubuntu: `apt-get install libturbojpeg0`), for the JPEG hot path of
 * `decode`. Why not sharp for JPEG: on the benchmark's 256 px photos sharp spends ~1.2 ms of CPU per
 * image (perf: a third in libvips' GObject/pipeline machinery, a quarter in the kernel, mostly page
 * faults on fresh output buffers and futex hand-offs, a quarter in libc memmove/malloc) around a
 * ~0.15 ms decode (tjbench); this path costs ~0.25 ms (measured with process.cpuUsage, 2026-12-05).
 * WebAssembly builds of libjpeg-turbo (@cwasm/jpeg-turbo, @jsquash/jpeg,
 * @cornerstonejs/codec-libjpeg-turbo-8bit) cost 0.86-1.2 ms: no SIMD.
 *
 * Decodes run on libuv's thread pool (koffi's asynchronous calls), like sharp's, so the main thread
 * only dispatches. A TurboJPEG handle is used by one call at a time: free handles wait in a small
 * pool (at most {@link MAX_IDLE_HANDLES}), each with a scratch buffer that full-size decodes of
 * cropped images go to, so that only the crop is allocated per image.
 */

/**
 * TurboJPEG's pixel formats used here: TJPF_RGB (0), TJPF_BGR (1) and TJPF_GRAY (6). BGR is RGB with
 * each pixel's bytes reversed, so a row of it reversed byte by byte is the RGB row mirrored: the
 * fused horizontal flip decodes to BGR and reverses rows natively instead of moving pixels in JS.
 */
export type PixelFormat = typeof TJPF_RGB | typeof TJPF_BGR | typeof TJPF_GRAY;
export const TJPF_RGB = 0;
export const TJPF_BGR = 1;
export const TJPF_GRAY = 6;

/**
 * Where a decode writes: `'scratch'`, the handle's reused buffer (the caller copies out, then calls
 * `release`); `'owned'`, a new buffer the caller keeps.
 */
export type DecodeTarget = 'scratch' | 'owned';

/** TJFLAG_STOPONWARNING: a warning (corrupt data, truncated file) fails the call, as sharp's default `failOn: 'warning'` does. */
const TJFLAG_STOPONWARNING = 1 << 13;
/** Idle handles kept for reuse; more are destroyed as they come back. */
const MAX_IDLE_HANDLES = 16;

interface Functions {
  readonly init: CFunction;
  readonly destroy: CFunction;
  readonly decompress: CFunction;
  readonly errorString: CFunction;
}

interface Handle {
  readonly ptr: unknown;
  /** Reused output for decodes whose pixels are cut before they leave (a crop). */
  scratch: Uint8Array;
}

/** Pixels decoded into memory the caller may keep (`owned`) or must copy out of before `release`. */
export interface TurboPixels {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  /** Gives the memory back to the pool (scratch decodes); call once the pixels have been copied. */
  readonly release: () => void;
}

/** A loaded libturbojpeg with its handle pool. */
export class JpegTurbo {
  readonly #fn: Functions;
  readonly #idle: Handle[] = [];
  #live = 0;
  #calls = 0;

  constructor(fn: Functions) {
    this.#fn = fn;
  }

  /** Handles created and not destroyed (idle or in a call): for tests of release. */
  get liveHandles(): number {
    return this.#live;
  }

  /** Decodes started so far (tests check which path an image took). */
  get calls(): number {
    return this.#calls;
  }

  /** Handles in a call now. */
  get busyHandles(): number {
    return this.#live - this.#idle.length;
  }

  /**
   * Decodes `bytes` (an 8-bit Huffman JPEG of `width` x `height`, 1 or 3 components) to `format`
   * on the thread pool, into `target` (see {@link DecodeTarget}). Rejects with libjpeg's message.
   */
  decode(
    bytes: Uint8Array,
    width: number,
    height: number,
    format: PixelFormat,
    target: DecodeTarget,
  ): Promise<TurboPixels> {
    const channels = format === TJPF_GRAY ? 1 : 3;
    const size = width * height * channels;
    const handle = this.#take();
    this.#calls++;
    const scratch = target === 'scratch';
    let out: Uint8Array;
    if (scratch) {
      if (handle.scratch.length < size) handle.scratch = uninitialisedBytes(size);
      out = handle.scratch.subarray(0, size);
    } else {
      out = uninitialisedBytes(size);
    }
    return new Promise<TurboPixels>((resolve, reject) => {
      const done = (error: unknown, status: unknown): void => {
        if (error || status !== 0) {
          const message = error instanceof Error ? error.message : String(this.#fn.errorString(handle.ptr));
          this.#give(handle);
          reject(new Error(`corrupt JPEG (libjpeg-turbo: ${message})`));
          return;
        }
        let released = !scratch;
        const release = (): void => {
          if (released) return;
          released = true;
          this.#give(handle);
        };
        if (!scratch) this.#give(handle);
        resolve({ data: out, width, height, channels, release });
      };
      try {
        this.#fn.decompress.async(
          handle.ptr,
          bytes,
          bytes.length,
          out,
          width,
          0,
          height,
          format,
          TJFLAG_STOPONWARNING,
          done,
        );
      } catch (error) {
        this.#give(handle);
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  /** Destroys the idle handles (busy ones are destroyed as they come back). */
  dispose(): void {
    for (const h of this.#idle.splice(0)) this.#destroy(h);
  }

  #take(): Handle {
    const idle = this.#idle.pop();
    if (idle) return idle;
    const ptr: unknown = this.#fn.init();
    if (ptr === null) throw new Error('libjpeg-turbo could not allocate a decompressor');
    this.#live++;
    return { ptr, scratch: new Uint8Array(0) };
  }

  #give(handle: Handle): void {
    if (this.#idle.length < MAX_IDLE_HANDLES) this.#idle.push(handle);
    else this.#destroy(handle);
  }

  #destroy(handle: Handle): void {
    this.#fn.destroy(handle.ptr);
    this.#live--;
  }
}

/** Uninitialised memory, for pixels whose every byte is written before anyone reads them: no zero-fill. */
export function uninitialisedBytes(size: number): Uint8Array {
  const b = Buffer.allocUnsafeSlow(size);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

let loaded: JpegTurbo | null | undefined;
let loadError = '';

/**
 * The process's libturbojpeg, loaded on first use; null when it cannot be loaded (then
 * {@link jpegTurboLoadError} says why). One per process: the library and its handles are shared.
 */
export function jpegTurbo(): JpegTurbo | null {
  if (loaded !== undefined) return loaded;
  try {
    const lib = koffi.load('libturbojpeg.so.0');
    loaded = new JpegTurbo({
      init: lib.func('void* tjInitDecompress()'),
      destroy: lib.func('int tjDestroy(void*)'),
      decompress: lib.func(
        'int tjDecompress2(void*, const uint8_t*, unsigned long, uint8_t*, int, int, int, int, int)',
      ),
      errorString: lib.func('const char* tjGetErrorStr2(void*)'),
    });
  } catch (error) {
    loaded = null;
    loadError = error instanceof Error ? error.message : String(error);
  }
  return loaded;
}

/** Why {@link jpegTurbo} returned null ('' when it did not). */
export function jpegTurboLoadError(): string {
  return loadError;
}
