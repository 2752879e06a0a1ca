/**
 * Walks every structure of a shared store and checks they agree (run under the store's lock, by
 * `SharedItemStore.check`, after every test): each hash chain holds items whose key hashes to it,
 * and the chains together hold exactly the items of the class LRUs, each once; each LRU is linked
 * the same both ways and counted right; free lists hold free chunks of their class only; on every
 * page, carved chunks are exactly its items' chunks and its free chunks, none both; the pages in
 * the page LRU, the pool and returning are each in the state they should be, and no item or free
 * chunk lies on a page that is not in a class; and the counters equal what the walk counts. A
 * failure throws InvariantError naming the first disagreement.
 *
 * @example
 * ```ts
 * new StoreChecker(table).check(); // throws InvariantError on the first disagreement
 * ```
 */
import { invariantBroken } from '../../../ground/assert.js';
import { keyHash } from './hash-index.js';
import { itemField, itemKind, kindOf } from './item-header.js';
import type { ItemTable } from './item-table.js';
import { itemHeaderBytes } from './limits-slabs.js';
import { framesPerSlabPage } from './limits-shared-store.js';
import { pageField, pageState } from './store-layout.js';
import type { VmList } from './vm-list.js';

function expectEqual(actual: number, expected: number, what: string): void {
  if (actual !== expected) invariantBroken(`${what}: ${actual}, but the walk finds ${expected}`);
}

export class StoreChecker {
  /** Chunks seen so far, and what holds them: 'item <head>' or 'free'. */
  private readonly owners = new Map<number, string>();

  constructor(private readonly table: ItemTable) {}

  check(): void {
    const { slabs, layout } = this.table;
    const items = new Set<number>();
    let bytes = 0;
    slabs.chunkSizes.forEach((_, classIndex) => {
      for (const head of this.walk(slabs.itemLrus[classIndex]!, `class ${classIndex}'s LRU`)) {
        if (kindOf(this.table.u32(head, 'kindAndKey')) !== itemKind.item) invariantBroken(`0x${head.toString(16)} in an LRU is no item`);
        this.expectOnClassPage(head, classIndex);
        for (const chunk of this.table.chunksOf(head, classIndex)) {
          this.claim(chunk, classIndex, `item 0x${head.toString(16)}`);
          if (classIndex === slabs.lastClass && slabs.chainHead(chunk) !== head)
            invariantBroken(`the chain table gives 0x${chunk.toString(16)} another first chunk`);
        }
        items.add(head);
        bytes += this.table.footprintBytes(head);
      }
      for (const chunk of this.walk(slabs.freeLists[classIndex]!, `class ${classIndex}'s free list`)) {
        if (kindOf(this.table.u32(chunk, 'kindAndKey')) !== itemKind.free) invariantBroken(`0x${chunk.toString(16)} in a free list is not marked free`);
        this.claim(chunk, classIndex, 'free');
        if (slabs.chunkInUse(classIndex, chunk)) invariantBroken(`the free chunk at 0x${chunk.toString(16)} reads as in use`);
      }
      const carving = slabs.classU32(classIndex, 'carvingPage');
      if (
        carving !== 0 &&
        !(slabs.pageU32(carving - 1, 'classIndex') === classIndex && slabs.pageU32(carving - 1, 'carvedCount') < slabs.chunksPerPage[classIndex]!)
      )
        invariantBroken(`class ${classIndex} carves page ${carving - 1}, which is not its own or has no chunk left`);
    });
    this.checkChains(items);
    expectEqual(this.table.global('items'), items.size, 'the items counted');
    expectEqual(this.table.global('bytes'), bytes, 'the bytes counted');
    this.checkPages(layout.pagesCount);
  }

  /** The nodes of `list`, oldest first, each linked back to the one before, as many as counted. */
  private walk(list: VmList, what: string): number[] {
    const nodes: number[] = [];
    let before = -1;
    for (let node = list.oldest(); node >= 0; node = list.newerOf(node)) {
      if (list.olderOf(node) !== before) invariantBroken(`${what}: 0x${node.toString(16)} links back to another node than the one before it`);
      if (nodes.length > list.count) invariantBroken(`${what} runs past its ${list.count} nodes`);
      nodes.push(node);
      before = node;
    }
    if (list.newest() !== before) invariantBroken(`${what}: its newest end is not the last node walked`);
    expectEqual(list.count, nodes.length, `${what}'s count`);
    return nodes;
  }

