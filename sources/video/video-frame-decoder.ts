import { mkdtempSync, rmSync } from 'node:fs';
import { unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFfmpegBinaries, type FfmpegBinaries } from './ffmpeg-binaries.js';
import { videoInput } from './video-input.js';
import { ffmpegDecodeArgs } from './ffmpeg-decode-args.js';
import {
  DirectLauncher,
  ShellLauncher,
  canUseShellLauncher,
  type FfmpegExit,
  type FfmpegLauncher,
  type FfmpegProcess,
} from './ffmpeg-launcher.js';

/** What {@link VideoFrameDecoder.decode} decodes, and how. */
export interface FrameDecodeRequest {
  /** The video file's bytes (any container ffmpeg reads: mp4, avi, webm, mkv, mov, ...). */
  readonly bytes: Uint8Array;
  /** The field's file extension, e.g. `'mp4'`: says whether the bytes can go through ffmpeg's stdin (see {@link videoInput}) and names the temporary file otherwise. */
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
   * duration; then the whole video (up to `maxFrames`) is decoded. When it is called, it is called
   * before the first frame reaches {@link VideoFrameDecoder.stream}'s `onFrame`.
   */
  readonly lastNeeded?: (estimatedFrames: number) => number;
  /** Aborts the decode: the process is killed and the promise rejects with an `AbortError`. */
  readonly signal?: AbortSignal;
}

/** swscale algorithms offered for the resize. */
export type VideoScaler = 'fast_bilinear' | 'bilinear' | 'bicubic' | 'area' | 'neighbor';

/** What a streamed decode gave (the frames went to `onFrame`). */
export interface StreamedFrames {
  /** Frames passed to `onFrame`. */
  readonly count: number;
  /** Frame side in pixels (`crop`). */
  readonly side: number;
  /** Frames per second of the decoded frames: the target fps, else the stream's (0 when unknown). */
  readonly fps: number;
  /** True when the decoder reached the end of the video (or `maxFrames`): `count` is then its frame count. False when it stopped after the needed frame. */
  readonly ended: boolean;
  /** The frame count the container declares (duration x fps), when it declares a duration. */
  readonly estimatedFrames: number | undefined;
  /** How the bytes reached ffmpeg: through its stdin, or a temporary file (an mp4/mov whose index comes last cannot be read from a pipe). */
  readonly input: 'stdin' | 'file';
}

/** What a decode gave: {@link StreamedFrames} and the frames themselves. */
export interface DecodedFrames extends StreamedFrames {
  /** The frames, each `crop * crop * 3` bytes of interleaved RGB, in decode order (views into shared blocks: copy what you keep). */
  readonly frames: Uint8Array[];
}

/**
 * Receives each decoded frame (`crop * crop * 3` bytes of RGB) and its index in the decoded
 * sequence. The frame is a view into the decoder's read buffer, valid only during the call: copy
 * what you keep.
 */
export type FrameSink = (frame: Uint8Array, index: number) => void;

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
/** Output bytes read before ffmpeg's header is complete that make us stop waiting for it (it comes first: a safety net). */
const EARLY_BYTES = 8 * 1024 * 1024;

let decoderCount = 0;
const FRAMES_PER_BLOCK = 16;
const BLOCK_BYTES = 4 * 1024 * 1024;

/**
 * Decodes videos to small RGB frames with one ffmpeg process per video (the binary from
 * {@link findFfmpegBinaries}; no wrapper package, no ffprobe), started through a small `/bin/sh`
 * helper with FIFOs for its stdio ({@link ShellLauncher}; `child_process.spawn` where there is no
 * `/bin/sh`, or with `launch: 'direct'`): the bytes go through ffmpeg's stdin when the container can be read from a pipe (mkv,
 * webm, avi, and mp4/mov whose index comes first; see {@link videoInput}), else to a temporary file
 * in this decoder's own folder under `os.tmpdir()`; ffmpeg resamples (`fps`), scales the short side
 * to `size`, centre-crops to `crop` and writes raw rgb24 frames to a pipe. {@link stream} hands each
 * frame to a callback as it arrives (nothing is kept: memory does not depend on the video's
 * length); {@link decode} collects them. The caller bounds how many decodes run at once.
 *
 * Cost on the Node side per video: a line to the helper, three FIFO opens and the pipe reads.
 * `spawn` from this process cost ~19 ms of Node CPU per video (it forks this process: see
 * {@link DirectLauncher}); the path before that (a temporary file per video, `fluent-ffmpeg` and its
 * stages) cost ~60 ms more per video.
 *
 * Lifecycle: the folder is made on the first decode (it also holds the launcher's FIFOs); a decode
 * through a file removes its file when it settles; aborting a decode kills its process;
 * {@link close} kills every running process and the launcher's helper, and removes the folder
 * (idempotent).
 */
export class VideoFrameDecoder {
  private readonly binaries: FfmpegBinaries;
  private dir: string | undefined;
  private closed = false;
  private files = 0;
  private readonly launch: 'shell' | 'direct';
  private started: FfmpegLauncher | undefined;

