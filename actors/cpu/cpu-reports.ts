/**
 * Every CPU seen from CPU 0: the other CPUs report their failures, dead letters and trace events to
 * CPU 0, which publishes them on its own streams, so `kernel.failures`, `kernel.deadLetters` and
 * `kernel.events` of the kernel the embedding program holds show the whole machine, each record
 * with the CPU it happened on. A crash on a worker CPU is not invisible to the program.
 *
 * - Failures and dead letters are always reported: they matter, and a program must not have to
 *   subscribe before a crash to learn of it. A flood of them (a `drop-*` mailbox under load, a crash
 *   storm) is bounded by the queues below, not by their being rare.
 * - Events are reported only while someone on CPU 0 watches `kernel.events`: CPU 0 tells each
 *   other CPU to trace or not (`kernel.observe`), so a CPU nobody watches stays untraced, one
 *   branch per potential event. A CPU that restarts is told again.
 * - Reports wait in a bounded queue per stream (report-queue.ts, drop-newest) and go out in
 *   batches (`kernel.reports`), once per turn of the CPU's event loop and after its busy rounds.
 *   They take at most half of the ring to CPU 0 (`reportRingShareMax`) and never wait on it: a
 *   storm of crashes costs the ring a bounded share, never all of it: mail keeps at least half. What
 *   a full queue drops is counted, and the count reaches CPU 0 with the stream's next frame, to be
 *   published on `kernel.droppedReports`.
 *
 * Event ids are unique across CPUs by construction (see `firstEventId`), so an event crosses as
 * it is and its `cause` still names the right event.
 */
import type { TimerHandle } from '../../drivers/clock/clock.js';
import { invariantBroken } from '../../ground/assert.js';
import { ProtocolError } from '../../protocols/protocol-error.js';
import { KERNEL_OBSERVE, KERNEL_REPORTS, type KernelReports, kernelObserve, kernelReports } from '../../protocols/runtime.js';
import type { DeadLetter, KernelEvent, ReportStream } from '../runtime/events.js';
import type { ChildFailure } from '../runtime/kernel-core.js';
import type { CpuNode } from './cpu-node.js';
import { defineFrameType, type FrameType } from './frame-registry.js';
import {
  deadLetterReportsPerFrameMax,
  deadLetterReportsQueuedMax,
  eventReportsPerFrameMax,
  eventReportsQueuedMax,
  failureReportsPerFrameMax,
  failureReportsQueuedMax,
  outboxRetryMs,
  reportRingShareMax,
} from './limits.js';
import { ReportQueue } from './report-queue.js';
import { deadLetterFromWire, deadLetterToWire, eventFromWire, eventToWire, failureFromWire, failureToWire } from './wire-reports.js';

/** The CPU every other CPU reports to: the main thread, whose kernel the embedding program holds. */
const reportsCpu = 0;

/** One stream's queue, and how its reports cross. */
interface Outgoing<T> {
  readonly stream: ReportStream;
  readonly queue: ReportQueue<T>;
  readonly perFrameMax: number;
  readonly toWire: (report: T, lean: boolean) => unknown[];
}

export class CpuReports {
  readonly frames: readonly FrameType[] = [
    defineFrameType(kernelObserve, (message, source) => this.observe(source, message.events)),
    defineFrameType(kernelReports, (message, source) => this.received(source, message.stream, message.records, message.dropped)),
  ];
  private readonly failures: Outgoing<ChildFailure>;
  private readonly deadLetters: Outgoing<DeadLetter>;
  private readonly events: Outgoing<KernelEvent>;
  /** This CPU's events, while CPU 0 wants them. */
  private stopEvents: (() => void) | null = null;
  private flushScheduled = false;
  private retryTimer: TimerHandle | null = null;
  private readonly flushBound = () => {
    this.flushScheduled = false;
    this.flush();
  };

  constructor(private readonly node: CpuNode) {
    this.failures = { stream: 'failures', queue: new ReportQueue(failureReportsQueuedMax), perFrameMax: failureReportsPerFrameMax, toWire: failureToWire };
    this.deadLetters = {
      stream: 'dead-letters',
      queue: new ReportQueue(deadLetterReportsQueuedMax),
      perFrameMax: deadLetterReportsPerFrameMax,
      toWire: deadLetterToWire,
    };
    this.events = { stream: 'events', queue: new ReportQueue(eventReportsQueuedMax), perFrameMax: eventReportsPerFrameMax, toWire: eventToWire };
    const kernel = node.kernel;
    if (node.cpu === reportsCpu) {
      kernel.tracing.onActiveChange = (active) => this.tellCpus(active);
    } else {
      // The streams complete when this CPU's kernel stops; the listeners end with them. Listeners,
      // not rxjs subscriptions: a worker CPU that nobody observes never loads rxjs.
      kernel.failureStream.listen((failure) => this.hold(this.failures, failure));
      kernel.deadLetterStream.listen((letter) => this.hold(this.deadLetters, letter));
    }
  }

  /** Reports held for CPU 0, not yet in the ring. */
  get waiting(): number {
    return this.failures.queue.count + this.deadLetters.queue.count + this.events.queue.count;
  }

  /** CPU `cpu` is back on fresh rings: on CPU 0, tell it whether to trace, as the others were told. */
  cpuUp(cpu: number): void {
    if (this.node.cpu === reportsCpu && this.node.kernel.tracing.active) this.node.send(cpu, { type: KERNEL_OBSERVE, events: true });
  }

