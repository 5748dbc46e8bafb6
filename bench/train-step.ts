/**
 * `npm run bench:train-step [-- --arch dcgan,biggan] [--ch 64] [--backend wasm|cpu|tensorflow|tensorflow-gpu] [--steps N] [--threads N]`:
 * for each architecture (`dcgan`, `sn-resnet`, `biggan`; default `dcgan,biggan`), milliseconds per
 * full NDA-GAN step (`ndaGanStep`: one D update on [x, G(z), jigsaw(x)], then one G update; batch 64,
 * 32x32x3, z 128, width `--ch` (default per architecture: see `DEFAULT_CH`), unconditional) after one warm-up step, the multiply-adds per step
 * counted from the layers (`bench/gan-macs.ts`) and the achieved GMAC/s; beside it, in the same run,
 * the backend's own convolution (`tf.conv2d`, forward, batch 64) timed alone on the architecture's
 * largest convolution layer, 5 times before the steps and once after each (`bench/conv-ceiling.ts`): its
 * best rate is the ceiling the step is measured against (`of_peak`: the median step against the best of all
 * samples). The machine's speed drifts during a run (on a shared 2-core machine by 30-50 %), so
 * `of_peak_paired` pairs each step with the ceiling sampled right before and after it (the better of the
 * two) and takes the median of those ratios. On wasm both convolutions are timed,
 * the project's SIMD kernel and the package's XNNPACK, and the better kept (`conv_peak_kernel`; each one's
 * best in `conv_gmac_per_s_by_kernel`). The same convolution with a new
 * filter each call, as every convolution of a training step has, gives `conv_fresh_filter_gmac_per_s`
 * and `of_fresh_filter_peak` (on wasm the gap is XNNPACK packing the filter).
 * Per-step times, the layers and the thread count go to stderr; the last stdout line is
 * `{"backend", "threads", "conv_peak_gmac_per_s", "dcgan": {"ch", "step_ms", "macs_per_step", "gmac_per_s",
 * "conv_peak_gmac_per_s", "conv_peak_kernel", "conv_gmac_per_s_by_kernel", "of_peak", "of_peak_paired", "conv_fresh_filter_gmac_per_s", "of_fresh_filter_peak"}, "biggan": {...},
 * "load_average"}` (`conv_peak_gmac_per_s` at the top: the best of the architectures' peaks).
 */
import { loadavg } from 'node:os';
import type * as TFJS from '@tensorflow/tfjs';
import { countTrainableParams } from '../sinks/gan/dcgan.js';
import { GAN_ARCHITECTURES, createGan, type GanArchitecture } from '../sinks/gan/create-gan.js';
import { ndaGanStep } from '../sinks/gan/hinge-nda-step.js';
import { createNdaTransform } from '../operators/internal/nda-transforms.js';
import { Random } from '../sources/random.js';
import { pixelsToTensor } from '../sinks/internal/pixels-to-tensor.js';
import { forwardMacs, stepMacs, type CountedLayer } from './gan-macs.js';
import { round } from './measure.js';
import { ConvCeiling } from './conv-ceiling.js';
import { median, parseStepBenchArgs, startStepBench } from './tf-step-bench.js';
import { createGanOptimizers } from '../sinks/gan/gan-optimizers.js';
import { BATCH, DEFAULT_CH, SIZE, Z } from './gan-step-bench.js';

const CHANNELS = 3;
/** Timed calls of the largest convolution before the steps; one more after each step. */
const CEILING_FIRST_SAMPLES = 5;

interface ArchFigures {
  readonly ch: number;
  readonly step_ms: number;
  readonly macs_per_step: number;
  readonly gmac_per_s: number;
  readonly conv_peak_gmac_per_s: number;
  readonly conv_peak_kernel: string;
  /** The best rate of each convolution timed, by kernel (`ndaflow`, `package`). */
  readonly conv_gmac_per_s_by_kernel: Readonly<Record<string, number>>;
  readonly of_peak: number;
  /** The median over steps of each step's rate over the ceiling sampled right before and after it (the better of the two). */
  readonly of_peak_paired: number;
  readonly conv_fresh_filter_gmac_per_s: number;
  readonly of_fresh_filter_peak: number;
}

