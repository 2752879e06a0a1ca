/**
 * How an item's bytes lie in its chunks: the header (item-header.ts), then the key, then the value,
 * one after the other across the chunks of a chained item. Writes go a frame at a time and report
 * each frame written, so the store knows which frames its pages hold, also after a write that ran
 * out of physical memory part way (the VM throws OutOfMemoryError; the caller decides).
 *
 * @example
 * ```ts
 * writeItemBytes(memory, [chunk], 152, { key, value, flags, cas, exptimeMs, nowMs }, (address, length) => slabs.markTouched(address, length));
 * readValueBytes(memory, [chunk], 152, key.length, value.length); // a copy of value
 * ```
 */
import { invariantBroken } from '../../../ground/assert.js';
import type { MemoryAccess } from '../../../actors/vm/memory-access.js';
import { pageBytes } from '../../../actors/vm/limits.js';
import { itemHeaderBytes } from './limits-slabs.js';
import { itemField, itemKind, kindWord } from './item-header.js';

/** Told `[address, address + length)` was written: its frames are backed now. */
export type WrittenRange = (address: number, length: number) => void;

/** What a new item's chunks are written with. */
export interface ItemContent {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  readonly flags: number;
  readonly cas: number;
  readonly exptimeMs: number;
  readonly nowMs: number;
}

const headerScratch = new Uint8Array(itemHeaderBytes);
const headerFields = new DataView(headerScratch.buffer);

/**
 * Writes header, key and value into `chunks` of `chunkBytes`, the kind left 'carved' (the item
 * table makes it an item when it links it); throws what the VM throws.
 */
export function writeItemBytes(memory: MemoryAccess, chunks: readonly number[], chunkBytes: number, content: ItemContent, written: WrittenRange): void {
  const { key, value } = content;
  headerScratch.fill(0);
  headerFields.setUint32(itemField.kindAndKey, kindWord(itemKind.carved, key.length), true);
  headerFields.setUint32(itemField.valueBytes, value.length, true);
  headerFields.setUint32(itemField.flags, content.flags >>> 0, true);
  headerFields.setFloat64(itemField.cas, content.cas, true);
  headerFields.setFloat64(itemField.exptimeMs, content.exptimeMs, true);
  headerFields.setFloat64(itemField.lastAccessMs, content.nowMs, true);
  headerFields.setFloat64(itemField.storedMs, content.nowMs, true);
  eachPiece(chunks, chunkBytes, 0, itemHeaderBytes, (address, at, count) => writeFrames(memory, address, headerScratch.subarray(at, at + count), written));
  eachPiece(chunks, chunkBytes, itemHeaderBytes, key.length, (address, at, count) => writeFrames(memory, address, key.subarray(at, at + count), written));
  eachPiece(chunks, chunkBytes, itemHeaderBytes + key.length, value.length, (address, at, count) =>
    writeFrames(memory, address, value.subarray(at, at + count), written),
  );
}

/** A copy of the value of the item in `chunks`, whose key is `keyBytes` long and value `valueBytes`. */
export function readValueBytes(memory: MemoryAccess, chunks: readonly number[], chunkBytes: number, keyBytes: number, valueBytes: number): Uint8Array {
  const valueOffset = itemHeaderBytes + keyBytes;
  if (chunks.length === 1) return memory.read(chunks[0]! + valueOffset, valueBytes);
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
