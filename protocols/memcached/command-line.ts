/**
 * One command line of memcached's text protocol, read the way Debian bookworm's memcached 1.6.18
 * reads it (`try_read_command_ascii` and `process_command_ascii` in proto_text.c): the line ends
 * at its `\n` (a `\r` before it dropped) or at its first NUL byte, `tokenize_command` splits it on
 * spaces into at most 23 tokens, the command is chosen by its first letter and its exact name, and
 * a wrong token count is `ERROR`. Numbers are read by libc's strtol family, as 1.6.18's `safe_*`
 * wrappers do. The checks memcached makes while running a command (key length, numbers, meta
 * flags) are made here, so the executor gets only well-formed commands; their error lines and
 * `noreply` suppression are 1.6.18's.
 */
import { base64Decode } from './base64.js';
import type { Command, MetaSetMode, StoreVerb } from './commands.js';
import { latin1Text } from './latin1.js';
import { keyBytesMax, metaTokensCountMax, tokensCountMax } from './limits.js';
import { type MetaRequest, opaqueError, parseMetaFlags } from './meta-flags.js';
import { cStrtol32, cStrtoul32, cStrtoull } from './numbers.js';
import { connectionDropped, type RequestError, refusal } from './request-errors.js';

/** A storage command whose line was read and whose data block is awaited. */
export type PendingStore =
  | { readonly type: StoreVerb; readonly key: string; readonly flags: number; readonly exptime: number; readonly noreply: boolean }
  | { readonly type: 'cas'; readonly key: string; readonly flags: number; readonly exptime: number; readonly unique: bigint; readonly noreply: boolean }
  | { readonly type: 'ms'; readonly key: string; readonly mode: MetaSetMode; readonly flags: MetaRequest['flags']; readonly noreply: false };

/** What a line asks of the stream: a command or a refusal now, and maybe data bytes to read or skip. */
export type LineOutcome =
  | { readonly kind: 'command'; readonly command: Command; readonly swallowBytes: number }
  | { readonly kind: 'error'; readonly error: RequestError; readonly swallowBytes: number }
  | { readonly kind: 'data'; readonly pending: PendingStore; readonly valueBytes: number };

const badFormat = 'CLIENT_ERROR bad command line format';
const badExptime = 'CLIENT_ERROR invalid exptime argument';
const metaSetModes: Readonly<Record<string, MetaSetMode>> = { S: 'set', E: 'add', A: 'append', P: 'prepend', R: 'replace' };
/** The largest data length a storage line may state (INT_MAX − 2: the length and its `\r\n` fit an int). */
const valueBytesMax = 0x7fff_ffff - 2;

function command(value: Command, swallowBytes = 0): LineOutcome {
  return { kind: 'command', command: value, swallowBytes };
}

function error(value: RequestError, swallowBytes = 0): LineOutcome {
  return { kind: 'error', error: value, swallowBytes };
}

/** memcached's `ERROR`: an unknown command, or a known one with the wrong number of tokens. */
const unknownCommand = (): LineOutcome => error(refusal('unknown-command', 'ERROR'));

/**
 * A line as `tokenize_command` splits it: up to 23 tokens, and what follows them unread (`rest`,
 * null when the whole line was read). memcached's `ntokens` is `tokens.length + 1`: it counts a
 * final empty token.
 */
interface Tokens {
  readonly tokens: readonly string[];
  readonly rest: string | null;
}

function tokenize(text: string): Tokens {
  const tokens: string[] = [];
  let start = 0;
  for (let index = 0; index < text.length; index++) {
    if (text.charCodeAt(index) !== 0x20) continue;
    if (index > start) {
      tokens.push(text.slice(start, index));
      if (tokens.length === tokensCountMax) return { tokens, rest: index + 1 < text.length ? text.slice(index + 1) : null };
    }
    start = index + 1;
  }
  if (start < text.length) tokens.push(text.slice(start));
  return { tokens, rest: null };
}

/** set_noreply_maybe: the last token read is `noreply`. */
function isNoreply(tokens: readonly string[]): boolean {
  return tokens[tokens.length - 1] === 'noreply';
}

