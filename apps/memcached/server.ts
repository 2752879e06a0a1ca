/**
 * The memcached server: memcached's text protocol served on a NIC of the net subsystem, one owner
 * actor per connection (session-connection.ts), over one item store.
 *
 * - **One thread** (`threads: 1`, the default): every connection is served on the NIC's CPU, all
 *   sharing one executor, over any `ItemStore`.
 * - **Several** (`threads: N`, memcached's `-t N`): CPU 0 keeps the sockets and each connection is
 *   served on one of N worker CPUs, round robin (`placement: 'workers'`), as memcached's worker
 *   threads serve theirs. Every worker CPU runs an executor of its own over the same
 *   `SharedItemStore` (the VM's shared memory), and counts in its own row of counters that `stats`
 *   sums (counter-rows.ts). The kernel boots with at least N + 1 CPUs and loads
 *   `memcachedWorkerModule` (worker.ts).
 *
 * @example
 * ```ts
 * const kernel = await Kernel.boot({ subsystems: [...defaultSubsystems, configure(virtualMemory, { physicalBytes: 128 << 20 }), network] });
 * const store = await SharedItemStore.create(kernel.subsystem(virtualMemory), { limitBytes: 64 << 20 });
 * const eth0 = await kernel.subsystem(network).attach(createRealNic(), { name: 'eth0' });
 * const server = await serveMemcached(kernel, eth0, { store, port: 11211, unixTimeAtStartS: Date.now() / 1000 });
 * // memcached clients connect to 127.0.0.1:11211
 * await server.close();
 * ```
 */
import type { AttachedNic, ListenSpec } from '../../actors/net/attached-nic.js';
import type { ActorRef } from '../../actors/runtime/ref.js';
import { fromReceive } from '../../actors/runtime/behavior.js';
import { virtualMemory } from '../../actors/vm/subsystem.js';
import type { Kernel } from '../../boot/kernel.js';
import { UsageError } from '../../ground/errors.js';
import { countersAt, mapCounterRows } from './counter-rows.js';
import { CommandCounters, type ListenerSettings } from './stats.js';
import { backlogDefault } from '../../drivers/nic/nic.js';
import type { ItemStore } from './store/item-store.js';
import { type ConnectionListener, sessionConnection } from './session-connection.js';
import { SharedItemStore } from './store/shared-item-store.js';
import { type ConnectionLogMsg, MemcachedConnection, MemcachedWorker, type WorkerMsg } from './worker.js';
import { memcachedVersion, serverExecutor } from './server-executor.js';

export { memcachedVersion };

/** How long CPU 0 waits before it sets up a worker CPU that died again, and between tries while it is down, in ms. */
const setUpRetryMs = 100;

export interface MemcachedServerOptions {
  /** Where items live: a `SharedItemStore` when `threads` > 1. */
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
  /** CPUs serving connections (memcached's `-t`; default 1: the NIC's own). */
  readonly threads?: number;
  /** Called as each connection opens and closes (memcached's `-v`), on CPU 0 whichever CPU serves it. */
  readonly onConnection?: ConnectionListener;
}

export interface MemcachedServer {
  readonly host: string;
  readonly port: number;
  /** Connections open now and accepted since start, over every CPU serving them. */
  connections(): { readonly open: number; readonly total: number };
  /** Stops listening (and, on several CPUs, the workers' set-up: a server may be served again); connections open go on until they close or the kernel stops. */
  close(): Promise<void>;
}

