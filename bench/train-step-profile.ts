/**
 * `node dist-test/bench/train-step-profile.js [--arch dcgan,sn-resnet,biggan] [--ch N] [--steps N] [--threads N]`:
 * where one NDA-GAN step's time goes, by kernel, and what the project's wasm kernels save: the SIMD
 * `Conv2D`, `FusedConv2D` and `Conv2DBackpropFilter` (`sinks/backend/simd/`), `Transpose`, `AvgPoolGrad`,
 * `ResizeNearestNeighbor`, `ResizeNearestNeighborGrad`, the small-matmul path of `BatchMatMul` and the data-sharing `Cast`,
 * `Conv2DBackpropInput`'s SIMD phases, the SIMD `FusedBatchNorm`, `_FusedMatMul`, larger `BatchMatMul` products and `Tanh`,
 * the kernels tfjs lacks (`NdaflowLeakyReluGrad`, `NdaflowBatchMoments`, `NdaflowBatchNormGrad`), and the fused Adam update (`createGanOptimizers`, against `tf.train.adam`).
 *
 * Every kernel of the backend is wrapped with a timer that keeps its *exclusive* time (a kernel that runs
 * other kernels, as the gradient kernels run `Conv2D`, is charged only for its own work), summed per kernel
 * name. The steps are `bench:train-step`'s (batch 64, 32x32x3, z 128); on wasm they alternate, in the same
 * process, between the kernels as registered (`new`) and with those put back to the package's
 * (`old`; for `Conv2DBackpropFilter` and `Conv2DBackpropInput`, whose package kernels are missing or scalar, the
 * project's kernels built from the package's `Conv2D`; for the kernels tfjs lacks, their composite paths), so the two are compared side by side under the same load. Then the largest convolution layer
 * alone (batch 64): forward `Conv2D`, `Conv2DBackpropFilter` and `Conv2DBackpropInput` in GMAC/s, the
 * ceiling of a step made only of convolutions (one element read back, never the whole output).
 * Stderr: the tables; the last stdout line:
 * `{arch: {ch, new_ms, old_ms, speedup, js_ms, kernels: {name: ms}, old_kernels: {name: ms}, conv: {forward, filter_grad, input_grad}}}`
 * (`old_*` on wasm only).
 */
import type * as TFJS from '@tensorflow/tfjs';
import { createGan, type GanArchitecture } from '../sinks/gan/create-gan.js';
import { createGanOptimizers } from '../sinks/gan/gan-optimizers.js';
import { batchMatMulKernel } from '../sinks/backend/kernels/batch-mat-mul.js';
import { conv2dBackpropFilterKernel } from '../sinks/backend/kernels/conv2d-backprop-filter.js';
import { conv2dBackpropInputKernel } from '../sinks/backend/kernels/conv2d-backprop-input.js';
import { originalKernel } from '../sinks/backend/kernels/wrapped-kernel.js';
import { forwardMacs, type CountedLayer } from './gan-macs.js';
import { round } from './measure.js';
import { median, parseStepBenchArgs, startStepBench } from './tf-step-bench.js';
import { alternateSteps, BATCH, DEFAULT_CH, installKernels, ownKernelsWithoutSimd, SIZE, Z } from './gan-step-bench.js';

/** The kernels whose package versions make the `old` set. */
const SWAPPED = [
  'Transpose',
  'AvgPoolGrad',
  'ResizeNearestNeighborGrad',
  'ResizeNearestNeighbor',
  'BatchMatMul',
  'Cast',
  'Conv2D',
  'FusedConv2D',
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput',
  'FusedBatchNorm',
  '_FusedMatMul',
  'Tanh',
];

