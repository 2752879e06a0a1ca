/**
 * A flow's events as they cross to an owner on another CPU (`net.events` frames): the NIC's data,
 * end and close, and the NIC CPU's word on its send queue, as short tuples.
 */
import type { FlowId, NicEvent, NicFault } from '../../drivers/nic/nic.js';
import { invariantBroken } from '../../ground/assert.js';

export type FarEvent =
  | readonly ['data', Uint8Array]
  | readonly ['ended']
  | readonly ['closed', NicFault | null]
  /** The NIC is over its mark: the owner's sends queue on the NIC's CPU, its data waits. */
  | readonly ['blocked']
  /** The NIC drained what queued: data flows again. */
  | readonly ['writable']
  /** The NIC's CPU took this many bytes of the owner's sends: they count no more against its budget. */
  | readonly ['taken', number];

/** The tuple of one of the events a channel queues (data, ended, closed). */
export function farEventOf(event: NicEvent): FarEvent {
  switch (event.kind) {
    case 'data':
      return ['data', event.bytes];
    case 'ended':
      return ['ended'];
    case 'closed':
      return ['closed', event.fault];
    default:
      return invariantBroken(`a ${event.kind} event does not cross to a far owner`);
  }
}

/** The NIC event a data, ended or closed tuple stands for, for the channel on the owner's CPU. */
export function nicEventOf(flow: FlowId, event: FarEvent): NicEvent {
  switch (event[0]) {
    case 'data':
      return { kind: 'data', flow, bytes: event[1] };
    case 'ended':
      return { kind: 'ended', flow };
    case 'closed':
      return { kind: 'closed', flow, fault: event[1] };
    default:
      return invariantBroken(`'${event[0]}' is no NIC event`);
  }
}
