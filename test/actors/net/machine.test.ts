import { expect } from 'chai';
import { type AnyMachineSnapshot, initialTransition, transition } from 'xstate';
import { getAdjacencyMap, getShortestPaths } from 'xstate/graph';
import { channelMachine as defineChannelMachine, sendsAllowed } from '../../../actors/net/machine.js';
import { channelEvents, type ChannelStateName, channelStateNames } from '../../../protocols/net.js';

const machine = defineChannelMachine();
const stateOf = (snapshot: AnyMachineSnapshot) => snapshot.value as ChannelStateName;

/** `state --event--> next`; events not listed are ignored. Written out apart from the machine. */
const expectedEdges = [
  'accepting --net.bind--> open',
  'accepting --net.owner-gone--> aborting',
  'open --net.peer-end--> peerEnded',
  'open --net.local-end--> localEnded',
  'open --net.closed--> closed',
  'open --net.owner-gone--> aborting',
  'peerEnded --net.local-end--> bothEnded',
  'peerEnded --net.closed--> closed',
  'peerEnded --net.owner-gone--> aborting',
  'localEnded --net.peer-end--> bothEnded',
  'localEnded --net.closed--> closed',
  'localEnded --net.owner-gone--> aborting',
  'bothEnded --net.closed--> closed',
  'bothEnded --net.owner-gone--> aborting',
  'aborting --net.closed--> closed',
].sort();

describe('net: the channel state machine', () => {
  it('starts accepting and reaches every state', () => {
    expect(stateOf(initialTransition(machine)[0])).to.equal('accepting');
    const paths = getShortestPaths(machine, { events: () => [...channelEvents] });
    expect([...new Set(paths.map((path) => stateOf(path.state)))].sort()).to.deep.equal([...channelStateNames].sort());
  });

  it('has exactly the expected transitions; every state can close, and closed is final', () => {
    const adjacency = getAdjacencyMap(machine, { events: () => [...channelEvents] });
    const edges: string[] = [];
    for (const { state } of Object.values(adjacency)) {
      for (const event of channelEvents) {
        const [next] = transition(machine, state as never, event);
        if (stateOf(next) !== stateOf(state)) edges.push(`${stateOf(state)} --${event.type}--> ${stateOf(next)}`);
      }
      const closes = getShortestPaths(machine, { events: () => [...channelEvents], fromState: state as never }).some(
        (path) => stateOf(path.state) === 'closed',
      );
      expect(closes, `${stateOf(state)} can reach closed`).to.equal(true);
    }
    expect(edges.sort()).to.deep.equal(expectedEdges);
    expect(machine.resolveState({ value: 'closed' }).status).to.equal('done');
  });

  it('lets the owner send only until its side ended', () => {
    expect(channelStateNames.filter(sendsAllowed)).to.deep.equal(['open', 'peerEnded']);
  });
});
