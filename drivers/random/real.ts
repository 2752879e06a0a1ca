/**
 * The real random driver: a seeded generator whose seed comes from the operating system.
 *
 * Real runs still use the seeded generator, never `Math.random`, so a production incident can be
 * replayed: log `random.seed` at boot and feed it to `createSeededRandom` in the simulator.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { assert } from '../../ground/assert.js';
import type { Random } from './random.js';
import { createSeededRandom } from './seeded.js';

/** 2^21: the high word is cut to 21 bits so the seed stays a safe integer (53 bits in all). */
const seedHighLimit = 2 ** 21;

/**
 * Creates a generator seeded with 53 bits of entropy from the operating system (see `fillEntropy`).
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
 * costs about as much as the rest of a boot, whatever it fills.
 */
const entropyWordsPerDraw = 256;
const entropy = new Uint32Array(entropyWordsPerDraw);
let entropyUsed = entropyWordsPerDraw;

function nextEntropyWord(): number {
  if (entropyUsed === entropyWordsPerDraw) {
    fillEntropy(entropy);
    entropyUsed = 0;
  }
  return entropy[entropyUsed++]!;
}

/**
 * Fills `words` from the operating system's generator: `/dev/urandom` where there is one, else the
 * Web Crypto global. Why not Web Crypto first: its first use in a thread loads Node's webcrypto
 * modules, 6–9 ms, most of a process's first `Kernel.boot()`; reading the device takes under 1 ms
 * (docs/measured-limits.md §3g). node:crypto would load as much.
 */
function fillEntropy(words: Uint32Array<ArrayBuffer>): void {
  let device = -1;
  try {
    device = openSync(urandomPath, 'r');
    if (readSync(device, words) === words.byteLength) return;
  } catch {
    // No such device (Windows), or it cannot be read: Web Crypto below.
  } finally {
    if (device >= 0) closeSync(device);
  }
  globalThis.crypto.getRandomValues(words);
}

const urandomPath = '/dev/urandom';
