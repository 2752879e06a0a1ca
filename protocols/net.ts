/**
 * The net subsystem's vocabulary: the events of a channel's life (what the machine of
 * `actors/net/machine.ts` accepts) and its states. They never travel as actor mail: a channel steps
 * its own machine. They are declared here so the machine, the channels and traces agree.
 */

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
