import type * as TFJS from '@tensorflow/tfjs';
import { checkInteger, rangeError, typeError } from '../../sources/errors.js';
import { deriveSeed } from '../../sources/random.js';
import type { Dcgan } from './dcgan.js';
import { ganLayers } from './gan-layers.js';
import { batchNormLayer } from './batch-norm-layer.js';
import { resolveGanShape } from './gan-shape.js';
import { checkOptionKeys, optionKeys } from '../../sources/option-keys.js';

const CREATE_BIG_GAN_KEYS = optionKeys<BigGanOptions>({
  z: true,
  ch: true,
  size: true,
  channels: true,
  classes: true,
  snEpsilon: true,
  seed: true,
});

/** Options of {@link createBigGan}. */
export interface BigGanOptions {
  /**
   * Length of the latent vector the generator reads (BigGAN's `--dim_z`).
   * @default 128
   */
  readonly z?: number;
  /**
   * Width multiplier, BigGAN's `--G_ch` = `--D_ch`: every block of both networks has `4 * ch` channels
   * (BigGAN's 32 px architecture). The NDA paper's runs use 64, i.e. 256 channels; CPU runs use less.
   * @default 64
   */
  readonly ch?: number;
  /**
   * Image side in pixels, a multiple of 8: G grows a `size/8` square (BigGAN's `bottom_width` 4 at
   * 32 px) through three up-blocks; D halves it twice.
   * @default 32
   */
  readonly size?: number;
  /**
   * Image channels (3 for RGB, 1 for greyscale).
   * @default 3
   */
  readonly channels?: number;
  /**
   * Number of classes of the class-conditional pair, or undefined for the unconditional one. The
   * unconditional pair is BigGAN's with one class (as the official `C10U` runs: every label 0): its
   * conditional batch norms and projection have one row and take no label input.
   * @default undefined (unconditional)
   */
  readonly classes?: number;
  /**
   * Epsilon of the spectral norm's power iteration (`--SN_eps`; the official runs keep the script's
   * default 1e-8).
   * @default 1e-8
   */
  readonly snEpsilon?: number;
  /**
   * Seed of every initialiser (each layer from `deriveSeed(seed, 'biggan', layerName)`), so two pairs
   * built with the same seed have identical weights. An integer in [0, 2^32 - 1].
   * @default undefined (unseeded)
   */
  readonly seed?: number;
}

/**
 * Builds BigGAN's 32 px pair as the NDA paper's official code runs it (`BigGAN_new.py` with
 * `train_C10.sh`: `--G_ch 64 --D_ch 64 --G_attn 0 --D_attn 0 --G_init N02 --D_init N02`, hinge loss),
 * with tfjs-layers, NHWC, `C = 4 * ch` channels everywhere:
 * - G: SN linear z -> (size/8)^2 x C, reshape; three up-blocks (ccbn, ReLU, nearest upsample x2,
 *   SN conv3x3, ccbn, ReLU, SN conv3x3; shortcut: upsample, SN conv1x1; sum); BN, ReLU, SN conv3x3 ->
 *   `channels`, tanh. Each ccbn is a class-conditional batch norm whose gain `1 + embed_g(y)` and bias
 *   `embed_b(y)` come from its own class embeddings (BigGAN with `G_shared` off, as the official
 *   runs; not spectrally normalised, as BigGAN).
 * - D: four residual blocks of C channels: (1) SN conv3x3, ReLU, SN conv3x3, avgpool2; shortcut avgpool2,
 *   SN conv1x1; (2) ReLU, SN conv3x3, ReLU, SN conv3x3, avgpool2; shortcut SN conv1x1, avgpool2;
 *   (3, 4) the same without pooling, identity shortcut. Then ReLU, global sum pooling, SN linear -> 1
 *   plus the projection `sum(SNembed(y) * h)`.
 * - Spectral norm (one power iteration per training-mode call, persistent `u`) on every conv and
 *   linear of G and D and on D's class embedding; weights N(0, 0.02), biases PyTorch's default
 *   `uniform(+-1/sqrt(fanIn))`, ccbn gains `1 + N(0, 0.02)`; batch norm momentum 0.1 (tfjs 0.9),
 *   epsilon 1e-5; no attention.
 *
 * The trainable parameters are exactly the official network's `parameters()`: at ch 64, 32 px RGB,
 * z 128 and K classes (K = 1 unconditional), G has 4,273,667 + 3,072 K and D 4,204,801 + 256 K
 * (derivation in `test/sinks/gan/biggan.test.ts`). The reshape after G's linear is NHWC where PyTorch's
 * is NCHW: the same function class (a fixed permutation of the linear's outputs).
 *
 * Conditional models take TWO inputs: G `[z [n, z], y [n, 1]]` and D `[x [n, size, size, channels],
 * y [n, 1]]`, `y` int32 class indices in [0, classes) (the convention of every model in `sinks/gan`).
 * The custom layers are registered (see `ganLayers`), so the models round-trip through `model.save`
 * / `tf.loadLayersModel`. Deterministic given `seed`.
 *
 * @example
 * const { generator, discriminator } = createBigGan(tf, { ch: 16, classes: 10, seed: 1 });
 * @throws RangeError/TypeError for a bad option.
 */
