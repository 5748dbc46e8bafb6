import type * as TFJS from '@tensorflow/tfjs';
import { rangeError, typeError } from '../../sources/errors.js';
import { hingeGeneratorLoss, hingeNdaLoss } from './hinge-nda-loss.js';

/** The two networks {@link ndaGanStep} trains (e.g. from `createDcgan`). */
export interface GanModels {
  /** Latents `[n, z]` -> images. */
  readonly generator: TFJS.LayersModel;
  /** Images -> `[n, 1]` logits. */
  readonly discriminator: TFJS.LayersModel;
}

/** One optimizer per network (officially Adam 2e-4, betas (0, 0.999): `createGanOptimizers(tf)`). */
export interface GanOptimizers {
  readonly generator: TFJS.Optimizer;
  readonly discriminator: TFJS.Optimizer;
}

/** The inputs and weights of one {@link ndaGanStep}. Tensors stay owned by the caller. */
export interface NdaGanStepInputs {
  /** Real images `[n, h, w, c]`, scaled to [-1, 1]. */
  readonly real: TFJS.Tensor4D;
  /** NDA negatives of the real images, same shape (e.g. jigsaw). */
  readonly negative: TFJS.Tensor4D;
  /** Latents `[m, z]` for the discriminator update's fakes. */
  readonly z: TFJS.Tensor2D;
  /** Fresh latents `[k, z]` for the generator update. */
  readonly zG: TFJS.Tensor2D;
  /**
   * Class labels `[n, 1]` int32 of the real images, also the labels of the NDA negatives (a negative
   * keeps its source's class). Required by conditional models (two inputs), refused by unconditional ones.
   * @default undefined (unconditional)
   */
  readonly labels?: TFJS.Tensor;
  /**
   * Class labels `[m, 1]` int32 of the fakes `G(z, fakeLabels)` of the discriminator update. Required by
   * conditional models.
   * @default undefined (unconditional)
   */
  readonly fakeLabels?: TFJS.Tensor;
  /**
   * Class labels `[k, 1]` int32 for the generator update's fakes. Required by conditional models.
   * @default undefined (unconditional)
   */
  readonly labelsG?: TFJS.Tensor;
  /**
   * Weight of the fake term in the discriminator loss (1 with beta 0 is the plain hinge GAN).
   * @default 0.25
   */
  readonly alpha?: number;
  /**
   * Weight of the NDA-negative term in the discriminator loss.
   * @default 0.75
   */
  readonly beta?: number;
}

/** The losses of one {@link ndaGanStep}, read back after each update. */
export interface NdaGanStepLosses {
  /** `mean(relu(1-D(x))) + alpha*mean(relu(1+D(G(z)))) + beta*mean(relu(1+D(neg)))`, before the D update. */
  readonly dLoss: number;
  /** `-mean(D(G(zG)))`, before the G update (with the updated D). */
  readonly gLoss: number;
  /** The unweighted terms of `dLoss` (see `DiscriminatorLosses`). */
  readonly dTerms: Omit<DiscriminatorLosses, 'loss'>;
}

/** What `discriminatorStep` returns: its loss and the loss's three unweighted terms, before the update. */
export interface DiscriminatorLosses {
  /** `real + alpha * fake + beta * negative`. */
  readonly loss: number;
  /** `mean(relu(1 - D(x)))`. */
  readonly real: number;
  /** `mean(relu(1 + D(G(z))))` (unweighted). */
  readonly fake: number;
  /** `mean(relu(1 + D(neg)))` (unweighted). */
  readonly negative: number;
}

/** The inputs of one `discriminatorStep`. Tensors stay owned by the caller. */
export interface DiscriminatorStepInputs {
  /** Real images `[n, h, w, c]`, scaled to [-1, 1]. */
  readonly real: TFJS.Tensor4D;
  /** NDA negatives of the real images, same shape (e.g. jigsaw). */
  readonly negative: TFJS.Tensor4D;
  /** Latents `[m, z]` for the fakes. */
  readonly z: TFJS.Tensor2D;
  /**
   * Class labels `[n, 1]` int32 of the real images, also the labels of the NDA negatives (a negative
   * keeps its source's class). Required by conditional models (two inputs), refused by unconditional ones.
   * @default undefined (unconditional)
   */
  readonly labels?: TFJS.Tensor;
  /**
   * Class labels `[m, 1]` int32 of the fakes `G(z, fakeLabels)` of the discriminator update. Required by
   * conditional models.
   * @default undefined (unconditional)
   */
  readonly fakeLabels?: TFJS.Tensor;
  /**
   * Weight of the fake term in the discriminator loss (1 with beta 0 is the plain hinge GAN).
   * @default 0.25
   */
  readonly alpha?: number;
  /**
   * Weight of the NDA-negative term in the discriminator loss.
   * @default 0.75
   */
  readonly beta?: number;
}

