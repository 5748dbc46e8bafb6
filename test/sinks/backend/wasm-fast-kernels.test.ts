import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type * as TF from '@tensorflow/tfjs-core';
import { resizeIsWholeFactor } from '../../../sinks/backend/simd/upsample.js';
import { selectBackend } from '../../../sinks/backend/index.js';
import { registerWasmKernels } from '../../../sinks/backend/register-wasm-kernels.js';
import { originalKernel } from '../../../sinks/backend/kernels/wrapped-kernel.js';
import { tileInto } from '../../../sinks/backend/kernels/tile.js';
import { mergeAxes, transposeInto } from '../../../sinks/backend/kernels/transpose.js';
import { seededValues } from '../../helpers/seeded-values.js';

// The Tile, BatchMatMul, Sum, Mean, LeakyRelu, Transpose, AvgPoolGrad, ResizeNearestNeighbor, ResizeNearestNeighborGrad, FusedBatchNorm, _FusedMatMul and Tanh kernels registered for wasm, each against the cpu backend's own
// kernel through the engine with the same inputs and attributes, on the fast-path cases and on the
// cases handed back to the package's kernel.

const WRAPPED = [
  'Tile',
  'BatchMatMul',
  'Sum',
  'Mean',
  'LeakyRelu',
  'Transpose',
  'Identity',
  'Cast',
  'AvgPoolGrad',
  'ResizeNearestNeighborGrad',
  'ResizeNearestNeighbor',
  'Conv2D',
  'FusedBatchNorm',
  '_FusedMatMul',
  'Tanh',
];

type Inputs = Record<string, [Float32Array | Int32Array | Uint8Array, number[], TF.DataType]>;

const values = seededValues;

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const f32 = (shape: number[], seed: number): [Float32Array, number[], TF.DataType] => [
  values(size(shape), seed),
  shape,
  'float32',
];

async function runOn(tf: typeof TF, backend: string, kernel: string, inputs: Inputs, attrs: object) {
  await tf.setBackend(backend);
  const tensors: Record<string, TF.Tensor> = {};
  for (const [name, [data, shape, dtype]] of Object.entries(inputs)) tensors[name] = tf.tensor(data, shape, dtype);
  const before = tf.memory().numTensors;
  const out = tf.engine().runKernel<TF.Tensor>(kernel, tensors, attrs as TF.NamedAttrMap);
  const result = { shape: out.shape, dtype: out.dtype, data: Array.from(out.dataSync() as ArrayLike<number>) };
  out.dispose();
  const after = tf.memory().numTensors;
  for (const t of Object.values(tensors)) t.dispose();
  return { ...result, leaked: after - before };
}

function assertClose(actual: number[], expected: number[], tolerance: number, label: string): void {
  assert.equal(actual.length, expected.length, label);
  let scale = 1;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < expected.length; i++) {
    assert.ok(
      Math.abs(actual[i]! - expected[i]!) <= tolerance * scale,
      `${label}: index ${i}: ${actual[i]} vs ${expected[i]}`,
    );
  }
}

async function compare(
  tf: typeof TF,
  kernel: string,
  inputs: Inputs,
  attrs: object,
  tolerance: number,
  label: string,
): Promise<void> {
  const wasm = await runOn(tf, 'wasm', kernel, inputs, attrs);
  const cpu = await runOn(tf, 'cpu', kernel, inputs, attrs);
  assert.deepEqual(wasm.shape, cpu.shape, `${label}: shape`);
  assert.equal(wasm.dtype, cpu.dtype, `${label}: dtype`);
  assertClose(wasm.data, cpu.data, tolerance, label);
  assert.equal(wasm.leaked, 0, `${label}: tensor count unchanged on wasm`);
}

