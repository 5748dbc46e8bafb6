import type * as TFJS from '@tensorflow/tfjs';
import { batchNormTraining } from '../backend/batch-norm-training.js';
import { conv2dWithBias } from '../backend/conv2d-bias.js';
import { rangeError, typeError } from '../../sources/errors.js';
import { deriveSeed } from '../../sources/random.js';
import { addWeightOf, type LayerVariable } from './layer-weights.js';

type Layer = TFJS.layers.Layer;
type LayerArgs = NonNullable<ConstructorParameters<typeof TFJS.layers.Layer>[0]>;
type Shape = (number | null)[];
type Kwargs = Record<string, unknown>;

/** Options common to the layers of {@link ganLayers} that hold weights. */
export interface SeededLayerConfig extends LayerArgs {
  /**
   * Seed of the layer's initialisers (kernel: `glorotNormal({seed: deriveSeed(seed, 'kernel')})`, power
   * iteration vector: `randomNormal({seed: deriveSeed(seed, 'u')})`). Kept in the layer's config, so a
   * loaded model re-creates the same layer before its saved weights replace the initial ones.
   * @default undefined (unseeded)
   */
  readonly seed?: number | null;
  /**
   * Initialisation of the layer's weights (kernel, embedding, table): `'glorot'` (tfjs's `glorotNormal`)
   * or `'N02'`, the normal distribution N(0, 0.02) of BigGAN's `--G_init N02 --D_init N02` (the NDA
   * paper's runs). With `'N02'` a bias starts as PyTorch's default `uniform(-1/sqrt(fanIn), 1/sqrt(fanIn))`
   * (BigGAN re-initialises only the weights), and a conditional batch norm's gain table starts at
   * `1 + N(0, 0.02)`, its bias table at N(0, 0.02) (BigGAN's `ccbn`: gain `1 + embed(y)`).
   * @default 'glorot' (biases 0, gains 1)
   */
  readonly init?: 'glorot' | 'N02';
}

/** Config of the spectrally normalised conv layer of {@link ganLayers}. */
export interface SnConv2dConfig extends SeededLayerConfig {
  /** Output channels. */
  readonly filters: number;
  /** Square kernel side. */
  readonly kernelSize: number;
  /** Stride (both axes). @default 1 */
  readonly strides?: number;
  /** Padding. @default 'same' */
  readonly padding?: 'same' | 'valid';
  /** Whether to add a bias. @default true */
  readonly useBias?: boolean;
  /** Epsilon of the power iteration's normalisation. @default 1e-12 */
  readonly epsilon?: number;
}

/** Config of the unfused conv layer of {@link ganLayers}. */
export interface UnfusedConv2dConfig extends LayerArgs {
  /** Output channels. */
  readonly filters: number;
  /** Square kernel side. */
  readonly kernelSize: number;
  /** Stride (both axes). @default 1 */
  readonly strides?: number;
  /** Padding. @default 'same' */
  readonly padding?: 'same' | 'valid';
  /** Whether to add a bias (starts at 0). @default true */
  readonly useBias?: boolean;
  /**
   * Seed of the kernel's `glorotNormal` (tfjs-layers' default kernel initialiser), used as given, not
   * derived: `createDcgan` passes the seed `seededKernel` would give `tf.layers.conv2d`, so the layer
   * starts with the weights that layer would have.
   * @default undefined (unseeded)
   */
  readonly kernelSeed?: number | null;
}

/** Config of the spectrally normalised dense layer of {@link ganLayers}. */
export interface SnDenseConfig extends SeededLayerConfig {
  /** Output units. */
  readonly units: number;
  /** Whether to add a bias. @default true */
  readonly useBias?: boolean;
  /** Epsilon of the power iteration's normalisation. @default 1e-12 */
  readonly epsilon?: number;
}

/** Config of the class-conditional layers of {@link ganLayers}. */
export interface ClassLayerConfig extends SeededLayerConfig {
  /** Number of classes (labels are integers in [0, classes)). */
  readonly classes: number;
}

