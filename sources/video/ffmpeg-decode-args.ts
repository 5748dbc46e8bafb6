/** What {@link ffmpegDecodeArgs} builds a command line from. */
export interface FfmpegDecodeArgs {
  /** A file path, or `pipe:0` for bytes on stdin. */
  readonly input: string;
  /** ffmpeg's decoder threads. */
  readonly threads: number;
  /** The short side is scaled to this many pixels. */
  readonly size: number;
  /** Then centre-cropped to a square of this side. */
  readonly crop: number;
  /** The scaler (`bilinear`, `fast_bilinear`, ...). */
  readonly scaler: string;
  /** Resample to this frame rate first, when given. */
  readonly fps?: number | undefined;
  /** Stop after this many output frames, when given. */
  readonly maxFrames?: number | undefined;
  /** `info` (the decoder reads the stream header from it) or `error` (quiet). */
  readonly loglevel: 'info' | 'error';
}

/**
 * The ffmpeg command line (without the binary) that decodes a video's first stream to rgb24 frames on
 * stdout: one place for the clip decoder and `bench:video`'s bare ffmpeg, so the benchmark times the
 * very command the loader runs.
 */
export function ffmpegDecodeArgs(a: FfmpegDecodeArgs): string[] {
  const filters = [
    ...(a.fps !== undefined ? [`fps=fps=${a.fps}`] : []),
    `scale=w=${a.size}:h=${a.size}:force_original_aspect_ratio=increase:flags=${a.scaler}`,
    `crop=w=${a.crop}:h=${a.crop}`,
  ].join(',');
  return [
    '-hide_banner',
    '-nostdin',
    '-nostats',
    '-loglevel',
    a.loglevel,
    '-threads',
    String(a.threads),
    '-i',
    a.input,
    '-map',
    '0:v:0',
    '-an',
    '-sn',
    '-dn',
    '-vf',
    filters,
    '-vsync',
    'passthrough',
    ...(a.maxFrames !== undefined ? ['-frames:v', String(a.maxFrames)] : []),
    '-pix_fmt',
    'rgb24',
    '-f',
    'rawvideo',
    'pipe:1',
  ];
}