/** Exclusive milliseconds per kernel name, while `on`. */
class KernelClock {
  on = false;
  readonly ms = new Map<string, number>();
  private readonly open: number[] = [];
  timed(config: TFJS.KernelConfig): TFJS.KernelConfig {
    const inner = config.kernelFunc;
    return {
      ...config,
      kernelFunc: (args) => {
        if (!this.on) return inner(args);
        this.open.push(0);
        const start = performance.now();
        try {
          return inner(args);
        } finally {
          const ms = performance.now() - start;
          const child = this.open.pop() ?? 0;
          if (this.open.length > 0) this.open[this.open.length - 1]! += ms;
          this.ms.set(config.kernelName, (this.ms.get(config.kernelName) ?? 0) + ms - child);
        }
      },
    };
  }
}

/** Best GMAC/s of each convolution kernel on one layer's shapes at batch 64 (2 warm-up calls, 4 timed). */
async function convCeiling(tf: typeof TFJS, layer: CountedLayer): Promise<Record<string, number>> {
  const c = layer.conv!;
  const x = tf.randomNormal<TFJS.Rank.R4>([BATCH, ...c.input], 0, 1, 'float32', 1);
  const filterShape: [number, number, number, number] = [c.kernel, c.kernel, c.input[2], c.filters];
  const w = tf.randomNormal<TFJS.Rank.R4>(filterShape, 0, 0.02, 'float32', 2);
  const y = tf.conv2d(x, w, c.strides, c.padding);
  const dy = tf.randomNormal<TFJS.Rank.R4>(y.shape, 0, 1, 'float32', 3);
  const attrs = { strides: c.strides, pad: c.padding, dataFormat: 'NHWC', dimRoundingMode: undefined };
  const kernels: Record<string, () => TFJS.Tensor> = {
    forward: () => tf.conv2d(x, w, c.strides, c.padding),
    filter_grad: () =>
      tf
        .engine()
        .runKernel(tf.Conv2DBackpropFilter, { x, dy }, { ...attrs, filterShape } as unknown as TFJS.NamedAttrMap),
    input_grad: () =>
      tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter: w }, {
        ...attrs,
        inputShape: x.shape,
      } as unknown as TFJS.NamedAttrMap),
  };
  const out: Record<string, number> = {};
  for (const [name, run] of Object.entries(kernels)) {
    let best = 0;
    for (let i = 0; i < 6; i++) {
      const start = performance.now();
      const r = run();
      const probe = tf.slice(
        r,
        r.shape.map(() => 0),
        r.shape.map(() => 1),
      );
      await probe.data();
      const ms = performance.now() - start;
      tf.dispose([r, probe]);
      if (i >= 2) best = Math.max(best, (BATCH * layer.macs) / (ms / 1000) / 1e9);
    }
    out[name] = round(best, 2);
  }
  tf.dispose([x, w, y, dy]);
  return out;
}

