/**
 * What memcached's commands do to a cache: `MemcachedExecutor` runs parsed commands
 * (protocols/memcached) against an `ItemStore` and writes memcached's replies. This file holds the
 * classic commands and the dispatch; the meta commands are in meta-commands.ts, incr/decr's
 * arithmetic in arithmetic.ts. Behaviour follows Debian bookworm's memcached 1.6.18 (proto_text.c,
 * memcached.c's do_store_item and do_add_delta, items.c); where the store contract cannot do what memcached does, the
 * difference is said where it happens.
 */
import type { Command, FlushAllCommand, StatsCommand } from '../../protocols/memcached/commands.js';
import { type ReplyWriter, replyLine } from '../../protocols/memcached/replies.js';
import { applyDelta } from './arithmetic.js';
import { repliesBytesMax } from './limits.js';
import type { ExecutionContext } from './execution-context.js';
import { expiryMs } from './exptime.js';
import { ItemHolds } from './item-holds.js';
import { ItemMarks } from './item-marks.js';
import type { Item, ItemStore, StoreFailure } from './store/item-store.js';
import { runMetaCommand } from './meta-commands.js';
import { CommandCounters, generalStats, itemStats, type ServerInfo, settingsStats, slabStats } from './stats.js';
import { concatenated, storeFailureLine, storeValue } from './storing.js';

export interface ExecutorOptions {
  readonly store: ItemStore;
  /** The kernel's clock, in ms. */
  now(): number;
  /**
   * Unix time now, in seconds. Required: exptimes above 30 days are unix times, and the kernel's
   * clock is not unix time (its 0 is when the kernel booted, not 1970).
   */
  unixNowS(): number;
  readonly server: ServerInfo;
  /** Where the commands count (default: a row of its own in the heap; a CPU's row in shared memory for a server on several). */
  readonly counters?: CommandCounters;
  /** Items whose meta marks (stale, won, fetched) are remembered at most (default 65 536). */
  readonly marksCountMax?: number;
}

const marksCountMaxDefault = 65_536;

/**
 * Runs memcached commands against one store. One executor serves a whole server: its counters
 * (`stats`) and item marks are shared by every connection's session.
 *
 * @example
 * ```ts
 * const executor = new MemcachedExecutor({ store, now: () => clock.now(), unixNowS: () => wallClockS(), server });
 * const writer = new ReplyWriter();
 * executor.execute({ type: 'get', keys: ['a'] }, writer);
 * socket.write(writer.take()); // "END\r\n" on a miss
 * ```
 */
export class MemcachedExecutor {
  readonly context: ExecutionContext;

  constructor(options: ExecutorOptions) {
    this.context = {
      store: options.store,
      now: options.now,
      unixNowS: options.unixNowS,
      server: options.server,
      counters: options.counters ?? new CommandCounters(),
      marks: new ItemMarks(options.marksCountMax ?? marksCountMaxDefault),
      holds: new ItemHolds(),
    };
  }

  /**
   * Runs `command`, writing its reply (if any) to `out`. `quit` writes nothing: the caller closes.
   * An item the reply references until it is sent (an mg hit) is noted in `holds`: pass them to
   * `release` once the reply is sent or dropped.
   */
  execute(command: Command, out: ReplyWriter, holds: string[] = []): void {
    const { store, counters } = this.context;
    const nowMs = this.context.now();
    const reply = (line: string, noreply: boolean): void => {
      if (!noreply) out.line(line);
    };
    switch (command.type) {
      case 'get':
      case 'gets':
      case 'gat':
      case 'gats':
        this.retrieve(command.type === 'gets' || command.type === 'gats', command.keys, 'exptime' in command ? command.exptime : null, out);
        return;
      case 'set':
      case 'add':
      case 'replace':
      case 'append':
      case 'prepend':
      case 'cas':
        counters.cmd_set++;
        reply(
          this.storeCommand(command.type, command.key, command.flags, command.exptime, command.value, command.type === 'cas' ? command.unique : 0n),
          command.noreply,
        );
        return;
      case 'too-large':
        counters.store_too_large++;
        // memcached forgets the old value rather than let it outlive a failed set (process_update_cmd_start).
        if (command.verb === 'set' || command.verb === 'ms') store.delete(command.key, nowMs);
        reply(replyLine.tooLarge, command.noreply);
        return;
      case 'delete': {
        const deleted = store.delete(command.key, nowMs);
        if (deleted) counters.delete_hits++;
        else counters.delete_misses++;
        reply(deleted ? replyLine.deleted : replyLine.notFound, command.noreply);
        return;
      }
      case 'incr':
      case 'decr':
        reply(this.arithmetic(command.type === 'incr', command.key, command.delta), command.noreply);
        return;
      case 'touch':
        reply(this.touch(command.key, command.exptime), command.noreply);
        return;
      case 'flush_all':
        this.flushAll(command);
        reply(replyLine.ok, command.noreply);
        return;
      case 'stats':
        this.stats(command, out);
        return;
      case 'version':
        out.line(`VERSION ${this.context.server.version}`);
        return;
      case 'verbosity':
        reply(replyLine.ok, command.noreply);
        return;
      case 'quit':
        return;
      case 'mn':
        out.line('MN');
        return;
      case 'mg':
      case 'ms':
      case 'md':
      case 'ma':
      case 'me':
        counters.cmd_meta++;
        runMetaCommand(this.context, command, nowMs, out, holds);
        return;
    }
  }

