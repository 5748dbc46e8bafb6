import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';

/** Where one ffmpeg tool (`ffmpeg` or `ffprobe`) was found. */
export interface ToolLocation {
  /** Absolute path of the executable (or the bare name when it is taken from PATH). */
  readonly path: string;
  /** Which rule found it: the environment variable, the system PATH, or the npm package's bundled binary. */
  readonly source: 'env' | 'system' | 'bundled';
}

/** Both ffmpeg tools. */
export interface FfmpegBinaries {
  readonly ffmpeg: ToolLocation;
  readonly ffprobe: ToolLocation;
}

const BUNDLED: Readonly<Record<'ffmpeg' | 'ffprobe', { readonly module: string; readonly env: string }>> = {
  ffmpeg: { module: '@ffmpeg-installer/ffmpeg', env: 'FFMPEG_PATH' },
  ffprobe: { module: '@ffprobe-installer/ffprobe', env: 'FFPROBE_PATH' },
};

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

function locate(tool: 'ffmpeg' | 'ffprobe', env: NodeJS.ProcessEnv): ToolLocation {
  const { module, env: variable } = BUNDLED[tool];
  const fromEnv = env[variable];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!isExecutable(fromEnv))
      throw new Error(
        `Cannot use ${tool} as ${variable} must name an executable file: current value is ${JSON.stringify(fromEnv)}`,
      );
    return { path: fromEnv, source: 'env' };
  }
  const system = onPath(tool, env['PATH']);
  if (system !== undefined) return { path: system, source: 'system' };
  const fromPackage = bundled(module);
  if (fromPackage !== undefined) return { path: fromPackage, source: 'bundled' };
  throw new Error(
    `Cannot find ${tool}: set ${variable}, install ffmpeg on the PATH (apt-get install ffmpeg), or install the npm package ${module}`,
  );
}

/**
 * Finds `ffmpeg` and `ffprobe`: each from its environment variable (`FFMPEG_PATH`, `FFPROBE_PATH`),
 * else the system PATH, else the static binary of `@ffmpeg-installer/ffmpeg` /
 * `@ffprobe-installer/ffprobe`. Pure function of `env` (and the file system): nothing is cached or
 * set globally, so callers pass the paths on to each fluent-ffmpeg command
 * (`command.setFfmpegPath(binaries.ffmpeg.path)`).
 *
 * @throws Error when a variable names a file that is not executable, or no tool is found.
 */
export function findFfmpegBinaries(env: NodeJS.ProcessEnv = process.env): FfmpegBinaries {
  return { ffmpeg: locate('ffmpeg', env), ffprobe: locate('ffprobe', env) };
}
