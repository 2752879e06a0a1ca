/**
 * The shared store's hash table (memcached's assoc.c): a fixed power of two of buckets in the
 * header region, each the head of a chain of items linked through their headers' `hashNext`. Keys
 * are compared as UTF-8 bytes in the item's chunk; the hash is FNV-1a over the same bytes, so every
 * CPU finds a key in the same bucket. Callers hold the store's lock.
 *
 * @example
 * ```ts
 * const hash = keyHash(keyBytes);
 * const chunk = index.find(keyBytes, hash); // -1: absent
 * if (chunk < 0) index.insert(newChunk, hash);
 * ```
 */
import { assert, invariantBroken } from '../../../ground/assert.js';
import type { MemoryAccess } from '../../../actors/vm/memory-access.js';
import { pageBytes } from '../../../actors/vm/limits.js';
import { itemHeaderBytes } from './limits-slabs.js';
import { itemField, keyBytesOf } from './item-header.js';
import type { StoreLayout } from './store-layout.js';

/** FNV-1a, 32 bits, over `bytes`. */
export function keyHash(bytes: Uint8Array): number {
  let hash = 0x811c_9dc5;
  for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i]!, 0x0100_0193);
  return hash >>> 0;
}

/** Whether the item at `chunk` has the key `key` (its length is in the header, its bytes after it). */
export function keyMatches(memory: MemoryAccess, chunk: number, key: Uint8Array): boolean {
  if (keyBytesOf(memory.readU32(chunk + itemField.kindAndKey)) !== key.length) return false;
  const at = chunk + itemHeaderBytes;
  // Within one 4 KiB page a view is one translation; a key across two is copied.
  const stored = Math.floor(at / pageBytes) === Math.floor((at + key.length - 1) / pageBytes) ? memory.view(at, key.length) : memory.read(at, key.length);
  for (let i = 0; i < key.length; i++) if (stored[i] !== key[i]) return false;
  return true;
}

export class HashIndex {
  private readonly mask: number;

  constructor(
    private readonly memory: MemoryAccess,
    private readonly layout: StoreLayout,
  ) {
    assert((layout.bucketsCount & (layout.bucketsCount - 1)) === 0, 'the buckets are a power of two');
    this.mask = layout.bucketsCount - 1;
  }

  bucketOf(hash: number): number {
    return hash & this.mask;
  }

  /** The first chunk of the item under `key` (hashing to `hash`); -1 when there is none. `chainMax` bounds the walk. */
  find(key: Uint8Array, hash: number, chainMax: number): number {
    let steps = 0;
    for (let ref = this.memory.readU32(this.layout.bucketAt(this.bucketOf(hash))); ref !== 0; ) {
      const chunk = this.layout.chunkAt(ref);
      if (keyMatches(this.memory, chunk, key)) return chunk;
      if (++steps > chainMax) invariantBroken(`a hash chain runs past the ${chainMax} items the store holds: it loops`);
      ref = this.memory.readU32(chunk + itemField.hashNext);
    }
    return -1;
  }

  /** Puts the item at `chunk`, whose key hashes to `hash` and is not in the table, at the head of its bucket. */
  insert(chunk: number, hash: number): void {
    const bucketAt = this.layout.bucketAt(this.bucketOf(hash));
    this.memory.writeU32(chunk + itemField.hashNext, this.memory.readU32(bucketAt));
    this.memory.writeU32(bucketAt, this.layout.chunkRef(chunk));
  }

  /** Takes the item at `chunk`, whose key hashes to `hash`, out of its bucket. */
  remove(chunk: number, hash: number, chainMax: number): void {
    const ref = this.layout.chunkRef(chunk);
    let linkAt = this.layout.bucketAt(this.bucketOf(hash));
    for (let steps = 0; ; steps++) {
      const at = this.memory.readU32(linkAt);
      if (at === 0 || steps > chainMax) invariantBroken(`the item at 0x${chunk.toString(16)} is not in the bucket its key hashes to`);
      if (at === ref) break;
      linkAt = this.layout.chunkAt(at) + itemField.hashNext;
    }
    this.memory.writeU32(linkAt, this.memory.readU32(chunk + itemField.hashNext));
    this.memory.writeU32(chunk + itemField.hashNext, 0);
  }
}
