import type * as TFJS from '@tensorflow/tfjs';
import { deriveSeed } from '../../sources/random.js';
import type { Dcgan } from './dcgan.js';
import { ganLayers } from './gan-layers.js';
import { batchNormLayer } from './batch-norm-layer.js';
import { resolveGanShape } from './gan-shape.js';
import { seededKernel } from './seeded-init.js';
import { checkOptionKeys, optionKeys } from '../../sources/option-keys.js';

const CREATE_SN_RESNET_GAN_KEYS = optionKeys<SnResnetGanOptions>({
  z: true,
  ch: true,
  size: true,
  channels: true,
  classes: true,
  seed: true,
});

/** Options of {@link createSnResnetGan}. */
export interface SnResnetGanOptions {
  /**
   * Length of the latent vector the generator reads.
   * @default 128
   */
  readonly z?: number;
  /**
   * Channels of every residual block of both networks (Miyato et al. use 256 in G and 128 in D at 32 px).
   * @default 128
   */
  readonly ch?: number;
  /**
   * Image side in pixels; a multiple of 8 (three up-blocks from a `size/8` square). Pad 28 px images to
   * 32 (e.g. `randomCrop({size: 32, pad: 2})`).
   * @default 32
   */
  readonly size?: number;
  /**
   * Image channels (3 for RGB, 1 for greyscale).
   * @default 3
   */
  readonly channels?: number;
  /**
   * Number of classes for the class-conditional pair (conditional batch norm in G, projection
   * discriminator), or undefined for the unconditional pair. An integer >= 1.
   * @default undefined (unconditional)
   */
  readonly classes?: number;
  /**
   * Seed of the initialisers (each layer from `deriveSeed(seed, 'sn-resnet', layerName)`), so two pairs
   * built with the same seed have identical weights. An integer in [0, 2^32 - 1].
   * @default undefined (unseeded)
   */
  readonly seed?: number;
}

/**
 * Builds an SN-ResNet GAN pair (Miyato et al. 2018's CIFAR ResNet, in the spirit of BigGAN at 32 px)
 * with tfjs-layers, NHWC:
 * - G: dense z -> (size/8)^2 x ch, reshape; 3 up-blocks (BN, ReLU, upsample x2 (nearest), conv3x3, BN,
 *   ReLU, conv3x3; shortcut upsample then conv1x1; sum); BN, ReLU, conv3x3 -> channels, tanh. No
 *   spectral norm in G (as Miyato et al.).
 * - D: optimized first block (SNconv3x3, ReLU, SNconv3x3, avgpool2; shortcut avgpool2 then SNconv1x1),
 *   a down-block and two plain blocks (ReLU, SNconv3x3, ReLU, SNconv3x3, [avgpool2]; shortcut SNconv1x1
 *   [+ avgpool2] when downsampling, identity otherwise); ReLU, global sum pool, SN dense -> 1 logit.
 * - Conditional (`classes` set): every BN of G's blocks is a conditional BN (per-class gain and bias);
 *   D adds the projection `sum(embed(y) * h)` (SN embedding) to its logit.
 *
 * Conditional models take TWO inputs: G `[z [n, z], y [n, 1]]` and D `[x [n, size, size, channels],
 * y [n, 1]]`, where `y` holds int32 class indices in [0, classes) (the convention of every conditional
 * model in `sinks/gan`). Unconditional ones take `z` and `x` alone. Batch norm uses PyTorch's constants
 * (momentum 0.1, epsilon 1e-5). The custom layers are registered (see `ganLayers`), so the models
 * round-trip through `model.save` / `tf.loadLayersModel`.
 *
 * @throws RangeError/TypeError for a bad option.
 */
