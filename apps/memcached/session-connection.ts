/**
 * One memcached connection on a net channel: its own session over the server's executor on this
 * CPU. A connection's requests are parsed and answered in its owner's turn; replies go out as one
 * send per chunk read. A client that sends requests without reading the replies blocks its own
 * connection (net channels' backpressure: its data waits, then TCP stops it), never the server.
 * `quit` and the errors memcached closes on end the connection after the reply.
 *
 * @example
 * ```ts
 * await nic.listen({ port: 11211, connection: (socket) => sessionConnection(socket, executor) });
 * ```
 */
import type { Connection } from '../../actors/net/connection.js';
import type { Socket } from '../../actors/net/socket.js';
import type { Endpoint } from '../../drivers/nic/nic.js';
import type { MemcachedExecutor } from './execute.js';
import { MemcachedSession } from './session.js';

/** Called as each connection opens and closes (memcached's `-v`). */
export type ConnectionListener = (event: 'opened' | 'closed', remote: Endpoint) => void;

/** The connection of `socket`, counted in the executor's counters. */
export function sessionConnection(socket: Socket, executor: MemcachedExecutor, onConnection?: ConnectionListener): Connection {
  const session = new MemcachedSession({ executor });
  const counters = executor.context.counters;
  counters.connection(true);
  onConnection?.('opened', socket.remote);
  return {
    data(bytes) {
      const { replies, close } = session.receive(bytes);
      for (const reply of replies) if (!socket.send(reply)) return;
      if (close) socket.end();
    },
    closed() {
      counters.connection(false);
      onConnection?.('closed', socket.remote);
    },
  };
}
