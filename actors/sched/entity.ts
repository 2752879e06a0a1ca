/**
 * A schedulable entity: the scheduler's record of one actor (OSv's `thread` as the scheduler sees
 * it). The caller creates one per actor and keeps it, e.g. on the actor's cell; the scheduler only
 * reads and writes the fields below and hands the entity back from `pickNext`, `owner` included.
 */
import { assert } from '../runtime/assert.js';
import type { Runtime } from './decayed-runtime.js';
import { runtimeExported } from './decayed-runtime.js';
import { priorityDefault, priorityIdle, priorityInfinity, priorityMax, priorityMin } from './limits.js';

/**
 * Scheduling classes, served in this order. `realtime` is FIFO and always runs before `fair` (OSv's
 * SCHED_FIFO threads; the issue's `priority_infinity` drivers); `fair` shares by decayed runtime;
 * `idle` runs only when nothing else is runnable (`priority_idle`: its runtime is always ∞).
 */
export const SchedClass = { realtime: 0, fair: 1, idle: 2 } as const;
export type SchedClass = (typeof SchedClass)[keyof typeof SchedClass];

/** Where an entity is. Only the scheduler changes it. */
export const EntityState = { detached: 0, sleeping: 1, queued: 2, running: 3 } as const;
export type EntityState = (typeof EntityState)[keyof typeof EntityState];

export interface SchedEntityOptions {
  /**
   * Share ∝ 1/priority, in [priorityMin, priorityMax] (default 1). `priorityInfinity` selects the
   * real-time class, `priorityIdle` (∞) the idle class.
   */
  readonly priority?: number;
  /** A pinned entity is never migrated by the balancer (OSv's migration lock). */
  readonly pinned?: boolean;
}

export class SchedEntity<TOwner = unknown> implements Runtime {
  readonly priority: number;
  readonly schedClass: SchedClass;
  /** Never migrated while set; the caller may flip it at any time. */
  pinned: boolean;
  /** @internal R'' (see decayed-runtime.ts); 0 for a newcomer, always 0 in the real-time class. */
  runtime = 0;
  /** @internal */
  renormalizeCount = runtimeExported;
  /** @internal */
  state: EntityState = EntityState.detached;
  /** @internal The CPU it is attached to, −1 when detached. */
  cpu = -1;
  /** @internal Position in its run-queue heap, −1 when not queued. */
  heapIndex = -1;
  /** @internal Tie-break among equal runtimes: insertion order (see run-queue.ts). */
  seq = 0;

  constructor(
    readonly owner: TOwner,
    options: SchedEntityOptions = {},
  ) {
    const priority = options.priority ?? priorityDefault;
    this.priority = priority;
    this.pinned = options.pinned ?? false;
    this.schedClass = priority === priorityInfinity ? SchedClass.realtime : priority === priorityIdle ? SchedClass.idle : SchedClass.fair;
    assert(
      this.schedClass !== SchedClass.fair || (priority >= priorityMin && priority <= priorityMax),
      () => `priority ${priority} is neither priorityInfinity, priorityIdle nor in [${priorityMin}, ${priorityMax}]`,
    );
    if (this.schedClass === SchedClass.idle) this.runtime = Number.POSITIVE_INFINITY;
  }
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
  return new SchedEntity(owner, options);
}
