import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fmnistStream } from '../../pipelines/fmnist-stream.js';
import { findPipeline, listPipelines } from '../../pipelines/registry.js';

describe('pipeline registry', () => {
  it('finds pipelines by name and alias; lists them; rejects unknown names with the known ones', () => {
    assert.equal(findPipeline('default'), fmnistStream);
    assert.equal(findPipeline('fmnist-stream'), fmnistStream);
    assert.deepEqual(listPipelines().find((p) => p.name === 'fmnist-stream')?.aliases, ['default']);
    assert.throws(
      () => findPipeline('x'),
      (e: Error) => e instanceof RangeError && /one of default, fmnist-stream/.test(e.message),
    );
  });
});
