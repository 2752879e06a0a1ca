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
  // The throw lives in invariantBroken, which the inline checks of the hot paths call too.
  if (!condition) invariantBroken(message);
}

/**
 * Throws `InvariantError`: the failing branch of an invariant checked inline. For the deepest hot
 * paths, where V8 inlines no further (five calls down from the function it optimizes) and an
 * `assert` call would cost its call every time: `if (!ok) invariantBroken('…')` costs one branch.
 *
 * @example
 * ```ts
 * if (!(cnew > 0)) invariantBroken('the normalisation factor stays positive');
 * ```
 */
export function invariantBroken(message: string | (() => string)): never {
  throw new InvariantError(typeof message === 'string' ? message : message());
}
