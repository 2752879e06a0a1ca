/**
 * The shared store's slab figures (memcached's `stats slabs`), read from its header under the
 * lock: pages by state, each class's pages, items and free chunks, and what the shrinker gave back.
 *
 * @example
 * ```ts
 * store.slabStats().classes; // [{ chunkBytes: 96, pages: 1, items: 3, freeChunks: 0 }, …]
 * ```
 */
import type { SlabClassFigures } from './item-store.js';
import type { ItemTable } from './item-table.js';
import { itemField } from './item-header.js';
import { pageState } from './store-layout.js';

/** One slab class's figures. */
export interface SlabClassStats {
  readonly chunkBytes: number;
  readonly pages: number;
  readonly items: number;
  readonly freeChunks: number;
}

/** The slab allocator's figures, beside the contract's `stats()`. */
export interface SharedItemStoreSlabStats {
  /** Pages the store has: the cap's, less those lost. */
  readonly pagesCount: number;
  readonly pagesInPool: number;
  readonly pagesReturning: number;
  /** Pages given back whose address could not be mapped again: the store works on with fewer. */
  readonly pagesLost: number;
  /** Pages taken from one class for another (memcached's slab moves). */
  readonly pagesRebalanced: number;
  /** Bytes of frames the store's pages hold now (written since their mapping). */
  readonly touchedBytes: number;
  /** Shrink requests answered, pages given back and the bytes of frames they held. */
  readonly shrinks: number;
  readonly pagesReturned: number;
  readonly bytesReturned: number;
  /** Writes that ran out of physical frames and were retried or refused. */
  readonly writesOutOfMemory: number;
  /** Pages the shrinker chose whose unmap the VM refused: they stay, frames and all. */
  readonly pagesReturnFailed: number;
  /** The classes holding pages. */
  readonly classes: readonly SlabClassStats[];
}

/** The figures of the store `table` keeps; the caller holds the lock. */
export function slabStatsOf(table: ItemTable): SharedItemStoreSlabStats {
  const { slabs, layout, memory } = table;
  let touchedBytes = 0;
  let pagesLost = 0;
  for (let page = 0; page < layout.pagesCount; page++) {
    if (slabs.pageU32(page, 'state') === pageState.lost) pagesLost++;
    else touchedBytes += slabs.touchedBytes(page);
  }
  return {
    pagesCount: layout.pagesCount - pagesLost,
    pagesInPool: slabs.pool.count,
    pagesReturning: memory.readU32(layout.globalAt('pagesReturning')),
    pagesLost,
    pagesRebalanced: table.global('pagesRebalanced'),
    touchedBytes,
    shrinks: table.global('shrinks'),
    pagesReturned: table.global('pagesReturned'),
    bytesReturned: table.global('bytesReturned'),
    writesOutOfMemory: table.global('writesOutOfMemory'),
    pagesReturnFailed: table.global('pagesReturnFailed'),
    classes: slabs.chunkSizes
      .map((chunkBytes, classIndex) => ({
        chunkBytes,
        pages: slabs.classU32(classIndex, 'pagesCount'),
        items: slabs.itemLrus[classIndex]!.count,
        freeChunks: slabs.freeLists[classIndex]!.count,
      }))
      .filter((figures) => figures.pages > 0),
  };
}

/** The classes holding pages, as `stats slabs` and `stats items` show them; the caller holds the lock. */
export function slabClassFiguresOf(table: ItemTable): SlabClassFigures[] {
  const { slabs, layout, memory } = table;
  const usedChunks = new Array<number>(slabs.chunkSizes.length).fill(0);
  for (let page = 0; page < layout.pagesCount; page++) {
    if (slabs.pageU32(page, 'state') === pageState.inClass) usedChunks[slabs.pageU32(page, 'classIndex')]! += slabs.pageU32(page, 'usedCount');
  }
  const figures: SlabClassFigures[] = [];
  slabs.chunkSizes.forEach((chunkBytes, classIndex) => {
    const pages = slabs.classU32(classIndex, 'pagesCount');
    if (pages === 0) return;
    const chunksPerPage = slabs.chunksPerPage[classIndex]!;
    const carving = slabs.classU32(classIndex, 'carvingPage');
    const oldest = slabs.itemLrus[classIndex]!.oldest();
    figures.push({
      id: classIndex + 1,
      chunkBytes,
      chunksPerPage,
      pages,
      usedChunks: usedChunks[classIndex]!,
      freeChunks: slabs.freeLists[classIndex]!.count,
      uncarvedChunks: carving === 0 ? 0 : chunksPerPage - slabs.pageU32(carving - 1, 'carvedCount'),
      items: slabs.itemLrus[classIndex]!.count,
      oldestAccessMs: oldest < 0 ? null : memory.readF64(oldest + itemField.lastAccessMs),
    });
  });
  return figures;
}
