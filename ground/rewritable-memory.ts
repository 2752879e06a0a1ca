/**
 * Memory that code other than a buffer's holder may rewrite once a call returns: every
 * SharedArrayBuffer (another thread may write it), and buffers marked so, such as the VM's physical
 * memory when its CPUs share one thread (a plain ArrayBuffer, whose frames the VM hands out again). A
 * driver that keeps bytes past its call, as libuv keeps a socket write's, copies such bytes first.
 *
 * @example
 * ```ts
 * const memory = new ArrayBuffer(1 << 20);
 * markRewritable(memory);
 * mayBeRewritten(new Uint8Array(memory, 0, 16)); // true: a driver keeps a copy, not this view
 * ```
 */

const marked = new WeakSet<ArrayBufferLike>();

/** Marks `buffer` as memory others may rewrite (see the module doc). */
export function markRewritable(buffer: ArrayBufferLike): void {
  marked.add(buffer);
}

/** Whether `bytes` lie in memory others may rewrite once the caller returns: keep a copy, not them. */
export function mayBeRewritten(bytes: Uint8Array): boolean {
  const buffer = bytes.buffer;
  return buffer instanceof SharedArrayBuffer || marked.has(buffer);
}
