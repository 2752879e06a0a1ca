/**
 * A lock in one word of shared memory, for the few short sections that change a structure every
 * CPU shares (the buddy allocator's free lists). It only spins: a section lasts well under a
 * microsecond, and a timed wait would need the clock driver (kernel code takes no time from
 * elsewhere), which a simulated machine, one thread, never contends for anyway. Not re-entrant.
 *
 * @example
 * ```ts
 * withLock(words, lockWord, () => unlinkBlock(frame));
 * ```
 */
import { assert } from '../../ground/assert.js';

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
  while (Atomics.compareExchange(words, word, 0, 1) !== 0);
}

export function release(words: Int32Array, word: number): void {
  const was = Atomics.exchange(words, word, 0);
  assert(was === 1, 'released a lock that was not held');
}
