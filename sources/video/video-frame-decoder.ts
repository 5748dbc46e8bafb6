import { mkdtempSync, rmSync } from 'node:fs';
import { unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type Ffmpeg from 'fluent-ffmpeg';
import { importOptional } from '../optional-package.js';
import { findFfmpegBinaries, type FfmpegBinaries } from './ffmpeg-binaries.js';

/** What {@link VideoFrameDecoder.decode} decodes, and how. */
export interface FrameDecodeRequest {
  /** The video file's bytes (any container ffmpeg reads: mp4, avi, webm, mkv, mov, ...). */
  readonly bytes: Uint8Array;
  /** File extension for the temporary file (helps ffmpeg pick the demuxer), e.g. `'mp4'`. */
  readonly extension: string;
  /** Frames are scaled so that their short side is `size` (aspect kept) ... */
  readonly size: number;
  /** ... then centre-cropped to `crop` x `crop` (crop <= size). */
  readonly crop: number;
  /** swscale algorithm of the resize (`fast_bilinear` is about twice as fast on large frames, with more aliasing). @default 'bilinear' */
  readonly scaler?: VideoScaler;
  /** Target frames per second (ffmpeg's `fps` filter; makes a variable-frame-rate video regular); undefined keeps the video's own frames. */
  readonly fps?: number;
  /** ffmpeg decoder threads (`-threads`). */
  readonly threads: number;
  /** Most frames to decode (`-frames:v`); undefined: no limit. */
  readonly maxFrames?: number;
  /**
   * Given the frame count the container declares (duration x fps, after resampling), the last frame
   * index the caller needs: decoding stops once it has arrived (the process is killed), so an early
   * clip of a long video does not cost the whole video. Not called when the container declares no
   * duration; then the whole video (up to `maxFrames`) is decoded.
   */
  readonly lastNeeded?: (estimatedFrames: number) => number;
  /** Aborts the decode: the process is killed and the promise rejects with an `AbortError`. */
  readonly signal?: AbortSignal;
}

/** swscale algorithms offered for the resize. */
export type VideoScaler = 'fast_bilinear' | 'bilinear' | 'bicubic' | 'area' | 'neighbor';

/** What a decode gave. */
export interface DecodedFrames {
  /** The frames, each `crop * crop * 3` bytes of interleaved RGB, in decode order (views into shared blocks: copy what you keep). */
  readonly frames: Uint8Array[];
  /** Frame side in pixels (`crop`). */
  readonly side: number;
  /** Frames per second of the decoded frames: the target fps, else the stream's (0 when unknown). */
  readonly fps: number;
  /** True when the decoder reached the end of the video (or `maxFrames`): `frames.length` is then its frame count. False when it stopped after the needed frame. */
  readonly ended: boolean;
  /** The frame count the container declares (duration x fps), when it declares a duration. */
  readonly estimatedFrames: number | undefined;
}

/** ffmpeg failed on a video; `lastLine` is the last meaningful line it wrote to stderr. */
export class VideoDecodeFailure extends Error {
  override readonly name: string = 'VideoDecodeFailure';
  constructor(
    message: string,
    readonly lastLine: string,
  ) {
    super(lastLine ? `${message}: ${lastLine}` : message);
  }
}

/** Reads the `Duration:` and the first video stream's fps from ffmpeg's input header (stderr). */
class HeaderParser {
  duration: number | undefined;
  streamFps: number | undefined;
  /** True once the input header is over (ffmpeg printed its stream mapping or output section). */
  done = false;
  private durationSeen = false;

  line(line: string): void {
    if (this.done) return;
    if (/^\s*(Stream mapping:|Output #0)/.test(line)) {
      this.done = true;
      return;
    }
    const d = /Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)/.exec(line);
    if (d && !this.durationSeen) {
      this.durationSeen = true;
      this.duration = Number(d[1]) * 3600 + Number(d[2]) * 60 + Number(d[3]);
      return;
    }
    if (/Duration:\s*N\/A/.test(line)) this.durationSeen = true;
    if (this.streamFps === undefined && /Stream #\d+:\d+.*: Video:/.test(line)) {
      const f = /(\d+(?:\.\d+)?)(k?) fps/.exec(line) ?? /(\d+(?:\.\d+)?)(k?) tbr/.exec(line);
      if (f) this.streamFps = Number(f[1]) * (f[2] === 'k' ? 1000 : 1);
    }
  }
}

/** Lines of ffmpeg's stderr that say nothing about a failure. */
const NOISE = /^(Conversion failed!|Exiting normally.*|\s*)$/;

let decoderCount = 0;
const FRAMES_PER_BLOCK = 16;
const BLOCK_BYTES = 4 * 1024 * 1024;

/**
 * Decodes videos to small RGB frames with one ffmpeg process per video (through `fluent-ffmpeg`,
 * with the binary of {@link findFfmpegBinaries}, no ffprobe): the bytes go to a temporary file in
 * this decoder's own folder under `os.tmpdir()` (an mp4 whose index comes last cannot be piped),
 * ffmpeg resamples (`fps`), scales the short side to `size`, centre-crops to `crop` and writes
 * raw rgb24 frames to a pipe. The caller bounds how many decodes run at once.
 *
 * Lifecycle: each decode removes its temporary file when it settles; aborting a decode kills its
 * process; {@link close} kills every running process and removes the folder (idempotent).
 *
 * `fluent-ffmpeg` is imported on the first decode, not when this module loads (a loader of images
 * never needs it); without it the decode rejects with a `MissingPackageError` naming the
 * install command.
 *
 * Note: fluent-ffmpeg keeps the ffmpeg path in a module-wide cache (its `setFfmpegPath` is global),
 * and runs `ffmpeg -formats` and `ffmpeg -encoders` once per Node process (its capability check,
 * cached); after that each video costs exactly one process.
 */
export class VideoFrameDecoder {
  private readonly binaries: FfmpegBinaries;
  private dir: string | undefined;
  private closed = false;
  private files = 0;
  private readonly running = new Set<Ffmpeg.FfmpegCommand>();

  constructor(binaries: FfmpegBinaries = findFfmpegBinaries()) {
    this.binaries = binaries;
  }

  /** The temporary folder (made on first use). */
  private folder(): string {
    this.dir ??= mkdtempSync(join(tmpdir(), `ndaflow-video-${process.pid}-${decoderCount++}-`));
    return this.dir;
  }

  /**
   * Decodes one video. Rejects with a {@link VideoDecodeFailure} when ffmpeg fails or gives no
   * frame, with an `AbortError` when `signal` aborts or the decoder is closed.
   */
  async decode(request: FrameDecodeRequest): Promise<DecodedFrames> {
    if (this.closed) throw abortError('the video decoder is closed');
    request.signal?.throwIfAborted();
    // loaded on first use (Node caches it), before any temporary file is written
    const { default: ffmpeg } = await importOptional<{ default: typeof Ffmpeg }>('fluent-ffmpeg', 'decode a video');
    if (this.closed) throw abortError('the video decoder is closed');
    request.signal?.throwIfAborted();
    const file = join(this.folder(), `${this.files++}.${request.extension.replace(/[^a-zA-Z0-9]/g, '') || 'bin'}`);
    try {
      await writeFile(file, request.bytes);
      request.signal?.throwIfAborted();
      if (this.closed) throw abortError('the video decoder is closed');
      return await this.run(ffmpeg, file, request);
    } finally {
      await unlink(file).catch(() => undefined);
    }
  }

  private run(ffmpeg: typeof Ffmpeg, file: string, request: FrameDecodeRequest): Promise<DecodedFrames> {
    const { size, crop, fps, threads, maxFrames, lastNeeded, signal, scaler = 'bilinear' } = request;
    const frameBytes = crop * crop * 3;
    const frames: Uint8Array[] = [];
    // frames are assembled in blocks of FRAMES_PER_BLOCK (fewer, larger allocations); a frame is kept only once complete
    const perBlock = Math.max(1, Math.min(FRAMES_PER_BLOCK, Math.floor(BLOCK_BYTES / frameBytes)));
    let block = Buffer.allocUnsafe(frameBytes * perBlock);
    let slot = 0;
    let filled = 0;
    const header = new HeaderParser();
    const tail: string[] = [];
    let last: number | undefined; // last frame index needed, once known
    let stopped = false; // we killed it after the needed frames
    let aborted = false;

    const filters = [
      ...(fps !== undefined ? [`fps=fps=${fps}`] : []),
      `scale=w=${size}:h=${size}:force_original_aspect_ratio=increase:flags=${scaler}`,
      `crop=w=${crop}:h=${crop}`,
    ].join(',');

    return new Promise<DecodedFrames>((resolve, reject) => {
      const command = ffmpeg(file);
      command.setFfmpegPath(this.binaries.ffmpeg.path);

      const estimate = (): number | undefined => {
        if (header.duration === undefined) return undefined;
        const rate = fps ?? header.streamFps;
        if (rate === undefined) return undefined;
        const n = Math.max(1, Math.floor(header.duration * rate + 1e-6));
        return maxFrames === undefined ? n : Math.min(n, maxFrames);
      };
      const checkStop = () => {
        if (stopped || lastNeeded === undefined) return;
        if (last === undefined && header.done) {
          const n = estimate();
          if (n === undefined) return;
          last = lastNeeded(n);
        }
        if (last !== undefined && frames.length > last) {
          stopped = true;
          command.kill('SIGKILL');
        }
      };

      const sink = new Writable({
        emitClose: false, // fluent-ffmpeg reports a closed output stream as an error after 20 ms
        autoDestroy: false,
        write(chunk: Buffer, _encoding, callback) {
          let offset = 0;
          while (offset < chunk.length && !stopped) {
            const n = Math.min(frameBytes - filled, chunk.length - offset);
            chunk.copy(block, slot * frameBytes + filled, offset, offset + n);
            filled += n;
            offset += n;
            if (filled === frameBytes) {
              frames.push(block.subarray(slot * frameBytes, (slot + 1) * frameBytes));
              filled = 0;
              if (++slot === perBlock) {
                block = Buffer.allocUnsafe(frameBytes * perBlock);
                slot = 0;
              }
              checkStop();
            }
          }
          callback();
        },
      });

      const onAbort = () => {
        aborted = true;
        command.kill('SIGKILL');
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.running.add(command);
      const settle = () => {
        signal?.removeEventListener('abort', onAbort);
        this.running.delete(command);
      };

      command
        .inputOptions(['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info', '-threads', String(threads)])
        .outputOptions([
          '-map',
          '0:v:0',
          '-an',
          '-sn',
          '-dn',
          '-vf',
          filters,
          '-vsync',
          'passthrough',
          ...(maxFrames !== undefined ? ['-frames:v', String(maxFrames)] : []),
          '-pix_fmt',
          'rgb24',
          '-f',
          'rawvideo',
        ])
        .output(sink)
        .on('start', () => {
          if (aborted || this.closed) command.kill('SIGKILL');
        })
        .on('stderr', (line: string) => {
          header.line(line);
          if (!NOISE.test(line)) {
            tail.push(line.trim().split(file).join('input'));
            if (tail.length > 8) tail.shift();
          }
          checkStop();
        })
        .on('end', () => {
          settle();
          if (aborted) return reject(abortError('the video decode was aborted'));
          if (frames.length === 0) return reject(new VideoDecodeFailure('ffmpeg decoded no frame', tail.at(-1) ?? ''));
          resolve({
            frames,
            side: crop,
            fps: fps ?? header.streamFps ?? 0,
            ended: !stopped,
            estimatedFrames: estimate(),
          });
        })
        .on('error', (error: Error) => {
          settle();
          if (aborted || this.closed) return reject(abortError('the video decode was aborted'));
          if (stopped) {
            resolve({
              frames,
              side: crop,
              fps: fps ?? header.streamFps ?? 0,
              ended: false,
              estimatedFrames: estimate(),
            });
            return;
          }
          const exit =
            /ffmpeg (exited with code \d+|was killed with signal \w+)/.exec(error.message)?.[0] ??
            error.message.split('\n')[0] ??
            'ffmpeg failed';
          reject(new VideoDecodeFailure(exit, tail.at(-1) ?? ''));
        });
      command.run();
    });
  }

  /** Kills every running ffmpeg process and removes the temporary folder. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const command of this.running) command.kill('SIGKILL');
    this.running.clear();
    if (this.dir !== undefined) rmSync(this.dir, { recursive: true, force: true });
  }
}

function abortError(message: string): Error {
  return new DOMException(message, 'AbortError');
}
