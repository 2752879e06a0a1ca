import { InvariantError } from './errors.js';

/**
 * Throws `InvariantError` when `condition` is false. A broken invariant is a programmer error:
 * the actor that hit it crashes and its supervisor decides what happens next.
 *
 * @example
 * ```ts
 * assert(count <= capacity, 'mailbox count exceeds its capacity');
 * assert(slot < slotCount, () => `slot ${slot} out of range`); // built only on failure: use on hot paths
 * ```
 */
export function assert(condition: boolean, message: string | (() => string)): asserts condition {
  if (!condition) throw new InvariantError(typeof message === 'string' ? message : message());
}
