/**
 * memcached's meta commands (mg, ms, md, ma, me) over an `ItemStore`, as Debian bookworm's
 * memcached 1.6.18 runs them (proto_text.c: process_mget_command, process_mset_command,
 * process_mdelete_command, process_marithmetic_command, process_meta_command). Return flags
 * answer in the order the request gave them. `q` hides a nominal answer: mg's EN (not its hit),
 * ms's and md's HD, ma's HD or VA after arithmetic (not after creating the item); never an error,
 * NF, NS or EX.
 *
 * The item bits memcached keeps (fetched, stale, token sent, binary key) live in the bounded
 * `ItemMarks` table; the references queued replies keep on items, in `ItemHolds`.
 */
import { base64Encode } from '../../protocols/memcached/base64.js';
import type { MetaArithmeticCommand, MetaDeleteCommand, MetaFlags, MetaGetCommand, MetaSetCommand } from '../../protocols/memcached/commands.js';
import { latin1Bytes } from '../../protocols/memcached/latin1.js';
import { opaqueError } from '../../protocols/memcached/meta-flags.js';
import { type ReplyWriter, replyLine } from '../../protocols/memcached/replies.js';
import { applyDelta } from './arithmetic.js';
import type { ExecutionContext } from './execution-context.js';
import { expiryMs, remainingS } from './exptime.js';
import { type Item, type ItemStore, itemOverheadBytes, type StoreFailure } from './store/item-store.js';
import { concatenated, storeFailureLine, storeValue } from './storing.js';

type MetaCommand = MetaGetCommand | MetaSetCommand | MetaDeleteCommand | MetaArithmeticCommand | { readonly type: 'me'; readonly key: string };

const noValue = new Uint8Array(0);
/**
 * Seconds memcached's clock had counted when it started: it dates its start 62 s back
 * (ITEM_UPDATE_INTERVAL + 2) so that its clock is never 0.
 */
const clockStartS = 62;

/**
 * Runs one meta command, writing its reply to `out`; an item the reply references until sent (an
 * mg hit) is noted in `holds`.
 *
 * @example
 * ```ts
 * runMetaCommand(context, { type: 'mg', key: 'a', flags: metaFlags('v') }, clock.now(), writer, holds); // "VA 1\r\nx\r\n" or "EN\r\n"
 * ```
 */
export function runMetaCommand(context: ExecutionContext, command: MetaCommand, nowMs: number, out: ReplyWriter, holds: string[]): void {
  switch (command.type) {
    case 'mg':
      metaGet(context, command, nowMs, out, holds);
      return;
    case 'ms':
      metaSet(context, command, nowMs, out);
      return;
    case 'md':
      metaDelete(context, command, nowMs, out);
      return;
    case 'ma':
      metaArithmetic(context, command, nowMs, out);
      return;
    case 'me':
      metaDebug(context, command.key, nowMs, out);
      return;
  }
}

/** The ` k<key>` token, base64 again (with a ` b` after it) for a binary key. */
function keyToken(key: string, binary: boolean): string {
  return binary ? ` k${base64Encode(key)} b` : ` k${key}`;
}

/**
 * The ` O…` and ` k…` tokens, in request order, that a reply without an item echoes; null when the
 * opaque token is too long (memcached finds out only while echoing it).
 */
function echoTokens(key: string, flags: MetaFlags): string | null {
  if (opaqueError(flags) !== null) return null;
  let tokens = '';
  for (const flag of flags.order) {
    if (flag === 'O') tokens += ` ${flags.opaque!}`;
    else if (flag === 'k') tokens += keyToken(key, flags.base64Key);
  }
  return tokens;
}

/**
 * What `t` shows for an item whose new exptime is already past: memcached stores that as its time
 * 1 and prints `1 - now` unsigned, about 2^32.
 */
function pastSecondsLeft(context: ExecutionContext): number {
  return (1 - (Math.floor(context.server.uptimeS()) + clockStartS)) >>> 0;
}

function metaGet(context: ExecutionContext, command: MetaGetCommand, nowMs: number, out: ReplyWriter, holds: string[]): void {
  // Lookup, read and touch as one step: another CPU's change comes before or after, not between.
  context.store.transact((store) => metaGetOnce(context, store, command, nowMs, out, holds));
}

