/**
 * One slab class of the VM item store: the pages it was given, the chunks freed on them (reused
 * first, last freed first, since their frames are backed and warm), the pages with chunks never
 * handed out (carved in order, so untouched frames stay uncommitted until needed), and its items in
 * least-recently-used order (memcached's per-class LRU).
 *
 * @example
 * ```ts
 * const slabClass = new SlabClass(3, 152);
 * slabClass.addPage(page);
 * const chunk = slabClass.takeChunk(); // a freed chunk, else one carved from a page; undefined: none left
 * ```
 */
import { assert } from '../../ground/assert.js';
import type { ItemRecord } from './item-record.js';
import { slabPageBytes } from './limits-slabs.js';
import { LruList } from './lru-list.js';
import { chunksPerPage } from './slab-classes.js';
import type { SlabPage } from './slab-page.js';

export class SlabClass {
  readonly chunksPerPage: number;
  readonly pages = new Set<SlabPage<ItemRecord>>();
  readonly items = new LruList<ItemRecord>();
  /** Chunks freed and not yet reused, as a stack. */
  private freeChunks: number[] = [];
  /** Pages with chunks never handed out, in the order they joined. */
  private readonly roomyPages = new Set<SlabPage<ItemRecord>>();

  constructor(
    readonly index: number,
    readonly chunkBytes: number,
  ) {
    this.chunksPerPage = chunksPerPage(chunkBytes);
  }

  get freeChunksCount(): number {
    return this.freeChunks.length;
  }

  /** A chunk for an item: a freed one, else one carved from a page; undefined when the class has none left. */
  takeChunk(): number | undefined {
    const freed = this.freeChunks.pop();
    if (freed !== undefined) return freed;
    for (const page of this.roomyPages) {
      const chunk = page.carve();
      if (!page.roomy) this.roomyPages.delete(page);
      return chunk;
    }
    return undefined;
  }

  /**
   * Gives a chunk back. `reuseLast`: at the bottom of the stack, for a chunk whose write ran out of
   * physical memory (its frames are not all backed, so others are tried first).
   */
  freeChunk(chunk: number, reuseLast = false): void {
    if (reuseLast) this.freeChunks.unshift(chunk);
    else this.freeChunks.push(chunk);
  }

  addPage(page: SlabPage<ItemRecord>): void {
    assert(page.state === 'class' && page.classIndex === this.index && page.chunkBytes === this.chunkBytes, 'a page joins the class it was cut for');
    this.pages.add(page);
    if (page.roomy) this.roomyPages.add(page);
  }

  /** Takes `page`, whose items are gone, out of the class, with its free chunks. */
  removePage(page: SlabPage<ItemRecord>): void {
    assert(this.pages.has(page) && page.usedCount === 0, 'a page leaves its class empty');
    this.pages.delete(page);
    this.roomyPages.delete(page);
    const start = page.address;
    const end = start + slabPageBytes;
    this.freeChunks = this.freeChunks.filter((chunk) => chunk < start || chunk >= end);
  }
}
