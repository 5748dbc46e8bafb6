import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SampleError, ShardError, asSampleError, checkInteger, rangeError, typeError } from '../../sources/errors.js';

describe('errors', () => {
  it('build-time errors have the house form', () => {
    assert.equal(
      rangeError('create x', 'size must be >= 1', 0).message,
      'Cannot create x as size must be >= 1: current value is 0',
    );
    assert.equal(
      typeError('create x', 'name must be a string', 'a').message,
      'Cannot create x as name must be a string: current value is "a"',
    );
    assert.ok(rangeError('a', 'b', 1) instanceof RangeError);
    assert.ok(typeError('a', 'b', 1) instanceof TypeError);
  });

  it('checkInteger checks type, integrality and range (Infinity allowed where the range allows)', () => {
    assert.equal(checkInteger('a', 'n', 3, 1, 5), 3);
    assert.equal(checkInteger('a', 'n', Infinity, 1, Infinity), Infinity);
    assert.throws(() => checkInteger('a', 'n', Infinity, 1), RangeError);
    assert.throws(() => checkInteger('a', 'n', '3', 1), TypeError);
    assert.throws(() => checkInteger('a', 'n', NaN, 1), TypeError);
    assert.throws(() => checkInteger('a', 'n', 1.5, 1), /n must be an integer/);
    assert.throws(() => checkInteger('a', 'n', 0, 1), /Cannot a as n must be >= 1: current value is 0/);
    assert.throws(() => checkInteger('a', 'n', 6, 1, 5), /n must be in \[1, 5\]/);
  });

  it('SampleError carries url, key, field, reason and cause; ShardError is one', () => {
    const cause = new Error('boom');
    const e = new SampleError('decode', 'Cannot decode', { url: 'u.tar', key: 'k', field: 'png' }, cause);
    assert.equal(e.message, 'Cannot decode: boom (shard u.tar, key "k", field "png")');
    assert.deepEqual(
      [e.reason, e.url, e.key, e.field, e.cause, e.name],
      ['decode', 'u.tar', 'k', 'png', cause, 'SampleError'],
    );
    const s = new ShardError('shard-open', 'Cannot open', { url: 'x' });
    assert.ok(s instanceof SampleError);
    assert.equal(s.name, 'ShardError');
    assert.equal(asSampleError(s, 'other', {}), s);
    const wrapped = asSampleError('text', 'r', { key: 'k' });
    assert.equal(wrapped.reason, 'r');
    assert.equal(wrapped.message, 'text (key "k")');
  });
});
