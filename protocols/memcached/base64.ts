/**
 * Base64 as memcached's base64.c does it, for meta commands' binary keys (the `b` flag). Its
 * decoder is lenient in its own way: characters outside the alphabet are skipped, the rest must
 * come in whole blocks of four, and padding ends the decoding. Failure is `null` (memcached's 0).
 *
 * @example
 * ```ts
 * base64Decode('Zm9v'); // 'foo' (latin1)
 * base64Decode('Zm9'); // null
 * base64Encode('foo'); // 'Zm9v'
 * ```
 */

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** Marks a character outside the alphabet, as memcached's table does (0x80). */
const notInAlphabet = 0x80;

/** Character code → 6-bit value; `=` decodes to 0 like memcached's table. */
const decodeTable: Uint8Array = (() => {
  const table = new Uint8Array(256).fill(notInAlphabet);
  for (let index = 0; index < alphabet.length; index++) table[alphabet.charCodeAt(index)] = index;
  table['='.charCodeAt(0)] = 0;
  return table;
})();

/** Decodes latin1 `encoded` into latin1 text, or null where memcached's decoder returns 0. */
export function base64Decode(encoded: string): string | null {
  let count = 0;
  for (let index = 0; index < encoded.length; index++) if (decodeTable[encoded.charCodeAt(index) & 0xff] !== notInAlphabet) count++;
  if (count === 0 || count % 4 !== 0) return null;
  let decoded = '';
  const block = [0, 0, 0, 0];
  let filled = 0;
  let pad = 0;
  for (let index = 0; index < encoded.length; index++) {
    const code = encoded.charCodeAt(index) & 0xff;
    const sextet = decodeTable[code]!;
    if (sextet === notInAlphabet) continue;
    if (code === 0x3d) pad++;
    block[filled++] = sextet;
    if (filled < 4) continue;
    filled = 0;
    const bytes = [((block[0]! << 2) | (block[1]! >> 4)) & 0xff, ((block[1]! << 4) | (block[2]! >> 2)) & 0xff, ((block[2]! << 6) | block[3]!) & 0xff];
    if (pad > 2) return null;
    decoded += String.fromCharCode(...bytes.slice(0, 3 - pad));
    if (pad > 0) break;
  }
  return decoded.length === 0 ? null : decoded;
}

/** Encodes latin1 `text` (bytes) as padded base64. */
export function base64Encode(text: string): string {
  let encoded = '';
  let index = 0;
  for (; index + 3 <= text.length; index += 3) {
    const triple = (text.charCodeAt(index) << 16) | (text.charCodeAt(index + 1) << 8) | text.charCodeAt(index + 2);
    encoded += alphabet[(triple >> 18) & 63]! + alphabet[(triple >> 12) & 63]! + alphabet[(triple >> 6) & 63]! + alphabet[triple & 63]!;
  }
  const left = text.length - index;
  if (left === 1) {
    const first = text.charCodeAt(index);
    encoded += `${alphabet[first >> 2]!}${alphabet[(first & 3) << 4]!}==`;
  } else if (left === 2) {
    const first = text.charCodeAt(index);
    const second = text.charCodeAt(index + 1);
    encoded += `${alphabet[first >> 2]!}${alphabet[((first & 3) << 4) | (second >> 4)]!}${alphabet[(second & 15) << 2]!}=`;
  }
  return encoded;
}
