import { InvariantError } from './errors.js';

/**
 * Throws `InvariantError` when `condition` is false. A broken invariant is a programmer error:
 * the actor that hit it crashes and its supervisor decides what happens next.
 *
 * The message is a constant string. A message with values in it is built only on failure, written
 * `if (!ok) invariantBroken(`…${value}`)`: a template literal as an argument here would be built on
 * every call, and an arrow function that builds it captures its values, for which V8 allocates a
 * context on every call of the enclosing function, failing or not (measured: a run-queue insert
 * allocated 40 bytes on every wake that way).
 *
 * @example
 * ```ts
 * assert(count <= capacity, 'mailbox count exceeds its capacity');
 * if (!(slot < slotCount)) invariantBroken(`slot ${slot} out of range`);
 * ```
 */
export function assert(condition: boolean, message: string): asserts condition {
  // The throw lives in invariantBroken, which the inline checks of the hot paths call too.
  if (!condition) invariantBroken(message);
}

/**
 * Throws `InvariantError`: the failing branch of an invariant checked inline. For messages with
 * values in them (see `assert`), and for the deepest hot paths, where V8 inlines no further (five
 * calls down from the function it optimizes) and an `assert` call would cost its call every time:
 * `if (!ok) invariantBroken('…')` costs one branch.
 *
 * @example
 * ```ts
 * if (!(cnew > 0)) invariantBroken(`the normalisation factor stays positive, got ${cnew}`);
 * ```
 */
export function invariantBroken(message: string): never {
  throw new InvariantError(message);
}
