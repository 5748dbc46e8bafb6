import type * as TFJS from '@tensorflow/tfjs';
import { checkInteger, rangeError } from '../../sources/errors.js';
import { deriveSeed } from '../../sources/random.js';

/** The tfjs Glorot initialisers `seededKernel` can seed (tfjs-layers' default is `glorotNormal`). */
export type GlorotKind = 'glorotNormal' | 'glorotUniform';

/**
 * The `kernelInitializer` for one layer of a network, seeded from `deriveSeed(seed, scope, layerName)`
 * so that a network built twice with the same seed has the same weights (tfjs's default initialisers
 * are unseeded). `layerName` must be a stable label of the layer in its network (e.g.
 * `'generator/convT1'`), not tfjs's auto-generated name, which counts layers process-wide.
 *
 * Returns a partial layer config to spread into the layer's options: `{ kernelInitializer }` with
 * tfjs's own seeded initialiser (`tf.initializers.glorotNormal({seed})` by default, the same
 * distribution as tfjs-layers' default kernel initialiser), or `{}` when `seed` is `undefined`, which
 * leaves tfjs's default (unseeded) behaviour untouched. Biases and batch norm start at constants and
 * need no seed.
 *
 * @param kind Which Glorot initialiser. @default 'glorotNormal'
 * @throws RangeError/TypeError when `seed` is not an integer in [0, 2^32 - 1] or `kind` is unknown.
 */
export function seededKernel(
  tf: typeof TFJS,
  seed: number | undefined,
  scope: string,
  layerName: string,
  kind: GlorotKind = 'glorotNormal',
): { kernelInitializer?: ReturnType<typeof TFJS.initializers.glorotNormal> } {
  const action = 'seed a kernel initialiser';
  if (kind !== 'glorotNormal' && kind !== 'glorotUniform') {
    throw rangeError(action, "kind must be 'glorotNormal' or 'glorotUniform'", kind);
  }
  if (seed === undefined) return {};
  checkInteger(action, 'seed', seed, 0, 0xffffffff);
  const layerSeed = deriveSeed(seed, scope, layerName);
  return { kernelInitializer: tf.initializers[kind]({ seed: layerSeed }) };
}
