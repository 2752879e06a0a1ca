/**
 * Exhaustive checks of the CPU lifecycle machine with xstate/graph: every state is reachable from
 * the initial one, the machine has exactly the expected transitions (written out independently
 * below, every other event is ignored), and the idle-poll flag is announced exactly while polling.
 */
import { expect } from 'chai';
import { type AnyMachineSnapshot, initialTransition, transition } from 'xstate';
import { getAdjacencyMap, getShortestPaths, getSimplePaths } from 'xstate/graph';
import { schedCpuEvents, schedCpuMachine, type SchedCpuEvent } from '../../../actors/sched/index.js';

type Name = 'running' | 'idlePolling' | 'parked' | 'balancing';

/** `state --event--> next [actions]`. Events not listed are ignored (no transition, no action). */
const expectedEdges = [
  'running --sched.queue-empty--> idlePolling [announceIdlePoll]',
  'running --sched.balance-tick--> balancing [runBalancer]',
  'idlePolling --sched.work-arrived--> running [retractIdlePoll]',
  'idlePolling --sched.poll-budget-spent--> parked [retractIdlePoll]',
  'parked --sched.wake--> idlePolling [announceIdlePoll]',
  'balancing --sched.balance-done--> running []',
].sort();

const stateOf = (snapshot: AnyMachineSnapshot): Name => snapshot.value as Name;
const allEvents = () => [...schedCpuEvents];

describe('sched cpu machine', () => {
  it('starts idle-polling, with the flag announced', () => {
    const [initial, actions] = initialTransition(schedCpuMachine);
    expect(stateOf(initial)).to.equal('idlePolling');
    expect(actions.map((action) => action.type)).to.deep.equal(['announceIdlePoll']);
  });

  it('reaches every state (shortest paths)', () => {
    const paths = getShortestPaths(schedCpuMachine, { events: allEvents });
    expect([...new Set(paths.map((path) => stateOf(path.state)))].sort()).to.deep.equal(['balancing', 'idlePolling', 'parked', 'running']);
    const toBalancing = paths.find((path) => stateOf(path.state) === 'balancing')!;
    expect(toBalancing.steps.map((step) => step.event.type)).to.deep.equal(['xstate.init', 'sched.work-arrived', 'sched.balance-tick']);
  });

  it('has exactly the expected transitions; every other event is ignored', () => {
    const adjacency = getAdjacencyMap(schedCpuMachine, { events: allEvents });
    expect(Object.keys(adjacency)).to.have.length(4);
    const edges: string[] = [];
    let ignored = 0;
    for (const { state } of Object.values(adjacency)) {
      for (const event of schedCpuEvents) {
        const [next, actions] = transition(schedCpuMachine, state as never, event);
        if (stateOf(next) === stateOf(state) && actions.length === 0) {
          ignored++;
          continue;
        }
        edges.push(`${stateOf(state)} --${event.type}--> ${stateOf(next)} [${actions.map((action) => action.type).join(',')}]`);
      }
    }
    expect(edges.sort()).to.deep.equal(expectedEdges);
    expect(ignored).to.equal(4 * schedCpuEvents.length - expectedEdges.length);
  });

  it('needs a wake to leave parked: work arriving unannounced is not seen', () => {
    const parked = schedCpuMachine.resolveState({ value: 'parked' });
    for (const event of schedCpuEvents) {
      const [next] = transition(schedCpuMachine, parked, event);
      expect(stateOf(next)).to.equal(event.type === 'sched.wake' ? 'idlePolling' : 'parked');
    }
  });

  it('announces idle polling exactly while in idlePolling, on every event sequence of up to 5 events', () => {
    const depthMax = 5;
    let steps = 0;
    const walk = (snapshot: AnyMachineSnapshot, announced: boolean, depth: number): void => {
      if (depth === depthMax) return;
      for (const event of schedCpuEvents) {
        const [next, actions] = transition(schedCpuMachine, snapshot as never, event);
        let flag = announced;
        for (const action of actions) {
          if (action.type === 'announceIdlePoll') flag = true;
          if (action.type === 'retractIdlePoll') flag = false;
        }
        steps++;
        if (flag !== (stateOf(next) === 'idlePolling')) expect.fail(`${stateOf(snapshot)} + ${event.type}: flag ${flag} in ${stateOf(next)}`);
        walk(next, flag, depth + 1);
      }
    };
    const [initial, actions] = initialTransition(schedCpuMachine);
    walk(initial, actions.some((action) => action.type === 'announceIdlePoll'), 0);
    expect(steps).to.equal(6 + 36 + 216 + 1_296 + 7_776);
    expect(getSimplePaths(schedCpuMachine, { events: allEvents }).map((path) => stateOf(path.state)).sort()).to.deep.equal(['balancing', 'idlePolling', 'parked', 'running']);
  });
});

describe('CpuState (the machine compiled to a table)', () => {
  it('follows the machine through a CPU’s day and ignores what a state does not handle', async () => {
    const { CpuState } = await import('../../../actors/sched/cpu-state.js');
    const state = new CpuState();
    const seen: string[] = [state.value];
    for (const event of ['sched.wake', 'sched.work-arrived', 'sched.work-arrived', 'sched.balance-tick', 'sched.queue-empty', 'sched.balance-done', 'sched.queue-empty', 'sched.poll-budget-spent', 'sched.work-arrived', 'sched.wake'] as const) {
      state.send(event);
      seen.push(state.value);
    }
    expect(seen).to.deep.equal(['idlePolling', 'idlePolling', 'running', 'running', 'balancing', 'balancing', 'running', 'idlePolling', 'parked', 'parked', 'idlePolling']);
    expect(state.entered).to.deep.equal({ running: 2, idlePolling: 2, parked: 1, balancing: 1 });
  });
});
