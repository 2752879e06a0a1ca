/**
 * The flags of a meta command (`mg key v t Oabc`), read as memcached 1.6.18's
 * `_meta_flag_preparse` reads them (proto_text.c): one flag per token, named by its first byte,
 * some with a number after it, read by libc's strtol family (`safe_strtol` and kin). Its errors
 * and their precedence are 1.6.18's: a repeated or unknown flag stops the reading at once; a bad
 * argument is remembered and the reading goes on, so the last message set is the one answered (a
 * bad `F` sets none: the answer is the message before it, or the default).
 */
import { base64Decode } from './base64.js';
import type { MetaFlags } from './commands.js';
import { opaqueBytesMax } from './limits.js';
import { cStrtol32, cStrtoul32, cStrtoull } from './numbers.js';

/** The key a meta command names, decoded when it came in base64, with its parsed flags. */
export interface MetaRequest {
  readonly key: string;
  readonly flags: MetaFlags;
}

/** memcached's reply to a meta command whose flags it refused. */
export interface MetaFlagsError {
  readonly error: string;
}

const badFormat = 'CLIENT_ERROR bad command line format';
const badToken = 'CLIENT_ERROR bad token in command line format';

/** Flags 1.6.18 knows that carry no argument. */
const plainFlags = new Set(['O', 'P', 'L', 'k', 's', 't', 'c', 'f', 'v', 'h', 'u', 'q', 'l', 'I']);

/**
 * Reads the flags of a meta command whose tokens are `tokens` (command and key included) from the
 * token `firstFlag` on. Returns the key (decoded if `b` was given) and the flags, or memcached's
 * error line.
 *
 * @example
 * ```ts
 * parseMetaFlags(['mg', 'foo', 'v', 'T30'], 2); // { key: 'foo', flags: { order: 'vT', ttl: 30, … } }
 * parseMetaFlags(['mg', 'foo', 'v', 'v'], 2); // { error: 'CLIENT_ERROR duplicate flag' }
 * ```
 */
export function parseMetaFlags(tokens: readonly string[], firstFlag: number): MetaRequest | MetaFlagsError {
  const encodedKey = tokens[1]!;
  let key = encodedKey;
  let failed = false;
  let error = badFormat;
  const flags = {
    order: '',
    opaque: null as string | null,
    base64Key: false,
    quiet: false,
    returnValue: false,
    noBump: false,
    ttl: null as number | null,
    vivifyTtl: null as number | null,
    recacheTtl: null as number | null,
    compareCas: null as bigint | null,
    newCas: null as bigint | null,
    clientFlags: 0,
    mode: null as string | null,
    delta: 1n,
    initial: 0n,
    invalidate: false,
    removeValue: false,
  };
  for (let index = firstFlag; index < tokens.length; index++) {
    const token = tokens[index]!;
    const flag = token[0]!;
    const argument = token.slice(1);
    if (flag.charCodeAt(0) >= 127 || flags.order.includes(flag)) return { error: 'CLIENT_ERROR duplicate flag' };
    flags.order += flag;
    switch (flag) {
      case 'b': {
        const decoded = base64Decode(encodedKey);
        if (decoded === null) {
          error = 'CLIENT_ERROR error decoding key';
          failed = true;
        } else key = decoded;
        flags.base64Key = true;
        break;
      }
      case 'N':
      case 'T':
      case 'R': {
        const seconds = cStrtol32(argument);
        if (seconds === null) {
          error = badToken;
          failed = true;
        } else if (flag === 'N') flags.vivifyTtl = seconds;
        else if (flag === 'T') flags.ttl = seconds;
        else flags.recacheTtl = seconds;
        break;
      }
      case 'F': {
        const clientFlags = cStrtoul32(argument);
        if (clientFlags === null) failed = true;
        else flags.clientFlags = clientFlags;
        break;
      }
      case 'C': {
        const cas = cStrtoull(argument);
        if (cas === null) {
          error = badToken;
          failed = true;
        } else flags.compareCas = cas;
        break;
      }
      case 'J':
      case 'D': {
        const number = cStrtoull(argument);
        if (number === null) {
          error = flag === 'J' ? 'CLIENT_ERROR invalid numeric initial value' : 'CLIENT_ERROR invalid numeric delta value';
          failed = true;
        } else if (flag === 'J') flags.initial = number;
        else flags.delta = number;
        break;
      }
      case 'M':
        if (argument.length !== 1) {
          error = 'CLIENT_ERROR incorrect length for M token';
          failed = true;
        } else flags.mode = argument;
        break;
      default:
        if (!plainFlags.has(flag)) return { error: 'CLIENT_ERROR invalid flag' };
        if (flag === 'O') flags.opaque = token;
        else if (flag === 'q') flags.quiet = true;
        else if (flag === 'v') flags.returnValue = true;
        else if (flag === 'u') flags.noBump = true;
        else if (flag === 'I') flags.invalidate = true;
    }
  }
  if (failed) return { error };
  return { key, flags };
}

/** memcached's answer when an opaque token is too long (it checks while answering), or null. */
export function opaqueError(flags: MetaFlags): string | null {
  return flags.opaque !== null && flags.opaque.length > opaqueBytesMax ? 'CLIENT_ERROR opaque token too long' : null;
}
