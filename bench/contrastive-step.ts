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
import { BACKEND_ORDER, selectBackend, type BackendName } from '../sinks/backend/index.js';
import { createImageEncoder } from '../sinks/contrastive/image-encoder.js';
import { createMocoModels, type MocoModels } from '../sinks/contrastive/moco-models.js';
import { mocoStep } from '../sinks/contrastive/moco-step.js';
import { createVideoEncoder } from '../sinks/contrastive/video-encoder.js';
import { countTrainableParams } from '../sinks/gan/dcgan.js';
import { createNdaTransform } from '../operators/internal/nda-transforms.js';
import { Random } from '../sources/random.js';
import { round } from './measure.js';

const QUEUE = 4096;

function parseArgs(argv: readonly string[]): { backend?: BackendName; steps: number; threads?: number } {
  const out: { backend?: BackendName; steps: number; threads?: number } = { steps: 3 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    if (arg === '--backend' && value !== undefined) {
      if (!BACKEND_ORDER.includes(value as BackendName)) throw new Error(`--backend must be one of ${BACKEND_ORDER.join(', ')}: current value is ${value}`);
      out.backend = value as BackendName;
      i++;
    } else if ((arg === '--steps' || arg === '--threads') && value !== undefined) {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1) throw new Error(`${arg} must be an integer >= 1: current value is ${value}`);
      if (arg === '--steps') out.steps = n;
      else out.threads = n;
      i++;
    } else {
      throw new Error(`unknown argument ${arg} (use --backend NAME, --steps N, --threads N)`);
    }
  }
  return out;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Uint8 random pixels of `shape`, seeded. */
function pixels(shape: readonly number[], label: string): Uint8Array {
  const rng = Random.derive(0, 'bench-contrastive', label);
  const out = new Uint8Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < out.length; i++) out[i] = rng.int(0, 255);
  return out;
}

function toTensor(tf: typeof TFJS, data: Uint8Array, shape: readonly number[]): TFJS.Tensor {
  return tf.tensor(Float32Array.from(data, (x) => x / 127.5 - 1), [...shape]);
}

/** Median ms of `steps` MoCo steps (after one warm-up) on fixed views. */
async function measure(tf: typeof TFJS, label: string, models: MocoModels, views: { query: TFJS.Tensor; key: TFJS.Tensor; nda: TFJS.Tensor }, steps: number): Promise<number> {
  const times: number[] = [];
  for (let step = 0; step <= steps; step++) {
    const start = performance.now();
    const r = await mocoStep(tf, models, views, { seed: 1, step });
    const ms = performance.now() - start;
    process.stderr.write(`${label} ${step === 0 ? 'warm-up' : `step ${step}`}: ${round(ms)} ms (loss ${round(r.loss, 4)}, top1 ${round(r.positiveTop1, 3)}, tensors ${tf.memory().numTensors})\n`);
    if (step > 0) times.push(ms);
  }
  return round(median(times), 1);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const chosen = await selectBackend({ ...(args.backend ? { backend: args.backend } : {}), ...(args.threads ? { threads: args.threads } : {}) });
  process.stderr.write(`backend: ${chosen.name} (${chosen.reason}), ${chosen.threads} thread(s), kernels: ${chosen.kernels.join(', ') || 'none'}\n`);
  if (!chosen.gradients) throw new Error('gradient functions are not registered (@tensorflow/tfjs is missing)');
  const tf = (await import('@tensorflow/tfjs')) as typeof TFJS;

  // Image: 32x32x1, batch 64, m = 1 (jigsaw).
  const imageShape = [64, 32, 32, 1] as const;
  const imagePixels = pixels(imageShape, 'image');
  const keys = Array.from({ length: imageShape[0] }, (_, i) => `bench-${i}`);
  const jig = createNdaTransform('jigsaw', {}).apply({ data: imagePixels, shape: imageShape }, { seed: 0, epoch: 0, keys });
  const imageViews = {
    query: toTensor(tf, imagePixels, imageShape),
    key: toTensor(tf, pixels(imageShape, 'image-key'), imageShape),
    nda: toTensor(tf, Uint8Array.from(jig.images.data), imageShape),
  };
  const imageModels = createMocoModels(tf, { encoder: () => createImageEncoder(tf, { inputShape: [32, 32, 1], width: 16, seed: 1 }), queueSize: QUEUE, seed: 2 });
  process.stderr.write(`image encoder: ${countTrainableParams(imageModels.queryEncoder)} parameters, head ${countTrainableParams(imageModels.queryHead)}\n`);
  const imageMs = await measure(tf, 'image', imageModels, imageViews, args.steps);
  imageModels.dispose();
  tf.dispose(Object.values(imageViews));

  // Video: [8, 32, 32, 3] clips, batch 16, m = 1 (time reversal).
  const clipShape = [16, 8, 32, 32, 3] as const;
  const query = toTensor(tf, pixels(clipShape, 'clip'), clipShape);
  const videoViews = { query, key: toTensor(tf, pixels(clipShape, 'clip-key'), clipShape), nda: tf.reverse(query, 1) };
  const videoModels = createMocoModels(tf, { encoder: () => createVideoEncoder(tf, { inputShape: [8, 32, 32, 3], width: 16, seed: 1 }), queueSize: QUEUE, seed: 2 });
  process.stderr.write(`video encoder: ${countTrainableParams(videoModels.queryEncoder)} parameters\n`);
  const videoMs = await measure(tf, 'video', videoModels, videoViews, args.steps);
  videoModels.dispose();
  tf.dispose(Object.values(videoViews));

  process.stderr.write(`median of ${args.steps} step(s) on ${chosen.name} with ${chosen.threads} thread(s): image ${imageMs} ms, video ${videoMs} ms\n`);
  console.log(JSON.stringify({ backend: chosen.name, image_step_ms: imageMs, video_step_ms: videoMs }));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
