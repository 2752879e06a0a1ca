/**
 * What may move to another CPU, and what moves (OSv migrates a thread with its runtime; here an
 * actor moves with its own fields, its mailbox and its decayed runtime, see CpuNode.migrate).
 *
 * An actor moves only if nothing ties it to this CPU's memory. Each tie has a reason, shown in the
 * scheduler's stats of a pinned actor, so a user sees why the balancer leaves it alone:
 * supervision, children, monitors and links, timers, a pending async handler, closure state
 * (`fromSetup`), and fields that hold refs or functions. Fields msgpackr cannot encode are found
 * when the move is tried; the actor is then pinned with that reason.
 */
import { ActorRef } from '../runtime/ref.js';
import { type Cell, Hold, Status } from '../runtime/cell.js';
import type { BehaviorFactory } from '../runtime/behavior.js';

/** Why `cell` cannot move to another CPU now, or null if it can. */
export function migrationBlocker(cell: Cell, userRoot: Cell): string | null {
  if (cell.isRemote()) return 'it lives on another CPU';
  if (cell.pinned) return 'it is pinned';
  if (cell.status !== Status.Running) return 'it is not running (crashed, stopping or stopped)';
  if (cell.kernel.current === cell) return 'it is handling a message';
  if ((cell.held & Hold.Awaiting) !== 0) return 'it is awaiting an async handler';
  // Sent later from another CPU, its mail could overtake what it sent from this one.
  if ((cell.held & Hold.Parked) !== 0) return 'what it sent waits in an outbox';
  if ((cell.held & Hold.Switching) !== 0) return 'what it sent waits for a switch of routes';
  if (cell.parentCell !== userRoot) return `it is supervised by ${cell.parentCell?.describe() ?? 'nothing'} (supervision does not cross CPUs)`;
  if (cell.firstChild !== null) return 'it has children';
  const extras = cell.extras;
  if (extras !== null) {
    if ((extras.watchers?.size ?? 0) > 0 || (extras.watching?.size ?? 0) > 0 || (extras.links?.size ?? 0) > 0 || extras.trapExits)
      return 'it is monitored or linked';
    if ((extras.timers?.size ?? 0) > 0) return 'it has timers';
    if ((extras.lane?.count ?? 0) > 0) return 'it has signals pending';
    if (extras.random !== null) return 'it draws from its own random stream';
  }
  const factory = cell.behavior as BehaviorFactory<never>;
  if (factory.kind === 'factory' && factory.stateless !== true) return 'its state lives in a closure (fromSetup); use a class actor to let it move';
  return null;
}

/**
 * The state that moves: a class actor's own enumerable fields as a plain object (null for a
 * stateless `fromReceive` actor). Throws a TypeError naming the first field that cannot move.
 */
export function captureState(cell: Cell): Record<string, unknown> | null {
  const factory = cell.behavior as BehaviorFactory<never>;
  if (factory.kind === 'factory') return null;
  const state: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(cell.instance as object)) {
    if (value instanceof ActorRef) throw new TypeError(`field '${field}' holds an actor ref (refs do not travel between CPUs yet)`);
    if (typeof value === 'function' || typeof value === 'symbol') throw new TypeError(`field '${field}' holds a ${typeof value}`);
    state[field] = value;
  }
  return state;
}

/** Puts migrated `state` into a fresh instance of the same class (its constructor has run). */
export function restoreState(instance: object, state: unknown): void {
  if (state !== null && typeof state === 'object') Object.assign(instance, state);
}
