/**
 * One command line of memcached's text protocol, read the way memcached 1.6 reads it
 * (`process_request` in proto_parser.c, `process_command_ascii` in proto_text.c): the command is
 * the text before the first space, tokens are split on spaces only, at most 23 are kept, a line may
 * end in `\r\n` or a bare `\n`, and `noreply` counts only as the last token. The checks memcached
 * makes while running a command (key length, numbers, meta flags) are made here, so the executor
 * gets only well-formed commands; their error lines and `noreply` suppression are memcached's.
 */
import type { Command, MetaFlags, MetaSetMode, StoreVerb } from './commands.js';
import { latin1Text } from './latin1.js';
import { keyBytesMax, tokensCountMax } from './limits.js';
import { type MetaRequest, opaqueError, parseMetaFlags } from './meta-flags.js';
import { cStrtol32, cStrtoul32, tokenI32, tokenU32, tokenU64 } from './numbers.js';
import { connectionDropped, type RequestError, refusal } from './request-errors.js';

/** A storage command whose line was read and whose data block is awaited. */
export type PendingStore =
  | { readonly type: StoreVerb; readonly key: string; readonly flags: number; readonly exptime: number; readonly noreply: boolean }
  | { readonly type: 'cas'; readonly key: string; readonly flags: number; readonly exptime: number; readonly unique: bigint; readonly noreply: boolean }
  | { readonly type: 'ms'; readonly key: string; readonly mode: MetaSetMode; readonly flags: MetaFlags; readonly noreply: false };

/** What a line asks of the stream: a command or a refusal now, and maybe data bytes to read or skip. */
export type LineOutcome =
  | { readonly kind: 'command'; readonly command: Command; readonly swallowBytes: number }
  | { readonly kind: 'error'; readonly error: RequestError; readonly swallowBytes: number }
  | { readonly kind: 'data'; readonly pending: PendingStore; readonly valueBytes: number };

const badFormat = 'CLIENT_ERROR bad command line format';
const badExptime = 'CLIENT_ERROR invalid exptime argument';
const metaSetModes: Readonly<Record<string, MetaSetMode>> = { S: 'set', E: 'add', A: 'append', P: 'prepend', R: 'replace' };

function command(value: Command, swallowBytes = 0): LineOutcome {
  return { kind: 'command', command: value, swallowBytes };
}

function error(value: RequestError, swallowBytes = 0): LineOutcome {
  return { kind: 'error', error: value, swallowBytes };
}

/** A token and where it starts in the line. */
interface Token {
  readonly text: string;
  readonly start: number;
}

/**
 * mcmc's tokenizer: space-separated tokens, at most 23. Tokens from index `flagsFrom` on are meta
 * flags, which must start with a letter (codes 65–122) or a digit, or the whole line is refused.
 */
function tokenize(text: string, flagsFrom = Number.POSITIVE_INFINITY): Token[] | null {
  const tokens: Token[] = [];
  let index = 0;
  while (index < text.length && tokens.length < tokensCountMax) {
    if (text.charCodeAt(index) === 0x20) {
      index++;
      continue;
    }
    let end = text.indexOf(' ', index);
    if (end < 0) end = text.length;
    if (tokens.length >= flagsFrom) {
      const first = text.charCodeAt(index);
      if (!(first > 64 && first < 123) && !(first >= 0x30 && first <= 0x39)) return null;
    }
    tokens.push({ text: text.slice(index, end), start: index });
    index = end;
  }
  return tokens;
}

function texts(tokens: readonly Token[]): string[] {
  return tokens.map((token) => token.text);
}

