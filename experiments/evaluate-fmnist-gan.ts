/**
 * The evaluation half of the NDA-GAN experiment (README, "Experiment"): reads the runs that
 * `train-fmnist-gan.ts` wrote under `--runs` (`c<class>-<nda>-s<seed>` folders) and the real
 * Fashion-MNIST test split, and writes `results.json` and `results.md` there:
 * - one-class runs (`c0-none-s1`, ...): the discriminator's logit scores all 10,000 test images; AUROC of
 *   the normal class against the other nine, and against NDA/corruption OOD versions of the normal
 *   test images;
 * - all-class runs (`call-none-s1`, ...): 10,000 images of the EMA generator against the 10,000 test
 *   images through the project's Fashion-MNIST classifier (`data/fmnist-classifier`): Frechet distance
 *   (FID formula) and KID; plus the floor, 10,000 real training images against the test images; a
 *   sample grid PNG per run and generator (`samples-step-*.png`, `samples-ema-step-*.png`).
 *
 *   node dist-test/experiments/evaluate-fmnist-gan.js --runs runs/experiment --classes 0,1,2 --seeds 1 \
 *     --test 'DIR/test-000000.tar' --train 'DIR/train-{000000..000005}.tar' --ch 32
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { batch } from '../operators/batch.js';
import { decode } from '../operators/decode.js';
import { padCentre } from '../pipelines/internal/pad-centre.js';
import { buildOodSets } from '../sinks/anomaly/ood-sets.js';
import { oneClassAuroc } from '../sinks/anomaly/one-class-auroc.js';
import { scoreImages } from '../sinks/anomaly/score-images.js';
import { scoreOodSets } from '../sinks/anomaly/anomaly-report.js';
import { selectBackend } from '../sinks/backend/select-backend.js';
import { loadCheckpoint } from '../sinks/checkpoint/load-checkpoint.js';
import { evaluateGenerator } from '../sinks/eval/evaluate-generator.js';
import { featuresOf } from '../sinks/eval/features-of.js';
import { frechetDistance } from '../sinks/eval/frechet-distance.js';
import { kernelDistance } from '../sinks/eval/kernel-distance.js';
import { loadFmnistClassifier } from '../sinks/eval/load-fmnist-classifier.js';
import { writeSampleGrid } from '../sinks/eval/write-sample-grid.js';
import { createDcgan } from '../sinks/gan/dcgan.js';
import { GeneratorEma } from '../sinks/gan/generator-ema.js';
import { fromShards } from '../sources/from-shards.js';
import { createLoader } from '../sources/loader.js';
import type { ImageBatch } from '../sources/sample.js';
import { createGanOptimizers } from '../sinks/gan/gan-optimizers.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: 'runs/experiment' },
    classes: { type: 'string', default: '0,1,2' },
    seeds: { type: 'string', default: '1' },
    test: { type: 'string' },
    train: { type: 'string' },
    ch: { type: 'string', default: '32' },
    n: { type: 'string', default: '10000' },
  },
});

const VARIANTS = ['none', 'jigsaw'] as const;

/** Every image and label of some shards, decoded to greyscale and padded to 32 px. */
async function readSplit(
  spec: string,
  limit = Infinity,
  seed = 0,
): Promise<{ images: ImageBatch; labels: Int32Array }> {
  const shuffle = Number.isFinite(limit) ? 20000 : 0;
  const it = createLoader(fromShards(spec, { seed, shuffle }), decode({ image: 'gray' }), batch(1000)).iterate();
  const parts: ImageBatch[] = [];
  const labels: number[] = [];
  let n = 0;
  for await (const b of it) {
    const png = b.png as ImageBatch;
    const take = Math.min(png.shape[0], limit - n);
    const images = padCentre(png);
    parts.push({ data: images.data.subarray(0, take * 32 * 32), shape: [take, 32, 32, 1] });
    const cls = b.cls as ArrayLike<unknown>;
    for (let i = 0; i < take; i++) labels.push(Number(cls[i]));
    n += take;
    if (n >= limit) break;
  }
  const data = new Uint8Array(n * 32 * 32);
  let offset = 0;
  for (const p of parts) {
    data.set(p.data, offset);
    offset += p.data.length;
  }
  return { images: { data, shape: [n, 32, 32, 1] }, labels: Int32Array.from(labels) };
}

