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

/** `bytes` itself when it is `length` long, else a copy of it followed by zeros up to `length`. */
export function zeroPadded(bytes: Uint8Array, length: number): Uint8Array {
  if (bytes.byteLength === length) return bytes;
  const padded = new Uint8Array(length);
  padded.set(bytes);
  return padded;
}

/** Whether `a` and `b` hold the same bytes. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
