/**
 * Backpressure between CPUs: what a full ring does with a frame, by the sending kernel's
 * `crossCpuOverflow` policy, which is for what its actors and code send. `reject`: the tell returns
 * false and an ask fails with RingFullError. `drop-newest`: a dead letter. `wait` (the default): the
 * frame waits in the outbox of its target CPU, in order, for at most `outboxWaitMs`, then becomes a
 * dead letter; and the actor that sent it is parked. The kernel's own frames, replies and mail
 * accepted already (forwarded for actors that moved) are not its code's to refuse or to time out:
 * they wait with no deadline (`must-arrive`) while the CPU they go to lives.
 *
 * Parking is the backpressure, and it holds one actor, never the thread: a parked actor ends its
 * turn at the next message boundary and runs no other until its frames are all in the rings, while
 * the rest of its CPU runs on and keeps taking frames in. So a producer slows to its consumer's
 * pace. A parked actor whose own mailbox fills with mail from other CPUs runs again
 * (`CpuNode.canTakeNow`): it must take in what it is sent, or two actors streaming into each other
 * would wait for each other forever. No actor moves to another CPU while frames it sent wait here
 * (migrations.ts): mail it sent later could overtake them.
 *
 * An outbox is bounded in bytes (`outboxBytesMax`): one turn cannot be interrupted, so what a single
 * turn sends waits whole, as does what nothing can park (code outside any actor, mail forwarded for
 * actors that moved, which waits in its ring past `forwardedOutboxShareMax` of the bound); past
 * the bound, a frame is a `ring-full` dead letter at once. Frames that must arrive have a reserve
 * beyond it (`mustArriveReserveShare`), so a flood of actors' frames cannot crowd them out; mail
 * accepted already may take only part of it (`acceptedMailReserveShare`), so a flood of forwarded
 * mail cannot crowd out the fences and replies.
 */
import { assert, invariantBroken } from '../../ground/assert.js';
import { BoundedQueue } from '../../ground/bounded-queue.js';
import { RingFullError } from '../../ground/errors.js';
import type { TimerHandle } from '../../drivers/clock/clock.js';
import { frameBytesMax } from '../../protocols/limits.js';
import type { EncodedBytes } from '../../protocols/codec.js';
import { type Cell, Hold } from '../runtime/cell.js';
import type { DeadLetterReason } from '../runtime/events.js';
import { messageTypeOf } from '../runtime/events.js';
import type { KernelCore } from '../runtime/kernel-core.js';
import {
  acceptedMailReserveShare,
  forwardedDeadlockMsMax,
  forwardedOutboxShareMax,
  forwardedStallMsMax,
  mustArriveReserveShare,
  outboxFrameOverheadBytes,
  outboxRetryMs,
} from './limits.js';
import type { CpuPort } from './port.js';

/** What a full ring to another CPU does with a message (see the module doc). */
export type CrossCpuOverflow = 'reject' | 'drop-newest' | 'wait';

/**
 * What the outbox does with a frame: its code's policy, or one for frames that are not its code's to
 * refuse or to time out (see the module doc), which wait as under `wait` with no deadline:
 * `must-arrive` (the kernel's own frames, replies) up to `mustArriveReserveShare` past the
 * bound, `accepted` (mail accepted already: forwarded, or held until a spawn was answered) up to
 * `acceptedMailReserveShare` past it, so that it cannot crowd the others out.
 */
export type OutboxPolicy = CrossCpuOverflow | 'accepted' | 'must-arrive';

interface Waiting {
  readonly frame: Uint8Array;
  readonly message: unknown;
  readonly origin: number;
  readonly target: Cell | null;
  readonly deadlineMs: number;
  /** The local actor that sent it, if one can be named (see `parkSender`). */
  readonly sender: Cell | null;
}

/** The frames waiting for room in the ring to one CPU. */
interface Outbox {
  readonly queue: BoundedQueue<Waiting>;
  /** Frames and bookkeeping held, in bytes (see `outboxFrameOverheadBytes`). */
  bytes: number;
  /** When a frame last left it for the ring, or it last filled from empty (see `takesForwarded`). */
  movedAtMs: number;
  /**
   * At most the earliest deadline of its `wait` frames (+∞ when it has none): a frame that must
   * arrive, stuck at the head, must not keep those behind it past their deadline (`expireBehindHead`).
   */
  waitDeadlineMsMin: number;
}

