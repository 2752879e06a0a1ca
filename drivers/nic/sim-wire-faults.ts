/**
 * What the simulated wire does to packets between two different hosts: the fault rates and the
 * delay, each drawn per packet from the link's own seeded stream. A host's packets to itself
 * (loopback) are never faulted.
 *
 * @example
 * ```ts
 * const faults = resolveWireFaults({ dropRate: 0.1, delayMs: { min: 1, max: 20 } });
 * faults.duplicateRate; // 0
 * ```
 */

/** Fault settings; every field may be left out (see {@link wireFaultsNone} for the defaults). */
export interface WireFaults {
  /** Chance a packet is lost, in [0, 1]. */
  readonly dropRate?: number;
  /** Chance a packet is delivered twice (each copy with its own delay), in [0, 1]. */
  readonly duplicateRate?: number;
  /** Chance a packet is held back past the longest delay, so that packets sent after it overtake it, in [0, 1]. */
  readonly reorderRate?: number;
  /** One-way delay, drawn uniformly in [min, max] ms per packet; distinct delays reorder packets too. */
  readonly delayMs?: { readonly min: number; readonly max: number };
}

/** {@link WireFaults} with every field filled in. */
export interface ResolvedWireFaults {
  readonly dropRate: number;
  readonly duplicateRate: number;
  readonly reorderRate: number;
  readonly delayMs: { readonly min: number; readonly max: number };
}

/** The longest one-way delay the wire takes: a minute of virtual time is already an eternity for TCP. */
export const wireDelayMsMax = 60_000;

/** A perfect wire: nothing lost, duplicated or reordered; 1 ms each way. */
export const wireFaultsNone: ResolvedWireFaults = { dropRate: 0, duplicateRate: 0, reorderRate: 0, delayMs: { min: 1, max: 1 } };

/** `faults` over `base` (the fields left out keep their value there); throws RangeError for a value out of range. */
export function resolveWireFaults(faults: WireFaults, base: ResolvedWireFaults = wireFaultsNone): ResolvedWireFaults {
  const resolved: ResolvedWireFaults = {
    dropRate: faults.dropRate ?? base.dropRate,
    duplicateRate: faults.duplicateRate ?? base.duplicateRate,
    reorderRate: faults.reorderRate ?? base.reorderRate,
    delayMs: faults.delayMs ?? base.delayMs,
  };
  for (const name of ['dropRate', 'duplicateRate', 'reorderRate'] as const) {
    const rate = resolved[name];
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`wire fault ${name} must be in [0, 1], got ${String(rate)}`);
  }
  const { min, max } = resolved.delayMs;
  if (!(min >= 0 && max >= min && max <= wireDelayMsMax)) {
    throw new RangeError(`wire delayMs must be { min, max } with 0 ≤ min ≤ max ≤ ${wireDelayMsMax}, got { min: ${String(min)}, max: ${String(max)} }`);
  }
  return { ...resolved, delayMs: { min, max } };
}
