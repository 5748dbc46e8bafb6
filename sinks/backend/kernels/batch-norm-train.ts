import type * as TF from '@tensorflow/tfjs-core';
import { heapOutput, withHeapScratch } from './heap-tensor.js';
import { heapOffset, type WasmBackendMemory } from './wasm-backend-memory.js';
import { elementwiseTeamOf } from '../simd/backend-simd-team.js';
import { runBatchMoments, runBatchNormGradInput, runBatchNormGradSums } from '../simd/batch-norm-train.js';

/** The wasm kernel of a batch's per-channel mean and (biased) variance: `{x}` -> `[mean, variance]`. tfjs has none. */
export const BATCH_MOMENTS = 'NdaflowBatchMoments';

/**
 * The wasm kernel of a batch normalisation's gradient in training (through the batch's moments):
 * `{x, dy, mean, variance, gamma}`, `{varianceEpsilon}` -> `[dx, dgamma, dbeta]`. tfjs has none.
 */
export const BATCH_NORM_GRAD = 'NdaflowBatchNormGrad';

/** All axes but the last (the channels): what a batch normalisation reduces over. */
function channelReductionAxes(rank: number): number[] {
  return Array.from({ length: rank - 1 }, (_, i) => i);
}

/** The SIMD team for float32 tensors of a multiple of 4 channels and enough elements (`elementwiseTeamOf`), else `null`. */
function teamFor(backend: object, x: TF.TensorInfo, ...more: TF.TensorInfo[]) {
  const channels = x.shape[x.shape.length - 1] ?? 1;
  return x.shape.length < 2 || channels % 4 !== 0 ? null : elementwiseTeamOf(backend, [x, ...more]);
}

/** The batch's moments in tfjs ops (any backend): `tf.moments` over all axes but the last. */
export function compositeBatchMoments(tf: typeof TF, x: TF.Tensor): [TF.Tensor, TF.Tensor] {
  const { mean, variance } = tf.moments(x, channelReductionAxes(x.rank));
  return [mean, variance];
}

/**
 * The gradient of `y = gamma * (x - mean) / sqrt(variance + eps) + beta` through the batch's mean and
 * variance (all axes but the last), in tfjs ops (any backend): with n rows, s1 = sum(dy), s2 =
 * sum(dy * (x - mean)), k = gamma / sqrt(variance + eps),
 * `dx = k * (dy - s1 / n) - k * s2 / (n * (variance + eps)) * (x - mean)`, `dgamma = s2 / sqrt(variance + eps)`,
 * `dbeta = s1`.
 */
export function compositeBatchNormGrad(
  tf: typeof TF,
  x: TF.Tensor,
  dy: TF.Tensor,
  mean: TF.Tensor,
  variance: TF.Tensor,
  gamma: TF.Tensor,
  epsilon: number,
): [TF.Tensor, TF.Tensor, TF.Tensor] {
  return tf.tidy(() => {
    const axes = channelReductionAxes(x.rank);
    const n = x.size / (x.shape[x.rank - 1] ?? 1);
    const centred = tf.sub(x, mean);
    const s1 = tf.sum(dy, axes);
    const s2 = tf.sum(tf.mul(dy, centred), axes);
    const invStd = tf.rsqrt(tf.add(variance, epsilon));
    const k = tf.mul(gamma, invStd);
    const b = tf.div(tf.mul(tf.mul(k, s2), tf.square(invStd)), n);
    const dx = tf.sub(tf.mul(k, tf.sub(dy, tf.div(s1, n))), tf.mul(b, centred));
    return [dx, tf.mul(s2, invStd), s1];
  });
}

/**
 * The {@link BATCH_MOMENTS} kernel for wasm: on the threaded build, for float32 tensors of a multiple of
 * 4 channels and at least `SIMD_MIN_ELEMENTS` elements, two passes of the project's SIMD
 * kernel (`simd/batch-norm-train.c`: the mean, then the squared deviations from it) split over the
 * backend's threads by channels; otherwise {@link compositeBatchMoments}.
 *
 * @param tf the loaded `@tensorflow/tfjs-core` module.
 * @param options `simd: false` keeps the composite path on the threaded build too (what the benchmarks compare against).
 * @returns the `KernelConfig` to give to `tf.registerKernel`.
 */
