/**
 * A schedulable entity: the scheduler's record of one actor (OSv's `thread` as the scheduler sees
 * it). The caller creates one per actor and keeps it, e.g. on the actor's cell; the scheduler only
 * reads and writes the fields below and hands the entity back from `pickNext`, `owner` included.
 */
import type { Runtime } from './decayed-runtime.js';
import { runtimeExported } from './decayed-runtime.js';
import { assert } from '../../ground/assert.js';
import { cpusMax } from '../../ground/pid.js';
import { priorityDefault, priorityIdle, priorityInfinity, priorityMax, priorityMin, renormalizeCountMax } from './limits.js';

/**
 * Scheduling classes, served in this order. `realtime` is FIFO and always runs before `fair` (OSv's
 * SCHED_FIFO threads; the issue's `priority_infinity` drivers); `fair` shares by decayed runtime;
 * `idle` runs only when nothing else is runnable (`priority_idle`: its runtime is always ∞).
 */
// biome-ignore lint/suspicious/noConstEnum: inlined by tsc (no isolatedModules): read on every turn, see EntityMask
export const enum SchedClass {
  realtime = 0,
  fair = 1,
  idle = 2,
}

/** Where an entity is. Only the scheduler changes it. */
// biome-ignore lint/suspicious/noConstEnum: inlined by tsc (no isolatedModules): read on every turn, see EntityMask
export const enum EntityState {
  detached = 0,
  sleeping = 1,
  queued = 2,
  running = 3,
}

export interface SchedEntityOptions {
  /**
   * Share ∝ 1/priority, in [priorityMin, priorityMax] (default 1). `priorityInfinity` selects the
   * real-time class, `priorityIdle` (∞) the idle class.
   */
  readonly priority?: number;
  /** A pinned entity is never migrated by the balancer (OSv's migration lock). */
  readonly pinned?: boolean;
}

/**
 * What the scheduler reads and writes of an actor. The kernel's cells carry these fields themselves
 * (`SchedCell`, sched-cell.ts): a separate record per actor cost a 96-byte object and a pointer to
 * it. `createSchedEntity` makes a standalone one, for the scheduler alone (tests, benchmarks).
 */
export interface SchedEntity<TOwner = unknown> extends Runtime {
  /** What the entity schedules: `pickNext` hands it back with the entity. */
  readonly owner: TOwner;
  /** Changed only through `CpuScheduler.setPriority`, which keeps the run queue ordered. */
  priority: number;
  /** @internal R'' (see decayed-runtime.ts); 0 for a newcomer, always 0 in the real-time class. */
  runtime: number;
  /** @internal */
  renormalizeCount: number;
  /** @internal Position in its run-queue heap, −1 when not queued. */
  heapIndex: number;
  /** @internal Tie-break among equal runtimes: insertion order (see run-queue.ts). */
  seq: number;
  /** @internal When it was last woken from sleep, in whole µs wrapped to 32 bits (see `stampUs`); `WokenAt.never` once it ran. */
  wokenAtUs: number;
  /** @internal The dispatcher's estimate of its CPU time per message, in whole ns (0: unknown), at most `nsPerMessageMax`. */
  nsPerMessage: number;
  /** Its scheduling class, which its priority selects. */
  schedClass: SchedClass;
  /** Never migrated while set; the caller may flip it at any time. */
  pinned: boolean;
  /** @internal The CPU it is attached to, −1 when detached. */
  cpu: number;
  /** @internal Where it is (see EntityState). Only the scheduler changes it. */
  state: EntityState;
  /** @internal The state, class, pin, CPU and renormalisation count in one word (see `Schedulable`). */
  schedFlags: number;
}

/** A class whose instances the scheduling fields are added to (TypeScript's mixin form). */
// biome-ignore lint/suspicious/noExplicitAny: TypeScript requires `any[]` of a mixin's base constructor
type Base = abstract new (...args: any[]) => object;

/**
 * `Base` with the scheduling fields of `SchedEntity` (all but `owner`), set to a detached entity
 * of the default priority; `initializeEntity` applies spawn options. One definition for the
 * kernel's cells and for standalone entities, so the two cannot drift apart.
 */