/** Whether a frame of `length` bytes and its bookkeeping fit `outbox` within `bytesMax`. */
function fits(outbox: Outbox, length: number, bytesMax: number): boolean {
  return outbox.bytes + length + outboxFrameOverheadBytes <= bytesMax;
}

/** A whole encoded frame as the range `Outboxes.offer` takes. */
export function wholeFrame(bytes: Uint8Array): EncodedBytes {
  return { bytes, offset: 0, length: bytes.length };
}

/** The fault point that takes a ring for full (see `offer`): named in a simulated run's report when it fired. */
export const ringFullSite = 'cpu: ring taken for full';

/** The outboxes of one CPU, one per target CPU, made on first use. */
export class Outboxes {
  private readonly outboxes: (Outbox | null)[] = [];
  private retryTimer: TimerHandle | null = null;
  /** Frames waiting per local actor that sent them: it is parked while it has any (see `holdsFramesOf`). */
  private readonly waitingBySender = new Map<Cell, number>();

  /** The bound of frames that must arrive: `outboxBytesMax` and its reserve (see the module doc). */
  private readonly mustArriveBytesMax: number;
  /** The bound of mail accepted already: `outboxBytesMax` and its part of that reserve. */
  private readonly acceptedBytesMax: number;

  constructor(
    private readonly kernel: KernelCore,
    private readonly port: CpuPort,
    private readonly overflow: CrossCpuOverflow,
    private readonly outboxWaitMs: number,
    private readonly outboxBytesMax: number,
  ) {
    assert(outboxWaitMs > 0, 'outboxWaitMs must be positive');
    if (!(outboxBytesMax >= frameBytesMax + outboxFrameOverheadBytes))
      invariantBroken(`outboxBytesMax (${outboxBytesMax} bytes) must hold a largest frame (${frameBytesMax} bytes) and its bookkeeping`);
    for (let cpu = 0; cpu < port.cpus; cpu++) this.outboxes.push(null);
    this.mustArriveBytesMax = outboxBytesMax * (1 + mustArriveReserveShare);
    this.acceptedBytesMax = outboxBytesMax * (1 + acceptedMailReserveShare);
  }

  /**
   * Puts `frame` (of `message`, from `origin` to `target`) into the ring to `cpu`, or applies the
   * overflow policy: this CPU's, or `overflow` (`must-arrive` for the kernel's own frames, replies
   * and mail accepted already, such as mail forwarded for other CPUs).
   * Returns whether the frame is sent or waits to be; false means it is refused or a dead letter,
   * and an ask behind it has failed.
   */
  offer(cpu: number, frame: EncodedBytes, message: unknown, origin: number, target: Cell | null, overflow: OutboxPolicy = this.overflow): boolean {
    const outbox = this.outboxes[cpu];
    // Frames already waiting go first, in order; the consumer may have made room since. The frame
    // lies in the encoder's buffer, which a send from a dead letter's subscriber (an expired frame's)
    // would overwrite: it is copied first.
    let copy: Uint8Array | null = null;
    if (outbox != null && outbox.queue.count > 0) {
      copy = frame.bytes.slice(frame.offset, frame.offset + frame.length);
      frame = wholeFrame(copy);
      this.flushOne(cpu, outbox, this.kernel.clock.now());
    }
    // A fault point: in a simulation the ring is sometimes taken for full, so that the paths behind a
    // full ring (waiting, parking the sender, refusing) run in ordinary scenarios too. Asked only
    // where the frame would go into the ring, so that it fires only where it changes something.
    if ((outbox == null || outbox.queue.count === 0) && !this.kernel.maybe(ringFullSite) && this.port.offer(cpu, frame.bytes, frame.offset, frame.length)) {
      return true;
    }
    const kernel = this.kernel;
    switch (overflow) {
      case 'reject':
        if (origin < 0) kernel.asks.reject(-origin, this.ringFull(cpu, target, message));
        return false;
      case 'drop-newest':
        this.refuse(cpu, message, origin, target, 'ring-full');
        return false;
      case 'wait':
      case 'accepted':
      case 'must-arrive': {
        const box =
          outbox ??
          (this.outboxes[cpu] = {
            queue: new BoundedQueue<Waiting>(Math.ceil(this.mustArriveBytesMax / outboxFrameOverheadBytes), 64),
            bytes: 0,
            movedAtMs: 0,
            waitDeadlineMsMin: Number.POSITIVE_INFINITY,
          });
        const bound = overflow === 'wait' ? this.outboxBytesMax : overflow === 'accepted' ? this.acceptedBytesMax : this.mustArriveBytesMax;
        if (!fits(box, frame.length, bound)) {
          this.refuse(cpu, message, origin, target, 'ring-full');
          return false;
        }
        // The frame lies in the encoder's buffer, which the next encode reuses: keep a copy while it waits.
        copy ??= frame.bytes.slice(frame.offset, frame.offset + frame.length);
        const sender = this.parkSender(origin);
        const nowMs = kernel.clock.now();
        const deadlineMs = overflow === 'wait' ? nowMs + this.outboxWaitMs : Number.POSITIVE_INFINITY;
        if (box.queue.count === 0) box.movedAtMs = nowMs;
        if (deadlineMs < box.waitDeadlineMsMin) box.waitDeadlineMsMin = deadlineMs;
        box.queue.push({ frame: copy, message, origin, target, deadlineMs, sender });
        box.bytes += frame.length + outboxFrameOverheadBytes;
        if (sender !== null) this.waitingBySender.set(sender, (this.waitingBySender.get(sender) ?? 0) + 1);
        this.armRetry();
        return true;
      }
    }
  }

