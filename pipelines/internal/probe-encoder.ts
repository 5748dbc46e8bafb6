import type * as TFJS from '@tensorflow/tfjs';
import { batch } from '../../operators/batch.js';
import { encoderFeatures } from '../../sinks/eval/encoder-features.js';
import { trainLinearProbe } from '../../sinks/eval/linear-probe.js';
import { fromShards } from '../../sources/from-shards.js';
import type { HandlerName } from '../../sources/handlers.js';
import { createLoader, type LoaderStage } from '../../sources/loader.js';
import type { Batch } from '../../sources/sample.js';
import { asStackedBatch } from './as-stacked-batch.js';

/** One label a frozen encoder is probed for. */
export interface ProbeSpec {
  /** Name in logs and `eval.jsonl` (`class`, `direction`). */
  readonly label: string;
  /** Number of classes. @default one more than the largest label seen (training or test) */
  readonly classes?: number;
  /** Member i's label (an integer in [0, classes)) of a batch made by the probe's stages. */
  readonly read: (batch: Batch, i: number) => number;
}

/** Options of {@link probeEncoder}. */
export interface ProbeEncoderOptions {
  readonly trainShards: string | readonly string[];
  readonly testShards: string | readonly string[];
  /** Stages from a raw sample to one with a single un-augmented `view`. */
  readonly stages: LoaderStage[];
  readonly probes: readonly ProbeSpec[];
  /** Training samples the classifiers are fitted on: the first ones, in shard order. */
  readonly trainSamples: number;
  /** Test samples scored (the first ones); 0: all. */
  readonly testSamples: number;
  readonly seed: number;
  readonly handler?: HandlerName | undefined;
  readonly allowPipe?: boolean | undefined;
}

/** One probe's figures. */
export interface ProbeRow {
  readonly label: string;
  readonly top1: number;
  readonly trainTop1: number;
  readonly trainSamples: number;
  readonly testSamples: number;
}

interface Split {
  readonly features: Float32Array;
  readonly labels: Int32Array[];
  readonly count: number;
  readonly dims: number;
}

const BATCH = 64;

/**
 * Linear evaluation of a frozen encoder: its features of the first `trainSamples` training samples and
 * of the test samples (un-augmented views, in shard order), a linear softmax classifier per probed
 * label fitted on the training features (`trainLinearProbe`), top-1 accuracy on the test features.
 */
export async function probeEncoder(
  tf: typeof TFJS,
  encoder: TFJS.LayersModel,
  options: ProbeEncoderOptions,
): Promise<ProbeRow[]> {
  const train = await featuresOf(tf, encoder, options.trainShards, options.trainSamples, options);
  const test = await featuresOf(tf, encoder, options.testShards, options.testSamples, options);
  const rows: ProbeRow[] = [];
  for (const [k, probe] of options.probes.entries()) {
    const result = await trainLinearProbe(tf, {
      train: { features: train.features, labels: train.labels[k] as Int32Array },
      test: { features: test.features, labels: test.labels[k] as Int32Array },
      dims: train.dims,
      classes:
        probe.classes ?? 1 + Math.max(largest(train.labels[k] as Int32Array), largest(test.labels[k] as Int32Array)),
      seed: options.seed,
    });
    rows.push({
      label: probe.label,
      top1: result.top1,
      trainTop1: result.trainTop1,
      trainSamples: train.count,
      testSamples: test.count,
    });
  }
  return rows;
}

async function featuresOf(
  tf: typeof TFJS,
  encoder: TFJS.LayersModel,
  shards: string | readonly string[],
  limit: number,
  options: ProbeEncoderOptions,
): Promise<Split> {
  const it = createLoader<Batch>(
    fromShards(shards, {
      seed: options.seed,
      handler: options.handler,
      allowPipe: options.allowPipe,
    }),
    [...options.stages, batch(BATCH)],
  ).iterate();
  const labels: number[][] = options.probes.map(() => []);
  let count = 0;
  async function* views(): AsyncGenerator<{ data: Uint8Array | Float32Array; shape: readonly number[] }> {
    for await (const b of it) {
      const stacked = asStackedBatch(b['view'], 'view', 'the linear probe');
      const take = limit > 0 ? Math.min(stacked.shape[0], limit - count) : stacked.shape[0];
      for (let i = 0; i < take; i++) options.probes.forEach((p, k) => (labels[k] as number[]).push(p.read(b, i)));
      count += take;
      const per = stacked.data.length / stacked.shape[0];
      yield take === stacked.shape[0]
        ? stacked
        : { data: stacked.data.subarray(0, take * per), shape: [take, ...stacked.shape.slice(1)] };
      if (limit > 0 && count >= limit) return;
    }
  }
  try {
    const features = await encoderFeatures(tf, encoder, views());
    const dims = count === 0 ? 0 : features.length / count;
    return { features, labels: labels.map((l) => Int32Array.from(l)), count, dims };
  } finally {
    await it.return?.();
  }
}

function largest(labels: Int32Array): number {
  let max = 0;
  for (const label of labels) if (label > max) max = label;
  return max;
}