/** Serves memcached on `nic` until `close`. */
export async function serveMemcached(kernel: Kernel, nic: AttachedNic, options: MemcachedServerOptions): Promise<MemcachedServer> {
  const threads = options.threads ?? 1;
  const listener: ListenerSettings = {
    tcpPort: options.port ?? 11211,
    inter: options.host ?? '127.0.0.1',
    maxConns: nic.driver.flowsMax,
    backlog: backlogDefault,
    verbosity: options.onConnection === undefined ? 0 : 1,
  };
  let served: { readonly counters: CommandCounters; stop(): Promise<void> };
  let connection: ListenSpec['connection'];
  if (threads === 1) {
    const counters = new CommandCounters();
    const executor = serverExecutor({
      store: options.store,
      counters,
      now: () => kernel.clock.now(),
      unixTimeAtStartS: options.unixTimeAtStartS,
      pid: options.pid ?? 0,
      threads,
      listener,
    });
    served = { counters, stop: async () => undefined };
    connection = (socket) => sessionConnection(socket, executor, options.onConnection);
  } else {
    served = await serveOnWorkers(kernel, options, listener, threads);
    connection = MemcachedConnection;
  }
  const listening = await nic.listen({
    host: listener.inter,
    port: listener.tcpPort,
    connection,
    ...(threads === 1 ? {} : { placement: 'workers' as const }),
  });
  const { counters } = served;
  return {
    host: listening.host,
    port: listening.port,
    connections: () => ({ open: counters.total('curr_connections'), total: counters.total('total_connections') }),
    close: async () => {
      await nic.unlisten(listening.listener);
      await served.stop();
    },
  };
}

/**
 * Sets up worker CPUs 1..`threads` to serve over the shared store, and again each one that comes
 * back after its worker died; resolves with the counters every CPU counts in (what `connections()`
 * reads) and the way to stop.
 */
async function serveOnWorkers(
  kernel: Kernel,
  options: MemcachedServerOptions,
  listener: ListenerSettings,
  threads: number,
): Promise<{ readonly counters: CommandCounters; stop(): Promise<void> }> {
  const { store } = options;
  if (!(store instanceof SharedItemStore)) throw new UsageError('memcached on several CPUs needs a SharedItemStore: its items live in memory every CPU shares');
  // Connections go round robin over every CPU but the NIC's: each of them must serve.
  if (!(Number.isInteger(threads) && threads === kernel.cpus - 1))
    throw new UsageError(`memcached with ${threads} worker CPUs needs a kernel of ${threads + 1} CPUs (CPU 0 runs the sockets); this one has ${kernel.cpus}`);
  const vm = kernel.subsystem(virtualMemory);
  const countersAddress = await mapCounterRows(vm, kernel.cpus);
  const onConnection = options.onConnection;
  const log: ActorRef<ConnectionLogMsg> | null =
    onConnection === undefined ? null : kernel.spawn(fromReceive<ConnectionLogMsg>((message) => onConnection(message.event, message.remote), 'memcached.log'));
  const order = {
    type: 'memcached.serve' as const,
    store: store.handle,
    countersAddress,
    cpus: kernel.cpus,
    unixTimeAtStartS: options.unixTimeAtStartS,
    pid: options.pid ?? 0,
    threads,
    listener,
    log,
  };
  const workers: ActorRef<WorkerMsg>[] = Array.from({ length: threads }, (_, index) => kernel.spawn(MemcachedWorker, { cpu: index + 1 }));
  await Promise.all(workers.map((worker) => worker.ask(order)));
  // A worker CPU that died comes back without its set-up: send it again, once the CPU is up.
  let stopped = false;
  void kernel.whenStopped.then(() => {
    stopped = true;
  });
  const setUpAgain = (cpu: number): void => {
    if (stopped) return;
    let worker: ActorRef<WorkerMsg>;
    try {
      worker = kernel.spawn(MemcachedWorker, { cpu });
    } catch {
      // The kernel refuses spawns once its shutdown began (the CPUs' deaths that brought us here
      // may be that shutdown's): there is nothing left to serve.
      stopped = true;
      return;
    }
    worker.ask(order).then(
      () => {
        workers[cpu - 1] = worker;
      },
      () => kernel.clock.setTimer(setUpRetryMs, () => setUpAgain(cpu)),
    );
  };
  const stopWatching = vm.onCpuDown((cpu) => {
    if (cpu >= 1 && cpu <= threads) kernel.clock.setTimer(setUpRetryMs, () => setUpAgain(cpu));
  });
  const stop = async (): Promise<void> => {
    stopped = true;
    stopWatching();
    // A worker on a CPU that died is gone already: its stop has nothing to do.
    await Promise.allSettled([...workers, ...(log === null ? [] : [log])].map((actor) => kernel.stop(actor as ActorRef<never>)));
  };
  // The counter rows stay mapped with the kernel: connections still open count in them after `close`.
  return { counters: countersAt(vm.memory, countersAddress, kernel.cpus, kernel.cpu), stop };
}
