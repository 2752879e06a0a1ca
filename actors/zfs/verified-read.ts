/**
 * Reading a block through its copies, as ZFS does (its self-healing read): read one copy, verify it
 * against the checksum its pointer holds, and on a mismatch or an I/O error try the next. The first
 * copy that verifies is the data; every copy that did not is rewritten with it (a repair), and the
 * devices that returned bad bytes are told, so their checksum errors count. When no copy verifies the
 * read fails with `ChecksumError`: corruption beyond the redundancy is reported, never returned.
 *
 * Copies are a mirror's sides or a block's extra copies on one device alike; RAID-Z stripes rebuild
 * through their parity instead (raidz-parity.ts). A repair rewrites the block where it is, which is
 * safe because the pool never rewrites a live block in place (copy-on-write): two reads of one block
 * may both repair it, with the same bytes, and each counts the bad copy's checksum error.
 *
 * @example
 * ```ts
 * await writeCopies(copies, block);                      // every copy, in parallel
 * const { data, repaired } = await readVerified(copies, 'fletcher4', blockChecksum('fletcher4', block));
 * ```
 */
import { OspreyError } from '../../ground/errors.js';
import type { ActorRef } from '../runtime/ref.js';
import { blockChecksum, type ChecksumKind, checksumsEqual } from './checksum.js';
import { BlockQueueFullError } from '../../drivers/block/block-errors.js';
import { DeviceUnavailableError, deviceRequest, type PoolDeviceMsg } from './device-actor.js';
import type { RecordBuffers } from './record-buffers.js';

/** One copy of a block: the device actor that holds it, and where. */
export interface BlockCopy {
  readonly device: ActorRef<PoolDeviceMsg>;
  readonly offsetBytes: number;
}

/** No copy of a block verified: what each copy gave instead. */
export class ChecksumError extends OspreyError {
  readonly code = 'checksum';
  constructor(readonly problems: readonly string[]) {
    super(`no copy of the block verifies: ${problems.join('; ')}`);
  }
}

/**
 * Writes `data` to every copy; rejects with the first failure once all are done. `handOver`: the
 * caller does not change `data` until every write is answered, so no device copies it.
 */
export async function writeCopies(copies: readonly BlockCopy[], data: Uint8Array, handOver = false): Promise<void> {
  const outcomes = await Promise.allSettled(
    copies.map((copy) => copy.device.ask({ type: 'write', offsetBytes: copy.offsetBytes, data, handOver }, deviceRequest)),
  );
  const failed = outcomes.find((outcome) => outcome.status === 'rejected');
  if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
}

/** What a verified read gives: the data, and how many copies that did not verify it rewrote. */
export interface VerifiedRead {
  readonly data: Uint8Array;
  readonly repaired: number;
}

/**
 * Where reads take their memory, and give back what they do not keep. A buffer whose read failed is
 * not given back: the device may still be reading into it.
 */
export type ReadMemory = Pick<RecordBuffers, 'takeToFill' | 'release'>;

/**
 * A read of `copy` into memory from `memory` (new memory without it). The memory of a read the
 * device actor refused before taking it (the device offline, faulted or full) goes back at once:
 * a degraded mirror reads from one side all the time.
 */
async function readCopy(copy: BlockCopy, lengthBytes: number, memory: ReadMemory | undefined): Promise<Uint8Array> {
  if (memory === undefined) return copy.device.ask({ type: 'read', offsetBytes: copy.offsetBytes, lengthBytes }, deviceRequest);
  const into = memory.takeToFill(lengthBytes);
  try {
    return await copy.device.ask({ type: 'read', offsetBytes: copy.offsetBytes, lengthBytes, into }, deviceRequest);
  } catch (error) {
    if (error instanceof DeviceUnavailableError || error instanceof BlockQueueFullError) memory.release(into);
    throw error;
  }
}

/**
 * Reads `lengthBytes` through `copies` in order, verifying against `checksum`; repairs the copies
 * that did not verify. The data returned is the caller's, from `memory` when given.
 */