export function Schedulable<TBase extends Base>(base: TBase) {
  abstract class Entity extends base {
    /**
     * A tagged field (see `taggedNumber`): most actors keep the default, a small integer stored
     * inline. The class that mixes these fields in sets it (`initializeEntity`, or the default).
     */
    priority: number = taggedNumber();
    runtime = 0;
    /**
     * The state (bits 0–1), the class (bits 2–3), the pin (bit 4), the CPU plus one (bits 5–10, 0
     * when detached) and the renormalisation count plus one (bits 11–30, 0 when exported), in one
     * word rather than five fields: one per actor, so its size counts.
     */
    schedFlags: number = (SchedClass.fair << EntityShift.Class) | EntityState.detached;
    heapIndex = -1;
    seq = 0;
    /** A small integer, stored inline. */
    wokenAtUs: number = WokenAt.never;
    /** In whole ns: a small integer, stored inline, where ms would take a 16-byte heap number per actor. */
    nsPerMessage = 0;

    get schedClass(): SchedClass {
      return ((this.schedFlags & EntityMask.Class) >> EntityShift.Class) as SchedClass;
    }

    set schedClass(value: SchedClass) {
      this.schedFlags = (this.schedFlags & ~EntityMask.Class) | (value << EntityShift.Class);
    }

    get pinned(): boolean {
      return (this.schedFlags & EntityMask.Pinned) !== 0;
    }

    set pinned(value: boolean) {
      this.schedFlags = value ? this.schedFlags | EntityMask.Pinned : this.schedFlags & ~EntityMask.Pinned;
    }

    get cpu(): number {
      return ((this.schedFlags & EntityMask.Cpu) >> EntityShift.Cpu) - 1;
    }

    set cpu(value: number) {
      this.schedFlags = (this.schedFlags & ~EntityMask.Cpu) | ((value + 1) << EntityShift.Cpu);
    }

    get state(): EntityState {
      return (this.schedFlags & EntityMask.State) as EntityState;
    }

    set state(value: EntityState) {
      this.schedFlags = (this.schedFlags & ~EntityMask.State) | value;
    }

    get renormalizeCount(): number {
      return ((this.schedFlags & EntityMask.Count) >>> EntityShift.Count) - 1;
    }

    set renormalizeCount(value: number) {
      this.schedFlags = (this.schedFlags & ~EntityMask.Count) | ((value + 1) << EntityShift.Count);
    }
  }
  return Entity;
}

/**
 * Where `entity` is and on which CPU, as one number: the scheduler's checks on every turn compare it
 * with a `placeCode` worked out once, one load and one comparison instead of decoding two fields.
 */
export function placeOf(entity: SchedEntity): number {
  return entity.schedFlags & (EntityMask.State | EntityMask.Cpu);
}

/** The `placeOf` an entity in `state` on `cpu` has. */
export function placeCode(state: EntityState, cpu: number): number {
  return state | ((cpu + 1) << EntityShift.Cpu);
}

/**
 * Applies `options` to a new, detached entity: its priority, class and pin. Called by the
 * constructor of every class that mixes in `Schedulable`, after the fields are made.
 */
export function initializeEntity(entity: SchedEntity, options: SchedEntityOptions = {}): void {
  const priority = options.priority ?? priorityDefault;
  entity.priority = priority;
  entity.pinned = options.pinned ?? false;
  entity.schedClass = schedClassOf(priority);
  if (entity.schedClass === SchedClass.idle) entity.runtime = Number.POSITIVE_INFINITY;
}

/** An entity of its own, for the scheduler without a kernel (see `createSchedEntity`). */
class StandaloneEntity<TOwner> extends Schedulable(class {}) implements SchedEntity<TOwner> {
  constructor(
    readonly owner: TOwner,
    options?: SchedEntityOptions,
  ) {
    super();
    initializeEntity(this, options);
  }
}

/** The largest `nsPerMessage`, about 2 s: a handler slower than that is charged at this rate between clock readings. */
export const nsPerMessageMax = 2 ** 31 - 1;

/** `wokenAtUs` of an entity that has run since its last wake: a const enum, read on every turn (see SchedLimit). */
// biome-ignore lint/suspicious/noConstEnum: inlined by tsc (no isolatedModules), which is why it exists
export const enum WokenAt {
  never = -1,
}