  /** Moves waiting frames into rings that have room again; expired ones become dead letters. */
  flush(): void {
    // Called after every busy round of the CPU loop: the clock is read only if something waits.
    let now = -1;
    let waiting = false;
    for (let cpu = 0; cpu < this.outboxes.length; cpu++) {
      const outbox = this.outboxes[cpu];
      if (outbox == null || outbox.queue.count === 0) continue;
      if (now < 0) now = this.kernel.clock.now();
      if (this.flushOne(cpu, outbox, now) > 0) waiting = true;
    }
    if (waiting) this.armRetry();
  }

  /** Whether frames local actor `cell` sent wait in outboxes (it is parked then, unless its full mailbox let it run). */
  holdsFramesOf(cell: Cell): boolean {
    return this.waitingBySender.has(cell);
  }

  /**
   * Whether the outbox to `cpu` takes mail forwarded for another CPU now: while it is fuller than
   * `forwardedOutboxShareMax`, such mail waits in its ring (see CpuNode.canTakeNow), unless no frame
   * has left it for `forwardedStallMsMax` (and, past its part of the reserve, `forwardedDeadlockMsMax`).
   */
  takesForwarded(cpu: number): boolean {
    const outbox = this.outboxes[cpu];
    if (outbox == null || outbox.bytes < this.outboxBytesMax * forwardedOutboxShareMax) return true;
    // Nothing has left it for a while: the CPU behind may be waiting for this one (CPUs that
    // forward into each other, each outbox past its share). Take the mail in, into its part of the
    // reserve, so one ring moves again; while a largest frame fits there, so none taken is refused
    // for want of room, and never further, so fences and replies keep theirs. Still stuck long
    // after, take it all the same: what does not fit is a ring-full dead letter, and the rings move.
    const stalledMs = this.kernel.clock.now() - outbox.movedAtMs;
    if (stalledMs < forwardedStallMsMax) return false;
    return fits(outbox, frameBytesMax, this.acceptedBytesMax) || stalledMs >= forwardedDeadlockMsMax;
  }

  /**
   * Whether a frame of `length` bytes offered to `cpu` now would be sent or kept to wait within
   * `outboxBytesMax`: one that may not be refused once offered asks first (a move's, migrations.ts).
   */
  hasRoom(cpu: number, length: number): boolean {
    const outbox = this.outboxes[cpu];
    return outbox == null || fits(outbox, length, this.outboxBytesMax);
  }

  /** Frames waiting in outboxes. */
  get waiting(): number {
    let count = 0;
    for (const outbox of this.outboxes) count += outbox?.queue.count ?? 0;
    return count;
  }

  /** Actors parked on outboxes (see the module doc). */
  get parkedActors(): number {
    let count = 0;
    for (const cell of this.waitingBySender.keys()) if ((cell.held & Hold.Parked) !== 0) count++;
    return count;
  }

  /**
   * Lets parked `cell` run again before its frames are all sent: its own mailbox is full of mail
   * from other CPUs, which only it can take (see the module doc).
   */
  unpark(cell: Cell): void {
    this.kernel.dispatcher.lift(cell, Hold.Parked);
  }

