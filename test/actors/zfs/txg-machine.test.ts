import { expect } from 'chai';
import { type AnyMachineSnapshot, initialTransition, transition } from 'xstate';
import { getAdjacencyMap, getShortestPaths } from 'xstate/graph';
import { type TxgState, txgEvents, txgMachine as defineTxgMachine } from '../../../actors/zfs/txg-machine.js';

const txgMachine = defineTxgMachine();
const stateOf = (snapshot: AnyMachineSnapshot) => snapshot.value as TxgState;

/** `state --event--> next`; events not listed are ignored. Written out apart from the machine. */
const expectedEdges = [
  'open --txg.commit--> quiescing',
  'quiescing --txg.quiesced--> syncing',
  'quiescing --txg.failed--> suspended',
  'syncing --txg.synced--> open',
  'syncing --txg.failed--> suspended',
].sort();

describe('zfs: the transaction group machine', () => {
  it('starts open, reaches every state, and has exactly the expected transitions', () => {
    expect(stateOf(initialTransition(txgMachine)[0])).to.equal('open');
    const paths = getShortestPaths(txgMachine, { events: () => [...txgEvents] });
    expect([...new Set(paths.map((path) => stateOf(path.state)))].sort()).to.deep.equal(['open', 'quiescing', 'suspended', 'syncing']);
    const adjacency = getAdjacencyMap(txgMachine, { events: () => [...txgEvents] });
    const edges: string[] = [];
    for (const { state } of Object.values(adjacency)) {
      for (const event of txgEvents) {
        const [next] = transition(txgMachine, state as never, event);
        if (stateOf(next) !== stateOf(state)) edges.push(`${stateOf(state)} --${event.type}--> ${stateOf(next)}`);
      }
    }
    expect(edges.sort()).to.deep.equal(expectedEdges);
  });

  it('ends in suspended, and comes back to open from every other state', () => {
    const adjacency = getAdjacencyMap(txgMachine, { events: () => [...txgEvents] });
    for (const { state } of Object.values(adjacency)) {
      const back = getShortestPaths(txgMachine, { events: () => [...txgEvents], fromState: state as never }).some((path) => stateOf(path.state) === 'open');
      expect(back, stateOf(state)).to.equal(stateOf(state) !== 'suspended');
    }
    expect(transition(txgMachine, txgMachine.resolveState({ value: 'suspended' }), { type: 'txg.commit' })[0].status).to.equal('done');
  });
});
