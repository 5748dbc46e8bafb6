import { spawnSync } from 'node:child_process';
import { findFfmpegBinaries } from '../../sources/video/ffmpeg-binaries.js';

/** What {@link makeTestVideo} writes. */
export interface TestVideoOptions {
  /** Frames in the video. @default 32 */
  readonly frames?: number;
  /** Frames per second. @default 25 */
  readonly fps?: number;
  /** @default 96 */
  readonly width?: number;
  /** @default 72 */
  readonly height?: number;
  /**
   * Variable frame rate: every third source frame is dropped (`select`, `-vsync vfr`), so the
   * frames are 1/fps and 2/fps apart in turn (mkv/mp4/mov keep per-frame timestamps).
   * @default false
   */
  readonly vfr?: boolean;
  /** ffmpeg `lavfi` source pattern. @default 'testsrc' */
  readonly pattern?: 'testsrc' | 'testsrc2' | 'smptebars' | 'mandelbrot';
}

const CODECS: Readonly<Record<string, readonly string[]>> = {
  mp4: ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-movflags', '+faststart'],
  mkv: ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'],
  mov: ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'],
  avi: ['-c:v', 'mpeg4', '-q:v', '5'],
  webm: ['-c:v', 'libvpx', '-deadline', 'realtime', '-b:v', '400k'],
};

/**
 * Writes a synthetic video with ffmpeg's `lavfi` test sources (the same binary the decoder uses),
 * for tests: the container follows `path`'s extension (mp4, mkv, mov, avi, webm).
 *
 * @throws Error with ffmpeg's stderr when ffmpeg fails.
 */
export function makeTestVideo(path: string, options: TestVideoOptions = {}): void {
  const { frames = 32, fps = 25, width = 96, height = 72, vfr = false, pattern = 'testsrc' } = options;
  const ext = path.slice(path.lastIndexOf('.') + 1).toLowerCase();
  const codec = CODECS[ext];
  if (codec === undefined) throw new Error(`makeTestVideo: unknown container ${ext}`);
  const filters = vfr ? ['-vf', "select='not(eq(mod(n\\,3)\\,1))'", '-vsync', 'vfr'] : [];
  const args = [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `${pattern}=size=${width}x${height}:rate=${fps}`,
    '-frames:v',
    String(frames),
    ...filters,
    ...codec,
    path,
  ];
  const { ffmpeg } = findFfmpegBinaries();
  const result = spawnSync(ffmpeg.path, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`makeTestVideo: ffmpeg failed for ${path}: ${result.stderr}`);
}