function* chunks(images: ImageBatch, size: number): Generator<ImageBatch> {
  const [n, h, w, c] = images.shape;
  for (let i = 0; i < n; i += size) {
    const m = Math.min(size, n - i);
    yield { data: images.data.subarray(i * h * w * c, (i + m) * h * w * c), shape: [m, h, w, c] };
  }
}

function normalImages(test: { images: ImageBatch; labels: Int32Array }, cls: number): ImageBatch {
  const idx = [...test.labels.keys()].filter((i) => test.labels[i] === cls);
  const px = 32 * 32;
  const data = new Uint8Array(idx.length * px);
  idx.forEach((i, j) => data.set(test.images.data.subarray(i * px, (i + 1) * px), j * px));
  return { data, shape: [idx.length, 32, 32, 1] };
}

async function main(): Promise<void> {
  if (values.test === undefined || values.train === undefined)
    throw new TypeError('Cannot evaluate as --test and --train are required: current value is missing');
  const runs = values.runs;
  const classes = values.classes.split(',').map(Number);
  const seeds = values.seeds.split(',').map(Number);
  const ch = Number(values.ch);
  const n = Number(values.n);
  const chosen = await selectBackend({});
  console.log(`backend: ${chosen.name} (${chosen.reason}), ${chosen.threads} thread(s)`);
  const tf = await import('@tensorflow/tfjs');

  const test = await readSplit(values.test);
  console.log(`test split: ${test.images.shape[0]} images`);
  const build = () => {
    const models = createDcgan(tf, { z: 128, ch, size: 32, channels: 1 });
    const optimizers = createGanOptimizers(tf);
    const ema = new GeneratorEma(tf, models.generator, { decay: 0.999, start: 100 });
    return {
      models,
      optimizers,
      ema,
      dispose: () => {
        models.generator.dispose();
        models.discriminator.dispose();
        optimizers.generator.dispose();
        optimizers.discriminator.dispose();
        ema.dispose();
      },
    };
  };

  /** Runs `fn` on the networks of a run folder's latest checkpoint (skipped when it has none), then releases them. */
  const withRun = async (
    dir: string,
    fn: (net: ReturnType<typeof build>, loaded: { step: number }) => Promise<void>,
  ): Promise<void> => {
    if (!existsSync(join(dir, 'latest'))) {
      console.log(`${dir}: no checkpoint, skipped`);
      return;
    }
    const net = build();
    try {
      await fn(net, await loadCheckpoint(tf, dir, { models: net.models, optimizers: net.optimizers, ema: net.ema }));
    } finally {
      net.dispose();
    }
  };

  const oneClass: Record<string, unknown>[] = [];
  for (const cls of classes) {
    const normal = normalImages(test, cls);
    const oodSets = buildOodSets(normal, { seed: 0 });
    for (const nda of VARIANTS) {
      for (const seed of seeds) {
        await withRun(join(runs, `c${cls}-${nda}-s${seed}`), async (net, loaded) => {
          const { scores } = await scoreImages(tf, net.models.discriminator, chunks(test.images, 500));
          const auroc = oneClassAuroc(scores, test.labels, cls);
          const rows = await scoreOodSets(tf, net.models.discriminator, normal, oodSets);
          const row = {
            class: cls,
            nda,
            seed,
            steps: loaded.step,
            oneClassAuroc: auroc,
            ...Object.fromEntries(rows.map((r) => [r.set, r.auroc])),
          };
          oneClass.push(row);
          console.log(JSON.stringify(row));
        });
      }
    }
  }

  const classifier = await loadFmnistClassifier(tf);
  const realTest = await featuresOf(tf, classifier.features, chunks(test.images, 500));
  const train = await readSplit(values.train, n, 1);
  const realTrain = await featuresOf(tf, classifier.features, chunks(train.images, 500));
  const floor = {
    fid: frechetDistance(realTrain, realTest),
    kid: kernelDistance(realTrain, realTest, { seed: 0 }),
    n: realTrain.shape[0],
  };
  console.log(`floor (real train vs real test): ${JSON.stringify(floor)}`);
  const generation: Record<string, unknown>[] = [];
  for (const nda of VARIANTS) {
    for (const seed of seeds) {
      const dir = join(runs, `call-${nda}-s${seed}`);
      await withRun(dir, async (net, loaded) => {
        await writeSampleGrid(
          tf,
          net.models.generator,
          join(dir, `samples-step-${String(loaded.step).padStart(6, '0')}.png`),
          { seed: 0 },
        );
        const live = await evaluateGenerator(tf, {
          generator: net.models.generator,
          features: classifier.features,
          real: realTest,
          n,
          seed: 0,
        });
        const averaged = await net.ema.withEmaWeights(async () => {
          await writeSampleGrid(
            tf,
            net.models.generator,
            join(dir, `samples-ema-step-${String(loaded.step).padStart(6, '0')}.png`),
            { seed: 0 },
          );
          return evaluateGenerator(tf, {
            generator: net.models.generator,
            features: classifier.features,
            real: realTest,
            n,
            seed: 0,
          });
        });
        const row = {
          nda,
          seed,
          steps: loaded.step,
          fid: live.fid,
          kid: live.kid.mean,
          kidStd: live.kid.std,
          fidEma: averaged.fid,
          kidEma: averaged.kid.mean,
          kidEmaStd: averaged.kid.std,
          n,
        };
        generation.push(row);
        console.log(JSON.stringify(row));
      });
    }
  }
  classifier.classifier.dispose();
  const results = { backend: chosen.name, testImages: test.images.shape[0], floor, oneClass, generation };
  await writeFile(join(runs, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(join(runs, 'results.md'), markdown(results));
  console.log(`wrote ${join(runs, 'results.json')} and results.md`);
}

function markdown(r: {
  floor: { fid: number; kid: { mean: number; std: number } };
  oneClass: Record<string, unknown>[];
  generation: Record<string, unknown>[];
}): string {
  const f = (v: unknown, d = 3) => (typeof v === 'number' ? v.toFixed(d) : '');
  const t = (v: unknown) => String(v);
  const lines = [
    '| class | nda | seed | steps | one-class AUROC | mean OOD AUROC | jigsaw OOD AUROC |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const row of r.oneClass)
    lines.push(
      `| ${t(row.class)} | ${t(row.nda)} | ${t(row.seed)} | ${t(row.steps)} | ${f(row.oneClassAuroc)} | ${f(row.mean)} | ${f(row['nda/jigsaw'])} |`,
    );
  // mean over seeds per (class, nda), and over classes
  const classes = [...new Set(r.oneClass.map((row) => row.class as number))];
  lines.push(
    '',
    `| nda | ${classes.map((c) => `class ${c}`).join(' | ')} | mean over classes |`,
    `|---|${classes.map(() => '---|').join('')}---|`,
  );
  for (const nda of VARIANTS) {
    const perClass = classes.map((c) =>
      mean(r.oneClass.filter((row) => row.class === c && row.nda === nda).map((row) => row.oneClassAuroc as number)),
    );
    lines.push(
      `| ${nda} | ${perClass.map((v) => f(v)).join(' | ')} | ${f(mean(perClass.filter((v): v is number => v !== undefined)))} |`,
    );
  }
  lines.push(
    '',
    '| nda | seed | steps | FID (G) | KID (G) | FID (EMA G) | KID (EMA G) |',
    '|---|---|---|---|---|---|---|',
  );
  for (const row of r.generation)
    lines.push(
      `| ${t(row.nda)} | ${t(row.seed)} | ${t(row.steps)} | ${f(row.fid, 2)} | ${f(row.kid, 4)} | ${f(row.fidEma, 2)} | ${f(row.kidEma, 4)} |`,
    );
  lines.push(`| real train (floor) | | | ${f(r.floor.fid, 2)} | ${f(r.floor.kid.mean, 4)} | | |`, '');
  return lines.join('\n');
}

function mean(values: readonly number[]): number | undefined {
  return values.length === 0 ? undefined : values.reduce((a, b) => a + b, 0) / values.length;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
