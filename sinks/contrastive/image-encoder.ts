import type * as TFJS from '@tensorflow/tfjs';
import { checkInteger, rangeError, typeError } from '../../sources/errors.js';
import { seededKernel } from '../gan/seeded-init.js';
import { checkInputShape } from './internal/check-input-shape.js';
import { checkOptionKeys, optionKeys } from '../../sources/option-keys.js';

const CREATE_IMAGE_ENCODER_KEYS = optionKeys<ImageEncoderOptions>({
  inputShape: true,
  width: true,
  blocks: true,
  seed: true,
});

/** Options of {@link createImageEncoder}. */
export interface ImageEncoderOptions {
  /** The input images' `[h, w, c]` (e.g. `[28, 28, 1]`, `[32, 32, 3]`). Positive integers. */
  readonly inputShape: readonly [number, number, number];
  /**
   * Channels of the stem and of the first stage; stage `i` has `width * 2^i`. An integer >= 1.
   * @default 16
   */
  readonly width?: number;
  /**
   * Residual blocks per stage; one stage per entry, every stage after the first halves the spatial
   * size (stride 2). Each entry an integer >= 1, at most 6 stages.
   * @default [1, 1, 1] (a ResNet-8: stem + 3 basic blocks)
   */
  readonly blocks?: readonly number[];
  /**
   * Seed of the conv kernels' initialisers (`seededKernel(tf, seed, 'moco-image', layerLabel)`), so two
   * encoders built with one seed have identical weights. An integer in [0, 2^32 - 1].
   * @default undefined (tfjs's unseeded initialisers)
   */
  readonly seed?: number;
}

const ACTION = 'create an image encoder';

/**
 * A small ResNet (He et al. 2016, CIFAR-style "basic" blocks) for contrastive learning on small
 * images, NHWC: a 3x3 conv stem (`width` channels, BN, ReLU); then per stage `i` `blocks[i]` basic
 * blocks (conv3x3-BN-ReLU-conv3x3-BN plus the shortcut, then ReLU; the first block of stages after
 * the first has stride 2 and a 1x1 conv + BN shortcut); then a global average pool. Output:
 * `[n, width * 2^(stages - 1)]` features (64 at the defaults), no projection head (see
 * `createMocoModels`). Batch norm: tfjs momentum 0.9 (PyTorch's 0.1), epsilon 1e-5; convs without
 * bias (BN follows each one). Only conv2d layers: it runs on every backend, wasm included.
 *
 * `tf` is the `@tensorflow/tfjs` module (backend chosen). The model is the caller's to dispose.
 *
 * @throws RangeError/TypeError for a bad option.
 */
export function createImageEncoder(tf: typeof TFJS, options: ImageEncoderOptions): TFJS.LayersModel {
  checkOptionKeys('createImageEncoder', options, CREATE_IMAGE_ENCODER_KEYS);
  if (typeof options !== 'object' || options === null) throw typeError(ACTION, 'options must be an object', options);
  const inputShape = checkInputShape(ACTION, options.inputShape, 3, '[h, w, c]');
  const width = checkInteger(ACTION, 'width', options.width ?? 16, 1, 1 << 12);
  const blocks = options.blocks ?? [1, 1, 1];
  if (!Array.isArray(blocks) || blocks.length < 1 || blocks.length > 6)
    throw rangeError(ACTION, 'blocks must be a list of 1 to 6 block counts', blocks);
  blocks.forEach((b, i) => checkInteger(ACTION, `blocks[${i}]`, b, 1, 64));
  if (options.seed !== undefined) checkInteger(ACTION, 'seed', options.seed, 0, 0xffffffff);
  const init = (label: string) => seededKernel(tf, options.seed, 'moco-image', label);
  type Sym = TFJS.SymbolicTensor;
  const apply = (layer: TFJS.layers.Layer, x: Sym | Sym[]) => layer.apply(x) as Sym;
  const conv = (x: Sym, filters: number, kernelSize: number, strides: number, label: string) =>
    apply(tf.layers.conv2d({ filters, kernelSize, strides, padding: 'same', useBias: false, ...init(label) }), x);
  const bn = (x: Sym) => apply(tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 }), x);
  const relu = (x: Sym) => apply(tf.layers.reLU(), x);

  const input = tf.input({ shape: [...inputShape] });
  let x = relu(bn(conv(input, width, 3, 1, 'stem')));
  let channels = width;
  blocks.forEach((count, stage) => {
    const filters = width * 2 ** stage;
    for (let b = 0; b < count; b++) {
      const strides = stage > 0 && b === 0 ? 2 : 1;
      const label = `stage${stage}/block${b}`;
      let y = relu(bn(conv(x, filters, 3, strides, `${label}/conv0`)));
      y = bn(conv(y, filters, 3, 1, `${label}/conv1`));
      const shortcut =
        strides !== 1 || channels !== filters ? bn(conv(x, filters, 1, strides, `${label}/shortcut`)) : x;
      x = relu(apply(tf.layers.add(), [y, shortcut]));
      channels = filters;
    }
  });
  const features = apply(tf.layers.globalAveragePooling2d({}), x);
  return tf.model({ inputs: input, outputs: features, name: 'moco_image_encoder' });
}
