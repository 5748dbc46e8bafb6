import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  handlerByName,
  resolveHandler,
  reraise,
  warnAndContinue,
  ignoreAndContinue,
  warnAndStop,
  ignoreAndStop,
  HANDLER_NAMES,
} from '../../sources/handlers.js';
import { SampleError } from '../../sources/errors.js';

describe('handlers', () => {
  const error = new SampleError('decode', 'bad', { key: 'k' });

  it('decide as named', () => {
    assert.throws(
      () => reraise(error),
      (e: unknown) => e === error,
    );
    assert.equal(ignoreAndContinue(error), 'continue');
    assert.equal(ignoreAndStop(error), 'stop');
  });

  it('warn through process warnings with the reason as code', async () => {
    const seen: { name: string; code?: string }[] = [];
    const listener = (w: Error & { code?: string }) => seen.push({ name: w.name, code: w.code });
    process.on('warning', listener);
    try {
      assert.equal(warnAndContinue(error), 'continue');
      assert.equal(warnAndStop(error), 'stop');
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', listener);
    }
    assert.deepEqual(seen, [
      { name: 'NdaflowWarning', code: 'decode' },
      { name: 'NdaflowWarning', code: 'decode' },
    ]);
  });

  it('resolve by name, default to reraise, refuse others', () => {
    assert.equal(resolveHandler(undefined), reraise);
    for (const n of HANDLER_NAMES) assert.equal(resolveHandler(n).name, n);
    assert.equal(resolveHandler(ignoreAndStop), ignoreAndStop);
    assert.throws(
      () => handlerByName('nope'),
      (e: unknown) => e instanceof TypeError && /must be one of reraise/.test(e.message),
    );
    assert.throws(() => resolveHandler(3 as never), TypeError);
  });
});