async function main(): Promise<void> {
  const args = parseStepBenchArgs(process.argv.slice(2), ['arch', 'ch']);
  const archs = (args.extra['arch'] ?? 'dcgan,sn-resnet,biggan').split(',') as GanArchitecture[];
  const { tf, backend } = await startStepBench(args);
  const name = tf.getBackend();
  const clock = { new: new KernelClock(), old: new KernelClock() };
  const registered = tf.getKernelsForBackend(name);
  const compare = name === 'wasm';
  const withoutSimd = ownKernelsWithoutSimd(tf);
  const oldConfigs = registered.map((c) => {
    if (!compare || !(SWAPPED.includes(c.kernelName) || withoutSimd.has(c.kernelName))) return c;
    if (c.kernelName === tf.BatchMatMul) return batchMatMulKernel(tf, originalKernel(c), 0, false);
    if (c.kernelName === tf.Conv2DBackpropFilter) return conv2dBackpropFilterKernel(tf, { simd: false });
    if (c.kernelName === tf.Conv2DBackpropInput) return conv2dBackpropInputKernel(tf, { simd: false });
    return withoutSimd.get(c.kernelName) ?? originalKernel(c);
  });
  const sets = {
    new: registered.map((c) => clock.new.timed(c)),
    old: oldConfigs.map((c) => clock.old.timed(c)),
  };
  const real = tf.randomUniform<TFJS.Rank.R4>([BATCH, SIZE, SIZE, 3], -1, 1, 'float32', 1);
  const negative = tf.randomUniform<TFJS.Rank.R4>([BATCH, SIZE, SIZE, 3], -1, 1, 'float32', 2);
  const out: Record<string, unknown> = {};
  for (const arch of archs) {
    const ch = args.extra['ch'] === undefined ? DEFAULT_CH[arch] : Number(args.extra['ch']);
    const models = createGan(tf, arch, { z: Z, ch, size: SIZE, channels: 3, seed: 1 });
    // new: the fused Adam (createGanOptimizers); old: tfjs-core's
    const optimizers = {
      new: createGanOptimizers(tf),
      old: { generator: tf.train.adam(2e-4, 0, 0.999), discriminator: tf.train.adam(2e-4, 0, 0.999) },
    };
    for (const c of [clock.new, clock.old]) c.ms.clear();
    const ours = { kernels: sets.new, optimizers: optimizers.new, clock: clock.new };
    const times: { new: number[]; old?: number[] } = compare
      ? await alternateSteps(
          tf,
          models,
          { real, negative },
          { new: ours, old: { kernels: sets.old, optimizers: optimizers.old, clock: clock.old } },
          args.steps,
        )
      : await alternateSteps(tf, models, { real, negative }, { new: ours }, args.steps);
    installKernels(tf, sets.new);
    const per = (ms: number) => round(ms / args.steps, 1);
    const stepNew = median(times.new);
    const stepOld = median(times.old ?? []);
    const kernelMs = [...clock.new.ms.values()].reduce((s, v) => s + v, 0);
    process.stderr.write(
      `\n${arch} (ch ${ch}, ${backend.name}, ${backend.threads} thread(s)): median step ${round(stepNew)} ms` +
        (compare ? ` (old kernels ${round(stepOld)} ms, ${round(stepOld / stepNew, 3)}x)` : '') +
        `; outside kernels ${per(times.new.reduce((s, v) => s + v, 0) - kernelMs)} ms a step\n` +
        `  kernel                       new ms   old ms  (per step, exclusive)\n`,
    );
    const top = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]).map(([k]) => k);
    const names = top(clock.new.ms);
    // the top of either set, so a kernel the new set made cheap still shows its old cost
    const shown = [...new Set([...names.slice(0, 18), ...top(clock.old.ms).slice(0, 18)])];
    for (const k of shown)
      process.stderr.write(
        `  ${k.padEnd(28)} ${String(per(clock.new.ms.get(k)!)).padStart(7)} ${String(per(clock.old.ms.get(k) ?? 0)).padStart(8)}\n`,
      );
    const layers = [...forwardMacs(models.generator).layers, ...forwardMacs(models.discriminator).layers];
    const largest = layers
      .filter((l) => l.kind === 'conv')
      .reduce<CountedLayer | undefined>((a, l) => (a === undefined || l.macs > a.macs ? l : a), undefined);
    const conv = largest === undefined ? {} : await convCeiling(tf, largest);
    process.stderr.write(`  largest conv ${JSON.stringify(largest?.conv)} alone, GMAC/s: ${JSON.stringify(conv)}\n`);
    out[arch] = {
      ch,
      new_ms: round(stepNew, 1),
      ...(compare ? { old_ms: round(stepOld, 1), speedup: round(stepOld / stepNew, 3) } : {}),
      js_ms: per(times.new.reduce((s, v) => s + v, 0) - kernelMs),
      kernels: Object.fromEntries(names.map((k) => [k, per(clock.new.ms.get(k)!)])),
      ...(compare
        ? { old_kernels: Object.fromEntries(top(clock.old.ms).map((k) => [k, per(clock.old.ms.get(k)!)])) }
        : {}),
      conv,
    };
    for (const pair of [optimizers.new, optimizers.old]) {
      pair.generator.dispose();
      pair.discriminator.dispose();
    }
    models.generator.dispose();
    models.discriminator.dispose();
  }
  console.log(JSON.stringify(out));
}

await main();