  /** Puts what waits into the ring to CPU 0, as far as its share of the ring allows. */
  flush(): void {
    if (this.waiting === 0 && !this.hasDropCounts()) return;
    const sent = this.sendAll(this.failures) && this.sendAll(this.deadLetters) && this.sendAll(this.events);
    // The ring is past the reports' share: try again shortly, as the outbox does (CPU 0 does not
    // signal freed space); the CPU loop's busy rounds and the simulated stepper also flush.
    if (!sent && this.retryTimer === null) {
      this.retryTimer = this.node.kernel.clock.setTimer(outboxRetryMs, () => {
        this.retryTimer = null;
        this.flush();
      });
    }
  }

  // ---- on CPU 0 ------------------------------------------------------------------------------

  /** Someone on CPU 0 started (or stopped) watching `kernel.events`: every other CPU traces (or stops). */
  private tellCpus(active: boolean): void {
    const node = this.node;
    for (let cpu = 0; cpu < node.cpus; cpu++) if (cpu !== node.cpu) node.send(cpu, { type: KERNEL_OBSERVE, events: active });
  }

  /** Reports of CPU `source`: published on this CPU's streams, as they were on `source`. */
  private received(source: number, stream: ReportStream, records: unknown, dropped: number): void {
    const kernel = this.node.kernel;
    if (!(this.node.cpu === reportsCpu)) invariantBroken(`cpu ${this.node.cpu} got reports from cpu ${source}; only cpu ${reportsCpu} gathers them`);
    if (!Array.isArray(records)) throw new TypeError(`cpu ${source} reported ${stream} that are not a list`);
    const refFor = (pid: number) => this.node.refs.refFor(pid);
    // Nobody watching a stream now is not a loss: the reports are not rebuilt for nobody.
    switch (stream) {
      case 'failures':
        if (kernel.observingFailures) for (const record of records) kernel.publishFailure(failureFromWire(record, source, refFor));
        break;
      case 'dead-letters':
        if (kernel.observingDeadLetters) for (const record of records) kernel.publishDeadLetter(deadLetterFromWire(record, source));
        break;
      case 'events':
        if (kernel.tracing.active) for (const record of records) kernel.publishEvent(eventFromWire(record));
        break;
    }
    if (dropped > 0) kernel.publishDropped({ cpu: source, stream, count: dropped, atMs: kernel.clock.now() });
  }

  // ---- on the other CPUs ---------------------------------------------------------------------

  /** CPU 0 wants this CPU's events (`events`), or no longer does. */
  private observe(source: number, events: boolean): void {
    if (!(source === reportsCpu)) invariantBroken(`cpu ${source} asked for events; only cpu ${reportsCpu} gathers them`);
    if (events && this.stopEvents === null) {
      this.stopEvents = this.node.kernel.tracing.listen((event) => this.hold(this.events, event));
    } else if (!events && this.stopEvents !== null) {
      this.stopEvents();
      this.stopEvents = null;
      // Nobody on CPU 0 will read what is still queued: not a loss, so not counted.
      this.events.queue.clear();
    }
  }

  private hold<T>(outgoing: Outgoing<T>, report: T): void {
    outgoing.queue.offer(report);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      this.node.kernel.clock.schedule(this.flushBound);
    }
  }

  private hasDropCounts(): boolean {
    return this.failures.queue.dropped + this.deadLetters.queue.dropped + this.events.queue.dropped > 0;
  }

  /** Sends one stream's reports (and its drop count) in frames; false when the ring refused one. */
  private sendAll<T>(outgoing: Outgoing<T>): boolean {
    const queue = outgoing.queue;
    while (queue.count > 0 || queue.dropped > 0) if (!this.sendBatch(outgoing)) return false;
    return true;
  }

  /**
   * Sends the oldest reports of a stream in one frame, as many as fit: a batch that does not encode
   * (too large for a frame, or holding what cannot cross) is halved, and a single report that does
   * not is sent lean, or dropped and counted. False when the ring refused the frame.
   */
  private sendBatch<T>(outgoing: Outgoing<T>): boolean {
    const queue = outgoing.queue;
    let take = Math.min(queue.count, outgoing.perFrameMax);
    let lean = false;
    for (;;) {
      const frame = this.encode(outgoing, take, lean);
      if (frame !== null) {
        if (!this.node.port.offerWithin(reportsCpu, frame, reportRingShareMax)) return false;
        queue.discard(take);
        queue.dropped = 0;
        return true;
      }
      if (take > 1) take = Math.ceil(take / 2);
      else if (!lean) lean = true;
      else {
        // Not even lean does it fit: give this one up, counted like any drop.
        queue.discard(1);
        queue.dropped++;
        return true;
      }
    }
  }

  /** The frame of the oldest `take` reports, or null when it cannot be encoded or could never fit the reports' share of the ring. */
  private encode<T>(outgoing: Outgoing<T>, take: number, lean: boolean): Uint8Array | null {
    const port = this.node.port;
    const records = outgoing.queue.first(take).map((report) => outgoing.toWire(report, lean));
    let frame: Uint8Array;
    try {
      const message: KernelReports = { type: KERNEL_REPORTS, stream: outgoing.stream, records, dropped: outgoing.queue.dropped };
      frame = port.encode(reportsCpu, message);
    } catch (error) {
      if (error instanceof ProtocolError) return null;
      throw error;
    }
    return frame.length <= port.ringBytesTo(reportsCpu) * reportRingShareMax ? frame : null;
  }
}
