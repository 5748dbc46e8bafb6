/**
 * The one PRNG module. Every random choice in ndaflow derives from a seed and a path of names
 * (seed, epoch, rank, worker, sample key, ...) so that runs are reproducible and independent of the
 * interleaving of parallel stages. Nothing else draws randomness (no global generator).
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

/**
 * Seeds a fast stream of 32-bit words (xoshiro128**, Blackman and Vigna) from a {@link Random}, for
 * bulk randomness such as noise images, where drawing each value through `Random` is ~30x slower.
 * The state is 4 words in an Int32Array that {@link nextWord} advances.
 */
export function seedWordStream(state: Int32Array, rng: Random): Int32Array {
  for (let j = 0; j < 4; j++) state[j] = Math.floor(rng.float() * 4294967296) | 0;
  if ((state[0]! | state[1]! | state[2]! | state[3]!) === 0) state[0] = 1;
  return state;
}

/** The next 32-bit word of a stream seeded by {@link seedWordStream} (xoshiro128**). */
export function nextWord(s: Int32Array): number {
  const s0 = s[0] as number;
  const s1 = s[1] as number;
  const s2 = s[2] as number;
  const s3 = s[3] as number;
  const m = Math.imul(s1, 5);
  const result = Math.imul((m << 7) | (m >>> 25), 9);
  const t = s1 << 9;
  const n2 = s2 ^ s0;
  const n3 = s3 ^ s1;
  s[1] = s1 ^ n2;
  s[0] = s0 ^ n3;
  s[2] = n2 ^ t;
  s[3] = (n3 << 11) | (n3 >>> 21);
  return result;
}

/** A fresh seed for a run started without one (the caller logs it so the run can be repeated). */
export function freshSeed(): number {
  return randomBytes(4).readUInt32LE(0);
}
