/**
 * Backpressure between CPUs: what a full ring does with a frame, by the sending kernel's
 * `crossCpuOverflow` policy. `reject`: the tell returns false and an ask fails with RingFullError.
 * `drop-newest`: a dead letter. `wait` (the default): the frame waits in a bounded outbox per target
 * CPU, in order, for at most `outboxWaitMs`, then becomes a dead letter; when the outbox is full too,
 * the sending thread blocks until the consumer makes room or that deadline passes. Nothing
 * unbounded sits in front of a ring.
 */
import { assert } from '../../ground/assert.js';
import { BoundedQueue } from '../../ground/bounded-queue.js';
import { CpuDownError, RingFullError } from '../../ground/errors.js';
import type { TimerHandle } from '../../drivers/clock/clock.js';
import type { EncodedBytes } from '../../protocols/codec.js';
import type { Cell } from '../runtime/cell.js';
import { messageTypeOf } from '../runtime/events.js';
import type { KernelCore } from '../runtime/kernel-core.js';
import { blockedSendSleepMs, outboxMessagesMax, outboxRetryMs } from './limits.js';
import type { CpuPort } from './port.js';

/** What a full ring to another CPU does with a message (see the module doc). */
export type CrossCpuOverflow = 'reject' | 'drop-newest' | 'wait';

interface Waiting {
  readonly frame: Uint8Array;
  readonly message: unknown;
  readonly origin: number;
  readonly target: Cell | null;
  readonly deadlineMs: number;
}

/** A whole encoded frame as the range `Outboxes.offer` takes. */
export function wholeFrame(bytes: Uint8Array): EncodedBytes {
  return { bytes, offset: 0, length: bytes.length };
}

/** The outboxes of one CPU, one per target CPU, made on first use. */
export class Outboxes {
  private readonly queues: (BoundedQueue<Waiting> | null)[] = [];
  private retryTimer: TimerHandle | null = null;
  /** A word to sleep on while blocked on a full ring; null where blocking is impossible (simulated). */
  private readonly sleeper: Int32Array | null;

  constructor(
    private readonly kernel: KernelCore,
    private readonly port: CpuPort,
    private readonly overflow: CrossCpuOverflow,
    private readonly outboxWaitMs: number,
    /** Whether this CPU shares memory with threads that can make room while it sleeps. */
    shared: boolean,
  ) {
    assert(outboxWaitMs > 0, 'outboxWaitMs must be positive');
    this.sleeper = shared ? new Int32Array(new SharedArrayBuffer(4)) : null;
    for (let cpu = 0; cpu < port.cpus; cpu++) this.queues.push(null);
  }

  /**
   * Puts `frame` (of `message`, from `origin` to `target`) into the ring to `cpu`, or applies the
   * overflow policy. Returns whether the frame is sent or waits to be; false means it is refused or
   * a dead letter, and an ask behind it has failed.
   */
  offer(cpu: number, frame: EncodedBytes, message: unknown, origin: number, target: Cell | null): boolean {
    const outbox = this.queues[cpu];
    // Frames already waiting go first, in order; the consumer may have made room since.
    if (outbox != null && outbox.count > 0) this.flushOne(cpu, outbox, this.kernel.clock.now());
    if ((outbox == null || outbox.count === 0) && this.port.offer(cpu, frame.bytes, frame.offset, frame.length)) return true;
    const kernel = this.kernel;
    switch (this.overflow) {
      case 'reject':
        if (origin < 0) kernel.asks.reject(-origin, this.ringFull(cpu, target, message));
        return false;
      case 'drop-newest':
        kernel.deadLetter(message, origin, target, 'ring-full');
        if (origin < 0) kernel.asks.reject(-origin, this.ringFull(cpu, target, message));
        return false;
      case 'wait': {
        const queue = outbox ?? (this.queues[cpu] = new BoundedQueue<Waiting>(outboxMessagesMax, 64));
        const deadlineMs = kernel.clock.now() + this.outboxWaitMs;
        // The frame lies in msgpackr's buffer, which the next encode reuses: keep a copy while it waits.
        const waiting: Waiting = { frame: frame.bytes.slice(frame.offset, frame.offset + frame.length), message, origin, target, deadlineMs };
        if (queue.push(waiting)) {
          this.armRetry();
          return true;
        }
        const waited = this.blockUntilRoom(cpu, queue, deadlineMs);
        if (waited === 'room' && queue.push(waiting)) {
          this.armRetry();
          return true;
        }
        if (waited === 'cpu-down') {
          // Its actors died with it: as for mail that waited for it (see cpuDown).
          kernel.deadLetter(message, origin, target, 'stopped');
          if (origin < 0) kernel.asks.reject(-origin, new CpuDownError(cpu, target?.describe() ?? 'nobody', 'its worker died'));
          return false;
        }
        kernel.deadLetter(message, origin, target, 'ring-full');
        if (origin < 0) kernel.asks.reject(-origin, this.ringFull(cpu, target, message));
        return false;
      }
    }
  }

