import { existsSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { rangeError, typeError } from '../sources/errors.js';
import { isPipeline } from './define-pipeline.js';
import type { Pipeline } from './pipeline.js';

/** Whether a `ndaflow run` argument names a file rather than a registered pipeline (it has a `/` or a module extension). */
export function isPipelinePath(arg: string): boolean {
  return arg.includes('/') || arg.includes('\\') || /\.(?:m?js|cjs|m?ts|cts)$/.test(arg);
}

/** Whether this Node strips TypeScript types when importing `.ts` files (22.18+/23.6+ by default, 22.6+ with a flag). */
export function nodeStripsTypes(): boolean {
  return (
    (process.features as { typescript?: unknown }).typescript !== undefined &&
    (process.features as { typescript?: unknown }).typescript !== false
  );
}

/**
 * Loads a user's pipeline module (`ndaflow run ./my-pipeline.js`): its default export must be a pipeline
 * declared with `definePipeline` (from `ndaflow` or `ndaflow/pipelines`), and then runs exactly as a
 * registered one (options, `--help`, progress, run folder, accounting, report, `--resume`).
 * `.js`/`.mjs` (ES modules; `.js` as the nearest package.json says) and `.cjs` load on every supported
 * Node; `.ts`/`.mts` only where Node strips types itself (Node 20 does not: compile them first).
 *
 * @throws Error when the file does not exist or is TypeScript on a Node that does not strip types;
 *   TypeError when its default export is not a declared pipeline; whatever the module throws on import.
 */
export async function loadPipelineFile(path: string): Promise<Pipeline> {
  const action = `run the pipeline file ${path}`;
  const absolute = resolve(path);
  if (!existsSync(absolute)) throw rangeError(action, 'the file must exist', absolute);
  const ext = extname(absolute);
  if (['.ts', '.mts', '.cts'].includes(ext) && !nodeStripsTypes())
    throw rangeError(
      action,
      `Node ${process.versions.node} does not strip TypeScript types (Node 22.18+ and 23.6+ do; 22.6+ with --experimental-strip-types): compile it to .js or .mjs, or run it on such a Node`,
      ext,
    );
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(absolute).href)) as { default?: unknown };
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    if (e.code === 'ERR_MODULE_NOT_FOUND' && /package 'ndaflow'/.test(e.message))
      throw new Error(
        `Cannot ${action} as it imports ndaflow, which is not installed beside it: run \`npm install ndaflow\` in its project (${e.message})`,
        { cause: error },
      );
    throw error;
  }
  const pipeline = module.default;
  if (!isPipeline(pipeline))
    throw typeError(
      action,
      "its default export must be a pipeline declared with definePipeline (import { definePipeline } from 'ndaflow/pipelines'; export default definePipeline({...}))",
      pipeline === undefined ? 'no default export' : typeof pipeline,
    );
  return pipeline;
}
