import type * as TFJS from '@tensorflow/tfjs';
import { deriveSeed } from '../../sources/random.js';
import { ganLayers } from './gan-layers.js';
import { batchNormLayer } from './batch-norm-layer.js';
import { resolveGanShape } from './gan-shape.js';
import { seededKernel } from './seeded-init.js';
import { checkOptionKeys, optionKeys } from '../../sources/option-keys.js';

const CREATE_DCGAN_KEYS = optionKeys<DcganOptions>({
  z: true,
  ch: true,
  size: true,
  channels: true,
  seed: true,
  classes: true,
});

/** Options of {@link createDcgan}. */
export interface DcganOptions {
  /**
   * Length of the latent vector the generator reads.
   * @default 128
   */
  readonly z?: number;
  /**
   * Base width: the generator's last hidden layer and the discriminator's first have `ch` channels,
   * each stage doubles/halves it (`ch`, `2ch`, `4ch`).
   * @default 64
   */
  readonly ch?: number;
  /**
   * Image side in pixels; a multiple of 8 (three stride-2 stages from / to a `size/8` square).
   * @default 32
   */
  readonly size?: number;
  /**
   * Image channels (3 for RGB, 1 for greyscale).
   * @default 3
   */
  readonly channels?: number;
  /**
   * Seed of the kernel initialisers: each layer's kernel is drawn by tfjs's `glorotNormal` (its default
   * kernel initialiser) seeded with `deriveSeed(seed, 'dcgan', layerName)` (see `seededKernel`),
   * so two pairs built with the same seed have identical weights. An integer in [0, 2^32 - 1].
   * @default undefined (tfjs's unseeded default initialisers)
   */
  readonly seed?: number;
  /**
   * Number of classes for the class-conditional pair, or undefined for the unconditional one (the
   * benchmark network, unchanged). Conditional: G concatenates a learned 32-wide class embedding
   * (`ganLayers(tf).classEmbedding`) to z before its dense layer; D adds a projection head
   * `sum(embed(y) * h)` (no spectral norm) on its flattened features to its logit. Conditional models
   * take two inputs, G `[z [n, z], y [n, 1]]` and D `[x, y [n, 1]]`, `y` int32 class indices in
   * [0, classes). An integer >= 1.
   * @default undefined (unconditional)
   */
  readonly classes?: number;
}

/** Width of the conditional DCGAN generator's class embedding. */
const CLASS_EMBEDDING = 32;

/** The DCGAN pair of {@link createDcgan}. */
export interface Dcgan {
  /** `[n, z]` latents (and `[n, 1]` int32 labels when conditional) -> `[n, size, size, channels]` images in [-1, 1] (tanh). */
  readonly generator: TFJS.LayersModel;
  /** `[n, size, size, channels]` images (and `[n, 1]` int32 labels when conditional) -> `[n, 1]` logits (no sigmoid: hinge loss). */
  readonly discriminator: TFJS.LayersModel;
}

/**
 * Builds the benchmark DCGAN pair (issue 4) with tfjs-layers, NHWC. At the defaults:
 * - G: dense z -> 4x4x256 (bias), BN, ReLU; convT 256->128 k4 s2 'same' (= PyTorch p1), BN, ReLU;
 *   convT 128->64 k4 s2, BN, ReLU; convT 64->3 k4 s2; tanh. 1,187,907 trainable parameters (every
 *   conv transpose has a bias, as PyTorch's does).
 * - D: conv 3->64 k4 s2 'same', LeakyReLU 0.2; conv 64->128; conv 128->256 (each with LeakyReLU 0.2);
 *   flatten; dense -> 1. No normalisation. 662,977 parameters. The convs are `ganLayers(tf).unfusedConv2d`
 *   (same weights and output as `tf.layers.conv2d`, cheaper gradients: see `discriminatorConv`), so
 *   `tf.loadLayersModel` of a saved D needs `ganLayers(tf)` called first.
 * Batch norm is `batchNormLayer` (tfjs-layers' weights; its training gradient one op), so `tf.loadLayersModel`
 * of a saved G needs `batchNormLayer(tf)` (or any `createGan`) called first; it uses PyTorch's constants
 * (momentum 0.1, i.e. tfjs momentum 0.9; epsilon 1e-5). Note that
 * tfjs's `countParams()` also counts batch norm's moving mean and variance (non-trainable, 896 more
 * for G); `countTrainableParams` counts what PyTorch's `parameters()` counts.
 *
 * `tf` is the `@tensorflow/tfjs` module (layers included), with the backend already chosen
 * (`selectBackend` loads it; `await import('@tensorflow/tfjs')` after it returns the same instance).
 *
 * @throws RangeError for a bad option.
 */
