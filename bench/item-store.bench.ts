// memcached's item stores side by side, in one process: HeapItemStore (values in the JavaScript
// heap, a Map in LRU order: the reference) against SharedItemStore (everything in the VM's memory,
// every call under its spin lock, keys and values copied in and out), on one CPU of a booted
// kernel. 10 000 keys, values of 100 bytes, a cap that holds them all (no eviction).
//
// Cases: get (a hit, and the value read) and set (a store that replaces the item under the key)
// in ops/s for each store; ratios of the shared store over the heap store. About 10 s.

import { virtualMemory } from '../actors/vm/subsystem.js';
import { HeapItemStore } from '../apps/memcached/store/heap-item-store.js';
import type { ItemStore } from '../apps/memcached/store/item-store.js';
import { SharedItemStore } from '../apps/memcached/store/shared-item-store.js';
import { configure, defaultSubsystems, Kernel } from '../boot/index.js';
import { emit, emitRatio, measureRate } from './harness.js';

const KEYS = 10_000;
const VALUE_BYTES = 100;
const OPS = 200_000;
const LIMIT_BYTES = 64 << 20;

const keys = Array.from({ length: KEYS }, (_, i) => `key:${i}`);
const values = Array.from({ length: 16 }, (_, i) => new Uint8Array(VALUE_BYTES).fill(i));

/** Stores every key once, so gets hit. */
function fill(store: ItemStore): void {
  for (let i = 0; i < KEYS; i++) if (typeof store.store(keys[i]!, 0, 0, values[i & 15]!, 1) === 'string') throw new Error('the fill was refused');
}

function gets(store: ItemStore): number {
  let bytes = 0;
  for (let i = 0; i < OPS; i++) {
    const item = store.get(keys[(i * 7919) % KEYS]!, 2);
    if (item === undefined) throw new Error('a get missed');
    bytes += store.read(item).byteLength;
  }
  if (bytes !== OPS * VALUE_BYTES) throw new Error('a value came back short');
  return OPS;
}

function sets(store: ItemStore): number {
  for (let i = 0; i < OPS; i++) if (typeof store.store(keys[(i * 7919) % KEYS]!, 0, 0, values[i & 15]!, 3) === 'string') throw new Error('a set was refused');
  return OPS;
}

export async function run(): Promise<void> {
  const kernel = await Kernel.boot({ mode: 'simulated', subsystems: [...defaultSubsystems, configure(virtualMemory, { physicalBytes: 256 << 20 })] });
  const heap = new HeapItemStore({ limitBytes: LIMIT_BYTES });
  const shared = await kernel.runUntil(SharedItemStore.create(kernel.subsystem(virtualMemory), { limitBytes: LIMIT_BYTES }));
  fill(heap);
  fill(shared);
  const heapGet = measureRate({ name: 'heap store: get + read, 100 B values, 10 000 keys', run: () => gets(heap) });
  const sharedGet = measureRate({ name: 'shared store: get + read, 100 B values, 10 000 keys', run: () => gets(shared) });
  const heapSet = measureRate({ name: 'heap store: set, 100 B values, 10 000 keys', run: () => sets(heap) });
  const sharedSet = measureRate({ name: 'shared store: set, 100 B values, 10 000 keys', run: () => sets(shared) });
  for (const result of [heapGet, sharedGet, heapSet, sharedSet]) emit(result);
  emitRatio({ name: 'shared store get / heap store get', numerator: sharedGet, denominator: heapGet, goalKind: 'min' });
  emitRatio({ name: 'shared store set / heap store set', numerator: sharedSet, denominator: heapSet, goalKind: 'min' });
  shared.check();
  await kernel.runUntil(shared.close());
  await kernel.shutdown();
}
