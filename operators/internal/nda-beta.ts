import type { Random } from '../../sources/random.js';

/**
 * A Beta(a, b) variate from a seeded generator, as `X / (X + Y)` with X ~ Gamma(a), Y ~ Gamma(b)
 * drawn by Marsaglia and Tsang's method ("A simple method for generating gamma variables", 2000;
 * shape < 1 by the boost `Gamma(a) = Gamma(a + 1) * U^(1/a)`). The gammas are carried as
 * logarithms, so tiny shapes (whose variates underflow to 0) still give a value in [0, 1] rather
 * than 0/0. Draws a variable number of values from `rng` (rejection), deterministically.
 */
export function sampleBeta(rng: Random, a: number, b: number): number {
  const lx = logGammaVariate(rng, a);
  const ly = logGammaVariate(rng, b);
  return 1 / (1 + Math.exp(ly - lx));
}

/** log of a Gamma(shape, 1) variate. */
function logGammaVariate(rng: Random, shape: number): number {
  if (shape < 1) {
    // 1 - float() is in (0, 1], so its log is finite.
    return logGammaVariate(rng, shape + 1) + Math.log(1 - rng.float()) / shape;
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = standardNormal(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rng.float();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return Math.log(d) + Math.log(v);
  }
}

/** A standard normal variate (Box-Muller; one of the pair). */
function standardNormal(rng: Random): number {
  const u1 = 1 - rng.float();
  const u2 = rng.float();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}
