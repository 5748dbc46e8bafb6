/**
 * `npm run bench:contrastive [-- --backend wasm|cpu|tensorflow|tensorflow-gpu] [--steps N] [--threads N]`:
 * milliseconds per MoCo-v2 + NDA step (`mocoStep`: key and NDA-key forward, query forward and backward,
 * SGD update, momentum update, enqueue) on the chosen backend (default: the best available; wasm with
 * 2 threads here), after one warm-up step, median of the measured steps:
 * - image: 32x32x1 views, batch 64, `createImageEncoder` width 16 (ResNet-8), head 64 -> 64 -> 128,
 *   queue K = 4096, m = 1 NDA view per query (a jigsaw of the query);
 * - video: [8, 32, 32, 3] clips, batch 16, `createVideoEncoder` width 16, K = 4096, m = 1 (the clip
 *   reversed in time).
 * Per-step times go to stderr; the last stdout line is exactly
 * `{"backend": NAME, "image_step_ms": N, "video_step_ms": N}`.
 */
import type * as TFJS from '@tensorflow/tfjs';
import { createImageEncoder } from '../sinks/contrastive/image-encoder.js';
import { createMocoModels, type MocoModels } from '../sinks/contrastive/moco-models.js';
import { mocoStep } from '../sinks/contrastive/moco-step.js';
import { createVideoEncoder } from '../sinks/contrastive/video-encoder.js';
import { countTrainableParams } from '../sinks/gan/dcgan.js';
import { createNdaTransform } from '../operators/internal/nda-transforms.js';
import { Random } from '../sources/random.js';
import { pixelsToTensor } from '../sinks/internal/pixels-to-tensor.js';
import { round } from './measure.js';
import { median, parseStepBenchArgs, startStepBench } from './tf-step-bench.js';

const QUEUE = 4096;
const ACTION = 'make the benchmark views';

/** Uint8 random pixels of `shape`, seeded. */
function pixels(shape: readonly number[], label: string): Uint8Array {
  const rng = Random.derive(0, 'bench-contrastive', label);
  const out = new Uint8Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < out.length; i++) out[i] = rng.int(0, 255);
  return out;
}

/** Median ms of `steps` MoCo steps (after one warm-up) on fixed views. */
async function measure(
  tf: typeof TFJS,
  label: string,
  models: MocoModels,
  views: { query: TFJS.Tensor; key: TFJS.Tensor; nda: TFJS.Tensor },
  steps: number,
): Promise<number> {
  const times: number[] = [];
  for (let step = 0; step <= steps; step++) {
    const start = performance.now();
    const r = await mocoStep(tf, models, views, { seed: 1, step });
    const ms = performance.now() - start;
    process.stderr.write(
      `${label} ${step === 0 ? 'warm-up' : `step ${step}`}: ${round(ms)} ms (loss ${round(r.loss, 4)}, top1 ${round(r.positiveTop1, 3)}, tensors ${tf.memory().numTensors})\n`,
    );
    if (step > 0) times.push(ms);
  }
  return round(median(times), 1);
}

async function main(): Promise<void> {
  const args = parseStepBenchArgs(process.argv.slice(2));
  const { tf, backend: chosen } = await startStepBench(args);

  // Image: 32x32x1, batch 64, m = 1 (jigsaw).
  const imageShape = [64, 32, 32, 1] as const;
  const imagePixels = pixels(imageShape, 'image');
  const keys = Array.from({ length: imageShape[0] }, (_, i) => `bench-${i}`);
  const jig = createNdaTransform('jigsaw', {}).apply(
    { data: imagePixels, shape: imageShape },
    { seed: 0, epoch: 0, keys },
  );
  const imageViews = {
    query: pixelsToTensor(tf, ACTION, imagePixels, imageShape),
    key: pixelsToTensor(tf, ACTION, pixels(imageShape, 'image-key'), imageShape),
    nda: pixelsToTensor(tf, ACTION, Uint8Array.from(jig.images.data), imageShape),
  };
  const imageModels = createMocoModels(tf, {
    encoder: () => createImageEncoder(tf, { inputShape: [32, 32, 1], width: 16, seed: 1 }),
    queueSize: QUEUE,
    seed: 2,
  });
  process.stderr.write(
    `image encoder: ${countTrainableParams(imageModels.queryEncoder)} parameters, head ${countTrainableParams(imageModels.queryHead)}\n`,
  );
  const imageMs = await measure(tf, 'image', imageModels, imageViews, args.steps);
  imageModels.dispose();
  tf.dispose(Object.values(imageViews));

  // Video: [8, 32, 32, 3] clips, batch 16, m = 1 (time reversal).
  const clipShape = [16, 8, 32, 32, 3] as const;
  const query = pixelsToTensor(tf, ACTION, pixels(clipShape, 'clip'), clipShape);
  const videoViews = {
    query,
    key: pixelsToTensor(tf, ACTION, pixels(clipShape, 'clip-key'), clipShape),
    nda: tf.reverse(query, 1),
  };
  const videoModels = createMocoModels(tf, {
    encoder: () => createVideoEncoder(tf, { inputShape: [8, 32, 32, 3], width: 16, seed: 1 }),
    queueSize: QUEUE,
    seed: 2,
  });
  process.stderr.write(`video encoder: ${countTrainableParams(videoModels.queryEncoder)} parameters\n`);
  const videoMs = await measure(tf, 'video', videoModels, videoViews, args.steps);
  videoModels.dispose();
  tf.dispose(Object.values(videoViews));

  process.stderr.write(
    `median of ${args.steps} step(s) on ${chosen.name} with ${chosen.threads} thread(s): image ${imageMs} ms, video ${videoMs} ms\n`,
  );
  console.log(JSON.stringify({ backend: chosen.name, image_step_ms: imageMs, video_step_ms: videoMs }));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
