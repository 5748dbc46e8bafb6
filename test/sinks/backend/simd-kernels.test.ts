import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { SimdTeam } from '../../../sinks/backend/simd/simd-team.js';
import { simdKernelsModule, FILTER_GRAD, SIMD_FUNCTIONS } from '../../../sinks/backend/simd/simd-kernels.js';
import {
  filterGradParts,
  filterGradScratchLength,
  narrowParts,
  runFilterGrad,
  simdFilterGradFits,
} from '../../../sinks/backend/simd/filter-grad.js';
import { floatBits, geometryArguments, split } from '../../../sinks/backend/simd/team-arguments.js';
import { channelBlocks, conv2dParts, packedFilterLength, runConv2d } from '../../../sinks/backend/simd/conv2d.js';
import { inputGradPackedLengths, inputGradPhases, runInputGrad } from '../../../sinks/backend/simd/input-grad.js';
import type { ConvGeometry } from '../../../sinks/backend/kernels/conv-geometry.js';
import { heapOutput } from '../../../sinks/backend/kernels/heap-tensor.js';
import { seededValues } from '../../helpers/seeded-values.js';
import { explicitPad, type ConvCase } from '../../helpers/conv-case.js';

// The SIMD kernels on a shared memory of their own (no tfjs backend), against plain-JS references, on one
// thread and on two (each thread writing its own part).

type Case = ConvCase & { readonly stride: [number, number] };

const CASES: Case[] = [
  { batch: 1, h: 2, w: 9, ci: 3, co: 40, k: [2, 3], stride: [1, 1], pad: 'valid' }, // one output row: split by channel blocks
  { batch: 3, h: 16, w: 16, ci: 8, co: 32, k: [4, 4], stride: [2, 2], pad: 'same' }, // 16-wide tiles only
  { batch: 2, h: 9, w: 7, ci: 3, co: 20, k: [3, 3], stride: [2, 2], pad: 'same' }, // odd ci, a 4-wide tail
  { batch: 1, h: 11, w: 10, ci: 5, co: 4, k: [5, 4], stride: [3, 2], pad: 'valid' }, // co 4: split by taps
  { batch: 2, h: 8, w: 8, ci: 6, co: 36, k: [1, 1], stride: [1, 1], pad: 'same' }, // 1x1
  { batch: 2, h: 10, w: 9, ci: 4, co: 8, k: [4, 4], stride: [1, 3], pad: explicitPad([1, 2], [2, 0]) },
  { batch: 1, h: 5, w: 5, ci: 2, co: 4, k: [1, 1], stride: [1, 1], pad: 'valid' }, // 1 tap, co 4: split by ci
  // a phase of a transposed conv
  { batch: 4, h: 4, w: 4, ci: 16, co: 48, k: [2, 2], stride: [1, 1], pad: explicitPad([1, 0], [0, 1]) },
  // co 3 (an RGB output: a partly filled 4-wide block), and co 19 (16 + 3)
  { batch: 2, h: 6, w: 5, ci: 4, co: 3, k: [3, 3], stride: [1, 1], pad: 'same' },
  { batch: 1, h: 7, w: 6, ci: 5, co: 19, k: [3, 2], stride: [2, 2], pad: 'same' },
  // a 1x1 filter at stride 2: three of the input gradient's four phases meet no tap
  { batch: 2, h: 6, w: 5, ci: 4, co: 8, k: [1, 1], stride: [2, 2], pad: 'same' },
  // a transposed conv's layer shape (the DCGAN's: k4 s2), input channels a multiple of 16
  { batch: 2, h: 8, w: 8, ci: 32, co: 16, k: [4, 4], stride: [2, 2], pad: 'same' },
  // co 2 and 1: the narrow filter gradient's tiles of 16 and 4 input channels and its one-channel tail
  { batch: 2, h: 7, w: 6, ci: 19, co: 2, k: [3, 3], stride: [2, 2], pad: 'same' },
  { batch: 1, h: 5, w: 6, ci: 8, co: 1, k: [1, 1], stride: [1, 1], pad: 'valid' },
];

