/**
 * Memory pressure, as an xstate v5 machine (OSv's reclaimer loop): states and transitions only. The
 * reclaimer actor (reclaimer.ts) steps it with xstate's pure `transition`; pressure changes are rare,
 * so the step costs nothing that matters.
 *
 * - `normal`: free memory is above the low watermark.
 * - `pressure`: it fell below; nobody is being asked yet, or a round of shrinkers gave back too little.
 * - `reclaiming`: the shrinkers are being asked, soft first, then hard.
 * - `outOfMemory`: an allocation waited past its deadline and failed; memory stays short until
 *   something is freed, or another round of shrinkers finds some.
 *
 * @example
 * ```ts
 * const machine = pressureMachine();
 * const [next] = transition(machine, machine.resolveState({ value: 'normal' }), { type: 'vm.memory-low' });
 * next.value; // 'pressure'
 * ```
 */
import { definedOnFirstCall, xstate } from '../runtime/lazy-packages.js';

export type PressureState = 'normal' | 'pressure' | 'reclaiming' | 'outOfMemory';

export type PressureEvent =
  | { readonly type: 'vm.memory-low' }
  | { readonly type: 'vm.memory-ok' }
  | { readonly type: 'vm.reclaim-started' }
  | { readonly type: 'vm.reclaimed'; readonly enough: boolean }
  | { readonly type: 'vm.allocation-failed' };

/** One of each event, for exhaustive checks. */
export const pressureEvents: readonly PressureEvent[] = [
  { type: 'vm.memory-low' },
  { type: 'vm.memory-ok' },
  { type: 'vm.reclaim-started' },
  { type: 'vm.reclaimed', enough: true },
  { type: 'vm.reclaimed', enough: false },
  { type: 'vm.allocation-failed' },
];

export type PressureMachine = ReturnType<typeof definePressureMachine>;

/** The machine's id, as its steps are traced (without loading xstate). */
export const pressureMachineId = 'vmPressure';

export const pressureMachine: () => PressureMachine = definedOnFirstCall(definePressureMachine);

function definePressureMachine() {
  const { setup } = xstate();
  return setup({
    types: {} as { events: PressureEvent },
    guards: {
      enough: ({ event }) => event.type === 'vm.reclaimed' && event.enough,
    },
  }).createMachine({
    id: pressureMachineId,
    initial: 'normal',
    states: {
      normal: {
        on: { 'vm.memory-low': { target: 'pressure' } },
      },
      pressure: {
        on: {
          'vm.reclaim-started': { target: 'reclaiming' },
          'vm.memory-ok': { target: 'normal' },
          'vm.allocation-failed': { target: 'outOfMemory' },
        },
      },
      reclaiming: {
        on: {
          'vm.reclaimed': [{ guard: 'enough', target: 'normal' }, { target: 'pressure' }],
          'vm.allocation-failed': { target: 'outOfMemory' },
        },
      },
      outOfMemory: {
        on: {
          'vm.memory-ok': { target: 'normal' },
          'vm.reclaim-started': { target: 'reclaiming' },
        },
      },
    },
  });
}