/**
 * One NDA-GAN step with the hinge loss (Sinha et al., "Negative Data Augmentation", 2021):
 * 1. discriminator update on ONE forward of `concat([real, G(z), negative])`, the fakes made without a
 *    gradient to G; only D's variables are updated;
 * 2. generator update with `zG`, loss `-mean(D(G(zG)))`, D frozen (only G's variables updated).
 * Both networks run in training mode (batch norm uses batch statistics and updates its moving ones).
 * Every intermediate tensor is released; the tensor count is the same after every step.
 * It is `discriminatorStep` then `generatorStep`. A class-conditional pair (both networks
 * with two inputs, see `createSnResnetGan`) needs `labels` (real and negatives), `fakeLabels` (D's
 * fakes) and `labelsG` (G's fakes), all `[n, 1]` int32 class indices; D sees each image with its label.
 *
 * `tf` is the `@tensorflow/tfjs` module the models were built with.
 *
 * @throws RangeError/TypeError for bad weights or mismatched shapes.
 */
export async function ndaGanStep(
  tf: typeof TFJS,
  models: GanModels,
  optimizers: GanOptimizers,
  inputs: NdaGanStepInputs,
): Promise<NdaGanStepLosses> {
  const { loss: dLoss, ...dTerms } = await discriminatorStep(tf, models, optimizers, inputs);
  const gLoss = await generatorStep(tf, models, optimizers, inputs.zG, inputs.labelsG);
  return { dLoss, gLoss, dTerms };
}

/**
 * The discriminator half of {@link ndaGanStep}: one update of D on ONE forward of
 * `concat([real, G(z), negative])` with the loss
 * `mean(relu(1-D(x))) + alpha*mean(relu(1+D(G(z)))) + beta*mean(relu(1+D(neg)))` (`hingeNdaLoss`); the
 * fakes are made by G in training mode without a gradient to G; only D's variables are updated. Every
 * intermediate tensor is released.
 *
 * @returns the loss and its three unweighted terms, before the update (read back together).
 * @throws RangeError/TypeError for bad weights or mismatched shapes.
 */
export async function discriminatorStep(
  tf: typeof TFJS,
  models: GanModels,
  optimizers: GanOptimizers,
  inputs: DiscriminatorStepInputs,
): Promise<DiscriminatorLosses> {
  const action = 'run an NDA-GAN step';
  const alpha = checkWeight(action, 'alpha', inputs.alpha ?? 0.25);
  const beta = checkWeight(action, 'beta', inputs.beta ?? 0.75);
  const { real, negative, z } = inputs;
  if (real.rank !== 4 || !sameShape(real.shape, negative.shape)) {
    throw rangeError(
      action,
      'real and negative must be [n, h, w, c] batches of one shape',
      `${JSON.stringify(real.shape)} and ${JSON.stringify(negative.shape)}`,
    );
  }
  const { generator: G, discriminator: D } = models;
  const conditional = checkConditional(action, models, inputs.labels !== undefined || inputs.fakeLabels !== undefined);
  if (conditional) {
    checkLabels(action, 'labels', inputs.labels, real.shape[0]);
    checkLabels(action, 'fakeLabels', inputs.fakeLabels, z.shape[0]);
  }
  const dVars = D.trainableWeights.map((w) => w.read() as TFJS.Variable);
  const nReal = real.shape[0];
  const nNeg = negative.shape[0];

  // Fakes for D: G in training mode, outside D's gradient (no gradient reaches G).
  const fake = tf.tidy(() => G.apply(conditional ? [z, inputs.fakeLabels!] : z, { training: true }) as TFJS.Tensor4D);
  if (!sameShape(fake.shape.slice(1), real.shape.slice(1))) {
    const shape = fake.shape;
    fake.dispose();
    throw rangeError(
      action,
      `the generator's images must have the real images' shape ${JSON.stringify(real.shape.slice(1))}`,
      JSON.stringify(shape),
    );
  }
  const nFake = fake.shape[0];
  // The loss and its terms, kept past minimize's scope and read back together after the update.
  let terms: TFJS.Tensor | null = null;
  try {
    const dCost = optimizers.discriminator.minimize(
      () => {
        const images = tf.concat([real, fake, negative], 0);
        const dInput = conditional
          ? [images, tf.concat([inputs.labels!, inputs.fakeLabels!, inputs.labels!], 0)]
          : images;
        const logits = D.apply(dInput, { training: true }) as TFJS.Tensor;
        const [lr, lf, ln] = tf.split(tf.reshape(logits, [-1]), [nReal, nFake, nNeg]);
        const loss = hingeNdaLoss(tf, { real: lr!, fake: lf!, negative: ln! }, alpha, beta);
        terms = tf.keep(tf.stack([loss.loss, loss.real, loss.fake, loss.negative]));
        return loss.loss;
      },
      true,
      dVars,
    );
    dCost?.dispose();
    if (terms === null) throw new Error('Cannot read an NDA-GAN loss as the optimizer returned none');
    const [loss, realTerm, fakeTerm, negTerm] = await (terms as TFJS.Tensor).data();
    return { loss: loss!, real: realTerm!, fake: fakeTerm!, negative: negTerm! };
  } finally {
    fake.dispose();
    (terms as TFJS.Tensor | null)?.dispose();
  }
}

