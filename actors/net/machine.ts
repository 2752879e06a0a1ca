/**
 * The life of one net channel (one TCP flow and the actor that owns it), as an xstate v5 machine:
 * states and transitions only. The channel steps it with xstate's pure `transition` at each change
 * of its life, never per packet: data moves without touching it.
 *
 * - `accepting`: the classifier made the channel for a flow the NIC accepted or connected; its owner
 *   actor is starting. What the flow brings meanwhile waits in the channel.
 * - `open`: the owner runs; data flows both ways.
 * - `peerEnded`: the peer sent its FIN; the owner may still send (TCP's CLOSE_WAIT).
 * - `localEnded`: the owner ended its side; data still comes in (FIN_WAIT).
 * - `bothEnded`: both sides ended; the flow's close is on its way.
 * - `aborting`: the owner is gone (it stopped, crashed, or never started): the flow is reset, and
 *   what it still brings is counted and dropped until it closes.
 * - `closed`: the NIC closed the flow and the owner was told; the channel is freed. Final.
 *
 * @example
 * ```ts
 * const machine = channelMachine();
 * const [next] = transition(machine, machine.resolveState({ value: 'open' }), { type: 'net.peer-end' });
 * next.value; // 'peerEnded'
 * ```
 */
import type { ChannelEvent, ChannelStateName } from '../../protocols/net.js';
import { definedOnFirstCall, xstate } from '../runtime/lazy-packages.js';

/** The machine's id, as its steps are traced. */
export const channelMachineId = 'netChannel';

export type ChannelMachine = ReturnType<typeof defineChannelMachine>;

export const channelMachine: () => ChannelMachine = definedOnFirstCall(defineChannelMachine);

/** Whether the owner may send in `state`: until its side ended or the flow is gone. */
export function sendsAllowed(state: ChannelStateName): boolean {
  return state === 'open' || state === 'peerEnded';
}

function defineChannelMachine() {
  const { setup } = xstate();
  const ownerGone = { 'net.owner-gone': 'aborting' } as const;
  return setup({ types: {} as { events: ChannelEvent } }).createMachine({
    id: channelMachineId,
    initial: 'accepting',
    states: {
      accepting: { on: { 'net.bind': 'open', ...ownerGone } },
      open: { on: { 'net.peer-end': 'peerEnded', 'net.local-end': 'localEnded', 'net.closed': 'closed', ...ownerGone } },
      peerEnded: { on: { 'net.local-end': 'bothEnded', 'net.closed': 'closed', ...ownerGone } },
      localEnded: { on: { 'net.peer-end': 'bothEnded', 'net.closed': 'closed', ...ownerGone } },
      bothEnded: { on: { 'net.closed': 'closed', ...ownerGone } },
      aborting: { on: { 'net.closed': 'closed' } },
      closed: { type: 'final' },
    },
  });
}
