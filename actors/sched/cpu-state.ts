/**
 * A CPU's scheduler state (running, idlePolling, parked), which drives the CPU: the CPU loop does
 * what it says. The xstate machine in machine.ts is the definition; this compiles it once, at the
 * first boot, into a table of (state, event) → state, because the dispatcher reports on every drain and an xstate transition costs about a
 * microsecond. Events a state does not handle change nothing, as in the machine. The machine itself
 * is checked exhaustively in test/actors/sched/machine.test.ts.
 *
 * @example
 * ```ts
 * const state = new CpuState();
 * state.send('sched.work-arrived'); // idlePolling → running
 * state.value;                       // 'running'
 * ```
 */
import { transition } from 'xstate';
import { assert } from '../../ground/assert.js';
import type { CpuStateValue } from '../../protocols/sched.js';
import type { DrainListener } from '../runtime/dispatcher.js';
import { schedCpuEvents, schedCpuMachine, type SchedCpuEvent } from './machine.js';

export type { CpuStateValue };
export type CpuStateEvent = SchedCpuEvent['type'];

const stateValues: readonly CpuStateValue[] = ['running', 'idlePolling', 'parked'];
const eventTypes: readonly CpuStateEvent[] = schedCpuEvents.map((event) => event.type);

/**
 * next[state · events + event] → state, by index, from the machine: a lookup runs twice per drain,
 * and keyed loads on string-named rows cost as much as the rest of an ask's bookkeeping. Compiled
 * at the first boot, not at import: running the machine through every transition takes about 8 ms
 * of cold xstate code, so worker CPUs adopt the main thread's table instead (adoptCpuStateTable).
 */
let next: Uint8Array | null = null;

/** This thread's table, compiled from the machine on first use. */
export function cpuStateTable(): Uint8Array {
  if (next !== null) return next;
  const table = new Uint8Array(stateValues.length * eventTypes.length);
  for (const [state, value] of stateValues.entries()) {
    for (const [index, event] of schedCpuEvents.entries()) {
      const [snapshot] = transition(schedCpuMachine, schedCpuMachine.resolveState({ value }), event);
      table[state * eventTypes.length + index] = stateValues.indexOf(snapshot.value as CpuStateValue);
    }
  }
  next = table;
  return table;
}

/**
 * Takes `table`, compiled by another thread from the same machine, as this thread's: a worker CPU
 * adopts the main thread's before its first boot. Refuses a table of the wrong shape.
 */
export function adoptCpuStateTable(table: Uint8Array): void {
  assert(
    table.length === stateValues.length * eventTypes.length && table.every((state) => state < stateValues.length),
    () => `a CPU state table has ${stateValues.length * eventTypes.length} entries below ${stateValues.length}, got [${table.join(', ')}]`,
  );
  next ??= table;
}
const eventIndex = (type: CpuStateEvent): number => eventTypes.indexOf(type);
const workArrivedEvent = eventIndex('sched.work-arrived');
const queueEmptyEvent = eventIndex('sched.queue-empty');
const initial = stateValues.indexOf(schedCpuMachine.config.initial as CpuStateValue);

/** A CPU's scheduler state, read only: what the CPU does now. */
export interface CpuStateView {
  readonly value: CpuStateValue;
}

export class CpuState implements DrainListener, CpuStateView {
  private state = initial;
  private readonly next = cpuStateTable();
  private readonly enteredCounts = stateValues.map(() => 0);

  /** Transitions taken into each state since boot. */
  get entered(): Record<CpuStateValue, number> {
    return Object.fromEntries(stateValues.map((value, index) => [value, this.enteredCounts[index]])) as Record<CpuStateValue, number>;
  }

  get value(): CpuStateValue {
    return stateValues[this.state]!;
  }

  /** Dispatcher: a drain began. */
  workArrived(): void {
    this.take(workArrivedEvent);
  }

  /** Dispatcher: a drain found nothing left to run. */
  ranDry(): void {
    this.take(queueEmptyEvent);
  }

  send(event: CpuStateEvent): void {
    this.take(eventIndex(event));
  }

  private take(event: number): void {
    const to = this.next[this.state * eventTypes.length + event]!;
    if (to === this.state) return;
    this.state = to;
    this.enteredCounts[to]!++;
  }
}
