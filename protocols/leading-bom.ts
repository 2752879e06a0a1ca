/**
 * Keeps a leading U+FEFF in strings that msgpackr's JavaScript decoder would drop.
 *
 * msgpackr reads a string of more than 64 bytes with a `TextDecoder` made with the default
 * options, and a default `TextDecoder` takes a leading byte order mark (EF BB BF) for a signature
 * and removes it. So `'\uFEFF' + 'x'.repeat(64)` came back one character short: a message body
 * changed in transit, silently. (Found by the plain-data writer's property test; msgpackr 2.1.3 and
 * 2.1.4 both do it. Its native string addon does not, but the codec does not load the addon, and
 * the addon refuses views of a SharedArrayBuffer, whose strings msgpackr then reads in JavaScript.)
 *
 * The mend is in the bytes, before msgpackr reads them: each string token of more than 64 bytes
 * that starts with EF BB BF gets one more, so that what the decoder drops is the copy. Frames
 * without such a string, nearly all of them, cost one search for the three bytes (a stride-3 scan,
 * or Node's buffer search in frames of 320 bytes or more), and frames of 66 bytes or fewer (every
 * string over 64 bytes needs at least 67) not even that.
 *
 * Whether msgpackr drops the mark is probed once at load, so an msgpackr that stops doing so turns
 * the mend off instead of adding a mark. The native addon, if the process loaded it (importing
 * msgpackr's main entry does), reads the strings of plain memory itself and keeps their marks: a
 * frame in shared memory that holds a marked string is then copied out instead.
 *
 * @example
 * const mended = mendLeadingBoms(frame, start, end, decoderTable); // null: nothing to mend
 * const value = mended === null ? unpackr.unpack(frame, { start, end }) : unpackr.unpack(mended);
 */
import * as msgpackr from 'msgpackr/pack';
import { assert } from '../ground/assert.js';
import type { MsgpackrTable } from './structure-table.js';

/** Whether msgpackr's native string addon is loaded: a live binding its Node entry exports, missing from its types. */
const addonLoaded = (): boolean => (msgpackr as { isNativeAccelerationEnabled?: boolean }).isNativeAccelerationEnabled === true;

/** The byte order mark in UTF-8. */
const bom0 = 0xef;
const bom1 = 0xbb;
const bom2 = 0xbf;
const bomBytes = 3;
/** msgpackr reads strings longer than this with a TextDecoder. */
const decodedInJsBytesMax = 64;
/** The shortest frame that can hold a string msgpackr reads with a TextDecoder: a str8 header and 65 bytes. */
const frameBytesAtRiskMin = 2 + decodedInJsBytesMax + 1;

/** Whether this process's msgpackr drops the mark when it reads a string in JavaScript. */
export const msgpackrDropsLeadingBom: boolean = probe();

function probe(): boolean {
  const length = decodedInJsBytesMax + 1;
  const frame = new Uint8Array(2 + length).fill(0x61);
  frame.set([0xd9, length, bom0, bom1, bom2]);
  // A SharedArrayBuffer, so that msgpackr reads it in JavaScript even with the addon loaded.
  const shared = new Uint8Array(new SharedArrayBuffer(frame.length));
  shared.set(frame);
  return (msgpackr.unpack(shared) as string).charCodeAt(0) !== 0xfeff;
}

/**
 * `frame[start, end)` as bytes msgpackr reads every marked string of whole (a new array holding
 * only the range), or null when there is nothing to mend.
 */
export function mendLeadingBoms(frame: Uint8Array, start: number, end: number, records: MsgpackrTable): Uint8Array | null {
  if (!msgpackrDropsLeadingBom || end - start < frameBytesAtRiskMin) return null;
  const addon = addonLoaded();
  if (addon && !(frame.buffer instanceof SharedArrayBuffer)) return null;
  if (!holdsMark(frame, start, end)) return null;
  const marked = markedStrings(frame, start, end, records);
  if (marked === null) return null;
  // The addon reads the strings of a copy in plain memory itself, marks and all.
  return addon ? frame.slice(start, end) : withMarksDoubled(frame, start, end, marked);
}

/** Bits that EF, BB and BF all have set and no ASCII byte has: one test rules a byte out. */
const markBits = 0xab;
/** The mark, as a needle for Node's buffer search. */
const markNeedle = Buffer.from([bom0, bom1, bom2]);
/**
 * From this many bytes on, Node's buffer search (about 110 ns to set up, then a small fraction of a
 * ns a byte) beats the JavaScript scan (about a third of a ns a byte); measured, in measured-limits §5.2a.
 */
const bufferSearchBytesMin = 320;

/** Whether EF BB BF occurs in the range. */
function holdsMark(frame: Uint8Array, start: number, end: number): boolean {
  if (end - start >= bufferSearchBytesMin) return Buffer.from(frame.buffer, frame.byteOffset + start, end - start).indexOf(markNeedle) >= 0;
  // Every third byte is tested, and its neighbours when it may be one of the three.
  for (let at = start + 2; at < end; at += 3) {
    const byte = frame[at]!;
    if ((byte & markBits) !== markBits) continue;
    const first = byte === bom0 ? at : byte === bom1 ? at - 1 : byte === bom2 ? at - 2 : -1;
    if (first >= 0 && first + 2 < end && frame[first] === bom0 && frame[first + 1] === bom1 && frame[first + 2] === bom2) return true;
  }
  return false;
}

