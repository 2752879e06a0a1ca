/**
 * One slab page of the VM item store: a 1 MiB range of virtual memory that is either in the store's
 * pool, cut into the chunks of one slab class, or on its way back to the VM. It remembers which of
 * its 4 KiB frames the store has written since the range was last mapped (a fresh mapping costs no
 * frames until touched, so these are the frames it holds), which chunk belongs to which item, and
 * when it was last used, for the page LRU.
 *
 * @example
 * ```ts
 * const page = new SlabPage<Entry>(address);
 * page.assign(3, 152, nowMs);
 * const chunk = page.carve();             // the address of a chunk never handed out before
 * page.markTouched(chunk - page.address, 152);
 * page.touchedBytes;                      // 4096: what unmapping it gives back
 * ```
 */
import { assert, invariantBroken } from '../../ground/assert.js';
import { pageBytes } from '../../actors/vm/limits.js';
import type { LruNode } from './lru-list.js';
import { slabPageBytes } from './limits-slabs.js';
import { chunksPerPage } from './slab-classes.js';

/** In the pool (no class), cut into a class's chunks, or being unmapped and mapped fresh by the shrinker. */
export type SlabPageState = 'pool' | 'class' | 'returning';

const framesPerPage = slabPageBytes / pageBytes;

export class SlabPage<Owner> implements LruNode<SlabPage<Owner>> {
  state: SlabPageState = 'pool';
  /** Its class, or -1 outside one. */
  classIndex = -1;
  chunkBytes = 0;
  chunksCount = 0;
  /** Chunks handed out at least once since the page joined its class; the rest are carved in order, lazily. */
  carvedCount = 0;
  /** Chunks holding an item's bytes now. */
  usedCount = 0;
  /** The item each chunk belongs to, by slot. */
  owners: (Owner | undefined)[] = [];
  /** When an item on it was last stored, read or touched, in ms. */
  lastUseMs = 0;
  newer: SlabPage<Owner> | undefined = undefined;
  older: SlabPage<Owner> | undefined = undefined;
  private readonly touched = new Uint8Array(framesPerPage);
  private touchedCount = 0;

  constructor(public address: number) {
    assert(address % slabPageBytes === 0, 'slab pages sit at addresses aligned to their size');
  }

  /** Bytes of frames the store has written on it since it was mapped: what unmapping it gives back. */
  get touchedBytes(): number {
    return this.touchedCount * pageBytes;
  }

  /** Gives the page, from the pool, to class `classIndex` of `chunkBytes` chunks. */
  assign(classIndex: number, chunkBytes: number, nowMs: number): void {
    assert(this.state === 'pool' && this.usedCount === 0, 'a page joins a class from the pool, empty');
    this.state = 'class';
    this.classIndex = classIndex;
    this.chunkBytes = chunkBytes;
    this.chunksCount = chunksPerPage(chunkBytes);
    this.carvedCount = 0;
    this.owners = new Array<Owner | undefined>(this.chunksCount);
    this.lastUseMs = nowMs;
  }

  /** Takes the page out of its class, empty, into the pool; its frames stay as they are. */
  leaveClass(): void {
    assert(this.state === 'class', 'only a page in a class leaves it');
    if (this.usedCount !== 0) invariantBroken(`a page leaves its class empty, but ${this.usedCount} chunks still hold items`);
    this.state = 'pool';
    this.classIndex = -1;
    this.chunkBytes = 0;
    this.chunksCount = 0;
    this.carvedCount = 0;
    this.owners = [];
  }

  /** Whether it has chunks never handed out. */
  get roomy(): boolean {
    return this.carvedCount < this.chunksCount;
  }

  /** The address of its next chunk never handed out. */
  carve(): number {
    assert(this.state === 'class' && this.roomy, 'a page carves chunks while it has some left');
    return this.address + this.carvedCount++ * this.chunkBytes;
  }

  /** The slot of the chunk at `address`, which lies on this page. */
  slotOf(address: number): number {
    const slot = (address - this.address) / this.chunkBytes;
    if (!(Number.isInteger(slot) && slot >= 0 && slot < this.carvedCount)) invariantBroken(`0x${address.toString(16)} is no carved chunk of its page`);
    return slot;
  }

  /** Records that `[offset, offset + length)` of the page was written: its frames are backed now. */
  markTouched(offset: number, length: number): void {
    assert(offset >= 0 && offset + length <= slabPageBytes, 'a write stays within its page');
    if (length === 0) return;
    const last = Math.floor((offset + length - 1) / pageBytes);
    for (let frame = Math.floor(offset / pageBytes); frame <= last; frame++) {
      if (this.touched[frame] === 0) {
        this.touched[frame] = 1;
        this.touchedCount++;
      }
    }
  }

  /** Sets the page, from the pool, on its way back to the VM: nothing may use it until it is mapped fresh. */
  startReturn(): void {
    assert(this.state === 'pool' && this.usedCount === 0, 'a page goes back to the VM from the pool, empty');
    this.state = 'returning';
  }

  /** Takes the page back into the pool as it was: the VM did not take it. */
  returnAborted(): void {
    assert(this.state === 'returning', 'only a page on its way back is taken back');
    this.state = 'pool';
  }

  /** Forgets its frames: the range was unmapped and mapped fresh (at `address`, maybe elsewhere than before). */
  mappedFresh(address: number): void {
    assert(this.state === 'returning', 'a page is mapped fresh on its way back');
    assert(address % slabPageBytes === 0, 'slab pages sit at addresses aligned to their size');
    this.address = address;
    this.touched.fill(0);
    this.touchedCount = 0;
    this.state = 'pool';
  }
}
