import type * as TFJS from '@tensorflow/tfjs';
import { batchNormTraining } from '../backend/batch-norm-training.js';
import { addWeightOf, type LayerVariable } from './layer-weights.js';

type Layer = TFJS.layers.Layer;
type LayerArgs = NonNullable<ConstructorParameters<typeof TFJS.layers.Layer>[0]>;
type Shape = (number | null)[];

/** Config of {@link batchNormLayer}: tfjs-layers' `batchNormalization`'s momentum and epsilon, channels last. */
export interface BatchNormConfig extends LayerArgs {
  /** The moving statistics' momentum (`moving = moving - (moving - batch) * (1 - momentum)`). @default 0.99 */
  readonly momentum?: number;
  /** Added to the variance. @default 0.001 */
  readonly epsilon?: number;
}

const cache = new WeakMap<object, (config?: BatchNormConfig) => Layer>();

/**
 * A batch normalisation layer over the last axis with tfjs-layers' `batchNormalization` weights (`gamma`,
 * `beta`, `moving_mean`, `moving_variance`, in that order), defaults, moving-average update and inference
 * (`tf.batchNorm` with the moving statistics), whose training mode is one differentiable op
 * (`batchNormTraining`): its gradient is two passes over the activations where tfjs-layers' is some 70
 * kernels. The weights being the same, checkpoints of either load into the other. Class name
 * `NdaflowBatchNorm`, registered with `tf.serialization.registerClass` on the first call for `tf`.
 *
 * @param tf the loaded `@tensorflow/tfjs` module.
 * @returns a factory of the layer.
 */
export function batchNormLayer(tf: typeof TFJS): (config?: BatchNormConfig) => Layer {
  const cached = cache.get(tf);
  if (cached !== undefined) return cached;

  class BatchNorm extends tf.layers.Layer {
    static className = 'NdaflowBatchNorm';
    readonly momentum: number;
    readonly epsilon: number;
    private gamma!: LayerVariable;
    private beta!: LayerVariable;
    private movingMean!: LayerVariable;
    private movingVariance!: LayerVariable;
    constructor(config: BatchNormConfig = {}) {
      const { momentum = 0.99, epsilon = 1e-3, ...rest } = config;
      super(rest);
      this.momentum = momentum;
      this.epsilon = epsilon;
    }
    override build(inputShape: Shape | Shape[]): void {
      const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
      const channels = shape[shape.length - 1];
      if (typeof channels !== 'number')
        throw new TypeError(
          `Cannot build ${this.name} as the input's last axis must be known: current value is ${channels}`,
        );
      const add = addWeightOf(this);
      this.gamma = add('gamma', [channels], 'float32', tf.initializers.ones());
      this.beta = add('beta', [channels], 'float32', tf.initializers.zeros());
      this.movingMean = add('moving_mean', [channels], 'float32', tf.initializers.zeros(), undefined, false);
      this.movingVariance = add('moving_variance', [channels], 'float32', tf.initializers.ones(), undefined, false);
      this.built = true;
    }
    override computeOutputShape(inputShape: Shape | Shape[]): Shape {
      return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    }
    override call(inputs: TFJS.Tensor | TFJS.Tensor[], kwargs: Record<string, unknown>): TFJS.Tensor {
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0]! : inputs;
        const [gamma, beta] = [this.gamma.read(), this.beta.read()];
        if (kwargs['training'] !== true)
          return tf.batchNorm(x, this.movingMean.read(), this.movingVariance.read(), beta, gamma, this.epsilon);
        const { y, mean, variance } = batchNormTraining(tf, x, gamma, beta, this.epsilon);
        const decay = 1 - this.momentum;
        for (const [moving, batch] of [
          [this.movingMean, mean],
          [this.movingVariance, variance],
        ] as const) {
          const old = moving.read();
          moving.write(tf.sub(old, tf.mul(tf.sub(old, batch), decay)));
        }
        return y;
      });
    }
    override getConfig(): TFJS.serialization.ConfigDict {
      return { ...super.getConfig(), momentum: this.momentum, epsilon: this.epsilon };
    }
  }

  tf.serialization.registerClass(BatchNorm);
  const make = (config?: BatchNormConfig): Layer => new BatchNorm(config);
  cache.set(tf, make);
  return make;
}
