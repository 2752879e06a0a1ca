import type { BehaviorFactory } from '../runtime/behavior.js';
import type { Cell } from '../runtime/cell.js';
import { InvariantError } from '../../ground/errors.js';
import type { ExitReason } from '../runtime/signals.js';
import { fromSystem } from '../runtime/system-context.js';

/** Names of the controller's actor in the kernel tree. */
export const controllerNames = {
  /** Its child spec id under the `irq` supervisor. */
  childId: 'irq-controller',
  /** Its registered name. */
  actor: 'kernel.irq.controller',
} as const;

/** What the anchor tells the controller (kept minimal so this file does not import it). */
export interface AnchoredController {
  /** The anchor's incarnation started: its cell can run deferred wakes. */
  anchored(cell: Cell): void;
  /** The anchor stopped for good: the controller is done. */
  released(): void;
}

/**
 * The controller's place in the kernel tree: an actor with no mail whose only job is its `stopped`
 * hook. The controller itself is a plain object (the ISR must be a synchronous call, not a message),
 * so it borrows this actor's lifecycle: when the `irq` supervisor stops it — at kernel shutdown, or
 * when the supervisor itself goes down — every vector is freed and every driver detached, so signal
 * listeners and armed timers never outlive the kernel.
 *
 * It is also the trampoline of re-pends: a handler that drained a batch and left events in the ring
 * queues its next wake through the anchor's turn (see `InterruptController.defer`), which puts the
 * handler behind every actor already runnable instead of running it again in the same turn.
 */
export function controllerAnchor(controller: AnchoredController): BehaviorFactory<never> {
  return fromSystem<never>(
    (ctx) => ({
      started(): void {
        controller.anchored(ctx.cell);
      },
      receive(message: unknown): void {
        throw new InvariantError(`the interrupt controller actor takes no mail (got ${JSON.stringify(message)})`);
      },
      stopped(_ctx: unknown, reason: ExitReason): void {
        // A crash would be restarted in place (it cannot happen: the anchor has no mail); any
        // other ending is the end of the controller, until its supervisor starts it again.
        if (reason !== 'crashed') controller.released();
      },
    }),
    'irq-controller',
  );
}
