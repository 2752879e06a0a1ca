/**
 * The figures memcached's `stats` reports: counters the commands keep, the store's figures, and
 * what only the server knows (its version, uptime, connections), which the caller provides as a
 * `ServerInfo`. Names and order follow memcached's server_stats (memcached.c), keeping the lines
 * this server can fill truthfully.
 */
import { assert } from '../../ground/assert.js';
import type { ItemStoreStats, SlabClassFigures } from './store/item-store.js';
import { chunkBytesMax, slabPageBytes } from './store/limits-slabs.js';

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
  /** How it listens, for `stats settings`: the port and address asked for, the connections at most, `-v`. */
  readonly listener?: ListenerSettings;
}

/** The settings of a server's listener that `stats settings` shows. */
export interface ListenerSettings {
  readonly tcpPort: number;
  readonly inter: string;
  readonly maxConns: number;
  readonly backlog: number;
  readonly verbosity: number;
}

/** The counters in the order memcached prints them, between version and limit_maxbytes. */
export const counterNames = [
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
] as const;

export type CounterName = (typeof counterNames)[number];

/** What a row holds after the counters: the connections its CPU has open and has accepted, which `stats reset` keeps. */
const connectionColumns = ['curr_connections', 'total_connections'] as const;
type ColumnName = CounterName | (typeof connectionColumns)[number];
const columnNames: readonly ColumnName[] = [...counterNames, ...connectionColumns];
/** Numbers in one CPU's row. */
export const counterRowLength = columnNames.length;

/**
 * The counters commands keep, named as memcached's stats lines name them (`counters.cmd_get++`).
 * Each CPU that serves connections counts in its own row, as memcached's threads keep per-thread
 * stats, and `total` sums the rows for `stats`. A server on one CPU keeps its one row in the heap;
 * one on several keeps a row per CPU in the VM's shared memory (counter-rows.ts), so that any
 * CPU's `stats` sees every CPU's counts.
 *
 * @example
 * ```ts
 * const counters = new CommandCounters();
 * counters.cmd_get++;
 * counters.total('cmd_get'); // 1
 * ```
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface below names the counters, which are accessors defined on the prototype after the class
export class CommandCounters {
  /** This CPU's row. */
  private readonly own: Float64Array;
  /** The CPUs' rows, and last the totals at the last `stats reset`, which `total` subtracts. */
  private readonly counted: readonly Float64Array[];
  private readonly baseline: Float64Array;

  constructor(
    /** One row per CPU and a last one for the baseline, `counterRowLength` numbers each. */
    rows: readonly Float64Array[] = [new Float64Array(counterRowLength), new Float64Array(counterRowLength)],
    /** The row this CPU counts in. */
    row = 0,
  ) {
    assert(rows.every((each) => each.length >= counterRowLength) && row >= 0 && row < rows.length - 1, 'a row of its own among whole rows, and a baseline');
    this.own = rows[row]!;
    this.counted = rows.slice(0, -1);
    this.baseline = rows[rows.length - 1]!;
  }

  /** The counter `name` summed over every CPU's row, since the last `stats reset`. */
  total(name: ColumnName): number {
    const column = columnNames.indexOf(name);
    let sum = 0;
    for (const row of this.counted) sum += row[column]!;
    return sum - this.baseline[column]!;
  }

  /** A connection opened (`opened`) or closed on this CPU. */
  connection(opened: boolean): void {
    const at = counterNames.length;
    this.own[at] = this.own[at]! + (opened ? 1 : -1);
    if (opened) this.own[at + 1] = this.own[at + 1]! + 1;
  }

  /**
   * `stats reset`: every counter reads 0 from now on (connections are not counters: they stay).
   * The rows are not zeroed: each has one writer, its CPU, which might write an old count back
   * over a zero; the totals now become the baseline instead.
   */
  reset(): void {
    for (let column = 0; column < counterNames.length; column++) {
      let sum = 0;
      for (const row of this.counted) sum += row[column]!;
      this.baseline[column] = sum;
    }
  }
}

