/**
 * `node dist-test/bench/train-step-versus.js --against DIR [--compare builds|kernels] [--arch dcgan,sn-resnet,biggan] [--ch N] [--steps N] [--threads N]`:
 * this build against another, one NDA-GAN step each in turn in the same process, so that the machine's
 * drift (30-50 % within minutes on this project's machines, which makes runs of two builds one after the
 * other disagree) falls on both alike. `DIR` is the other checkout's `dist-test` folder (`npm run
 * build:test` there; its `node_modules` must resolve to the same `@tensorflow/*` packages as this
 * one's, e.g. a symlink): its `sinks/backend/register-wasm-kernels.js` registers its kernels, which are
 * swapped with this build's before every step (this build's own kernels that tfjs lacks and the other
 * build does not register run their composite paths on its side), and so are the gradients this build
 * registers (the other's, or tfjs-core's where it registers none).
 * - `--compare builds` (the default): each side also trains its own networks with its own step and
 *   optimizers (`sinks/gan/create-gan.js`, `hinge-nda-step.js` and `gan-optimizers.js` of its build,
 *   the same seed): the whole step, layers included.
 * - `--compare kernels`: one set of networks, step and optimizers, this build's, for both: the kernels
 *   and gradients alone.
 * The steps are `bench:train-step`'s (batch 64, 32x32x3, z 128; one D update on [x, G(z), jigsaw(x)]
 * then one G update).
 * Stderr: each pair of steps; the last stdout line:
 * `{"against", "compare", "threads", arch: {"ch", "ms", "against_ms", "speedup", "faster", "pairs", "gmac_per_s"}}` (medians).
 */
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as TFJS from '@tensorflow/tfjs';
import { createGan, type GanArchitecture } from '../sinks/gan/create-gan.js';
import { createGanOptimizers } from '../sinks/gan/gan-optimizers.js';
import { originalKernel } from '../sinks/backend/kernels/wrapped-kernel.js';
import { leakyReluGradient, reluGradient } from '../sinks/backend/kernels/leaky-relu.js';
import { forwardMacs, stepMacs } from './gan-macs.js';
import { round } from './measure.js';
import { median, parseStepBenchArgs, startStepBench } from './tf-step-bench.js';
import {
  alternateSteps,
  BATCH,
  DEFAULT_CH,
  installKernels,
  ownKernelsWithoutSimd,
  SIZE,
  Z,
  type GanStep,
} from './gan-step-bench.js';
import { ndaGanStep } from '../sinks/gan/hinge-nda-step.js';

/** What this benchmark uses of the other build's modules. */
interface OtherBuild {
  registerWasmKernels(tf: typeof TFJS): string[];
  createGan: typeof createGan;
  createGanOptimizers: typeof createGanOptimizers;
  ndaGanStep: GanStep;
}

async function loadOtherBuild(dir: string, compare: string): Promise<OtherBuild> {
  const load = async (path: string): Promise<Record<string, unknown>> =>
    (await import(pathToFileURL(join(resolve(dir), path)).href)) as Record<string, unknown>;
  const kernels = await load('sinks/backend/register-wasm-kernels.js');
  if (compare === 'kernels') return { ...kernels, createGan, createGanOptimizers, ndaGanStep } as unknown as OtherBuild;
  return {
    ...kernels,
    ...(await load('sinks/gan/create-gan.js')),
    ...(await load('sinks/gan/gan-optimizers.js')),
    ...(await load('sinks/gan/hinge-nda-step.js')),
  } as unknown as OtherBuild;
}

/** tfjs-core's gradients of the kernels whose gradients this build registers, for a build that registers none. */
function coreGradients(tf: typeof TFJS): Map<string, TFJS.GradConfig> {
  const relu: TFJS.GradConfig = {
    kernelName: tf.Relu,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => ({ x: () => tf.mul(dy as TFJS.Tensor, tf.cast(tf.step(saved[0]!), 'float32')) }),
  };
  const leaky: TFJS.GradConfig = {
    kernelName: tf.LeakyRelu,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const { alpha } = attrs as unknown as { alpha: number };
      const x = saved[0]!;
      return { x: () => tf.where(tf.greater(x, 0), dy as TFJS.Tensor, tf.mul(dy as TFJS.Tensor, alpha)) };
    },
  };
  return new Map([relu, leaky].map((g) => [g.kernelName, g]));
}

