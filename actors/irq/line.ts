import type { LineEvent, LineStateName, RingLevel } from '../../protocols/irq.js';
import { assert, invariantBroken } from '../../ground/assert.js';
import { xstate } from '../runtime/lazy-packages.js';
import { lineMachine } from './machine.js';

/**
 * The line machine as a table of pure steps, compiled from `lineMachine` once when this module
 * loads. The controller steps a line per wake (a few per thousand events in a storm), so it reads
 * this table instead of resolving xstate transitions: the machine stays the single source of
 * truth, and the hot path pays an array load.
 */

/** Line states as small integers, in the machine's order. */
export const Line = { idle: 0, pending: 1, inService: 2, masked: 3 } as const;
export type LineState = (typeof Line)[keyof typeof Line];

/** Line events as small integers: each variant of `LineEvent` with its ring level gets its own. */
export const LineInput = {
  raise: 0,
  serviceStart: 1,
  drainDoneEmpty: 2,
  drainDoneMore: 3,
  mask: 4,
  unmaskEmpty: 5,
  unmaskMore: 6,
} as const;
export type LineInput = (typeof LineInput)[keyof typeof LineInput];

/** The outcome of one event in one state. `changed` is false when the machine ignores the event. */
export interface LineStep {
  readonly next: LineState;
  readonly wake: boolean;
  readonly changed: boolean;
}

export const lineStateNames: readonly LineStateName[] = ['idle', 'pending', 'inService', 'masked'];

/** The machine event behind each `LineInput`, in the same order. */
export const lineInputEvents: readonly LineEvent[] = [
  { type: 'irq.raise' },
  { type: 'irq.service-start' },
  { type: 'irq.drain-done', ring: 'empty' },
  { type: 'irq.drain-done', ring: 'more' },
  { type: 'irq.mask' },
  { type: 'irq.unmask', ring: 'empty' },
  { type: 'irq.unmask', ring: 'more' },
];

const inputCount = lineInputEvents.length;

/** The input for a drain-done or unmask, given what the ring holds. */
export function ringInput(kind: 'drain-done' | 'unmask', ring: RingLevel | number): LineInput {
  const more = typeof ring === 'number' ? ring > 0 : ring === 'more';
  if (kind === 'drain-done') return more ? LineInput.drainDoneMore : LineInput.drainDoneEmpty;
  return more ? LineInput.unmaskMore : LineInput.unmaskEmpty;
}

/**
 * The pure step: where `state` goes on `input`, and whether the handler must be woken.
 *
 * @example
 * ```ts
 * stepLine(Line.idle, LineInput.raise); // { next: Line.pending, wake: true, changed: true }
 * stepLine(Line.pending, LineInput.raise).changed; // false: the ISR only records
 * ```
 */
export function stepLine(state: LineState, input: LineInput): LineStep {
  return (steps ??= compile())[state * inputCount + input]!;
}

/**
 * The table, compiled at the first step rather than at import: running the machine through every
 * transition costs about 8 ms of a cold start, which a program that never allocates a line
 * should not pay.
 */
let steps: readonly LineStep[] | null = null;

function compile(): readonly LineStep[] {
  const table: LineStep[] = [];
  const machine = lineMachine();
  const { transition } = xstate();
  for (let state = 0; state < lineStateNames.length; state++) {
    const from = machine.resolveState({ value: lineStateNames[state]! });
    for (const event of lineInputEvents) {
      const [to, actions] = transition(machine, from, event);
      const name = to.value as LineStateName;
      const next = lineStateNames.indexOf(name);
      if (!(next >= 0)) invariantBroken(`line machine reached an unknown state '${String(to.value)}'`);
      const wake = actions.some((action) => action.type === 'wakeHandler');
      // Only the declared effect may run: anything else would be an effect the table drops.
      if (!actions.every((action) => action.type === 'wakeHandler')) invariantBroken(`line machine runs an unexpected action on ${event.type}`);
      table.push(Object.freeze({ next: next as LineState, wake, changed: next !== state || actions.length > 0 }));
    }
  }
  // Pair the table with the machine's basic promises, so a machine edit that breaks them fails at the first step.
  const at = (state: LineState, input: LineInput): LineStep => table[state * inputCount + input]!;
  assert(table.length === lineStateNames.length * inputCount, 'the line table covers every state and event');
  assert(at(Line.idle, LineInput.raise).wake && at(Line.idle, LineInput.raise).next === Line.pending, 'a raise on an idle line wakes the handler');
  for (const state of [Line.pending, Line.inService, Line.masked] as const) {
    assert(!at(state, LineInput.raise).changed, 'a raise on a busy or masked line only records');
  }
  return Object.freeze(table);
}
