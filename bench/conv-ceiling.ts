import type * as TFJS from '@tensorflow/tfjs';
import type { CountedLayer } from './gan-macs.js';
import { originalKernel } from '../sinks/backend/kernels/wrapped-kernel.js';

/**
 * The backend's own convolution (`tf.conv2d`, forward) on one layer's shapes, timed alone, sampled as often
 * as the caller likes (e.g. between training steps, so that a passing load on the machine cannot make one
 * ceiling of the run low); the best rate of all samples is kept, in two forms:
 * - `cached`: the same filter every call, so the backend's prepared operator is reused (on wasm, XNNPACK's
 *   packed weights): the ceiling `bench:train-step` measures its steps against;
 * - `freshFilter`: a filter with new data every call, as every convolution of a training step has (the
 *   weights change after each update, and the gradient convolutions' filters are activations), so the
 *   backend prepares its operator each time.
 * Where the registered `Conv2D` is one of the project's (the wasm SIMD convolution, which wraps the
 * package's), the package's own kernel (XNNPACK) is timed too and the better of the two kept, so that a
 * faster convolution raises the ceiling rather than hiding it; {@link ConvCeiling.peakKernel} says which.
 * Only one element of the output is read back (the whole output's readback is not convolution).
 */
export class ConvCeiling {
  private readonly x: TFJS.Tensor4D;
  private readonly w: TFJS.Tensor4D;
  private readonly macs: number;
  private readonly kernels: ReadonlyArray<{ readonly name: string; readonly config: TFJS.KernelConfig | undefined }>;
  private bestCached = 0;
  private bestFresh = 0;
  private bestKernel = '';
  private readonly bestByKernel = new Map<string, number>();
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
    const registered = tf.getKernel(tf.Conv2D, tf.getBackend());
    const original = registered === undefined ? undefined : originalKernel(registered);
    this.kernels =
      original === undefined || original === registered
        ? [{ name: 'registered', config: undefined }]
        : [
            { name: 'ndaflow', config: undefined },
            { name: 'package', config: original },
          ];
  }

  /**
   * Times `times` calls of each form (after one untimed call of each on the first sample); returns the
   * best same-filter rate of this sample (the ceiling at this moment).
   */
  async sample(times = 1): Promise<number> {
    if (!this.warmedUp) {
      for (const k of this.kernels) {
        await this.once(this.w, k.config);
        await this.freshOnce(k.config);
      }
      this.warmedUp = true;
    }
    let best = 0;
    for (let i = 0; i < times; i++) {
      for (const k of this.kernels) {
        const cached = this.rate(await this.once(this.w, k.config));
        best = Math.max(best, cached);
        this.bestByKernel.set(k.name, Math.max(this.bestByKernel.get(k.name) ?? 0, cached));
        if (cached > this.bestCached) {
          this.bestCached = cached;
          this.bestKernel = k.name;
        }
        this.bestFresh = Math.max(this.bestFresh, this.rate(await this.freshOnce(k.config)));
      }
    }
    return best;
  }

  /** Best GMAC/s of each convolution timed (same filter every call), by the names of {@link peakKernel}. */
  get byKernel(): Readonly<Record<string, number>> {
    return Object.fromEntries(this.bestByKernel);
  }

  /** Which convolution gave {@link cached}: `ndaflow` (the project's), `package` (the backend package's) or `registered` (the only one). */
  get peakKernel(): string {
    return this.bestKernel;
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

  private async freshOnce(config: TFJS.KernelConfig | undefined): Promise<number> {
    const w = this.tf.mul<TFJS.Tensor4D>(this.w, 1); // new data, so nothing prepared for the old filter applies
    await w.data();
    const ms = await this.once(w, config);
    w.dispose();
    return ms;
  }

  /** One convolution: `tf.conv2d` (the registered kernel), or `config`'s kernel called directly. */
  private async once(w: TFJS.Tensor4D, config: TFJS.KernelConfig | undefined): Promise<number> {
    const c = this.layer.conv;
    const tf = this.tf;
    const start = performance.now();
    const y =
      config === undefined
        ? tf.conv2d(this.x, w, c.strides, c.padding)
        : tf.engine().makeTensorFromTensorInfo(
            config.kernelFunc({
              inputs: { x: this.x, filter: w },
              attrs: { strides: c.strides, pad: c.padding, dataFormat: 'NHWC', dilations: 1 },
              backend: tf.backend(),
            }) as TFJS.TensorInfo,
            tf.backend(),
          );
    const probe = this.tf.slice(y, [0, 0, 0, 0], [1, 1, 1, 1]);
    await probe.data();
    const ms = performance.now() - start;
    this.tf.dispose([y, probe]);
    return ms;
  }
}
