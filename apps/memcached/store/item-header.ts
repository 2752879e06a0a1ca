/**
 * The header at the start of an item's first chunk: every field the store keeps for an item, in
 * VM memory, so any CPU can find, check and change it. `itemHeaderBytes` (56) long, as the
 * contract's per-item overhead counts: a chunk holds exactly what `stats().bytes` counts. The key
 * follows, then the value, across the chunks of a chained item (which chain through the chain
 * table, not through the header). The item's class is its page's.
 *
 * | offset | field | |
 * |---|---|---|
 * | 0 | hash next (chunk ref) | the next item in its bucket; the next free chunk when free |
 * | 4, 8 | LRU newer, older (chunk refs) | its class's LRU |
 * | 12 | kind (low 8 bits), key bytes (the rest) | carved, free or item |
 * | 16 | value bytes | |
 * | 20 | flags | the client's 32 bits |
 * | 24 | cas (float64) | unique, never reused: with the address, it names one version of one item |
 * | 32, 40, 48 | exptime, last access, stored (float64, ms) | |
 *
 * The first 16 bytes of a chunk are written when it is carved, so a chunk handed out has them
 * backed: freeing it (kind and link) never needs a frame, also after a write that ran out of memory.
 *
 * @example
 * ```ts
 * memory.readU32(chunk + itemField.kindAndKey) & 0xff; // itemKind.item for an item's first chunk
 * ```
 */
import { assert } from '../../../ground/assert.js';
import type { Item } from './item-store.js';
import { itemHeaderBytes } from './limits-slabs.js';

export const itemField = {
  hashNext: 0,
  newer: 4,
  older: 8,
  kindAndKey: 12,
  valueBytes: 16,
  flags: 20,
  cas: 24,
  exptimeMs: 32,
  lastAccessMs: 40,
  storedMs: 48,
} as const;

assert(itemField.storedMs + 8 === itemHeaderBytes, 'the fields fill the header the contract counts, no more');
assert(itemField.cas % 8 === 0 && itemField.exptimeMs % 8 === 0, 'the float64 fields sit at their natural alignment');

/** Bytes written when a chunk is carved: the link word and the kind word. */
export const carvedWrittenBytes = 16;

/** What a chunk holds, in the low byte of its kind word (a chained item's later chunks have no header). */
export const itemKind = { carved: 0, free: 1, item: 2 } as const;

export const kindWord = (kind: number, keyBytes: number): number => (kind | (keyBytes << 8)) >>> 0;
export const kindOf = (word: number): number => word & 0xff;
export const keyBytesOf = (word: number): number => word >>> 8;

/**
 * An item as a call saw it: a snapshot in this CPU's heap, plus the address of its first chunk, by
 * which `read` and `touch` find it again (and check, by cas and key, that it is still that item).
 */
export class SharedItem implements Item {
  constructor(
    readonly key: string,
    readonly flags: number,
    readonly exptimeMs: number,
    readonly cas: number,
    readonly valueBytes: number,
    readonly lastAccessMs: number,
    /** The address of its first chunk. */
    readonly address: number,
  ) {}
}
