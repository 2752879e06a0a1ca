/**
 * An intrusive least-recently-used list: the nodes carry their own links, so marking one used, adding
 * one and removing one cost O(1) and no allocation. The VM item store keeps one per slab class for
 * its items (memcached's per-class LRU) and one over its pages (the order the shrinker and the page
 * rebalancer take pages in). A node is in at most one list of a kind at a time.
 *
 * @example
 * ```ts
 * const lru = new LruList<Entry>();
 * lru.pushNewest(entry);
 * lru.touch(entry);          // used again: newest
 * const victim = lru.oldest; // what to evict first
 * if (victim !== undefined) lru.remove(victim);
 * ```
 */
import { assert } from '../../ground/assert.js';

/** The links a node carries; only the list writes them. */
export interface LruNode<T> {
  newer: T | undefined;
  older: T | undefined;
}

export class LruList<T extends LruNode<T>> {
  private newestNode: T | undefined = undefined;
  private oldestNode: T | undefined = undefined;
  private count = 0;

  get newest(): T | undefined {
    return this.newestNode;
  }

  /** The least recently used node: the first to evict. */
  get oldest(): T | undefined {
    return this.oldestNode;
  }

  get size(): number {
    return this.count;
  }

  /** Whether `node` is in this list (or in another list of the same kind: the caller knows which). */
  holds(node: T): boolean {
    return node.newer !== undefined || node.older !== undefined || this.newestNode === node;
  }

  /** Adds `node`, which is in no list, as the most recently used. */
  pushNewest(node: T): void {
    assert(!this.holds(node), 'a node joins a list it is not in');
    node.older = this.newestNode;
    if (this.newestNode !== undefined) this.newestNode.newer = node;
    else this.oldestNode = node;
    this.newestNode = node;
    this.count++;
  }

  /** Takes `node`, which is in this list, out of it. */
  remove(node: T): void {
    assert(this.holds(node) && this.count > 0, 'a node leaves a list it is in');
    if (node.newer !== undefined) node.newer.older = node.older;
    else this.newestNode = node.older;
    if (node.older !== undefined) node.older.newer = node.newer;
    else this.oldestNode = node.newer;
    node.newer = undefined;
    node.older = undefined;
    this.count--;
  }

  /** The nodes from the least recently used on; the list must not change while this runs (copy it first to change it). */
  *iterateOldestFirst(): IterableIterator<T> {
    for (let node = this.oldestNode; node !== undefined; node = node.newer) yield node;
  }

  /** Marks `node`, which is in this list, as the most recently used. */
  touch(node: T): void {
    if (this.newestNode === node) return;
    this.remove(node);
    this.pushNewest(node);
  }
}
