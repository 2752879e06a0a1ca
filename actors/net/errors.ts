/** The net subsystem's typed errors. */
import { OspreyError } from '../../ground/errors.js';

/**
 * An owner queued more than `sendQueueBytesMax` behind a peer that is not reading: it ignored the
 * backpressure its socket reported (`socket.blocked`).
 */
export class NetSendOverflowError extends OspreyError {
  readonly code = 'net-send-overflow';
  constructor(
    readonly flow: number,
    readonly queuedBytesMax: number,
  ) {
    super(`flow ${flow}: more than ${queuedBytesMax} bytes queued behind a peer that is not reading; wait while socket.blocked`);
  }
}

/** A NIC name is taken, malformed, or too many NICs are attached. */
export class NetConfigError extends OspreyError {
  readonly code = 'net-config';
}
