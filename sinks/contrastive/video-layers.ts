import type * as TFJS from '@tensorflow/tfjs';

type Shape = (number | null)[];

/** Config of the layers of {@link videoLayers}. */
export interface UnfoldTimeConfig {
  /** Frames per clip `t`: `[n * t, ...]` becomes `[n, t, ...]`. An integer >= 1. */
  readonly frames: number;
  /** Layer name. @default tfjs's generated name */
  readonly name?: string;
}

/**
 * The two reshaping layers the (2+1)D video encoder needs, because tfjs-layers' `reshape` never
 * touches the batch axis and the wasm backend has no `Conv3D` kernel: {@link VideoLayers.foldTime}
 * turns clips `[n, t, h, w, c]` into frames `[n * t, h, w, c]` (so a `conv2d` is a per-frame spatial
 * conv) and {@link VideoLayers.unfoldTime} turns them back. Both are pure reshapes (no weights) and
 * are registered with `tf.serialization.registerClass` (class names `NdaflowFoldTime`,
 * `NdaflowUnfoldTime`), so models using them save and load once `videoLayers(tf)` has run.
 */
export interface VideoLayers {
  /** `[n, t, h, w, c]` -> `[n * t, h, w, c]`. */
  foldTime(config?: { readonly name?: string }): TFJS.layers.Layer;
  /** `[n * t, h, w, c]` -> `[n, t, h, w, c]` with `t = frames`. */
  unfoldTime(config: UnfoldTimeConfig): TFJS.layers.Layer;
}

/**
 * The time fold / unfold layers of {@link VideoLayers}, built for one `tf` module (the classes extend
 * its `tf.layers.Layer`).
 */
export function videoLayers(tf: typeof TFJS): VideoLayers {
  const single = (inputs: TFJS.Tensor | TFJS.Tensor[]): TFJS.Tensor => (Array.isArray(inputs) ? inputs[0]! : inputs);
  const shapeOf = (inputShape: Shape | Shape[]): Shape =>
    (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;

  class FoldTime extends tf.layers.Layer {
    static className = 'NdaflowFoldTime';
    override computeOutputShape(inputShape: Shape | Shape[]): Shape {
      const s = shapeOf(inputShape);
      return [null, ...s.slice(2)];
    }
    override call(inputs: TFJS.Tensor | TFJS.Tensor[]): TFJS.Tensor {
      const x = single(inputs);
      return tf.reshape(x, [-1, ...x.shape.slice(2)]);
    }
  }

  class UnfoldTime extends tf.layers.Layer {
    static className = 'NdaflowUnfoldTime';
    readonly frames: number;
    constructor(config: UnfoldTimeConfig) {
      super(config.name === undefined ? {} : { name: config.name });
      this.frames = config.frames;
    }
    override computeOutputShape(inputShape: Shape | Shape[]): Shape {
      const s = shapeOf(inputShape);
      return [null, this.frames, ...s.slice(1)];
    }
    override call(inputs: TFJS.Tensor | TFJS.Tensor[]): TFJS.Tensor {
      const x = single(inputs);
      return tf.reshape(x, [-1, this.frames, ...x.shape.slice(1)]);
    }
    override getConfig(): TFJS.serialization.ConfigDict {
      return { ...super.getConfig(), frames: this.frames };
    }
  }

  for (const cls of [FoldTime, UnfoldTime]) {
    tf.serialization.registerClass(cls);
  }
  return {
    foldTime: (config = {}) => new FoldTime(config.name === undefined ? {} : { name: config.name }),
    unfoldTime: (config) => new UnfoldTime(config),
  };
}