  /** Moves waiting frames into rings that have room again; expired ones become dead letters. */
  flush(): void {
    // Called after every busy round of the CPU loop: the clock is read only if something waits.
    let now = -1;
    let waiting = false;
    for (let cpu = 0; cpu < this.queues.length; cpu++) {
      const queue = this.queues[cpu];
      if (queue == null || queue.count === 0) continue;
      if (now < 0) now = this.kernel.clock.now();
      if (this.flushOne(cpu, queue, now) > 0) waiting = true;
    }
    if (waiting) this.armRetry();
  }

  /** Frames waiting in outboxes. */
  get waiting(): number {
    let count = 0;
    for (const queue of this.queues) count += queue?.count ?? 0;
    return count;
  }

  /** CPU `cpu` died: what waited for it is a dead letter (its actors died with it). */
  cpuDown(cpu: number): void {
    const queue = this.queues[cpu];
    while (queue != null && queue.count > 0) {
      const waiting = queue.shift();
      this.kernel.deadLetter(waiting.message, waiting.origin, waiting.target, 'stopped');
    }
  }

  /**
   * The outbox is full too: block this thread until the consumer makes room or the deadline passes
   * (real backpressure: the sending CPU stops handling messages, as a blocking write would). While
   * blocked it keeps taking frames from its own inbound rings into mailboxes, so two CPUs streaming
   * into each other's full rings cannot deadlock; what no mailbox can hold meets that mailbox's
   * overflow policy. Simulated CPUs share one thread, where nobody else could make room, so they
   * never block: the message is a dead letter at once.
   */
  private blockUntilRoom(cpu: number, queue: BoundedQueue<Waiting>, deadlineMs: number): 'room' | 'deadline' | 'cpu-down' {
    const sleeper = this.sleeper;
    if (sleeper === null) return 'deadline';
    const clock = this.kernel.clock;
    while (this.flushOne(cpu, queue, clock.now()) >= queue.capacity) {
      // The consumer died: no room will ever come. The host marks it in shared memory, since this
      // blocked thread cannot take the host's message saying so.
      if (this.port.peerDown(cpu)) return 'cpu-down';
      if (clock.now() >= deadlineMs) return 'deadline';
      if (this.port.pump() > 0) continue;
      // Sleeps without spinning a core the consumer may need (this box has two).
      clock.waitWhile(sleeper, 0, 0, blockedSendSleepMs);
    }
    return 'room';
  }

  /** Sends what fits of one outbox; returns how many frames still wait. */
  private flushOne(cpu: number, queue: BoundedQueue<Waiting>, now: number): number {
    while (queue.count > 0) {
      const head = queue.peek();
      if (head.deadlineMs <= now) {
        queue.shift();
        this.kernel.deadLetter(head.message, head.origin, head.target, 'ring-full');
        if (head.origin < 0) this.kernel.asks.reject(-head.origin, this.ringFull(cpu, head.target, head.message));
      } else if (this.port.offer(cpu, head.frame)) {
        queue.shift();
      } else {
        break;
      }
    }
    return queue.count;
  }

  private ringFull(cpu: number, target: Cell | null, message: unknown): RingFullError {
    return new RingFullError(cpu, target?.describe() ?? `cpu ${cpu}`, messageTypeOf(message));
  }

  private armRetry(): void {
    if (this.retryTimer !== null) return;
    this.retryTimer = this.kernel.clock.setTimer(outboxRetryMs, () => {
      this.retryTimer = null;
      this.flush();
    });
  }
}