/**
 * Reads the command line `line` (its `\n` included). `itemBytesMax` bounds a storage command's key
 * and value together: a larger one is answered `too-large` and its data block swallowed.
 *
 * @example
 * ```ts
 * parseCommandLine(latin1Bytes('get a b\r\n'), 1 << 20); // { kind: 'command', command: { type: 'get', keys: ['a', 'b'] }, swallowBytes: 0 }
 * parseCommandLine(latin1Bytes('set k 0 0 5\r\n'), 1 << 20); // { kind: 'data', pending: { type: 'set', … }, valueBytes: 5 }
 * ```
 */
export function parseCommandLine(line: Uint8Array, itemBytesMax: number): LineOutcome {
  let end = line.byteLength - 1;
  // memcached drops a `\r` before the `\n` only when something comes before it.
  if (end > 1 && line[end - 1] === 0x0d) end--;
  // The line is a C string from here on: a NUL ends it.
  const nul = line.subarray(0, end).indexOf(0);
  const text = latin1Text(line, 0, nul < 0 ? end : nul);
  const { tokens, rest } = tokenize(text);
  const ntokens = tokens.length + 1;
  const name = tokens[0];
  if (name === undefined || name.length < 2) return unknownCommand();
  if (name[0] === 'm' && name.length === 2) {
    switch (name[1]) {
      case 'g':
        return metaGet(tokens);
      case 's':
        return metaSet(tokens, itemBytesMax);
      case 'd':
        return metaDelete(tokens);
      case 'n':
        return command({ type: 'mn' });
      case 'a':
        return metaArithmetic(tokens);
      case 'e':
        return metaDebug(tokens);
      default:
        return unknownCommand();
    }
  }
  switch (name[0]) {
    case 'g':
      if (ntokens < 3) return unknownCommand();
      if (name === 'get' || name === 'gets' || name === 'gat' || name === 'gats') return retrieval(name, tokens, rest);
      return unknownCommand();
    case 's':
      if (name === 'set') return ntokens === 6 || ntokens === 7 ? storage(name, tokens, itemBytesMax) : unknownCommand();
      if (name === 'stats') return command({ type: 'stats', args: tokens.slice(1) });
      if (name === 'shutdown') return error(refusal('unsupported', 'ERROR: shutdown not enabled'));
      return unknownCommand();
    case 'a':
      if (name === 'add' || name === 'append') return ntokens === 6 || ntokens === 7 ? storage(name, tokens, itemBytesMax) : unknownCommand();
      return unknownCommand();
    case 'c':
      if (name === 'cas') return ntokens === 7 || ntokens === 8 ? storage(name, tokens, itemBytesMax) : unknownCommand();
      return unknownCommand();
    case 'i':
      if (name === 'incr') return ntokens === 4 || ntokens === 5 ? arithmetic(name, tokens) : unknownCommand();
      return unknownCommand();
    case 'd':
      if (name === 'delete') return ntokens >= 3 && ntokens <= 5 ? deletion(tokens) : unknownCommand();
      if (name === 'decr') return ntokens === 4 || ntokens === 5 ? arithmetic(name, tokens) : unknownCommand();
      return unknownCommand();
    case 't':
      if (name === 'touch') return ntokens === 4 || ntokens === 5 ? touch(tokens) : unknownCommand();
      return unknownCommand();
  }
  switch (name) {
    case 'replace':
    case 'prepend':
      return ntokens === 6 || ntokens === 7 ? storage(name, tokens, itemBytesMax) : unknownCommand();
    case 'bget':
      // The ancient "binary get", which 1.6.18 still runs as get.
      return ntokens < 3 ? unknownCommand() : retrieval('get', tokens, rest);
    case 'flush_all':
      return ntokens <= 4 ? flushAll(tokens) : unknownCommand();
    case 'version':
      return command({ type: 'version' });
    case 'quit':
      return command({ type: 'quit' });
    case 'watch':
      return error(refusal('unsupported', 'CLIENT_ERROR watch commands not allowed'));
    case 'verbosity':
      return ntokens === 3 || ntokens === 4 ? verbosity(tokens) : unknownCommand();
  }
  // An HTTP request line: memcached drops the connection, unanswered.
  if (tokens[tokens.length - 1]!.startsWith('HTTP/')) return error(connectionDropped('http'));
  return unknownCommand();
}

