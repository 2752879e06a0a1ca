/**
 * One end of a TCP flow as its owner actor holds it: send, end, destroy, and whether sends are
 * blocked. A socket belongs to its owner actor; use it in that actor's turns.
 *
 * @example
 * ```ts
 * const connection: ConnectionFactory = (socket) => ({
 *   data(bytes) {
 *     if (!socket.send(reply(bytes))) return; // the flow takes no more: its `closed` says why
 *   },
 * });
 * ```
 */
import type { Endpoint, FlowId } from '../../drivers/nic/nic.js';
import type { NetChannel } from './channel.js';

export class Socket {
  /** @internal The net subsystem makes one per channel. */
  constructor(private readonly channel: NetChannel) {}

  get flow(): FlowId {
    return this.channel.flow;
  }

  /** This end's address and port. */
  get local(): Endpoint {
    return this.channel.local;
  }

  /** The peer's address and port. */
  get remote(): Endpoint {
    return this.channel.remote;
  }

  /**
   * Sends `bytes` (they are the NIC's from now on: do not change them). Returns false when the flow
   * takes no more sends (this side ended, or the flow is closing): nothing was sent. While the peer
   * is not reading, sends queue (up to `sendQueueBytesMax`) and `blocked` is true.
   */
  send(bytes: Uint8Array): boolean {
    return this.channel.send(bytes);
  }

  /** Ends this side once queued sends are out (TCP FIN); the peer may go on sending. */
  end(): void {
    this.channel.endLocal();
  }

  /** Resets the flow now, dropping queued sends (TCP RST). `closed` follows. */
  destroy(): void {
    this.channel.destroy();
  }

  /** Whether sends are queued behind a peer that is not reading (and data delivery is paused). */
  get blocked(): boolean {
    return this.channel.sendBlocked;
  }
}