export function createSnResnetGan(tf: typeof TFJS, options: SnResnetGanOptions = {}): Dcgan {
  checkOptionKeys('createSnResnetGan', options, CREATE_SN_RESNET_GAN_KEYS);
  const action = 'create an SN-ResNet GAN';
  const { z, ch, size, channels, classes, seed } = resolveGanShape(action, options, 128);
  const L = ganLayers(tf);
  const init = (name: string) => seededKernel(tf, seed, 'sn-resnet', name);
  const snSeed = (name: string) => (seed === undefined ? {} : { seed: deriveSeed(seed, 'sn-resnet', name) });
  const base = size / 8;
  type Sym = TFJS.SymbolicTensor;
  const apply = (layer: TFJS.layers.Layer, x: Sym | Sym[]) => layer.apply(x) as Sym;

  // Generator.
  const zIn = tf.input({ shape: [z] });
  const gY = classes === undefined ? undefined : tf.input({ shape: [1], dtype: 'int32' });
  const norm = (x: Sym, name: string): Sym =>
    classes === undefined
      ? apply(batchNormLayer(tf)({ momentum: 0.9, epsilon: 1e-5 }), x)
      : apply(L.conditionalBatchNorm({ classes, momentum: 0.9, epsilon: 1e-5, ...snSeed(name) }), [x, gY!]);
  const conv = (x: Sym, filters: number, kernelSize: number, name: string) =>
    apply(tf.layers.conv2d({ filters, kernelSize, padding: 'same', useBias: true, ...init(name) }), x);
  const up = (x: Sym) => apply(tf.layers.upSampling2d({ size: [2, 2] }), x);
  const relu = (x: Sym) => apply(tf.layers.reLU(), x);
  let g = apply(tf.layers.dense({ units: base * base * ch, useBias: true, ...init('generator/dense') }), zIn);
  g = apply(tf.layers.reshape({ targetShape: [base, base, ch] }), g);
  for (let i = 0; i < 3; i++) {
    const name = `generator/block${i}`;
    let h = conv(up(relu(norm(g, `${name}/bn0`))), ch, 3, `${name}/conv0`);
    h = conv(relu(norm(h, `${name}/bn1`)), ch, 3, `${name}/conv1`);
    const shortcut = conv(up(g), ch, 1, `${name}/shortcut`);
    g = apply(tf.layers.add(), [h, shortcut]);
  }
  g = relu(apply(batchNormLayer(tf)({ momentum: 0.9, epsilon: 1e-5 }), g));
  g = apply(tf.layers.activation({ activation: 'tanh' }), conv(g, channels, 3, 'generator/out'));
  const generator = tf.model({ inputs: gY === undefined ? zIn : [zIn, gY], outputs: g, name: 'sn_resnet_generator' });

  // Discriminator.
  const xIn = tf.input({ shape: [size, size, channels] });
  const dY = classes === undefined ? undefined : tf.input({ shape: [1], dtype: 'int32' });
  const snConv = (x: Sym, kernelSize: number, name: string) =>
    apply(L.snConv2d({ filters: ch, kernelSize, ...snSeed(name) }), x);
  const pool = (x: Sym) => apply(tf.layers.averagePooling2d({ poolSize: 2, strides: 2, padding: 'valid' }), x);
  let d = pool(snConv(relu(snConv(xIn, 3, 'discriminator/block0/conv0')), 3, 'discriminator/block0/conv1'));
  d = apply(tf.layers.add(), [d, snConv(pool(xIn), 1, 'discriminator/block0/shortcut')]);
  for (let i = 1; i < 4; i++) {
    const name = `discriminator/block${i}`;
    const down = i === 1;
    let h = snConv(relu(snConv(relu(d), 3, `${name}/conv0`)), 3, `${name}/conv1`);
    let shortcut = d;
    if (down) {
      h = pool(h);
      shortcut = pool(snConv(d, 1, `${name}/shortcut`));
    }
    d = apply(tf.layers.add(), [h, shortcut]);
  }
  const features = apply(L.globalSumPooling2d(), relu(d));
  let logit = apply(L.snDense({ units: 1, ...snSeed('discriminator/dense') }), features);
  if (dY !== undefined) {
    const projected = apply(L.projection({ classes: classes!, ...snSeed('discriminator/projection') }), [features, dY]);
    logit = apply(tf.layers.add(), [logit, projected]);
  }
  const discriminator = tf.model({
    inputs: dY === undefined ? xIn : [xIn, dY],
    outputs: logit,
    name: 'sn_resnet_discriminator',
  });
  return { generator, discriminator };
}
