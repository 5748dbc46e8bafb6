import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { allocUninitialised, byteViews, copyBlock, copyInto } from '../../../operators/image/nda-bytes.js';

/** The naive block copy. */
function naive(
  dst: Uint8Array,
  dOff: number,
  src: Uint8Array,
  sOff: number,
  rows: number,
  rowBytes: number,
  dStride: number,
  sStride: number,
): void {
  for (let r = 0; r < rows; r++)
    for (let j = 0; j < rowBytes; j++) dst[dOff + r * dStride + j] = src[sOff + r * sStride + j] as number;
}

describe('copyBlock', () => {
  it('copies exactly the block, whatever the alignments (property against a naive copy)', () => {
    fc.assert(
      fc.property(
        fc.record({
          rows: fc.integer({ min: 0, max: 6 }),
          rowBytes: fc.oneof(fc.integer({ min: 0, max: 90 }), fc.integer({ min: 250, max: 700 })),
          extra: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 20 })),
          sameStride: fc.boolean(),
          dExtra: fc.integer({ min: 0, max: 20 }),
          sOff: fc.integer({ min: 0, max: 40 }),
          dOff: fc.integer({ min: 0, max: 40 }),
          sBase: fc.integer({ min: 0, max: 9 }),
          dBase: fc.integer({ min: 0, max: 9 }),
        }),
        ({ rows, rowBytes, extra, sameStride, dExtra, sOff, dOff, sBase, dBase }) => {
          const sStride = rowBytes + extra;
          const dStride = sameStride ? sStride : rowBytes + dExtra;
          const sLen = sOff + rows * sStride + 8;
          const dLen = dOff + rows * dStride + 8;
          // Views at arbitrary byte offsets of larger buffers (only 8-aligned ones get word views).
          const src = new Uint8Array(new ArrayBuffer(sLen + sBase), sBase, sLen);
          for (let i = 0; i < sLen; i++) src[i] = (i * 37 + 11) & 255;
          const dst = new Uint8Array(new ArrayBuffer(dLen + dBase), dBase, dLen).fill(7);
          const want = dst.slice();
          naive(want, dOff, src, sOff, rows, rowBytes, dStride, sStride);
          copyBlock(byteViews(dst), dOff, byteViews(src), sOff, rows, rowBytes, dStride, sStride);
          assert.deepEqual(dst, want);
        },
      ),
      { numRuns: 600 },
    );
  });

  it('views float32 data as bytes, and allocates fresh buffers of the same type', () => {
    const f = Float32Array.from([1.5, -2, Number.NaN, 4]);
    const v = byteViews(f);
    assert.equal(v.u8.length, 16);
    assert.ok(v.u64 instanceof BigInt64Array);
    const g = allocUninitialised(f);
    assert.ok(g instanceof Float32Array && g.length === 4 && g.buffer !== f.buffer && g.byteOffset === 0);
    copyBlock(byteViews(g), 0, v, 0, 1, 16, 16, 16);
    assert.deepEqual(new Uint8Array(g.buffer), new Uint8Array(f.buffer), 'bit-exact, NaN included');
    const c = copyInto('copy', Uint8Array.from([1, 2, 3]), undefined);
    assert.deepEqual(Array.from(c), [1, 2, 3]);
    const into = new Uint8Array(3);
    assert.equal(copyInto('copy', Uint8Array.from([4, 5, 6]), into), into);
    assert.deepEqual(Array.from(into), [4, 5, 6]);
  });
});
