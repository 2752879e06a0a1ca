/**
 * The virtual memory's typed errors. A segmentation fault is what an access to memory it may not
 * touch costs an actor: thrown inside its turn, it crashes that actor alone, with the address and the
 * kind of access in the reason, and its supervisor decides.
 */
import { OspreyError } from '../../ground/errors.js';

/** What an access wanted. */
export type AccessKind = 'read' | 'write';

/** Why an access faulted: nothing mapped there, a guard or `none` page, or a write to a read-only page. */
export type SegmentationCause = 'unmapped' | 'no-access' | 'read-only';

/**
 * An access to an address the VM does not allow (OSv delivers SIGSEGV).
 *
 * @example
 * ```ts
 * try { memory.writeU8(address, 1); } catch (error) {
 *   if (error instanceof SegmentationFault) console.log(error.address, error.access, error.cause);
 * }
 * ```
 */
export class SegmentationFault extends OspreyError {
  readonly code = 'segmentation-fault';
  constructor(
    readonly address: number,
    readonly access: AccessKind,
    readonly why: SegmentationCause,
  ) {
    super(`segmentation fault: ${access} at 0x${address.toString(16)} (${describeCause(why)})`);
  }
}

function describeCause(why: SegmentationCause): string {
  switch (why) {
    case 'unmapped':
      return 'nothing is mapped there';
    case 'no-access':
      return 'a guard page, or a page protected to none';
    case 'read-only':
      return 'the page is read-only';
  }
}

/** Physical memory ran out: no free run of the size asked for, and the shrinkers gave back too little. */
export class OutOfMemoryError extends OspreyError {
  readonly code = 'out-of-memory';
  constructor(
    readonly bytesWanted: number,
    readonly bytesFree: number,
  ) {
    super(`out of memory: ${bytesWanted} bytes wanted, ${bytesFree} bytes free`);
  }
}

/** A call with arguments the VM cannot take (a misaligned address, a length out of range, an unknown protection). */
export class VmArgumentError extends OspreyError {
  readonly code = 'vm-argument';
}

/**
 * A VM lock whose holder's CPU died while it held it (vm-lock.ts): what it guarded may be half
 * changed, so every later acquirer gets this error instead of spinning forever. `held-too-long`:
 * the acquirer spun `vmLockSpinsMax` times without the holder letting go, which a section of
 * microseconds never takes; the holder died before anyone could say so (a thread that spins cannot
 * hear of it), or is stuck.
 */
export class VmLockAbandonedError extends OspreyError {
  readonly code = 'vm-lock-abandoned';
  constructor(
    readonly address: number,
    readonly cpu: number,
    readonly reason: 'holder-died' | 'held-too-long' = 'holder-died',
  ) {
    super(
      reason === 'holder-died'
        ? `the VM lock at 0x${address.toString(16)} was held by CPU ${cpu} when it died: what it guards may be half changed`
        : `the VM lock at 0x${address.toString(16)} has been held by CPU ${cpu} far longer than any section takes: it died or is stuck`,
    );
    this.name = 'VmLockAbandonedError';
  }
}
