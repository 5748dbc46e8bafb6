import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';

/** Where the ffmpeg executable was found. */
export interface ToolLocation {
  /** Absolute path of the executable (or the bare name when it is taken from PATH). */
  readonly path: string;
  /** Which rule found it: the environment variable, the system PATH, or the npm package's bundled binary. */
  readonly source: 'env' | 'system' | 'bundled';
}

/**
 * The ffmpeg binary every video stage uses. Only ffmpeg: nothing in ndaflow calls ffprobe (the video
 * decoder reads duration and frame rate from ffmpeg's own input header).
 */
export interface FfmpegBinaries {
  readonly ffmpeg: ToolLocation;
}

/** The npm package with a static ffmpeg build (its `path` export names the executable). */
const BUNDLED = '@ffmpeg-installer/ffmpeg';

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string, pathVariable: string | undefined): string | undefined {
  for (const dir of (pathVariable ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function bundled(module: string): string | undefined {
  try {
    const required = createRequire(import.meta.url)(module) as { path?: unknown };
    return typeof required.path === 'string' && isExecutable(required.path) ? required.path : undefined;
  } catch {
    return undefined;
  }
}

function locate(env: NodeJS.ProcessEnv): ToolLocation {
  const fromEnv = env['FFMPEG_PATH'];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!isExecutable(fromEnv))
      throw new Error(
        `Cannot use ffmpeg as FFMPEG_PATH must name an executable file: current value is ${JSON.stringify(fromEnv)}`,
      );
    return { path: fromEnv, source: 'env' };
  }
  const system = onPath('ffmpeg', env['PATH']);
  if (system !== undefined) return { path: system, source: 'system' };
  const fromPackage = bundled(BUNDLED);
  if (fromPackage !== undefined) return { path: fromPackage, source: 'bundled' };
  throw new Error(
    `Cannot find ffmpeg: set FFMPEG_PATH, install ffmpeg on the PATH (apt-get install ffmpeg), or run npm install ${BUNDLED}`,
  );
}

/**
 * Finds `ffmpeg`: from `FFMPEG_PATH`, else the system PATH, else the static binary of
 * `@ffmpeg-installer/ffmpeg` (an optional peer dependency, loaded here on first use and never at
 * import time). Pure function of `env` (and the file system): nothing is cached or
 * set globally; callers spawn `binaries.ffmpeg.path` themselves.
 *
 * @throws Error when a variable names a file that is not executable, or no ffmpeg is found.
 */
export function findFfmpegBinaries(env: NodeJS.ProcessEnv = process.env): FfmpegBinaries {
  return { ffmpeg: locate(env) };
}
