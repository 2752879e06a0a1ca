/**
 * A spin lock in one word of virtual memory, for structures kept in the VM that every CPU changes
 * (memcached's shared item store): spin-lock.ts's lock, reached through a CPU's `MemoryAccess`
 * instead of a control buffer, so it lives wherever its structure's mapping is. The word holds 0
 * when free, else the holder's CPU plus one: a CPU that finds its own number there is re-entering
 * a section it is already in, which would spin forever, so that is an invariant broken, thrown,
 * not a wait. A CPU that dies holding it leaves it abandoned (`abandonVmLockOf`, from the VM's
 * `onCpuDown`): every acquirer then throws. As with spin-lock.ts, sections are short and
 * synchronous: never await inside one.
 *
 * @example
 * ```ts
 * const items = withVmLock(vm.memory, lockAddress, () => memory.readU32(countAddress));
 * ```
 */
import { assert, invariantBroken } from '../../ground/assert.js';
import { VmLockAbandonedError } from './errors.js';
import { vmLockSpinsMax } from './limits.js';
import type { MemoryAccess } from './memory-access.js';

/** The word of an unheld lock. */
export const vmLockFree = 0;

/** Runs `section` holding the lock in the 4-byte-aligned word at `address`; returns what it returns, and releases on a throw too. */
export function withVmLock<T>(memory: MemoryAccess, address: number, section: () => T, spinsMax = vmLockSpinsMax): T {
  acquireVmLock(memory, address, spinsMax);
  try {
    return section();
  } finally {
    releaseVmLock(memory, address);
  }
}

/** Takes the lock, spinning at most `spinsMax` times (see `vmLockSpinsMax`). */
export function acquireVmLock(memory: MemoryAccess, address: number, spinsMax = vmLockSpinsMax): void {
  const mine = memory.cpu + 1;
  for (let spins = 0; ; spins++) {
    const holder = memory.compareExchangeI32(address, vmLockFree, mine);
    if (holder === vmLockFree) return;
    // Negative: abandoned by the CPU it names (abandonVmLockOf), for good.
    if (holder < 0) throw new VmLockAbandonedError(address, -holder - 1);
    if (holder === mine) invariantBroken(`CPU ${memory.cpu} re-enters the VM lock at 0x${address.toString(16)} it holds`);
    // A spinning thread runs no event loop: if the holder's CPU died, this one cannot hear of it.
    if (spins >= spinsMax) throw new VmLockAbandonedError(address, holder - 1, 'held-too-long');
  }
}

export function releaseVmLock(memory: MemoryAccess, address: number): void {
  const was = memory.exchangeI32(address, vmLockFree);
  assert(was === memory.cpu + 1, 'a CPU releases only a VM lock it holds');
}

/**
 * CPU `cpu` is down: if it held the lock at `address`, the word becomes -(cpu + 1), abandoned, so
 * that the CPUs spinning on it, and all that come later, throw VmLockAbandonedError rather than
 * wait for a release that will never come. Returns whether it did. Call it from the VM's
 * `onCpuDown`.
 */
export function abandonVmLockOf(memory: MemoryAccess, address: number, cpu: number): boolean {
  return memory.compareExchangeI32(address, cpu + 1, -(cpu + 1)) === cpu + 1;
}
