/**
 * A flow's events as they cross to an owner on another CPU (`net.events` frames): its data (the
 * address and length of a packet buffer in the VM, not the bytes), end and close, and the NIC
 * CPU's word on its send queue, as short tuples.
 */
import type { FlowId, NicEvent, NicFault } from '../../drivers/nic/nic.js';
import { invariantBroken } from '../../ground/assert.js';
import type { InboundEvent } from './channel.js';

export type FarEvent =
  /** A chunk of data in a packet buffer: its address and length. */
  | readonly ['data', number, number]
  | readonly ['ended']
  | readonly ['closed', NicFault | null]
  /** The NIC is over its mark: the owner's sends queue on the NIC's CPU, its data waits. */
  | readonly ['blocked']
  /** The NIC drained what queued: data flows again. */
  | readonly ['writable']
  /** The NIC's CPU took this many bytes of the owner's sends: they count no more against its budget. */
  | readonly ['taken', number];

/** The tuple of an end or a close (data crosses as a packet buffer: see attached-nic.ts). */
export function farEventOf(event: NicEvent): FarEvent {
  switch (event.kind) {
    case 'ended':
      return ['ended'];
    case 'closed':
      return ['closed', event.fault];
    default:
      return invariantBroken(`a ${event.kind} event does not cross to a far owner`);
  }
}

/** The event a data, ended or closed tuple stands for, for the channel on the owner's CPU. */
export function inboundEventOf(flow: FlowId, event: FarEvent): InboundEvent {
  switch (event[0]) {
    case 'data':
      return { kind: 'packet', flow, address: event[1], length: event[2] };
    case 'ended':
      return { kind: 'ended', flow };
    case 'closed':
      return { kind: 'closed', flow, fault: event[1] };
    default:
      return invariantBroken(`'${event[0]}' is no NIC event`);
  }
}