  /**
   * @param binaries the ffmpeg to run.
   * @param options.launch how processes start: `'shell'` through one small `/bin/sh` helper and
   * FIFOs (see {@link ShellLauncher}; the default where `/bin/sh` exists), `'direct'` by
   * `child_process.spawn` from this process (see {@link DirectLauncher}; the default elsewhere).
   */
  constructor(binaries: FfmpegBinaries = findFfmpegBinaries(), options: { readonly launch?: 'shell' | 'direct' } = {}) {
    this.binaries = binaries;
    const launch = options.launch ?? (canUseShellLauncher() ? 'shell' : 'direct');
    if (launch !== 'shell' && launch !== 'direct')
      throw new RangeError(
        `Cannot create a VideoFrameDecoder as launch must be 'shell' or 'direct': current value is ${String(launch)}`,
      );
    if (launch === 'shell' && !canUseShellLauncher())
      throw new RangeError(
        "Cannot create a VideoFrameDecoder as launch 'shell' needs /bin/sh: current value is 'shell'",
      );
    this.launch = launch;
  }

  /** The process launcher (made on first use; the shell's FIFOs live in the temporary folder). */
  private launcher(): FfmpegLauncher {
    this.started ??= this.launch === 'shell' ? new ShellLauncher(this.folder()) : new DirectLauncher();
    return this.started;
  }

  /** The temporary folder (made on first use). */
  private folder(): string {
    this.dir ??= mkdtempSync(join(tmpdir(), `ndaflow-video-${process.pid}-${decoderCount++}-`));
    return this.dir;
  }

  /**
   * Decodes one video and keeps every frame (up to the last one needed). For long videos prefer
   * {@link stream}, which keeps none.
   * Rejects with a {@link VideoDecodeFailure} when ffmpeg fails or gives no frame, with an
   * `AbortError` when `signal` aborts or the decoder is closed.
   */
  async decode(request: FrameDecodeRequest): Promise<DecodedFrames> {
    const frameBytes = request.crop * request.crop * 3;
    const frames: Uint8Array[] = [];
    // copies are made in blocks of FRAMES_PER_BLOCK (fewer, larger allocations)
    const perBlock = Math.max(1, Math.min(FRAMES_PER_BLOCK, Math.floor(BLOCK_BYTES / frameBytes)));
    let block = new Uint8Array(0);
    let slot = perBlock;
    const result = await this.stream(request, (frame) => {
      if (slot === perBlock) {
        block = new Uint8Array(frameBytes * perBlock);
        slot = 0;
      }
      const view = block.subarray(slot * frameBytes, ++slot * frameBytes);
      view.set(frame);
      frames.push(view);
    });
    return { ...result, frames };
  }

  /**
   * Decodes one video, passing each frame to `onFrame` as it comes out of ffmpeg's pipe (see
   * {@link FrameSink}); a frame is not kept after the call. Rejects as {@link decode} does; a throw
   * in `onFrame` kills the process and rejects with that error.
   */
  async stream(request: FrameDecodeRequest, onFrame: FrameSink): Promise<StreamedFrames> {
    if (this.closed) throw abortError('the video decoder is closed');
    request.signal?.throwIfAborted();
    const folder = this.folder();
    const input = videoInput(request.bytes, request.extension);
    if (input === 'stdin') return this.run(request, onFrame, undefined);
    const file = join(folder, `${this.files++}.${request.extension.replace(/[^a-zA-Z0-9]/g, '') || 'bin'}`);
    try {
      await writeFile(file, request.bytes);
      request.signal?.throwIfAborted();
      if (this.closed) throw abortError('the video decoder is closed');
      return await this.run(request, onFrame, file);
    } finally {
      await unlink(file).catch(() => undefined);
    }
  }