/** Config of the conditional batch norm of {@link ganLayers}. */
export interface ConditionalBatchNormConfig extends ClassLayerConfig {
  /** tfjs momentum of the moving statistics (PyTorch's 0.1). @default 0.9 */
  readonly momentum?: number;
  /** Variance epsilon. @default 1e-5 */
  readonly epsilon?: number;
}

/** Config of the projection head of {@link ganLayers}. */
export interface ProjectionConfig extends ClassLayerConfig {
  /** Spectrally normalise the class embedding (as BigGAN). @default true */
  readonly spectral?: boolean;
  /** Epsilon of the power iteration's normalisation. @default 1e-12 */
  readonly epsilon?: number;
}

/** Config of the class embedding of {@link ganLayers}. */
export interface ClassEmbeddingConfig extends ClassLayerConfig {
  /** Embedding size. */
  readonly units: number;
}

/**
 * The custom tfjs-layers of the GAN networks, built for one `tf` module (the classes extend its
 * `tf.layers.Layer`) and registered with `tf.serialization.registerClass`, so models using them
 * round-trip through `model.save` / `tf.loadLayersModel` once `ganLayers(tf)` has been called in the
 * loading process. Class labels `y` are always `[n, 1]` int32 (or float holding integers) tensors.
 */
export interface GanLayers {
  /**
   * Conv2d with spectral normalisation (Miyato et al. 2018): the kernel, seen as a
   * `[k*k*cin, filters]` matrix W, is divided by sigma, its largest singular value estimated by one
   * power iteration per training-mode call (`v = l2n(u W^T)`, `u = l2n(v W)`, `sigma = v W u^T`, no
   * gradient through u and v); `u` is a non-trainable weight `[1, filters]` updated on each
   * training-mode call and only read in inference mode. Class name `NdaflowSnConv2d`.
   */
  snConv2d(config: SnConv2dConfig): Layer;
  /**
   * Conv2d + bias as `conv2dWithBias` (`ndaflow`'s backend module: one kernel on wasm, `tf.conv2d` then
   * `tf.add` elsewhere), the weights (`kernel [k, k, cin, filters]`, `bias`) and output of
   * `tf.layers.conv2d`. Why not that layer: its fused convolution (`tf.fused.conv2d`, bias in the
   * kernel) has a custom gradient that computes the input, filter and bias gradients together whenever
   * any is asked for, while `conv2dWithBias`'s gradient, as `tf.conv2d`'s, computes each one only for an
   * input on the path to the variables being differentiated. A GAN's generator update differentiates G's
   * variables through D, so with the fused layer it also pays for D's filter gradients (a backward
   * convolution per D layer, thrown away); the discriminator update likewise pays for the gradient w.r.t.
   * its input images. Class name `NdaflowUnfusedConv2d`.
   */
  unfusedConv2d(config: UnfusedConv2dConfig): Layer;
  /** Dense with spectral normalisation (as {@link GanLayers.snConv2d}, W `[in, units]`). Class name `NdaflowSnDense`. */
  snDense(config: SnDenseConfig): Layer;
  /**
   * Conditional batch norm: inputs `[x [n,h,w,c], y [n,1]]`; batch norm without its own affine, then
   * per-class gain (starts at 1, or `1 + N(0, 0.02)` with `init: 'N02'`) and bias (0, or N(0, 0.02)),
   * `[classes, c]` trainable tables. Batch statistics in training mode (moving ones updated), moving
   * statistics in inference mode. With `classes: 1` it may take `x` alone (every sample class 0: BigGAN's
   * unconditional `ccbn`). Class name `NdaflowConditionalBatchNorm`.
   */
  conditionalBatchNorm(config: ConditionalBatchNormConfig): Layer;
  /**
   * Projection discriminator head (Miyato & Koyama 2018): inputs `[h [n,c], y [n,1]]` -> `[n,1]` =
   * `sum(embed(y) * h)`, the `[classes, c]` embedding spectrally normalised unless `spectral: false`.
   * With `classes: 1` it may take `h` alone (every sample class 0: BigGAN's unconditional D).
   * Class name `NdaflowProjection`.
   */
  projection(config: ProjectionConfig): Layer;
  /** Learned class embedding: `y [n,1]` -> `[n, units]` (one-hot times a table). Class name `NdaflowClassEmbedding`. */
  classEmbedding(config: ClassEmbeddingConfig): Layer;
  /** Global sum pooling `[n,h,w,c]` -> `[n,c]`. Class name `NdaflowGlobalSumPooling2d`. */
  globalSumPooling2d(config?: LayerArgs): Layer;
}

