import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Subject, finalize, firstValueFrom, from, toArray, type Observable } from 'rxjs';
import { randomGrayscale } from '../../operators/random-grayscale.js';
import { SampleError } from '../../sources/errors.js';
import { LINEAGE, type Image, type Sample } from '../../sources/sample.js';
import { RecordingLedger } from '../helpers/recording-ledger.js';

const collect = <T>(obs: Observable<T>): Promise<T[]> => firstValueFrom(obs.pipe(toArray()));

function pattern(H: number, W: number, C: number): Image {
  const data = new Uint8Array(H * W * C);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      for (let c = 0; c < C; c++) data[(y * W + x) * C + c] = (y * 37 + x * 91 + c * 53 + y * x * 13) % 256;
  return { data, shape: [H, W, C] };
}

/** Pillow 9.4: `Image.fromarray(pattern(3, 4, 3)).convert('L')`. */
const PILLOW_L = [43, 134, 196, 60, 80, 184, 109, 136, 117, 205, 95, 183];

describe('randomGrayscale', () => {
  it("writes Pillow's convert('L') luma into all three channels with p = 1; leaves the sample with p = 0", async () => {
    const ledger = new RecordingLedger();
    const s = ledger.sample('a', { png: pattern(3, 4, 3), cls: 2 });
    const [grey] = await collect(from([s]).pipe(randomGrayscale({ p: 1, seed: 1 })));
    const out = grey?.png as Image;
    assert.deepEqual(out.shape, [3, 4, 3]);
    assert.ok(out.data instanceof Uint8Array);
    assert.deepEqual(
      Array.from(out.data),
      PILLOW_L.flatMap((l) => [l, l, l]),
    );
    assert.equal(grey?.[LINEAGE], s[LINEAGE]);
    assert.equal(grey?.cls, 2);
    assert.deepEqual(Array.from(s.png.data), Array.from(pattern(3, 4, 3).data), 'the input is not modified');
    assert.equal((await collect(from([s]).pipe(randomGrayscale({ p: 0, seed: 1 }))))[0], s);
    const single = ledger.sample('g', { png: pattern(2, 2, 1) });
    assert.equal(
      (await collect(from([single]).pipe(randomGrayscale({ p: 1, seed: 1 }))))[0]?.png,
      single.png,
      'grey stays as it is',
    );
  });

  it('equals the ITU-R 601-2 formula within rounding for any pixels (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 3, maxLength: 300 }).filter((a) => a.length % 3 === 0),
        (data) => {
          const out: Sample[] = [];
          from([{ __key__: 'k', __url__: 'u', png: { data, shape: [1, data.length / 3, 3] } }])
            .pipe(randomGrayscale({ p: 1, seed: 0 }))
            .subscribe((s) => out.push(s));
          const grey = (out[0]?.png as Image).data;
          for (let i = 0; i < data.length; i += 3) {
            const l = 0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!;
            assert.ok(Math.abs(grey[i]! - l) <= 0.51, `${grey[i]} vs ${l}`);
            assert.equal(grey[i + 1], grey[i]);
            assert.equal(grey[i + 2], grey[i]);
          }
        },
      ),
    );
  });

  it('is deterministic per sample (any order), respects p, differs per seed, turns all fields grey together', async () => {
    const ledger = new RecordingLedger();
    const input = Array.from({ length: 400 }, (_, i) =>
      ledger.sample(`k${i}`, { png: pattern(1, 2, 3), 'b.png': pattern(1, 2, 3) }),
    );
    const greyKeys = async (items: Sample[], seed: number, p = 0.2) => {
      const out = await collect(from(items).pipe(randomGrayscale({ seed, p })));
      for (const s of out)
        assert.equal(
          (s.png as Image).data[1] === (s.png as Image).data[0],
          (s['b.png'] as Image).data[1] === (s['b.png'] as Image).data[0],
        );
      return out
        .filter((s) => (s.png as Image).data[0] === (s.png as Image).data[1])
        .map((s) => s.__key__)
        .sort();
    };
    const a = await greyKeys(input, 1);
    assert.deepEqual(await greyKeys([...input].reverse(), 1), a);
    assert.ok(a.length > 50 && a.length < 115, `${a.length} of 400 at p = 0.2`);
    assert.notDeepEqual(await greyKeys(input, 2), a);
  });

  it('reports float, 4-channel, missing and undecoded images through the handler', async () => {
    const ledger = new RecordingLedger();
    const out = await collect(
      from([
        ledger.sample('f', { png: { data: new Float32Array(3), shape: [1, 1, 3] } }),
        ledger.sample('rgba', { png: pattern(1, 1, 4) }),
        ledger.sample('raw', { png: Buffer.from('x') }),
        ledger.sample('ok', { png: pattern(1, 1, 3) }),
      ]).pipe(randomGrayscale({ p: 1, seed: 1, fields: ['png'], handler: 'ignoreAndContinue' })),
    );
    assert.deepEqual(
      out.map((s) => s.__key__),
      ['ok'],
    );
    assert.deepEqual(
      ledger.skipped.map((s) => [s.key, s.reason]),
      [
        ['f', 'random-grayscale'],
        ['rgba', 'random-grayscale'],
        ['raw', 'random-grayscale'],
      ],
    );
    await assert.rejects(
      collect(from([ledger.sample('m', {})]).pipe(randomGrayscale({ seed: 1, fields: ['png'] }))),
      (e: unknown) => e instanceof SampleError && e.reason === 'missing-field',
    );
  });

  it('validates its options when created', () => {
    assert.throws(() => randomGrayscale({ p: 2, seed: 1 }), {
      name: 'RangeError',
      message: 'Cannot create a random grayscale as p must be in [0, 1]: current value is 2',
    });
    assert.throws(() => randomGrayscale({ p: '0.5' as never, seed: 1 }), TypeError);
    assert.throws(() => randomGrayscale({ seed: -1 }), RangeError);
    assert.throws(() => randomGrayscale({ seed: 1, fields: [''] }), RangeError);
  });

  it('releases its source on early unsubscribe', () => {
    const subject = new Subject<Sample>();
    let finalized = false;
    const seen: Sample[] = [];
    const sub = subject
      .pipe(
        finalize(() => (finalized = true)),
        randomGrayscale({ seed: 1 }),
      )
      .subscribe((s) => seen.push(s));
    subject.next({ __key__: 'a', __url__: 'u', png: pattern(2, 2, 3) });
    sub.unsubscribe();
    subject.next({ __key__: 'b', __url__: 'u', png: pattern(2, 2, 3) });
    assert.equal(finalized, true);
    assert.equal(seen.length, 1);
    assert.equal(subject.observed, false);
  });
});
