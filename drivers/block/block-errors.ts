/**
 * What a block device's requests fail with. A caller branches on the class or on `code`; none of
 * them is ever returned as data.
 */
import { OspreyError } from '../../ground/errors.js';

/** A transfer outside the device, or not in whole sectors: the request was never started. */
export class BlockRangeError extends OspreyError {
  readonly code = 'block-range';
  constructor(
    readonly device: string,
    readonly problem: string,
  ) {
    super(`${device}: ${problem}`);
  }
}

/** The device already has its queue depth of requests in flight (policy `reject`): retry after a completion. */
export class BlockQueueFullError extends OspreyError {
  readonly code = 'block-queue-full';
  constructor(
    readonly device: string,
    readonly queueDepth: number,
  ) {
    super(`${device}: ${queueDepth} requests are in flight, its queue depth; retry once one completes`);
  }
}

/**
 * Why a device could not do a request:
 * - `media`: the sectors could not be read (a latent sector error);
 * - `failed`: the device fails every request (it is dead, or was taken offline);
 * - `gone`: the device is not there any more (unplugged, its file removed);
 * - `os`: the operating system refused (its error is the `cause`).
 */
export type BlockIoReason = 'media' | 'failed' | 'gone' | 'os';

/** A request the device started and could not do. */
export class BlockIoError extends OspreyError {
  readonly code = 'block-io';
  constructor(
    readonly device: string,
    readonly op: 'read' | 'write' | 'flush',
    readonly reason: BlockIoReason,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${device}: ${op} failed (${reason}): ${detail}`, options);
  }
}

/** A file that is no device of this size and sector: too short, not a whole number of sectors. */
export class BlockDeviceError extends OspreyError {
  readonly code = 'block-device';
  constructor(
    readonly device: string,
    problem: string,
  ) {
    super(`${device}: ${problem}`);
  }
}
