/**
 * The sending half of a simulated TCP flow: the SYN, the written bytes and the FIN, in one sequence
 * space, sent within the peer's receive window and a congestion window, and retransmitted until
 * the peer acknowledges them.
 *
 * - Acknowledgements are cumulative. The peer's receive window only ever grows at its right edge
 *   (the receiver never retracts it), so the sender keeps the largest right edge it has seen and a
 *   reordered, older acknowledgement cannot shrink it.
 * - One timer per flow. It runs while anything is unacknowledged, or while bytes wait behind a
 *   closed window (then each firing is a window probe: one byte past the window, which the peer
 *   answers with its current window). Each firing doubles the timeout up to its cap, goes back to
 *   the oldest unacknowledged byte (go-back-N: the receiver drops what it already has) with a
 *   congestion window of one segment, and counts a retry; `retriesMax` firings in a row without
 *   progress fail the flow. An acknowledgement that shows the peer alive (new bytes acknowledged,
 *   or a zero window: it is only full) resets the count, so a consumer that withholds credit for a
 *   long time stalls its peer but never times it out.
 * - Round trips are measured on one segment at a time, never a retransmitted one (Karn).
 *
 * @example
 * ```ts
 * const sender = new TcpSender(iss, settings, clock, { transmit, timedOut, writable });
 * sender.start();                 // the SYN
 * sender.write(bytes);            // queued; sent once the SYN is acknowledged
 * sender.onAck(ack, window);      // from every segment the peer sends
 * ```
 */
import { assert } from '../../ground/assert.js';
import type { Clock, TimerHandle } from '../clock/clock.js';
import { NicError } from './nic.js';
import { congestionWindowSegmentsInitial, congestionWindowSegmentsMax, segmentPayloadBytesMax, type TcpSettings } from './tcp-limits.js';
import { RetransmitTimeout } from './tcp-retransmit-timeout.js';
import { SendBuffer } from './tcp-send-buffer.js';
import { emptyPayload } from './tcp-segment.js';

/** What the sender puts in a segment; the connection adds the acknowledgement and window. */
export interface SentPart {
  readonly seq: number;
  readonly syn: boolean;
  readonly fin: boolean;
  readonly payload: Uint8Array;
}

/** Where the sender's output goes: the connection that owns it. */
export interface SenderPort {
  transmit(part: SentPart): void;
  /** The retry limit passed without progress: the flow has failed. */
  timedOut(): void;
  /** The write buffer drained to half its high-water mark after a `write` returned false. */
  writable(): void;
}

export class TcpSender {
  /** The oldest sequence number not yet acknowledged (RFC 9293's SND.UNA). */
  private unacknowledged: number;
  /** The next sequence number to send (SND.NXT); goes back to `unacknowledged` on a timeout. */
  private next: number;
  /** One past the highest sequence number ever sent. */
  private sentEnd: number;
  /** The largest right edge of the peer's window seen: the sender may send below it. */
  private peerWindowEnd: number;
  private congestionSegments = congestionWindowSegmentsInitial;
  private readonly buffer = new SendBuffer();
  /** The sequence number of the buffer's first byte. */
  private bufferSeq: number;
  private finQueued = false;
  private awaitingDrain = false;
  private retries = 0;
  private timer: TimerHandle | null = null;
  /** The segment being timed for a round-trip sample: acknowledged once `endSeq` is. */
  private timing: { readonly endSeq: number; readonly sentAtMs: number } | null = null;
  private readonly timeout: RetransmitTimeout;
  private stopped = false;

  constructor(
    /** The initial sequence number: the SYN's. */
    readonly iss: number,
    private readonly settings: TcpSettings,
    private readonly clock: Clock,
    private readonly port: SenderPort,
  ) {
    this.unacknowledged = iss;
    this.next = iss;
    this.sentEnd = iss;
    this.bufferSeq = iss + 1;
    this.peerWindowEnd = iss + 1;
    this.timeout = new RetransmitTimeout(settings.retransmitTimeoutMsInitial, settings.retransmitTimeoutMsMax);
  }

