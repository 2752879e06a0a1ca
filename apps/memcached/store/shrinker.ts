/**
 * The shared item store's shrinker (OSv's shrinker API): an actor that answers the reclaimer's
 * `vm.shrink` with the bytes of frames the store gave back. A soft request gets the pages that hold
 * no item (free, at no cost in hits); a hard one also gets the least recently used pages, their
 * items evicted (memcached's slab rebalancer, moving pages to the VM instead of to another class).
 *
 * The store gives pages back from the CPU that made it (the VM's reclaimer is on CPU 0): spawn the
 * actor there (the helper below takes the spawn function of that CPU's kernel or context); the
 * other CPUs' calls never touch a page on its way back. It never
 * waits for memory (it only unmaps and maps without populating), as a shrinker must not.
 *
 * @example
 * ```ts
 * const store = await SharedItemStore.create(vm, { limitBytes: 64 << 20 });
 * const shrinker = await registerItemStoreShrinker(vm, store, (behavior) => ctx.spawn(behavior));
 * // later: await vm.unregisterShrinker(shrinker); await store.close();
 * ```
 */
import type { VirtualMemory } from '../../../actors/vm/virtual-memory.js';
import type { ShrinkRequest } from '../../../actors/vm/reclaimer.js';
import { type BehaviorFactory, fromSetup } from '../../../actors/runtime/behavior.js';
import type { ActorRef } from '../../../actors/runtime/ref.js';
import type { SharedItemStore } from './shared-item-store.js';

/** The name the store's shrinker is registered under by default (the reclaimer's stats show it). */
export const itemStoreShrinkerName = 'memcached';

/**
 * The shrinker's behaviour for `store`: one request at a time (the actor waits for each answer
 * before the next message), so two rounds never pick the same pages.
 */
export function itemStoreShrinker(store: SharedItemStore): BehaviorFactory<ShrinkRequest> {
  return fromSetup<ShrinkRequest>(
    () => ({
      async receive(message, ctx): Promise<void> {
        const handle = ctx.replyLater(message);
        handle.resolve(await store.shrink(Math.max(0, message.bytes), message.hard));
      },
    }),
    'memcached-shrinker',
  );
}

/** Spawns the store's shrinker with `spawn` (on the store's CPU) and registers it with the VM; resolves with its ref. */
export async function registerItemStoreShrinker(
  vm: VirtualMemory,
  store: SharedItemStore,
  spawn: (behavior: BehaviorFactory<ShrinkRequest>) => ActorRef<ShrinkRequest>,
  name = itemStoreShrinkerName,
): Promise<ActorRef<ShrinkRequest>> {
  const shrinker = spawn(itemStoreShrinker(store));
  await vm.registerShrinker(name, shrinker);
  return shrinker;
}
