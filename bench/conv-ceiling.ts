import type * as TFJS from '@tensorflow/tfjs';
import type { CountedLayer } from './gan-macs.js';

/**
 * The backend's own convolution (`tf.conv2d`, forward) on one layer's shapes, timed alone, sampled as often
 * as the caller likes (e.g. between training steps, so that a passing load on the machine cannot make one
 * ceiling of the run low); the best rate of all samples is kept, in two forms:
 * - `cached`: the same filter every call, so the backend's prepared operator is reused (on wasm, XNNPACK's
 *   packed weights): the ceiling `bench:train-step` measures its steps against;
 * - `freshFilter`: a filter with new data every call, as every convolution of a training step has (the
 *   weights change after each update, and the gradient convolutions' filters are activations), so the
 *   backend prepares its operator each time.
 * Only one element of the output is read back (the whole output's readback is not convolution).
 */
export class ConvCeiling {
  private readonly x: TFJS.Tensor4D;
  private readonly w: TFJS.Tensor4D;
  private readonly macs: number;
  private bestCached = 0;
  private bestFresh = 0;
  private warmedUp = false;

  constructor(
    private readonly tf: typeof TFJS,
    private readonly layer: CountedLayer & { readonly conv: NonNullable<CountedLayer['conv']> },
    batch: number,
  ) {
    const c = layer.conv;
    this.x = tf.randomNormal<TFJS.Rank.R4>([batch, ...c.input], 0, 1, 'float32', 1);
    this.w = tf.randomNormal<TFJS.Rank.R4>([c.kernel, c.kernel, c.input[2], c.filters], 0, 0.02, 'float32', 2);
    this.macs = batch * layer.macs;
  }

  /** Times `times` calls of each form (after one untimed call of each on the first sample). */
  async sample(times = 1): Promise<void> {
    if (!this.warmedUp) {
      await this.once(this.w);
      await this.freshOnce();
      this.warmedUp = true;
    }
    for (let i = 0; i < times; i++) {
      this.bestCached = Math.max(this.bestCached, this.rate(await this.once(this.w)));
      this.bestFresh = Math.max(this.bestFresh, this.rate(await this.freshOnce()));
    }
  }

  /** Best GMAC/s with the same filter every call. */
  get cached(): number {
    return this.bestCached;
  }

  /** Best GMAC/s with a new filter every call. */
  get freshFilter(): number {
    return this.bestFresh;
  }

  dispose(): void {
    this.tf.dispose([this.x, this.w]);
  }

  private rate(ms: number): number {
    return this.macs / (ms / 1000) / 1e9;
  }

  private async freshOnce(): Promise<number> {
    const w = this.tf.mul<TFJS.Tensor4D>(this.w, 1); // new data, so nothing prepared for the old filter applies
    await w.data();
    const ms = await this.once(w);
    w.dispose();
    return ms;
  }

  private async once(w: TFJS.Tensor4D): Promise<number> {
    const c = this.layer.conv;
    const start = performance.now();
    const y = this.tf.conv2d(this.x, w, c.strides, c.padding);
    const probe = this.tf.slice(y, [0, 0, 0, 0], [1, 1, 1, 1]);
    await probe.data();
    const ms = performance.now() - start;
    this.tf.dispose([y, probe]);
    return ms;
  }
}
