/**
 * The faults a subsystem lets a simulation inject into it, as a plug-in declares them. A fault kind
 * says what one fault is made of (numbers drawn in ranges set by limits a scenario may change), how
 * to inject one into a booted kernel, and how to tell it in a report. The harness (osprey/sim) does
 * the rest the same way for every kind: it draws the faults per seed from the kind's own random
 * stream, fires each at its time within the fault window, ends it after `forMs` when it has one and
 * when the workload ends in any case, shrinks a failing plan by moving each shrinkable field toward
 * its minimum, and offers the kind to fast-check. A subsystem lists its kinds in `faultKinds`.
 *
 * @example
 * ```ts
 * export const stalls = defineFaultKind({
 *   name: 'disk-stall',
 *   limits: { countMax: 2, forMsMax: 100 },
 *   fields: (limits) => ({ forMs: { min: 1, max: limits.forMsMax, integer: true, shrinks: true } }),
 *   describe: () => 'disk stall',
 *   inject(kernel) {
 *     const disk = kernel.subsystem(blockDevices);
 *     disk.stall();
 *     return () => disk.resume();          // the harness calls it after forMs, or when the workload ends
 *   },
 * });
 * // a scenario turns it on: faults: { kinds: { 'disk-stall': { countMax: 1 } } }
 * ```
 */
import type { KernelHandle } from './subsystem.js';

/** One number of a fault, drawn uniformly in [min, max] (a whole number when `integer`). */
export interface FaultField {
  readonly min: number;
  readonly max: number;
  readonly integer?: boolean;
  /** Whether shrinking may move it toward `min` (a shorter, smaller fault): true for sizes and durations, not for choices. */
  readonly shrinks?: boolean;
}

/** A fault's own numbers, by field name. A field named `forMs` is how long it lasts: the harness ends it then. */
export type FaultValues = Readonly<Record<string, number>>;

/** What ends an injected fault (deflates, heals, resumes), awaited when the workload ends, before the invariants are checked. */
export type FaultEnd = () => void | Promise<void>;

/** The limits every kind has, beside its own. */
export interface FaultLimits {
  /** At most this many faults of the kind per run (each seed draws 0 to countMax). */
  readonly countMax: number;
}

export interface FaultKind<TLimits extends FaultLimits = FaultLimits> {
  /** Its name in a scenario's `faults.kinds` and in reports: lower case, digits and `-`. */
  readonly name: string;
  /** The defaults of its limits: a scenario overrides some (`faults: { kinds: { [name]: { ... } } }`). */
  readonly limits: TLimits;
  /** The ranges of one fault's numbers under `limits`. */
  fields(limits: TLimits): Readonly<Record<string, FaultField>>;
  /** One fault in a few words, for reports (the harness adds when it fires and for how long). */
  describe(values: FaultValues): string;
  /**
   * Injects one fault into the kernel, at its time. Returns what ends it, if it lasts; nothing when
   * it cannot happen now (the subsystem has nothing to fault): a plan is drawn before the run, and
   * the run decides.
   */
  inject(kernel: KernelHandle, values: FaultValues): FaultEnd | undefined;
}

/** Any fault kind, whatever its limits. */
// biome-ignore lint/suspicious/noExplicitAny: a subsystem's list holds kinds with their own limits.
export type AnyFaultKind = FaultKind<any>;

const faultKindName = /^[a-z][a-z0-9-]{0,31}$/;

/** Checks and returns a fault kind: a name, whole non-negative limits with a count, ranges in order. */
export function defineFaultKind<TLimits extends FaultLimits>(kind: FaultKind<TLimits>): FaultKind<TLimits> {
  if (!faultKindName.test(kind.name)) throw new TypeError(`a fault kind's name is lower case, digits and '-' (1 to 32, a letter first): '${kind.name}'`);
  checkFaultLimits(kind, kind.limits);
  return Object.freeze({ ...kind });
}

/**
 * `limits` completed with the kind's defaults, checked: only limits the kind has, each a finite
 * number ≥ 0, `countMax` whole, and every field's range in order. Throws RangeError naming the bad one.
 */
export function checkFaultLimits<TLimits extends FaultLimits>(kind: FaultKind<TLimits>, limits: Partial<TLimits>): TLimits {
  for (const [name, value] of Object.entries(limits)) {
    if (!(name in kind.limits)) throw new RangeError(`fault kind '${kind.name}' has no limit '${name}'; it has ${Object.keys(kind.limits).join(', ')}`);
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
      throw new RangeError(`fault kind '${kind.name}': ${name} must be a finite number ≥ 0, got ${String(value)}`);
  }
  const complete = { ...kind.limits, ...limits } as TLimits;
  if (!Number.isInteger(complete.countMax)) throw new RangeError(`fault kind '${kind.name}': countMax must be whole, got ${complete.countMax}`);
  for (const [name, field] of Object.entries(kind.fields(complete))) {
    if (!(field.min <= field.max)) throw new RangeError(`fault kind '${kind.name}': field ${name} ranges from ${field.min} to ${field.max}`);
    if (field.integer === true && !(Number.isInteger(field.min) && Number.isInteger(field.max))) {
      throw new RangeError(`fault kind '${kind.name}': field ${name} is whole, and ranges from ${field.min} to ${field.max}`);
    }
  }
  return complete;
}
