/**
 * How an item's bytes lie in its chunks in VM memory: a header (the key's length, the value's
 * length and the flags, 32 bits each, at the start of `itemHeaderBytes`), then the key, then the
 * value, one after the other across the chunks of a chained item. Writes go a frame at a time and
 * report each frame written, so the store knows which frames its pages hold, also after a write
 * that ran out of physical memory part way (the VM throws OutOfMemoryError; the caller decides).
 *
 * @example
 * ```ts
 * writeItemBytes(memory, [chunk], 152, key, value, flags, (address, length) => markTouched(address, length));
 * readValueBytes(memory, [chunk], 152, key.length, value.length); // a copy of value
 * ```
 */
import { invariantBroken } from '../../ground/assert.js';
import type { MemoryAccess } from '../../actors/vm/memory-access.js';
import { pageBytes } from '../../actors/vm/limits.js';
import { itemHeaderBytes, itemHeaderWrittenBytes } from './limits-slabs.js';

/** Told `[address, address + length)` was written: its frames are backed now. */
export type WrittenRange = (address: number, length: number) => void;

/** Writes header, key and value into `chunks` of `chunkBytes`; throws what the VM throws (OutOfMemoryError when frames ran out). */
export function writeItemBytes(
  memory: MemoryAccess,
  chunks: readonly number[],
  chunkBytes: number,
  key: Uint8Array,
  value: Uint8Array,
  flags: number,
  written: WrittenRange,
): void {
  const first = chunks[0]!;
  // Each word marked as soon as it is written: the header may straddle two frames, and a write
  // that faults on the second must still count the first as touched.
  memory.writeU32(first, key.length);
  written(first, 4);
  memory.writeU32(first + 4, value.length);
  written(first + 4, 4);
  memory.writeU32(first + 8, flags >>> 0);
  written(first + 8, itemHeaderWrittenBytes - 8);
  eachPiece(chunks, chunkBytes, itemHeaderBytes, key.length, (address, at, count) => writeFrames(memory, address, key.subarray(at, at + count), written));
  eachPiece(chunks, chunkBytes, itemHeaderBytes + key.length, value.length, (address, at, count) =>
    writeFrames(memory, address, value.subarray(at, at + count), written),
  );
}

/**
 * A copy of the value of the item in `chunks`, after checking its header still says `keyBytes` and
 * `valueBytes` (paired with writeItemBytes: the chunk still holds this item).
 */
export function readValueBytes(memory: MemoryAccess, chunks: readonly number[], chunkBytes: number, keyBytes: number, valueBytes: number): Uint8Array {
  const first = chunks[0]!;
  if (memory.readU32(first) !== keyBytes || memory.readU32(first + 4) !== valueBytes)
    invariantBroken(`the chunk at 0x${first.toString(16)} holds another item than the one of ${keyBytes}-byte key and ${valueBytes}-byte value`);
  const valueOffset = itemHeaderBytes + keyBytes;
  if (chunks.length === 1) return memory.read(first + valueOffset, valueBytes);
  const value = new Uint8Array(valueBytes);
  eachPiece(chunks, chunkBytes, valueOffset, valueBytes, (address, at, count) => value.set(memory.read(address, count), at));
  return value;
}

/** Writes `data` at `address` a frame at a time, telling `written` about each frame once written. */
function writeFrames(memory: MemoryAccess, address: number, data: Uint8Array, written: WrittenRange): void {
  for (let done = 0; done < data.length; ) {
    const at = address + done;
    const count = Math.min(data.length - done, pageBytes - (at % pageBytes));
    memory.write(at, data.subarray(done, done + count));
    written(at, count);
    done += count;
  }
}

/** Calls `each(address, at, count)` for the pieces of the item's bytes `[offset, offset + length)`, chunk by chunk. */
function eachPiece(
  chunks: readonly number[],
  chunkBytes: number,
  offset: number,
  length: number,
  each: (address: number, at: number, count: number) => void,
): void {
  for (let done = 0; done < length; ) {
    const position = offset + done;
    const index = Math.floor(position / chunkBytes);
    const within = position - index * chunkBytes;
    const count = Math.min(length - done, chunkBytes - within);
    if (!(index < chunks.length)) invariantBroken(`item byte ${position} lies past its ${chunks.length} chunks`);
    each(chunks[index]! + within, done, count);
    done += count;
  }
}
