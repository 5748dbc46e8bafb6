import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type * as TF from '@tensorflow/tfjs-core';
import { selectBackend } from '../../../sinks/backend/index.js';
import { simdTeamOf } from '../../../sinks/backend/simd/backend-simd-team.js';
import { seededValues } from '../../helpers/seeded-values.js';
import { explicitPad, type ConvCase } from '../../helpers/conv-case.js';
import { conv2dBackpropFilterKernel, filterGradChunks } from '../../../sinks/backend/kernels/conv2d-backprop-filter.js';

// Each registered wasm kernel against the cpu backend's own kernel, run through the engine with the
// same inputs and attributes (so the tfjs-core gradient wiring is not needed).

type Case = ConvCase & { readonly stride: number };

const CASES: Case[] = [
  { batch: 1, h: 5, w: 5, ci: 1, co: 2, k: [3, 3], stride: 1, pad: 'same' },
  { batch: 3, h: 7, w: 6, ci: 2, co: 3, k: [3, 3], stride: 2, pad: 'same' },
  { batch: 1, h: 9, w: 7, ci: 3, co: 4, k: [3, 2], stride: 2, pad: 'valid' },
  {
    batch: 3,
    h: 8,
    w: 8,
    ci: 3,
    co: 5,
    k: [4, 4],
    stride: 2,
    pad: [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ],
  },
  { batch: 3, h: 6, w: 5, ci: 2, co: 3, k: [2, 3], stride: 1, pad: 'valid' },
  {
    batch: 1,
    h: 11,
    w: 9,
    ci: 1,
    co: 3,
    k: [5, 5],
    stride: 2,
    pad: [
      [0, 0],
      [2, 0],
      [0, 3],
      [0, 0],
    ],
  },
  { batch: 3, h: 6, w: 6, ci: 3, co: 2, k: [1, 1], stride: 2, pad: 'same' },
  // The generator's conv transposes (k4 s2 'same', 4x4x256 -> 8x8x128), as the phase decomposition sees them.
  { batch: 2, h: 8, w: 8, ci: 128, co: 256, k: [4, 4], stride: 2, pad: 'same' },
  // 3 output channels (an RGB layer's) from 13 input channels: the narrow filter gradient's tiles of 8, 4 and 1.
  { batch: 2, h: 9, w: 9, ci: 13, co: 3, k: [3, 3], stride: 1, pad: 'same' },
  // 256 output channels: the filter gradient's blocks of rows shrink to about 16 pixels (3 rows of 5 here),
  // so blocks start and end inside images.
  { batch: 2, h: 10, w: 10, ci: 8, co: 256, k: [3, 3], stride: 2, pad: 'same' },
  // The SIMD kernels' edges: 16-wide tiles and a 4-wide tail, an odd channel count, an input gradient
  // whose phase convolutions have 4 output channels.
  { batch: 3, h: 9, w: 7, ci: 5, co: 20, k: [3, 3], stride: 2, pad: 'same' },
  { batch: 2, h: 10, w: 9, ci: 4, co: 8, k: [4, 4], stride: 3, pad: explicitPad([2, 1], [0, 3]) },
  // Odd sizes, strides 2 and 3: phases of different lengths, taps missing from some phases.
  { batch: 2, h: 9, w: 7, ci: 2, co: 3, k: [4, 3], stride: 2, pad: 'same' },
  { batch: 1, h: 11, w: 10, ci: 3, co: 2, k: [5, 4], stride: 3, pad: 'same' },
  { batch: 2, h: 13, w: 8, ci: 2, co: 4, k: [3, 5], stride: 3, pad: 'valid' },
  { batch: 1, h: 7, w: 8, ci: 2, co: 2, k: [2, 2], stride: 3, pad: 'same' },
  {
    batch: 2,
    h: 10,
    w: 9,
    ci: 3,
    co: 2,
    k: [4, 4],
    stride: 3,
    pad: [
      [0, 0],
      [0, 2],
      [3, 1],
      [0, 0],
    ],
  },
];

const values = seededValues;

function outSize(tf: typeof TF, c: Case): [number, number, number, number] {
  const info = tf.backend_util.computeConv2DInfo(
    [c.batch, c.h, c.w, c.ci],
    [c.k[0], c.k[1], c.ci, c.co],
    c.stride,
    1,
    c.pad,
  );
  return [c.batch, info.outHeight, info.outWidth, c.co];
}

