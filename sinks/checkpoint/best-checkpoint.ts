import type * as TFJS from '@tensorflow/tfjs';
import { readFileIfPresent } from './read-file-if-present.js';
import { join } from 'node:path';
import { rangeError } from '../../sources/errors.js';
import { checkOptionKeys, optionKeys } from '../../sources/option-keys.js';
import { pruneCheckpoints } from './prune-checkpoints.js';
import { saveCheckpoint, type SaveCheckpointOptions } from './save-checkpoint.js';
import { writeFileAtomic } from './write-file-atomic.js';

/** The folder of a run folder that holds its best checkpoint (`runs/x/best/`). */
export const BEST_FOLDER = 'best';
/** The record of the best checkpoint, in {@link BEST_FOLDER}. */
export const BEST_RECORD = 'best.json';

/** Options of {@link keepBestCheckpoint}: what a checkpoint saves, and the FID of its step. */
export interface KeepBestCheckpointOptions extends SaveCheckpointOptions {
  /** The FID measured at `step` (lower is better). A finite number. */
  readonly fid: number;
  /** Other fields for `best.json` (`{kid}`). @default none */
  readonly extra?: Readonly<Record<string, unknown>>;
}

const KEEP_BEST_KEYS = optionKeys<KeepBestCheckpointOptions>({
  models: true,
  optimizers: true,
  ema: true,
  step: true,
  loaderState: true,
  fid: true,
  extra: true,
});

/** What `best/best.json` says: the step of the best checkpoint and its FID (plus what else was measured). */
export interface BestRecord {
  readonly step: number;
  readonly fid: number;
  readonly [field: string]: unknown;
}

/**
 * The best checkpoint's record of a run folder (`<runDir>/best/best.json`), or null when none was kept.
 * @throws Error naming the file when it is not a record `{step, fid}`.
 */
export async function readBestCheckpoint(runDir: string): Promise<BestRecord | null> {
  const path = join(runDir, BEST_FOLDER, BEST_RECORD);
  const text = await readFileIfPresent(path);
  if (text === null) return null;
  const record = JSON.parse(text) as Partial<BestRecord> | null;
  if (typeof record?.step !== 'number' || typeof record.fid !== 'number')
    throw new Error(`Cannot read the best checkpoint's record ${path} as it must hold a step and a fid`);
  return record as BestRecord;
}

/**
 * Keeps the best checkpoint of a run as the official code does (`--which_best FID`: after each
 * evaluation, a copy of the weights when the FID improved on the best so far): when `fid` is lower than
 * the one `<runDir>/best/best.json` records (or there is none), saves the checkpoint (`saveCheckpoint`:
 * generator, discriminator, optimizers, EMA, step, loader state) into `<runDir>/best/`, removes the one
 * it replaces, then writes `best.json` `{step, fid, ...extra}`. The record is read from the folder each
 * time, so a resumed run keeps comparing with the best of the run so far. `loadCheckpoint(tf,
 * '<runDir>/best', ...)` loads it. (The official code rotates `num_best_copies` copies of the last
 * improvements; the newest of them is this one.)
 *
 * @returns the record written, or null when `fid` did not improve.
 * @throws TypeError for an unknown option; RangeError for an FID that is not a finite number; the
 *   saving's errors as they are.
 */
export async function keepBestCheckpoint(
  tf: typeof TFJS,
  runDir: string,
  options: KeepBestCheckpointOptions,
): Promise<BestRecord | null> {
  checkOptionKeys('keepBestCheckpoint', options, KEEP_BEST_KEYS);
  if (typeof options.fid !== 'number' || !Number.isFinite(options.fid))
    throw rangeError('keep the best checkpoint', 'fid must be a finite number', options.fid);
  const best = await readBestCheckpoint(runDir);
  if (best !== null && !(options.fid < best.fid)) return null;
  const folder = join(runDir, BEST_FOLDER);
  const { fid: _fid, extra: _extra, ...checkpoint } = options;
  await saveCheckpoint(tf, folder, checkpoint);
  await pruneCheckpoints(folder, 1);
  const record: BestRecord = { ...options.extra, step: options.step, fid: options.fid };
  await writeFileAtomic(join(folder, BEST_RECORD), `${JSON.stringify(record, null, 2)}\n`);
  return record;
}
