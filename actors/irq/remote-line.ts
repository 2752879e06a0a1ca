/**
 * Interrupt affinity across CPUs: a vector follows its handler (OSv's `set_affinity_and_wake`).
 *
 * OSv retargets the MSI-X entry, so the next interrupt fires on the handler's CPU. Here a device
 * cannot change threads (a socket or a signal listener belongs to its event loop), so the ISR keeps
 * running where the vector was allocated: it records into the same bounded ring and steps the same
 * line. Only the wake moves: instead of the handler's system lane, it is the controller's turn that
 * takes a batch and sends it to the handler's CPU in one `irq.batch` frame. The far CPU runs
 * the batch in the handler's system lane (ahead of its mail, as a local wake) and answers; the
 * answer ends the service (unmask, look at the ring again), so one frame still covers a burst of
 * events, and events raised while a batch travels go in the next one.
 *
 * Counting: a batch counts as delivered when it is sent; if it never reaches the handler (its CPU
 * is down, the ring is full, the actor is gone or is no interrupt handler) its events move to
 * `dropped`, keeping `raised = delivered + overruns + queued + dropped`.
 */
import { ActorStoppedError } from '../../ground/errors.js';
import { arrayCountMax } from '../../protocols/limits.js';
import { IRQ_BATCH } from '../../protocols/irq.js';
import { type Cell, Status } from '../runtime/cell.js';
import type { ActorContext } from '../runtime/context.js';
import { handlerMark, isInterruptHandler, type OnEvents } from './handler.js';
import { Line, LineInput, type LineState, ringInput } from './line.js';
import type { VectorState } from './vector.js';
import { sendBatch } from './frames.js';

/** Answers a batch: `ok` once the handler had it, or `false` and why it never did. */
export type SettleBatch = (ok: boolean, value: unknown) => void;

/**
 * The wake of a vector whose handler lives on another CPU, run in the controller's turn on the
 * vector's CPU: take a batch and send it. Like `serviceLine`, a wake that lost its meaning returns.
 */
export function serviceRemoteLine(vector: VectorState<never>): void {
  if (!vector.wakeQueued) return;
  vector.wakeQueued = false;
  const handler = vector.handler;
  if (vector.freed || vector.line !== Line.pending || handler === null || !handler.isRemote()) return;
  const routing = vector.routing;
  if (routing === null) return;
  vector.step(LineInput.serviceStart);
  // A frame carries at most the codec's array bound; a larger batch size only applies locally.
  const batch = vector.ring.take(Math.min(vector.batchEvents, arrayCountMax));
  vector.delivered += batch.length;
  if (batch.length > vector.batchMax) vector.batchMax = batch.length;
  const served = (): void => {
    // Freed meanwhile, or masked by software: only a line still in service unmasks.
    const line = vector.line as LineState;
    if (!vector.freed && line === Line.inService) vector.step(ringInput('drain-done', vector.ring.count));
  };
  sendBatch(routing, handler, vector.vector, batch).then(served, () => {
    vector.delivered -= batch.length;
    vector.dropped += batch.length;
    served();
  });
}

/**
 * The receiving side: runs a batch from another CPU's vector in handler `cell`'s system lane and
 * settles it. An empty batch only checks that `cell` is a live interrupt handler (what `allocate`
 * asks before it binds a remote handler). If the handler throws, the batch was delivered: it is
 * settled as such, then the throw crashes the handler as in a local wake.
 */
export function runRemoteBatch(cell: Cell | undefined, vector: number, events: unknown, settle: SettleBatch): void {
  if (cell === undefined || cell.status >= Status.Stopping) {
    settle(false, new ActorStoppedError(`the interrupt handler of vector ${vector}`, IRQ_BATCH));
    return;
  }
  if (!isInterruptHandler(cell.behavior)) {
    settle(false, new TypeError(`${cell.describe()} is not an interrupt handler actor (spawn it from interruptHandler())`));
    return;
  }
  if (!Array.isArray(events)) {
    settle(false, new TypeError(`a batch of interrupt events for ${cell.describe()} is not an array`));
    return;
  }
  if (events.length === 0) {
    settle(true, 0);
    return;
  }
  const run = (self: ActorContext<never>): void => {
    const onEvents = (cell.instance as { readonly [handlerMark]?: OnEvents<unknown> } | null)?.[handlerMark];
    if (onEvents === undefined) {
      settle(false, new ActorStoppedError(cell.describe(), IRQ_BATCH));
      return;
    }
    try {
      onEvents(events, self, vector);
    } finally {
      settle(true, events.length);
    }
  };
  if (!cell.kernel.runInTurnOf(cell.ref as never, run)) settle(false, new ActorStoppedError(cell.describe(), IRQ_BATCH));
}
