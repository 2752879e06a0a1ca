/**
 * What user code writes to serve connections: a factory that makes one `Connection` per flow, run
 * in the flow's own owner actor. The net subsystem starts that actor for each connection it
 * accepts (or opens), under the `net` supervisor, and calls the connection's hooks in the actor's
 * turns: `data` for each chunk in stream order, `ended` when the peer ends its side, `closed` last.
 *
 * Backpressure runs end to end: while the socket's sends are blocked (the peer is not reading),
 * `data` is not called, the flow's receive credits are not given back, the NIC stops reading, and
 * the peer's own sends block. A request/response protocol needs nothing more than this.
 *
 * @example
 * ```ts
 * const echo: ConnectionFactory = (socket) => ({
 *   data: (bytes) => socket.send(bytes),
 *   closed: (fault) => fault !== null && console.log('reset', fault.code),
 * });
 * await nic.listen({ port: 7 , connection: echo });
 * ```
 */
import type { NicFault } from '../../drivers/nic/nic.js';
import type { Message } from '../../ground/message.js';
import type { ActorContext } from '../runtime/context.js';
import type { Socket } from './socket.js';

/** One connection's hooks, called in its owner actor's turns. A throw crashes the actor, which resets the flow. */
export interface Connection {
  /** A chunk of the stream, in order; the bytes are the hook's to keep. */
  data(bytes: Uint8Array): void;
  /** The peer ended its side. Default: end ours too (a server's usual answer). */
  ended?(): void;
  /** The flow is gone, on an error when `fault` is set (a reset, a timeout). The last call. */
  closed?(fault: NicFault | null): void;
  /**
   * Ordinary mail to the owner actor (`ctx.self` in the factory is its ref): how other actors have
   * a connection send something, a publisher its subscribers say. Without it, mail crashes the
   * owner, which resets the flow.
   */
  receive?(message: Message): void;
}

/** Makes the `Connection` of one flow, in its owner actor's first turn. */
export type ConnectionFactory = (socket: Socket, ctx: ActorContext<Message>) => Connection;
