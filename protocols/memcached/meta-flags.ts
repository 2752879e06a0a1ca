/**
 * The flags of a meta command (`mg key v t Oabc`), read as memcached's `_meta_flag_preparse` reads
 * them (proto_parser.c): one flag per token, named by its first character, some with a numeric
 * argument after it. Its errors and their precedence are memcached's: a repeated or unknown flag
 * stops the reading at once; a bad argument is remembered and the reading goes on, so the last
 * such error is the one answered.
 */
import { base64Decode } from './base64.js';
import type { MetaFlags } from './commands.js';
import { keyBytesMax, metaTokensCountMax, opaqueBytesMax } from './limits.js';
import { tokenI32, tokenU32, tokenU64 } from './numbers.js';

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

/** Flags memcached knows and that carry no argument to check here. */
const plainFlags = new Set(['O', 'P', 'L', 'k', 's', 't', 'c', 'f', 'v', 'h', 'u', 'q', 'x', 'l', 'I']);

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
  if (encodedKey.length > keyBytesMax) return { error: badFormat };
  if (tokens.length > metaTokensCountMax) return { error: 'CLIENT_ERROR options flags are too long' };
  let key = encodedKey;
  let error: string | null = null;
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
        if (decoded === null) error = 'CLIENT_ERROR error decoding key';
        else key = decoded;
        flags.base64Key = true;
        break;
      }
      case 'N':
      case 'T':
      case 'R': {
        const seconds = argument.length === 0 ? null : tokenI32(argument);
        if (seconds === null) error = badToken;
        else if (flag === 'N') flags.vivifyTtl = seconds;
        else if (flag === 'T') flags.ttl = seconds;
        else flags.recacheTtl = seconds;
        break;
      }
      case 'F': {
        const clientFlags = argument.length === 0 ? null : tokenU32(argument);
        // memcached flags the error without naming it: the answer is whatever error came before.
        if (clientFlags === null) error ??= badFormat;
        else flags.clientFlags = clientFlags;
        break;
      }
      case 'C':
      case 'E': {
        const cas = argument.length === 0 ? null : tokenU64(argument);
        if (cas === null) error = badToken;
        else if (flag === 'C') flags.compareCas = cas;
        else flags.newCas = cas;
        break;
      }
      case 'J':
      case 'D': {
        const number = argument.length === 0 ? null : tokenU64(argument);
        if (number === null) error = flag === 'J' ? 'CLIENT_ERROR invalid numeric initial value' : 'CLIENT_ERROR invalid numeric delta value';
        else if (flag === 'J') flags.initial = number;
        else flags.delta = number;
        break;
      }
      case 'M':
        // memcached reads the character after M, whatever it is; at the end of the line that is a space or \r.
        flags.mode = argument.length === 0 ? ' ' : argument[0]!;
        break;
      default:
        if (!plainFlags.has(flag)) return { error: 'CLIENT_ERROR invalid flag' };
        if (flag === 'O') flags.opaque = token;
        else if (flag === 'q') flags.quiet = true;
        else if (flag === 'v') flags.returnValue = true;
        else if (flag === 'u') flags.noBump = true;
        else if (flag === 'x') flags.removeValue = true;
        else if (flag === 'I') flags.invalidate = true;
    }
  }
  if (error !== null) return { error };
  return { key, flags };
}

/** memcached's answer when the opaque token is too long (it checks while answering), or null. */
export function opaqueError(flags: MetaFlags): string | null {
  return flags.opaque !== null && flags.opaque.length > opaqueBytesMax ? 'CLIENT_ERROR opaque token too long' : null;
}
