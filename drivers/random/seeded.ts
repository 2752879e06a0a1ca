/**
 * The seeded random driver: sfc32 generators keyed by (seed, stream name).
 *
 * Why sfc32: 128 bits of state in four 32-bit words, updated with adds, xors, shifts and a
 * rotation only (fast in V8, no multiplications), good statistical quality for its size, and a
 * built-in counter word that guarantees a period of at least 2^32 from every state, so no seed
 * can land on a short cycle.
 *
 * A generator is identified by its derivation key: '' for the root, `name` for `root.stream(name)`,
 * `key + '/' + name` below that. Its state depends only on (seed, key), never on what was drawn
 * before, which is what lets a new subsystem draw numbers without shifting anyone else's.
 */
import { assert } from '../../ground/assert.js';
import { InvariantError } from '../../ground/errors.js';
import type { Random } from './random.js';

/** How many outputs are thrown away after seeding, so the four state words are fully mixed. */
const warmupRounds = 15;
/** Rejection sampling needs < 2 tries on average; 64 straight rejections (p < 2^-64) means a broken generator. */
const rejectionTriesMax = 64;
const twoPow32 = 2 ** 32;

/**
 * Creates a deterministic generator: the same seed always gives the same numbers and streams.
 *
 * @param seed any safe integer; nearby seeds (1, 2, 3…) give unrelated sequences.
 * @example
 * ```ts
 * const random = createSeededRandom(42);
 * const faults = random.stream('sim/faults');
 * if (faults.next() < 0.01) dropPacket();
 * const backoff = random.stream('supervisor/backoff').int(100); // 0..99, same for seed 42
 * ```
 */
export function createSeededRandom(seed: number): Random {
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(`createSeededRandom: seed must be a safe integer, got ${String(seed)}`);
  }
  return new Sfc32Random(seed, '');
}

class Sfc32Random implements Random {
  private a: number;
  private b: number;
  private c: number;
  private counter: number;

  constructor(
    readonly seed: number,
    private readonly key: string,
  ) {
    // Each lane goes through its own bijective mixer, so distinct (seed, key hash) give distinct
    // states, and a one-bit change in the seed flips about half the bits of a lane.
    const seedLo = seed >>> 0;
    const seedHi = Math.floor(seed / twoPow32) >>> 0;
    this.a = splitmix32(seedLo ^ 0x243f6a88);
    this.b = splitmix32(seedHi ^ 0x85a308d3);
    this.c = splitmix32(fnv1a32(key, 0x811c9dc5));
    this.counter = splitmix32(fnv1a32(key, 0x13198a2e) ^ key.length);
    for (let round = 0; round < warmupRounds; round += 1) this.nextUint32();
  }

  next(): number {
    // 53 random bits, the full precision of a double: 27 from one word and 26 from the next.
    const high = this.nextUint32() >>> 5;
    const low = this.nextUint32() >>> 6;
    const value = (high * 67_108_864 + low) / 9_007_199_254_740_992;
    assert(value >= 0 && value < 1, 'a draw is in [0, 1)');
    return value;
  }

  int(maxExclusive: number): number {
    if (!Number.isInteger(maxExclusive) || maxExclusive <= 0 || maxExclusive > twoPow32) {
      throw new RangeError(`int: maxExclusive must be an integer in [1, 2^32], got ${String(maxExclusive)}`);
    }
    if (maxExclusive === twoPow32) return this.nextUint32();
    // Unbiased: accept only words below the largest multiple of maxExclusive that fits in 32 bits,
    // so every residue has the same number of preimages.
    const acceptedLimit = twoPow32 - (twoPow32 % maxExclusive);
    for (let tries = 0; tries < rejectionTriesMax; tries += 1) {
      const word = this.nextUint32();
      if (word < acceptedLimit) return word % maxExclusive;
    }
    throw new InvariantError(`int: ${rejectionTriesMax} rejections in a row; the generator is broken`);
  }

  stream(name: string): Random {
    if (typeof name !== 'string' || name.length === 0) {
      throw new RangeError('stream: name must be a non-empty string');
    }
    // Keys compose by path, so r.stream('a').stream('b') is r.stream('a/b').
    return new Sfc32Random(this.seed, this.key === '' ? name : `${this.key}/${name}`);
  }

  /** One sfc32 step (Chris Doty-Humphrey's Small Fast Chaotic generator, 32-bit variant). */
  private nextUint32(): number {
    const result = (this.a + this.b + this.counter) >>> 0;
    this.counter = (this.counter + 1) >>> 0;
    this.a = (this.b ^ (this.b >>> 9)) >>> 0;
    this.b = (this.c + (this.c << 3)) >>> 0;
    const rotated = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (rotated + result) >>> 0;
    return result;
  }
}

/** splitmix32's output function on one step: a bijective avalanche mixer of a 32-bit word. */
function splitmix32(word: number): number {
  let z = (word + 0x9e3779b9) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}

/**
 * FNV-1a 32 over the UTF-16 code units of `text`, low byte then high byte (that is, over its
 * UTF-16LE encoding). Two offset bases give two hashes, 64 bits of key material per stream.
 */
function fnv1a32(text: string, offsetBasis: number): number {
  let hash = offsetBasis >>> 0;
  for (let index = 0; index < text.length; index += 1) {
    const unit = text.charCodeAt(index);
    hash = Math.imul(hash ^ (unit & 0xff), 0x01000193);
    hash = Math.imul(hash ^ (unit >>> 8), 0x01000193);
  }
  return hash >>> 0;
}
