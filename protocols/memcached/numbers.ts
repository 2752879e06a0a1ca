/**
 * memcached 1.6.18's number parsers, libc's strtol family behind its `safe_*` wrappers (util.c),
 * reproduced so that a number memcached accepts is accepted here and one it refuses is refused:
 * - `safe_strtoul`/`safe_strtol` (`cStrtoul32`, `cStrtol32`): leading whitespace and a sign
 *   allowed, a 64-bit range, then cut to 32 bits as C's assignment does (so `4294967297` flags
 *   are 1);
 * - `safe_strtoull` (`cStrtoull`): 64 bits, a `-` refused only when it wrapped past 2^63.
 * A number must end the text or be followed by whitespace. Every parser returns null where
 * memcached's fails.
 *
 * @example
 * ```ts
 * cStrtol32('-1'); // -1
 * cStrtoull(' 12\r\n'); // 12n
 * cStrtoull('12abc'); // null
 * ```
 */

const u64Max = (1n << 64n) - 1n;
const i64Max = (1n << 63n) - 1n;
function isDigitCode(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

/** C's isspace in the C locale. */
function isSpaceCode(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d);
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
