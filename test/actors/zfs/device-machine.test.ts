import { expect } from 'chai';
import { type AnyMachineSnapshot, initialTransition, transition } from 'xstate';
import { getAdjacencyMap, getShortestPaths } from 'xstate/graph';
import { type DeviceState, deviceEvents, deviceInUse, deviceMachine as defineDeviceMachine } from '../../../actors/zfs/device-machine.js';

const deviceMachine = defineDeviceMachine();
const stateOf = (snapshot: AnyMachineSnapshot) => snapshot.value as DeviceState;

/** `state --event--> next`; events not listed are ignored. Written out apart from the machine. */
const expectedEdges = [
  'unavailable --device.opened--> online',
  'unavailable --device.offline--> offline',
  'online --device.checksum-errors--> degraded',
  'online --device.io-errors--> faulted',
  'online --device.open-failed--> unavailable',
  'online --device.offline--> offline',
  'online --device.removed--> removed',
  'degraded --device.io-errors--> faulted',
  'degraded --device.cleared--> online',
  'degraded --device.open-failed--> unavailable',
  'degraded --device.offline--> offline',
  'degraded --device.removed--> removed',
  'faulted --device.opened--> online',
  'faulted --device.cleared--> online',
  'faulted --device.open-failed--> unavailable',
  'faulted --device.offline--> offline',
  'faulted --device.removed--> removed',
  'offline --device.opened--> online',
  'offline --device.open-failed--> unavailable',
  'removed --device.opened--> online',
  'removed --device.open-failed--> unavailable',
  'removed --device.offline--> offline',
].sort();

describe('zfs: the device state machine', () => {
  it('starts unavailable, and reaches every state zpool status names', () => {
    expect(stateOf(initialTransition(deviceMachine)[0])).to.equal('unavailable');
    const paths = getShortestPaths(deviceMachine, { events: () => [...deviceEvents] });
    expect([...new Set(paths.map((path) => stateOf(path.state)))].sort()).to.deep.equal(['degraded', 'faulted', 'offline', 'online', 'removed', 'unavailable']);
  });

  it('has exactly the expected transitions, and every state can come back online', () => {
    const adjacency = getAdjacencyMap(deviceMachine, { events: () => [...deviceEvents] });
    const edges: string[] = [];
    for (const { state } of Object.values(adjacency)) {
      for (const event of deviceEvents) {
        const [next] = transition(deviceMachine, state as never, event);
        if (stateOf(next) !== stateOf(state)) edges.push(`${stateOf(state)} --${event.type}--> ${stateOf(next)}`);
      }
    }
    expect(edges.sort()).to.deep.equal(expectedEdges);
    // From each state, some path leads back to online: no state is a dead end for a device.
    for (const { state } of Object.values(adjacency)) {
      const back = getShortestPaths(deviceMachine, { events: () => [...deviceEvents], fromState: state as never });
      expect(
        back.some((path) => stateOf(path.state) === 'online'),
        stateOf(state),
      ).to.equal(true);
    }
  });

  it('says which states the pool reads and writes', () => {
    const used = (['unavailable', 'online', 'degraded', 'faulted', 'offline', 'removed'] as const).filter(deviceInUse);
    expect(used).to.deep.equal(['online', 'degraded']);
  });
});
