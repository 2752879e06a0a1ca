/**
 * A CPU's scheduler state (running, idlePolling, parked), which drives the CPU: the CPU loop does
 * what it says. The xstate machine in
 * machine.ts is the definition; this compiles it once, at load, into a table of (state, event) →
 * state, because the dispatcher reports on every drain and an xstate transition costs about a
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
import type { CpuStateValue } from '../../protocols/sched.js';
import type { DrainListener } from '../runtime/dispatcher.js';
import { schedCpuEvents, schedCpuMachine, type SchedCpuEvent } from './machine.js';

export type { CpuStateValue };
export type CpuStateEvent = SchedCpuEvent['type'];

const stateValues: readonly CpuStateValue[] = ['running', 'idlePolling', 'parked'];

/** next[state][event], from the machine: plain objects, as a lookup runs twice per drain. */
const next = {} as Record<CpuStateValue, Record<CpuStateEvent, CpuStateValue>>;
for (const value of stateValues) {
  const row = {} as Record<CpuStateEvent, CpuStateValue>;
  for (const event of schedCpuEvents) {
    const [snapshot] = transition(schedCpuMachine, schedCpuMachine.resolveState({ value }), event);
    row[event.type] = snapshot.value as CpuStateValue;
  }
  next[value] = row;
}
const initial = schedCpuMachine.config.initial as CpuStateValue;

/** A CPU's scheduler state, read only: what the CPU does now. */
export interface CpuStateView {
  readonly value: CpuStateValue;
}

export class CpuState implements DrainListener, CpuStateView {
  value: CpuStateValue = initial;
  /** Transitions taken into each state since boot. */
  readonly entered: Record<CpuStateValue, number> = { running: 0, idlePolling: 0, parked: 0 };

  /** Dispatcher: a drain began. */
  workArrived(): void {
    this.send('sched.work-arrived');
  }

  /** Dispatcher: a drain found nothing left to run. */
  ranDry(): void {
    this.send('sched.queue-empty');
  }

  send(event: CpuStateEvent): void {
    const to = next[this.value][event];
    if (to === this.value) return;
    this.value = to;
    this.entered[to]++;
  }
}
