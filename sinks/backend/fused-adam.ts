import type * as TF from '@tensorflow/tfjs-core';
import { heapOffset, type WasmBackendMemory } from './kernels/wasm-backend-memory.js';
import { simdTeamOf } from './simd/backend-simd-team.js';
import { ADAM } from './simd/simd-kernels.js';
import { elementRanges, floatBits } from './simd/team-arguments.js';

/**
 * Below this many elements a variable's update runs on one thread: waking a helper costs about 0.1 ms
 * (`TEAM_MIN_ELEMENTS`), and an update reads four arrays and writes three (0.2 ms after the previous call,
 * one thread against two: 0.033 against 0.070 ms at 16K elements, 0.22 against 0.26 at 128K, 0.43 against
 * 0.24 at 256K, 1.26 against 0.77 at 1M). It was 16K.
 */
const SPLIT_FROM = 1 << 18;

/** The fields of tfjs-core 4.22.0's `AdamOptimizer` that the fused update reads and writes (private there). */
interface AdamInternals {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly accBeta1: TF.Variable;
  readonly accBeta2: TF.Variable;
  readonly accumulatedFirstMoment: Array<{ originalName: string; variable: TF.Variable } | undefined>;
  readonly accumulatedSecondMoment: Array<{ originalName: string; variable: TF.Variable } | undefined>;
}

/**
 * `tf.train.adam(learningRate, beta1, beta2, epsilon)`, except that on the threaded wasm backend each
 * float32 variable's update is one pass of the project's SIMD kernel (`simd/adam.c`) split over the
 * backend's threads, instead of tfjs-core's thirteen element-wise kernels (about 35 ms of a DCGAN step
 * for its 1.85 M parameters). The arithmetic is tfjs-core's, in the same order, so the weights and
 * moments are the same float32 numbers; the optimizer is a `tf.AdamOptimizer` (its state, `getWeights`,
 * `setWeights` and serialisation are the package's). On any other backend, or with a variable that is not
 * float32, it is the package's update.
 *
 * @param tf the loaded `@tensorflow/tfjs-core` module.
 */
export function createAdam(
  tf: typeof TF,
  learningRate: number,
  beta1 = 0.9,
  beta2 = 0.999,
  epsilon?: number,
): TF.AdamOptimizer {
  class FusedAdamOptimizer extends tf.AdamOptimizer {
    override applyGradients(variableGradients: Parameters<TF.AdamOptimizer['applyGradients']>[0]): void {
      const entries = Array.isArray(variableGradients)
        ? variableGradients.map((v) => [v.name, v.tensor] as const)
        : Object.entries(variableGradients);
      const variables = tf.engine().registeredVariables;
      const fits = entries.every(([name, g]) => variables[name]?.dtype === 'float32' && g?.dtype === 'float32');
      const team = fits && tf.getBackend() === 'wasm' ? simdTeamOf(tf.backend()) : null;
      if (team === null) {
        super.applyGradients(variableGradients);
        return;
      }
      const self = this as unknown as AdamInternals;
      const backend = tf.backend();
      const memory = backend as unknown as WasmBackendMemory;
      const at = (t: TF.TensorInfo): number => heapOffset(memory, t);
      // tfjs-core computes 1 - accBeta in float32 (sub(1, accBeta)); so does this
      const c1 = Math.fround(1 - self.accBeta1.dataSync()[0]!);
      const c2 = Math.fround(1 - self.accBeta2.dataSync()[0]!);
      const constants = [
        floatBits(self.beta1),
        floatBits(1 - self.beta1),
        floatBits(self.beta2),
        floatBits(1 - self.beta2),
        floatBits(c1),
        floatBits(c2),
        floatBits(self.epsilon),
        floatBits(-self.learningRate),
      ];
      tf.tidy(() => {
        entries.forEach(([name, gradient], i) => {
          const value = variables[name]!;
          self.accumulatedFirstMoment[i] ??= {
            originalName: `${name}/m`,
            variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
          };
          self.accumulatedSecondMoment[i] ??= {
            originalName: `${name}/v`,
            variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
          };
          if (gradient == null) return;
          const m = self.accumulatedFirstMoment[i].variable;
          const v = self.accumulatedSecondMoment[i].variable;
          const outs = [0, 1, 2].map(() => memory.makeOutput(value.shape, 'float32'));
          const [w2, m2, v2] = outs.map((info) => tf.engine().makeTensorFromTensorInfo(info, backend)) as [
            TF.Tensor,
            TF.Tensor,
            TF.Tensor,
          ];
          const n = value.size;
          const ranges = elementRanges(n, 4, team.threads, SPLIT_FROM);
          const common = [at(value), at(gradient), at(m), at(v), at(w2), at(m2), at(v2)];
          team.run(
            ADAM,
            ranges.map(([i0, i1]) => [...common, i0, i1, ...constants]),
          );
          m.assign(m2);
          v.assign(v2);
          value.assign(w2);
        });
        self.accBeta1.assign(tf.mul(self.accBeta1, self.beta1));
        self.accBeta2.assign(tf.mul(self.accBeta2, self.beta2));
      });
      this.incrementIterations();
    }
  }
  return new FusedAdamOptimizer(learningRate, beta1, beta2, epsilon);
}
