/**
 * A CPU's scheduler state (running, idlePolling, parked), which drives the CPU: the CPU loop does
 * what it says. The xstate machine in machine.ts is the definition; this follows it as a table of
 * (state, event) → state, because the dispatcher reports on every drain and an xstate transition
 * costs about a microsecond. Events a state does not handle change nothing, as in the machine. The
 * machine is checked exhaustively, and the table against it, in test/actors/sched/machine.test.ts.
 *
 * @example
 * ```ts
 * const state = new CpuState();
 * state.send('sched.work-arrived'); // idlePolling → running
 * state.value;                       // 'running'
 * ```
 */
import { assert } from '../../ground/assert.js';
import type { CpuStateValue } from '../../protocols/sched.js';
import type { DrainListener } from '../runtime/dispatcher.js';
import { schedCpuEvents, type SchedCpuEvent } from './machine.js';

export type { CpuStateValue };
export type CpuStateEvent = SchedCpuEvent['type'];

const stateValues: readonly CpuStateValue[] = ['running', 'idlePolling', 'parked'];
const eventTypes: readonly CpuStateEvent[] = schedCpuEvents.map((event) => event.type);
/** The machine's initial state (the test checks it against the machine's). */
export const cpuStateInitial: CpuStateValue = 'idlePolling';
const initial = stateValues.indexOf(cpuStateInitial);

/**
 * next[state · events + event] → state, by index: the machine's transitions, written out. A lookup
 * runs twice per drain, and keyed loads on string-named rows cost as much as the rest of an ask's
 * bookkeeping. Written out rather than compiled from the machine at boot, because compiling ran 8–11
 * ms of cold xstate code in the first boot of every thread, each worker CPU's included, and loaded
 * xstate into kernels that never run a machine. The machine stays the definition:
 * test/actors/sched/machine.test.ts checks this table against every transition of it, and prints
 * the table to write here when they differ.
 */
// biome-ignore format: one row per state, one column per event (schedCpuEvents' order)
export const cpuStateTransitions = Uint8Array.of(
  /* running     */ 0, 1, 0, 0,
  /* idlePolling */ 0, 1, 2, 1,
  /* parked      */ 0, 2, 2, 1,
);
assert(cpuStateTransitions.length === stateValues.length * eventTypes.length, 'the CPU state table has a row per state and a column per event');

/**
 * The columns of `cpuStateTransitions` and the two the dispatcher reports, literals: it reports
 * twice per drain, where a module constant costs a context load and a hole check (see SchedLimit).
 */
// biome-ignore lint/suspicious/noConstEnum: file-local, inlined by tsc (no isolatedModules)
const enum Table {
  eventsPerState = 4,
  workArrived = 0,
  queueEmpty = 1,
}

/** The rows of `cpuStateTransitions` the dispatcher's two reports go to (literals, as `Table`). */
// biome-ignore lint/suspicious/noConstEnum: file-local, inlined by tsc (no isolatedModules)
const enum Row {
  running = 0,
  idlePolling = 1,
}
assert(eventTypes.length === Table.eventsPerState, 'the CPU state table has a column per event');
assert(
  eventTypes[Table.workArrived] === 'sched.work-arrived' && eventTypes[Table.queueEmpty] === 'sched.queue-empty',
  'the dispatcher’s reports are the machine’s events of their columns',
);
// The dispatcher's two reports run on every drain, written out so that V8 inlines them (a call of
// `take` each cost an ask from outside 34 instructions): they must say what the table says.
assert(stateValues[Row.running] === 'running' && stateValues[Row.idlePolling] === 'idlePolling', 'the states the reports name are the table’s rows of theirs');
for (let state = 0; state < stateValues.length; state++) {
  const afterWork = cpuStateTransitions[state * Table.eventsPerState + Table.workArrived];
  const afterDry = cpuStateTransitions[state * Table.eventsPerState + Table.queueEmpty];
  assert(afterWork === Row.running, 'work arriving makes every state running, as workArrived does');
  assert(afterDry === (state === Row.running ? Row.idlePolling : state), 'running dry takes running to idlePolling and leaves the others, as ranDry does');
}
const eventIndex = (type: CpuStateEvent): number => eventTypes.indexOf(type);

/** A CPU's scheduler state, read only: what the CPU does now. */
export interface CpuStateView {
  readonly value: CpuStateValue;
}

export class CpuState implements DrainListener, CpuStateView {
  private state = initial;
  private readonly next = cpuStateTransitions;
  private readonly enteredCounts = stateValues.map(() => 0);

  /** Transitions taken into each state since boot. */
  get entered(): Record<CpuStateValue, number> {
    return Object.fromEntries(stateValues.map((value, index) => [value, this.enteredCounts[index]])) as Record<CpuStateValue, number>;
  }

  get value(): CpuStateValue {
    return stateValues[this.state]!;
  }

  /** Dispatcher: a drain began. Every state goes to running (the table's column, checked at load). */
  workArrived(): void {
    if (this.state !== Row.running) this.enter(Row.running);
  }

  /** Dispatcher: a drain found nothing left to run. Only running goes on, to idlePolling (checked at load). */
  ranDry(): void {
    if (this.state === Row.running) this.enter(Row.idlePolling);
  }

  send(event: CpuStateEvent): void {
    this.take(eventIndex(event));
  }

  private take(event: number): void {
    const to = this.next[this.state * Table.eventsPerState + event]!;
    if (to !== this.state) this.enter(to);
  }

  private enter(to: number): void {
    this.state = to;
    this.enteredCounts[to]!++;
  }
}
