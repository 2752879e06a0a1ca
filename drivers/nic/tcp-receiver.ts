/**
 * The receiving half of a simulated TCP flow: puts segments back in order, drops what it already
 * has, and hands the bytes to the consumer as data events, one receive credit each (the NIC
 * contract's flow control).
 *
 * The receive window is the buffer the receiver promises: bytes from `next` (RCV.NXT) up to a right
 * edge it has advertised. The right edge never moves back (a sender may already have sent up to
 * it), and it moves forward only while the consumer has credit. So when credit runs out, bytes that
 * arrive are held, the window left shrinks to zero as the sender fills it, and the sender stops:
 * held bytes plus the window left never exceed the buffer, and nothing is ever dropped for lack of
 * room that the sender was told it had.
 *
 * Out-of-order segments within the window are kept (at most `reorderSegmentsMax`) until the gap
 * before them fills. Once the FIN is in order, the consumer gets `ended` after the last held byte.
 *
 * @example
 * ```ts
 * const receiver = new TcpReceiver(peerIss + 1, 65_536, 32, { deliver, ended, paused });
 * receiver.accept(segment.seq, segment.payload, segment.fin);
 * const ack = receiver.next, window = receiver.advertise();
 * ```
 */
import { assert } from '../../ground/assert.js';
import { dataEventBytesMax } from './nic.js';
import { reorderSegmentsMax, segmentPayloadBytesMax } from './tcp-limits.js';

/** Where the receiver's output goes: the connection, which raises the events. */
export interface ReceiverPort {
  /** In-order bytes for one data event; one credit was spent on them. */
  deliver(bytes: Uint8Array): void;
  /** The peer's FIN, after the last byte delivered. */
  ended(): void;
  /** The last credit was spent: reading stops until some come back. */
  paused(): void;
}

interface OutOfOrder {
  readonly seq: number;
  readonly payload: Uint8Array;
  readonly fin: boolean;
}

export class TcpReceiver {
  /** The next sequence number expected (RCV.NXT): what an acknowledgement carries. */
  next: number;
  /** One past the last sequence number the sender was allowed to send. */
  private windowEnd: number;
  private credits: number;
  /** In-order bytes waiting for credit. */
  private held: Uint8Array[] = [];
  private heldBytes = 0;
  /** Kept segments past a gap, sorted by sequence number. */
  private outOfOrder: OutOfOrder[] = [];
  private finReached = false;
  private endedRaised = false;

  constructor(
    initialSeq: number,
    private readonly windowBytes: number,
    credits: number,
    private readonly port: ReceiverPort,
  ) {
    assert(windowBytes >= segmentPayloadBytesMax && credits >= 1, 'a receiver has room for a segment and a credit');
    this.next = initialSeq;
    this.windowEnd = initialSeq + windowBytes;
    this.credits = credits;
  }

  /** Whether the peer's FIN was taken and `ended` raised (after every byte before it). */
  get ended(): boolean {
    return this.endedRaised;
  }

  /** The window to advertise now, moving its right edge forward if the consumer has credit. */
  advertise(): number {
    if (this.credits > 0 && !this.finReached) this.windowEnd = Math.max(this.windowEnd, this.next + this.windowBytes - this.heldBytes);
    return this.windowEnd - this.next;
  }

  /** Whether `seq` (a reset's) lies in the window, so it is this connection's and not a stray's. */
  inWindow(seq: number): boolean {
    return seq >= this.next && seq <= this.windowEnd + 1;
  }

