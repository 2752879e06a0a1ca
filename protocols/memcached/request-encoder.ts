/**
 * Requests as a client writes them: the inverse of the parser for every command a client can send
 * (`too-large` is the parser's verdict, not a request). Used by the round-trip tests and by
 * anything in Osprey that talks to a memcached.
 *
 * @example
 * ```ts
 * encodeRequest({ type: 'get', keys: ['a', 'b'] }); // bytes of "get a b\r\n"
 * encodeRequest({ type: 'mg', key: 'a', flags: metaFlags('v') }); // bytes of "mg a v\r\n"
 * ```
 */
import { base64Encode } from './base64.js';
import type { Command, MetaFlags, TooLargeCommand } from './commands.js';
import { latin1Bytes } from './latin1.js';

/** A request a client can send. */
export type EncodableCommand = Exclude<Command, TooLargeCommand>;

const metaSetModeLetters = { set: 'S', add: 'E', append: 'A', prepend: 'P', replace: 'R' } as const;

/** Flags with nothing set but `order`'s plain letters; the base to build the flags of a meta command from. */
export function metaFlags(order = '', overrides: Partial<MetaFlags> = {}): MetaFlags {
  return {
    order,
    opaque: null,
    base64Key: order.includes('b'),
    quiet: order.includes('q'),
    returnValue: order.includes('v'),
    noBump: order.includes('u'),
    ttl: null,
    vivifyTtl: null,
    recacheTtl: null,
    compareCas: null,
    newCas: null,
    clientFlags: 0,
    mode: null,
    delta: 1n,
    initial: 0n,
    invalidate: order.includes('I'),
    removeValue: order.includes('x'),
    ...overrides,
  };
}

/** The tokens of `flags`, in their order. */
function flagTokens(flags: MetaFlags): string {
  let tokens = '';
  for (const flag of flags.order) {
    let token: string = flag;
    if (flag === 'O') token = flags.opaque ?? 'O';
    else if (flag === 'T') token = `T${flags.ttl}`;
    else if (flag === 'N') token = `N${flags.vivifyTtl}`;
    else if (flag === 'R') token = `R${flags.recacheTtl}`;
    else if (flag === 'C') token = `C${flags.compareCas}`;
    else if (flag === 'E') token = `E${flags.newCas}`;
    else if (flag === 'F') token = `F${flags.clientFlags}`;
    else if (flag === 'M') token = `M${flags.mode}`;
    else if (flag === 'D') token = `D${flags.delta}`;
    else if (flag === 'J') token = `J${flags.initial}`;
    tokens += ` ${token}`;
  }
  return tokens;
}

function metaKey(key: string, flags: MetaFlags): string {
  return flags.base64Key ? base64Encode(key) : key;
}

function withData(line: string, value: Uint8Array): Uint8Array {
  const head = latin1Bytes(`${line}\r\n`);
  const bytes = new Uint8Array(head.byteLength + value.byteLength + 2);
  bytes.set(head);
  bytes.set(value, head.byteLength);
  bytes.set([0x0d, 0x0a], head.byteLength + value.byteLength);
  return bytes;
}

function text(line: string): Uint8Array {
  return latin1Bytes(`${line}\r\n`);
}

/** The bytes of `command` on the wire. */
export function encodeRequest(command: EncodableCommand): Uint8Array {
  const noreply = 'noreply' in command && command.noreply ? ' noreply' : '';
  switch (command.type) {
    case 'set':
    case 'add':
    case 'replace':
    case 'append':
    case 'prepend':
      return withData(`${command.type} ${command.key} ${command.flags} ${command.exptime} ${command.value.byteLength}${noreply}`, command.value);
    case 'cas':
      return withData(`cas ${command.key} ${command.flags} ${command.exptime} ${command.value.byteLength} ${command.unique}${noreply}`, command.value);
    case 'get':
    case 'gets':
      return text(`${command.type} ${command.keys.join(' ')}`);
    case 'gat':
    case 'gats':
      return text(`${command.type} ${command.exptime} ${command.keys.join(' ')}`);
    case 'delete':
      return text(`delete ${command.key}${noreply}`);
    case 'incr':
    case 'decr':
      return text(`${command.type} ${command.key} ${command.delta}${noreply}`);
    case 'touch':
      return text(`touch ${command.key} ${command.exptime}${noreply}`);
    case 'flush_all':
      return text(`flush_all${command.delay === 0 ? '' : ` ${command.delay}`}${noreply}`);
    case 'stats':
      return text(['stats', ...command.args].join(' '));
    case 'version':
    case 'quit':
    case 'mn':
      return text(command.type);
    case 'verbosity':
      return text(`verbosity ${command.level}${noreply}`);
    case 'me':
      return text(`me ${command.key}`);
    case 'mg':
    case 'md':
    case 'ma':
      return text(`${command.type} ${metaKey(command.key, command.flags)}${flagTokens(command.flags)}`);
    case 'ms': {
      const flags =
        command.flags.mode === null && command.mode !== 'set'
          ? { ...command.flags, mode: metaSetModeLetters[command.mode], order: `${command.flags.order}M` }
          : command.flags;
      return withData(`ms ${metaKey(command.key, flags)} ${command.value.byteLength}${flagTokens(flags)}`, command.value);
    }
  }
}