export function createDcgan(tf: typeof TFJS, options: DcganOptions = {}): Dcgan {
  checkOptionKeys('createDcgan', options, CREATE_DCGAN_KEYS);
  const action = 'create a DCGAN';
  const { z, ch, size, channels, classes } = resolveGanShape(action, options, 64);
  const base = size / 8;
  const init = (layerName: string) => seededKernel(tf, options.seed, 'dcgan', layerName);
  const bn = () => batchNormLayer(tf)({ momentum: 0.9, epsilon: 1e-5 });
  if (classes !== undefined) return conditionalDcgan(tf, { z, ch, size, channels, classes, seed: options.seed });

  const generator = tf.sequential({ name: 'dcgan_generator' });
  generator.add(
    tf.layers.dense({ inputShape: [z], units: base * base * 4 * ch, useBias: true, ...init('generator/dense') }),
  );
  generator.add(tf.layers.reshape({ targetShape: [base, base, 4 * ch] }));
  generator.add(bn());
  generator.add(tf.layers.reLU());
  [2 * ch, ch].forEach((filters, i) => {
    generator.add(
      tf.layers.conv2dTranspose({
        filters,
        kernelSize: 4,
        strides: 2,
        padding: 'same',
        useBias: true,
        ...init(`generator/convT${i}`),
      }),
    );
    generator.add(bn());
    generator.add(tf.layers.reLU());
  });
  generator.add(
    tf.layers.conv2dTranspose({
      filters: channels,
      kernelSize: 4,
      strides: 2,
      padding: 'same',
      useBias: true,
      ...init('generator/convT2'),
    }),
  );
  generator.add(tf.layers.activation({ activation: 'tanh' }));

  const discriminator = tf.sequential({ name: 'dcgan_discriminator' });
  [ch, 2 * ch, 4 * ch].forEach((filters, i) => {
    discriminator.add(
      discriminatorConv(tf, options.seed, i, filters, i === 0 ? { inputShape: [size, size, channels] } : {}),
    );
    discriminator.add(tf.layers.leakyReLU({ alpha: 0.2 }));
  });
  discriminator.add(tf.layers.flatten());
  discriminator.add(tf.layers.dense({ units: 1, ...init('discriminator/dense') }));
  return { generator, discriminator };
}