export async function readVerified(
  copies: readonly BlockCopy[],
  lengthBytes: number,
  kind: ChecksumKind,
  checksum: Uint8Array,
  memory?: ReadMemory,
): Promise<VerifiedRead> {
  const bad: { copy: BlockCopy; corrupt: boolean }[] = [];
  const problems: string[] = [];
  for (const [index, copy] of copies.entries()) {
    let data: Uint8Array;
    try {
      data = await readCopy(copy, lengthBytes, memory);
    } catch (error) {
      bad.push({ copy, corrupt: false });
      problems.push(`copy ${index}: ${(error as Error).message}`);
      continue;
    }
    if (!checksumsEqual(blockChecksum(kind, data), checksum)) {
      memory?.release(data);
      bad.push({ copy, corrupt: true });
      problems.push(`copy ${index}: its bytes do not match the checksum`);
      continue;
    }
    // The first good copy is the data; the bad ones before it are rewritten with it. A device that
    // refuses the write (offline, faulted) keeps its bad copy, and it is not counted as repaired.
    const repairs = await Promise.allSettled(
      bad.map(({ copy: badCopy, corrupt }) => {
        if (corrupt) badCopy.device.tell({ type: 'checksum-error' });
        return badCopy.device.ask({ type: 'write', offsetBytes: badCopy.offsetBytes, data }, deviceRequest);
      }),
    );
    return { data, repaired: repairs.filter((repair) => repair.status === 'fulfilled').length };
  }
  for (const { copy, corrupt } of bad) if (corrupt) copy.device.tell({ type: 'checksum-error' });
  throw new ChecksumError(problems);
}

/**
 * What a scrub of one block found: how many copies (RAID-Z: columns, or whole copies none of whose
 * columns could be rebuilt) were bad and how many were rewritten, and whether none verified.
 */
export interface ScrubbedBlock {
  readonly badCopies: number;
  readonly repaired: number;
  /** Bytes those rewrites wrote. */
  readonly repairedBytes: number;
  /** No copy verified: the block is lost, and its copies are left as they are. */
  readonly unrecoverable: boolean;
}

/**
 * Reads every copy of a block (a scrub's read, where a normal read stops at the first good copy),
 * verifies each, and rewrites the bad ones with a good one; the devices that returned bad bytes
 * count a checksum error.
 */
export async function scrubCopies(
  copies: readonly BlockCopy[],
  lengthBytes: number,
  kind: ChecksumKind,
  checksum: Uint8Array,
  memory?: ReadMemory,
): Promise<ScrubbedBlock> {
  const reads = await Promise.allSettled(copies.map((copy) => readCopy(copy, lengthBytes, memory)));
  // What was read is nobody's once the repairs are asked for.
  const giveBack = () => {
    for (const read of reads) if (read.status === 'fulfilled') memory?.release(read.value);
  };
  let good: Uint8Array | null = null;
  const bad: BlockCopy[] = [];
  for (const [index, read] of reads.entries()) {
    if (read.status === 'fulfilled' && checksumsEqual(blockChecksum(kind, read.value), checksum)) {
      good ??= read.value;
      continue;
    }
    if (read.status === 'fulfilled') copies[index]!.device.tell({ type: 'checksum-error' });
    bad.push(copies[index]!);
  }
  if (good === null) {
    giveBack();
    return { badCopies: bad.length, repaired: 0, repairedBytes: 0, unrecoverable: true };
  }
  const data = good;
  const repairs = await Promise.allSettled(bad.map((copy) => copy.device.ask({ type: 'write', offsetBytes: copy.offsetBytes, data }, deviceRequest)));
  // Every repair is answered: the devices are done with the data, and it may go back (reused only
  // after the next durable group).
  giveBack();
  const repaired = repairs.filter((repair) => repair.status === 'fulfilled').length;
  return { badCopies: bad.length, repaired, repairedBytes: repaired * lengthBytes, unrecoverable: false };
}
