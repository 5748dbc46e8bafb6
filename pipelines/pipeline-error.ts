import type { Accounting } from '../sources/ledger.js';

/** A pipeline run that failed: the error (as `cause`, its message repeated) and the accounting up to the failure. */
export class PipelineError extends Error {
  override readonly name: string = 'PipelineError';

  constructor(
    readonly pipeline: string,
    readonly accounting: Accounting,
    cause: unknown,
  ) {
    super(`Pipeline ${pipeline} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}