  /** Whether the peer acknowledged the SYN: the handshake's half that is this sender's. */
  get synAcknowledged(): boolean {
    return this.unacknowledged > this.iss;
  }

  /** Whether `end` was called and the peer acknowledged the FIN (so every byte before it too). */
  get finAcknowledged(): boolean {
    return this.finQueued && this.unacknowledged === this.dataEnd + 1;
  }

  /** Whether `end` was called and the FIN has gone out at least once. */
  get finSent(): boolean {
    return this.finQueued && this.sentEnd === this.dataEnd + 1;
  }

  /** The sequence number a segment without data carries (SND.NXT). */
  get nextSeq(): number {
    return this.next;
  }

  /** The sequence number a reset carries: past everything sent, so the peer finds it in its window. */
  get resetSeq(): number {
    return this.sentEnd;
  }

  /** Bytes written and not yet acknowledged. */
  get bufferedBytes(): number {
    return this.buffer.size;
  }

  /** Sends the SYN (or, for a passive open, the SYN of the SYN-ACK). */
  start(): void {
    assert(this.next === this.iss && this.sentEnd === this.iss, 'a sender starts once');
    this.pump();
  }

  /** Sets the peer's first window, announced in its SYN (a passive open learns it before any ack). */
  openPeerWindow(windowBytes: number): void {
    this.peerWindowEnd = Math.max(this.peerWindowEnd, this.iss + 1 + windowBytes);
  }

  /**
   * Queues `bytes`; returns whether the buffer is still below its high-water mark. Throws a
   * `NicError` ENOBUFS, queuing nothing, when the buffer would pass its hard cap.
   */
  write(bytes: Uint8Array): boolean {
    assert(!this.finQueued && !this.stopped, 'no write after end or stop');
    if (this.buffer.size + bytes.byteLength > this.settings.sendBufferBytesMax) {
      throw new NicError(
        'ENOBUFS',
        `the write buffer holds ${this.buffer.size} bytes; ${bytes.byteLength} more would pass its cap of ${this.settings.sendBufferBytesMax}`,
      );
    }
    this.buffer.append(bytes);
    this.pump();
    const below = this.buffer.size < this.settings.sendHighWaterBytes;
    if (!below) this.awaitingDrain = true;
    return below;
  }

  /** Queues the FIN after the bytes written. */
  end(): void {
    if (this.finQueued || this.stopped) return;
    this.finQueued = true;
    this.pump();
  }

  /** Takes the acknowledgement and window of a segment from the peer. */
  onAck(ack: number, windowBytes: number): void {
    if (this.stopped || ack > this.sentEnd) return; // acknowledges what was never sent: a stray, ignored
    const windowEndBefore = this.peerWindowEnd;
    this.peerWindowEnd = Math.max(this.peerWindowEnd, ack + windowBytes);
    if (ack > this.unacknowledged) this.advance(ack);
    else if (windowBytes === 0 && ack === this.unacknowledged) this.retries = 0; // alive, only full
    // Whatever went past the old right edge was a probe the peer dropped: once the window opens, resend it now.
    if (this.peerWindowEnd > windowEndBefore && this.next > windowEndBefore) this.next = Math.max(this.unacknowledged, windowEndBefore);
    this.pump();
    assert(this.unacknowledged <= this.next && this.next <= this.sentEnd, 'una ≤ nxt ≤ the end of what was sent');
  }

  /** Sends the SYN again at once (the peer's SYN came again: ours may have been lost). */
  resendSyn(): void {
    if (this.stopped || this.synAcknowledged) return;
    this.port.transmit({ seq: this.iss, syn: true, fin: false, payload: emptyPayload });
  }

  /** Stops for good: no more segments, no timer. */
  stop(): void {
    this.stopped = true;
    this.cancelTimer();
    this.buffer.clear();
  }

  private get dataEnd(): number {
    return this.bufferSeq + this.buffer.size;
  }

  /** One past the last sequence number there is to send: the bytes written, then the FIN. */
  private get sequenceEnd(): number {
    return this.dataEnd + (this.finQueued ? 1 : 0);
  }

