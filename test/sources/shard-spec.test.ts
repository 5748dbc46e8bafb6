import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { expandShardSpec } from '../../sources/shard-spec.js';

describe('expandShardSpec', () => {
  it('splits on :: and expands braces, keeping zero padding', () => {
    assert.deepEqual(expandShardSpec('a-{000..002}.tar::b.tar'), ['a-000.tar', 'a-001.tar', 'a-002.tar', 'b.tar']);
    assert.deepEqual(expandShardSpec('x-{a,b}-{0..1}.tar'), ['x-a-0.tar', 'x-a-1.tar', 'x-b-0.tar', 'x-b-1.tar']);
    assert.deepEqual(expandShardSpec('x-{0..10..5}.tar'), ['x-0.tar', 'x-5.tar', 'x-10.tar']);
    assert.deepEqual(expandShardSpec('x-{a,{b,c}}.tar'), ['x-a.tar', 'x-b.tar', 'x-c.tar']);
    assert.deepEqual(expandShardSpec(['p-{1..2}.tar', 'q.tar']), ['p-1.tar', 'p-2.tar', 'q.tar']);
    assert.deepEqual(expandShardSpec('http://h/x-{08..10}.tar'), [
      'http://h/x-08.tar',
      'http://h/x-09.tar',
      'http://h/x-10.tar',
    ]);
    assert.deepEqual(expandShardSpec('  spaced.tar  '), ['spaced.tar']);
  });

  it('expands ranges of any size (no 1000-shard limit)', () => {
    const urls = expandShardSpec('train-{000000..012345}.tar');
    assert.equal(urls.length, 12346);
    assert.equal(urls[0], 'train-000000.tar');
    assert.equal(urls.at(-1), 'train-012345.tar');
  });

  it('keeps escaped braces literal', () => {
    assert.deepEqual(expandShardSpec('x-\\{a\\}.tar'), ['x-{a}.tar']);
  });

  it('refuses brace groups that expand to nothing, empty specs and non-strings', () => {
    for (const bad of [
      'x-{}.tar',
      'x-{5..}.tar',
      'x-{..5}.tar',
      'x-{a}.tar',
      'x-{0..2}/{}.tar',
      'x-{0..2.tar',
      'x-0..2}.tar',
    ]) {
      assert.throws(
        () => expandShardSpec(bad),
        (e: unknown) => e instanceof RangeError && /^Cannot expand shard spec as .*: current value is /.test(e.message),
        bad,
      );
    }
    assert.throws(() => expandShardSpec(''), RangeError);
    assert.throws(() => expandShardSpec('a.tar::'), RangeError);
    assert.throws(() => expandShardSpec([]), RangeError);
    assert.throws(() => expandShardSpec(42 as unknown as string), TypeError);
    assert.throws(() => expandShardSpec([1] as unknown as string[]), TypeError);
    assert.throws(() => expandShardSpec('x-{0..99999999}.tar'), /at most/);
  });
});
