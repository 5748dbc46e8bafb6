import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { ShardError } from '../../sources/errors.js';
import { resumableStream, type ResumeAttempt } from '../../sources/resumable-stream.js';

const data = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7 + (i >> 8)) & 255));

async function collect(stream: Readable): Promise<{ data: Buffer; error?: unknown }> {
  const chunks: Buffer[] = [];
  try {
    for await (const c of stream) chunks.push(c as Buffer);
  } catch (error) {
    return { data: Buffer.concat(chunks), error };
  }
  return { data: Buffer.concat(chunks) };
}

/** A body of `data[start..end)` in chunks of `chunk` bytes, then an error when it stops before the end. */
function body(start: number, end: number, chunk: number): Readable {
  let at = start;
  return new Readable({
    read() {
      if (at >= end) {
        if (end < data.length) this.destroy(new Error('cut'));
        else this.push(null);
        return;
      }
      const next = Math.min(end, at + chunk);
      this.push(data.subarray(at, next));
      at = next;
    },
  });
}

describe('resumableStream', () => {
  it('delivers every byte once whatever each attempt repeats and wherever it is cut (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            back: fc.nat(3000),
            len: fc.integer({ min: 1, max: 3000 }),
            chunk: fc.integer({ min: 1, max: 900 }),
          }),
          {
            minLength: 1,
            maxLength: 8,
          },
        ),
        async (script) => {
          let n = 0;
          const stream = resumableStream({
            url: 'mem:x',
            via: 'from memory',
            retries: 1,
            backoffMs: 0,
            open(a) {
              const s = script[n++];
              // past the script: one attempt reads the rest, so the property is about exactness, not retries
              const start = s ? Math.max(0, a.from - s.back) : a.from;
              const end = s ? Math.min(data.length, a.from + s.len) : data.length;
              a.deliver(body(start, end, s?.chunk ?? 4096), start, s && n % 2 ? undefined : data.length);
            },
          });
          const got = await collect(stream);
          assert.equal(got.error, undefined);
          assert.ok(got.data.equals(data));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('reads a body only as fast as it is consumed', async () => {
    let produced = 0;
    const big = new Readable({
      read() {
        produced += 65536;
        this.push(Buffer.alloc(65536));
      },
    });
    const stream = resumableStream({
      url: 'mem:big',
      via: 'from memory',
      retries: 0,
      backoffMs: 0,
      open: (a) => a.deliver(big, 0, undefined),
    });
    stream.once('data', () => undefined);
    stream.pause();
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(produced < 4 << 20, `produced ${produced} bytes with no consumer`);
    stream.destroy();
    assert.equal(big.destroyed, true);
  });

  it('gives up after `retries` failures without progress, counting again after progress', async () => {
    let opened = 0;
    const stream = resumableStream({
      url: 'mem:flaky',
      via: 'from memory',
      retries: 2,
      backoffMs: 0,
      open(a) {
        opened++;
        // five attempts that each deliver 100 bytes, then nothing but failures
        if (opened <= 5) a.deliver(body(a.from, a.from + 100, 50), a.from, data.length);
        else a.retry(`refused ${opened}`);
      },
    });
    const { data: got, error } = await collect(stream);
    assert.ok(error instanceof ShardError);
    assert.equal(error.reason, 'shard-http');
    assert.equal(error.url, 'mem:flaky');
    assert.match(
      error.message,
      /^Cannot read shard from memory as it failed 3 time\(s\) in a row, last: refused 7 \(shard mem:flaky\)$/,
    );
    assert.ok(got.equals(data.subarray(0, 500)));
    assert.equal(opened, 7);
  });

  it('fails at once on a permanent failure, and a resume past the delivered bytes is retried', async () => {
    const seen: number[] = [];
    const stream = resumableStream({
      url: 'mem:gap',
      via: 'from memory',
      retries: 1,
      backoffMs: 0,
      open(a: ResumeAttempt) {
        seen.push(a.from);
        if (seen.length === 1) a.deliver(body(10, 100, 90), 10, data.length);
        else a.fail('shard-open', 'Cannot open shard as it is gone');
      },
    });
    const { data: got, error } = await collect(stream);
    assert.equal(got.length, 0);
    assert.ok(error instanceof ShardError && error.reason === 'shard-open');
    assert.deepEqual(seen, [0, 0]);
  });

  it('destroying the stream releases the attempt, once', async () => {
    let released = 0;
    let b: Readable | undefined;
    const stream = resumableStream({
      url: 'mem:r',
      via: 'from memory',
      retries: 0,
      backoffMs: 0,
      open(a) {
        a.onRelease(() => released++);
        b = body(0, data.length, 100);
        a.deliver(b, 0, data.length);
      },
    });
    for await (const _ of stream) break;
    assert.equal(released, 1);
    assert.equal(b?.destroyed, true);
  });
});