/** A string to mend: its header's offset and length in bytes, and its payload's length. */
interface MarkedString {
  readonly header: number;
  readonly headerBytes: number;
  readonly length: number;
}

/**
 * The strings of more than 64 bytes that start with the mark, found by stepping over msgpack's
 * tokens; null when there are none, or when the bytes are not msgpack that msgpackr would read
 * (msgpackr then fails on them as it would have). Containers are walked into: their headers count
 * elements, not bytes, so a string's length can grow without rewriting them. A record id
 * (0x40–0x7f) is one byte, or two where the decoder's table (`records`) says the id's slot takes a
 * high byte. Extension payloads are stepped over; the plain data the codec carries has none that
 * hold strings. Frames that define records in-band or bundle their strings (extensions 0x72 and
 * 0x62, which the codec's encoders never write) are not mended: a byte inserted there would move
 * what they point to.
 */
function markedStrings(frame: Uint8Array, start: number, end: number, records: MsgpackrTable): MarkedString[] | null {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  let marked: MarkedString[] | null = null;
  let at = start;
  while (at < end) {
    const token = frame[at]!;
    let headerBytes = 1;
    let payloadBytes = 0;
    let isString = false;
    if (token >= 0x40 && token < 0x80) {
      if (records[token & 0x3f]?.highByte === 0) headerBytes = 2;
    } else if (token >= 0xa0 && token < 0xc0) payloadBytes = token - 0xa0;
    else if (token >= 0xc0 && token < 0xe0) {
      const width = fixedWidths[token - 0xc0]!;
      if (width === unknownToken) return null;
      if (width >= 0) headerBytes = 1 + width;
      else {
        const lengthBytes = -width & 0xf;
        const typeBytes = -width >> 4;
        if (at + 1 + lengthBytes + typeBytes > end) return null;
        payloadBytes = lengthBytes === 1 ? frame[at + 1]! : lengthBytes === 2 ? view.getUint16(at + 1) : view.getUint32(at + 1);
        headerBytes = 1 + lengthBytes + typeBytes;
        isString = token >= 0xd9 && token <= 0xdb;
      }
      const typeAt = token >= 0xd4 && token <= 0xd8 ? at + 1 : token >= 0xc7 && token <= 0xc9 ? at + headerBytes - 1 : -1;
      if (typeAt >= 0 && typeAt < end && (frame[typeAt] === recordDefinitionType || frame[typeAt] === bundledStringsType)) return null;
    }
    const payload = at + headerBytes;
    if (payload + payloadBytes > end) return null;
    if (isString && payloadBytes > decodedInJsBytesMax && frame[payload] === bom0 && frame[payload + 1] === bom1 && frame[payload + 2] === bom2) {
      marked ??= [];
      marked.push({ header: at, headerBytes, length: payloadBytes });
    }
    at = payload + payloadBytes;
  }
  return marked;
}

/** msgpackr's extension types for a record defined in-band, and for a frame's bundled strings. */
const recordDefinitionType = 0x72;
const bundledStringsType = 0x62;
/** Marks a token of 0xc0–0xdf that msgpack does not define (0xc1). */
const unknownToken = 99;
/**
 * For each token 0xc0–0xdf: a fixed payload of `n ≥ 0` bytes after the token, or `-(extra << 4 | lengthBytes)`
 * for tokens whose payload length is written in `lengthBytes` (followed by `extra` type bytes, for extensions).
 */
// biome-ignore format: one row per kind of token
const fixedWidths: readonly number[] = [
  0, unknownToken, 0, 0, //                            nil, (never used), false, true
  -1, -2, -4, //                                        bin 8/16/32
  -((1 << 4) | 1), -((1 << 4) | 2), -((1 << 4) | 4), // ext 8/16/32: length, then type
  4, 8, //                                              float 32/64
  1, 2, 4, 8, //                                        uint 8–64
  1, 2, 4, 8, //                                        int 8–64
  2, 3, 5, 9, 17, //                                    fixext 1–16: type, then data
  -1, -2, -4, //                                        str 8/16/32
  2, 4, 2, 4, //                                        array 16/32, map 16/32: a count of elements, stepped into
];
assert(fixedWidths.length === 0xe0 - 0xc0, 'one width for each token of 0xc0–0xdf');

function withMarksDoubled(frame: Uint8Array, start: number, end: number, marked: readonly MarkedString[]): Uint8Array {
  const mended = new Uint8Array(end - start + marked.length * (bomBytes + 2));
  const view = new DataView(mended.buffer);
  let from = start;
  let to = 0;
  for (const string of marked) {
    mended.set(frame.subarray(from, string.header), to);
    to += string.header - from;
    const length = string.length + bomBytes;
    if (length <= 0xff) {
      mended[to] = 0xd9;
      mended[to + 1] = length;
      to += 2;
    } else if (length <= 0xffff) {
      mended[to] = 0xda;
      view.setUint16(to + 1, length);
      to += 3;
    } else {
      mended[to] = 0xdb;
      view.setUint32(to + 1, length);
      to += 5;
    }
    mended.set(markNeedle, to);
    to += bomBytes;
    from = string.header + string.headerBytes;
  }
  mended.set(frame.subarray(from, end), to);
  to += end - from;
  return mended.subarray(0, to);
}
