/**
 * The figures memcached's `stats` reports: counters the commands keep, the store's figures, and
 * what only the server knows (its version, uptime, connections), which the caller provides as a
 * `ServerInfo`. Names and order follow memcached's server_stats (memcached.c), keeping the lines
 * this server can fill truthfully.
 */
import type { ItemStoreStats } from './item-store.js';

/** What the server around the commands knows about itself. */
export interface ServerInfo {
  /** The version `version` and `stats` report, e.g. '1.6.29'. */
  readonly version: string;
  /** The process id `stats` reports (0 if the caller has none to give). */
  readonly pid: number;
  /** Seconds since the server started. */
  uptimeS(): number;
  /** Connections open now. */
  currConnections(): number;
  /** Connections accepted since start. */
  totalConnections(): number;
  /** Worker threads (CPUs) serving requests. */
  readonly threads: number;
}

/** The counters commands keep, named as memcached's stats lines name them. */
export class CommandCounters {
  cmd_get = 0;
  cmd_set = 0;
  cmd_flush = 0;
  cmd_touch = 0;
  cmd_meta = 0;
  get_hits = 0;
  get_misses = 0;
  delete_misses = 0;
  delete_hits = 0;
  incr_misses = 0;
  incr_hits = 0;
  decr_misses = 0;
  decr_hits = 0;
  cas_misses = 0;
  cas_hits = 0;
  cas_badval = 0;
  touch_hits = 0;
  touch_misses = 0;
  store_too_large = 0;
  store_no_memory = 0;
  bytes_read = 0;
  bytes_written = 0;

  /** `stats reset`: every counter back to 0. */
  reset(): void {
    Object.assign(this, new CommandCounters());
  }
}

/** The counters in the order memcached prints them, between version and limit_maxbytes. */
const counterOrder = [
  'cmd_get',
  'cmd_set',
  'cmd_flush',
  'cmd_touch',
  'cmd_meta',
  'get_hits',
  'get_misses',
  'delete_misses',
  'delete_hits',
  'incr_misses',
  'incr_hits',
  'decr_misses',
  'decr_hits',
  'cas_misses',
  'cas_hits',
  'cas_badval',
  'touch_hits',
  'touch_misses',
  'store_too_large',
  'store_no_memory',
  'bytes_read',
  'bytes_written',
] as const satisfies readonly (keyof CommandCounters)[];

/**
 * The lines of a plain `stats`, without their `STAT ` prefix and without `END`.
 *
 * @example
 * ```ts
 * for (const [name, value] of generalStats(counters, store.stats(), server, unixNowS())) writer.line(`STAT ${name} ${value}`);
 * ```
 */
export function generalStats(counters: CommandCounters, store: ItemStoreStats, server: ServerInfo, unixNowS: number): [string, string | number][] {
  return [
    ['pid', server.pid],
    ['uptime', Math.floor(server.uptimeS())],
    ['time', Math.floor(unixNowS)],
    ['version', server.version],
    ['pointer_size', 64],
    ['curr_connections', server.currConnections()],
    ['total_connections', server.totalConnections()],
    ...counterOrder.map((name): [string, number] => [name, counters[name]]),
    ['limit_maxbytes', store.limitBytes],
    ['threads', server.threads],
    ['bytes', store.bytes],
    ['curr_items', store.items],
    ['total_items', store.itemsStored],
    ['reclaimed', store.expired],
    ['evictions', store.evictions],
  ];
}
