/**
 * memcached's number parsers, each with its own leniency, reproduced so that a line memcached
 * accepts is accepted here and one it refuses is refused with the same error:
 * - the mcmc token parsers (`tokenU32`, `tokenU64`, `tokenI32`): digits only, an optional `-` for
 *   the signed one, at most 11 or 22 characters, no overflow;
 * - libc's `strtoul`/`strtol` behind `safe_strtoul`/`safe_strtol` (`cStrtoul32`, `cStrtol32`):
 *   leading whitespace and a sign allowed, a 64-bit range, then cut to 32 bits as C's assignment
 *   does (so `4294967297` flags are 1);
 * - `safe_strtoull` (`cStrtoull`), which incr/decr apply to a stored value.
 * Every parser returns null where memcached's fails.
 *
 * @example
 * ```ts
 * tokenU32('42'); // 42
 * tokenI32('-1'); // -1
 * cStrtoull(' 12\r\n'); // 12n
 * cStrtoull('12abc'); // null
 * ```
 */

const u64Max = (1n << 64n) - 1n;
const i64Max = (1n << 63n) - 1n;
/** mcmc's MCMC_TOKTO32_MAX and MCMC_TOKTO64_MAX: longer tokens fail before any digit is read. */
const token32LengthMax = 11;
const token64LengthMax = 22;

function isDigitCode(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

/** C's isspace in the C locale. */
function isSpaceCode(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d);
}

/** The unsigned decimal `token` (digits only) within `max`, or null. */
function tokenUnsigned(token: string, lengthMax: number, max: bigint): bigint | null {
  if (token.length > lengthMax) return null;
  for (let index = 0; index < token.length; index++) if (!isDigitCode(token.charCodeAt(index))) return null;
  // An empty token is 0 to mcmc; memcached never hands it one, since tokens are non-empty.
  const value = token.length === 0 ? 0n : BigInt(token);
  return value > max ? null : value;
}

/** mcmc_toktou32. */
export function tokenU32(token: string): number | null {
  const value = tokenUnsigned(token, token32LengthMax, 0xffff_ffffn);
  return value === null ? null : Number(value);
}

/** mcmc_toktou64. */
export function tokenU64(token: string): bigint | null {
  return tokenUnsigned(token, token64LengthMax, u64Max);
}

/** mcmc_tokto32: an optional leading `-`, then digits, within int32. */
export function tokenI32(token: string): number | null {
  if (token.length > token32LengthMax) return null;
  const negative = token.startsWith('-');
  const magnitude = tokenUnsigned(negative ? token.slice(1) : token, token32LengthMax, 1n << 31n);
  if (magnitude === null) return null;
  const value = negative ? -magnitude : magnitude;
  return value > 0x7fff_ffffn ? null : Number(value);
}

/**
 * strtoull's reading of `text` from its start: whitespace, a sign, digits. Returns the value as C
 * would hold it (a `-` negates modulo 2^64), whether a `-` was read, and where it stopped; null
 * when no digit was read or the magnitude overflows 64 bits (ERANGE).
 */
function strtoullPrefix(text: string): { readonly value: bigint; readonly negative: boolean; readonly end: number } | null {
  let index = 0;
  while (index < text.length && isSpaceCode(text.charCodeAt(index))) index++;
  let negative = false;
  if (text[index] === '+' || text[index] === '-') negative = text[index++] === '-';
  const digitsStart = index;
  while (index < text.length && isDigitCode(text.charCodeAt(index))) index++;
  if (index === digitsStart) return null;
  const magnitude = BigInt(text.slice(digitsStart, index));
  if (magnitude > u64Max) return null;
  return { value: negative ? -magnitude & u64Max : magnitude, negative, end: index };
}

/** Whether a C parse stopping at `end` is accepted by memcached's safe_* wrappers: at the end or at whitespace. */
function endsCleanly(text: string, end: number): boolean {
  return end === text.length || isSpaceCode(text.charCodeAt(end));
}

/** safe_strtoull: an unsigned 64-bit value, refusing a negative sign that wrapped past 2^63. */
export function cStrtoull(text: string): bigint | null {
  const parsed = strtoullPrefix(text);
  if (parsed === null || !endsCleanly(text, parsed.end)) return null;
  if (parsed.negative && parsed.value > i64Max) return null;
  return parsed.value;
}

/** safe_strtoul then the cut to uint32_t (memcached's 32-bit client flags). */
export function cStrtoul32(text: string): number | null {
  const value = cStrtoull(text);
  return value === null ? null : Number(value & 0xffff_ffffn);
}

/** safe_strtol (a 64-bit long) then the cut to int32_t. */
export function cStrtol32(text: string): number | null {
  const parsed = strtoullPrefix(text);
  if (parsed === null || !endsCleanly(text, parsed.end)) return null;
  // strtol's range: the magnitude read must fit a signed long either way.
  const magnitude = parsed.negative ? -parsed.value & u64Max : parsed.value;
  if (parsed.negative ? magnitude > i64Max + 1n : magnitude > i64Max) return null;
  return Number(BigInt.asIntN(32, parsed.negative ? -magnitude : magnitude));
}