/**
 * The generator half of {@link ndaGanStep}: one update of G with fresh latents `zG` (owned by the
 * caller), loss `-mean(D(G(zG)))`, D frozen (only G's variables updated), both in training mode.
 * Every intermediate tensor is released.
 *
 * Conditional models (two inputs) need `labelsG` (`[k, 1]` int32), the class of each fake, given to
 * G and to D.
 *
 * @returns the loss before the update.
 * @throws TypeError when labels are missing for a conditional pair or given to an unconditional one.
 */
export async function generatorStep(
  tf: typeof TFJS,
  models: GanModels,
  optimizers: GanOptimizers,
  zG: TFJS.Tensor2D,
  labelsG?: TFJS.Tensor,
): Promise<number> {
  const { generator: G, discriminator: D } = models;
  const conditional = checkConditional('run an NDA-GAN step', models, labelsG !== undefined);
  if (conditional) checkLabels('run an NDA-GAN step', 'labelsG', labelsG, zG.shape[0]);
  const gVars = G.trainableWeights.map((w) => w.read() as TFJS.Variable);
  const gCost = optimizers.generator.minimize(
    () => {
      const fake = G.apply(conditional ? [zG, labelsG!] : zG, { training: true }) as TFJS.Tensor;
      const logits = D.apply(conditional ? [fake, labelsG!] : fake, { training: true }) as TFJS.Tensor;
      return hingeGeneratorLoss(tf, logits);
    },
    true,
    gVars,
  );
  return readAndDispose(gCost);
}

/** Whether the pair is class-conditional (both networks take labels); checks labels are given iff so. */
function checkConditional(action: string, models: GanModels, labelled: boolean): boolean {
  const gIn = models.generator.inputs.length;
  const dIn = models.discriminator.inputs.length;
  if (gIn !== dIn)
    throw typeError(
      action,
      'the generator and discriminator must both be conditional (two inputs) or both not',
      `${gIn} and ${dIn} inputs`,
    );
  const conditional = gIn === 2;
  if (conditional !== labelled) {
    throw typeError(
      action,
      conditional ? 'a conditional pair needs class labels' : 'an unconditional pair takes no class labels',
      labelled ? 'labels given' : 'no labels',
    );
  }
  return conditional;
}

function checkLabels(action: string, name: string, labels: TFJS.Tensor | undefined, n: number): void {
  if (labels === undefined) throw typeError(action, `a conditional pair needs ${name}`, undefined);
  if (labels.rank !== 2 || labels.shape[0] !== n || labels.shape[1] !== 1) {
    throw rangeError(action, `${name} must be [${n}, 1] class indices`, JSON.stringify(labels.shape));
  }
}

function checkWeight(action: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || Number.isNaN(value)) throw typeError(action, `${name} must be a number`, value);
  if (!Number.isFinite(value) || value < 0) throw rangeError(action, `${name} must be finite and >= 0`, value);
  return value;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

async function readAndDispose(cost: TFJS.Scalar | null): Promise<number> {
  if (cost === null) throw new Error('Cannot read an NDA-GAN loss as the optimizer returned none');
  try {
    return (await cost.data())[0] as number;
  } finally {
    cost.dispose();
  }
}
