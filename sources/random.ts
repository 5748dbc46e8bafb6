/**
 * The one PRNG module. Every random choice in ndaflow derives from a seed and a path of names
 * (seed, epoch, rank, worker, sample key, ...) so that runs are reproducible and independent of the
 * interleaving of parallel stages. No `Math.random` anywhere else.
 */
import { xoroshiro128plus, xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';
import { randomBytes } from 'node:crypto';

/** A stable 32-bit hash (FNV-1a over UTF-16 code units, then avalanche) of a path of parts. */
export function deriveSeed(...parts: readonly (string | number)[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    const s = typeof part === 'number' ? `#${part}` : `$${part}`;
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    h ^= 0x2f; // separator
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A seeded generator with a serialisable state. */
export class Random {
  private readonly rng: RandomGenerator;

  private constructor(rng: RandomGenerator) {
    this.rng = rng;
  }

  /** A generator seeded from a path of parts: `Random.derive(seed, 'shuffle', epoch)`. */
  static derive(...parts: readonly (string | number)[]): Random {
    return new Random(xoroshiro128plus(deriveSeed(...parts)));
  }

  /** A generator restored from {@link Random.state}. */
  static fromState(state: readonly number[]): Random {
    return new Random(xoroshiro128plusFromState(state));
  }

  /** Integer in [from, to], both included. */
  int(from: number, to: number): number {
    return uniformInt(this.rng, from, to);
  }

  /** Float in [0, 1). */
  float(): number {
    return uniformFloat64(this.rng);
  }

  /** Shuffles an array in place (Fisher-Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      const t = items[i] as T;
      items[i] = items[j] as T;
      items[j] = t;
    }
    return items;
  }

  /** The generator's state, for exact resume. */
  state(): number[] {
    return [...this.rng.getState()];
  }
}

/** A fresh seed for a run started without one (the caller logs it so the run can be repeated). */
export function freshSeed(): number {
  return randomBytes(4).readUInt32LE(0);
}