  /** The replies that referenced the items `holds` names were sent or dropped. */
  release(holds: readonly string[]): void {
    this.context.holds.release(holds);
  }

  private retrieve(withCas: boolean, keys: readonly string[], exptime: number | null, out: ReplyWriter): void {
    const { store, counters, marks } = this.context;
    const nowMs = this.context.now();
    const expiry = exptime === null ? 0 : expiryMs(exptime, nowMs, this.context.unixNowS());
    for (const key of keys) {
      // Lookup, read and touch as one step: another CPU's change comes before or after, not between.
      const found = store.transact((view) => {
        const item = view.get(key, nowMs);
        // Past the reply budget the session drops this chunk's replies and closes: no copy to make.
        if (item === undefined || out.byteLength + item.valueBytes > repliesBytesMax) return { item, value: null, shown: item };
        const value = view.read(item);
        if (exptime === null) return { item, value, shown: item };
        // A gat to an exptime already past returns the value, and the item is gone.
        if (expiry === null) {
          view.delete(key, nowMs);
          return { item, value, shown: item };
        }
        return { item, value, shown: view.touch(item, expiry, nowMs) };
      });
      const { item, value, shown } = found;
      if (exptime === null) {
        counters.cmd_get++;
        if (item === undefined) counters.get_misses++;
        else counters.get_hits++;
      } else {
        counters.cmd_touch++;
        if (item === undefined) counters.touch_misses++;
        else counters.touch_hits++;
      }
      if (item === undefined || shown === undefined) continue;
      if (value === null) break;
      marks.set(item, { fetched: true });
      out.value(`VALUE ${key} ${shown.flags} ${value.byteLength}${withCas ? ` ${shown.cas}` : ''}`, value);
    }
    out.line(replyLine.end);
  }

  /** do_store_item for the classic storage commands; returns the reply line. */
  private storeCommand(verb: Command['type'], key: string, flags: number, exptime: number, value: Uint8Array, unique: bigint): string {
    const { store, counters } = this.context;
    const nowMs = this.context.now();
    const expiry = expiryMs(exptime, nowMs, this.context.unixNowS());
    if (verb === 'append' || verb === 'prepend') {
      // The joined item keeps the old flags and expiry; one too large for the store is NOT_STORED, as memcached's failed alloc is.
      const joined = store.transact((view) => {
        const before = view.peek(key, nowMs);
        return before === undefined
          ? 'absent'
          : view.store(key, before.flags, before.exptimeMs, concatenated(view.read(before), value, verb === 'append'), nowMs);
      });
      return typeof joined === 'string' ? replyLine.notStored : replyLine.stored;
    }
    // add, replace and cas look and store as one step (transact): no other CPU's store falls between.
    const decided = store.transact((view): { readonly line: string } | { readonly stored: Item | StoreFailure } => {
      if (verb === 'set') {
        // A set that fails forgets the key, as memcached's does.
        const stored = storeValue(view, key, flags, expiry, value, nowMs);
        if (typeof stored === 'string') view.delete(key, nowMs);
        return { stored };
      }
      if (verb === 'add') {
        if (view.get(key, nowMs) !== undefined) return { line: replyLine.notStored };
        return { stored: storeValue(view, key, flags, expiry, value, nowMs) };
      }
      const before = view.peek(key, nowMs);
      if (before === undefined) return { line: verb === 'cas' ? replyLine.notFound : replyLine.notStored };
      // A unique of 0 never matches (memcached's CAS_NONE is EXISTS for cas).
      if (verb === 'cas' && (unique === 0n || BigInt(before.cas) !== unique)) return { line: replyLine.exists };
      return { stored: storeValue(view, key, flags, expiry, value, nowMs) };
    });
    if (verb === 'cas') {
      if ('stored' in decided) counters.cas_hits++;
      else if (decided.line === replyLine.notFound) counters.cas_misses++;
      else counters.cas_badval++;
    }
    if ('line' in decided) return decided.line;
    const stored = decided.stored;
    if (typeof stored !== 'string') return replyLine.stored;
    if (stored === 'too-large') counters.store_too_large++;
    else counters.store_no_memory++;
    return storeFailureLine(stored);
  }

