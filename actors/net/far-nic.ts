/**
 * On an owner's CPU, the stand-in for the NIC of a flow whose NIC lives on another CPU: what the
 * owner does (sends, credits given back, end, reset) is gathered and crosses to the NIC's CPU in one
 * `net.ops` frame per turn. Two things block its sends: the NIC's mark, which the NIC's CPU reports
 * (`blocked`, then `writable`, in its event batches), and the budget of bytes sent and not yet taken
 * there (`farUnackedBytesMax` for the CPU, `farUnackedBytesPerFlowMax` for the flow), which keeps
 * the frames between the two CPUs from ever being refused (see far-channels.ts).
 */
import { NET_OPS } from '../../protocols/net.js';
import type { FrameRouting } from '../cpu/frame-registry.js';
import type { ChannelDriver } from './channel.js';
import { farFrameDataBytesMax, farPieceBytesMax, farUnackedBytesMax, farUnackedBytesPerFlowMax } from './limits.js';

/** What the far owners of one CPU have sent to one NIC's CPU and that was not taken there yet. */
export interface FarBudget {
  unackedBytes: number;
  /** Sends that went past the budget, since the start. */
  waits: number;
  /** Stand-ins whose sends wait for the budget. */
  readonly waiting: Set<FarNic>;
}

export class FarNic implements ChannelDriver {
  /** The NIC's CPU said its write buffer is over the mark (and has not said `writable` since). */
  nicBlocked = false;
  /** A send went past the budget: the channel's sends wait until the NIC's CPU takes some. */
  budgetBlocked = false;
  private unackedBytes = 0;
  private credits = 0;
  /** Packet buffers the NIC's CPU shipped, and those copied out here (reported with the next ops). */
  packetsReceived = 0;
  private packetsCopied = 0;
  private sends: Uint8Array[] = [];
  private ended = false;
  private destroyed = false;
  private flushQueued = false;
  private readonly flushBound = () => this.flush();

  constructor(
    private readonly nic: string,
    private readonly flow: number,
    readonly receiveCreditChunks: number,
    private readonly routing: FrameRouting,
    /** The NIC's CPU. */
    private readonly home: number,
    readonly budget: FarBudget,
  ) {}

  /** Queues `bytes`; false when that took the flow or its CPU past the budget (the bytes go all the same). */
  write(_flow: number, bytes: Uint8Array): boolean {
    // A Buffer (a subclass) is not plain data for the frame codec: the same bytes as a Uint8Array.
    this.sends.push(bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    this.unackedBytes += bytes.byteLength;
    this.budget.unackedBytes += bytes.byteLength;
    this.flushSoon();
    if (this.withinBudget) return true;
    this.budgetBlocked = true;
    this.budget.waits++;
    this.budget.waiting.add(this);
    return false;
  }

  get withinBudget(): boolean {
    return this.unackedBytes < farUnackedBytesPerFlowMax && this.budget.unackedBytes < farUnackedBytesMax;
  }

  /** The NIC's CPU took `bytes` of the sends. */
  taken(bytes: number): void {
    this.unackedBytes -= bytes;
    this.budget.unackedBytes -= bytes;
  }

  /**
   * The flow is gone: what it had out counts no more, and every packet buffer it was sent goes
   * back, read or not (the NIC's CPU forgets the flow once it has them all).
   */
  dispose(): void {
    this.budget.unackedBytes -= this.unackedBytes;
    this.unackedBytes = 0;
    this.budget.waiting.delete(this);
    if (this.packetsCopied === this.packetsReceived) return;
    this.packetsCopied = this.packetsReceived;
    this.flushSoon();
  }

  end(): void {
    this.ended = true;
    this.flushSoon();
  }

  destroy(): void {
    this.destroyed = true;
    this.flushSoon();
  }

  /** A packet buffer was copied out (taken by the owner, or spilled): it goes back with the next ops. */
  copied(): void {
    this.packetsCopied++;
    this.flushSoon();
  }

  credit(_flow: number, chunks: number): void {
    this.credits += chunks;
    this.flushSoon();
  }

  private flushSoon(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    // After the owner's turn: everything it did in the turn crosses in one frame.
    this.routing.kernel.clock.soon(this.flushBound);
  }

  /**
   * Sends what gathered: a frame between CPUs holds 64 KiB, so sends cross in frames of at most
   * `farFrameDataBytesMax`, cut in pieces where needed (a stream has no boundaries to keep). The
   * credits go with the first frame, the end and the reset with the last.
   */
  private flush(): void {
    this.flushQueued = false;
    const { sends: whole, ended: end, destroyed: destroy } = this;
    let credits = this.credits;
    const copied = this.packetsCopied;
    this.credits = 0;
    this.sends = [];
    this.ended = false;
    this.destroyed = false;
    let sends: Uint8Array[] = [];
    let bytes = 0;
    const send = (last: boolean) => {
      this.routing.send(this.home, { type: NET_OPS, nic: this.nic, flow: this.flow, credits, copied, sends, end: last && end, destroy: last && destroy });
      credits = 0;
      sends = [];
      bytes = 0;
    };
    for (const chunk of whole) {
      for (let offset = 0; offset < chunk.byteLength; offset += farPieceBytesMax) {
        const piece = chunk.subarray(offset, offset + farPieceBytesMax);
        if (bytes + piece.byteLength > farFrameDataBytesMax) send(false);
        sends.push(piece);
        bytes += piece.byteLength;
      }
    }
    send(true);
  }
}