function metaGetOnce(context: ExecutionContext, store: ItemStore, command: MetaGetCommand, nowMs: number, out: ReplyWriter, holds: string[]): void {
  const { marks, counters } = context;
  const { key, flags } = command;
  const touching = flags.ttl !== null;
  let item = store.peek(key, nowMs);
  let created = false;
  if (item === undefined && flags.vivifyTtl !== null) {
    // On a miss with N, an empty item is created (its expiry set by N below); its client wins the recache.
    const stored = store.store(key, 0, 0, noValue, nowMs);
    if (typeof stored !== 'string') {
      item = stored;
      created = true;
    }
  }
  const count = (hit: boolean): void => {
    if (touching) counters.cmd_touch++;
    else counters.cmd_get++;
    if (touching && hit) counters.touch_hits++;
    else if (touching) counters.touch_misses++;
    else if (hit) counters.get_hits++;
    else counters.get_misses++;
  };
  if (item === undefined) {
    count(false);
    const tokens = echoTokens(key, flags);
    if (tokens === null) out.line(opaqueError(flags)!);
    else if (!flags.quiet) out.line(`EN${tokens}`);
    return;
  }
  const before = item;
  const mark = marks.of(item);
  const value = flags.returnValue ? store.read(item) : null;
  let won = false;
  let expired = false;
  let tokens = '';
  const setExpiry = (exptime: number): void => {
    const expiry = expiryMs(exptime, nowMs, context.unixNowS());
    expired = expiry === null;
    if (expiry !== null) item = store.touch(item!, expiry, nowMs);
  };
  for (const flag of flags.order) {
    switch (flag) {
      case 'T':
        setExpiry(flags.ttl!);
        break;
      case 'N':
        if (created) {
          setExpiry(flags.vivifyTtl!);
          won = true;
        }
        break;
      case 'R': {
        const recache = expiryMs(flags.recacheTtl!, nowMs, context.unixNowS());
        // An expired item's time is 1, below any recache time but a past one (also 1).
        const below = expired ? recache !== null && recache !== 0 : item.exptimeMs !== 0 && recache !== null && recache !== 0 && item.exptimeMs < recache;
        if (!mark.tokenSent && !created && below) won = true;
        break;
      }
      case 's':
        tokens += ` s${item.valueBytes}`;
        break;
      case 't':
        tokens += ` t${expired ? pastSecondsLeft(context) : remainingS(item.exptimeMs, nowMs)}`;
        break;
      case 'c':
        tokens += ` c${item.cas}`;
        break;
      case 'f':
        tokens += ` f${item.flags}`;
        break;
      case 'l':
        tokens += ` l${Math.floor((nowMs - before.lastAccessMs) / 1_000)}`;
        break;
      case 'h':
        tokens += ` h${mark.fetched ? 1 : 0}`;
        break;
      case 'O':
        if (opaqueError(flags) !== null) {
          // Found while answering: what the flags before it did stays done.
          count(true);
          if (expired) store.delete(key, nowMs);
          out.line(opaqueError(flags)!);
          return;
        }
        tokens += ` ${flags.opaque!}`;
        break;
      case 'k':
        tokens += keyToken(key, mark.binaryKey);
        break;
    }
  }
  if (mark.tokenSent) tokens += ' Z';
  if (mark.stale) {
    tokens += ' X';
    if (!mark.tokenSent) won = true;
  }
  if (won) tokens += ' W';
  count(true);
  if (!flags.noBump) {
    item = store.get(key, nowMs) ?? item;
    marks.set(item, { fetched: true });
  }
  if (won) marks.set(item, { tokenSent: true });
  if (expired) store.delete(key, nowMs);
  else holds.push(context.holds.hold(item));
  if (value !== null) out.value(`VA ${value.byteLength}${tokens}`, value);
  else out.line(`HD${tokens}`);
}

type CasComparison = 'none' | 'match' | 'stale' | 'mismatch';

/** do_store_item's cas test: the request's unique (0 without C) against the item's. */
function compareCas(item: Item, flags: MetaFlags): CasComparison {
  const wanted = flags.compareCas ?? 0n;
  if (wanted === 0n) return 'none';
  const current = BigInt(item.cas);
  if (wanted === current) return 'match';
  return flags.invalidate && wanted < current ? 'stale' : 'mismatch';
}

/** do_store_item for ms: the two-letter code and the item stored, if one was. */
function metaStore(context: ExecutionContext, command: MetaSetCommand, nowMs: number): { readonly code: string; readonly item: Item | null } | StoreFailure {
  // Look and store as one step: an append or a cas builds on the item it found.
  return context.store.transact((store) => {
    const outcome = metaStoreOnce(context, store, command, nowMs);
    // memcached fails the allocation before anything else and then forgets the key, whatever the mode.
    if (typeof outcome === 'string') store.delete(command.key, nowMs);
    return outcome;
  });
}

