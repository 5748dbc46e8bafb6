/**
 * `node dist-test/bench/train-step-profile.js [--arch dcgan,sn-resnet,biggan] [--ch N] [--steps N] [--threads N]`:
 * where one NDA-GAN step's time goes, by kernel. Every kernel registered for the backend is wrapped with
 * a timer that keeps its *exclusive* time (a kernel that runs other kernels, as the project's gradient
 * kernels run `Conv2D`, is charged only for its own work), summed per kernel name and, for the
 * convolutions, per shape. The steps are those of `bench:train-step` (batch 64, 32x32x3, z 128); the time
 * outside every kernel (the gradient tape, layer bookkeeping, the optimizers' JS) is reported as `js`.
 * Stderr: a table per architecture; the last stdout line: `{arch: {step_ms, kernels: {name: ms}, js_ms}}`.
 */
import type * as TFJS from '@tensorflow/tfjs';
import { createGan, type GanArchitecture } from '../sinks/gan/create-gan.js';
import { ndaGanStep } from '../sinks/gan/hinge-nda-step.js';
import { round } from './measure.js';
import { parseStepBenchArgs, startStepBench } from './tf-step-bench.js';

const BATCH = 64;
const SIZE = 32;
const Z = 128;
const DEFAULT_CH: Readonly<Record<GanArchitecture, number>> = { dcgan: 64, 'sn-resnet': 32, biggan: 16 };
const DETAILED = new Set(['Conv2D', 'FusedConv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'BatchMatMul', 'Transpose']);

interface Tally {
  total: Map<string, number>;
  calls: Map<string, number>;
}

/** Wraps every kernel of `backend` with an exclusive timer adding into `tally` (while `tally.on`). */
function instrument(tf: typeof TFJS, backend: string, tally: { on: boolean; t: Tally }): void {
  const stack: number[] = []; // child time accumulated for each open kernel
  for (const config of tf.getKernelsForBackend(backend)) {
    const inner = config.kernelFunc;
    const wrapped: TFJS.KernelConfig = {
      ...config,
      kernelFunc: (args) => {
        if (!tally.on) return inner(args);
        stack.push(0);
        const start = performance.now();
        try {
          return inner(args);
        } finally {
          const ms = performance.now() - start;
          const child = stack.pop()!;
          if (stack.length > 0) stack[stack.length - 1]! += ms;
          let key = config.kernelName;
          if (DETAILED.has(key)) {
            const shapes = Object.values(args.inputs).filter((t) => t != null).map((t) => JSON.stringify((t as TFJS.TensorInfo).shape));
            key += ` ${shapes.join(' ')}`;
            const a = args.attrs as Record<string, unknown> | undefined;
            if (a?.['strides'] !== undefined) key += ` s${JSON.stringify(a['strides'])}`;
            if (a?.['dilations'] !== undefined && JSON.stringify(a['dilations']) !== '[1,1]' && a['dilations'] !== 1)
              key += ` d${JSON.stringify(a['dilations'])}`;
            if (a?.['perm'] !== undefined) key += ` p${JSON.stringify(a['perm'])}`;
          }
          tally.t.total.set(key, (tally.t.total.get(key) ?? 0) + ms - child);
          tally.t.calls.set(key, (tally.t.calls.get(key) ?? 0) + 1);
        }
      },
    };
    tf.unregisterKernel(config.kernelName, backend);
    tf.registerKernel(wrapped);
  }
}

async function main(): Promise<void> {
  const args = parseStepBenchArgs(process.argv.slice(2), ['arch', 'ch']);
  const archs = (args.extra['arch'] ?? 'dcgan,sn-resnet,biggan').split(',') as GanArchitecture[];
  const { tf, backend } = await startStepBench(args);
  const tally = { on: false, t: { total: new Map(), calls: new Map() } as Tally };
  instrument(tf, tf.getBackend(), tally);
  const real = tf.randomUniform<TFJS.Rank.R4>([BATCH, SIZE, SIZE, 3], -1, 1, 'float32', 1);
  const negative = tf.randomUniform<TFJS.Rank.R4>([BATCH, SIZE, SIZE, 3], -1, 1, 'float32', 2);
  const out: Record<string, unknown> = {};
  for (const arch of archs) {
    const ch = args.extra['ch'] === undefined ? DEFAULT_CH[arch] : Number(args.extra['ch']);
    const models = createGan(tf, arch, { z: Z, ch, size: SIZE, channels: 3, seed: 1 });
    const optimizers = { generator: tf.train.adam(2e-4, 0, 0.999), discriminator: tf.train.adam(2e-4, 0, 0.999) };
    tally.t = { total: new Map(), calls: new Map() };
    let stepMs = 0;
    for (let step = 0; step <= args.steps; step++) {
      const z = tf.randomNormal<TFJS.Rank.R2>([BATCH, Z], 0, 1, 'float32', 2 * step);
      const zG = tf.randomNormal<TFJS.Rank.R2>([BATCH, Z], 0, 1, 'float32', 2 * step + 1);
      tally.on = step > 0;
      const start = performance.now();
      await ndaGanStep(tf, models, optimizers, { real, negative, z, zG });
      if (step > 0) stepMs += performance.now() - start;
      tally.on = false;
      tf.dispose([z, zG]);
    }
    const per = (ms: number) => ms / args.steps;
    const rows = [...tally.t.total.entries()].sort((a, b) => b[1] - a[1]);
    const kernelMs = rows.reduce((s, [, ms]) => s + ms, 0);
    process.stderr.write(`\n${arch} (ch ${ch}, ${backend.name}): ${round(per(stepMs))} ms/step, kernels ${round(per(kernelMs))} ms, outside kernels ${round(per(stepMs - kernelMs))} ms\n`);
    const byName = new Map<string, number>();
    for (const [key, ms] of rows) byName.set(key.split(' ')[0]!, (byName.get(key.split(' ')[0]!) ?? 0) + ms);
    for (const [name, ms] of [...byName.entries()].sort((a, b) => b[1] - a[1]))
      process.stderr.write(`  ${name.padEnd(28)} ${round(per(ms), 1).toString().padStart(8)} ms ${round((100 * ms) / stepMs, 1)} %\n`);
    process.stderr.write(`  -- top shapes --\n`);
    for (const [key, ms] of rows.slice(0, 40))
      process.stderr.write(`  ${round(per(ms), 1).toString().padStart(8)} ms x${per(tally.t.calls.get(key)!)} ${key}\n`);
    out[arch] = { ch, step_ms: round(per(stepMs), 1), js_ms: round(per(stepMs - kernelMs), 1), kernels: Object.fromEntries([...byName].map(([k, v]) => [k, round(per(v), 1)])) };
    optimizers.generator.dispose();
    optimizers.discriminator.dispose();
    models.generator.dispose();
    models.discriminator.dispose();
  }
  console.log(JSON.stringify(out));
}

await main();