  /** CPU `cpu` died: what waited for it is a dead letter (its actors died with it), and its senders run on. */
  cpuDown(cpu: number): void {
    const outbox = this.outboxes[cpu];
    if (outbox == null) return;
    while (outbox.queue.count > 0) {
      const waiting = this.shift(outbox);
      this.kernel.deadLetter(waiting.message, waiting.origin, waiting.target, 'stopped');
    }
    if (!(outbox.bytes === 0)) invariantBroken(`an empty outbox still counts ${outbox.bytes} bytes`);
  }

  /**
   * Parks the actor that sent a frame that must wait: the one running a turn, or the sender named
   * by `origin` (code of an actor running outside a turn, after an `await`). Code outside any actor
   * cannot be parked; the outbox's byte bound is its limit.
   */
  private parkSender(origin: number): Cell | null {
    const kernel = this.kernel;
    const sender = origin > 0 ? origin : origin < 0 ? kernel.asks.senderOf(-origin) : 0;
    const cell = kernel.current ?? (sender !== 0 ? kernel.cellOf(sender) : undefined);
    if (cell == null || cell.isRemote()) return null;
    cell.held |= Hold.Parked;
    return cell;
  }

  /** Takes the head of `outbox`'s queue out of it and its counts. */
  private shift(outbox: Outbox): Waiting {
    const waiting = outbox.queue.shift();
    this.uncount(outbox, waiting);
    return waiting;
  }

  /** Takes `waiting`, out of `outbox`'s queue, out of its counts: its sender runs again if it has no other frame waiting. */
  private uncount(outbox: Outbox, waiting: Waiting): void {
    outbox.bytes -= waiting.frame.length + outboxFrameOverheadBytes;
    const sender = waiting.sender;
    if (sender !== null) {
      const left = this.waitingBySender.get(sender)! - 1;
      if (left > 0) {
        this.waitingBySender.set(sender, left);
      } else {
        // Its frames are all in the rings: it runs again.
        this.waitingBySender.delete(sender);
        this.unpark(sender);
      }
    }
  }

  /** Sends what fits of one outbox; returns how many frames still wait. */
  private flushOne(cpu: number, outbox: Outbox, now: number): number {
    const queue = outbox.queue;
    while (queue.count > 0) {
      const head = queue.peek();
      if (head.deadlineMs <= now) {
        this.shift(outbox);
        this.refuse(cpu, head.message, head.origin, head.target, 'ring-full');
      } else if (this.port.offer(cpu, head.frame)) {
        this.shift(outbox);
        outbox.movedAtMs = now;
      } else {
        break;
      }
    }
    if (queue.count === 0) outbox.waitDeadlineMsMin = Number.POSITIVE_INFINITY;
    else if (outbox.waitDeadlineMsMin <= now) this.expireBehindHead(cpu, outbox, now);
    if (!(queue.count > 0 || outbox.bytes === 0)) invariantBroken(`an empty outbox still counts ${outbox.bytes} bytes`);
    return queue.count;
  }

  /**
   * The head waits with no deadline (it must arrive) and some `wait` frames behind it are past
   * theirs: they become dead letters now, as they would at the head, and the rest keep their order.
   */
  private expireBehindHead(cpu: number, outbox: Outbox, now: number): void {
    const queue = outbox.queue;
    const expired: Waiting[] = [];
    let deadlineMsMin = Number.POSITIVE_INFINITY;
    for (let left = queue.count; left > 0; left--) {
      const waiting = queue.shift();
      if (waiting.deadlineMs > now) {
        queue.push(waiting);
        if (waiting.deadlineMs < deadlineMsMin) deadlineMsMin = waiting.deadlineMs;
      } else {
        this.uncount(outbox, waiting);
        expired.push(waiting);
      }
    }
    outbox.waitDeadlineMsMin = deadlineMsMin;
    // Refused once the queue is whole again: a dead letter's subscriber may send to this CPU.
    for (const waiting of expired) this.refuse(cpu, waiting.message, waiting.origin, waiting.target, 'ring-full');
  }

  /** A message that will not be sent: a dead letter with `reason`, and an ask behind it fails. */
  private refuse(cpu: number, message: unknown, origin: number, target: Cell | null, reason: DeadLetterReason): void {
    this.kernel.deadLetter(message, origin, target, reason);
    if (origin < 0) this.kernel.asks.reject(-origin, this.ringFull(cpu, target, message));
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
