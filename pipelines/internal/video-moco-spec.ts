import type { LoaderStage } from '../../sources/loader.js';
import { clipColorJitter } from '../../operators/clip-color-jitter.js';
import { clipRandomFlip } from '../../operators/clip-random-flip.js';
import { clipRandomResizedCrop } from '../../operators/clip-random-resized-crop.js';
import { decode } from '../../operators/decode.js';
import { decodeClips } from '../../operators/decode-clips.js';
import { VIDEO_NDA_TRANSFORM_NAMES, createVideoNdaTransform } from '../../operators/internal/video-nda-transforms.js';
import { mapSamples } from '../../operators/map-samples.js';
import { createVideoEncoder } from '../../sinks/contrastive/video-encoder.js';
import { deriveSeed } from '../../sources/random.js';
import type { Sample } from '../../sources/sample.js';
import type { ClipBatch, VideoClip } from '../../sources/video/video-clip.js';
import type { HandlerName } from '../../sources/handlers.js';
import type { MocoDefaults, MocoPipelineSpec, MocoShardOptions } from './moco-pipeline.js';
import type { ProbeSpec } from './probe-encoder.js';

/** The `nda` values of the video MoCo pipelines: `none`, the temporal NDAs, then every spatial NDA applied to all frames alike. */
export const VIDEO_MOCO_NDA: readonly string[] = ['none', ...VIDEO_NDA_TRANSFORM_NAMES];

/** What differs between the video MoCo pipelines. */
export interface VideoMocoParams {
  readonly name: string;
  readonly defaultNda: string;
  readonly defaultShards: () => string | readonly string[];
  readonly testShards: (options: MocoShardOptions) => string | readonly string[];
  /** Frames per clip, step between them (in decoded frames), and the target fps (undefined: the video's own). */
  readonly frames: number;
  readonly stride: number;
  readonly fps?: number;
  /** Short side the frames are scaled to (and centre-cropped to a square) by the decoder. */
  readonly decodeSize: number;
  /** Side of the views (random resized crop of the decoded square; the probe scales to it instead). */
  readonly size: number;
  /** Flip views horizontally (not where the label is a motion direction). */
  readonly flip: boolean;
  readonly probes: readonly ProbeSpec[];
  readonly defaults: MocoDefaults;
}

/**
 * A MoCo pipeline spec for videos: each sample's video is decoded once into two clips at random places
 * (`decodeClips` mode `multi`), each clip gets its own random resized crop, colour jitter (and flip),
 * consistent over its frames; NDA views come from the video NDA transforms (`shuffle`, `reverse`,
 * `splice`, `static`, and the image ones applied to every frame alike). The probe decodes one centred
 * clip per video (`uniform`, 1 clip) at the view size. The encoder is the (2+1)D `createVideoEncoder`.
 */
export function videoMocoSpec(params: VideoMocoParams): MocoPipelineSpec {
  const clip = {
    frames: params.frames,
    stride: params.stride,
    ...(params.fps !== undefined ? { fps: params.fps } : {}),
  };
  const views = (seed: number, handler: HandlerName | undefined): LoaderStage[] => [
    decode({ handler }),
    decodeClips({
      ...clip,
      size: params.decodeSize,
      mode: 'multi',
      clips: 2,
      seed: deriveSeed(seed, 'clips'),
      handler,
    }),
    clipRandomResizedCrop({
      size: params.size,
      scale: [0.4, 1],
      seed: deriveSeed(seed, 'crop'),
      fields: ['clips'],
      handler,
    }),
    clipColorJitter({
      brightness: 0.4,
      contrast: 0.4,
      saturation: 0.4,
      hue: 0.1,
      p: 0.8,
      seed: deriveSeed(seed, 'jitter'),
      fields: ['clips'],
      handler,
    }),
    ...(params.flip ? [clipRandomFlip({ seed: deriveSeed(seed, 'flip'), fields: ['clips'], handler })] : []),
    mapSamples((s: Sample) => {
      const [view0, view1] = s['clips'] as VideoClip[];
      const { clips: _clips, ...rest } = s;
      return { ...rest, view0, view1 };
    }),
  ];
  return {
    name: params.name,
    ndaChoices: VIDEO_MOCO_NDA,
    defaultNda: params.defaultNda,
    defaultShards: params.defaultShards,
    testShards: params.testShards,
    inputShape: [params.frames, params.size, params.size, 3],
    views,
    probeView: (handler) => [
      decode({ handler }),
      decodeClips({ ...clip, size: params.size, mode: 'uniform', clips: 1, handler }),
      mapSamples((s: Sample) => {
        const { clips, ...rest } = s;
        return { ...rest, view: (clips as VideoClip[])[0] };
      }),
    ],
    probes: params.probes,
    nda: (name, options) => {
      const transform = createVideoNdaTransform(name, options);
      return (clips, context) => transform.apply(clips as ClipBatch, context).clips;
    },
    encoder: (tf, inputShape, width, seed) =>
      createVideoEncoder(tf, { inputShape: inputShape as [number, number, number, number], width, seed }),
    defaults: params.defaults,
  };
}