async function runOn(
  tf: typeof TF,
  backend: string,
  kernel: string,
  inputs: Record<string, [Float32Array, number[]]>,
  attrs: object,
) {
  await tf.setBackend(backend);
  const tensors: Record<string, TF.Tensor> = {};
  for (const [name, [data, shape]] of Object.entries(inputs)) tensors[name] = tf.tensor(data, shape);
  const before = tf.memory().numTensors;
  const out = tf.engine().runKernel<TF.Tensor>(kernel, tensors, attrs as TF.NamedAttrMap);
  const result = { shape: out.shape, data: out.dataSync() as Float32Array };
  out.dispose();
  const after = tf.memory().numTensors;
  for (const t of Object.values(tensors)) t.dispose();
  return { ...result, leaked: after - before };
}

function assertClose(actual: Float32Array, expected: Float32Array, label: string): void {
  assert.equal(actual.length, expected.length, label);
  let scale = 0;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i]! - expected[i]!);
    assert.ok(diff <= 1e-4 * Math.max(1, scale), `${label}: index ${i}: ${actual[i]} vs ${expected[i]}`);
  }
}

/** Seeded values for a case's `dy`, with its shape. */
function dyInput(tf: typeof TF, c: Case, seed: number): [Float32Array, number[]] {
  const shape = outSize(tf, c);
  return [
    values(
      shape.reduce((a, b) => a * b),
      seed,
    ),
    shape,
  ];
}

