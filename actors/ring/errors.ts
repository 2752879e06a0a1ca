/**
 * Typed errors of the ring mailboxes. A full ring is not an error (producers get `false` or `-1`
 * and choose to retry, drop or signal overload); a frame that can never fit is.
 */
import { OspreyError } from '../../ground/errors.js';

/**
 * A frame longer than the ring's largest frame (half its data region, see `frameLengthMaxFor`).
 * Retrying cannot help: the sender must split the message or use a bigger ring.
 *
 * @example
 * ```ts
 * try { ring.offer(bytes); } catch (error) {
 *   if (error instanceof RingFrameTooLargeError) sendOutOfBand(bytes); else throw error;
 * }
 * ```
 */
export class RingFrameTooLargeError extends OspreyError {
  readonly code = 'ring-frame-too-large';
  constructor(
    readonly lengthBytes: number,
    readonly lengthBytesMax: number,
  ) {
    super(`a ${lengthBytes}-byte frame exceeds the ring's largest frame of ${lengthBytesMax} bytes`);
  }
}