/** The keys of a retrieval command: every space-separated word from `start`, all of them, not only 23 tokens' worth. */
function retrievalKeys(text: string, start: number): string[] | null {
  const keys = text
    .slice(start)
    .split(' ')
    .filter((key) => key.length > 0);
  return keys.some((key) => key.length > keyBytesMax) ? null : keys;
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
  // memcached refuses anything shorter than a two-letter command and its newline.
  if (line.byteLength < 4) return error(refusal('bad-format', badFormat));
  const contentEnd = line[line.byteLength - 2] === 0x0d ? line.byteLength - 2 : line.byteLength - 1;
  const text = latin1Text(line, 0, contentEnd);
  const firstSpace = text.indexOf(' ');
  const name = firstSpace < 0 ? text : text.slice(0, firstSpace);
  switch (name) {
    case 'get':
    case 'gets':
      return retrieval(name, text);
    case 'gat':
    case 'gats':
      return retrievalAndTouch(name, text);
    case 'set':
    case 'add':
    case 'replace':
    case 'append':
    case 'prepend':
    case 'cas':
      return storage(name, text, itemBytesMax);
    case 'incr':
    case 'decr':
      return arithmetic(name, text);
    case 'delete':
      return keyed(text, 2, (key, noreply) => command({ type: 'delete', key, noreply }));
    case 'touch':
      return keyed(text, 3, (key, noreply, tokens) => {
        const exptime = tokenI32(tokens[2]!);
        return exptime === null ? error(refusal('bad-format', badExptime, noreply)) : command({ type: 'touch', key, exptime, noreply });
      });
    case 'stats':
      return command({ type: 'stats', args: texts(tokenize(text)!).slice(1) });
    case 'version':
      return command({ type: 'version' });
    case 'quit':
      return command({ type: 'quit' });
    case 'watch':
      return error(refusal('unsupported', 'CLIENT_ERROR watch commands not allowed'));
    case 'mn':
      return command({ type: 'mn' });
    case 'mg':
    case 'md':
    case 'ma':
      return meta(name, text);
    case 'me':
      return metaDebug(text);
    case 'ms':
      return metaSet(text, itemBytesMax);
    default:
      return unknown(text);
  }
}

function retrieval(name: 'get' | 'gets', text: string): LineOutcome {
  const tokens = tokenize(text)!;
  if (tokens.length < 2) return error(refusal('bad-format', badFormat));
  const keys = retrievalKeys(text, tokens[1]!.start);
  return keys === null ? error(refusal('bad-format', badFormat)) : command({ type: name, keys });
}

function retrievalAndTouch(name: 'gat' | 'gats', text: string): LineOutcome {
  const tokens = tokenize(text)!;
  if (tokens.length < 3) return error(refusal('bad-format', badFormat));
  const exptime = tokenI32(tokens[1]!.text);
  if (exptime === null) return error(refusal('bad-format', badExptime));
  const keys = retrievalKeys(text, tokens[2]!.start);
  return keys === null ? error(refusal('bad-format', badFormat)) : command({ type: name, exptime, keys });
}

function isNoreply(tokens: readonly Token[]): boolean {
  return tokens.length > 0 && tokens[tokens.length - 1]!.text === 'noreply';
}

function storage(name: StoreVerb | 'cas', text: string, itemBytesMax: number): LineOutcome {
  const tokens = tokenize(text)!;
  // Until the length is known there is nothing to swallow, and memcached has not looked for noreply yet.
  if (tokens.length < 5) return error(refusal('bad-format', badFormat));
  const valueBytes = tokenI32(tokens[4]!.text);
  if (valueBytes === null || valueBytes < 0 || valueBytes > 0x7fff_ffff - 2) return error(refusal('bad-format', badFormat));
  const noreply = isNoreply(tokens);
  const swallowBytes = valueBytes + 2;
  const key = tokens[1]!.text;
  const flags = cStrtoul32(tokens[2]!.text);
  const exptime = cStrtol32(tokens[3]!.text);
  if (key.length > keyBytesMax || flags === null || exptime === null) return error(refusal('bad-format', badFormat, noreply), swallowBytes);
  let unique = 0n;
  if (name === 'cas') {
    const parsed = tokens.length > 5 ? tokenU64(tokens[5]!.text) : null;
    if (parsed === null) return error(refusal('bad-format', badFormat, noreply), swallowBytes);
    unique = parsed;
  }
  if (key.length + valueBytes > itemBytesMax) return command({ type: 'too-large', verb: name, key, noreply }, swallowBytes);
  const pending: PendingStore = name === 'cas' ? { type: name, key, flags, exptime, unique, noreply } : { type: name, key, flags, exptime, noreply };
  return { kind: 'data', pending, valueBytes };
}

function arithmetic(name: 'incr' | 'decr', text: string): LineOutcome {
  return keyed(text, 3, (key, noreply, tokens) => {
    const delta = tokenU64(tokens[2]!);
    return delta === null ? error(refusal('bad-format', 'CLIENT_ERROR invalid numeric delta argument', noreply)) : command({ type: name, key, delta, noreply });
  });
}

/** A classic command of at least `tokensMin` tokens whose second is a key (delete, incr, decr, touch). */
function keyed(text: string, tokensMin: number, build: (key: string, noreply: boolean, tokens: readonly string[]) => LineOutcome): LineOutcome {
  const tokens = tokenize(text)!;
  if (tokens.length < tokensMin) return error(refusal('bad-format', badFormat));
  const noreply = isNoreply(tokens);
  const key = tokens[1]!.text;
  if (key.length > keyBytesMax) return error(refusal('bad-format', badFormat, noreply));
  return build(key, noreply, texts(tokens));
}