const cache = new WeakMap<object, GanLayers>();

/**
 * The custom layers for `tf` (see {@link GanLayers}); built and registered once per `tf` module.
 * Call it before `tf.loadLayersModel` of a model that uses them.
 */
export function ganLayers(tf: typeof TFJS): GanLayers {
  const cached = cache.get(tf);
  if (cached !== undefined) return cached;
  const built = buildLayers(tf);
  cache.set(tf, built);
  return built;
}

function buildLayers(tf: typeof TFJS): GanLayers {
  const stopGradient = tf.customGrad<TFJS.Tensor>(((x: TFJS.Tensor) => ({
    value: x.clone(),
    gradFunc: (dy: TFJS.Tensor) => tf.zerosLike(dy),
  })) as never);
  const l2n = (x: TFJS.Tensor, eps: number) => tf.div(x, tf.add(tf.norm(x), eps));

  /** W `[in, out]` / sigma, with u `[1, out]` (updated when training). Runs inside a tidy. */
  const normalise = (w: TFJS.Tensor2D, u: LayerVariable, training: boolean, eps: number): TFJS.Tensor2D => {
    const uOld = u.read();
    const v = stopGradient(l2n(tf.matMul(uOld, w, false, true), eps));
    let uNew = uOld;
    if (training) {
      uNew = stopGradient(l2n(tf.matMul(v, w), eps));
      u.write(uNew);
    }
    const sigma = tf.sum(tf.mul(tf.matMul(v, w), uNew));
    return tf.div(w, sigma);
  };
  const seedOf = (seed: number | null | undefined, part: string) =>
    seed === undefined || seed === null ? undefined : deriveSeed(seed, part);
  type Init = 'glorot' | 'N02';
  const kernelInit = (seed: number | null | undefined, init: Init = 'glorot') =>
    init === 'N02'
      ? tf.initializers.randomNormal({ mean: 0, stddev: 0.02, seed: seedOf(seed, 'kernel') })
      : tf.initializers.glorotNormal({ seed: seedOf(seed, 'kernel') });
  /** Zeros, or with `'N02'` PyTorch's default bias `uniform(+-1/sqrt(fanIn))` (BigGAN leaves biases at it). */
  const biasInit = (seed: number | null | undefined, init: Init, fanIn: number) =>
    init === 'N02'
      ? tf.initializers.randomUniform({
          minval: -1 / Math.sqrt(fanIn),
          maxval: 1 / Math.sqrt(fanIn),
          seed: seedOf(seed, 'bias'),
        })
      : tf.initializers.zeros();
  const checkInit = (init: unknown): Init => {
    if (init === undefined || init === 'glorot' || init === 'N02') return init ?? 'glorot';
    if (init === 'n02') return 'N02'; // tfjs's serialisation snake-cases string config values on save
    throw rangeError('build a GAN layer', "init must be 'glorot' or 'N02'", init);
  };
  const uInit = (seed: number | null | undefined) =>
    tf.initializers.randomNormal({ mean: 0, stddev: 1, seed: seedOf(seed, 'u') });
  const single = (inputs: TFJS.Tensor | TFJS.Tensor[]) => (Array.isArray(inputs) ? inputs[0]! : inputs);
  const labelsOneHot = (y: TFJS.Tensor, classes: number) =>
    tf.cast(tf.oneHot(tf.cast<TFJS.Tensor1D>(tf.reshape(y, [-1]), 'int32'), classes), 'float32');
  const lastDim = (shape: Shape | Shape[]): number => {
    const s = (Array.isArray(shape[0]) ? shape[0] : shape) as Shape;
    return s[s.length - 1] as number;
  };
  const base = (config: LayerArgs) => {
    const { seed: _s, ...rest } = config as SeededLayerConfig & Record<string, unknown>;
    for (const k of [
      'filters',
      'kernelSize',
      'strides',
      'padding',
      'useBias',
      'epsilon',
      'units',
      'classes',
      'momentum',
      'spectral',
      'init',
      'kernelSeed',
    ])
      delete rest[k];
    return rest as LayerArgs;
  };
  /** The NHWC output shape of a square-kernel convolution. */
  const convOutputShape = (
    inputShape: Shape | Shape[],
    c: { kernelSize: number; strides: number; padding: 'same' | 'valid'; filters: number },
  ): Shape => {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const side = (d: number | null) =>
      d === null
        ? null
        : c.padding === 'same'
          ? Math.ceil(d / c.strides)
          : Math.floor((d - c.kernelSize) / c.strides) + 1;
    return [s[0] ?? null, side(s[1] ?? null), side(s[2] ?? null), c.filters];
  };
  /** The settings both conv layers save (their `getConfig`), beside their own. */
  interface ConvSettings {
    readonly filters: number;
    readonly kernelSize: number;
    readonly strides: number;
    readonly padding: 'same' | 'valid';
    readonly useBias: boolean;
  }
  const convConfig = (c: ConvSettings): TFJS.serialization.ConfigDict => ({
    filters: c.filters,
    kernelSize: c.kernelSize,
    strides: c.strides,
    padding: c.padding,
    useBias: c.useBias,
  });
  /** `tf.conv2d`, or `conv2dWithBias` (both differentiated per input, only where needed: see GanLayers). */
  const convPlusBias = (
    x: TFJS.Tensor4D,
    w: TFJS.Tensor4D,
    c: ConvSettings,
    bias: LayerVariable | null,
  ): TFJS.Tensor =>
    bias === null ? tf.conv2d(x, w, c.strides, c.padding) : conv2dWithBias(tf, x, w, bias.read(), c.strides, c.padding);
  // Every weight-holding layer adds weights with the (protected) addWeight.
  const add = addWeightOf;

  class SnConv2d extends tf.layers.Layer {
    static className = 'NdaflowSnConv2d';
    readonly filters: number;
    readonly kernelSize: number;
    readonly strides: number;
    readonly padding: 'same' | 'valid';
    readonly useBias: boolean;
    readonly epsilon: number;
    readonly seed: number | null;
    readonly init: Init;
    private kernel!: LayerVariable;
    private bias: LayerVariable | null = null;
    private u!: LayerVariable;
    constructor(config: SnConv2dConfig) {
      super(base(config));
      this.init = checkInit(config.init);
      this.filters = config.filters;
      this.kernelSize = config.kernelSize;
      this.strides = config.strides ?? 1;
      this.padding = config.padding ?? 'same';
      this.useBias = config.useBias ?? true;
      this.epsilon = config.epsilon ?? 1e-12;
      this.seed = config.seed ?? null;
    }
    override build(inputShape: Shape | Shape[]): void {
      const cin = lastDim(inputShape);
      const k = this.kernelSize;
      this.kernel = add(this)('kernel', [k, k, cin, this.filters], 'float32', kernelInit(this.seed, this.init));
      if (this.useBias)
        this.bias = add(this)('bias', [this.filters], 'float32', biasInit(this.seed, this.init, k * k * cin));
      this.u = add(this)('u', [1, this.filters], 'float32', uInit(this.seed), undefined, false);
      this.built = true;
    }
    override computeOutputShape(inputShape: Shape | Shape[]): Shape {
      return convOutputShape(inputShape, this);
    }
    override call(inputs: TFJS.Tensor | TFJS.Tensor[], kwargs: Kwargs): TFJS.Tensor {
      return tf.tidy(() => {
        const x = single(inputs) as TFJS.Tensor4D;
        const shape = this.kernel.read().shape as [number, number, number, number];
        const w2d = tf.reshape<TFJS.Rank.R2>(this.kernel.read(), [-1, this.filters]);
        const w = tf.reshape<TFJS.Rank.R4>(normalise(w2d, this.u, kwargs['training'] === true, this.epsilon), shape);
        return convPlusBias(x, w, this, this.bias);
      });
    }
    override getConfig(): TFJS.serialization.ConfigDict {
      return {
        ...super.getConfig(),
        ...convConfig(this),
        epsilon: this.epsilon,
        seed: this.seed,
        init: this.init,
      };
    }
  }

  class UnfusedConv2d extends tf.layers.Layer {
    static className = 'NdaflowUnfusedConv2d';
    readonly filters: number;
    readonly kernelSize: number;
    readonly strides: number;
    readonly padding: 'same' | 'valid';
    readonly useBias: boolean;
    readonly kernelSeed: number | null;
    private kernel!: LayerVariable;
    private bias: LayerVariable | null = null;
    constructor(config: UnfusedConv2dConfig) {
      super(base(config));
      this.filters = config.filters;
      this.kernelSize = config.kernelSize;
      this.strides = config.strides ?? 1;
      this.padding = config.padding ?? 'same';
      this.useBias = config.useBias ?? true;
      this.kernelSeed = config.kernelSeed ?? null;
    }
    override build(inputShape: Shape | Shape[]): void {
      const k = this.kernelSize;
      const shape = [k, k, lastDim(inputShape), this.filters];
      const seed = this.kernelSeed ?? undefined;
      this.kernel = add(this)('kernel', shape, 'float32', tf.initializers.glorotNormal({ seed }));
      if (this.useBias) this.bias = add(this)('bias', [this.filters], 'float32', tf.initializers.zeros());
      this.built = true;
    }
    override computeOutputShape(inputShape: Shape | Shape[]): Shape {
      return convOutputShape(inputShape, this);
    }
    override call(inputs: TFJS.Tensor | TFJS.Tensor[]): TFJS.Tensor {
      return tf.tidy(() =>
        convPlusBias(single(inputs) as TFJS.Tensor4D, this.kernel.read() as TFJS.Tensor4D, this, this.bias),
      );
    }
    override getConfig(): TFJS.serialization.ConfigDict {
      return {
        ...super.getConfig(),
        ...convConfig(this),
        kernelSeed: this.kernelSeed,
      };
    }
  }

  class SnDense extends tf.layers.Layer {
    static className = 'NdaflowSnDense';
    readonly units: number;
    readonly useBias: boolean;
    readonly epsilon: number;
    readonly seed: number | null;
    readonly init: Init;
    private kernel!: LayerVariable;
    private bias: LayerVariable | null = null;
    private u!: LayerVariable;
    constructor(config: SnDenseConfig) {
      super(base(config));
      this.init = checkInit(config.init);
      this.units = config.units;
      this.useBias = config.useBias ?? true;
      this.epsilon = config.epsilon ?? 1e-12;
      this.seed = config.seed ?? null;
    }
    override build(inputShape: Shape | Shape[]): void {
      const fanIn = lastDim(inputShape);
      this.kernel = add(this)('kernel', [fanIn, this.units], 'float32', kernelInit(this.seed, this.init));
      if (this.useBias) this.bias = add(this)('bias', [this.units], 'float32', biasInit(this.seed, this.init, fanIn));
      this.u = add(this)('u', [1, this.units], 'float32', uInit(this.seed), undefined, false);
      this.built = true;
    }
    override computeOutputShape(inputShape: Shape | Shape[]): Shape {
      const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
      return [...s.slice(0, -1), this.units];
    }
    override call(inputs: TFJS.Tensor | TFJS.Tensor[], kwargs: Kwargs): TFJS.Tensor {
      return tf.tidy(() => {
        const x = single(inputs) as TFJS.Tensor2D;
        const w = normalise(this.kernel.read() as TFJS.Tensor2D, this.u, kwargs['training'] === true, this.epsilon);
        const y = tf.matMul(x, w);
        return this.bias === null ? y : tf.add(y, this.bias.read());
      });
    }
    override getConfig(): TFJS.serialization.ConfigDict {
      return {
        ...super.getConfig(),
        units: this.units,
        useBias: this.useBias,
        epsilon: this.epsilon,
        seed: this.seed,
        init: this.init,
      };
    }
  }

  class ConditionalBatchNorm extends tf.layers.Layer {
    static className = 'NdaflowConditionalBatchNorm';
    readonly classes: number;
    readonly momentum: number;
    readonly epsilon: number;
    readonly seed: number | null;
    readonly init: Init;
    private gain!: LayerVariable;
    private bias!: LayerVariable;
    private movingMean!: LayerVariable;
    private movingVariance!: LayerVariable;
    constructor(config: ConditionalBatchNormConfig) {
      super(base(config));
      this.seed = config.seed ?? null;
      this.init = checkInit(config.init);
      this.classes = config.classes;
      this.momentum = config.momentum ?? 0.9;
      this.epsilon = config.epsilon ?? 1e-5;
    }
    override build(inputShape: Shape | Shape[]): void {
      const c = lastDim(inputShape);
      const n02 = this.init === 'N02';
      const normal = (mean: number, part: string) =>
        tf.initializers.randomNormal({ mean, stddev: 0.02, seed: seedOf(this.seed, part) });
      this.gain = add(this)('gain', [this.classes, c], 'float32', n02 ? normal(1, 'gain') : tf.initializers.ones());
      this.bias = add(this)('bias', [this.classes, c], 'float32', n02 ? normal(0, 'bias') : tf.initializers.zeros());
      this.movingMean = add(this)('moving_mean', [c], 'float32', tf.initializers.zeros(), undefined, false);
      this.movingVariance = add(this)('moving_variance', [c], 'float32', tf.initializers.ones(), undefined, false);
      this.built = true;
    }
    override computeOutputShape(inputShape: Shape | Shape[]): Shape {
      return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    }
    override call(inputs: TFJS.Tensor | TFJS.Tensor[], kwargs: Kwargs): TFJS.Tensor {
      return tf.tidy(() => {
        const [x, y] = Array.isArray(inputs) ? inputs : [inputs, undefined];
        const c = x.shape[x.rank - 1]!;
        let normed: TFJS.Tensor;
        if (kwargs['training'] === true) {
          // the batch's moments, and the gradient through them, in one op (see batchNormTraining)
          const batch = batchNormTraining(tf, x, tf.ones([c]), tf.zeros([c]), this.epsilon);
          normed = batch.y;
          const m = this.momentum;
          this.movingMean.write(tf.add(tf.mul(this.movingMean.read(), m), tf.mul(batch.mean, 1 - m)));
          this.movingVariance.write(tf.add(tf.mul(this.movingVariance.read(), m), tf.mul(batch.variance, 1 - m)));
        } else {
          const variance = this.movingVariance.read();
          normed = tf.mul(tf.sub(x, this.movingMean.read()), tf.rsqrt(tf.add(variance, this.epsilon)));
        }
        if (y === undefined) {
          if (this.classes !== 1) throw typeError('apply a conditional batch norm', 'it needs labels', 'none');
          // one class, no labels: the table's single row, as BigGAN's unconditional ccbn (all y = 0)
          return tf.add(tf.mul(normed, tf.reshape(this.gain.read(), [c])), tf.reshape(this.bias.read(), [c]));
        }
        const hot = labelsOneHot(y, this.classes);
        const gain = tf.reshape(tf.matMul(hot, this.gain.read() as TFJS.Tensor2D), [-1, 1, 1, c]);
        const bias = tf.reshape(tf.matMul(hot, this.bias.read() as TFJS.Tensor2D), [-1, 1, 1, c]);
        return tf.add(tf.mul(normed, gain), bias);
      });
    }
    override getConfig(): TFJS.serialization.ConfigDict {
      return {
        ...super.getConfig(),
        classes: this.classes,
        momentum: this.momentum,
        epsilon: this.epsilon,
        seed: this.seed,
        init: this.init,
      };
    }
  }

  class Projection extends tf.layers.Layer {
    static className = 'NdaflowProjection';
    readonly classes: number;
    readonly spectral: boolean;
    readonly epsilon: number;
    readonly seed: number | null;
    readonly init: Init;
    private embedding!: LayerVariable;
    private u: LayerVariable | null = null;
    constructor(config: ProjectionConfig) {
      super(base(config));
      this.init = checkInit(config.init);
      this.classes = config.classes;
      this.spectral = config.spectral ?? true;
      this.epsilon = config.epsilon ?? 1e-12;
      this.seed = config.seed ?? null;
    }
    override build(inputShape: Shape | Shape[]): void {
      const c = lastDim(inputShape);
      this.embedding = add(this)('embedding', [this.classes, c], 'float32', kernelInit(this.seed, this.init));
      if (this.spectral) this.u = add(this)('u', [1, c], 'float32', uInit(this.seed), undefined, false);
      this.built = true;
    }
    override computeOutputShape(inputShape: Shape | Shape[]): Shape {
      const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
      return [s[0] ?? null, 1];
    }
    override call(inputs: TFJS.Tensor | TFJS.Tensor[], kwargs: Kwargs): TFJS.Tensor {
      return tf.tidy(() => {
        const [h, y] = Array.isArray(inputs) ? inputs : [inputs, undefined];
        const table = this.embedding.read() as TFJS.Tensor2D;
        const e = this.u === null ? table : normalise(table, this.u, kwargs['training'] === true, this.epsilon);
        // one class, no labels: the single row for every sample (BigGAN's unconditional D, all y = 0)
        if (y === undefined && this.classes !== 1) throw typeError('apply a projection', 'it needs labels', 'none');
        const rows = y === undefined ? e : tf.matMul(labelsOneHot(y, this.classes), e);
        return tf.sum(tf.mul(rows, h), 1, true);
      });
    }
    override getConfig(): TFJS.serialization.ConfigDict {
      return {
        ...super.getConfig(),
        classes: this.classes,
        spectral: this.spectral,
        epsilon: this.epsilon,
        seed: this.seed,
        init: this.init,
      };
    }
  }

  class ClassEmbedding extends tf.layers.Layer {
    static className = 'NdaflowClassEmbedding';
    readonly classes: number;
    readonly units: number;
    readonly seed: number | null;
    private table!: LayerVariable;
    constructor(config: ClassEmbeddingConfig) {
      super(base(config));
      this.classes = config.classes;
      this.units = config.units;
      this.seed = config.seed ?? null;
    }
    override build(): void {
      this.table = add(this)('embedding', [this.classes, this.units], 'float32', kernelInit(this.seed));
      this.built = true;
    }
    override computeOutputShape(inputShape: Shape | Shape[]): Shape {
      const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
      return [s[0] ?? null, this.units];
    }
    override call(inputs: TFJS.Tensor | TFJS.Tensor[]): TFJS.Tensor {
      return tf.tidy(() => tf.matMul(labelsOneHot(single(inputs), this.classes), this.table.read() as TFJS.Tensor2D));
    }
    override getConfig(): TFJS.serialization.ConfigDict {
      return { ...super.getConfig(), classes: this.classes, units: this.units, seed: this.seed };
    }
  }

  class GlobalSumPooling2d extends tf.layers.Layer {
    static className = 'NdaflowGlobalSumPooling2d';
    override computeOutputShape(inputShape: Shape | Shape[]): Shape {
      const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
      return [s[0] ?? null, s[3] ?? null];
    }
    override call(inputs: TFJS.Tensor | TFJS.Tensor[]): TFJS.Tensor {
      return tf.tidy(() => tf.sum(single(inputs), [1, 2]));
    }
  }

  for (const cls of [
    SnConv2d,
    UnfusedConv2d,
    SnDense,
    ConditionalBatchNorm,
    Projection,
    ClassEmbedding,
    GlobalSumPooling2d,
  ]) {
    tf.serialization.registerClass(cls);
  }
  return {
    snConv2d: (config) => new SnConv2d(config),
    unfusedConv2d: (config) => new UnfusedConv2d(config),
    snDense: (config) => new SnDense(config),
    conditionalBatchNorm: (config) => new ConditionalBatchNorm(config),
    projection: (config) => new Projection(config),
    classEmbedding: (config) => new ClassEmbedding(config),
    globalSumPooling2d: (config = {}) => new GlobalSumPooling2d(config),
  };
}
