import { spawn } from 'node:child_process';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** Options of {@link encodeGrayMp4}. */
export interface EncodeGrayMp4Options {
  /** The ffmpeg executable (e.g. `findFfmpegBinaries().ffmpeg.path`). */
  readonly ffmpeg: string;
  /**
   * A folder for ffmpeg's output files (the mp4 muxer needs seekable files for `+faststart`); created,
   * and removed with everything in it before the promise settles.
   */
  readonly scratch: string;
  /** Frames per second written in the container. */
  readonly fps: number;
  /** Aborting kills the ffmpeg process (SIGKILL) and rejects. */
  readonly signal?: AbortSignal;
}

/**
 * Encodes clips of gray frames, each `[T, H, W]` (H and W even), as H.264 mp4 files (libx264,
 * `-preset medium -crf 18`, yuv420p for players, one thread, bit-exact muxing without metadata,
 * `+faststart`) with ONE ffmpeg process: the clips' raw frames go one after another to its stdin, an
 * IDR frame is forced at the first frame of each clip (closed GOPs, so no frame refers across clips)
 * and the segment muxer cuts there into one mp4 per clip, timestamps from 0. Process start-up
 * (~10 ms) is paid once per call instead of once per clip. A clip's bytes depend on its neighbours in
 * the call (the encoder's look-ahead), its decoded frames do not beyond the codec's loss: call it
 * with fixed groups for reproducible bytes. The process is killed on abort, and has exited (and the
 * scratch folder is removed) before the promise settles, on success and failure.
 *
 * @returns one mp4 per clip, in order.
 * @throws Error with the tail of ffmpeg's stderr when ffmpeg fails or writes the wrong number of
 *   files; the abort reason when aborted.
 */
export async function encodeGrayMp4(
  clips: readonly Uint8Array[],
  shape: readonly [number, number, number],
  options: EncodeGrayMp4Options,
): Promise<Buffer[]> {
  const [frames, h, w] = shape;
  const { ffmpeg, scratch, fps, signal } = options;
  signal?.throwIfAborted();
  for (const clip of clips)
    if (clip.length !== frames * h * w)
      throw new RangeError(
        `Cannot encode an mp4 as every clip must hold ${frames} x ${h} x ${w} bytes: current value is ${clip.length}`,
      );
  const boundaries = clips.slice(1).map((_, i) => (i + 1) * frames);
  const args = [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'gray',
    '-s',
    `${w}x${h}`,
    '-r',
    String(fps),
    '-i',
    'pipe:0',
    '-c:v',
    'libx264',
    '-preset',
    'medium',
    '-crf',
    '18',
    '-pix_fmt',
    'yuv420p',
    '-threads',
    '1',
    '-force_key_frames',
    `expr:eq(mod(n,${frames}),0)`,
    '-forced-idr',
    '1',
    '-map_metadata',
    '-1',
    '-fflags',
    '+bitexact',
    '-flags:v',
    '+bitexact',
    '-f',
    'segment',
    ...(boundaries.length > 0 ? ['-segment_frames', boundaries.join(',')] : []),
    '-reset_timestamps',
    '1',
    '-segment_format',
    'mp4',
    '-segment_format_options',
    'movflags=+faststart',
    join(scratch, 'clip-%06d.mp4'),
  ];
  await mkdir(scratch, { recursive: true });
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(ffmpeg, args, { stdio: ['pipe', 'ignore', 'pipe'] });
      let stderr = '';
      let failure: unknown;
      const onAbort = (): void => {
        failure ??= signal?.reason ?? new Error('aborted');
        child.kill('SIGKILL');
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => {
        stderr = (stderr + chunk).slice(-2000);
      });
      child.on('error', (error) => {
        failure ??= error;
      });
      // EPIPE when ffmpeg exits early: the exit code and stderr say why.
      child.stdin.on('error', () => {});
      for (const clip of clips) child.stdin.write(Buffer.from(clip.buffer, clip.byteOffset, clip.byteLength));
      child.stdin.end();
      child.on('close', (code, sig) => {
        signal?.removeEventListener('abort', onAbort);
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- an abort rejects with the signal's reason, as Node's own APIs do
        if (failure !== undefined) reject(failure);
        else if (code !== 0)
          reject(new Error(`ffmpeg failed to encode mp4 clips (exit ${code ?? sig}): ${stderr.trim()}`));
        else resolve();
      });
    });
    const out: Buffer[] = [];
    for (let i = 0; i < clips.length; i++) {
      try {
        out.push(await readFile(join(scratch, `clip-${String(i).padStart(6, '0')}.mp4`)));
      } catch (error) {
        throw new Error(`ffmpeg wrote no mp4 for clip ${i} of ${clips.length} (${(error as Error).message})`, {
          cause: error,
        });
      }
    }
    return out;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