/**
 * A clock reading in whole µs wrapped to 32 bits: a small integer, which an object keeps inline,
 * where a fractional ms reading would take a 16-byte heap number per actor. The difference of two
 * stamps, `(b - a) | 0`, holds for spans under 35 minutes. (A stamp that happens to equal
 * `WokenAt.never` loses one latency sample.)
 */
export function stampUs(nowMs: number): number {
  return (nowMs * 1000) | 0;
}

/**
 * The initial value of a number field that V8 should keep as a tagged value: a small integer
 * inline, any other number as a heap number made when written. Without it, the first fractional
 * value written makes V8 keep the field of every such object as a mutable double box, 16 bytes per
 * object, whatever it holds: the right trade for a field written every turn (the runtime), the
 * wrong one for a field that rarely changes. The constructor writes the real value right after.
 */
function taggedNumber(): number {
  return null as unknown as number;
}

/**
 * The layout of `SchedEntity.schedFlags`: masks, and the shifts of the class and the CPU. `const enum`s:
 * TypeScript writes the numbers into the code, where module constants would each cost a context load
 * and a hole check on every turn. They stay inside this file.
 */
// biome-ignore lint/suspicious/noConstEnum: file-local, inlined by tsc (no isolatedModules); see above
const enum EntityMask {
  State = 3,
  Class = 12,
  Pinned = 16,
  Cpu = 2016,
  Count = 2147481600,
}
// biome-ignore lint/suspicious/noConstEnum: file-local, inlined by tsc (no isolatedModules); see above
const enum EntityShift {
  Class = 2,
  Cpu = 5,
  Count = 11,
}
assert(
  EntityMask.Class === 3 << EntityShift.Class && EntityMask.Cpu === 63 << EntityShift.Cpu && EntityMask.Count === (2 ** 20 - 1) * 2 ** EntityShift.Count,
  'the fields of SchedEntity.schedFlags do not overlap',
);
assert(renormalizeCountMax + 1 < 2 ** 20 && runtimeExported === -1, 'an entity keeps its renormalisation count plus one in 20 bits');
assert(cpusMax < EntityMask.Cpu >> EntityShift.Cpu, 'an entity keeps its CPU plus one in 6 bits');

/** The class a priority selects; throws RangeError for a priority outside every band. */
export function schedClassOf(priority: number): SchedClass {
  if (priority === priorityInfinity) return SchedClass.realtime;
  if (priority === priorityIdle) return SchedClass.idle;
  if (!(priority >= priorityMin && priority <= priorityMax)) {
    throw new RangeError(`priority ${priority} is not in [${priorityMin}, ${priorityMax}] (nor 'realtime' or 'idle')`);
  }
  return SchedClass.fair;
}

/** A priority as users write it: a number, or the name of a class. */
export type PriorityOption = number | 'realtime' | 'idle';

/** The number behind a `PriorityOption`; throws RangeError for one outside every band. */
export function priorityValue(priority: PriorityOption): number {
  const value = priority === 'realtime' ? priorityInfinity : priority === 'idle' ? priorityIdle : priority;
  if (typeof value !== 'number') throw new RangeError(`priority must be a number, 'realtime' or 'idle', got ${String(priority)}`);
  schedClassOf(value);
  return value;
}

/**
 * Creates the scheduler's record for `owner` (detached: not on any CPU until its first `wake`).
 *
 * @example
 * ```ts
 * const entity = createSchedEntity(cell, { priority: 2 }); // half the share of a default actor
 * scheduler.wake(entity, clock.now());                    // runnable on this CPU
 * ```
 */
export function createSchedEntity<TOwner>(owner: TOwner, options?: SchedEntityOptions): SchedEntity<TOwner> {
  return new StandaloneEntity(owner, options);
}

/** Throws RangeError at spawn time for scheduling options the scheduler would refuse later. */
export function checkScheduling(options: { readonly priority?: PriorityOption; readonly pinned?: boolean }): void {
  if (options.priority !== undefined) priorityValue(options.priority);
  if (options.pinned !== undefined && typeof options.pinned !== 'boolean') throw new TypeError(`pinned must be a boolean, got ${String(options.pinned)}`);
}
