import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from './package-root.js';

/**
 * A package ndaflow loads on first use (TF.js for the sinks, the object-store clients) was not
 * installed: a loader-only install (`npm install ndaflow --omit=peer`) leaves them out. The message is
 * one line naming the package and the command that installs it.
 */
export class MissingPackageError extends Error {
  override readonly name = 'MissingPackageError';
  /** The package that could not be found, e.g. `'@tensorflow/tfjs-core'`. */
  readonly packageName: string;
  /** The command that installs it, e.g. `'npm install @tensorflow/tfjs-core@4.22.0'`. */
  readonly install: string;

  constructor(action: string, packageName: string, install: string, cause: unknown) {
    super(`Cannot ${action} as the package ${packageName} is not installed: run ${install}`, { cause });
    this.packageName = packageName;
    this.install = install;
  }
}

/** The version range ndaflow's package.json asks for (a peer or optional dependency), if it names one. */
function declaredRange(name: string): string | undefined {
  try {
    const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as Record<string, unknown>;
    for (const field of ['peerDependencies', 'optionalDependencies', 'dependencies']) {
      const range = (pkg[field] as Record<string, unknown> | undefined)?.[name];
      if (typeof range === 'string') return range;
    }
  } catch {
    // no readable package.json: the command names the package without a range
  }
  return undefined;
}

/** Whether `error` says that `name` itself (not something it imports) cannot be resolved. */
function isMissing(error: unknown, name: string): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  const message = error instanceof Error ? error.message : String(error);
  return message.includes(`'${name}'`) || message.includes(`"${name}"`);
}

/**
 * Imports a package that ndaflow does not need at import time (`@tensorflow/*`, `@aws-sdk/client-s3`), on
 * first use, so that `ndaflow/sources` and `ndaflow/operators` load without them. Node caches the
 * module: later calls cost a map lookup.
 *
 * @param name - the package specifier, e.g. `'@tensorflow/tfjs-core'`.
 * @param action - what needed it, in the error message's form (`'select a TF.js backend'`).
 * @param companions - packages that go with it, named in the same install command (TF.js's backends
 * beside `@tensorflow/tfjs-core`), so one command makes the feature work.
 * @returns the module namespace.
 * @throws {@link MissingPackageError} (one line: the package and `npm install <name>@<range>`) when the
 * package itself is not installed; any other loading error as it is.
 *
 * @example
 * const tf = await importOptional<typeof import('@tensorflow/tfjs-core')>('@tensorflow/tfjs-core', 'select a TF.js backend');
 */
export async function importOptional<T>(name: string, action: string, companions: readonly string[] = []): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch (error) {
    if (!isMissing(error, name)) throw error;
    const specs = [name, ...companions].map((p) => {
      const range = declaredRange(p);
      return range === undefined ? p : `${p}@${range}`;
    });
    throw new MissingPackageError(action, name, `npm install ${specs.join(' ')}`, error);
  }
}
