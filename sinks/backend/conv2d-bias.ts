import type * as TF from '@tensorflow/tfjs-core';
import { activeBackendHas } from './kernels/active-kernel.js';

/**
 * The kernel of {@link conv2dWithBias} (registered for wasm by `registerWasmKernels`): the backend's
 * `FusedConv2D` with a bias and no activation, under a name of its own so that its gradient (registered
 * beside it, {@link conv2dBiasGradient}) is computed per input, only where asked for.
 */
export const CONV2D_BIAS = 'NdaflowConv2dBias';

/** Attributes of {@link CONV2D_BIAS}: NHWC, dilation 1. */
interface Conv2dBiasAttrs {
  readonly strides: number | [number, number];
  readonly pad: 'same' | 'valid';
}

/**
 * `conv2d(x, filter) + bias` (NHWC, dilation 1, `bias` one value per output channel) as one kernel where
 * the active backend has {@link CONV2D_BIAS} (wasm: the SIMD convolution starts each sum at the bias, so
 * the output is written once), else `tf.conv2d` then `tf.add`. Differentiable either way, and either way
 * its gradient is computed per input only where backpropagation asks: the input gradient
 * (`Conv2DBackpropInput`), the filter's (`Conv2DBackpropFilter`), the bias's (`dy` summed over all axes
 * but the last). `tf.fused.conv2d` computes all three whenever any is asked for (its gradient is a
 * `customGrad`): a generator's update, differentiated through the discriminator, would pay for the
 * discriminator's filter gradients.
 *
 * Why: the separate `Add` of a bias is a pass over the whole output (a [64, 32, 32, 64] output: 0.9 ms on
 * 2 wasm threads; BigGAN ch 16's spectrally normalised convolutions: some 24 ms a step).
 *
 * @param tf the loaded `@tensorflow/tfjs-core` module.
 * @returns the output, `[batch, outHeight, outWidth, outChannels]`.
 */
export function conv2dWithBias(
  tf: typeof TF,
  x: TF.Tensor4D,
  filter: TF.Tensor4D,
  bias: TF.Tensor,
  strides: number,
  pad: 'same' | 'valid',
): TF.Tensor4D {
  if (!activeBackendHas(tf, CONV2D_BIAS)) return tf.add(tf.conv2d(x, filter, strides, pad), bias);
  const attrs: Conv2dBiasAttrs = { strides, pad };
  return tf.engine().runKernel<TF.Tensor4D>(CONV2D_BIAS, { x, filter, bias }, attrs as unknown as TF.NamedAttrMap);
}

/**
 * The wasm kernel of {@link CONV2D_BIAS}: `fused`, the wasm `FusedConv2D` (the project's wrapper, which
 * runs the SIMD convolution with its bias, or the package's kernel), with a linear activation.
 *
 * @param fused the `FusedConv2D` config registered for wasm.
 * @returns the `KernelConfig` to give to `tf.registerKernel`.
 */
export function conv2dBiasKernel(fused: TF.KernelConfig): TF.KernelConfig {
  return {
    kernelName: CONV2D_BIAS,
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const a = attrs as unknown as Conv2dBiasAttrs;
      const fusedAttrs = { ...a, dataFormat: 'NHWC', dilations: 1, activation: 'linear', leakyreluAlpha: 0 };
      return fused.kernelFunc({ inputs, attrs: fusedAttrs, backend });
    },
  };
}

/**
 * The gradient of {@link CONV2D_BIAS}, one closure per input, as tfjs-core's `Conv2D` and `Add` gradients
 * compute them (the same kernels: the same numbers).
 *
 * @param tf the loaded `@tensorflow/tfjs-core` module.
 * @returns the `GradConfig` to give to `tf.registerGradient`.
 */
export function conv2dBiasGradient(tf: typeof TF): TF.GradConfig {
  return {
    kernelName: CONV2D_BIAS,
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter] = saved as [TF.Tensor4D, TF.Tensor4D];
      const { strides, pad } = attrs as unknown as Conv2dBiasAttrs;
      const d = dy as TF.Tensor4D;
      return {
        x: () => tf.conv2dTranspose(d, filter, x.shape, strides, pad),
        filter: () =>
          tf.engine().runKernel<TF.Tensor4D>(
            tf.Conv2DBackpropFilter,
            { x, dy: d },
            {
              strides,
              pad,
              dataFormat: 'NHWC',
              filterShape: filter.shape,
            },
          ),
        bias: () => tf.sum(d, [0, 1, 2]),
      };
    },
  };
}
