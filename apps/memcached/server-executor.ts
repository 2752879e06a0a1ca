/**
 * The executor one CPU of a memcached server runs its connections' commands with: the store, the
 * counters this CPU counts in, and what `stats` says of the server (version, uptime, connections
 * from the counters' sums). The same on CPU 0 of a one-thread server and on each worker CPU.
 *
 * @example
 * ```ts
 * const executor = serverExecutor({ store, counters: new CommandCounters(), now: () => clock.now(), unixTimeAtStartS: Date.now() / 1000, pid: 0, threads: 1 });
 * ```
 */
import { MemcachedExecutor } from './execute.js';
import type { CommandCounters, ListenerSettings } from './stats.js';
import type { ItemStore } from './store/item-store.js';

/** The version this server reports to `version` and `stats`: the memcached whose protocol it speaks. */
export const memcachedVersion = '1.6.18';

export interface ServerExecutorOptions {
  readonly store: ItemStore;
  readonly counters: CommandCounters;
  /** This CPU's kernel clock, in ms. */
  now(): number;
  /** Unix time when the server started, in seconds (the kernel's clock does not count from 1970). */
  readonly unixTimeAtStartS: number;
  readonly pid: number;
  readonly threads: number;
  readonly listener?: ListenerSettings;
}

export function serverExecutor(options: ServerExecutorOptions): MemcachedExecutor {
  const { counters, now } = options;
  const startedMs = now();
  return new MemcachedExecutor({
    store: options.store,
    counters,
    now,
    unixNowS: () => options.unixTimeAtStartS + (now() - startedMs) / 1000,
    server: {
      version: memcachedVersion,
      pid: options.pid,
      threads: options.threads,
      ...(options.listener === undefined ? {} : { listener: options.listener }),
      uptimeS: () => Math.floor((now() - startedMs) / 1000),
      currConnections: () => counters.total('curr_connections'),
      totalConnections: () => counters.total('total_connections'),
    },
  });
}