/** The class-conditional DCGAN of {@link createDcgan} (same layers, functional, plus the class inputs). */
function conditionalDcgan(
  tf: typeof TFJS,
  o: { z: number; ch: number; size: number; channels: number; classes: number; seed: number | undefined },
): Dcgan {
  const { z, ch, size, channels, classes, seed } = o;
  const base = size / 8;
  const L = ganLayers(tf);
  const init = (layerName: string) => seededKernel(tf, seed, 'dcgan', layerName);
  const classSeed = (layerName: string) => (seed === undefined ? {} : { seed: deriveSeed(seed, 'dcgan', layerName) });
  type Sym = TFJS.SymbolicTensor;
  const apply = (layer: TFJS.layers.Layer, x: Sym | Sym[]) => layer.apply(x) as Sym;
  const bnRelu = (x: Sym) => apply(tf.layers.reLU(), apply(batchNormLayer(tf)({ momentum: 0.9, epsilon: 1e-5 }), x));

  const zIn = tf.input({ shape: [z] });
  const gY = tf.input({ shape: [1], dtype: 'int32' });
  const embedded = apply(
    L.classEmbedding({ classes, units: CLASS_EMBEDDING, ...classSeed('generator/embedding') }),
    gY,
  );
  let g = apply(tf.layers.concatenate(), [zIn, embedded]);
  g = apply(tf.layers.dense({ units: base * base * 4 * ch, useBias: true, ...init('generator/dense') }), g);
  g = bnRelu(apply(tf.layers.reshape({ targetShape: [base, base, 4 * ch] }), g));
  [2 * ch, ch].forEach((filters, i) => {
    g = bnRelu(
      apply(
        tf.layers.conv2dTranspose({
          filters,
          kernelSize: 4,
          strides: 2,
          padding: 'same',
          useBias: true,
          ...init(`generator/convT${i}`),
        }),
        g,
      ),
    );
  });
  g = apply(
    tf.layers.conv2dTranspose({
      filters: channels,
      kernelSize: 4,
      strides: 2,
      padding: 'same',
      useBias: true,
      ...init('generator/convT2'),
    }),
    g,
  );
  g = apply(tf.layers.activation({ activation: 'tanh' }), g);
  const generator = tf.model({ inputs: [zIn, gY], outputs: g, name: 'dcgan_generator' });

  const xIn = tf.input({ shape: [size, size, channels] });
  const dY = tf.input({ shape: [1], dtype: 'int32' });
  let d: Sym = xIn;
  [ch, 2 * ch, 4 * ch].forEach((filters, i) => {
    d = apply(discriminatorConv(tf, seed, i, filters), d);
    d = apply(tf.layers.leakyReLU({ alpha: 0.2 }), d);
  });
  const features = apply(tf.layers.flatten(), d);
  const logit = apply(tf.layers.dense({ units: 1, ...init('discriminator/dense') }), features);
  const projected = apply(L.projection({ classes, spectral: false, ...classSeed('discriminator/projection') }), [
    features,
    dY,
  ]);
  const discriminator = tf.model({
    inputs: [xIn, dY],
    outputs: apply(tf.layers.add(), [logit, projected]),
    name: 'dcgan_discriminator',
  });
  return { generator, discriminator };
}

/**
 * D's conv `i` (k4 s2 'same', bias): `tf.layers.conv2d`'s weights and output, seeded as `seededKernel`
 * seeds it, but unfused (`ganLayers(tf).unfusedConv2d`) so that a gradient through D computes D's filter
 * gradients only when D's variables are being differentiated: the generator update no longer pays for
 * them. Measured (dcgan ch 64, batch 64, wasm, 2 threads, 24 steps alternating with the fused D in one
 * process, 2026-12-06, load 2.4-3.6): G update 538 -> 459 ms, D update 679 -> 663 ms, step 1219 -> 1112 ms.
 */
function discriminatorConv(
  tf: typeof TFJS,
  seed: number | undefined,
  i: number,
  filters: number,
  extra: { inputShape?: number[] } = {},
): TFJS.layers.Layer {
  return ganLayers(tf).unfusedConv2d({
    ...extra,
    filters,
    kernelSize: 4,
    strides: 2,
    padding: 'same',
    useBias: true,
    kernelSeed: seed === undefined ? null : deriveSeed(seed, 'dcgan', `discriminator/conv${i}`),
  });
}

/** Trainable parameters of a model (what PyTorch's `sum(p.numel() for p in m.parameters())` counts). */
export function countTrainableParams(model: TFJS.LayersModel): number {
  return model.trainableWeights.reduce((sum, w) => sum + w.shape.reduce((a: number, b) => a * (b ?? 0), 1), 0);
}
