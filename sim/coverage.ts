/**
 * Machine coverage under faults: which transitions of an xstate machine the runs of a campaign took,
 * against all the transitions the machine has (from `xstate/graph`, over the events given). A
 * transition never taken says the workload or the faults missed that part of the machine. Built from
 * the `transition` events of runs that kept their events, for the actors that run the machine.
 *
 * @example
 * ```ts
 * const runs = await Promise.all([0, 1, 2].map((seed) => runScenario(lights, { seed, keepEvents: true })));
 * const coverage = await machineCoverage(lightMachine, [{ type: 'timer' }, { type: 'power-failure' }], runs);
 * coverage.missed; // ['green --power-failure--> flashing', ...]
 * ```
 */
import type { AnyMachineSnapshot, AnyStateMachine, EventObject } from 'xstate';
import type { SimulationResult } from './run-scenario.js';

export interface MachineCoverage {
  readonly machine: string;
  /** Every transition that changes the state, as `from --event--> to`. */
  readonly transitions: readonly string[];
  readonly covered: readonly string[];
  readonly missed: readonly string[];
}

/** The events to explore the machine's graph with: the same in every state, or chosen per state. */
export type CoverageEvents = readonly EventObject[] | ((snapshot: AnyMachineSnapshot) => readonly EventObject[]);

export interface CoverageOptions {
  /** The machine's inputs: its graph is explored from each, and their transitions taken together. */
  readonly inputs?: readonly unknown[];
  /** The machine's state in a traced state's text, where the trace adds to it (default: the text as it is). */
  readonly stateOf?: (text: string) => string;
}

/** Transitions of `machine` over `events`, and which of them `runs` took. */
export async function machineCoverage(
  machine: AnyStateMachine,
  events: CoverageEvents,
  runs: readonly SimulationResult[],
  options: CoverageOptions = {},
): Promise<MachineCoverage> {
  // xstate loads here, when coverage is asked for, not with osprey/sim.
  const { getAdjacencyMap } = await import('xstate/graph');
  const eventsIn = typeof events === 'function' ? events : () => events;
  const all = new Set<string>();
  for (const input of options.inputs ?? [undefined]) {
    const adjacency = getAdjacencyMap(machine, {
      events: (snapshot) => [...eventsIn(snapshot as AnyMachineSnapshot)],
      ...(input !== undefined ? { input } : {}),
    });
    for (const { state, transitions } of Object.values(adjacency)) {
      for (const { event, state: next } of Object.values(transitions) as { event: EventObject; state: { value: unknown } }[]) {
        const from = stateText(state.value);
        const to = stateText(next.value);
        if (from !== to) all.add(`${from} --${event.type}--> ${to}`);
      }
    }
  }
  const stateOf = options.stateOf ?? ((text: string) => text);
  const taken = new Set<string>();
  for (const run of runs) {
    if (run.eventLog === undefined) throw new RangeError('machine coverage needs the events of each run: run them with keepEvents');
    for (const text of run.eventLog) {
      const event = JSON.parse(text) as { kind: string; machine?: string; from?: string; to?: string; event?: string };
      if (event.kind === 'transition' && event.machine === machine.id && event.from !== '' && event.from !== event.to) {
        taken.add(`${stateOf(event.from!)} --${event.event}--> ${stateOf(event.to!)}`);
      }
    }
  }
  const transitions = [...all].sort();
  return { machine: machine.id, transitions, covered: transitions.filter((edge) => taken.has(edge)), missed: transitions.filter((edge) => !taken.has(edge)) };
}

/** A state value as the runtime's traces write it: a name, or JSON for nested states. */
function stateText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
