import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { delay, finalize } from 'rxjs';
import { createLoader } from '../../sources/loader.js';
import { fromShards } from '../../sources/from-shards.js';
import { processGcHeadroom } from '../../sources/gc-headroom.js';
import { collectGarbage } from '../../sources/collect-garbage.js';
import { tempDir } from '../helpers/temp-dir.js';
import { writeShards } from './fixtures.js';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('an iteration dropped without return()', () => {
  it('is stopped once collected: its stages unsubscribed, its GC headroom released', async () => {
    const { spec } = await writeShards(tempDir(), 2, 200);
    let unsubscribed = false;
    const loader = createLoader(
      fromShards(spec, { seed: 1, epochs: Infinity }),
      finalize(() => (unsubscribed = true)),
    );
    // a run iterated by hand for one item, then abandoned (never return()ed)
    const first = await (async () => (await loader.iterate().next()).value as { __key__: string })();
    assert.ok(first.__key__);
    assert.equal(unsubscribed, false);
    assert.ok(processGcHeadroom.percent > 0, 'the run holds its GC headroom');
    for (let i = 0; i < 10 && !unsubscribed; i++) {
      collectGarbage();
      await turn();
      await turn();
    }
    assert.equal(unsubscribed, true, 'the collected iteration stopped its run');
    assert.equal(processGcHeadroom.percent, 0);
  });

  it('is not stopped while a next() of it is pending, nor while it is kept', async () => {
    const { spec } = await writeShards(tempDir(), 1, 50);
    // only the pending call holds this iteration, while its first item is delayed (an endless run:
    // finalize runs on unsubscription, not on a completion)
    let pendingStopped = false;
    const slow = createLoader(
      fromShards(spec, { seed: 1, epochs: Infinity }),
      delay(300),
      finalize(() => (pendingStopped = true)),
    );
    const pending = slow.iterate().next();
    // a kept iteration, started
    let keptStopped = false;
    const kept = createLoader(
      fromShards(spec, { seed: 1, epochs: Infinity }),
      finalize(() => (keptStopped = true)),
    ).iterate();
    assert.equal((await kept.next()).done, false);
    for (let i = 0; i < 3; i++) {
      collectGarbage();
      await turn();
      await turn();
    }
    assert.equal(keptStopped, false);
    assert.equal(pendingStopped, false);
    const r = await pending;
    assert.equal(r.done, false, 'the pending next() got its item');
    let n = 1;
    for await (const _ of kept) if (++n === 120) break; // past the first epoch
    assert.equal(n, 120);
    assert.equal(keptStopped, true, 'stopped by the break (return())');
  });
});