  /** Takes what a segment carries: bytes from `seq`, and a FIN after them if `fin`. */
  accept(seq: number, payload: Uint8Array, fin: boolean): void {
    if (this.finReached) return; // nothing comes after the FIN
    let start = seq;
    let bytes = payload;
    let finKept = fin;
    if (start < this.next) {
      // Bytes already taken: a duplicate or a retransmission that overlaps.
      const known = this.next - start;
      if (known > bytes.byteLength) return; // all of it, its FIN included if it had one
      bytes = bytes.subarray(known);
      start = this.next;
    }
    if (start + bytes.byteLength > this.windowEnd) {
      // Past the window: the sender was not allowed to send it (a probe), or it lost a race with a reset.
      bytes = bytes.subarray(0, Math.max(0, this.windowEnd - start));
      finKept = false;
    }
    if (bytes.byteLength === 0 && !finKept) return;
    if (start === this.next) {
      this.take(bytes, finKept);
      this.drainOutOfOrder();
    } else {
      this.keepOutOfOrder({ seq: start, payload: bytes, fin: finKept });
    }
    assert(this.heldBytes + (this.windowEnd - this.next) <= this.windowBytes || this.finReached, 'held bytes and the window left fit the buffer');
  }

  /**
   * Takes `chunks` credits back and hands held bytes over with them. Returns whether the window
   * opened by a segment or more, so a window update should go to a sender that may be waiting.
   */
  credit(chunks: number): boolean {
    assert(chunks >= 1, 'credit comes in whole chunks');
    this.credits += chunks;
    while (this.credits > 0 && this.heldBytes > 0) this.deliver(this.takeHeld());
    this.raiseEndedIfDue();
    if (this.credits === 0 || this.finReached) return false;
    return this.next + this.windowBytes - this.heldBytes - this.windowEnd >= segmentPayloadBytesMax;
  }

  /** Drops everything held (the flow was reset). */
  discard(): void {
    this.held = [];
    this.heldBytes = 0;
    this.outOfOrder = [];
  }

  private take(bytes: Uint8Array, fin: boolean): void {
    if (bytes.byteLength > 0) {
      this.next += bytes.byteLength;
      if (this.credits > 0 && this.heldBytes === 0) {
        this.deliver(bytes);
      } else {
        this.held.push(bytes);
        this.heldBytes += bytes.byteLength;
      }
    }
    if (fin) {
      this.next += 1;
      this.finReached = true;
      this.outOfOrder = [];
      this.raiseEndedIfDue();
    }
  }

  private drainOutOfOrder(): void {
    while (!this.finReached && this.outOfOrder.length > 0 && this.outOfOrder[0]!.seq <= this.next) {
      const segment = this.outOfOrder.shift()!;
      const known = this.next - segment.seq;
      if (known > segment.payload.byteLength) continue; // wholly taken already
      this.take(segment.payload.subarray(known), segment.fin);
    }
  }

  private keepOutOfOrder(segment: OutOfOrder): void {
    let index = this.outOfOrder.length;
    while (index > 0 && this.outOfOrder[index - 1]!.seq > segment.seq) index--;
    const before = this.outOfOrder[index - 1];
    if (before !== undefined && before.seq === segment.seq && before.payload.byteLength >= segment.payload.byteLength) return; // a duplicate
    if (this.outOfOrder.length >= reorderSegmentsMax) return; // full: the sender retransmits it
    this.outOfOrder.splice(index, 0, segment);
  }

  private deliver(bytes: Uint8Array): void {
    assert(this.credits > 0, 'a data event spends a credit the consumer gave');
    this.credits--;
    this.port.deliver(bytes);
    if (this.credits === 0) this.port.paused();
  }

  /** The held bytes for one data event: the oldest chunks joined, up to `dataEventBytesMax`. */
  private takeHeld(): Uint8Array {
    const first = this.held[0]!;
    if (this.held.length === 1 || first.byteLength >= dataEventBytesMax) {
      this.held.shift();
      this.heldBytes -= first.byteLength;
      return first;
    }
    let length = 0;
    let count = 0;
    while (count < this.held.length && length + this.held[count]!.byteLength <= dataEventBytesMax) length += this.held[count++]!.byteLength;
    const joined = new Uint8Array(length);
    let at = 0;
    for (const chunk of this.held.splice(0, count)) {
      joined.set(chunk, at);
      at += chunk.byteLength;
    }
    this.heldBytes -= length;
    assert(this.heldBytes >= 0, 'held bytes never go negative');
    return joined;
  }

  private raiseEndedIfDue(): void {
    if (!this.finReached || this.endedRaised || this.heldBytes > 0) return;
    this.endedRaised = true;
    this.port.ended();
  }
}
