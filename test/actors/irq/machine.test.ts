/**
 * Exhaustive checks of the interrupt line machine with xstate/graph: every state is reachable, the
 * machine has exactly the expected transitions (written out independently below), and the table the
 * controller steps (`stepLine`, compiled from the machine) agrees with `transition` on every
 * simple path of the graph.
 */
import { expect } from 'chai';
import { type AnyMachineSnapshot, initialTransition, transition } from 'xstate';
import { getAdjacencyMap, getShortestPaths, getSimplePaths } from 'xstate/graph';
import { Line, LineInput, lineMachine as defineLineMachine, stepLine, type LineState } from '../../../actors/irq/index.js';
import { lineInputEvents, lineStateNames } from '../../../actors/irq/line.js';
import type { LineEvent } from '../../../protocols/irq.js';

const lineMachine = defineLineMachine();

type Name = 'idle' | 'pending' | 'inService' | 'masked';

/** `state --event--> next`, `!` marking a wake of the handler. Events not listed are ignored. */
const expectedEdges = [
  'idle --irq.raise--> pending !',
  'idle --irq.mask--> masked',
  'pending --irq.service-start--> inService',
  'pending --irq.mask--> masked',
  'inService --irq.drain-done(empty)--> idle',
  'inService --irq.drain-done(more)--> pending !',
  'inService --irq.mask--> masked',
  'masked --irq.unmask(empty)--> idle',
  'masked --irq.unmask(more)--> pending !',
].sort();

function eventLabel(event: LineEvent): string {
  return 'ring' in event ? `${event.type}(${event.ring})` : event.type;
}

function stateOf(snapshot: AnyMachineSnapshot): Name {
  return snapshot.value as Name;
}

const allEvents = () => [...lineInputEvents];

describe('irq line machine', () => {
  it('reaches every state from idle (shortest paths)', () => {
    const paths = getShortestPaths(lineMachine, { events: allEvents });
    const reached = new Set(paths.map((path) => stateOf(path.state)));
    expect([...reached].sort()).to.deep.equal(['idle', 'inService', 'masked', 'pending']);
    const [initial] = initialTransition(lineMachine);
    expect(stateOf(initial)).to.equal('idle');
  });

  it('has exactly the expected transitions, and wakes the handler only when it enters pending', () => {
    const adjacency = getAdjacencyMap(lineMachine, { events: allEvents });
    const edges: string[] = [];
    for (const { state } of Object.values(adjacency)) {
      for (const event of lineInputEvents) {
        const [next, actions] = transition(lineMachine, state as never, event);
        if (stateOf(next) === stateOf(state) && actions.length === 0) continue; // ignored event
        const wakes = actions.filter((action) => action.type === 'wakeHandler').length;
        expect(actions.length, 'only wakeHandler runs').to.equal(wakes);
        edges.push(`${stateOf(state)} --${eventLabel(event)}--> ${stateOf(next)}${wakes === 1 ? ' !' : ''}`);
      }
    }
    expect(edges.sort()).to.deep.equal(expectedEdges);
    for (const edge of edges) expect(edge.endsWith('!')).to.equal(edge.includes('--> pending') && !edge.startsWith('pending'));
  });

  it('never changes state on a raise unless the line is idle (the ISR hot path only records)', () => {
    for (const name of ['pending', 'inService', 'masked'] as const) {
      const [next, actions] = transition(lineMachine, lineMachine.resolveState({ value: name }), { type: 'irq.raise' });
      expect([stateOf(next), actions.length]).to.deep.equal([name, 0]);
      expect(stepLine(Line[name], LineInput.raise).changed).to.equal(false);
    }
  });

  it('stepLine agrees with the machine on every simple path', () => {
    const paths = getSimplePaths(lineMachine, { events: allEvents });
    expect(new Set(paths.map((path) => stateOf(path.state))).size).to.equal(4);
    let steps = 0;
    for (const path of paths) {
      let state: LineState = Line.idle;
      let snapshot = lineMachine.resolveState({ value: 'idle' });
      for (const { event } of path.steps) {
        const input = lineInputEvents.findIndex((candidate) => eventLabel(candidate) === eventLabel(event as LineEvent));
        if (input < 0) continue; // the initial xstate.init step
        const [next, actions] = transition(lineMachine, snapshot, event as LineEvent);
        const step = stepLine(state, input as LineInput);
        expect(lineStateNames[step.next]).to.equal(stateOf(next));
        expect(step.wake).to.equal(actions.some((action) => action.type === 'wakeHandler'));
        state = step.next;
        snapshot = next;
        steps++;
      }
      expect(lineStateNames[state]).to.equal(stateOf(path.state));
    }
    expect(steps).to.be.greaterThan(paths.length);
  });

  it('stepLine agrees with the machine on every event sequence of up to 5 events (all 19 607 steps)', () => {
    const depthMax = 5;
    let steps = 0;
    const walk = (state: LineState, snapshot: AnyMachineSnapshot, depth: number): void => {
      if (depth === depthMax) return;
      for (let input = 0; input < lineInputEvents.length; input++) {
        const [next, actions] = transition(lineMachine, snapshot as never, lineInputEvents[input]!);
        const step = stepLine(state, input as LineInput);
        steps++;
        if (lineStateNames[step.next] !== stateOf(next) || step.wake !== actions.length > 0) {
          expect.fail(
            `${lineStateNames[state]} + ${eventLabel(lineInputEvents[input]!)}: table says ${lineStateNames[step.next]}, machine says ${stateOf(next)}`,
          );
        }
        walk(step.next, next, depth + 1);
      }
    };
    walk(Line.idle, lineMachine.resolveState({ value: 'idle' }), 0);
    expect(steps).to.equal(7 + 49 + 343 + 2_401 + 16_807);
  });
});
