/**
 * The interrupt subsystem's frame between CPUs: `irq.batch`, a batch of a vector's events for a
 * handler that lives on another CPU (see remote-line.ts). Registered on every CPU by the subsystem.
 */
import { IRQ_BATCH, irqBatch } from '../../protocols/irq.js';
import type { Cell } from '../runtime/cell.js';
import { defineFrameType, type FrameRouting } from '../cpu/frame-registry.js';
import { runRemoteBatch } from './remote-line.js';

/**
 * Hands `events` from vector `vector` of this CPU to `handler`, an actor of another CPU. Resolves
 * once the handler had them; rejects if they never reached it, at the latest after `deadlineMs`.
 * An empty batch only checks that `handler` is a live interrupt handler.
 */
export function sendBatch(routing: FrameRouting, handler: Cell, vector: number, events: readonly unknown[], deadlineMs?: number): Promise<unknown> {
  return routing.request(handler, (askId) => ({ type: IRQ_BATCH, to: handler.pid, askId, vector, events }), deadlineMs);
}

/** A batch arrives: run it in the handler's system lane, or pass it on to where the handler moved. */
export const irqBatchFrame = defineFrameType(irqBatch, (message, source, routing) => {
  const { askId, vector, events } = message;
  const settle = (ok: boolean, value: unknown): void => routing.answer(source, askId, ok, value);
  const cell = routing.localCell(message.to);
  if (cell?.isRemote()) {
    sendBatch(routing, cell, vector, events as unknown[]).then(
      (value) => settle(true, value),
      (error: unknown) => settle(false, error),
    );
  } else {
    runRemoteBatch(cell, vector, events, settle);
  }
});