  private arithmetic(incr: boolean, key: string, delta: bigint): string {
    const { counters } = this.context;
    const outcome = applyDelta(this.context.store, this.context.holds, key, incr, delta, null, this.context.now());
    if (outcome.kind === 'not-found') {
      if (incr) counters.incr_misses++;
      else counters.decr_misses++;
      return replyLine.notFound;
    }
    if (outcome.kind === 'non-numeric') return replyLine.nonNumeric;
    if (outcome.kind !== 'applied') return 'SERVER_ERROR out of memory';
    if (incr) counters.incr_hits++;
    else counters.decr_hits++;
    if (outcome.inPlace) this.context.marks.carry(outcome.before, outcome.item);
    return outcome.digits;
  }

  private touch(key: string, exptime: number): string {
    const { store, counters } = this.context;
    const nowMs = this.context.now();
    counters.cmd_touch++;
    const expiry = expiryMs(exptime, nowMs, this.context.unixNowS());
    const item = store.transact((view) => {
      const found = view.get(key, nowMs);
      // An exptime already past: touched, the item is gone.
      if (found !== undefined && expiry === null) view.delete(key, nowMs);
      else if (found !== undefined) view.touch(found, expiry!, nowMs);
      return found;
    });
    if (item === undefined) {
      counters.touch_misses++;
      return replyLine.notFound;
    }
    counters.touch_hits++;
    // touch fetches the item as a get does, marking it fetched.
    this.context.marks.set(item, { fetched: true });
    return replyLine.touched;
  }

  private flushAll(command: FlushAllCommand): void {
    const nowMs = this.context.now();
    this.context.counters.cmd_flush++;
    const at = command.delay <= 0 ? null : expiryMs(command.delay, nowMs, this.context.unixNowS());
    this.context.store.flushAll(at ?? nowMs, nowMs);
  }

  /** `stats`, `stats reset`, `stats settings`…; memcached matches most groups as a prefix of their name (strncmp). */
  private stats(command: StatsCommand, out: ReplyWriter): void {
    const { counters, store, server } = this.context;
    const group = command.args[0];
    const lines = (stats: readonly (readonly [string, string | number])[]): void => {
      for (const [name, value] of stats) out.line(`STAT ${name} ${value}`);
      out.line(replyLine.end);
    };
    if (group === undefined) {
      lines(generalStats(counters, store.stats(), server, this.context.unixNowS()));
      return;
    }
    if ('reset'.startsWith(group)) {
      counters.reset();
      out.line(replyLine.reset);
      return;
    }
    if ('detail'.startsWith(group)) {
      out.line('CLIENT_ERROR stats detail not allowed');
      return;
    }
    if (group === 'slabs') {
      lines(slabStats(store.slabClasses()));
      return;
    }
    if (group === 'items') {
      lines(itemStats(store.slabClasses(), this.context.now()));
      return;
    }
    if ('settings'.startsWith(group)) {
      lines(settingsStats(store, server));
      return;
    }
    if ('cachedump'.startsWith(group)) {
      out.line('CLIENT_ERROR stats cachedump not allowed');
      return;
    }
    out.line(replyLine.error);
  }
}