function geometry(c: Case): ConvGeometry {
  const info = tf.backend_util.computeConv2DInfo(
    [c.batch, c.h, c.w, c.ci],
    [c.k[0], c.k[1], c.ci, c.co],
    c.stride,
    1,
    c.pad,
  );
  return {
    batch: c.batch,
    inHeight: c.h,
    inWidth: c.w,
    inChannels: c.ci,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    outChannels: c.co,
    filterHeight: c.k[0],
    filterWidth: c.k[1],
    strideHeight: c.stride[0],
    strideWidth: c.stride[1],
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/** `x[n, ih, iw, ci]` for the pixel tap `(kh, kw)` of output `(oh, ow)` reads, or undefined in the padding. */
function inputIndex(g: ConvGeometry, n: number, oh: number, ow: number, kh: number, kw: number): number | undefined {
  const ih = oh * g.strideHeight + kh - g.padTop;
  const iw = ow * g.strideWidth + kw - g.padLeft;
  if (ih < 0 || ih >= g.inHeight || iw < 0 || iw >= g.inWidth) return undefined;
  return ((n * g.inHeight + ih) * g.inWidth + iw) * g.inChannels;
}

/** Calls `term(xAt, fAt, yAt)` for every product of the convolution: input, filter and output indices. */
function forEachTerm(g: ConvGeometry, term: (xAt: number, fAt: number, yAt: number) => void): void {
  for (let n = 0; n < g.batch; n++)
    for (let oh = 0; oh < g.outHeight; oh++)
      for (let ow = 0; ow < g.outWidth; ow++)
        for (let kh = 0; kh < g.filterHeight; kh++)
          for (let kw = 0; kw < g.filterWidth; kw++) {
            const at = inputIndex(g, n, oh, ow, kh, kw);
            if (at === undefined) continue;
            for (let i = 0; i < g.inChannels; i++)
              for (let c = 0; c < g.outChannels; c++)
                term(
                  at + i,
                  ((kh * g.filterWidth + kw) * g.inChannels + i) * g.outChannels + c,
                  ((n * g.outHeight + oh) * g.outWidth + ow) * g.outChannels + c,
                );
          }
}

function referenceConv(g: ConvGeometry, x: Float32Array, f: Float32Array): Float64Array {
  const y = new Float64Array(g.batch * g.outHeight * g.outWidth * g.outChannels);
  forEachTerm(g, (xAt, fAt, yAt) => (y[yAt]! += x[xAt]! * f[fAt]!));
  return y;
}

function referenceFilterGrad(g: ConvGeometry, x: Float32Array, dy: Float32Array): Float64Array {
  const dw = new Float64Array(g.filterHeight * g.filterWidth * g.inChannels * g.outChannels);
  forEachTerm(g, (xAt, fAt, yAt) => (dw[fAt]! += x[xAt]! * dy[yAt]!));
  return dw;
}

function referenceInputGrad(g: ConvGeometry, dy: Float32Array, f: Float32Array): Float64Array {
  const dx = new Float64Array(g.batch * g.inHeight * g.inWidth * g.inChannels);
  forEachTerm(g, (xAt, fAt, yAt) => (dx[xAt]! += dy[yAt]! * f[fAt]!));
  return dx;
}

function assertClose(actual: Float32Array, expected: Float64Array, label: string): void {
  assert.equal(actual.length, expected.length, label);
  for (let i = 0; i < expected.length; i++)
    assert.ok(
      Math.abs(actual[i]! - expected[i]!) <= 1e-4 * Math.max(1, Math.abs(expected[i]!)),
      `${label}: index ${i}: ${actual[i]} vs ${expected[i]}`,
    );
}

/** A bump allocator on a shared memory; the first 64 KiB stay unused (a stray write there would show). */
class Heap {
  readonly memory = new WebAssembly.Memory({ initial: 64, maximum: 65536, shared: true });
  private top = 65536;
  put(values: Float32Array): number {
    const at = this.alloc(values.length);
    new Float32Array(this.memory.buffer, at, values.length).set(values);
    return at;
  }
  alloc(n: number, fill = Number.NaN): number {
    const at = this.top;
    this.top += Math.ceil((n * 4 + 64) / 64) * 64;
    const need = Math.ceil(this.top / 65536) - this.memory.buffer.byteLength / 65536;
    if (need > 0) this.memory.grow(need);
    new Float32Array(this.memory.buffer, at, n).fill(fill); // NaN: an element the kernel fails to write shows
    return at;
  }
  view(at: number, n: number): Float32Array {
    return new Float32Array(this.memory.buffer, at, n).slice();
  }
}

describe('SIMD kernels (sinks/backend/simd)', () => {
  const heap = new Heap();
  const teams = [1, 2].map((threads) => SimdTeam.start(heap.memory, simdKernelsModule(), SIMD_FUNCTIONS, threads - 1));
  after(() => Promise.all(teams.map((t) => t.close())));

  for (const [k, c] of CASES.entries()) {
    const g = geometry(c);
    const label = `case ${k}: [${c.batch},${c.h},${c.w},${c.ci}] k${c.k.join('x')} ${c.ci}->${c.co} s${c.stride.join('x')} ${JSON.stringify(c.pad)}`;
    const x = seededValues(c.batch * c.h * c.w * c.ci, 10 + k);
    const f = seededValues(c.k[0] * c.k[1] * c.ci * c.co, 20 + k);
    const dy = seededValues(g.batch * g.outHeight * g.outWidth * g.outChannels, 30 + k);
    for (const team of teams) {
      it(`conv2d${k % 2 === 1 ? ' + bias + ReLU' : ''}, ${label}, ${team.threads} thread(s)`, () => {
        const n = dy.length;
        const y = heap.alloc(n + 4); // 4 more NaNs: a store past the last output (a 4-wide store of 3 channels) shows
        const zero = heap.alloc(c.ci, 0);
        const packed = heap.alloc(packedFilterLength(g));
        // every other case with a bias and a ReLU (FusedConv2D's epilogue)
        const fused = k % 2 === 1;
        const bias = seededValues(c.co, 40 + k);
        const at = { x: heap.put(x), filter: heap.put(f), y, zero, packed };
        runConv2d(team, g, { ...at, bias: fused ? heap.put(bias) : 0, relu: fused });
        const expected = referenceConv(g, x, f);
        if (fused) expected.forEach((v, i) => (expected[i] = Math.max(0, v + bias[i % c.co]!)));
        assertClose(heap.view(y, n), expected, label);
        assert.ok(
          heap.view(y + n * 4, 4).every((v) => Number.isNaN(v)),
          `${label}: written past the output`,
        );
      });
      it(`input gradient by phases (pack_filter_flipped + conv2d into dx in place), ${label}, ${team.threads} thread(s)`, () => {
        const n = x.length;
        const phases = inputGradPhases(g);
        // NaN where every element must be written; zeros where a phase meets no tap (the caller's to clear)
        const dx = heap.alloc(n, phases.some((p) => p.conv === null) ? 0 : Number.NaN);
        const packed = inputGradPackedLengths(phases).map((floats) => heap.alloc(floats));
        const at = { dy: heap.put(dy), filter: heap.put(f), dx, zero: heap.alloc(c.co, 0), packed };
        runInputGrad(team, g, phases, at);
        assertClose(heap.view(dx, n), referenceInputGrad(g, dy, f), label);
      });
      if (!simdFilterGradFits(g)) continue; // 5 to 7 output channels, 9 to 11, ...: the package's path
      it(`filter_grad${c.co < 4 ? ' (narrow)' : ''}, ${label}, ${team.threads} thread(s)`, () => {
        const n = f.length;
        const dw = heap.alloc(n, 0); // the kernel adds to dW: the caller zeroes it
        const scratch = heap.alloc(filterGradScratchLength(g, team.threads), 0);
        runFilterGrad(team, g, heap.put(x), heap.put(dy), dw, scratch);
        assertClose(heap.view(dw, n), referenceFilterGrad(g, x, dy), label);
      });
    }
  }

  it('splits the output between threads into disjoint parts that cover it', () => {
    for (const c of CASES) {
      const g = geometry(c);
      for (const threads of [1, 2, 3, 8]) {
        if (simdFilterGradFits(g)) {
          const taps = g.filterHeight * g.filterWidth;
          const cover = new Uint8Array(taps * g.inChannels * g.outChannels);
          const parts = g.outChannels < 4 ? narrowParts(g, threads) : filterGradParts(g, threads);
          assert.ok(parts.length >= 1 && parts.length <= threads);
          for (const p of parts)
            for (let t = p.t0; t < p.t1; t++)
              for (let i = p.i0; i < p.i1; i++)
                for (let o = p.c0; o < p.c1; o++) cover[(t * g.inChannels + i) * g.outChannels + o]!++;
          assert.ok(
            cover.every((v) => v === 1),
            `filter_grad parts for ${threads} threads: ${JSON.stringify(parts)}`,
          );
          if (g.outChannels >= 4)
            for (const p of parts) assert.ok(p.c0 % 4 === 0 && p.c1 % 4 === 0, 'output channels in 4s');
        }
        const rows = g.batch * g.outHeight;
        const out = new Uint8Array(rows * g.outChannels);
        for (const p of conv2dParts(g, threads))
          for (let r = p.r0; r < p.r1; r++) for (let o = p.c0; o < p.c1; o++) out[r * g.outChannels + o]!++;
        assert.ok(
          out.every((v) => v === 1),
          `conv2d parts for ${threads} threads`,
        );
      }
    }
    assert.deepEqual(split(10, 4, 3), [
      [0, 16],
      [16, 28],
      [28, 40],
    ]);
    assert.deepEqual(split(1, 16, 2), [[0, 16]]);
    assert.equal(floatBits(1), 0x3f800000);
    assert.equal(floatBits(-2), 0xc0000000 | 0);
    assert.deepEqual(channelBlocks(40), [0, 16, 32, 36, 40]);
    assert.deepEqual(channelBlocks(4), [0, 4]);
    assert.deepEqual(channelBlocks(3), [0, 3]);
    assert.deepEqual(channelBlocks(19), [0, 16, 19]);
    // the input gradient's phases cover dx's pixels once each
    for (const c of CASES) {
      const g = geometry(c);
      const hit = new Uint8Array(g.batch * g.inHeight * g.inWidth);
      const phases = inputGradPhases(g);
      assert.equal(phases.length, Math.min(g.strideHeight, g.inHeight) * Math.min(g.strideWidth, g.inWidth));
      for (const p of phases) {
        const rows = Math.ceil((g.inHeight - Math.floor(p.offset / g.inChannels / g.inWidth)) / g.strideHeight);
        const cols = Math.ceil((g.inWidth - ((p.offset / g.inChannels) % g.inWidth)) / g.strideWidth);
        if (p.conv !== null) assert.deepEqual([p.conv.outHeight, p.conv.outWidth], [rows, cols]);
        for (let n = 0; n < g.batch; n++)
          for (let q = 0; q < rows; q++)
            for (let w = 0; w < cols; w++) {
              const floats = p.offset + n * p.layout.image + q * p.layout.row + w * p.layout.pixel;
              hit[floats / g.inChannels]!++;
            }
      }
      assert.ok(
        hit.every((v) => v === 1),
        `input gradient phases of ${JSON.stringify(c)}`,
      );
    }
    // one output row, channels split by block: the parts follow the blocks, not plain multiples of 4
    const oneRow = { ...geometry(CASES.find((c) => c.co === 20)!), batch: 1, outHeight: 1 };
    assert.deepEqual(
      conv2dParts(oneRow, 2).map((p) => [p.c0, p.c1]),
      [
        [0, 16],
        [16, 20],
      ],
    );
  });

  it('names the function and the thread when a part traps, and the team stays usable', () => {
    const team = teams[1]!;
    const c = CASES[0]!;
    const g = geometry(c);
    const beyond = heap.memory.buffer.byteLength + 65536; // out of bounds: a wasm trap
    const parts = filterGradParts(g, 2);
    assert.equal(parts.length, 2);
    const scratch = heap.alloc(filterGradScratchLength(g, 2), 0);
    const args = (p: (typeof parts)[number], x: number, k: number) => [
      x,
      0,
      scratch + (k * filterGradScratchLength(g, 2) * 4) / 2,
      0,
      ...geometryArguments(g),
      1,
      p.t0,
      p.t1,
      p.i0,
      p.i1,
      p.c0,
      p.c1,
    ];
    const ok = heap.alloc(1 << 16, 0);
    assert.throws(
      () => team.run(FILTER_GRAD, [args(parts[0]!, ok, 0), args(parts[1]!, beyond, 1)]),
      /filter_grad failed on helper thread 1: .*memory access out of bounds/,
    );
    assert.throws(
      () => team.run(FILTER_GRAD, [args(parts[0]!, beyond, 0), args(parts[1]!, ok, 1)]),
      /memory access out of bounds/,
    );
    const x = seededValues(c.batch * c.h * c.w * c.ci, 10);
    const dy = seededValues(g.batch * g.outHeight * g.outWidth * g.outChannels, 30);
    const dw = heap.alloc(c.k[0] * c.k[1] * c.ci * c.co, 0);
    runFilterGrad(team, g, heap.put(x), heap.put(dy), dw, heap.alloc(filterGradScratchLength(g, team.threads), 0));
    assertClose(heap.view(dw, c.k[0] * c.k[1] * c.ci * c.co), referenceFilterGrad(g, x, dy), 'after the traps');
  });

  it('heapOutput frees its output when the writer throws, and hands it over otherwise', () => {
    const freed: unknown[] = [];
    let made = 0;
    const memory = {
      makeOutput: (shape: number[]) => ({ dataId: { id: made++ }, shape, dtype: 'float32' as const }),
      typedArrayFromHeap: () => new Float32Array(1),
      disposeData: (dataId: unknown) => freed.push(dataId) > 0,
    };
    assert.throws(
      () =>
        heapOutput(memory, [1], () => {
          throw new RangeError('trap');
        }),
      /trap/,
    );
    assert.deepEqual(freed, [{ id: 0 }]);
    const kept = heapOutput(memory, [2], () => undefined);
    assert.deepEqual(kept.shape, [2]);
    assert.equal(freed.length, 1);
  });

  it('refuses an unshared memory, an unknown function and too many parts; a closed team refuses to run', async () => {
    const unshared = new WebAssembly.Memory({ initial: 1, maximum: 65536 });
    assert.throws(() => SimdTeam.start(unshared, simdKernelsModule(), SIMD_FUNCTIONS, 0), /memory must be shared/);
    assert.throws(() => SimdTeam.start(heap.memory, simdKernelsModule(), ['nope'], 0), /must export nope/);
    const team = SimdTeam.start(heap.memory, simdKernelsModule(), SIMD_FUNCTIONS, 1);
    assert.throws(() => team.run('nope', [[]]), /has only filter_grad, conv2d/);
    assert.throws(() => team.run(FILTER_GRAD, [[], [], []]), /in 3 parts as the team has 2 thread/);
    await team.close();
    assert.throws(() => team.run(FILTER_GRAD, [[]]), /closed/);
  });
});