  private run(request: FrameDecodeRequest, onFrame: FrameSink, file: string | undefined): Promise<StreamedFrames> {
    const { size, crop, fps, threads, maxFrames, lastNeeded, signal, scaler = 'bilinear' } = request;
    const frameBytes = crop * crop * 3;
    const partial = new Uint8Array(frameBytes); // a frame split across reads
    let filled = 0;
    let count = 0;
    const header = new HeaderParser();
    const tail: string[] = [];
    let stderrRest = '';
    let early: Buffer[] | undefined = []; // output read before the header is complete
    let earlyBytes = 0;
    let last: number | undefined; // last frame index needed, once known
    let stopped = false; // we killed it after the needed frames
    let aborted = false;
    let failure: Error | undefined; // onFrame or lastNeeded threw
    let settled = false;

    const argv = ffmpegDecodeArgs({
      input: file ?? 'pipe:0',
      threads,
      size,
      crop,
      scaler,
      fps,
      maxFrames,
      loglevel: 'info',
    });

    return new Promise<StreamedFrames>((resolve, reject) => {
      const started: { process?: FfmpegProcess } = {}; // set once the launcher has it (an abort may come first)
      const kill = () => started.process?.kill();
      const onAbort = () => {
        aborted = true;
        kill();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      if (signal?.aborted === true) onAbort();

      const estimate = (): number | undefined => {
        if (header.duration === undefined) return undefined;
        const rate = fps ?? header.streamFps;
        if (rate === undefined) return undefined;
        const n = Math.max(1, Math.floor(header.duration * rate + 1e-6));
        return maxFrames === undefined ? n : Math.min(n, maxFrames);
      };
      const frame = (view: Uint8Array) => {
        try {
          onFrame(view, count++);
        } catch (error) {
          failure = asError(error);
          stopped = true;
          kill();
          return;
        }
        if (last !== undefined && count > last) {
          stopped = true;
          kill();
        }
      };
      const consume = (chunk: Buffer) => {
        let offset = 0;
        while (offset < chunk.length && !stopped) {
          if (filled === 0 && chunk.length - offset >= frameBytes) {
            // a whole frame in the read: no copy (a plain Uint8Array view, so that `slice` copies as users expect)
            frame(new Uint8Array(chunk.buffer, chunk.byteOffset + offset, frameBytes));
            offset += frameBytes;
            continue;
          }
          const n = Math.min(frameBytes - filled, chunk.length - offset);
          partial.set(chunk.subarray(offset, offset + n), filled);
          filled += n;
          offset += n;
          if (filled === frameBytes) {
            filled = 0;
            frame(partial);
          }
        }
      };
      /** The header is over (or will not come): plan, then the output held back so far. */
      const headerDone = () => {
        if (early === undefined) return;
        const held = early;
        early = undefined;
        if (lastNeeded !== undefined) {
          const n = estimate();
          if (n !== undefined) {
            try {
              last = lastNeeded(n);
            } catch (error) {
              failure = asError(error);
              stopped = true;
              kill();
              return;
            }
          }
        }
        for (const chunk of held) consume(chunk);
      };

      const onStdout = (chunk: Buffer) => {
        if (stopped) return;
        if (early !== undefined) {
          early.push(chunk);
          earlyBytes += chunk.length;
          if (earlyBytes > EARLY_BYTES) headerDone();
          return;
        }
        consume(chunk);
      };
      const onStderr = (text: string) => {
        const lines = (stderrRest + text).split(/\r?\n|\r/);
        stderrRest = lines.pop() ?? '';
        for (const line of lines) this.line(line, header, tail, file);
        if (header.done) headerDone();
      };
      const finish = (exit: FfmpegExit, error?: Error) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        if (stderrRest !== '') this.line(stderrRest, header, tail, file);
        if (aborted || this.closed) return reject(abortError('the video decode was aborted'));
        if (failure !== undefined) return reject(failure);
        if (error !== undefined) return reject(new VideoDecodeFailure(error.message, ''));
        if (!stopped) headerDone(); // output of a video whose header never said it was over
        const result = (ended: boolean): StreamedFrames => ({
          count,
          side: crop,
          fps: fps ?? header.streamFps ?? 0,
          ended,
          estimatedFrames: estimate(),
          input: file === undefined ? 'stdin' : 'file',
        });
        if (stopped) return resolve(result(false));
        if (exit.code === 127 && count === 0)
          return reject(new VideoDecodeFailure('Cannot start ffmpeg: not found', tail.at(-1) ?? ''));
        if (exit.code !== 0)
          return reject(
            new VideoDecodeFailure(
              exit.code === null
                ? `ffmpeg was killed with signal ${exit.signal ?? '?'}`
                : `ffmpeg exited with code ${exit.code}`,
              tail.at(-1) ?? '',
            ),
          );
        if (count === 0) return reject(new VideoDecodeFailure('ffmpeg decoded no frame', tail.at(-1) ?? ''));
        resolve(result(true));
      };
      started.process = this.launcher().start(
        this.binaries.ffmpeg.path,
        argv,
        file === undefined ? request.bytes : undefined,
        {
          stdout: onStdout,
          stderr: onStderr,
          close: finish,
        },
      );
      if (aborted || this.closed) kill();
    });
  }

  /** One stderr line: to the header parser, and the last meaningful ones kept for errors (the input named `input`). */
  private line(line: string, header: HeaderParser, tail: string[], file: string | undefined): void {
    header.line(line);
    if (NOISE.test(line)) return;
    tail.push(
      line
        .trim()
        .split(file ?? 'pipe:0')
        .join('input'),
    );
    if (tail.length > 8) tail.shift();
  }

  /** Kills every running ffmpeg process and removes the temporary folder. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.started?.close();
    if (this.dir !== undefined) rmSync(this.dir, { recursive: true, force: true });
  }
}

function asError(error: unknown): Error {
  return error instanceof Error
    ? error
    : new Error('Cannot decode a video as a callback threw a non-Error', { cause: error });
}

function abortError(message: string): Error {
  return new DOMException(message, 'AbortError');
}