export function batchMomentsKernel(tf: typeof TF, options: { readonly simd?: boolean } = {}): TF.KernelConfig {
  const { simd = true } = options;
  return {
    kernelName: BATCH_MOMENTS,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend }) => {
      const { x } = inputs as unknown as { x: TF.Tensor };
      const team = simd ? teamFor(backend, x) : null;
      if (team === null) return tf.tidy(() => compositeBatchMoments(tf, x));
      const memory = backend as unknown as WasmBackendMemory;
      const channels = x.shape[x.rank - 1]!;
      const at = (t: TF.TensorInfo): number => heapOffset(memory, t);
      const variance = memory.makeOutput([channels], 'float32');
      try {
        const mean = withHeapScratch(memory, [{ floats: channels }], ([part]) =>
          heapOutput(memory, [channels], (m) =>
            runBatchMoments(team, x.size / channels, channels, {
              x: at(x),
              mean: at(m),
              variance: at(variance),
              part: part!,
            }),
          ),
        );
        return [mean, variance];
      } catch (error) {
        memory.disposeData(variance.dataId);
        throw error;
      }
    },
  };
}

/**
 * The {@link BATCH_NORM_GRAD} kernel for wasm: on the threaded build (float32, a multiple of 4 channels,
 * at least `SIMD_MIN_ELEMENTS` elements) one SIMD pass for the per-channel sums and one for
 * `dx` (`simd/batch-norm-train.c`), the per-channel factors computed between them in float32; otherwise
 * {@link compositeBatchNormGrad}.
 *
 * @param tf the loaded `@tensorflow/tfjs-core` module.
 * @param options `simd: false` keeps the composite path on the threaded build too.
 * @returns the `KernelConfig` to give to `tf.registerKernel`.
 */
export function batchNormGradKernel(tf: typeof TF, options: { readonly simd?: boolean } = {}): TF.KernelConfig {
  const { simd = true } = options;
  return {
    kernelName: BATCH_NORM_GRAD,
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { x, dy, mean, variance, gamma } = inputs as unknown as Record<string, TF.Tensor>;
      const { varianceEpsilon: epsilon } = attrs as unknown as { varianceEpsilon: number };
      const team = simd ? teamFor(backend, x!, dy!, mean!, variance!, gamma!) : null;
      if (team === null) return compositeBatchNormGrad(tf, x!, dy!, mean!, variance!, gamma!, epsilon);
      const memory = backend as unknown as WasmBackendMemory;
      const channels = x!.shape[x!.rank - 1]!;
      const rows = x!.size / channels;
      const at = (t: TF.TensorInfo): number => heapOffset(memory, t);
      const heap = (t: TF.TensorInfo): Float32Array => memory.typedArrayFromHeap(t) as Float32Array;
      const outputs: TF.TensorInfo[] = [];
      try {
        const dgamma = memory.makeOutput([channels], 'float32');
        outputs.push(dgamma);
        const dbeta = memory.makeOutput([channels], 'float32');
        outputs.push(dbeta);
        const regions = [
          { floats: channels },
          { floats: 2 * channels },
          ...[0, 1, 2].map(() => ({ floats: channels })),
        ];
        const dx = withHeapScratch(memory, regions, ([s2, part, k, a, b]) =>
          heapOutput(memory, x!.shape, (out) => {
            runBatchNormGradSums(team, rows, channels, {
              x: at(x!),
              dy: at(dy!),
              mean: at(mean!),
              s1: at(dbeta),
              s2: s2!,
              part: part!,
            });
            // the per-channel factors, in float32 (views taken after every allocation: the heap may have grown)
            const buffer = heap(out).buffer;
            const view = (offset: number) => new Float32Array(buffer, offset, channels);
            const [s1v, s2v, kv, av, bv] = [at(dbeta), s2!, k!, a!, b!].map(view) as [
              Float32Array,
              Float32Array,
              Float32Array,
              Float32Array,
              Float32Array,
            ];
            const [v, g, dg] = [heap(variance!), heap(gamma!), heap(dgamma)];
            for (let c = 0; c < channels; c++) {
              const inv = Math.fround(1 / Math.fround(Math.sqrt(Math.fround(v[c]! + epsilon))));
              kv[c] = Math.fround(g[c]! * inv);
              av[c] = Math.fround(s1v[c]! / rows);
              bv[c] = Math.fround(Math.fround(Math.fround(kv[c]! * s2v[c]!) * Math.fround(inv * inv)) / rows);
              dg[c] = Math.fround(s2v[c]! * inv);
            }
            runBatchNormGradInput(team, rows, channels, {
              x: at(x!),
              dy: at(dy!),
              mean: at(mean!),
              k: k!,
              a: a!,
              b: b!,
              dx: at(out),
            });
          }),
        );
        return [dx, dgamma, dbeta];
      } catch (error) {
        for (const t of outputs) memory.disposeData(t.dataId);
        throw error;
      }
    },
  };
}
