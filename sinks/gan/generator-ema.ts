import type * as TFJS from '@tensorflow/tfjs';
import { checkInteger, rangeError, typeError } from '../../sources/errors.js';
import { checkOptionKeys, optionKeys } from '../../sources/option-keys.js';

const GENERATOR_EMA_KEYS = optionKeys<GeneratorEmaOptions>({ decay: true, start: true });

/** Options of {@link GeneratorEma}. */
export interface GeneratorEmaOptions {
  /**
   * Decay `d` of the average: from step `start` on, `ema <- d * ema + (1 - d) * weights`. In (0, 1).
   * @default 0.9999
   */
  readonly decay?: number;
  /**
   * First step that averages; before it each {@link GeneratorEma.update} copies the weights (BigGAN's
   * `ema_start`), so the average does not remember the random initialisation. An integer >= 0.
   * @default 1000
   */
  readonly start?: number;
}

/** One averaged weight, named as the generator's trainable weight it shadows. */
export interface EmaWeight {
  /** The generator weight's name (`LayerVariable.originalName`, stable across builds of one network). */
  readonly name: string;
  /** The average; owned by the {@link GeneratorEma} (do not dispose). */
  readonly tensor: TFJS.Variable;
}

/**
 * An exponential moving average of a generator's trainable weights (issue 4: decay 0.9999 from step
 * 1000), for sampling and evaluation with the averaged generator. Only trainable weights are averaged;
 * batch norm's moving statistics stay the live model's.
 *
 * Call {@link update} after each generator update with the step number; sample with the averaged
 * weights inside {@link withEmaWeights} (or between {@link swapIn} and {@link swapOut}), which swaps the
 * averages into the model's variables in place (no copy of the network is kept besides the average).
 * Every intermediate tensor is released: the tensor count is the same after every update.
 *
 * `tf` is the `@tensorflow/tfjs` module the model was built with.
 *
 * @throws RangeError/TypeError for a bad option.
 */
export class GeneratorEma {
  /** The decay in use. */
  readonly decay: number;
  /** The first averaging step in use. */
  readonly start: number;
  private readonly live: readonly TFJS.LayerVariable[];
  private readonly shadows: TFJS.Variable[];
  private swapped = false;
  private disposed = false;

  constructor(
    private readonly tf: typeof TFJS,
    model: TFJS.LayersModel,
    options: GeneratorEmaOptions = {},
  ) {
    checkOptionKeys('GeneratorEma', options, GENERATOR_EMA_KEYS);
    const action = 'create a generator EMA';
    const decay = options.decay ?? 0.9999;
    if (typeof decay !== 'number' || Number.isNaN(decay)) throw typeError(action, 'decay must be a number', decay);
    if (!(decay > 0 && decay < 1)) throw rangeError(action, 'decay must be in (0, 1)', decay);
    this.decay = decay;
    this.start = checkInteger(action, 'start', options.start ?? 1000, 0);
    if (model.trainableWeights.length === 0)
      throw rangeError(action, 'the model must have trainable weights', model.name);
    this.live = model.trainableWeights;
    this.shadows = this.live.map((w) => tf.tidy(() => tf.variable(w.read().clone(), false)));
  }

  /**
   * Folds the current weights into the average for training step `step`: a copy before `start`,
   * `d * ema + (1 - d) * weights` from `start` on.
   * @throws RangeError for a bad step; Error while the averages are swapped in or after dispose.
   */
  update(step: number): void {
    this.check('update a generator EMA');
    checkInteger('update a generator EMA', 'step', step, 0);
    const tf = this.tf;
    const d = this.decay;
    tf.tidy(() => {
      this.live.forEach((w, i) => {
        const shadow = this.shadows[i]!;
        const value = w.read();
        shadow.assign(step < this.start ? value.clone() : tf.add(tf.mul(shadow, d), tf.mul(value, 1 - d)));
      });
    });
  }

  /**
   * Puts the averages into the model's variables (and keeps the live weights aside) until
   * {@link swapOut}. Do not train while swapped in.
   * @throws Error when already swapped in or after dispose.
   */
  swapIn(): void {
    this.check('swap in a generator EMA');
    this.swap();
    this.swapped = true;
  }

  /**
   * Restores the live weights put aside by {@link swapIn}.
   * @throws Error when not swapped in or after dispose.
   */
  swapOut(): void {
    if (this.disposed) throw new Error('Cannot swap out a generator EMA as it is disposed: current value is disposed');
    if (!this.swapped)
      throw new Error('Cannot swap out a generator EMA as it must be swapped in: current value is false');
    this.swap();
    this.swapped = false;
  }

  /** Runs `fn` with the averaged weights in the model, then restores the live ones (also when `fn` throws). */
  async withEmaWeights<T>(fn: () => T | Promise<T>): Promise<T> {
    this.swapIn();
    try {
      return await fn();
    } finally {
      this.swapOut();
    }
  }

  /**
   * The averages, in the order of the model's `trainableWeights`, for checkpoints.
   * @throws Error while swapped in or after dispose.
   */
  weights(): readonly EmaWeight[] {
    this.check('read a generator EMA');
    return this.live.map((w, i) => ({ name: w.originalName, tensor: this.shadows[i]! }));
  }

  /**
   * Replaces the averages (e.g. from a checkpoint), in the order of {@link weights}. The tensors stay
   * the caller's.
   * @throws RangeError when the count or a shape differs; Error while swapped in or after dispose.
   */
  load(values: readonly TFJS.Tensor[]): void {
    const action = 'load a generator EMA';
    this.check(action);
    if (values.length !== this.shadows.length)
      throw rangeError(action, `there must be ${this.shadows.length} tensors`, values.length);
    values.forEach((v, i) => {
      const shape = this.shadows[i]!.shape;
      if (v.shape.length !== shape.length || v.shape.some((s, j) => s !== shape[j])) {
        throw rangeError(action, `tensor ${i} must have shape [${shape.join(', ')}]`, v.shape);
      }
    });
    this.tf.tidy(() => values.forEach((v, i) => this.shadows[i]!.assign(v.clone())));
  }

  /** Releases the averages (restoring the live weights first if swapped in). Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    if (this.swapped) this.swapOut();
    this.tf.dispose(this.shadows);
    this.disposed = true;
  }

  private check(action: string): void {
    if (this.disposed) throw new Error(`Cannot ${action} as it is disposed: current value is disposed`);
    if (this.swapped) throw new Error(`Cannot ${action} as the averages are swapped in: current value is swapped in`);
  }

  /** Exchanges the contents of each model variable and its average (no copy of the data). */
  private swap(): void {
    this.tf.tidy(() => {
      this.live.forEach((w, i) => {
        const model = w.read() as TFJS.Variable;
        const shadow = this.shadows[i]!;
        const held = model.clone();
        model.assign(shadow);
        shadow.assign(held);
      });
    });
  }
}
