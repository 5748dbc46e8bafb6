import type * as TFJS from '@tensorflow/tfjs';
import { checkInteger, typeError } from '../../sources/errors.js';
import { seededKernel } from '../gan/seeded-init.js';
import { checkInputShape } from './internal/check-input-shape.js';
import { videoLayers } from './video-layers.js';
import { checkOptionKeys, optionKeys } from '../../sources/option-keys.js';

const CREATE_VIDEO_ENCODER_KEYS = optionKeys<VideoEncoderOptions>({
  inputShape: true,
  width: true,
  stages: true,
  seed: true,
});

/** Options of {@link createVideoEncoder}. */
export interface VideoEncoderOptions {
  /** The input clips' `[t, h, w, c]` (frames, height, width, channels). Positive integers. */
  readonly inputShape: readonly [number, number, number, number];
  /**
   * Channels of the first stage; stage `i` has `width * 2^i`. An integer >= 1.
   * @default 16
   */
  readonly width?: number;
  /**
   * Number of (2+1)D stages; every stage after the first halves height, width and frames (stride 2,
   * 'same' padding). An integer in [1, 6].
   * @default 3
   */
  readonly stages?: number;
  /**
   * Seed of the conv kernels' initialisers (`seededKernel(tf, seed, 'moco-video', layerLabel)`). An
   * integer in [0, 2^32 - 1].
   * @default undefined (tfjs's unseeded initialisers)
   */
  readonly seed?: number;
}

const ACTION = 'create a video encoder';

/**
 * A small (2+1)D conv net (Tran et al. 2018, "R(2+1)D", without the residuals) for contrastive learning
 * on clips `[n, t, h, w, c]`, built from `conv2d` only (the wasm backend has no `Conv3D` kernel): each
 * stage is a spatial conv (frames folded into the batch axis by `videoLayers(tf).foldTime`, 3x3, BN,
 * ReLU; stride 2 after the first stage) then a temporal conv (the clip seen as a `[t, h*w]` image, a
 * `[3, 1]` kernel, BN, ReLU; stride 2 in time after the first stage), then a global average pool over
 * frames and pixels. Output: `[n, width * 2^(stages - 1)]` features (64 at the defaults). Batch norm:
 * tfjs momentum 0.9, epsilon 1e-5; convs without bias.
 *
 * `tf` is the `@tensorflow/tfjs` module (backend chosen). The model is the caller's to dispose; it
 * saves and loads (with `tf.loadLayersModel`) once `videoLayers(tf)` has been called in the process.
 *
 * @throws RangeError/TypeError for a bad option.
 */
export function createVideoEncoder(tf: typeof TFJS, options: VideoEncoderOptions): TFJS.LayersModel {
  checkOptionKeys('createVideoEncoder', options, CREATE_VIDEO_ENCODER_KEYS);
  if (typeof options !== 'object' || options === null) throw typeError(ACTION, 'options must be an object', options);
  const [t0, h0, w0, c0] = checkInputShape(ACTION, options.inputShape, 4, '[t, h, w, c]') as [
    number,
    number,
    number,
    number,
  ];
  const width = checkInteger(ACTION, 'width', options.width ?? 16, 1, 1 << 12);
  const stages = checkInteger(ACTION, 'stages', options.stages ?? 3, 1, 6);
  if (options.seed !== undefined) checkInteger(ACTION, 'seed', options.seed, 0, 0xffffffff);
  const init = (label: string) => seededKernel(tf, options.seed, 'moco-video', label);
  const V = videoLayers(tf);
  type Sym = TFJS.SymbolicTensor;
  const apply = (layer: TFJS.layers.Layer, x: Sym | Sym[]) => layer.apply(x) as Sym;
  const bnRelu = (x: Sym) =>
    apply(tf.layers.reLU(), apply(tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 }), x));

  const input = tf.input({ shape: [t0, h0, w0, c0] });
  let x: Sym = input;
  let [t, h, w] = [t0, h0, w0];
  for (let stage = 0; stage < stages; stage++) {
    const filters = width * 2 ** stage;
    const stride = stage === 0 ? 1 : 2;
    // Spatial: per frame.
    let f = apply(V.foldTime(), x);
    f = apply(
      tf.layers.conv2d({
        filters,
        kernelSize: 3,
        strides: stride,
        padding: 'same',
        useBias: false,
        ...init(`stage${stage}/spatial`),
      }),
      f,
    );
    f = bnRelu(f);
    h = Math.ceil(h / stride);
    w = Math.ceil(w / stride);
    x = apply(V.unfoldTime({ frames: t }), f);
    // Temporal: per pixel, the clip as a [t, h*w] image.
    let g = apply(tf.layers.reshape({ targetShape: [t, h * w, filters] }), x);
    g = apply(
      tf.layers.conv2d({
        filters,
        kernelSize: [3, 1],
        strides: [stride, 1],
        padding: 'same',
        useBias: false,
        ...init(`stage${stage}/temporal`),
      }),
      g,
    );
    g = bnRelu(g);
    t = Math.ceil(t / stride);
    x = apply(tf.layers.reshape({ targetShape: [t, h, w, filters] }), g);
  }
  const flat = apply(tf.layers.reshape({ targetShape: [t * h * w, width * 2 ** (stages - 1)] }), x);
  const features = apply(tf.layers.globalAveragePooling1d({}), flat);
  return tf.model({ inputs: input, outputs: features, name: 'moco_video_encoder' });
}
