import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BatchSlots, blockOf, isBatchBlock } from '../../../operators/internal/batch-slots.js';
import { copyWindowInto, cropImage } from '../../../operators/internal/crop-window.js';
import { mirrorRows } from '../../../operators/image/mirror.js';
import type { Image } from '../../../sources/sample.js';

const image = (data: Uint8Array): Image => ({ data, shape: [1, data.length, 1] });

describe('BatchSlots', () => {
  it('gives each position its own slot, batch by batch, and the batch takes a block only when its members are its first slots in order', () => {
    const slots = new BatchSlots(3);
    const views = Array.from({ length: 7 }, () => slots.reserve('jpg', slots.enter(), 4) as Uint8Array);
    views.forEach((v, i) => v.fill(i + 1));
    assert.ok(views.every((v) => isBatchBlock(v.buffer)));
    assert.equal(new Set(views.map((v) => v.buffer)).size, 3, 'three blocks of 3 for 7 positions');
    const first = blockOf(views.slice(0, 3).map(image), 4);
    assert.deepEqual([...(first as Uint8Array)], [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]);
    assert.equal(first?.buffer, views[0]?.buffer);
    assert.equal(
      blockOf(
        [views[1], views[0], views[2]].map((v) => image(v as Uint8Array)),
        4,
      ),
      undefined,
      'out of order',
    );
    assert.equal(blockOf(views.slice(1, 4).map(image), 4), undefined, 'not from the first slot');
    assert.equal(blockOf(views.slice(2, 5).map(image), 4), undefined, 'across two blocks');
    assert.deepEqual([...(blockOf([image(views[6] as Uint8Array)], 4) ?? [])], [7, 7, 7, 7], 'a partial last batch');
    assert.equal(blockOf([image(new Uint8Array(4))], 4), undefined, 'memory it did not make');
  });

  it('never gives a slot twice after a failure: positions shift, and the new ones go to new blocks', () => {
    const slots = new BatchSlots(4);
    const a = slots.enter(); // position 0
    const b = slots.enter(); // 1, will fail
    const c = slots.enter(); // 2 (comes out at 1)
    const va = slots.reserve('jpg', a, 2) as Uint8Array;
    slots.reserve('jpg', b, 2);
    const vc = slots.reserve('jpg', c, 2) as Uint8Array;
    slots.lost();
    const d = slots.enter(); // comes out at 2
    assert.equal(d.position, 2);
    const vd = slots.reserve('jpg', d, 2) as Uint8Array;
    assert.notEqual(vd.buffer, va.buffer, 'a new block for the new generation');
    assert.equal(blockOf([va, vc, vd].map(image), 2), undefined, 'the batch around the failure is copied');
    const late = slots.reserve('jpg', c, 2);
    assert.equal(late, undefined, 'a ticket of an older block gets no slot');
  });

  it('gives no slot to an image of another size than its block, and keeps fields apart', () => {
    const slots = new BatchSlots(2);
    const t = slots.enter();
    const jpg = slots.reserve('jpg', t, 6);
    const png = slots.reserve('png', t, 3);
    assert.ok(jpg && png && jpg.buffer !== png.buffer);
    assert.equal(slots.reserve('jpg', slots.enter(), 5), undefined);
  });
});

describe('copyWindowInto', () => {
  const H = 5;
  const W = 6;
  const windows = [
    { top: 1, left: 2, h: 3, w: 4 },
    { top: -2, left: -1, h: 4, w: 5 },
    { top: 3, left: 4, h: 4, w: 4 },
    { top: -3, left: 0, h: 2, w: 3 }, // above the image: all zeros
  ];
  for (const C of [1, 3]) {
    it(`cuts the window (zeros outside) and mirrors it by reversing rows (${C} channel${C > 1 ? 's' : ''})`, () => {
      const rgb = Uint8Array.from({ length: H * W * C }, (_, i) => 1 + ((i * 7) % 250));
      // the mirror expects channels stored in reverse order (BGR), as the flipped decode gives them
      const bgr = rgb.slice();
      if (C === 3)
        for (let p = 0; p < H * W; p++) [bgr[3 * p], bgr[3 * p + 2]] = [rgb[3 * p + 2] ?? 0, rgb[3 * p] ?? 0];
      for (const win of windows) {
        const want = cropImage({ data: rgb, shape: [H, W, C] }, win).data as Uint8Array;
        const dirty = () => new Uint8Array(win.h * win.w * C).fill(99); // uninitialised memory: every byte must be written
        assert.deepEqual(copyWindowInto(rgb, H, W, C, win, dirty(), false), want, JSON.stringify(win));
        assert.deepEqual(
          copyWindowInto(C === 3 ? bgr : rgb, H, W, C, win, dirty(), true),
          mirrorRows(want, new Uint8Array(want.length), win.h, win.w, C),
          `mirrored ${JSON.stringify(win)}`,
        );
      }
    });
  }
});
