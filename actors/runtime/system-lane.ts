import { type Cell, Status } from './cell.js';
import { LinkedCrashError } from '../../ground/errors.js';
import { isSupervising } from './supervising.js';
import { type ExitReason, isNormalExit, type Signal } from './signals.js';

/**
 * What travels in an actor's system lane, ahead of its user messages: stops, link exits, signals
 * for its hooks, and its children's failures and exits.
 */
export type SystemItem =
  | { readonly kind: 'stop'; readonly reason: ExitReason }
  | { readonly kind: 'exit'; readonly from: Cell; readonly reason: ExitReason; readonly error: unknown }
  | { readonly kind: 'signal'; readonly signal: Signal }
  | { readonly kind: 'child-failed'; readonly child: Cell; readonly error: unknown; readonly message: unknown }
  | { readonly kind: 'child-exited'; readonly child: Cell; readonly reason: ExitReason; readonly error: unknown }
  /** Kernel code to run in the actor's turn, ahead of its user messages (interrupt wakes). */
  | { readonly kind: 'run'; readonly run: (cell: Cell) => void };

/**
 * Runs the system items of `cell` that were queued when its turn began, in order. Items queued
 * meanwhile (a handler re-pending itself) wait for the next turn, behind the other runnable actors.
 */
export function drainSystemLane(cell: Cell): void {
  const lane = cell.extras?.lane;
  if (lane == null) return;
  for (let queued = lane.count; queued > 0 && lane.count > 0 && cell.status !== Status.Stopped; queued--) handleSystemItem(cell, lane.shift());
}

function handleSystemItem(cell: Cell, item: SystemItem): void {
  const lifecycle = cell.kernel.lifecycle;
  switch (item.kind) {
    case 'stop':
      void lifecycle.terminate(cell, item.reason, undefined, true);
      return;
    case 'exit':
      if (cell.extras?.trapExits) {
        cell.deliverSignal({ type: 'exit', from: item.from.ref as never, reason: item.reason, error: item.error });
      } else if (!isNormalExit(item.reason) && cell.status <= Status.Suspended) {
        lifecycle.fail(cell, new LinkedCrashError(item.from.describe(), item.reason), undefined, 0);
      }
      return;
    case 'signal':
      cell.deliverSignal(item.signal);
      return;
    case 'child-failed':
      onChildFailed(cell, item.child, item.error, item.message);
      return;
    case 'run':
      // A throw here is the actor's failure, like a throw in its own handler.
      if (cell.status === Status.Running) cell.kernel.runHook(cell, () => item.run(cell));
      return;
    case 'child-exited':
      if (isSupervising(cell.instance) && cell.status === Status.Running) cell.instance.childExited(item.child, item.reason, item.error);
      return;
  }
}

function onChildFailed(parent: Cell, child: Cell, error: unknown, message: unknown): void {
  // A parent that is itself crashed or stopping will end this child with the rest of its subtree.
  if (parent.status !== Status.Running || child.status === Status.Stopped) return;
  const instance = parent.instance;
  if (isSupervising(instance)) {
    instance.childFailed(child, error, message);
    return;
  }
  // A plain parent does not restart: the child stops, and the parent hears why.
  void parent.kernel.lifecycle.terminate(child, 'crashed', error, false);
  parent.deliverSignal({ type: 'child-failed', child: child.ref as never, error, message });
}
