import { type Cell, Status } from './cell.js';
import { isSupervising } from './supervising.js';
import { type ExitReason, isCleanExit, type Signal } from './signals.js';

/**
 * What travels in an actor's system lane, ahead of its user messages: stops, link exits, signals
 * for its hooks, and its children's failures and exits.
 */
export type SystemItem =
  | { readonly kind: 'stop'; readonly reason: ExitReason }
  /**
   * An exit signal: from a linked actor that ended (`linked`), or from `exit(ref, reason)` (`from`
   * null outside any actor). Like `signal`, it is for the incarnation that was current when it was
   * queued (`incarnation`): the next one never made that link or monitor, and an exit sent while
   * the actor was between incarnations is not for it either.
   */
  | {
      readonly kind: 'exit';
      readonly incarnation: number;
      readonly from: Cell | null;
      readonly reason: ExitReason;
      readonly error: unknown;
      readonly output: unknown;
      readonly linked: boolean;
    }
  | { readonly kind: 'signal'; readonly incarnation: number; readonly signal: Signal }
  /** A child's incarnation died (see Lifecycle.die): its parent decides what follows. */
  | { readonly kind: 'child-failed'; readonly child: Cell; readonly reason: ExitReason; readonly error: unknown; readonly message: unknown }
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
      if (item.incarnation === cell.incarnation) lifecycle.exitSignal(cell, item.from, item.reason, item.error, item.output, item.linked);
      return;
    case 'signal':
      if (item.incarnation === cell.incarnation) cell.deliverSignal(item.signal);
      return;
    case 'child-failed':
      onChildFailed(cell, item.child, item.reason, item.error, item.message);
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

function onChildFailed(parent: Cell, child: Cell, reason: ExitReason, error: unknown, message: unknown): void {
  // A parent that is itself crashed or stopping will end this child with the rest of its subtree.
  if (parent.status !== Status.Running || child.status === Status.Stopped) return;
  const instance = parent.instance;
  if (isSupervising(instance)) {
    instance.childFailed(child, reason, error, message);
    return;
  }
  // A plain parent does not restart: the child stops, and the parent hears why if it failed.
  void parent.kernel.lifecycle.terminate(child, reason, error, false);
  if (!isCleanExit(reason)) parent.deliverSignal({ type: 'child-failed', child: child.ref as never, error, message });
}
