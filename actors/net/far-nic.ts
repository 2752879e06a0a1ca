/**
 * On an owner's CPU, the stand-in for the NIC of a flow whose NIC lives on another CPU: what the
 * owner does (sends, credits given back, end, reset) is gathered and crosses to the NIC's CPU in one
 * `net.ops` frame per turn. A send never reports the NIC's mark here: the NIC's CPU queues what it
 * cannot write yet and says `blocked` and `writable` in its event batches (see far-channels.ts).
 */
import { NET_OPS } from '../../protocols/net.js';
import type { FrameRouting } from '../cpu/frame-registry.js';
import type { ChannelDriver } from './channel.js';
import { farFrameDataBytesMax, farPieceBytesMax } from './limits.js';

export class FarNic implements ChannelDriver {
  private credits = 0;
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
  ) {}

  write(_flow: number, bytes: Uint8Array): boolean {
    // A Buffer (a subclass) is not plain data for the frame codec: the same bytes as a Uint8Array.
    this.sends.push(bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    this.flushSoon();
    return true;
  }

  end(): void {
    this.ended = true;
    this.flushSoon();
  }

  destroy(): void {
    this.destroyed = true;
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
    this.credits = 0;
    this.sends = [];
    this.ended = false;
    let sends: Uint8Array[] = [];
    let bytes = 0;
    const send = (last: boolean) => {
      this.routing.send(this.home, { type: NET_OPS, nic: this.nic, flow: this.flow, credits, sends, end: last && end, destroy: last && destroy });
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
