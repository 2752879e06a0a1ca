/**
 * The real random driver: a seeded generator whose seed comes from the operating system.
 *
 * Real runs still use the seeded generator, never `Math.random`, so a production incident can be
 * replayed: log `random.seed` at boot and feed it to `createSeededRandom` in the simulator.
 */
import { assert } from '../../ground/assert.js';
import type { Random } from './random.js';
import { createSeededRandom } from './seeded.js';

/** 2^21: the high word is cut to 21 bits so the seed stays a safe integer (53 bits in all). */
const seedHighLimit = 2 ** 21;

/**
 * Creates a generator seeded from `crypto.getRandomValues` with 53 bits of entropy.
 *
 * @example
 * ```ts
 * const random = createRealRandom();
 * log.info('boot', { seed: random.seed }); // replay later with createSeededRandom(seed)
 * const jitter = random.stream('supervisor/backoff').next();
 * ```
 */
export function createRealRandom(): Random {
  // The Web Crypto global: node:crypto would load with the runtime, and only a boot needs it.
  const words = globalThis.crypto.getRandomValues(new Uint32Array(2));
  const seed = (words[0]! % seedHighLimit) * 2 ** 32 + words[1]!;
  assert(Number.isSafeInteger(seed) && seed >= 0, 'a seed is a safe non-negative integer');
  return createSeededRandom(seed);
}
