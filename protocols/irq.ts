/**
 * The interrupt subsystem's messages: the events of an interrupt line (what the line machine of
 * `actors/irq/machine.ts` accepts), the device events drivers raise on vectors (signals, timers),
 * and a vector's statistics.
 *
 * Line events never travel as actor mail: the controller steps each line itself, per wake. They
 * are declared here so the machine, the controller and traces agree on one vocabulary. (A vector
 * whose handler lives on another CPU sends it batches of events in `irq.batch` frames, below.)
 */
import { createSchemaRegistry, defineMessage } from './schema.js';
import type { MessageOf } from './schema.js';

export const IRQ_RAISE = 'irq.raise' as const;
export const IRQ_SERVICE_START = 'irq.service-start' as const;
export const IRQ_DRAIN_DONE = 'irq.drain-done' as const;
export const IRQ_MASK = 'irq.mask' as const;
export const IRQ_UNMASK = 'irq.unmask' as const;
export const IRQ_SIGNAL = 'irq.signal' as const;
export const IRQ_TIMER = 'irq.timer' as const;

/** What a line saw in its ring when it asked: nothing left, or more events waiting. */
export type RingLevel = 'empty' | 'more';

/** The ISR ran: an event was recorded (or counted as an overrun) on the vector. */
export const irqRaise = defineMessage(IRQ_RAISE, {});
/** The handler's wake runs: it starts draining, the line stays masked. */
export const irqServiceStart = defineMessage(IRQ_SERVICE_START, {});
/** The handler drained its batch, unmasked, and looked at the ring once more. */
export const irqDrainDone = defineMessage(IRQ_DRAIN_DONE, { ring: { oneOf: ['empty', 'more'] } });
/** Software masks the line: events are still recorded, nobody is woken. */
export const irqMask = defineMessage(IRQ_MASK, {});
/** Software unmasks the line; `ring` says whether events were recorded while it was masked. */
export const irqUnmask = defineMessage(IRQ_UNMASK, { ring: { oneOf: ['empty', 'more'] } });

export type IrqRaise = MessageOf<typeof irqRaise>;
export type IrqServiceStart = MessageOf<typeof irqServiceStart>;
export type IrqDrainDone = { readonly type: typeof IRQ_DRAIN_DONE; readonly ring: RingLevel };
export type IrqMask = MessageOf<typeof irqMask>;
export type IrqUnmask = { readonly type: typeof IRQ_UNMASK; readonly ring: RingLevel };
/** The events of an interrupt line. */
export type LineEvent = IrqRaise | IrqServiceStart | IrqDrainDone | IrqMask | IrqUnmask;

/** Process signals the kernel turns into interrupts. */
export type SignalName = 'SIGINT' | 'SIGTERM';
export const signalNames: readonly SignalName[] = ['SIGINT', 'SIGTERM'];

/** A process signal arrived (raised by the signal driver on its vector); `seq` counts from 1. */
export const irqSignal = defineMessage(IRQ_SIGNAL, { name: { oneOf: signalNames }, seq: 'integer' });
/** A timer of a timer source fired: `id` from `arm`, due and fire times on the kernel's clock. */
export const irqTimer = defineMessage(IRQ_TIMER, { id: 'integer', tag: 'string', dueMs: 'number', firedMs: 'number' });

export type IrqSignal = { readonly type: typeof IRQ_SIGNAL; readonly name: SignalName; readonly seq: number };
export type IrqTimer = MessageOf<typeof irqTimer>;
/** Device events drivers raise on vectors. */
export type IrqDeviceEvent = IrqSignal | IrqTimer;

export const IRQ_BATCH = 'irq.batch' as const;

/**
 * A frame between CPUs: a batch of interrupt events for handler actor `to`, raised on vector
 * `vector` of the sending CPU (the vector follows its handler to this CPU, see
 * actors/irq/remote-line.ts). It is not mail: the receiving CPU runs the batch in the handler's
 * system lane, ahead of its mail, and answers `kernel.reply` for `askId` once the handler has had
 * it, so the sending line can unmask. `vector` -1 with no events only checks the handler.
 */
export const irqBatch = defineMessage(IRQ_BATCH, { to: 'pid', askId: 'integer', vector: 'integer', events: 'any' });
export type IrqBatch = MessageOf<typeof irqBatch>;
export type IrqMessage = LineEvent | IrqDeviceEvent;

/** The state of an interrupt line, as the machine names it. */
export type LineStateName = 'idle' | 'pending' | 'inService' | 'masked';

/**
 * Counters of one vector. Every raised event is either delivered, counted as an overrun, still in
 * the ring, or dropped when the vector was freed: `raised = delivered + overruns + queued + dropped`.
 */
export interface VectorStats {
  readonly vector: number;
  readonly name: string;
  /**
   * The CPU whose handler serves the vector. Events are recorded on the CPU that allocated the
   * vector; when the handler migrates, the vector follows it and each wake carries a batch there.
   */
  readonly cpu: number;
  /** Times the vector followed its handler to another CPU. */
  readonly retargets: number;
  readonly line: LineStateName;
  /** Events offered to the ISR. */
  readonly raised: number;
  /** Events handed to the handler's callback. */
  readonly delivered: number;
  /** Times the handler was woken (first wakes and re-pends after a drain that left more). */
  readonly wakes: number;
  /** Events refused because the ring was full (drop-newest-and-count). */
  readonly overruns: number;
  /** Largest batch one wake delivered. */
  readonly batchMax: number;
  /** Events recorded and not yet delivered. */
  readonly queued: number;
  /** Events still queued when the vector was freed. */
  readonly dropped: number;
}

/** Every irq message descriptor, in a fixed order (codecs on all CPUs derive the same seeds from it). */
export const irqDescriptors = [irqRaise, irqServiceStart, irqDrainDone, irqMask, irqUnmask, irqSignal, irqTimer] as const;

/**
 * Validates irq messages from untrusted sources (another CPU, a replay file).
 *
 * @example
 * ```ts
 * const event = irqRegistry.validate(value); // IrqMessage, or throws ProtocolError
 * ```
 */
export const irqRegistry = createSchemaRegistry(irqDescriptors);
