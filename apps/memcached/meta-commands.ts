/**
 * memcached's meta commands (mg, ms, md, ma, me) over an `ItemStore`, as proto_parser.c runs them
 * (process_mget_cmd, process_mset_cmd, process_mdelete_cmd, process_marithmetic_cmd) and
 * proto_text.c's process_meta_command. Return flags answer in the order the request gave them;
 * `q` hides the nominal answer (HD; EN for mg) but never an error.
 *
 * Two things the store contract cannot do are approximated: `E` (choose the next cas) is accepted
 * and ignored, the store choosing the cas; and the item bits memcached keeps for stale items, won
 * recaches and fetches live in the bounded `ItemMarks` table.
 */
import { base64Encode } from '../../protocols/memcached/base64.js';
import type { MetaArithmeticCommand, MetaDeleteCommand, MetaFlags, MetaGetCommand, MetaSetCommand } from '../../protocols/memcached/commands.js';
import { latin1Bytes } from '../../protocols/memcached/latin1.js';
import { type ReplyWriter, replyLine } from '../../protocols/memcached/replies.js';
import { applyDelta } from './arithmetic.js';
import type { ExecutionContext } from './execution-context.js';
import { expiryMs, remainingS } from './exptime.js';
import { type Item, itemOverheadBytes, type StoreFailure } from './item-store.js';
import { concatenated, storeFailureLine, storeValue } from './storing.js';

type MetaCommand = MetaGetCommand | MetaSetCommand | MetaDeleteCommand | MetaArithmeticCommand | { readonly type: 'me'; readonly key: string };

const noValue = new Uint8Array(0);

/**
 * Runs one meta command, writing its reply to `out`.
 *
 * @example
 * ```ts
 * runMetaCommand(context, { type: 'mg', key: 'a', flags: metaFlags('v') }, clock.now(), writer); // "VA 1\r\nx\r\n" or "EN\r\n"
 * ```
 */