describe('wasm Tile/BatchMatMul/Sum/Mean/LeakyRelu/Transpose/pool and resize gradient kernels match the cpu backend', () => {
  let tf: typeof TF;
  before(async () => {
    // two threads: the threaded build, where the SIMD kernels (AvgPoolGrad's, ResizeNearestNeighbor's) run
    const chosen = await selectBackend({ backend: 'wasm', threads: 2 });
    tf = chosen.tf;
    for (const name of [...WRAPPED, 'NdaflowLeakyReluGrad'])
      assert.ok(chosen.kernels.includes(name), `${name} in ${chosen.kernels.join()}`);
    await import('@tensorflow/tfjs-backend-cpu');
  });

  const TILES: Array<[number[], number[]]> = [
    [
      [1, 1, 1, 5],
      [3, 4, 2, 1],
    ], // batch norm's gradient: a per-channel vector over [n, h, w]
    [
      [2, 3, 1, 4],
      [2, 1, 3, 2],
    ],
    [[3], [4]],
    [
      [2, 1, 3],
      [1, 5, 1],
    ],
    [
      [2, 2],
      [1, 1],
    ],
    [
      [2, 3, 2],
      [3, 2, 2],
    ],
    [
      [1, 4],
      [0, 2],
    ], // empty output
  ];
  for (const [i, [shape, reps]] of TILES.entries()) {
    it(`Tile float32 ${JSON.stringify(shape)} x ${JSON.stringify(reps)}`, async () => {
      await compare(tf, 'Tile', { x: f32(shape, 10 + i) }, { reps }, 0, `tile ${i}`);
    });
  }
  it('Tile int32 and bool', async () => {
    await compare(
      tf,
      'Tile',
      { x: [Int32Array.from([1, -2, 3, 4, 5, 6]), [2, 3], 'int32'] },
      { reps: [2, 3] },
      0,
      'int32',
    );
    await compare(tf, 'Tile', { x: [Uint8Array.from([1, 0, 1]), [3, 1], 'bool'] }, { reps: [2, 2] }, 0, 'bool');
  });
  it('tileInto repeats every axis in row-major order', () => {
    const dst = new Float32Array(12);
    tileInto(Float32Array.from([1, 2, 3]), dst, [3, 1], [2, 2]);
    assert.deepEqual(Array.from(dst), [1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3]);
  });

  const MATMULS: Array<[number[], number[], boolean, boolean]> = [
    [[7, 5], [7, 9], true, false], // the dense layer's weight gradient x^T dy
    [[6, 9], [4, 9], false, true], // the dense layer's input gradient dy W^T
    [[2, 5, 7], [2, 9, 5], true, true],
    [[3, 4, 6], [1, 6, 5], false, false], // broadcast batch, no transpose: the package's kernel
    [[1, 3, 4], [2, 5, 4], false, true],
    [[1, 64], [64, 96], false, false], // a power iteration's v W: the JS loop
    [[24, 1], [1, 32], false, false],
    // above SMALL_MATMUL_MACS: the SIMD convolution (a transposed a transposed first)
    [[70, 64], [70, 64], true, false],
    [[64, 70], [65, 70], false, true],
    [[33, 80], [80, 130], false, false],
    [[300, 900], [300, 1], true, false], // one column, a^T: taken as (b^T a)^T (D's last dense layer)
    [[65, 1000], [3, 1000], false, true], // 3 columns: the narrow kernel, b transposed by its packing
    [[65, 1000], [1000, 2], false, false],
    [[2, 65, 70], [2, 70, 80], false, false], // a batch of 2: the package's kernel
  ];
  for (const [i, [aShape, bShape, transposeA, transposeB]] of MATMULS.entries()) {
    it(`BatchMatMul ${JSON.stringify(aShape)}${transposeA ? '^T' : ''} x ${JSON.stringify(bShape)}${transposeB ? '^T' : ''}`, async () => {
      await compare(
        tf,
        'BatchMatMul',
        { a: f32(aShape, 20 + i), b: f32(bShape, 40 + i) },
        { transposeA, transposeB },
        1e-5,
        `matmul ${i}`,
      );
    });
  }

  const REDUCTIONS: Array<[number[], number | number[], boolean]> = [
    [[4, 3, 5, 6], [0, 1, 2], false], // bias / batch norm gradient of NHWC
    [[4, 3, 5, 6], [2, 1, 0], true],
    [[6, 7], 0, false],
    [[2, 3, 4], [0, 1], true],
    [[4, 3, 5, 6], [1, 2], false], // not leading: the package's kernel
    [[4, 3, 5, 6], [0, 1, 2, 3], false], // all axes: the package's kernel
    [[4, 3, 5, 6], -1, true],
    [[1, 3, 5, 2], [0], false],
  ];
  for (const kernel of ['Sum', 'Mean']) {
    for (const [i, [shape, axis, keepDims]] of REDUCTIONS.entries()) {
      it(`${kernel} of ${JSON.stringify(shape)} over ${JSON.stringify(axis)}${keepDims ? ' keepDims' : ''}`, async () => {
        await compare(tf, kernel, { x: f32(shape, 60 + i) }, { axis, keepDims }, 1e-5, `${kernel} ${i}`);
      });
    }
  }
  it('Sum of int32 goes to the package kernel and stays int32', async () => {
    await compare(
      tf,
      'Sum',
      { x: [Int32Array.from([1, 2, 3, 4, 5, 6]), [3, 2], 'int32'] },
      { axis: [0], keepDims: false },
      0,
      'int32 sum',
    );
  });

  for (const [i, [shape, alpha]] of (
    [
      [[4, 3, 5, 6], 0.2],
      [[7], 0.01],
      [[2, 3], 1.5],
      [[5, 7, 11, 13], 0.2], // the SIMD kernel: 4096 elements or more, a last element past the vectors
      [[1049603], 0.2], // split between the team's threads: TEAM_MIN_ELEMENTS (1M) or more
    ] as Array<[number[], number]>
  ).entries()) {
    it(`LeakyRelu ${JSON.stringify(shape)} alpha ${alpha}`, async () => {
      const x = f32(shape, 80 + i);
      x[0][0] = 0; // the kink: 0 stays 0
      await compare(tf, 'LeakyRelu', { x }, { alpha }, 1e-6, `leakyRelu ${i}`);
      const wasm = await runOn(tf, 'wasm', 'LeakyRelu', { x }, { alpha });
      assert.ok(
        wasm.data.some((v, j) => v < 0 && v !== x[0][j]),
        'negative inputs are scaled',
      );
    });
  }

  it("Identity shares its input's data: no copy, values kept after the input is disposed, memory freed with the last", async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const data = values(4 * 5 * 6, 95);
    const before = { tensors: tf.memory().numTensors, bytes: tf.memory().numBytes, ids: backend.numDataIds() };
    const x = tf.tensor(data, [4, 5, 6]);
    const copy = tf.clone(x); // the Identity kernel
    assert.equal(backend.numDataIds(), before.ids + 1, 'one buffer for both');
    x.dispose();
    assert.deepEqual(copy.dataSync(), data, 'the clone outlives its source');
    assert.deepEqual(copy.shape, [4, 5, 6]);
    copy.dispose();
    assert.deepEqual(
      { tensors: tf.memory().numTensors, bytes: tf.memory().numBytes, ids: backend.numDataIds() },
      before,
      'everything released',
    );
    // what the engine clones for a gradient: a training step's values are the ones the copying kernel gave
    const a = tf.tensor(data, [4, 5, 6]);
    const g = tf.grad((t: TF.Tensor) => tf.sum(tf.mul(tf.leakyRelu(t, 0.2), t)))(a);
    const reference = tf.tidy(() => tf.add(tf.leakyRelu(a, 0.2), tf.mul(a, tf.step(a, 0.2))));
    assertClose(Array.from(g.dataSync()), Array.from(reference.dataSync()), 1e-6, 'gradient through saved tensors');
    tf.dispose([a, g, reference]);
  });

  it("Cast to the same dtype shares its input's data; a cast to another dtype converts", async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const data = values(3 * 4, 96).map((v) => v * 10);
    const before = { tensors: tf.memory().numTensors, ids: backend.numDataIds() };
    const x = tf.tensor(data, [3, 4]);
    const same = tf.cast(x, 'float32');
    assert.equal(backend.numDataIds(), before.ids + 1, 'one buffer for both');
    x.dispose();
    assert.deepEqual(same.dataSync(), data, 'the cast outlives its source');
    const ints = tf.cast(same, 'int32');
    assert.equal(ints.dtype, 'int32');
    assert.deepEqual(
      Array.from(ints.dataSync()),
      Array.from(data, (v) => v | 0),
      'float32 -> int32 truncates',
    );
    tf.dispose([same, ints]);
    assert.deepEqual({ tensors: tf.memory().numTensors, ids: backend.numDataIds() }, before, 'everything released');
  });

  // [4, 3, 5, 6]: the element-wise kernels; [5, 7, 11, 13]: the one-pass SIMD kernel on wasm, on one
  // thread; [1049603]: split between the team's threads
  for (const shape of [[4, 3, 5, 6], [5, 7, 11, 13], [1049603]]) {
    const fused = (backend: string) => backend === 'wasm' && size(shape) >= 4096;
    const gradientData = () => {
      const data = values(size(shape), 90);
      data[0] = 0; // the kink: tfjs-core's gradients take the alpha (or 0) side at 0
      data[1] = -0;
      data[2] = Number.NaN;
      return data;
    };

    it(`LeakyRelu's registered gradient ${JSON.stringify(shape)} is dy where x > 0, dy * alpha elsewhere, NaN at NaN, in one kernel on wasm`, async () => {
      for (const backend of ['wasm', 'cpu']) {
        await tf.setBackend(backend);
        const x = tf.tensor(gradientData(), shape);
        const dy = tf.tensor(values(size(shape), 91), x.shape);
        const before = tf.memory().numTensors;
        const info = await tf.profile(() => tf.grad((t: TF.Tensor) => tf.leakyRelu(t, 0.2))(x, dy));
        const grad = info.result as TF.Tensor;
        // tfjs-core's own formula, the reference (which gives dy * alpha at a NaN x)
        const reference = tf.tidy(() => tf.where(tf.greater(x, 0), dy, tf.mul(dy, 0.2)));
        const got = Array.from(grad.dataSync());
        const want = Array.from(reference.dataSync());
        assert.ok(Number.isNaN(got[2]), `${backend}: NaN at a NaN x`);
        got[2] = want[2]!;
        assert.deepEqual(got, want, `${backend}: values`);
        const names = new Set(info.kernels.map((k) => k.name));
        assert.ok(!names.has('Select') && !names.has('Greater'), `${backend}: ${[...names].join()}`);
        if (fused(backend)) assert.ok(names.has('NdaflowLeakyReluGrad') && !names.has('Step'), [...names].join());
        else assert.ok(names.has('Step'), `${backend}: ${[...names].join()}`);
        tf.dispose([grad, reference]);
        assert.equal(tf.memory().numTensors, before, `${backend}: tensor count`);
        tf.dispose([x, dy]);
      }
    });

    it(`Relu's registered gradient ${JSON.stringify(shape)} is tfjs-core's dy * step(x), in one kernel on wasm`, async () => {
      for (const backend of ['wasm', 'cpu']) {
        await tf.setBackend(backend);
        const x = tf.tensor(gradientData(), shape);
        const dy = tf.tensor(values(size(shape), 92), x.shape);
        const before = tf.memory().numTensors;
        const info = await tf.profile(() => tf.grad((t: TF.Tensor) => tf.relu(t))(x, dy));
        const grad = info.result as TF.Tensor;
        const reference = tf.tidy(() => tf.mul(dy, tf.cast(tf.step(x), 'float32'))); // tfjs-core's formula
        assert.deepEqual(Array.from(grad.dataSync()), Array.from(reference.dataSync()), `${backend}: values`);
        assert.ok(
          grad.dataSync().some((v, j) => v === 0 && x.dataSync()[j]! < 0),
          `${backend}: zero where x < 0`,
        );
        const names = new Set(info.kernels.map((k) => k.name));
        if (fused(backend)) assert.ok(names.has('NdaflowLeakyReluGrad') && !names.has('Step'), [...names].join());
        else assert.ok(names.has('Step'), `${backend}: ${[...names].join()}`);
        tf.dispose([grad, reference]);
        assert.equal(tf.memory().numTensors, before, `${backend}: tensor count`);
        tf.dispose([x, dy]);
      }
    });
  }

  const TRANSPOSES: Array<[number[], number[]]> = [
    [
      [3, 5, 4, 6],
      [3, 1, 2, 0],
    ], // a filter gradient's input: tiled 2-D transposes
    [
      [3, 5, 4, 6],
      [1, 2, 0, 3],
    ], // rows of 6 kept: copied element by element
    [
      [3, 5, 4, 20],
      [1, 2, 0, 3],
    ], // rows of 20 kept: the package's kernel
    [
      [37, 45],
      [1, 0],
    ], // tiles with remainders
    [
      [3, 1, 4],
      [2, 1, 0],
    ], // an axis of 1
    [
      [2, 3, 4, 5, 3],
      [4, 2, 0, 3, 1],
    ],
    [
      [4, 6, 5],
      [0, 2, 1],
    ],
  ];
  for (const [i, [shape, perm]] of TRANSPOSES.entries()) {
    it(`Transpose ${JSON.stringify(shape)} by ${JSON.stringify(perm)}`, async () => {
      await compare(tf, 'Transpose', { x: f32(shape, 90 + i) }, { perm }, 0, `transpose ${i}`);
    });
  }
  it('Transpose int32 and bool', async () => {
    const ints = Int32Array.from({ length: 24 }, (_, j) => j * 7 - 50);
    await compare(tf, 'Transpose', { x: [ints, [2, 3, 4], 'int32'] }, { perm: [2, 0, 1] }, 0, 'int32');
    await compare(
      tf,
      'Transpose',
      { x: [Uint8Array.from([1, 0, 0, 1, 1, 0]), [2, 3], 'bool'] },
      { perm: [1, 0] },
      0,
      'bool',
    );
  });
  it('mergeAxes drops axes of 1 and merges axes that stay adjacent', () => {
    assert.deepEqual(mergeAxes([2, 3, 4, 5], [2, 3, 0, 1]), { shape: [6, 20], perm: [1, 0] });
    assert.deepEqual(mergeAxes([2, 1, 4], [2, 1, 0]), { shape: [2, 4], perm: [1, 0] });
    assert.deepEqual(mergeAxes([1, 1], [1, 0]), { shape: [1], perm: [0] });
    const dst = new Float32Array(6);
    transposeInto(Float32Array.from([1, 2, 3, 4, 5, 6]), dst, [2, 3], [1, 0]);
    assert.deepEqual(Array.from(dst), [1, 4, 2, 5, 3, 6]);
  });

  const POOLS: Array<[number[], number[], number | [number, number], number | [number, number], 'valid' | 'same']> = [
    [[2, 8, 6, 5], [2, 4, 3, 5], 2, 2, 'valid'], // the discriminators' 2x2 pools: upsampling
    [[2, 8, 6, 5], [2, 4, 3, 5], 2, 2, 'same'],
    [[1, 6, 6, 3], [1, 2, 3, 3], [3, 2], [3, 2], 'valid'],
    [[2, 7, 6, 3], [2, 3, 3, 3], 2, 2, 'valid'], // a row left over: the package's kernel
    [[2, 7, 7, 3], [2, 4, 4, 3], 3, 2, 'same'], // overlapping windows: the package's kernel
  ];
  for (const [i, [inShape, dyShape, filterSize, strides, pad]] of POOLS.entries()) {
    it(`AvgPoolGrad ${JSON.stringify(inShape)} window ${JSON.stringify(filterSize)} stride ${JSON.stringify(strides)} ${pad}`, async () => {
      await compare(
        tf,
        'AvgPoolGrad',
        { dy: f32(dyShape, 110 + i), input: f32(inShape, 120 + i) },
        { filterSize, strides, pad },
        1e-6,
        `avgPoolGrad ${i}`,
      );
    });
  }

  // Batch 1 only against the cpu backend: its ResizeNearestNeighborGrad is wrong for batch > 1 (tfjs 4.22;
  // the batch-2 case is checked against block sums below).
  const RESIZES: Array<[number[], number[], boolean, boolean]> = [
    [[1, 3, 4, 5], [1, 6, 8, 5], false, false], // upSampling2d x2
    [[1, 3, 4, 5], [1, 6, 8, 5], false, true],
    [[1, 2, 3, 2], [1, 6, 6, 2], false, false],
    [[1, 3, 4, 5], [1, 6, 8, 5], true, false], // alignCorners: the package's kernel
    [[1, 3, 4, 5], [1, 5, 7, 5], false, false], // not a whole factor: the package's kernel
  ];
  for (const [i, [imShape, dyShape, alignCorners, halfPixelCenters]] of RESIZES.entries()) {
    it(`ResizeNearestNeighborGrad ${JSON.stringify(imShape)} from ${JSON.stringify(dyShape)}${alignCorners ? ' alignCorners' : ''}${halfPixelCenters ? ' halfPixelCenters' : ''}`, async () => {
      await compare(
        tf,
        'ResizeNearestNeighborGrad',
        { images: f32(imShape, 130 + i), dy: f32(dyShape, 140 + i) },
        { alignCorners, halfPixelCenters },
        1e-6,
        `resizeGrad ${i}`,
      );
    });
  }

  const UPSAMPLES: Array<[number[], [number, number], boolean, boolean]> = [
    [[1, 3, 4, 5], [6, 8], false, false], // upSampling2d x2 (5 channels: a vector and a scalar tail)
    [[2, 3, 4, 8], [6, 12], false, true], // x2 by x3, half-pixel centres
    [[2, 2, 3, 4], [8, 3], false, false], // x4 by x1
    [[1, 3, 4, 5], [6, 8], true, false], // alignCorners: the package's kernel
    [[2, 4, 4, 3], [6, 6], false, false], // not a whole factor: the package's kernel
    [[1, 6, 8, 5], [3, 4], false, false], // downsampling: the package's kernel
    [[16, 32, 32, 16], [64, 64], false, false], // 1M outputs: split between the team's threads
  ];
  for (const [i, [shape, size, alignCorners, halfPixelCenters]] of UPSAMPLES.entries()) {
    it(`ResizeNearestNeighbor ${JSON.stringify(shape)} to ${JSON.stringify(size)}${alignCorners ? ' alignCorners' : ''}${halfPixelCenters ? ' halfPixelCenters' : ''}`, async () => {
      await compare(
        tf,
        'ResizeNearestNeighbor',
        { images: f32(shape, 160 + i) },
        { alignCorners, halfPixelCenters, size },
        0,
        `resize ${i}`,
      );
    });
  }

  // a's shape, b's shape, transposes, bias, activation
  // as tfjs-core's fused.matMul runs the kernel: 3-D operands with a batch of 1
  const FUSED_MATMULS: Array<[number[], number[], boolean, boolean, boolean, string]> = [
    [[1, 64, 128], [1, 128, 96], false, false, true, 'linear'], // G's first dense layer (bias, no activation)
    [[1, 64, 128], [1, 96, 128], false, true, true, 'relu'],
    [[1, 90, 60], [1, 90, 70], true, false, false, 'relu'],
    [[1, 64, 1300], [1, 1300, 3], false, false, true, 'relu'], // 3 columns: the narrow kernel with its bias
    [[1, 64, 128], [1, 128, 96], false, false, true, 'elu'], // another activation: the package's kernel
  ];
  for (const [i, [aShape, bShape, transposeA, transposeB, withBias, activation]] of FUSED_MATMULS.entries()) {
    it(`_FusedMatMul ${JSON.stringify(aShape)}${transposeA ? '^T' : ''} x ${JSON.stringify(bShape)}${transposeB ? '^T' : ''}${withBias ? ' + bias' : ''}, ${activation}`, async () => {
      const n = bShape[transposeB ? 1 : 2]!;
      await compare(
        tf,
        '_FusedMatMul',
        { a: f32(aShape, 60 + i), b: f32(bShape, 70 + i), ...(withBias ? { bias: f32([n], 80 + i) } : {}) },
        { transposeA, transposeB, activation },
        1e-5,
        `fused matmul ${i}`,
      );
    });
  }

  // a generator's output, a length with a 3-element tail, one below the SIMD kernel's minimum (the package's),
  // one split between the team's threads
  for (const [i, shape] of [[64, 16, 16, 3], [4099], [4095], [1049603]].entries()) {
    it(`Tanh ${JSON.stringify(shape)} over [-12, 12]`, async () => {
      const [data] = f32(shape, 190 + i);
      await compare(tf, 'Tanh', { x: [data.map((v) => v * 12), shape, 'float32'] }, {}, 1e-6, `tanh ${i}`);
    });
  }

  it('Tanh of the special values: +-Inf, NaN, +-0, the ends of both formulas, the smallest values', async () => {
    const special = [Infinity, -Infinity, Number.NaN, 0, -0, 0.625, -0.625, 0.62500006, 9, -9, 45, 100, 1e-30, -1e-38];
    const values = new Float32Array(4096 + special.length);
    values.set(special);
    await tf.setBackend('wasm');
    const x = tf.tensor1d(values);
    const out = tf.tanh(x);
    const y = out.dataSync();
    tf.dispose([x, out]);
    assert.equal(y[0], 1);
    assert.equal(y[1], -1);
    assert.ok(Number.isNaN(y[2]!), `tanh(NaN): ${y[2]}`);
    assert.ok(Object.is(y[3], 0) && Object.is(y[4], -0), `tanh(+-0): ${y[3]}, ${y[4]}`);
    for (let k = 5; k < special.length; k++) {
      const want = Math.fround(Math.tanh(Math.fround(special[k]!)));
      assert.ok(Math.abs(y[k]! - want) <= 2 * 2 ** -23 * Math.abs(want), `tanh(${special[k]}): ${y[k]} vs ${want}`);
    }
  });

  it('zero-size products and convolutions give empty or zero outputs and write nothing else', async () => {
    await tf.setBackend('wasm');
    const sentinel = tf.fill([4096], 7);
    const ones = (shape: number[]) => tf.ones(shape);
    const cases: Array<[string, () => TF.Tensor, number[], number]> = [
      ['no columns', () => tf.matMul(ones([600, 500]), ones([500, 0])), [600, 0], 0],
      ['no inner length', () => tf.matMul(ones([600, 0]), ones([0, 500])), [600, 500], 0],
      ['no rows', () => tf.matMul(ones([0, 500]), ones([500, 600])), [0, 600], 0],
      [
        'no filters',
        () => tf.conv2d(ones([2, 8, 8, 4]) as TF.Tensor4D, ones([3, 3, 4, 0]) as TF.Tensor4D, 1, 'same'),
        [2, 8, 8, 0],
        0,
      ],
      [
        'no images',
        () => tf.conv2d(ones([0, 8, 8, 4]) as TF.Tensor4D, ones([3, 3, 4, 3]) as TF.Tensor4D, 1, 'same'),
        [0, 8, 8, 3],
        0,
      ],
    ];
    for (const [label, run, shape, sum] of cases) {
      const out = tf.tidy(run);
      assert.deepEqual(out.shape, shape, label);
      assert.equal(
        (out.dataSync() as Float32Array).reduce((a, b) => a + b, 0),
        sum,
        label,
      );
      out.dispose();
    }
    assert.ok(
      (sentinel.dataSync() as Float32Array).every((v) => v === 7),
      'a tensor beside them is unchanged',
    );
    sentinel.dispose();
  });

  // x's shape, the parameters' shape, which of offset and scale are given
  const BATCH_NORMS: Array<[number[], number[], boolean, boolean]> = [
    [[2, 3, 4, 32], [32], true, true], // tfjs-layers' batchNormalization
    [[3, 5, 7], [7], true, false], // 7 channels: a vector and a scalar tail; no scale
    [[4, 6], [6], false, true], // no offset
    [[2, 2, 2, 5], [1, 1, 1, 5], true, true], // moments kept as [1, 1, 1, C]
    [[2, 3, 4], [1], true, true], // one value for every channel: the package's kernel
    [[64, 16, 16, 64], [64], true, true], // 1M elements: split between the team's threads
  ];
  for (const [i, [shape, paramShape, withOffset, withScale]] of BATCH_NORMS.entries()) {
    it(`FusedBatchNorm ${JSON.stringify(shape)} with parameters ${JSON.stringify(paramShape)}${withOffset ? ', offset' : ''}${withScale ? ', scale' : ''}`, async () => {
      const [v] = f32(paramShape, 172 + i);
      const variance: [Float32Array, number[], TF.DataType] = [v.map((e) => e * e + 0.1), paramShape, 'float32'];
      await compare(
        tf,
        'FusedBatchNorm',
        {
          x: f32(shape, 170 + i),
          mean: f32(paramShape, 171 + i),
          variance,
          ...(withOffset ? { offset: f32(paramShape, 173 + i) } : {}),
          ...(withScale ? { scale: f32(paramShape, 174 + i) } : {}),
        },
        { varianceEpsilon: 1e-3 },
        1e-5,
        `batch norm ${i}`,
      );
    });
  }

  it('resizeIsWholeFactor takes whole upsampling factors only, and not with alignCorners', () => {
    assert.ok(resizeIsWholeFactor(16, 32, false, false));
    assert.ok(resizeIsWholeFactor(16, 32, false, true));
    assert.ok(resizeIsWholeFactor(5, 15, false, false));
    assert.ok(resizeIsWholeFactor(7, 7, false, true));
    assert.ok(!resizeIsWholeFactor(16, 32, true, false));
    assert.ok(!resizeIsWholeFactor(4, 6, false, false));
    assert.ok(!resizeIsWholeFactor(8, 4, false, false));
    assert.ok(!resizeIsWholeFactor(0, 4, false, false));
  });

  it('ResizeNearestNeighborGrad of a batch of 2 sums each 2x2 block', async () => {
    const [dyData] = f32([2, 6, 8, 5], 150);
    const wasm = await runOn(
      tf,
      'wasm',
      'ResizeNearestNeighborGrad',
      { images: f32([2, 3, 4, 5], 151), dy: [dyData, [2, 6, 8, 5], 'float32'] },
      { alignCorners: false, halfPixelCenters: false },
    );
    const expected = new Array<number>(2 * 3 * 4 * 5).fill(0);
    for (let n = 0; n < 2; n++)
      for (let y = 0; y < 6; y++)
        for (let x = 0; x < 8; x++)
          for (let c = 0; c < 5; c++)
            expected[((n * 3 + (y >> 1)) * 4 + (x >> 1)) * 5 + c]! += dyData[((n * 6 + y) * 8 + x) * 5 + c]!;
    assertClose(wasm.data, expected, 1e-6, 'block sums');
  });

  it('registering again wraps the package kernels, not the previous wrappers', async () => {
    await tf.setBackend('wasm');
    const before = Object.fromEntries(WRAPPED.map((n) => [n, originalKernel(tf.getKernel(n, 'wasm'))]));
    registerWasmKernels(tf);
    for (const [name, original] of Object.entries(before)) {
      const now = tf.getKernel(name, 'wasm');
      assert.notEqual(now, original, `${name} is wrapped`);
      assert.equal(originalKernel(now), original, `${name} wraps the package kernel`);
    }
    await compare(tf, 'Tile', { x: f32([1, 2], 5) }, { reps: [3, 1] }, 0, 'after re-registering');
  });
});