  private expectOnClassPage(chunk: number, classIndex: number): void {
    const { slabs, layout } = this.table;
    if (!layout.holdsSlabAddress(chunk)) invariantBroken(`0x${chunk.toString(16)} is outside the slab region`);
    const page = layout.pageIndexOf(chunk);
    if (slabs.pageU32(page, 'state') !== pageState.inClass || slabs.pageU32(page, 'classIndex') !== classIndex)
      invariantBroken(`0x${chunk.toString(16)} of class ${classIndex} lies on page ${page}, which is not in that class`);
    const slot = (chunk - layout.pageAddress(page)) / slabs.chunkSizes[classIndex]!;
    if (!(Number.isInteger(slot) && slot < slabs.pageU32(page, 'carvedCount'))) invariantBroken(`0x${chunk.toString(16)} is no carved chunk of page ${page}`);
  }

  private claim(chunk: number, classIndex: number, owner: string): void {
    this.expectOnClassPage(chunk, classIndex);
    const before = this.owners.get(chunk);
    if (before !== undefined) invariantBroken(`the chunk at 0x${chunk.toString(16)} is both ${before}'s and ${owner}'s`);
    this.owners.set(chunk, owner);
  }

  /** Every bucket's chain holds items of the LRUs whose key hashes there; together, every item once. */
  private checkChains(items: ReadonlySet<number>): void {
    const { layout, memory, index } = this.table;
    const chained = new Set<number>();
    for (let bucket = 0; bucket < layout.bucketsCount; bucket++) {
      for (let ref = memory.readU32(layout.bucketAt(bucket)); ref !== 0; ref = memory.readU32(layout.chunkAt(ref) + itemField.hashNext)) {
        const chunk = layout.chunkAt(ref);
        if (!items.has(chunk)) invariantBroken(`bucket ${bucket} chains 0x${chunk.toString(16)}, which is in no LRU`);
        if (chained.has(chunk)) invariantBroken(`0x${chunk.toString(16)} is chained twice`);
        chained.add(chunk);
        const key = memory.read(chunk + itemHeaderBytes, this.table.keyBytes(chunk));
        expectEqual(index.bucketOf(keyHash(key)), bucket, `the bucket of the item at 0x${chunk.toString(16)}`);
      }
    }
    expectEqual(chained.size, items.size, 'the items chained');
  }

  /** Page states, lists, per-page counts and touched bits agree with what the walk saw. */
  private checkPages(pagesCount: number): void {
    const { slabs, layout, memory } = this.table;
    const inLru = new Set(this.walk(slabs.pageLru, 'the page LRU'));
    const inPool = new Set(this.walk(slabs.pool, 'the pool'));
    const pagesPerClass = slabs.chunkSizes.map(() => 0);
    let returning = 0;
    let lost = 0;
    for (let page = 0; page < pagesCount; page++) {
      const state = slabs.pageU32(page, 'state');
      if (inLru.has(page) !== (state === pageState.inClass)) invariantBroken(`page ${page} (state ${state}) is in the page LRU exactly when in a class`);
      if (inPool.has(page) !== (state === pageState.pool)) invariantBroken(`page ${page} (state ${state}) is in the pool exactly when in none`);
      if (state === pageState.returning) returning++;
      if (state === pageState.lost) lost++;
      const bitsAt = layout.pageEntryAt(page) + pageField.touchedBits;
      let touched = 0;
      for (let frame = 0; frame < framesPerSlabPage; frame++) touched += (memory.readU8(bitsAt + (frame >>> 3)) >>> (frame & 7)) & 1;
      expectEqual(slabs.pageU32(page, 'touchedCount'), touched, `page ${page}'s touched frames`);
      if (state !== pageState.inClass) continue;
      const classIndex = slabs.pageU32(page, 'classIndex');
      pagesPerClass[classIndex]!++;
      let used = 0;
      let claimed = 0;
      for (let slot = 0, carved = slabs.pageU32(page, 'carvedCount'); slot < carved; slot++) {
        const owner = this.owners.get(layout.pageAddress(page) + slot * slabs.chunkSizes[classIndex]!);
        if (owner === undefined) invariantBroken(`the carved chunk ${slot} of page ${page} is neither an item's nor free`);
        claimed++;
        if (owner !== 'free') used++;
      }
      expectEqual(slabs.pageU32(page, 'usedCount'), used, `page ${page}'s used chunks`);
      expectEqual(slabs.pageU32(page, 'carvedCount'), claimed, `page ${page}'s carved chunks`);
    }
    pagesPerClass.forEach((count, classIndex) => expectEqual(slabs.classU32(classIndex, 'pagesCount'), count, `class ${classIndex}'s pages`));
    expectEqual(memory.readU32(layout.globalAt('pagesReturning')), returning, 'the pages returning');
    expectEqual(memory.readU32(layout.globalAt('pagesLost')), lost, 'the pages lost');
  }
}