function meta(name: 'mg' | 'md' | 'ma', text: string): LineOutcome {
  const tokens = tokenize(text, 2);
  if (tokens === null || tokens.length < 2) return error(refusal('bad-format', badFormat));
  const parsed = parseMetaFlags(texts(tokens), 2);
  // memcached answers ma's flag errors with one line of its own, whatever the flag did wrong.
  if ('error' in parsed) return error(refusal('bad-format', name === 'ma' ? 'CLIENT_ERROR invalid or duplicate flag' : parsed.error));
  const { key, flags } = parsed;
  if (name === 'ma') {
    const mode = flags.mode;
    if (mode !== null && !'I+D-'.includes(mode)) return error(refusal('bad-format', 'CLIENT_ERROR invalid mode for ma M token'));
    const opaque = opaqueError(flags);
    if (opaque !== null) return error(refusal('bad-format', opaque));
    return command({ type: 'ma', key, incr: mode === null || mode === 'I' || mode === '+', flags });
  }
  const opaque = opaqueError(flags);
  if (opaque !== null) return error(refusal('bad-format', opaque));
  return command({ type: name, key, flags });
}

function metaDebug(text: string): LineOutcome {
  const tokens = tokenize(text, 2);
  if (tokens === null || tokens.length < 2 || tokens[1]!.text.length > keyBytesMax) return error(refusal('bad-format', badFormat));
  let key = tokens[1]!.text;
  // memcached looks for `b` only when a token follows it (its `ntokens >= 4`), and so do we.
  if (tokens.length >= 4 && tokens[2]!.text === 'b') {
    const decoded = parseMetaFlags([tokens[0]!.text, key, 'b'], 2);
    if ('error' in decoded) return error(refusal('bad-format', badFormat));
    key = decoded.key;
  }
  return command({ type: 'me', key });
}

function metaSet(text: string, itemBytesMax: number): LineOutcome {
  const tokens = tokenize(text, 3);
  if (tokens === null || tokens.length < 3) return error(refusal('bad-format', badFormat));
  const valueBytes = tokenI32(tokens[2]!.text);
  if (valueBytes === null || valueBytes < 0 || valueBytes > 0x7fff_ffff - 2) return error(refusal('bad-format', badFormat));
  const swallowBytes = valueBytes + 2;
  const parsed: MetaRequest | { readonly error: string } = parseMetaFlags(texts(tokens), 3);
  if ('error' in parsed) return error(refusal('bad-format', parsed.error), swallowBytes);
  const { key, flags } = parsed;
  const mode = flags.mode === null ? 'set' : metaSetModes[flags.mode];
  if (mode === undefined) return error(refusal('bad-format', 'CLIENT_ERROR invalid mode for ms M token'), swallowBytes);
  if (key.length + valueBytes > itemBytesMax) return command({ type: 'too-large', verb: 'ms', key, noreply: false }, swallowBytes);
  const opaque = opaqueError(flags);
  if (opaque !== null) return error(refusal('bad-format', opaque), swallowBytes);
  return { kind: 'data', pending: { type: 'ms', key, mode, flags, noreply: false }, valueBytes };
}

/** A command memcached's fast path does not know: its admin table, an HTTP request, or ERROR. */
function unknown(text: string): LineOutcome {
  const tokens = tokenize(text)!;
  const noreply = isNoreply(tokens);
  const first = tokens[0]?.text;
  if (first === 'flush_all') {
    let delay = 0;
    if (tokens.length !== (noreply ? 2 : 1)) {
      const parsed = tokenI32(tokens[1]!.text);
      if (parsed === null) return error(refusal('bad-format', badExptime, noreply));
      delay = parsed;
    }
    return command({ type: 'flush_all', delay, noreply });
  }
  if (first === 'verbosity') {
    const level = tokens.length > 1 ? tokenU32(tokens[1]!.text) : null;
    return level === null ? error(refusal('bad-format', badFormat, noreply)) : command({ type: 'verbosity', level, noreply });
  }
  if (first === 'shutdown') return error(refusal('unsupported', 'SERVER_ERROR: shutdown not enabled', noreply));
  if (tokens.length > 1 && tokens[tokens.length - 1]!.text.startsWith('HTTP/')) return error(connectionDropped('http'));
  return error(refusal('unknown-command', 'ERROR', noreply));
}
