/**
 * A directory's entries as a name hash table in the directory object's data (ZFS keeps them in a
 * ZAP, a hash table too). Block 0 is the header; then 2^shift buckets of one block each. A name
 * hashes (FNV-1a, 32 bits) to its bucket; a bucket is a list of entries, each its name's length,
 * its type, the object it names and the name in UTF-8, ended by a zero length. When a bucket is
 * full the table doubles and every entry is placed again.
 *
 * The functions here take the bytes of one bucket or header and leave the I/O to the dataset
 * (dataset.ts).
 *
 * @example
 * ```ts
 * const bucket = new Uint8Array(directoryBlockBytes);
 * insertEntry(bucket, { name: 'notes.txt', type: 'file', objectId: 7 }); // true: it fitted
 * readEntries(bucket); // [{ name: 'notes.txt', type: 'file', objectId: 7 }]
 * ```
 */
import { isWellFormedString } from '../../protocols/field-spec.js';
import { FormatError } from './format-errors.js';

/** The block size of directory objects: the header and each bucket. */
export const directoryBlockBytes = 4096;
/** The longest name, in UTF-8 bytes (POSIX's NAME_MAX). */
export const nameBytesMax = 255;
/** Bucket doublings at most: 2^20 buckets of 4 KiB hold millions of entries. */
export const bucketShiftMax = 20;
const directoryMagic = 0x0d1e7001;
const entryHeaderBytes = 8;

export type EntryType = 'file' | 'directory';
const entryTypes: readonly EntryType[] = ['file', 'directory'];

export interface DirectoryEntry {
  readonly name: string;
  readonly type: EntryType;
  readonly objectId: number;
}

export interface DirectoryHeader {
  /** The table has 2^shift buckets. */
  readonly shift: number;
  readonly entries: number;
}

export function encodeHeader(header: DirectoryHeader): Uint8Array {
  const bytes = new Uint8Array(directoryBlockBytes);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, directoryMagic, true);
  view.setUint8(4, header.shift);
  view.setUint32(8, header.entries, true);
  return bytes;
}

export function decodeHeader(bytes: Uint8Array): DirectoryHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 12 || view.getUint32(0, true) !== directoryMagic) throw new FormatError('directory', 'no directory magic');
  const shift = view.getUint8(4);
  if (shift > bucketShiftMax) throw new FormatError('directory', `2^${shift} buckets`);
  return { shift, entries: view.getUint32(8, true) };
}

/** Where bucket `index` starts in the directory object. */
export function bucketOffset(index: number): number {
  return (1 + index) * directoryBlockBytes;
}

/** The bucket `name` goes in, in a table of 2^shift buckets. */
export function bucketOf(name: string, shift: number): number {
  // FNV-1a over the UTF-8 bytes.
  let hash = 0x811c9dc5;
  for (const byte of utf8.encode(name)) hash = Math.imul(hash ^ byte, 0x01000193);
  return shift === 0 ? 0 : (hash >>> 0) % 2 ** shift;
}

/** The entries of a bucket, in the order they were put there. */
export function readEntries(bucket: Uint8Array): DirectoryEntry[] {
  const entries: DirectoryEntry[] = [];
  const view = new DataView(bucket.buffer, bucket.byteOffset, bucket.byteLength);
  for (let at = 0; at + entryHeaderBytes <= bucket.byteLength; ) {
    const nameBytes = view.getUint8(at);
    if (nameBytes === 0) break;
    const type = entryTypes[view.getUint8(at + 1)];
    if (type === undefined || at + entryHeaderBytes + nameBytes > bucket.byteLength) throw new FormatError('directory', `a malformed entry at ${at}`);
    entries.push({ type, objectId: view.getUint32(at + 4, true), name: nameAt(bucket, at + entryHeaderBytes, nameBytes) });
    at += entryHeaderBytes + nameBytes;
  }
  return entries;
}

function nameAt(bucket: Uint8Array, at: number, bytes: number): string {
  try {
    return utf8Decode.decode(bucket.subarray(at, at + bytes));
  } catch {
    throw new FormatError('directory', `a name at ${at} is not UTF-8`);
  }
}

/** Writes `entries` into a bucket; false when they do not fit. */
export function writeEntries(bucket: Uint8Array, entries: readonly DirectoryEntry[]): boolean {
  const encoded = entries.map((entry) => ({ entry, name: utf8.encode(entry.name) }));
  const bytes = encoded.reduce((sum, { name }) => sum + entryHeaderBytes + name.byteLength, 0);
  // Room for the zero length that ends the list, unless the entries fill the bucket exactly.
  if (bytes > bucket.byteLength) return false;
  bucket.fill(0);
  const view = new DataView(bucket.buffer, bucket.byteOffset, bucket.byteLength);
  let at = 0;
  for (const { entry, name } of encoded) {
    view.setUint8(at, name.byteLength);
    view.setUint8(at + 1, entryTypes.indexOf(entry.type));
    view.setUint32(at + 4, entry.objectId, true);
    bucket.set(name, at + entryHeaderBytes);
    at += entryHeaderBytes + name.byteLength;
  }
  return true;
}

/** Adds `entry` to a bucket; false when it does not fit. */
export function insertEntry(bucket: Uint8Array, entry: DirectoryEntry): boolean {
  return writeEntries(bucket, [...readEntries(bucket), entry]);
}

/** Whether `name` can name an entry: 1 to 255 UTF-8 bytes, no `/` or NUL, and not `.` or `..`. */
export function isEntryName(name: string): boolean {
  const bytes = utf8.encode(name).byteLength;
  return bytes >= 1 && bytes <= nameBytesMax && !name.includes('/') && !name.includes('\0') && name !== '.' && name !== '..' && isWellFormedString(name);
}

const utf8 = new TextEncoder();
// ignoreBOM: a name may start with U+FEFF, which a default decoder would take for a signature and drop.
const utf8Decode = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
