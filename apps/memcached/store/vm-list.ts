/**
 * A doubly linked list kept in VM memory: the list's ends are two words, each node carries its
 * newer and older links, and all of them hold references (never 0 for a node; 0 for none). The
 * store keeps one per class for its items (memcached's per-class LRU, links in the item header),
 * one for its free chunks (singly used: pushed at either end, popped at the newest), one over the
 * pages in a class (the page LRU) and one over the pool. Callers hold the store's lock.
 *
 * @example
 * ```ts
 * const lru = new VmList(memory, itemLruShape(layout, classIndex));
 * lru.pushNewest(chunk);
 * lru.touch(chunk);                 // used again: newest
 * const victim = lru.oldest();      // -1: empty
 * ```
 */
import { assert } from '../../../ground/assert.js';
import type { MemoryAccess } from '../../../actors/vm/memory-access.js';

/** Where a list's words are, and how nodes (addresses or indices, never negative) map to references. */
export interface VmListShape {
  readonly newestAt: number;
  readonly oldestAt: number;
  /** The word counting the nodes. */
  readonly countAt: number;
  newerAt(node: number): number;
  olderAt(node: number): number;
  ref(node: number): number;
  node(ref: number): number;
}

/** No node. */
export const noNode = -1;

export class VmList {
  constructor(
    private readonly memory: MemoryAccess,
    readonly shape: VmListShape,
  ) {}

  get count(): number {
    return this.memory.readU32(this.shape.countAt);
  }

  newest(): number {
    return this.nodeOf(this.memory.readU32(this.shape.newestAt));
  }

  /** The least recently used node: the first to evict. */
  oldest(): number {
    return this.nodeOf(this.memory.readU32(this.shape.oldestAt));
  }

  newerOf(node: number): number {
    return this.nodeOf(this.memory.readU32(this.shape.newerAt(node)));
  }

  olderOf(node: number): number {
    return this.nodeOf(this.memory.readU32(this.shape.olderAt(node)));
  }

  /** Adds `node`, in no list, as the newest. */
  pushNewest(node: number): void {
    const { memory, shape } = this;
    const ref = shape.ref(node);
    const newestRef = memory.readU32(shape.newestAt);
    assert(newestRef !== ref, 'a node joins a list it is not in');
    memory.writeU32(shape.newerAt(node), 0);
    memory.writeU32(shape.olderAt(node), newestRef);
    if (newestRef !== 0) memory.writeU32(shape.newerAt(shape.node(newestRef)), ref);
    else memory.writeU32(shape.oldestAt, ref);
    memory.writeU32(shape.newestAt, ref);
    memory.writeU32(shape.countAt, memory.readU32(shape.countAt) + 1);
  }

  /** Adds `node`, in no list, as the oldest. */
  pushOldest(node: number): void {
    const { memory, shape } = this;
    const ref = shape.ref(node);
    const oldestRef = memory.readU32(shape.oldestAt);
    assert(oldestRef !== ref, 'a node joins a list it is not in');
    memory.writeU32(shape.olderAt(node), 0);
    memory.writeU32(shape.newerAt(node), oldestRef);
    if (oldestRef !== 0) memory.writeU32(shape.olderAt(shape.node(oldestRef)), ref);
    else memory.writeU32(shape.newestAt, ref);
    memory.writeU32(shape.oldestAt, ref);
    memory.writeU32(shape.countAt, memory.readU32(shape.countAt) + 1);
  }

  /** Takes `node`, which is in this list, out of it. */
  remove(node: number): void {
    const { memory, shape } = this;
    const count = memory.readU32(shape.countAt);
    assert(count > 0, 'a node leaves a list that holds it');
    const newerRef = memory.readU32(shape.newerAt(node));
    const olderRef = memory.readU32(shape.olderAt(node));
    if (newerRef !== 0) memory.writeU32(shape.olderAt(shape.node(newerRef)), olderRef);
    else {
      assert(memory.readU32(shape.newestAt) === shape.ref(node), 'a node with no newer one is the newest');
      memory.writeU32(shape.newestAt, olderRef);
    }
    if (olderRef !== 0) memory.writeU32(shape.newerAt(shape.node(olderRef)), newerRef);
    else {
      assert(memory.readU32(shape.oldestAt) === shape.ref(node), 'a node with no older one is the oldest');
      memory.writeU32(shape.oldestAt, newerRef);
    }
    memory.writeU32(shape.newerAt(node), 0);
    memory.writeU32(shape.olderAt(node), 0);
    memory.writeU32(shape.countAt, count - 1);
  }

  /** Takes the newest node out; noNode when empty. */
  popNewest(): number {
    const node = this.newest();
    if (node !== noNode) this.remove(node);
    return node;
  }

  /** Marks `node`, in this list, the most recently used. */
  touch(node: number): void {
    if (this.memory.readU32(this.shape.newestAt) === this.shape.ref(node)) return;
    this.remove(node);
    this.pushNewest(node);
  }

  private nodeOf(ref: number): number {
    return ref === 0 ? noNode : this.shape.node(ref);
  }
}