async function benchArch(
  tf: typeof TFJS,
  arch: GanArchitecture,
  ch: number,
  steps: number,
  inputs: { real: TFJS.Tensor4D; negative: TFJS.Tensor4D },
): Promise<ArchFigures> {
  const models = createGan(tf, arch, { z: Z, ch, size: SIZE, channels: CHANNELS, seed: 1 });
  const g = forwardMacs(models.generator);
  const d = forwardMacs(models.discriminator);
  const macs = stepMacs(BATCH, g.total, d.total);
  const largest = [...g.layers, ...d.layers]
    .filter((l) => l.kind === 'conv')
    .reduce<CountedLayer | undefined>((a, l) => (a === undefined || l.macs > a.macs ? l : a), undefined);
  process.stderr.write(
    `${arch} (ch ${ch}): G ${countTrainableParams(models.generator)} parameters, ${round(g.total / 1e6, 1)} MMAC/sample; ` +
      `D ${countTrainableParams(models.discriminator)} parameters, ${round(d.total / 1e6, 1)} MMAC/sample; ` +
      `${round(macs / 1e9, 2)} GMAC per step; largest conv ${largest?.name} ${JSON.stringify(largest?.conv)}\n`,
  );
  const optimizers = createGanOptimizers(tf);
  const ceiling =
    largest?.conv === undefined ? undefined : new ConvCeiling(tf, { ...largest, conv: largest.conv }, BATCH);
  let before = (await ceiling?.sample(CEILING_FIRST_SAMPLES)) ?? Number.NaN;
  const times: number[] = [];
  const paired: number[] = []; // each step's rate over the better ceiling sampled just before and just after it
  for (let step = 0; step <= steps; step++) {
    const z = tf.randomNormal<TFJS.Rank.R2>([BATCH, Z], 0, 1, 'float32', 2 * step);
    const zG = tf.randomNormal<TFJS.Rank.R2>([BATCH, Z], 0, 1, 'float32', 2 * step + 1);
    const start = performance.now();
    const losses = await ndaGanStep(tf, models, optimizers, { ...inputs, z, zG });
    const ms = performance.now() - start;
    tf.dispose([z, zG]);
    process.stderr.write(
      `${arch} ${step === 0 ? 'warm-up' : `step ${step}`}: ${round(ms)} ms (dLoss ${round(losses.dLoss, 4)}, gLoss ${round(losses.gLoss, 4)}, tensors ${tf.memory().numTensors})\n`,
    );
    // between the steps: the ceiling sees the same machine as they do
    const after = (await ceiling?.sample()) ?? Number.NaN;
    if (step > 0) {
      times.push(ms);
      paired.push(macs / (ms / 1000) / 1e9 / Math.max(before, after));
    }
    before = after;
  }
  const peak = ceiling?.cached ?? Number.NaN;
  const freshPeak = ceiling?.freshFilter ?? Number.NaN;
  const peakKernel = ceiling?.peakKernel ?? '';
  const byKernel = Object.fromEntries(Object.entries(ceiling?.byKernel ?? {}).map(([k, v]) => [k, round(v, 2)]));
  ceiling?.dispose();
  optimizers.generator.dispose();
  optimizers.discriminator.dispose();
  models.generator.dispose();
  models.discriminator.dispose();
  const stepMs = median(times);
  const rate = macs / (stepMs / 1000) / 1e9;
  return {
    ch,
    step_ms: round(stepMs, 1),
    macs_per_step: macs,
    gmac_per_s: round(rate, 2),
    conv_peak_gmac_per_s: round(peak, 2),
    conv_peak_kernel: peakKernel,
    conv_gmac_per_s_by_kernel: byKernel,
    of_peak: round(rate / peak, 3),
    of_peak_paired: round(median(paired), 3),
    conv_fresh_filter_gmac_per_s: round(freshPeak, 2),
    of_fresh_filter_peak: round(rate / freshPeak, 3),
  };
}

async function main(): Promise<void> {
  const args = parseStepBenchArgs(process.argv.slice(2), ['arch', 'ch']);
  const archs = (args.extra['arch'] ?? 'dcgan,biggan').split(',') as GanArchitecture[];
  for (const a of archs)
    if (!GAN_ARCHITECTURES.includes(a))
      throw new Error(`--arch takes ${GAN_ARCHITECTURES.join(', ')}: current value is ${a}`);
  const given = args.extra['ch'];
  if (given !== undefined && !(Number.isInteger(Number(given)) && Number(given) >= 1))
    throw new Error(`--ch must be an integer >= 1: current value is ${given}`);
  const { tf, backend: chosen } = await startStepBench(args);

  // Real batch: random images in [0, 255]; negatives: their jigsaw (k=2), as the data pipeline makes them.
  const rng = Random.derive(0, 'bench-train-step');
  const pixels = new Uint8Array(BATCH * SIZE * SIZE * CHANNELS);
  for (let i = 0; i < pixels.length; i++) pixels[i] = rng.int(0, 255);
  const shape = [BATCH, SIZE, SIZE, CHANNELS] as const;
  const keys = Array.from({ length: BATCH }, (_, i) => `bench-${i}`);
  const jig = createNdaTransform('jigsaw', {}).apply({ data: pixels, shape }, { seed: 0, epoch: 0, keys });
  const real = pixelsToTensor(tf, 'make the benchmark batch', pixels, shape) as TFJS.Tensor4D;
  const negative = pixelsToTensor(tf, 'make the benchmark batch', jig.images.data, shape) as TFJS.Tensor4D;

  const figures: Record<string, ArchFigures> = {};
  for (const arch of archs) {
    const f = await benchArch(tf, arch, given === undefined ? DEFAULT_CH[arch] : Number(given), args.steps, {
      real,
      negative,
    });
    figures[arch] = f;
    process.stderr.write(
      `${arch}: median of ${args.steps} step(s) ${f.step_ms} ms = ${f.gmac_per_s} GMAC/s; conv alone on its largest layer ` +
        `${f.conv_peak_gmac_per_s} GMAC/s (${f.conv_peak_kernel}; ${f.conv_fresh_filter_gmac_per_s} with a new filter each call); step at ` +
        `${round(f.of_peak * 100, 1)} % of it (${round(f.of_fresh_filter_peak * 100, 1)} % of the new-filter rate; ` +
        `each step against the ceiling around it: ${round(f.of_peak_paired * 100, 1)} %) ` +
        `(${chosen.name}, ${chosen.threads} thread(s))\n`,
    );
  }
  const peak = Math.max(...Object.values(figures).map((f) => f.conv_peak_gmac_per_s));
  console.log(
    JSON.stringify({
      backend: chosen.name,
      threads: chosen.threads,
      conv_peak_gmac_per_s: round(peak, 2),
      ...figures,
      load_average: round(loadavg()[0] ?? 0, 1),
    }),
  );
}

await main();