export function runMetaCommand(context: ExecutionContext, command: MetaCommand, nowMs: number, out: ReplyWriter): void {
  switch (command.type) {
    case 'mg':
      metaGet(context, command, nowMs, out);
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

/** The ` k<key>` token, base64 again (with a ` b` after it) when the key came so. */
function keyToken(key: string, flags: MetaFlags): string {
  return flags.base64Key ? ` k${base64Encode(key)} b` : ` k${key}`;
}

/** The ` O…` and ` k…` tokens, in request order: what every meta answer echoes, hit or miss. */
function echoTokens(key: string, flags: MetaFlags): string {
  let tokens = '';
  for (const flag of flags.order) {
    if (flag === 'O') tokens += ` ${flags.opaque!}`;
    else if (flag === 'k') tokens += keyToken(key, flags);
  }
  return tokens;
}

function metaGet(context: ExecutionContext, command: MetaGetCommand, nowMs: number, out: ReplyWriter): void {
  const { store, marks, counters } = context;
  const { key, flags } = command;
  const touching = flags.ttl !== null;
  let item = store.peek(key, nowMs);
  let created = false;
  if (item === undefined && flags.vivifyTtl !== null) {
    // On a miss with N, an empty item is created; the client that caused it wins the recache.
    const stored = storeValue(store, key, 0, expiryMs(flags.vivifyTtl, nowMs, context.unixNowS()), noValue, nowMs);
    if (typeof stored !== 'string' && store.peek(key, nowMs) !== undefined) {
      item = stored;
      created = true;
    }
  }
  if (touching) counters.cmd_touch++;
  else counters.cmd_get++;
  if (item === undefined) {
    if (touching) counters.touch_misses++;
    else counters.get_misses++;
    if (!flags.quiet) out.line(`EN${echoTokens(key, flags)}`);
    return;
  }
  if (touching) counters.touch_hits++;
  else counters.get_hits++;
  const before = item;
  const mark = marks.of(item);
  // With C matching, the client already has this value: HD instead of VA.
  const sendValue = flags.returnValue && !(flags.compareCas !== null && BigInt(item.cas) === flags.compareCas);
  const value = sendValue ? store.read(item) : null;
  let won = false;
  let expiredByTtl = false;
  let tokens = '';
  for (const flag of flags.order) {
    switch (flag) {
      case 'T': {
        const expiry = expiryMs(flags.ttl!, nowMs, context.unixNowS());
        if (expiry === null) expiredByTtl = true;
        else item = store.touch(item, expiry, nowMs);
        break;
      }
      case 'N':
        won ||= created;
        break;
      case 'R': {
        const recache = expiryMs(flags.recacheTtl!, nowMs, context.unixNowS());
        if (!mark.tokenSent && !created && item.exptimeMs !== 0 && recache !== null && recache !== 0 && item.exptimeMs < recache) won = true;
        break;
      }
      case 's':
        tokens += ` s${item.valueBytes}`;
        break;
      case 't':
        tokens += ` t${remainingS(item.exptimeMs, nowMs)}`;
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
        tokens += ` ${flags.opaque!}`;
        break;
      case 'k':
        tokens += keyToken(key, flags);
        break;
    }
  }
  if (mark.tokenSent) tokens += ' Z';
  if (mark.stale) {
    tokens += ' X';
    if (!mark.tokenSent) won = true;
  }
  if (won) tokens += ' W';
  if (!flags.noBump) {
    item = store.get(key, nowMs) ?? item;
    marks.set(item, { fetched: true });
  }
  if (won) marks.set(item, { tokenSent: true });
  if (expiredByTtl) store.delete(key, nowMs);
  if (value !== null) out.value(`VA ${value.byteLength}${tokens}`, value);
  else out.line(`HD${tokens}`);
}

type CasComparison = 'none' | 'match' | 'stale' | 'mismatch';

function compareCas(item: Item, flags: MetaFlags): CasComparison {
  const wanted = flags.compareCas;
  if (wanted === null || wanted === 0n) return 'none';
  const current = BigInt(item.cas);
  if (wanted === current) return 'match';
  return flags.invalidate && wanted < current ? 'stale' : 'mismatch';
}

/** do_store_item for ms: the two-letter code and the item stored, if one was. */
function metaStore(context: ExecutionContext, command: MetaSetCommand, nowMs: number): { readonly code: string; readonly item: Item | null } | StoreFailure {
  const { store, marks, counters } = context;
  const { key, flags, value } = command;
  const mode = command.mode;
  const casMode = flags.compareCas !== null && (mode === 'set' || mode === 'replace');
  const vivifying = flags.vivifyTtl !== null && (mode === 'append' || mode === 'prepend');
  const exptime = vivifying ? flags.vivifyTtl! : (flags.ttl ?? 0);
  const expiry = expiryMs(exptime, nowMs, context.unixNowS());
  const before = store.peek(key, nowMs);
  const put = (): { readonly code: string; readonly item: Item | null } | StoreFailure => {
    const stored = storeValue(store, key, flags.clientFlags, expiry, value, nowMs);
    return typeof stored === 'string' ? stored : { code: 'HD', item: stored };
  };
  if (before === undefined) {
    if (casMode) {
      counters.cas_misses++;
      return { code: 'NF', item: null };
    }
    if (mode === 'set' || mode === 'add' || vivifying) return put();
    return { code: 'NS', item: null };
  }
  const comparison = compareCas(before, flags);
  if (mode === 'add') {
    store.get(key, nowMs);
    return { code: 'NS', item: null };
  }
  if (mode === 'append' || mode === 'prepend') {
    if (comparison !== 'none' && comparison !== 'match') return { code: 'EX', item: null };
    const joined = store.store(key, before.flags, before.exptimeMs, concatenated(store.read(before), value, mode === 'append'), nowMs);
    return typeof joined === 'string' ? { code: 'NS', item: null } : { code: 'HD', item: joined };
  }
  if (!casMode) return put();
  if (comparison === 'match') {
    counters.cas_hits++;
    return put();
  }
  if (comparison === 'stale') {
    // An older cas with I: the value is taken, keeping the old expiry, and marked stale.
    counters.cas_hits++;
    const stored = store.store(key, flags.clientFlags, before.exptimeMs, value, nowMs);
    if (typeof stored === 'string') return stored;
    marks.carry(before, stored, { stale: true, fetched: false });
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
    // memcached fails the allocation before anything else and then forgets the key, whatever the mode.
    if (outcome === 'too-large') context.counters.store_too_large++;
    else context.counters.store_no_memory++;
    context.store.delete(key, nowMs);
    out.line(storeFailureLine(outcome));
    return;
  }
  if (outcome.code === 'HD' && flags.quiet) return;
  let tokens = '';
  for (const flag of flags.order) {
    if (flag === 'O') tokens += ` ${flags.opaque!}`;
    else if (flag === 'k') tokens += keyToken(key, flags);
    else if (flag === 'c') tokens += ` c${outcome.item?.cas ?? 0}`;
    else if (flag === 's') tokens += ` s${outcome.item?.valueBytes ?? command.value.byteLength}`;
  }
  out.line(`${outcome.code}${tokens}`);
}

function metaDelete(context: ExecutionContext, command: MetaDeleteCommand, nowMs: number, out: ReplyWriter): void {
  const { store, marks, counters } = context;
  const { key, flags } = command;
  const tokens = echoTokens(key, flags);
  let item = store.peek(key, nowMs);
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
  const ttl = flags.ttl === null ? null : expiryMs(flags.ttl, nowMs, context.unixNowS());
  if (flags.removeValue) {
    // x: an empty item takes the value's place, with the flags and expiry the request gives.
    const emptied = storeValue(store, key, flags.clientFlags, ttl ?? (flags.ttl === null ? 0 : null), noValue, nowMs);
    if (typeof emptied === 'string') {
      out.line(`NS${tokens}`);
      return;
    }
    if (store.peek(key, nowMs) === undefined) {
      // The empty item expired on arrival (a negative T): nothing is left to mark.
      if (!flags.quiet) out.line(`HD${tokens}`);
      return;
    }
    marks.carry(item, emptied);
    item = emptied;
  }
  if (flags.invalidate) {
    // I: keep the item, mark it stale with a new cas (a store gives one), let the next client win.
    const exptimeMs = flags.ttl === null ? item.exptimeMs : ttl;
    const restored = storeValue(store, key, item.flags, exptimeMs, store.read(item), nowMs);
    if (typeof restored !== 'string') marks.carry(item, restored, { stale: true, tokenSent: false });
  } else {
    counters.delete_hits++;
    if (!flags.removeValue) store.delete(key, nowMs);
  }
  if (!flags.quiet) out.line(`HD${tokens}`);
}

function metaArithmetic(context: ExecutionContext, command: MetaArithmeticCommand, nowMs: number, out: ReplyWriter): void {
  const { store, counters, marks } = context;
  const { key, flags, incr } = command;
  const outcome = applyDelta(store, key, incr, flags.delta, flags.compareCas, nowMs);
  let item: Item | null = null;
  let digits = '';
  let created = false;
  switch (outcome.kind) {
    case 'non-numeric':
      out.line(replyLine.nonNumeric);
      return;
    case 'out-of-memory':
      out.line('SERVER_ERROR out of memory');
      return;
    case 'cas-mismatch':
      out.line(`EX${echoTokens(key, flags)}`);
      return;
    case 'applied':
      if (incr) counters.incr_hits++;
      else counters.decr_hits++;
      marks.carry(outcome.before, outcome.item);
      item = outcome.item;
      digits = outcome.digits;
      break;
    case 'not-found': {
      if (flags.vivifyTtl === null) {
        if (incr) counters.incr_misses++;
        else counters.decr_misses++;
        out.line(`NF${echoTokens(key, flags)}`);
        return;
      }
      digits = flags.initial.toString();
      const stored = storeValue(store, key, 0, expiryMs(flags.vivifyTtl, nowMs, context.unixNowS()), latin1Bytes(digits), nowMs);
      if (typeof stored === 'string') {
        out.line('SERVER_ERROR Out of memory allocating new item');
        return;
      }
      item = stored;
      created = true;
    }
  }
  const cas = item.cas;
  let tokens = '';
  for (const flag of flags.order) {
    if (flag === 'c') tokens += ` c${cas}`;
    else if (flag === 't') tokens += ` t${remainingS(item.exptimeMs, nowMs)}`;
    else if (flag === 'T' || (flag === 'N' && created)) {
      // memcached sets the expiry in flag order, so a t before T reports the old one.
      const expiry = expiryMs(flag === 'T' ? flags.ttl! : flags.vivifyTtl!, nowMs, context.unixNowS());
      if (expiry === null) store.delete(key, nowMs);
      else if (store.peek(key, nowMs) !== undefined) item = store.touch(item, expiry, nowMs);
    } else if (flag === 'O') tokens += ` ${flags.opaque!}`;
    else if (flag === 'k') tokens += keyToken(key, flags);
  }
  // q hides a success, the number included; errors, NF and EX were answered above.
  if (flags.quiet) return;
  if (flags.returnValue) out.value(`VA ${digits.length}${tokens}`, latin1Bytes(digits));
  else out.line(`HD${tokens}`);
}

function metaDebug(context: ExecutionContext, key: string, nowMs: number, out: ReplyWriter): void {
  const item = context.store.peek(key, nowMs);
  if (item === undefined) {
    out.line('EN');
    return;
  }
  const fetched = context.marks.of(item).fetched ? 'yes' : 'no';
  const lastAccessS = Math.floor((nowMs - item.lastAccessMs) / 1_000);
  const sizeBytes = key.length + item.valueBytes + itemOverheadBytes;
  out.line(`ME ${key} exp=${remainingS(item.exptimeMs, nowMs)} la=${lastAccessS} cas=${item.cas} fetch=${fetched} cls=1 size=${sizeBytes}`);
}
