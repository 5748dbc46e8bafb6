import type { Subscriber } from 'rxjs';
import { asSampleError, type SampleError } from '../../sources/errors.js';
import type { ErrorHandler } from '../../sources/handlers.js';
import { describeKey, describeUrl, settleSkipped } from '../../sources/sample.js';

/**
 * What every stage does with a failed item: wrap the error as a SampleError (naming the shard, key
 * and field), settle the item's samples as skipped under the error's reason (so the accounting
 * counts them), then ask the handler. Returns 'continue' (drop the item, go on) or 'stop' (the stage
 * completes its subscriber); a throwing handler (reraise) errors the subscriber. Returns 'stop' too
 * when the subscriber was errored, so the caller just returns.
 */
export function handleStageError(
  handler: ErrorHandler,
  error: unknown,
  item: unknown,
  reason: string,
  subscriber: Subscriber<unknown>,
  field?: string,
): 'continue' | 'stop' {
  const wrapped: SampleError = asSampleError(error, reason, { url: describeUrl(item), key: describeKey(item), field });
  settleSkipped(item, wrapped.reason, wrapped);
  let decision: 'continue' | 'stop';
  try {
    decision = handler(wrapped);
  } catch (thrown) {
    subscriber.error(thrown);
    return 'stop';
  }
  if (decision === 'stop') subscriber.complete();
  return decision;
}
