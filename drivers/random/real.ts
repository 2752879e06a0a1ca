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
  const seed = (nextEntropyWord() % seedHighLimit) * 2 ** 32 + nextEntropyWord();
  assert(Number.isSafeInteger(seed) && seed >= 0, 'a seed is a safe non-negative integer');
  return createSeededRandom(seed);
}

/**
 * Words from the operating system's generator, drawn `entropyWordsPerDraw` at a time: one call
 * costs about as much as the rest of a boot, whatever it fills. The Web Crypto global, not
 * node:crypto, which would load with the runtime.
 */
const entropyWordsPerDraw = 256;
const entropy = new Uint32Array(entropyWordsPerDraw);
let entropyUsed = entropyWordsPerDraw;

function nextEntropyWord(): number {
  if (entropyUsed === entropyWordsPerDraw) {
    globalThis.crypto.getRandomValues(entropy);
    entropyUsed = 0;
  }
  return entropy[entropyUsed++]!;
}
