import type * as TFJS from '@tensorflow/tfjs';

/** The discriminator's logits on the three parts of one NDA-GAN batch (each `[n]` or `[n, 1]`). */
export interface HingeNdaLogits {
  /** `D(x)` on the real images. */
  readonly real: TFJS.Tensor;
  /** `D(G(z))` on the fakes. */
  readonly fake: TFJS.Tensor;
  /** `D(NDA(x))` on the NDA negatives. */
  readonly negative: TFJS.Tensor;
}

/**
 * The discriminator's hinge NDA loss and its three unweighted terms, all scalars (created in the
 * caller's scope: the caller owns and disposes them, or calls this inside `tf.tidy`/`minimize`).
 */
export interface HingeNdaLoss {
  /** `real + alpha * fake + beta * negative`. */
  readonly loss: TFJS.Scalar;
  /** `mean(relu(1 - D(x)))`. */
  readonly real: TFJS.Scalar;
  /** `mean(relu(1 + D(G(z))))`, before the `alpha` weight. */
  readonly fake: TFJS.Scalar;
  /** `mean(relu(1 + D(NDA(x))))`, before the `beta` weight. */
  readonly negative: TFJS.Scalar;
}

/**
 * The NDA-GAN discriminator loss (hinge), as the paper's official code computes it
 * (`losses.loss_hinge_dis_new`, then `D_loss_real + alpha * D_loss_fake + beta * D_loss_real_fake`):
 * `mean(relu(1 - D(x))) + alpha * mean(relu(1 + D(G(z)))) + beta * mean(relu(1 + D(NDA(x))))`.
 * Each term is the mean over its own part of the batch, so the parts may differ in size. With alpha 1
 * and beta 0 it is the plain hinge GAN loss (Lim & Ye 2017; Miyato et al. 2018). Pure and
 * deterministic; the weights are not checked here (the steps check them).
 *
 * @example
 * const { loss } = hingeNdaLoss(tf, { real, fake, negative }, 0.25, 0.75);
 */
export function hingeNdaLoss(tf: typeof TFJS, logits: HingeNdaLogits, alpha: number, beta: number): HingeNdaLoss {
  const one = tf.scalar(1);
  const real = tf.mean(tf.relu(tf.sub(one, logits.real)));
  const fake = tf.mean(tf.relu(tf.add(one, logits.fake)));
  const negative = tf.mean(tf.relu(tf.add(one, logits.negative)));
  const loss = tf.addN([real, tf.mul(alpha, fake), tf.mul(beta, negative)]);
  return { loss, real, fake, negative } as HingeNdaLoss;
}

/**
 * The hinge generator loss `-mean(D(G(z)))` (`losses.loss_hinge_gen` of the official code), a scalar
 * the caller owns.
 */
export function hingeGeneratorLoss(tf: typeof TFJS, fakeLogits: TFJS.Tensor): TFJS.Scalar {
  return tf.neg(tf.mean(fakeLogits)) as TFJS.Scalar;
}