  private advance(ack: number): void {
    const bytesAcknowledged = Math.min(ack, this.dataEnd) - this.bufferSeq;
    if (bytesAcknowledged > 0) {
      this.buffer.consume(bytesAcknowledged);
      this.bufferSeq += bytesAcknowledged;
    }
    this.unacknowledged = ack;
    if (this.next < ack) this.next = ack;
    this.retries = 0;
    this.timeout.recover();
    if (this.timing !== null && ack >= this.timing.endSeq) {
      this.timeout.sample(this.clock.now() - this.timing.sentAtMs);
      this.timing = null;
    }
    this.congestionSegments = Math.min(this.congestionSegments + 1, congestionWindowSegmentsMax);
    this.cancelTimer(); // progress restarts the retransmission timer (armed again in pump)
    if (this.awaitingDrain && this.buffer.size <= this.settings.sendHighWaterBytes / 2) {
      this.awaitingDrain = false;
      this.port.writable();
    }
  }

  /** Sends everything the windows allow, then arms the timer if anything is in flight or waiting. */
  private pump(): void {
    if (this.stopped) return;
    const windowEnd = Math.min(this.peerWindowEnd, this.unacknowledged + this.congestionSegments * segmentPayloadBytesMax);
    while (this.next < this.sequenceEnd) {
      const span = this.sendAt(this.next, windowEnd, false);
      if (span === 0) break;
      this.next += span;
    }
    this.sentEnd = Math.max(this.sentEnd, this.next);
    this.armTimer();
  }

  /**
   * Sends what starts at `seq` and fits below `windowEnd` (one byte past it when `forced`: a
   * retransmission or a probe); returns the sequence numbers it took, 0 when the window forbids.
   */
  private sendAt(seq: number, windowEnd: number, forced: boolean): number {
    if (!this.synAcknowledged) {
      // Nothing but the SYN goes before the peer has acknowledged it.
      if (seq !== this.iss) return 0;
      this.port.transmit({ seq, syn: true, fin: false, payload: emptyPayload });
      return 1;
    }
    const dataEnd = this.dataEnd;
    if (seq < dataEnd) {
      let room = windowEnd - seq;
      if (room <= 0) {
        if (!forced) return 0;
        room = 1;
      }
      const length = Math.min(segmentPayloadBytesMax, dataEnd - seq, room);
      const fin = this.finQueued && seq + length === dataEnd;
      if (seq >= this.sentEnd && this.timing === null) this.timing = { endSeq: seq + length, sentAtMs: this.clock.now() };
      this.port.transmit({ seq, syn: false, fin, payload: this.buffer.copy(seq - this.bufferSeq, length) });
      return length + (fin ? 1 : 0);
    }
    // The FIN takes no buffer at the peer: it goes whatever the window.
    if (this.finQueued && seq === dataEnd) {
      this.port.transmit({ seq, syn: false, fin: true, payload: emptyPayload });
      return 1;
    }
    return 0;
  }

  private armTimer(): void {
    const waiting = this.unacknowledged < this.sentEnd || this.next < this.sequenceEnd;
    if (!waiting) this.cancelTimer();
    else if (this.timer === null) this.timer = this.clock.setTimer(this.timeout.currentMs, () => this.onTimer());
  }

  private onTimer(): void {
    this.timer = null;
    if (this.stopped) return;
    this.retries++;
    if (this.retries > this.settings.retriesMax) {
      this.stop();
      this.port.timedOut();
      return;
    }
    this.timeout.backOff();
    this.timing = null; // Karn: nothing sent before a timeout is timed
    this.congestionSegments = 1;
    this.next = this.unacknowledged;
    const windowEnd = Math.min(this.peerWindowEnd, this.unacknowledged + segmentPayloadBytesMax);
    this.next += this.sendAt(this.next, windowEnd, true);
    this.sentEnd = Math.max(this.sentEnd, this.next);
    this.armTimer();
  }

  private cancelTimer(): void {
    if (this.timer === null) return;
    this.clock.cancelTimer(this.timer);
    this.timer = null;
  }
}
