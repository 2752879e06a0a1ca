/**
 * The last scan of a pool (a scrub, or the resilver of a replaced device), as `zpool status` reports
 * it, and as the pool keeps it in its objset block so that a later import still reports it (ZFS
 * keeps its scan statistics in the pool's own objects too).
 *
 * On the device: 64 bytes at `scanRecordOffset` of the objset block, little-endian: kind u8 (0 none,
 * 1 scrub, 2 resilver), complete u8, 6 zero bytes, then blocks, examined bytes, copies repaired,
 * bytes repaired and unrecoverable blocks as u64, and the duration in ms as f64.
 *
 * @example
 * ```ts
 * writeScanRecord(view, scanRecordOffset, result);
 * readScanRecord(view, scanRecordOffset); // the same result, or null where none was written
 * ```
 */
import { FormatError } from './format-errors.js';
import { getSafeUint64, setSafeUint64 } from './safe-uint64.js';

/** What a scan found and did, as `zpool status` reports it. */
export interface ScrubResult {
  /** A scrub (verify and repair every copy), or a resilver (rebuild a replaced device). */
  readonly kind: 'scrub' | 'resilver';
  readonly blocks: number;
  readonly examinedBytes: number;
  /**
   * Copies (RAID-Z: columns) that did not verify and were rewritten from a good one, and their bytes;
   * for a resilver, the blocks that had a part on the new device, and the bytes written there.
   */
  readonly repairedCopies: number;
  readonly repairedBytes: number;
  /** Blocks none of whose copies verified: lost, and reported, never returned as data. */
  readonly unrecoverableBlocks: number;
  /** False when a lost block of metadata hid the blocks below it, which were not examined. */
  readonly complete: boolean;
  readonly durationMs: number;
}

/** Where the record lies in the objset block, and its length. */
export const scanRecordOffset = 512;
export const scanRecordBytes = 64;

const kinds = ['scrub', 'resilver'] as const;
const counts = ['blocks', 'examinedBytes', 'repairedCopies', 'repairedBytes', 'unrecoverableBlocks'] as const;

export function writeScanRecord(view: DataView, offset: number, record: ScrubResult): void {
  view.setUint8(offset, kinds.indexOf(record.kind) + 1);
  view.setUint8(offset + 1, record.complete ? 1 : 0);
  counts.forEach((field, index) => setSafeUint64(view, offset + 8 + index * 8, record[field]));
  view.setFloat64(offset + 48, record.durationMs, true);
}

/** The record at `offset`, null where none was written (all zero); FormatError for one no pool writes. */
export function readScanRecord(view: DataView, offset: number): ScrubResult | null {
  const kind = view.getUint8(offset);
  if (kind === 0) return null;
  const complete = view.getUint8(offset + 1);
  const durationMs = view.getFloat64(offset + 48, true);
  if (kind > kinds.length || complete > 1 || !(durationMs >= 0 && durationMs < Number.POSITIVE_INFINITY))
    throw new FormatError('scan record', `kind ${kind}, complete ${complete}, duration ${durationMs}`);
  const [blocks, examinedBytes, repairedCopies, repairedBytes, unrecoverableBlocks] = counts.map((_, index) => getSafeUint64(view, offset + 8 + index * 8));
  return {
    kind: kinds[kind - 1]!,
    blocks: blocks!,
    examinedBytes: examinedBytes!,
    repairedCopies: repairedCopies!,
    repairedBytes: repairedBytes!,
    unrecoverableBlocks: unrecoverableBlocks!,
    complete: complete === 1,
    durationMs,
  };
}