async function checkFilterGradient(tf: typeof TF, c: Case, i: number, label: string): Promise<void> {
  const inputs = {
    x: [values(c.batch * c.h * c.w * c.ci, 1 + i), [c.batch, c.h, c.w, c.ci]] as [Float32Array, number[]],
    dy: dyInput(tf, c, 100 + i),
  };
  const attrs = { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', filterShape: [c.k[0], c.k[1], c.ci, c.co] };
  const wasm = await runOn(tf, 'wasm', 'Conv2DBackpropFilter', inputs, attrs);
  const cpu = await runOn(tf, 'cpu', 'Conv2DBackpropFilter', inputs, attrs);
  assert.deepEqual(wasm.shape, [c.k[0], c.k[1], c.ci, c.co]);
  assert.deepEqual(wasm.shape, cpu.shape);
  assertClose(wasm.data, cpu.data, label);
  assert.equal(wasm.leaked, 0, 'tensor count unchanged on wasm');
}

describe('filterGradChunks', () => {
  it('splits the images into as few chunks as fit, sizes within one of each other', () => {
    assert.deepEqual(filterGradChunks(10, 100, 300), [
      [0, 3],
      [3, 3],
      [6, 2],
      [8, 2],
    ]);
    assert.deepEqual(filterGradChunks(4, 100, 1000), [[0, 4]]);
    assert.deepEqual(filterGradChunks(192, 1024, Infinity), [[0, 192]]);
  });
  it('takes one image a chunk when one image is longer than the chunk', () => {
    assert.deepEqual(filterGradChunks(3, 5000, 1000), [
      [0, 1],
      [1, 1],
      [2, 1],
    ]);
  });
});

describe('wasm conv kernels match the cpu backend', () => {
  let tf: typeof TF;
  before(async () => {
    // two threads: the threaded build, whose shared heap the SIMD kernels run on (see the SIMD team test below)
    const chosen = await selectBackend({ backend: 'wasm', threads: 2 });
    tf = chosen.tf;
    assert.ok(
      ['Conv2D', 'FusedConv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput'].every((k) => chosen.kernels.includes(k)),
      chosen.kernels.join(),
    );
    await import('@tensorflow/tfjs-backend-cpu');
  });

  it('runs the SIMD kernels: the threaded backend has a SIMD team of its two threads', async () => {
    await tf.setBackend('wasm');
    assert.equal(simdTeamOf(tf.backend())?.threads, 2);
  });

  for (const [i, c] of CASES.entries()) {
    const label = `case ${i}: [${c.batch},${c.h},${c.w},${c.ci}] k${c.k.join('x')} ${c.ci}->${c.co} s${c.stride} ${JSON.stringify(c.pad)}`;
    it(`Conv2DBackpropFilter, ${label}`, () => checkFilterGradient(tf, c, i, label));
    it(`Conv2D, ${label}`, async () => {
      const inputs = {
        x: [values(c.batch * c.h * c.w * c.ci, 400 + i), [c.batch, c.h, c.w, c.ci]] as [Float32Array, number[]],
        filter: [values(c.k[0] * c.k[1] * c.ci * c.co, 500 + i), [c.k[0], c.k[1], c.ci, c.co]] as [
          Float32Array,
          number[],
        ],
      };
      const attrs = { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', dilations: 1 };
      const wasm = await runOn(tf, 'wasm', 'Conv2D', inputs, attrs);
      const cpu = await runOn(tf, 'cpu', 'Conv2D', inputs, attrs);
      assert.deepEqual(wasm.shape, outSize(tf, c));
      assertClose(wasm.data, cpu.data, label);
      assert.equal(wasm.leaked, 0, 'tensor count unchanged on wasm');
    });
    for (const activation of ['relu', 'linear', 'elu'] as const) {
      it(`FusedConv2D with a bias, ${activation}, ${label}`, async () => {
        const inputs = {
          x: [values(c.batch * c.h * c.w * c.ci, 600 + i), [c.batch, c.h, c.w, c.ci]] as [Float32Array, number[]],
          filter: [values(c.k[0] * c.k[1] * c.ci * c.co, 700 + i), [c.k[0], c.k[1], c.ci, c.co]] as [
            Float32Array,
            number[],
          ],
          bias: [values(c.co, 800 + i), [c.co]] as [Float32Array, number[]],
        };
        const attrs = { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', dilations: 1, activation };
        const wasm = await runOn(tf, 'wasm', 'FusedConv2D', inputs, attrs);
        const cpu = await runOn(tf, 'cpu', 'FusedConv2D', inputs, attrs);
        assert.deepEqual(wasm.shape, outSize(tf, c));
        assertClose(wasm.data, cpu.data, label);
        if (activation === 'relu') assert.ok(wasm.data.every((v) => v >= 0) && wasm.data.some((v) => v > 0));
        assert.equal(wasm.leaked, 0, 'tensor count unchanged on wasm');
      });
    }
    it(`Conv2DBackpropInput, ${label}`, async () => {
      const inputs = {
        dy: dyInput(tf, c, 200 + i),
        filter: [values(c.k[0] * c.k[1] * c.ci * c.co, 300 + i), [c.k[0], c.k[1], c.ci, c.co]] as [
          Float32Array,
          number[],
        ],
      };
      const attrs = { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', inputShape: [c.batch, c.h, c.w, c.ci] };
      const wasm = await runOn(tf, 'wasm', 'Conv2DBackpropInput', inputs, attrs);
      const cpu = await runOn(tf, 'cpu', 'Conv2DBackpropInput', inputs, attrs);
      assert.deepEqual(wasm.shape, [c.batch, c.h, c.w, c.ci]);
      assertClose(wasm.data, cpu.data, label);
      assert.equal(wasm.leaked, 0, 'tensor count unchanged on wasm');
    });
  }

  it('Conv2DBackpropFilter without the SIMD kernel sums its image chunks: one image a chunk gives the same gradients', async () => {
    tf.unregisterKernel(tf.Conv2DBackpropFilter, 'wasm');
    tf.registerKernel(conv2dBackpropFilterKernel(tf, { chunk: 1, simd: false }));
    try {
      for (const [i, c] of CASES.entries())
        if (c.batch > 1) await checkFilterGradient(tf, c, i, `one image a chunk, case ${i}`);
    } finally {
      tf.unregisterKernel(tf.Conv2DBackpropFilter, 'wasm');
      tf.registerKernel(conv2dBackpropFilterKernel(tf));
    }
  });

  it('rejects NCHW with a TypeError naming the kernel', async () => {
    await tf.setBackend('wasm');
    const x = tf.zeros([1, 4, 4, 1]);
    const dy = tf.zeros([1, 4, 4, 1]);
    assert.throws(
      () =>
        tf
          .engine()
          .runKernel(
            'Conv2DBackpropFilter',
            { x, dy },
            { strides: 1, pad: 'same', dataFormat: 'NCHW', filterShape: [1, 1, 1, 1] },
          ),
      /Cannot run Conv2DBackpropFilter on wasm as dataFormat must be NHWC/,
    );
    tf.dispose([x, dy]);
  });
});
