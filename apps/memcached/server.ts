/**
 * The memcached server: memcached's text protocol served on a NIC of the net subsystem, one owner
 * actor per connection (its own `MemcachedSession`), all sharing one executor (so `stats` is the
 * server's) over one item store.
 *
 * A connection's requests are parsed and answered in its owner's turn; replies go out as one send
 * per chunk read. A client that sends requests without reading the replies blocks its own
 * connection (net channels' backpressure: its data waits, then TCP stops it), never the server.
 * `quit` and the errors memcached closes on end the connection after the reply.
 *
 * @example
 * ```ts
 * const kernel = await Kernel.boot({ subsystems: [...defaultSubsystems, configure(virtualMemory, { physicalBytes: 128 << 20 }), network] });
 * const store = await VmItemStore.create(kernel.subsystem(virtualMemory), { limitBytes: 64 << 20 });
 * const eth0 = await kernel.subsystem(network).attach(createRealNic(), { name: 'eth0' });
 * const server = await serveMemcached(kernel, eth0, { store, port: 11211, unixTimeAtStartS: Date.now() / 1000 });
 * // memcached clients connect to 127.0.0.1:11211
 * await server.close();
 * ```
 */
import type { AttachedNic } from '../../actors/net/attached-nic.js';
import type { Clock } from '../../drivers/clock/clock.js';
import type { Endpoint } from '../../drivers/nic/nic.js';
import { MemcachedExecutor } from './execute.js';
import type { ItemStore } from './item-store.js';
import { MemcachedSession } from './session.js';

/** The version this server reports to `version` and `stats`: the memcached whose protocol it speaks. */
export const memcachedVersion = '1.6.18';

export interface MemcachedServerOptions {
  readonly store: ItemStore;
  /** TCP port (memcached's `-p`; default 11211; 0 picks a free one). */
  readonly port?: number;
  /** Address to bind (memcached's `-l`; default 127.0.0.1). */
  readonly host?: string;
  /**
   * Unix time when the server starts, in seconds: exptimes past 30 days are unix times, and the
   * kernel's clock counts from its boot, not from 1970.
   */
  readonly unixTimeAtStartS: number;
  /** What `stats` reports as `pid` (default 0). */
  readonly pid?: number;
  /** What `stats` reports as `threads` (default 1). */
  readonly threads?: number;
  /** Called as each connection opens and closes (memcached's `-v`). */
  readonly onConnection?: (event: 'opened' | 'closed', remote: Endpoint) => void;
}

export interface MemcachedServer {
  readonly host: string;
  readonly port: number;
  /** Connections open now and accepted since start. */
  connections(): { readonly open: number; readonly total: number };
  /** Stops listening; connections open go on until they close or the kernel stops. */
  close(): Promise<void>;
}

/** Serves memcached on `nic` until `close`. */
export async function serveMemcached(kernel: { readonly clock: Clock }, nic: AttachedNic, options: MemcachedServerOptions): Promise<MemcachedServer> {
  const clock = kernel.clock;
  const startedMs = clock.now();
  let open = 0;
  let total = 0;
  const executor = new MemcachedExecutor({
    store: options.store,
    now: () => clock.now(),
    unixNowS: () => options.unixTimeAtStartS + (clock.now() - startedMs) / 1000,
    server: {
      version: memcachedVersion,
      pid: options.pid ?? 0,
      threads: options.threads ?? 1,
      uptimeS: () => Math.floor((clock.now() - startedMs) / 1000),
      currConnections: () => open,
      totalConnections: () => total,
    },
  });
  const listening = await nic.listen({
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 11211,
    connection: (socket) => {
      const session = new MemcachedSession({ executor });
      open++;
      total++;
      options.onConnection?.('opened', socket.remote);
      return {
        data(bytes) {
          const { replies, close } = session.receive(bytes);
          for (const reply of replies) if (!socket.send(reply)) return;
          if (close) socket.end();
        },
        closed() {
          open--;
          options.onConnection?.('closed', socket.remote);
        },
      };
    },
  });
  return {
    host: listening.host,
    port: listening.port,
    connections: () => ({ open, total }),
    close: () => nic.unlisten(listening.listener),
  };
}
