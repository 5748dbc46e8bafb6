/**
 * `node dist-test/bench/train-step-versus.js --against DIR [--arch dcgan,sn-resnet,biggan] [--ch N] [--steps N] [--threads N]`:
 * this build's wasm kernels against another build's, one NDA-GAN step each in turn in the same process,
 * so that the machine's drift (30-50 % within minutes on this project's machines, which makes runs of
 * two builds one after the other disagree) falls on both alike. `DIR` is the other checkout's
 * `dist-test` folder (`npm run build:test` there; its `node_modules` must resolve to the same
 * `@tensorflow/*` packages as this one's, e.g. a symlink): its `sinks/backend/register-wasm-kernels.js`
 * registers its kernels, which are swapped with this build's before every step (this build's own kernels
 * that tfjs lacks and the other build does not register run their composite paths on its side).
 * Everything else (the
 * networks, the step, the optimizers, the gradients) is this build's. The steps are `bench:train-step`'s
 * (batch 64, 32x32x3, z 128; one D update on [x, G(z), jigsaw(x)] then one G update).
 * Stderr: each pair of steps; the last stdout line:
 * `{"against", "threads", arch: {"ch", "ms", "against_ms", "speedup", "faster", "pairs", "gmac_per_s"}}` (medians).
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
import { alternateSteps, BATCH, DEFAULT_CH, installKernels, ownKernelsWithoutSimd, SIZE, Z } from './gan-step-bench.js';

async function main(): Promise<void> {
  const args = parseStepBenchArgs(process.argv.slice(2), ['arch', 'ch', 'against']);
  const against = args.extra['against'];
  if (against === undefined) throw new Error("--against DIR (another checkout's dist-test folder) is required");
  const archs = (args.extra['arch'] ?? 'dcgan,sn-resnet,biggan').split(',') as GanArchitecture[];
  const { tf, backend } = await startStepBench(args);
  if (backend.name !== 'wasm') throw new Error(`compares wasm kernels: current backend is ${backend.name}`);
  const ours = new Map(backend.kernels.map((name) => [name, tf.getKernel(name, 'wasm')]));
  // the package's own kernels back, for the other build's wrappers to wrap
  installKernels(
    tf,
    [...ours.values()].map((c) => originalKernel(c)),
  );
  const packageKernels = new Map(tf.getKernelsForBackend('wasm').map((c) => [c.kernelName, c]));
  const other = (await import(
    pathToFileURL(join(resolve(against), 'sinks/backend/register-wasm-kernels.js')).href
  )) as {
    registerWasmKernels(tf: typeof TFJS): string[];
  };
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
  // this build's, whatever the other registered
  tf.registerGradient(leakyReluGradient(tf));
  tf.registerGradient(reluGradient(tf));
  process.stderr.write(`against ${against}: it registers ${registeredByThem.join(', ')}\n`);

  const real = tf.randomUniform<TFJS.Rank.R4>([BATCH, SIZE, SIZE, 3], -1, 1, 'float32', 1);
  const negative = tf.randomUniform<TFJS.Rank.R4>([BATCH, SIZE, SIZE, 3], -1, 1, 'float32', 2);
  const out: Record<string, unknown> = { against, threads: backend.threads };
  for (const arch of archs) {
    const ch = args.extra['ch'] === undefined ? DEFAULT_CH[arch] : Number(args.extra['ch']);
    const models = createGan(tf, arch, { z: Z, ch, size: SIZE, channels: 3, seed: 1 });
    const macs = stepMacs(BATCH, forwardMacs(models.generator).total, forwardMacs(models.discriminator).total);
    const optimizers = createGanOptimizers(tf);
    const times = await alternateSteps(
      tf,
      models,
      { real, negative },
      { ours: { kernels: oursSet, optimizers }, theirs: { kernels: theirs, optimizers } },
      args.steps,
    );
    times.ours.forEach((t, i) =>
      process.stderr.write(`${arch} step ${i + 1}: ${round(t)} ms, against ${round(times.theirs[i]!)} ms\n`),
    );
    installKernels(tf, oursSet);
    optimizers.generator.dispose();
    optimizers.discriminator.dispose();
    models.generator.dispose();
    models.discriminator.dispose();
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