function retrieval(name: 'get' | 'gets' | 'gat' | 'gats', tokens: readonly string[], rest: string | null): LineOutcome {
  let keysFrom = 1;
  let exptime = 0;
  if (name === 'gat' || name === 'gats') {
    const parsed = cStrtol32(tokens[1]!);
    if (parsed === null) return error(refusal('bad-format', badExptime));
    exptime = parsed;
    keysFrom = 2;
  }
  // memcached reads the keys past the 23rd token itself, as many as there are.
  const all = [...tokens.slice(keysFrom), ...(rest === null ? [] : rest.split(' ').filter((key) => key.length > 0))];
  const tooLong = all.findIndex((key) => key.length > keyBytesMax);
  const keys = tooLong < 0 ? all : all.slice(0, tooLong);
  const marked = tooLong < 0 ? {} : { keyTooLong: true };
  return command(name === 'gat' || name === 'gats' ? { type: name, exptime, keys, ...marked } : { type: name, keys, ...marked });
}

function storage(name: StoreVerb | 'cas', tokens: readonly string[], itemBytesMax: number): LineOutcome {
  const noreply = isNoreply(tokens);
  const key = tokens[1]!;
  // None of these refusals swallows the data block: it is read as the next command line.
  if (key.length > keyBytesMax) return error(refusal('bad-format', badFormat, noreply));
  const flags = cStrtoul32(tokens[2]!);
  const exptime = cStrtol32(tokens[3]!);
  const valueBytes = cStrtol32(tokens[4]!);
  if (flags === null || exptime === null || valueBytes === null) return error(refusal('bad-format', badFormat, noreply));
  let unique = 0n;
  if (name === 'cas') {
    const parsed = cStrtoull(tokens[5]!);
    if (parsed === null) return error(refusal('bad-format', badFormat, noreply));
    unique = parsed;
  }
  if (valueBytes < 0 || valueBytes > valueBytesMax) return error(refusal('bad-format', badFormat, noreply));
  if (key.length + valueBytes > itemBytesMax) return command({ type: 'too-large', verb: name, key, noreply }, valueBytes + 2);
  const pending: PendingStore = name === 'cas' ? { type: name, key, flags, exptime, unique, noreply } : { type: name, key, flags, exptime, noreply };
  return { kind: 'data', pending, valueBytes };
}

function arithmetic(name: 'incr' | 'decr', tokens: readonly string[]): LineOutcome {
  const noreply = isNoreply(tokens);
  const key = tokens[1]!;
  if (key.length > keyBytesMax) return error(refusal('bad-format', badFormat, noreply));
  const delta = cStrtoull(tokens[2]!);
  if (delta === null) return error(refusal('bad-format', 'CLIENT_ERROR invalid numeric delta argument', noreply));
  return command({ type: name, key, delta, noreply });
}

function touch(tokens: readonly string[]): LineOutcome {
  const noreply = isNoreply(tokens);
  const key = tokens[1]!;
  if (key.length > keyBytesMax) return error(refusal('bad-format', badFormat, noreply));
  const exptime = cStrtol32(tokens[2]!);
  if (exptime === null) return error(refusal('bad-format', badExptime, noreply));
  return command({ type: 'touch', key, exptime, noreply });
}

/** `delete <key> [0] [noreply]`: a hold time is a relic, accepted only as 0. */
function deletion(tokens: readonly string[]): LineOutcome {
  let noreply = false;
  if (tokens.length > 2) {
    const holdIsZero = tokens[2] === '0';
    noreply = isNoreply(tokens);
    const valid = (tokens.length === 3 && (holdIsZero || noreply)) || (tokens.length === 4 && holdIsZero && noreply);
    if (!valid) return error(refusal('bad-format', 'CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]', noreply));
  }
  const key = tokens[1]!;
  if (key.length > keyBytesMax) return error(refusal('bad-format', badFormat, noreply));
  return command({ type: 'delete', key, noreply });
}

function verbosity(tokens: readonly string[]): LineOutcome {
  const noreply = isNoreply(tokens);
  const level = cStrtoul32(tokens[1]!);
  return level === null ? error(refusal('bad-format', badFormat, noreply)) : command({ type: 'verbosity', level, noreply });
}

function flushAll(tokens: readonly string[]): LineOutcome {
  const noreply = isNoreply(tokens);
  let delay = 0;
  if (tokens.length !== (noreply ? 2 : 1)) {
    const parsed = cStrtol32(tokens[1]!);
    if (parsed === null) return error(refusal('bad-format', badExptime, noreply));
    delay = parsed;
  }
  return command({ type: 'flush_all', delay, noreply });
}

