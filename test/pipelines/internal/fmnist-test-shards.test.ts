import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { embeddedShards } from '../../../pipelines/internal/embedded-shards.js';
import { fmnistTestShards } from '../../../pipelines/internal/fmnist-test-shards.js';
import { tempDir } from '../../helpers/temp-dir.js';

describe('fmnistTestShards', () => {
  it('finds the test shards beside the training shards, whatever their count (6 train, 1 test)', () => {
    const dir = join(tempDir(), 'fmnist');
    mkdirSync(dir);
    for (const name of ['train-000000.tar', 'train-000005.tar', 'test-000000.tar', 'test-000001.tar.gz', 'notes.txt'])
      writeFileSync(join(dir, name), '');
    assert.deepEqual(fmnistTestShards('run x', join(dir, 'train-{000000..000005}.tar'), undefined), [
      join(dir, 'test-000000.tar'),
      join(dir, 'test-000001.tar.gz'),
    ]);
  });

  it('takes the given test shards as they are, and the embedded ones with the embedded training shards', () => {
    assert.equal(fmnistTestShards('run x', 'a/train-0.tar', 'b/test-{0..3}.tar'), 'b/test-{0..3}.tar');
    assert.deepEqual(fmnistTestShards('run x', undefined, undefined), embeddedShards('fmnist', 'test'));
  });

  it('refuses remote training shards and a folder without test shards, naming --test-shards', () => {
    assert.throws(
      () => fmnistTestShards('run x', 'https://host/train-{0..9}.tar', undefined),
      /Cannot run x as shards must be local files .*--test-shards/,
    );
    const dir = tempDir();
    assert.throws(
      () => fmnistTestShards('run x', join(dir, 'train-{0..1}.tar'), undefined),
      (e: unknown) => e instanceof RangeError && /must hold test-NNNNNN/.test(e.message),
    );
  });
});
