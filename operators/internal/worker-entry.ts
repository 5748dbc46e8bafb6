/**
 * The module every `workerMap` pool thread runs (Piscina's `filename`). It imports the user's
 * module once per thread (URL and export name from `workerData`), calls the function on each task,
 * and answers with an envelope whose typed-array buffers are moved back to the main thread
 * (`Piscina.move`), not copied. Errors are answered, not thrown, so the main side can tell a module
 * that cannot load (the whole stage is misconfigured) from a sample that failed.
 */
import { workerData } from 'node:worker_threads';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { transferablesOf } from './transfer-list.js';

/** What the main side gives each thread. */
export interface WorkerEntryData {
  readonly moduleUrl: string;
  readonly exportName: string;
}

/** A thrown value, made cloneable. */
export interface WorkerFailure {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
}

/** The answer to one task. */
export type WorkerAnswer =
  | { readonly kind: 'ok'; readonly value: unknown }
  | { readonly kind: 'error'; readonly error: WorkerFailure }
  | { readonly kind: 'load-error'; readonly error: WorkerFailure };

type UserFunction = (item: unknown) => unknown;

let loaded: Promise<UserFunction> | undefined;

function load(): Promise<UserFunction> {
  const { moduleUrl, exportName } = workerData as WorkerEntryData;
  loaded ??= import(moduleUrl).then((ns: Record<string, unknown>) => {
    const fn = ns[exportName];
    if (typeof fn !== 'function') {
      const has =
        Object.keys(ns)
          .map((k) => JSON.stringify(k))
          .join(', ') || 'nothing';
      throw new TypeError(
        `Cannot use export ${JSON.stringify(exportName)} of ${moduleUrl} as it must be a function: it is ${fn === undefined ? 'missing' : typeof fn} (the module exports ${has})`,
      );
    }
    return fn as UserFunction;
  });
  return loaded;
}

function failure(error: unknown): WorkerFailure {
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return { name: 'Error', message: String(error) };
}

/** Runs the user's function on one item (called by Piscina). */
export default async function runTask(item: unknown): Promise<unknown> {
  let fn: UserFunction;
  try {
    fn = await load();
  } catch (error) {
    const answer: WorkerAnswer = { kind: 'load-error', error: failure(error) };
    return answer;
  }
  let value: unknown;
  try {
    value = await fn(item);
  } catch (error) {
    const answer: WorkerAnswer = { kind: 'error', error: failure(error) };
    return answer;
  }
  const answer: WorkerAnswer = { kind: 'ok', value };
  return move({ [transferableSymbol]: transferablesOf(value), [valueSymbol]: answer });
}
