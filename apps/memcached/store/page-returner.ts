/**
 * The shared store's side of OSv's shrinker API: gives whole slab pages back to the VM. Under the
 * store's lock it picks pages (those holding no item first; when the VM asks hard, the least
 * recently used ones, their items evicted) and marks them `returning`, which no CPU's store call
 * touches; then, with the lock released (mapping is an ask to the mapper, and nothing waits inside
 * the lock), it unmaps each page, which frees its frames, and maps it fresh at the same address;
 * then, under the lock again, it puts the page back in the pool. A page whose address another
 * mapping took meanwhile is lost (`pagesLost`): chunk references are offsets from the slab region's
 * start, so a page cannot move.
 *
 * Runs on the CPU that made the store (where the VM's reclaimer asks its shrinker).
 *
 * @example
 * ```ts
 * const returner = new PageReturner(vm, slabs, table, (section) => withVmLock(memory, lockAt, section));
 * const freedBytes = await returner.shrink(4 << 20, true);
 * ```
 */
import { assert } from '../../../ground/assert.js';
import type { VirtualMemory } from '../../../actors/vm/virtual-memory.js';
import { slabPageBytes } from './limits-slabs.js';
import type { ItemTable } from './item-table.js';
import type { SlabAllocator } from './slab-allocator.js';
import { pageState } from './store-layout.js';

/** Runs a section under the store's lock. */
export type Locked = <T>(section: () => T) => T;

export class PageReturner {
  constructor(
    private readonly vm: VirtualMemory,
    private readonly slabs: SlabAllocator,
    private readonly table: ItemTable,
    private readonly locked: Locked,
  ) {}

  /** Gives pages back until their frames make `bytesWanted` or nothing is left to give; resolves with the bytes freed. */
  async shrink(bytesWanted: number, hard: boolean): Promise<number> {
    const chosen = this.locked(() => {
      this.table.addGlobal('shrinks', 1);
      return this.pagesToReturn(bytesWanted, hard);
    });
    const freed = await Promise.all(chosen.map((page) => this.returnPage(page)));
    const bytes = freed.reduce((sum, pageBytes) => sum + pageBytes, 0);
    this.locked(() => this.table.addGlobal('bytesReturned', bytes));
    return bytes;
  }

  /** Chooses pages and marks them returning, under the lock, so no store call meets them on their way. */
  private pagesToReturn(bytesWanted: number, hard: boolean): number[] {
    const { slabs } = this;
    const chosen: number[] = [];
    let bytes = 0;
    const take = (page: number): void => {
      bytes += slabs.touchedBytes(page);
      if (slabs.pageU32(page, 'state') === pageState.inClass) {
        this.table.emptyPage(page, this.table.global('nowMsLast'));
        slabs.leaveClass(page);
      } else slabs.pool.remove(page);
      slabs.setPageU32(page, 'state', pageState.returning);
      this.setReturning(+1);
      chosen.push(page);
    };
    // Free memory first: pages with frames but no item cost no hit.
    const idle = [...this.listed(slabs.pool), ...this.listed(slabs.pageLru)].filter(
      (page) => slabs.pageU32(page, 'usedCount') === 0 && slabs.touchedBytes(page) > 0,
    );
    for (const page of idle) {
      if (bytes >= bytesWanted) return chosen;
      take(page);
    }
    if (!hard) return chosen;
    for (const page of this.listed(slabs.pageLru)) {
      if (bytes >= bytesWanted) break;
      if (slabs.touchedBytes(page) > 0) take(page);
    }
    return chosen;
  }

  /** The pages of `list`, oldest first, copied (taking pages changes the list). */
  private listed(list: SlabAllocator['pool']): number[] {
    const pages: number[] = [];
    for (let page = list.oldest(); page >= 0; page = list.newerOf(page)) {
      assert(pages.length < this.slabs.pageLru.count + this.slabs.pool.count, 'a page list is no longer than the pages');
      pages.push(page);
    }
    return pages;
  }

  private setReturning(delta: number): void {
    const at = this.table.layout.globalAt('pagesReturning');
    this.table.memory.writeU32(at, this.table.memory.readU32(at) + delta);
  }

  /** Unmaps `page` and maps it fresh at its address; resolves with the bytes of frames it held. */
  private async returnPage(page: number): Promise<number> {
    const at = this.table.layout.pageAddress(page);
    const bytes = this.locked(() => this.slabs.touchedBytes(page));
    const unmapped = await this.vm.munmap(at, slabPageBytes).then(
      () => true,
      () => false,
    );
    const mapped =
      unmapped &&
      (await this.vm.mmap(slabPageBytes, { at, huge: false }).then(
        () => true,
        () => false,
      ));
    return this.locked(() => {
      this.setReturning(-1);
      // The VM refused the unmap: the page keeps its frames and goes back in the pool, counted.
      this.table.addGlobal(unmapped ? 'pagesReturned' : 'pagesReturnFailed', 1);
      if (unmapped && !mapped) {
        this.slabs.setPageU32(page, 'state', pageState.lost);
        const lostAt = this.table.layout.globalAt('pagesLost');
        this.table.memory.writeU32(lostAt, this.table.memory.readU32(lostAt) + 1);
        return bytes;
      }
      if (unmapped) this.slabs.forgetTouched(page);
      this.slabs.setPageU32(page, 'state', pageState.pool);
      this.slabs.pool.pushNewest(page);
      return unmapped ? bytes : 0;
    });
  }
}
