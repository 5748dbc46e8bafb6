import { Random } from '../../sources/random.js';

/** `n` float32 values in [-1, 1), the same for one seed (kernel tests feed them to two backends). */
export function seededValues(n: number, seed: number): Float32Array {
  const rng = Random.derive(seed, 'test-values');
  return Float32Array.from({ length: n }, () => rng.float() * 2 - 1);
}