async function main(): Promise<void> {
  const args = parseStepBenchArgs(process.argv.slice(2), ['arch', 'ch', 'against', 'compare']);
  const against = args.extra['against'];
  if (against === undefined) throw new Error("--against DIR (another checkout's dist-test folder) is required");
  const compare = args.extra['compare'] ?? 'builds';
  if (compare !== 'builds' && compare !== 'kernels')
    throw new Error(`--compare must be builds or kernels: current value is ${compare}`);
  const archs = (args.extra['arch'] ?? 'dcgan,sn-resnet,biggan').split(',') as GanArchitecture[];
  const { tf, backend } = await startStepBench(args);
  if (backend.name !== 'wasm') throw new Error(`compares wasm kernels: current backend is ${backend.name}`);
  const ours = new Map(backend.kernels.map((name) => [name, tf.getKernel(name, 'wasm')]));
  const ourGradients = [leakyReluGradient(tf), reluGradient(tf)];
  const registeredGradients = new Map(ourGradients.map((g) => [g.kernelName, tf.getGradient(g.kernelName)]));
  // the package's own kernels back, for the other build's wrappers to wrap
  installKernels(
    tf,
    [...ours.values()].map((c) => originalKernel(c)),
  );
  const packageKernels = new Map(tf.getKernelsForBackend('wasm').map((c) => [c.kernelName, c]));
  const other = await loadOtherBuild(against, compare);
  const registeredByThem = other.registerWasmKernels(tf);
  const names = [...new Set([...backend.kernels, ...registeredByThem])];
  // theirs where they register none of this build's own kernels (the package has none either): their
  // composite paths, as they stood before the kernels
  const withoutSimd = ownKernelsWithoutSimd(tf);
  const theirs = names.map((name) =>
    registeredByThem.includes(name)
      ? tf.getKernel(name, 'wasm')
      : (withoutSimd.get(name) ?? tf.getKernel(name, 'wasm')),
  );
  // ours: this build's kernel, or the package's where this build registers none
  const oursSet = names.map((name) => {
    const config = ours.get(name) ?? packageKernels.get(name);
    if (config === undefined)
      throw new Error(`the other build registers ${name}, which this build and the package lack`);
    return config;
  });
  // their gradients: what their registration left, or tfjs-core's where it left this build's
  const core = coreGradients(tf);
  const theirGradients = ourGradients.map((g) => {
    const now = tf.getGradient(g.kernelName);
    return now === registeredGradients.get(g.kernelName) ? core.get(g.kernelName)! : now;
  });
  process.stderr.write(`against ${against} (${compare}): it registers ${registeredByThem.join(', ')}\n`);

  const real = tf.randomUniform<TFJS.Rank.R4>([BATCH, SIZE, SIZE, 3], -1, 1, 'float32', 1);
  const negative = tf.randomUniform<TFJS.Rank.R4>([BATCH, SIZE, SIZE, 3], -1, 1, 'float32', 2);
  const out: Record<string, unknown> = { against, compare, threads: backend.threads };
  for (const arch of archs) {
    const ch = args.extra['ch'] === undefined ? DEFAULT_CH[arch] : Number(args.extra['ch']);
    const options = { z: Z, ch, size: SIZE, channels: 3, seed: 1 };
    const models = createGan(tf, arch, options);
    const theirModels = compare === 'builds' ? other.createGan(tf, arch, options) : models;
    const macs = stepMacs(BATCH, forwardMacs(models.generator).total, forwardMacs(models.discriminator).total);
    const optimizers = createGanOptimizers(tf);
    const theirOptimizers = compare === 'builds' ? other.createGanOptimizers(tf) : optimizers;
    const times = await alternateSteps(
      tf,
      models,
      { real, negative },
      {
        ours: { kernels: oursSet, optimizers, gradients: ourGradients },
        theirs: {
          kernels: theirs,
          optimizers: theirOptimizers,
          models: theirModels,
          step: other.ndaGanStep,
          gradients: theirGradients,
        },
      },
      args.steps,
    );
    times.ours.forEach((t, i) =>
      process.stderr.write(`${arch} step ${i + 1}: ${round(t)} ms, against ${round(times.theirs[i]!)} ms\n`),
    );
    installKernels(tf, oursSet);
    for (const g of ourGradients) tf.registerGradient(g);
    for (const o of new Set([optimizers, theirOptimizers])) {
      o.generator.dispose();
      o.discriminator.dispose();
    }
    for (const m of new Set([models, theirModels])) {
      m.generator.dispose();
      m.discriminator.dispose();
    }
    const ms = median(times.ours);
    const theirMs = median(times.theirs);
    const faster = times.ours.filter((t, i) => t < times.theirs[i]!).length;
    out[arch] = {
      ch,
      ms: round(ms, 1),
      against_ms: round(theirMs, 1),
      speedup: round(theirMs / ms, 3),
      faster,
      pairs: times.ours.length,
      gmac_per_s: round(macs / (ms / 1000) / 1e9, 2),
    };
    process.stderr.write(
      `${arch}: median ${round(ms)} ms against ${round(theirMs)} ms (${round(theirMs / ms, 3)}x); faster in ${faster} of ${times.ours.length} pairs\n`,
    );
  }
  console.log(JSON.stringify(out));
}

await main();