/** Each counter is a property over this CPU's number in the rows: commands count with `++`. */
export interface CommandCounters extends Record<CounterName, number> {}
for (const [column, name] of counterNames.entries()) {
  Object.defineProperty(CommandCounters.prototype, name, {
    get(this: { own: Float64Array }): number {
      return this.own[column]!;
    },
    set(this: { own: Float64Array }, value: number) {
      this.own[column] = value;
    },
  });
}

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
    ...counterNames.map((name): [string, number] => [name, counters.total(name)]),
    ['limit_maxbytes', store.limitBytes],
    ['threads', server.threads],
    ['bytes', store.bytes],
    ['curr_items', store.items],
    ['total_items', store.itemsStored],
    ['reclaimed', store.expired],
    ['evictions', store.evictions],
  ];
}

/**
 * `stats slabs`, as memcached prints it for each class holding pages, then the totals. memcached
 * also counts commands per class (get_hits, cmd_set…); this server counts them per server only
 * (plain `stats`), so those lines are left out rather than printed as zeros.
 */
export function slabStats(classes: readonly SlabClassFigures[]): [string, number][] {
  const lines: [string, number][] = [];
  let pages = 0;
  for (const figures of classes) {
    const { id } = figures;
    lines.push(
      [`${id}:chunk_size`, figures.chunkBytes],
      [`${id}:chunks_per_page`, figures.chunksPerPage],
      [`${id}:total_pages`, figures.pages],
      [`${id}:total_chunks`, figures.pages * figures.chunksPerPage],
      [`${id}:used_chunks`, figures.usedChunks],
      // memcached cuts a new page into free chunks at once, so its free_chunks_end stays 0; this
      // store cuts chunks as they are needed, and counts the rest of the page as free all the same.
      [`${id}:free_chunks`, figures.freeChunks + figures.uncarvedChunks],
      [`${id}:free_chunks_end`, 0],
    );
    pages += figures.pages;
  }
  lines.push(['active_slabs', classes.length], ['total_malloced', pages * slabPageBytes]);
  return lines;
}

/**
 * `stats items`, for each class holding items: how many, and the age in seconds of its least
 * recently used one. memcached's segmented LRU (hot, warm, cold) and its per-class eviction
 * counters have no counterpart in this store's single LRU per class: left out.
 */
export function itemStats(classes: readonly SlabClassFigures[], nowMs: number): [string, number][] {
  return classes
    .filter((figures) => figures.items > 0)
    .flatMap((figures): [string, number][] => [
      [`items:${figures.id}:number`, figures.items],
      [`items:${figures.id}:age`, figures.oldestAccessMs === null ? 0 : Math.max(0, Math.floor((nowMs - figures.oldestAccessMs) / 1000))],
    ]);
}

/**
 * `stats settings`: the settings this server has, in memcached's order and with its names, each
 * true of this server (no UDP, no crawler, the text protocol only). memcached prints about ninety;
 * those without a counterpart here are left out rather than made up.
 */
export function settingsStats(store: { readonly itemBytesMax: number; stats(): ItemStoreStats }, server: ServerInfo): [string, string | number][] {
  const listener = server.listener;
  return [
    ['maxbytes', store.stats().limitBytes],
    ...(listener === undefined
      ? []
      : ([
          ['maxconns', listener.maxConns],
          ['tcpport', listener.tcpPort],
          ['udpport', 0],
          ['inter', listener.inter],
          ['verbosity', listener.verbosity],
        ] as [string, string | number][])),
    ['evictions', 'on'],
    ['num_threads', server.threads],
    ['detail_enabled', 'no'],
    ['cas_enabled', 'yes'],
    ...(listener === undefined ? [] : ([['tcp_backlog', listener.backlog]] as [string, number][])),
    ['binding_protocol', 'ascii'],
    ['item_size_max', store.itemBytesMax],
    ['slab_reassign', 'yes'],
    ['slab_chunk_max', chunkBytesMax],
    ['lru_crawler', 'no'],
    ['flush_enabled', 'yes'],
    ['dump_enabled', 'no'],
  ];
}
