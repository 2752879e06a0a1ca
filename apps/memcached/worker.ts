/**
 * memcached on several CPUs (`-t N`): a boot module every CPU imports, defining what a worker CPU
 * runs. CPU 0 accepts and runs the sockets; each of N worker CPUs serves the connections placed on
 * it (`placement: 'workers'`), as memcached's worker threads do, all over one `SharedItemStore`
 * in the VM's shared memory and one set of counter rows (counter-rows.ts).
 *
 * A worker CPU learns what it serves from a `memcached.serve` ask that CPU 0 sends its
 * `MemcachedWorker` before it listens: the store's handle, the counters' address, and what
 * `stats` reports. From then on, each connection placed there gets a session over that CPU's
 * executor. Item marks (mg's fetched, stale and win flags) and holds are kept per CPU: a mark made
 * on one CPU is not seen on another, as when memcached's bounded table forgot it.
 *
 * @example
 * ```ts
 * const kernel = await Kernel.boot({ cpus: 5, modules: [memcachedWorkerModule], subsystems: [...] });
 * await serveMemcached(kernel, eth0, { store, threads: 4, unixTimeAtStartS: Date.now() / 1000 });
 * ```
 */
import { connectionHandler } from '../../actors/net/connection-handler.js';
import type { ActorRef } from '../../actors/runtime/ref.js';
import { virtualMemory } from '../../actors/vm/subsystem.js';
import { UsageError } from '../../ground/errors.js';
import type { Ask } from '../../ground/message.js';
import { pidCpu } from '../../ground/pid.js';
import { fromSetup } from '../../actors/runtime/behavior.js';
import type { Endpoint } from '../../drivers/nic/nic.js';
import { countersAt } from './counter-rows.js';
import type { MemcachedExecutor } from './execute.js';
import { serverExecutor } from './server-executor.js';
import type { ListenerSettings } from './stats.js';
import { sessionConnection } from './session-connection.js';
import { SharedItemStore } from './store/shared-item-store.js';
import type { SharedItemStoreHandle } from './store/store-layout.js';

/** What a worker CPU serves, from CPU 0. */
export interface ServeOrder {
  readonly store: SharedItemStoreHandle;
  /** The address of the counter rows, and how many CPUs have one. */
  readonly countersAddress: number;
  readonly cpus: number;
  readonly unixTimeAtStartS: number;
  readonly pid: number;
  readonly threads: number;
  readonly listener: ListenerSettings;
  /** Told of each connection opened and closed here (memcached's `-v`), if set. */
  readonly log: ActorRef<ConnectionLogMsg> | null;
}

export type WorkerMsg = Ask<{ readonly type: 'memcached.serve' } & ServeOrder, true>;

/** A connection opened or closed on some CPU, for CPU 0's log. */
export interface ConnectionLogMsg {
  readonly type: 'memcached.connection';
  readonly event: 'opened' | 'closed';
  readonly remote: Endpoint;
}

/** This CPU's executor and log, once CPU 0 said what to serve. */
let serving: { readonly executor: MemcachedExecutor; readonly log: ActorRef<ConnectionLogMsg> | null } | null = null;

/** The actor CPU 0 starts on each worker CPU: it sets up what this CPU serves. */
export const MemcachedWorker = fromSetup<WorkerMsg>(
  () => ({
    receive(order, ctx) {
      if (serving !== null) throw new UsageError('this CPU serves a memcached server already: one per kernel');
      const vm = ctx.subsystem(virtualMemory);
      const store = SharedItemStore.open(vm, order.store);
      const counters = countersAt(vm.memory, order.countersAddress, order.cpus, pidCpu(ctx.self.pid));
      const { unixTimeAtStartS, pid, threads, listener } = order;
      const executor = serverExecutor({ store, counters, now: () => ctx.now(), unixTimeAtStartS, pid, threads, listener });
      serving = { executor, log: order.log };
      ctx.reply(order, true);
    },
    stopped() {
      // The server closed: connections placed here from now on are refused; those open go on.
      serving = null;
    },
  }),
  'memcached.worker',
);

/** The connection handler of memcached's worker CPUs. */
export const MemcachedConnection = connectionHandler('memcached', (socket) => {
  if (serving === null) throw new UsageError("a memcached connection was placed on a CPU that serves no memcached server: send 'memcached.serve' first");
  const { executor, log } = serving;
  return sessionConnection(socket, executor, (event, remote) => log?.tell({ type: 'memcached.connection', event, remote }));
});

/** The boot module a kernel serving memcached on several CPUs loads: `Kernel.boot({ modules: [memcachedWorkerModule] })`. */
export const memcachedWorkerModule = new URL(import.meta.url);