/** The checks every meta command but me makes first: tokens, key length, flag count. */
function metaPrelude(tokens: readonly string[], tooMany: string): LineOutcome | null {
  if (tokens.length + 1 < 3) return unknownCommand();
  if (tokens[1]!.length > keyBytesMax) return error(refusal('bad-format', badFormat));
  if (tokens.length + 1 > metaTokensCountMax) return error(refusal('bad-format', tooMany));
  return null;
}

function metaGet(tokens: readonly string[]): LineOutcome {
  const refused = metaPrelude(tokens, 'CLIENT_ERROR options flags are too long');
  if (refused !== null) return refused;
  const parsed = parseMetaFlags(tokens, 2);
  if ('error' in parsed) return error(refusal('bad-format', parsed.error));
  // An opaque token too long is found while answering, after the item was read: the executor checks it.
  return command({ type: 'mg', key: parsed.key, flags: parsed.flags });
}

function metaDelete(tokens: readonly string[]): LineOutcome {
  const refused = metaPrelude(tokens, 'CLIENT_ERROR options flags too long');
  if (refused !== null) return refused;
  const parsed = parseMetaFlags(tokens, 2);
  // 1.6.18 answers md's and ma's flag errors with one line of its own, whatever the flag did wrong.
  if ('error' in parsed) return error(refusal('bad-format', 'CLIENT_ERROR invalid or duplicate flag'));
  const opaque = opaqueError(parsed.flags);
  if (opaque !== null) return error(refusal('bad-format', opaque));
  return command({ type: 'md', key: parsed.key, flags: parsed.flags });
}

function metaArithmetic(tokens: readonly string[]): LineOutcome {
  const refused = metaPrelude(tokens, 'CLIENT_ERROR options flags too long');
  if (refused !== null) return refused;
  const parsed = parseMetaFlags(tokens, 2);
  if ('error' in parsed) return error(refusal('bad-format', 'CLIENT_ERROR invalid or duplicate flag'));
  const mode = parsed.flags.mode;
  if (mode !== null && !'I+D-'.includes(mode)) return error(refusal('bad-format', 'CLIENT_ERROR invalid mode for ma M token'));
  // As for mg, a too long opaque token is found while answering, after the arithmetic: the executor checks it.
  return command({ type: 'ma', key: parsed.key, incr: mode === null || mode === 'I' || mode === '+', flags: parsed.flags });
}

function metaDebug(tokens: readonly string[]): LineOutcome {
  if (tokens.length + 1 < 3 || tokens[1]!.length > keyBytesMax) return error(refusal('bad-format', badFormat));
  let key = tokens[1]!;
  // 1.6.18 looks for `b` only as the token after the key.
  if (tokens.length + 1 >= 4 && tokens[2] === 'b') {
    const decoded = base64Decode(key);
    if (decoded === null) return error(refusal('bad-format', badFormat));
    key = decoded;
  }
  return command({ type: 'me', key });
}

function metaSet(tokens: readonly string[], itemBytesMax: number): LineOutcome {
  if (tokens.length + 1 < 3) return unknownCommand();
  if (tokens[1]!.length > keyBytesMax || tokens.length + 1 === 3) return error(refusal('bad-format', badFormat));
  if (tokens.length + 1 > metaTokensCountMax) return error(refusal('bad-format', 'CLIENT_ERROR options flags too long'));
  const valueBytes = cStrtol32(tokens[2]!);
  if (valueBytes === null || valueBytes < 0 || valueBytes > valueBytesMax) return error(refusal('bad-format', badFormat));
  // From here on a refusal swallows the data block.
  const swallowBytes = valueBytes + 2;
  const parsed = parseMetaFlags(tokens, 3);
  if ('error' in parsed) return error(refusal('bad-format', parsed.error), swallowBytes);
  const { key, flags } = parsed;
  const mode = flags.mode === null ? 'set' : metaSetModes[flags.mode];
  if (mode === undefined) return error(refusal('bad-format', 'CLIENT_ERROR invalid mode for ms M token'), swallowBytes);
  const opaque = opaqueError(flags);
  if (opaque !== null) return error(refusal('bad-format', opaque), swallowBytes);
  if (key.length + valueBytes > itemBytesMax) return command({ type: 'too-large', verb: 'ms', key, noreply: false }, swallowBytes);
  return { kind: 'data', pending: { type: 'ms', key, mode, flags, noreply: false }, valueBytes };
}
