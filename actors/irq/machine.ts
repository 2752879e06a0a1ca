import { definedOnFirstCall, xstate } from '../runtime/lazy-packages.js';
import type { LineEvent } from '../../protocols/irq.js';

/** The type of the machine `lineMachine()` returns. */
export type LineMachine = ReturnType<typeof defineLineMachine>;

/**
 * One interrupt line (OSv's MSI-X entry plus its handler thread's wait), as an xstate v5 machine:
 * states and transitions only, no ring, no clock, no I/O.
 *
 * - `idle`: unmasked, nothing recorded. A raise masks the line, marks it pending and wakes the
 *   handler, once (`wakeHandler`).
 * - `pending`: raised and woken, the handler's wake has not run yet. Further raises only record
 *   into the ring (no transition: the ISR on the hot path never calls xstate).
 * - `inService`: the handler is draining; the line stays masked. When the batch is done the handler
 *   unmasks and looks at the ring once more: `more` re-pends (a new wake, so other actors get their
 *   turn first), `empty` goes idle. That re-check closes the lost-wakeup race.
 * - `masked`: masked by software. Events are still recorded; nobody is woken until `irq.unmask`,
 *   which re-pends if anything came meanwhile. A wake already queued when the mask came finds the
 *   line masked and does nothing (`irq.service-start` is ignored here).
 *
 * The controller does not interpret this machine per event: `line.ts` compiles it once, at the
 * first step, into a table of pure steps taken per wake.
 *
 * @example
 * ```ts
 * const machine = lineMachine(); // defined at the first call, which loads xstate
 * const [pending, actions] = transition(machine, machine.resolveState({ value: 'idle' }), { type: 'irq.raise' });
 * pending.value; // 'pending'
 * actions.map((a) => a.type); // ['wakeHandler']
 * ```
 */
/** The machine's id, as the lines' steps are traced (without loading xstate). */
export const lineMachineId = 'irqLine';

export const lineMachine: () => LineMachine = definedOnFirstCall(defineLineMachine);

/** Defines the machine; xstate loads here, at the first call of `lineMachine()`. */
function defineLineMachine() {
  const { setup } = xstate();
  return setup({
    types: {} as { events: LineEvent },
    guards: {
      ringHasMore: ({ event }) => (event.type === 'irq.drain-done' || event.type === 'irq.unmask') && event.ring === 'more',
    },
    actions: {
      // The effect the controller implements: queue the handler's wake through the system lane.
      wakeHandler: () => {},
    },
  }).createMachine({
    id: lineMachineId,
    initial: 'idle',
    states: {
      idle: {
        on: {
          'irq.raise': { target: 'pending', actions: 'wakeHandler' },
          'irq.mask': { target: 'masked' },
        },
      },
      pending: {
        on: {
          'irq.service-start': { target: 'inService' },
          'irq.mask': { target: 'masked' },
        },
      },
      inService: {
        on: {
          'irq.drain-done': [{ guard: 'ringHasMore', target: 'pending', actions: 'wakeHandler' }, { target: 'idle' }],
          'irq.mask': { target: 'masked' },
        },
      },
      masked: {
        on: {
          'irq.unmask': [{ guard: 'ringHasMore', target: 'pending', actions: 'wakeHandler' }, { target: 'idle' }],
        },
      },
    },
  });
}
