import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Observable, toArray } from 'rxjs';
import { fromShards } from '../../sources/from-shards.js';
import { createLoader, LoaderStallError } from '../../sources/loader.js';
import type { Sample } from '../../sources/sample.js';
import { batch } from '../../operators/batch.js';
import { tempDir } from '../helpers/temp-dir.js';
import { writeShards } from './fixtures.js';

const dir = tempDir();
const data = await writeShards(dir, 2, 150);

/** A stage that takes every sample and never emits nor completes. */
function swallowEverything(source: Observable<Sample>): Observable<Sample> {
  const kept: Sample[] = [];
  return new Observable<Sample>(() => {
    const sub = source.subscribe((s) => kept.push(s));
    return () => sub.unsubscribe();
  });
}

describe('createLoader: a stall is named', () => {
  it('toArray over more samples than the bound and holdLimit allow: fails naming stage 2 of 2', async () => {
    const it = createLoader(fromShards(data.spec, { seed: 1 }), batch(4), toArray())
      .with({ prefetch: 8, holdLimit: 32, stallMs: 200 })
      .iterate();
    await assert.rejects(it.next(), (e: unknown) => {
      assert.ok(e instanceof LoaderStallError, String(e));
      assert.match(e.message, /^Cannot make progress as stage 2 of 2 \(unnamed RxJS operator\) holds/);
      assert.match(e.message, /holding\(n, op\)/);
      assert.equal(e.stage.position, 2);
      assert.ok(e.holds > 8 && e.holds <= 4 + 8 + 32, `holds ${e.holds}`);
      return true;
    });
    const a = it.accounting();
    assert.equal(a.lost, 0);
    assert.ok(a.seen <= 4 + 8 + 32 + 1, `read ${a.seen} samples`);
  });

  it('a named operator that never emits, after the source ended: fails naming it', async () => {
    const it = createLoader(fromShards(data.spec, { seed: 1 }), swallowEverything)
      .with({ holdLimit: 4096, stallMs: 200 })
      .iterate();
    await assert.rejects(it.next(), (e: unknown) => {
      assert.ok(e instanceof LoaderStallError, String(e));
      assert.match(
        e.message,
        /stage 1 of 1 \(swallowEverything\) holds .*received 300 samples, emitted 0 and holds 300/,
      );
      assert.match(e.message, /after the source ended/);
      return true;
    });
  });

  it('a stall is reported through next() once, then the iteration is done', async () => {
    const it = createLoader(fromShards(data.spec, { seed: 1 }), toArray())
      .with({ prefetch: 4, holdLimit: 4, stallMs: 100 })
      .iterate();
    await assert.rejects(it.next(), LoaderStallError);
    assert.deepEqual(await it.next(), { value: undefined, done: true });
  });
});
