/**
 * A lock in one word of shared memory, for the few short sections that change a structure every
 * CPU shares (the buddy allocator's free lists). It spins, since such a section lasts well under a
 * microsecond, and past `lockSpinsMax` it sleeps in short waits, so a holder that was descheduled
 * by the operating system gets the core back. Not re-entrant.
 *
 * @example
 * ```ts
 * withLock(words, lockWord, () => unlinkBlock(frame));
 * ```
 */
import { assert } from '../../ground/assert.js';
import { lockSpinsMax } from './limits.js';

/** How long a CPU that spun out sleeps before it tries again, in ms. */
const backoffMs = 0.05;

/** Runs `section` holding the lock in `words[word]`, and returns what it returns. */
export function withLock<T>(words: Int32Array, word: number, section: () => T): T {
  acquire(words, word);
  try {
    return section();
  } finally {
    release(words, word);
  }
}

export function acquire(words: Int32Array, word: number): void {
  let spins = 0;
  while (Atomics.compareExchange(words, word, 0, 1) !== 0) {
    if (++spins > lockSpinsMax) {
      Atomics.wait(words, word, 1, backoffMs);
      spins = 0;
    }
  }
}

export function release(words: Int32Array, word: number): void {
  const was = Atomics.exchange(words, word, 0);
  assert(was === 1, 'released a lock that was not held');
}