function metaStoreOnce(
  context: ExecutionContext,
  store: ItemStore,
  command: MetaSetCommand,
  nowMs: number,
): { readonly code: string; readonly item: Item | null } | StoreFailure {
  const { marks, counters } = context;
  const { key, flags, value } = command;
  const mode = command.mode;
  // A cas turns set and replace into cas; add ignores it; append and prepend check it themselves.
  const casMode = flags.compareCas !== null && (mode === 'set' || mode === 'replace');
  const expiry = expiryMs(flags.ttl ?? 0, nowMs, context.unixNowS());
  const before = store.peek(key, nowMs);
  const put = (): { readonly code: string; readonly item: Item | null } | StoreFailure => {
    const stored = storeValue(store, key, flags.clientFlags, expiry, value, nowMs);
    if (typeof stored === 'string') return stored;
    if (flags.base64Key) marks.set(stored, { binaryKey: true });
    return { code: 'HD', item: stored };
  };
  if (before === undefined) {
    if (casMode) {
      counters.cas_misses++;
      return { code: 'NF', item: null };
    }
    if (mode === 'set' || mode === 'add') return put();
    return { code: 'NS', item: null };
  }
  const comparison = compareCas(before, flags);
  if (mode === 'add') {
    store.get(key, nowMs);
    return { code: 'NS', item: null };
  }
  if (mode === 'append' || mode === 'prepend') {
    if (comparison !== 'none' && comparison !== 'match') return { code: 'EX', item: null };
    // A new item: the old flags and expiry, none of the old item's bits.
    const joined = store.store(key, before.flags, before.exptimeMs, concatenated(store.read(before), value, mode === 'append'), nowMs);
    return typeof joined === 'string' ? { code: 'NS', item: null } : { code: 'HD', item: joined };
  }
  if (!casMode) return put();
  if (comparison === 'match') {
    const done = put();
    counters.cas_hits++;
    return done;
  }
  if (comparison === 'stale') {
    // An older cas with I: the value is taken, keeping the old expiry and token, and marked stale.
    const stored = store.store(key, flags.clientFlags, before.exptimeMs, value, nowMs);
    counters.cas_hits++;
    if (typeof stored === 'string') return stored;
    marks.set(stored, { stale: true, tokenSent: marks.of(before).tokenSent, binaryKey: flags.base64Key });
    return { code: 'HD', item: stored };
  }
  counters.cas_badval++;
  return { code: 'EX', item: null };
}

function metaSet(context: ExecutionContext, command: MetaSetCommand, nowMs: number, out: ReplyWriter): void {
  const { key, flags } = command;
  context.counters.cmd_set++;
  const outcome = metaStore(context, command, nowMs);
  if (typeof outcome === 'string') {
    if (outcome === 'too-large') context.counters.store_too_large++;
    else context.counters.store_no_memory++;
    out.line(storeFailureLine(outcome));
    return;
  }
  if (outcome.code === 'HD' && flags.quiet) return;
  let tokens = '';
  for (const flag of flags.order) {
    if (flag === 'O') tokens += ` ${flags.opaque!}`;
    else if (flag === 'k') tokens += keyToken(key, flags.base64Key);
    else if (flag === 'c') tokens += ` c${outcome.item?.cas ?? 0}`;
  }
  out.line(`${outcome.code}${tokens}`);
}

function metaDelete(context: ExecutionContext, command: MetaDeleteCommand, nowMs: number, out: ReplyWriter): void {
  // Look and delete (or restore, with I) as one step.
  context.store.transact((store) => metaDeleteOnce(context, store, command, nowMs, out));
}

function metaDeleteOnce(context: ExecutionContext, store: ItemStore, command: MetaDeleteCommand, nowMs: number, out: ReplyWriter): void {
  const { marks, counters } = context;
  const { key, flags } = command;
  // The parser refused a too long opaque token: md checks it before looking.
  const tokens = echoTokens(key, flags) ?? '';
  const item = store.peek(key, nowMs);
  if (item === undefined) {
    counters.delete_misses++;
    out.line(`NF${tokens}`);
    return;
  }
  if (flags.compareCas !== null && BigInt(item.cas) !== flags.compareCas) {
    counters.delete_misses++;
    out.line(`EX${tokens}`);
    return;
  }
  if (flags.invalidate) {
    // I: keep the item, mark it stale with a new cas (a store gives one), let the next client win.
    const exptimeMs = flags.ttl === null ? item.exptimeMs : expiryMs(flags.ttl, nowMs, context.unixNowS());
    const restored = storeValue(store, key, item.flags, exptimeMs, store.read(item), nowMs);
    if (typeof restored !== 'string') marks.carry(item, restored, { stale: true, tokenSent: false });
  } else {
    store.delete(key, nowMs);
    counters.delete_hits++;
  }
  if (!flags.quiet) out.line(`HD${tokens}`);
}