export function createBigGan(tf: typeof TFJS, options: BigGanOptions = {}): Dcgan {
  checkOptionKeys('createBigGan', options, CREATE_BIG_GAN_KEYS);
  const action = 'create a BigGAN';
  if (typeof options !== 'object' || options === null) throw typeError(action, 'options must be an object', options);
  const { z, ch, size, channels, classes, seed } = resolveGanShape(action, options, 64);
  checkInteger(action, 'ch', ch, 1, 1 << 10);
  const snEpsilon = options.snEpsilon ?? 1e-8;
  if (typeof snEpsilon !== 'number' || !(snEpsilon > 0 && snEpsilon < 1))
    throw rangeError(action, 'snEpsilon must be a number in (0, 1)', snEpsilon);
  const L = ganLayers(tf);
  const C = 4 * ch;
  const base = size / 8;
  const K = classes ?? 1;
  type Sym = TFJS.SymbolicTensor;
  const apply = (layer: TFJS.layers.Layer, x: Sym | Sym[]) => layer.apply(x) as Sym;
  const seeded = (name: string) => (seed === undefined ? {} : { seed: deriveSeed(seed, 'biggan', name) });
  const snConv = (x: Sym, filters: number, kernelSize: number, name: string) =>
    apply(L.snConv2d({ filters, kernelSize, epsilon: snEpsilon, init: 'N02', ...seeded(name) }), x);
  const relu = (x: Sym) => apply(tf.layers.reLU(), x);
  const add = (a: Sym, b: Sym) => apply(tf.layers.add(), [a, b]);

  // Generator.
  const zIn = tf.input({ shape: [z] });
  const gY = classes === undefined ? undefined : tf.input({ shape: [1], dtype: 'int32' });
  const ccbn = (x: Sym, name: string) =>
    apply(
      L.conditionalBatchNorm({ classes: K, momentum: 0.9, epsilon: 1e-5, init: 'N02', ...seeded(name) }),
      gY === undefined ? x : [x, gY],
    );
  const up = (x: Sym) => apply(tf.layers.upSampling2d({ size: [2, 2] }), x);
  let g = apply(
    L.snDense({ units: base * base * C, epsilon: snEpsilon, init: 'N02', ...seeded('generator/linear') }),
    zIn,
  );
  g = apply(tf.layers.reshape({ targetShape: [base, base, C] }), g);
  for (let i = 0; i < 3; i++) {
    const name = `generator/block${i}`;
    let h = snConv(up(relu(ccbn(g, `${name}/bn1`))), C, 3, `${name}/conv1`);
    h = snConv(relu(ccbn(h, `${name}/bn2`)), C, 3, `${name}/conv2`);
    g = add(h, snConv(up(g), C, 1, `${name}/conv_sc`));
  }
  g = relu(apply(batchNormLayer(tf)({ momentum: 0.9, epsilon: 1e-5 }), g));
  g = apply(tf.layers.activation({ activation: 'tanh' }), snConv(g, channels, 3, 'generator/output'));
  const generator = tf.model({ inputs: gY === undefined ? zIn : [zIn, gY], outputs: g, name: 'biggan_generator' });

  // Discriminator.
  const xIn = tf.input({ shape: [size, size, channels] });
  const dY = classes === undefined ? undefined : tf.input({ shape: [1], dtype: 'int32' });
  const pool = (x: Sym) => apply(tf.layers.averagePooling2d({ poolSize: 2, strides: 2, padding: 'valid' }), x);
  // block 0: no pre-activation; shortcut pools, then convolves
  let d = pool(snConv(relu(snConv(xIn, C, 3, 'discriminator/block0/conv1')), C, 3, 'discriminator/block0/conv2'));
  d = add(d, snConv(pool(xIn), C, 1, 'discriminator/block0/conv_sc'));
  for (let i = 1; i < 4; i++) {
    const name = `discriminator/block${i}`;
    const down = i === 1;
    let h = snConv(relu(snConv(relu(d), C, 3, `${name}/conv1`)), C, 3, `${name}/conv2`);
    // pre-activated block: the shortcut convolves, then pools
    if (down) h = pool(h);
    d = add(h, down ? pool(snConv(d, C, 1, `${name}/conv_sc`)) : d);
  }
  const features = apply(L.globalSumPooling2d(), relu(d));
  const linear = apply(
    L.snDense({ units: 1, epsilon: snEpsilon, init: 'N02', ...seeded('discriminator/linear') }),
    features,
  );
  const projected = apply(
    L.projection({ classes: K, epsilon: snEpsilon, init: 'N02', ...seeded('discriminator/embed') }),
    dY === undefined ? features : [features, dY],
  );
  const discriminator = tf.model({
    inputs: dY === undefined ? xIn : [xIn, dY],
    outputs: add(linear, projected),
    name: 'biggan_discriminator',
  });
  return { generator, discriminator };
}
