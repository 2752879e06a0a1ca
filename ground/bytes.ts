/**
 * Copies of bytes. `Uint8Array.prototype.slice` is not one to rely on: a Node `Buffer` is a
 * `Uint8Array` whose `slice` returns a view of the same memory, so a "copy" made with it changes
 * when its source does, and writing to it writes to the source.
 *
 * @example
 * ```ts
 * const kept = copyOfBytes(Buffer.from('abc')); // its own memory, whatever the caller does next
 * ```
 */

/** `bytes[start, end)` in memory of its own. */
export function copyOfBytes(bytes: Uint8Array, start = 0, end = bytes.byteLength): Uint8Array {
  return new Uint8Array(bytes.subarray(start, end));
}