function metaArithmetic(context: ExecutionContext, command: MetaArithmeticCommand, nowMs: number, out: ReplyWriter): void {
  const { store, counters, marks } = context;
  const { key, flags, incr } = command;
  // The delta, the item a miss with N creates, and the expiry T and N give it: one step.
  const { outcome, vivified } = store.transact((view) => {
    const outcome = applyDelta(view, context.holds, key, incr, flags.delta, flags.compareCas, nowMs);
    const vivified = outcome.kind === 'not-found' && flags.vivifyTtl !== null ? view.store(key, 0, 0, latin1Bytes(flags.initial.toString()), nowMs) : null;
    const created = vivified !== null && typeof vivified !== 'string';
    // memcached's `it` is the old item when incr stored a new one: the expiry then reaches no one.
    const changed = outcome.kind === 'applied' ? (outcome.inPlace ? outcome.item : null) : created ? vivified : null;
    const expiry = finalExpiry(flags, created);
    if (changed !== null && expiry !== undefined) {
      const exptimeMs = expiryMs(expiry, nowMs, context.unixNowS());
      if (exptimeMs === null) view.delete(key, nowMs);
      else view.touch(changed, exptimeMs, nowMs);
    }
    return { outcome, vivified };
  });
  let item: Item;
  let digits: string;
  let created = false;
  const withoutItem = (code: string): void => {
    const tokens = echoTokens(key, flags);
    out.line(tokens === null ? opaqueError(flags)! : `${code}${tokens}`);
  };
  switch (outcome.kind) {
    case 'non-numeric':
      out.line(replyLine.nonNumeric);
      return;
    case 'out-of-memory':
      out.line('SERVER_ERROR out of memory');
      return;
    case 'cas-mismatch':
      withoutItem('EX');
      return;
    case 'applied':
      if (incr) counters.incr_hits++;
      else counters.decr_hits++;
      if (outcome.inPlace) marks.carry(outcome.before, outcome.item);
      item = outcome.item;
      digits = outcome.digits;
      break;
    case 'not-found': {
      if (flags.vivifyTtl === null) {
        if (incr) counters.incr_misses++;
        else counters.decr_misses++;
        withoutItem('NF');
        return;
      }
      digits = flags.initial.toString();
      if (vivified === null || typeof vivified === 'string') {
        out.line('SERVER_ERROR Out of memory allocating new item');
        return;
      }
      item = vivified;
      created = true;
    }
  }
  const cas = item.cas;
  // T and N set the expiry in flag order (the last one wins, a t between them sees the one before);
  // the stored item got the final one, above.
  let exptimeMs = item.exptimeMs;
  let expired = false;
  const setExpiry = (exptime: number): void => {
    const expiry = expiryMs(exptime, nowMs, context.unixNowS());
    expired = expiry === null;
    exptimeMs = expiry ?? 0;
  };
  let tokens = '';
  for (const flag of flags.order) {
    if (flag === 'c') tokens += ` c${cas}`;
    else if (flag === 't') tokens += ` t${expired ? pastSecondsLeft(context) : remainingS(exptimeMs, nowMs)}`;
    else if (flag === 'T') setExpiry(flags.ttl!);
    else if (flag === 'N' && created) setExpiry(flags.vivifyTtl!);
    else if (flag === 'O') {
      if (opaqueError(flags) !== null) {
        out.line(opaqueError(flags)!);
        return;
      }
      tokens += ` ${flags.opaque!}`;
    } else if (flag === 'k') tokens += keyToken(key, flags.base64Key);
  }
  // q hides the answer to arithmetic done, not to an item created.
  if (flags.quiet && !created) return;
  if (flags.returnValue) out.value(`VA ${digits.length}${tokens}`, latin1Bytes(digits));
  else out.line(`HD${tokens}`);
}

function metaDebug(context: ExecutionContext, key: string, nowMs: number, out: ReplyWriter): void {
  const item = context.store.peek(key, nowMs);
  if (item === undefined) {
    out.line('EN');
    return;
  }
  const mark = context.marks.of(item);
  // 1.6.18 prints exp as now minus the expiry: the seconds left, negated.
  const exp = item.exptimeMs === 0 ? -1 : -remainingS(item.exptimeMs, nowMs);
  const lastAccessS = Math.floor((nowMs - item.lastAccessMs) / 1_000);
  const sizeBytes = key.length + item.valueBytes + itemOverheadBytes;
  const shownKey = mark.binaryKey ? base64Encode(key) : key;
  out.line(`ME ${shownKey} exp=${exp} la=${lastAccessS} cas=${item.cas} fetch=${mark.fetched ? 'yes' : 'no'} cls=1 size=${sizeBytes}`);
}

/**
 * The exptime `ma`'s T and N flags leave, in flag order (the last wins; N only for an item it
 * created), up to an O whose token was refused, where memcached stops; undefined: none set.
 */
function finalExpiry(flags: MetaArithmeticCommand['flags'], created: boolean): number | undefined {
  let exptime: number | undefined;
  for (const flag of flags.order) {
    if (flag === 'T') exptime = flags.ttl!;
    else if (flag === 'N' && created) exptime = flags.vivifyTtl!;
    else if (flag === 'O' && opaqueError(flags) !== null) break;
  }
  return exptime;
}
