/**
 * A cell that is its own scheduling entity: the fair dispatcher's cells (`FairDispatcher.createCell`).
 * The scheduler's fields live on the cell rather than in a record beside it, which saved an object
 * header, the record's pointer to its cell and the cell's pointer to its record: 40 of the 112 bytes
 * an actor gained on its first message (issue "Fast by default", heap per actor).
 *
 * @example
 * ```ts
 * const cell = dispatcher.createCell(kernel, pid, behavior, { priority: 2 }, parent) as SchedCell;
 * scheduler.wake(cell, clock.now()); // the cell is the entity; `pickNext(...).entity.owner === cell`
 * ```
 */
import type { Pid } from '../../ground/pid.js';
import type { AnyBehavior } from '../runtime/behavior.js';
import { Cell } from '../runtime/cell.js';
import type { KernelCore } from '../runtime/kernel-core.js';
import type { SpawnOptions } from '../runtime/spawn-options.js';
import { initializeEntity, priorityValue, Schedulable, type SchedEntity } from './entity.js';
import { priorityDefault } from './limits.js';

export class SchedCell extends Schedulable(Cell) implements SchedEntity<SchedCell> {
  constructor(kernel: KernelCore, pid: Pid, behavior: AnyBehavior, options: SpawnOptions | undefined, parentCell: Cell | null) {
    super(kernel, pid, behavior, options, parentCell);
    // Spawn options were checked at spawn (`checkScheduling`). The defaults are one store: a spawn
    // is about a microsecond, and most take them.
    if (options === undefined || (options.priority === undefined && options.pinned === undefined)) this.priority = priorityDefault;
    else initializeEntity(this, { priority: options.priority === undefined ? undefined : priorityValue(options.priority), pinned: options.pinned });
  }

  /** The cell itself: what the scheduler hands back from `pickNext`. */
  get owner(): SchedCell {
    return this;
  }
}
