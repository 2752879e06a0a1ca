/**
 * The net subsystem's vocabulary: the events of a channel's life (what the machine of
 * `actors/net/machine.ts` accepts) and its states. They never travel as actor mail: a channel steps
 * its own machine. They are declared here so the machine, the channels and traces agree. Then the
 * frames a flow's events and its owner's operations cross CPUs in.
 */
import { defineMessage, type MessageOf } from './schema.js';

export type ChannelEvent =
  /** The owner actor started and took the channel. */
  | { readonly type: 'net.bind' }
  /** The peer ended its side (its FIN reached the owner). */
  | { readonly type: 'net.peer-end' }
  /** The owner ended its side. */
  | { readonly type: 'net.local-end' }
  /** The NIC closed the flow, and the owner was told. */
  | { readonly type: 'net.closed' }
  /** The owner stopped, crashed or never started: the flow is reset. */
  | { readonly type: 'net.owner-gone' };

/** One of each event, for exhaustive checks. */
export const channelEvents: readonly ChannelEvent[] = [
  { type: 'net.bind' },
  { type: 'net.peer-end' },
  { type: 'net.local-end' },
  { type: 'net.closed' },
  { type: 'net.owner-gone' },
];

export type ChannelStateName = 'accepting' | 'open' | 'peerEnded' | 'localEnded' | 'bothEnded' | 'aborting' | 'closed';

export const channelStateNames: readonly ChannelStateName[] = ['accepting', 'open', 'peerEnded', 'localEnded', 'bothEnded', 'aborting', 'closed'];

/**
 * Frames between CPUs, for a flow whose owner runs on another CPU than its NIC's (see
 * actors/net/far-channels.ts). The NIC's CPU opens the owner there, then ships the flow's events
 * in batches; the owner's CPU sends back what the owner did, one batch per turn.
 */
export const NET_OPEN = 'net.open' as const;
export const NET_EVENTS = 'net.events' as const;
export const NET_OPS = 'net.ops' as const;

/** NIC CPU → owner CPU: start the owner of `flow` from the connection handler named `handler`. */
export const netOpen = defineMessage(NET_OPEN, { nic: 'string', flow: 'integer', handler: 'string', local: 'any', remote: 'any', credits: 'integer' });
/**
 * NIC CPU → owner CPU: the flow's events in order, each `[kind, payload]`: `['data', address,
 * length]` (a packet buffer in the VM's memory, given back once copied out: `copied` in net.ops),
 * `['ended']`, `['closed', fault | null]`, `['blocked']` (sends queue: the NIC is over its mark),
 * `['writable']` (it drained).
 */
export const netEvents = defineMessage(NET_EVENTS, { nic: 'string', flow: 'integer', events: 'any' });
/**
 * Owner CPU → NIC CPU: what the owner did since the last batch, in this order: credits (chunks
 * taken), the packet buffers its CPU has copied out since the flow opened (`copied`, a running
 * count: they are free), sends, end, destroy.
 */
export const netOps = defineMessage(NET_OPS, {
  nic: 'string',
  flow: 'integer',
  credits: 'integer',
  copied: 'integer',
  sends: { kind: 'array', of: 'bytes' },
  end: 'boolean',
  destroy: 'boolean',
});

export type NetOpen = MessageOf<typeof netOpen>;
export type NetEvents = MessageOf<typeof netEvents>;
export type NetOps = MessageOf<typeof netOps>;
