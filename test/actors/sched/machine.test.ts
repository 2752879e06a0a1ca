/**
 * Exhaustive checks of the CPU lifecycle machine with xstate/graph: every state is reachable from
 * the initial one, and the machine has exactly the expected transitions (written out independently
 * below, every other event is ignored), on every event sequence up to a depth.
 */
import { expect } from 'chai';
import { type AnyMachineSnapshot, initialTransition, transition } from 'xstate';
import { getAdjacencyMap, getShortestPaths, getSimplePaths } from 'xstate/graph';
import { schedCpuEvents, schedCpuMachine as defineSchedCpuMachine } from '../../../actors/sched/index.js';

const schedCpuMachine = defineSchedCpuMachine();

type Name = 'running' | 'idlePolling' | 'parked';

/** `state --event--> next`. Events not listed are ignored (no transition, no action). */
const expectedEdges = [
  'running --sched.queue-empty--> idlePolling',
  'idlePolling --sched.work-arrived--> running',
  'idlePolling --sched.poll-budget-spent--> parked',
  'parked --sched.wake--> idlePolling',
  'parked --sched.work-arrived--> running',
].sort();

const stateOf = (snapshot: AnyMachineSnapshot): Name => snapshot.value as Name;
const allEvents = () => [...schedCpuEvents];

describe('sched cpu machine', () => {
  it('starts idle-polling, with no actions: its states are what drives the CPU', () => {
    const [initial, actions] = initialTransition(schedCpuMachine);
    expect(stateOf(initial)).to.equal('idlePolling');
    expect(actions).to.deep.equal([]);
  });

  it('reaches every state (shortest paths)', () => {
    const paths = getShortestPaths(schedCpuMachine, { events: allEvents });
    expect([...new Set(paths.map((path) => stateOf(path.state)))].sort()).to.deep.equal(['idlePolling', 'parked', 'running']);
    const toParked = paths.find((path) => stateOf(path.state) === 'parked')!;
    expect(toParked.steps.map((step) => step.event.type)).to.deep.equal(['xstate.init', 'sched.poll-budget-spent']);
  });

  it('has exactly the expected transitions; every other event is ignored', () => {
    const adjacency = getAdjacencyMap(schedCpuMachine, { events: allEvents });
    expect(Object.keys(adjacency)).to.have.length(3);
    const edges: string[] = [];
    let ignored = 0;
    for (const { state } of Object.values(adjacency)) {
      for (const event of schedCpuEvents) {
        const [next, actions] = transition(schedCpuMachine, state as never, event);
        if (stateOf(next) === stateOf(state) && actions.length === 0) {
          ignored++;
          continue;
        }
        expect(actions, 'no transition carries an action').to.deep.equal([]);
        edges.push(`${stateOf(state)} --${event.type}--> ${stateOf(next)}`);
      }
    }
    expect(edges.sort()).to.deep.equal(expectedEdges);
    expect(ignored).to.equal(3 * schedCpuEvents.length - expectedEdges.length);
  });

  it('leaves parked only on a wake (frames from other CPUs) or local work (a drain), nothing else', () => {
    const parked = schedCpuMachine.resolveState({ value: 'parked' });
    const leaves: Record<string, Name> = { 'sched.wake': 'idlePolling', 'sched.work-arrived': 'running' };
    for (const event of schedCpuEvents) {
      const [next] = transition(schedCpuMachine, parked, event);
      expect(stateOf(next), event.type).to.equal(leaves[event.type] ?? 'parked');
    }
  });

  it('follows the expected edges on every event sequence of up to 5 events', () => {
    const depthMax = 5;
    let steps = 0;
    const edges = new Set(expectedEdges);
    const walk = (snapshot: AnyMachineSnapshot, depth: number): void => {
      if (depth === depthMax) return;
      for (const event of schedCpuEvents) {
        const [next] = transition(schedCpuMachine, snapshot as never, event);
        steps++;
        const moved = stateOf(next) !== stateOf(snapshot);
        if (moved !== edges.has(`${stateOf(snapshot)} --${event.type}--> ${stateOf(next)}`))
          expect.fail(`${stateOf(snapshot)} + ${event.type} → ${stateOf(next)}`);
        walk(next, depth + 1);
      }
    };
    walk(initialTransition(schedCpuMachine)[0], 0);
    expect(steps).to.equal(4 + 16 + 64 + 256 + 1_024);
    expect([...new Set(getSimplePaths(schedCpuMachine, { events: allEvents }).map((path) => stateOf(path.state)))].sort()).to.deep.equal([
      'idlePolling',
      'parked',
      'running',
    ]);
  });
});

describe('CpuState (the machine as a table)', () => {
  it('follows the machine through a CPU’s day and ignores what a state does not handle', async () => {
    const { CpuState } = await import('../../../actors/sched/cpu-state.js');
    const state = new CpuState();
    const seen: string[] = [state.value];
    for (const event of [
      'sched.wake',
      'sched.work-arrived',
      'sched.work-arrived',
      'sched.poll-budget-spent',
      'sched.queue-empty',
      'sched.queue-empty',
      'sched.poll-budget-spent',
      'sched.work-arrived',
      'sched.wake',
    ] as const) {
      state.send(event);
      seen.push(state.value);
    }
    expect(seen).to.deep.equal(['idlePolling', 'idlePolling', 'running', 'running', 'running', 'idlePolling', 'idlePolling', 'parked', 'running', 'running']);
    expect(state.entered).to.deep.equal({ running: 2, idlePolling: 1, parked: 1 });
  });

  it('takes the dispatcher’s two reports as it takes their events, from every state', async () => {
    const { CpuState } = await import('../../../actors/sched/cpu-state.js');
    const reports = [
      ['workArrived', 'sched.work-arrived'],
      ['ranDry', 'sched.queue-empty'],
    ] as const;
    // Each state reached from the initial one by the events that lead there.
    const paths = [['sched.work-arrived'], [], ['sched.poll-budget-spent']] as const;
    for (const path of paths) {
      for (const [report, event] of reports) {
        const reported = new CpuState();
        const sent = new CpuState();
        for (const step of path) {
          reported.send(step);
          sent.send(step);
        }
        reported[report]();
        sent.send(event);
        expect([reported.value, reported.entered], `${report} from ${path.join(' → ') || 'the initial state'}`).to.deep.equal([sent.value, sent.entered]);
      }
    }
  });

  it('follows every transition of the machine, from its initial state', async () => {
    const { cpuStateTransitions, cpuStateInitial } = await import('../../../actors/sched/cpu-state.js');
    const values = ['running', 'idlePolling', 'parked'] as const;
    const expected = values.flatMap((value) =>
      schedCpuEvents.map((event) =>
        values.indexOf(transition(schedCpuMachine, schedCpuMachine.resolveState({ value }), event)[0].value as (typeof values)[number]),
      ),
    );
    expect(Array.from(cpuStateTransitions), `the table cpu-state.ts should hold: [${expected.join(', ')}]`).to.deep.equal(expected);
    expect(cpuStateInitial).to.equal(schedCpuMachine.config.initial);
  });
});
