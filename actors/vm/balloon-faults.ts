/**
 * Memory pressure as a fault kind of the vm subsystem: a balloon (OSv's JVM balloon) is a populated
 * mapping that takes a share of the memory free when it inflates, for a while, through the VM's own
 * API. Free memory falls, the reclaimer asks the shrinkers, and allocations that do not fit wait or
 * fail, as they would on a machine whose memory another tenant took.
 *
 * @example
 * ```ts
 * // a scenario on a kernel that boots the vm subsystem
 * faults: { kinds: { balloon: { countMax: 2, shareMax: 1, forMsMax: 200 } } }
 * ```
 */
import { defineFaultKind } from '../plugin/fault-kind.js';
import type { KernelHandle } from '../plugin/subsystem.js';
import { pageBytes } from './limits.js';
import type { VirtualMemory } from './virtual-memory.js';

export interface BalloonLimits {
  readonly countMax: number;
  /** The largest share of free memory one balloon takes, in [0, 1]. */
  readonly shareMax: number;
  /** The longest a balloon stays inflated, in ms. */
  readonly forMsMax: number;
}

/**
 * Balloons on `vm`'s memory. Built from the subsystem's handle getter (not the subsystem value, which
 * imports this file) so that the two modules do not import each other.
 */
export function balloonFaults(vmOf: (kernel: KernelHandle) => VirtualMemory) {
  return defineFaultKind<BalloonLimits>({
    name: 'balloon',
    limits: { countMax: 2, shareMax: 0.5, forMsMax: 200 },
    fields: (limits) => ({
      forMs: { min: 1, max: Math.max(1, limits.forMsMax), integer: true, shrinks: true },
      share: { min: 0, max: Math.min(1, limits.shareMax), shrinks: true },
    }),
    describe: (values) => `balloon of ${Math.round((values.share ?? 0) * 100)} % of free memory`,
    inject(kernel, values) {
      const vm = vmOf(kernel);
      const length = Math.floor((vm.stats().freeBytes * (values.share ?? 0)) / pageBytes) * pageBytes;
      if (length === 0) return undefined;
      const mapping = vm.mmap(length, { populate: true, waitMs: 0 }).then(
        (address) => address,
        () => null, // Too little free memory for it: the pressure is there anyway.
      );
      return async () => {
        const address = await mapping;
        if (address !== null) await vm.munmap(address, length);
      };
    },
  });
}
