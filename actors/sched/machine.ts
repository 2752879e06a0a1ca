import { definedOnFirstCall, xstate } from '../runtime/lazy-packages.js';

/** Events of a CPU's scheduler lifecycle, namespaced like the rest of the kernel's messages. */
export type SchedCpuEvent =
  /** The CPU runs actors: its dispatcher began a drain (local work: a timer, I/O, a call from embedding code). */
  | { readonly type: 'sched.work-arrived' }
  /** The running entity slept or left and the run queue is empty. */
  | { readonly type: 'sched.queue-empty' }
  /** The CPU polled its doorbell for its whole spin budget and found nothing. */
  | { readonly type: 'sched.poll-budget-spent' }
  /** Another CPU notified this CPU's wait word (OSv's wakeup IPI). */
  | { readonly type: 'sched.wake' };

/** Every event, for exhaustive checks. */
export const schedCpuEvents: readonly SchedCpuEvent[] = [
  { type: 'sched.work-arrived' },
  { type: 'sched.queue-empty' },
  { type: 'sched.poll-budget-spent' },
  { type: 'sched.wake' },
];

/** The type of the machine `schedCpuMachine()` returns. */
export type SchedCpuMachine = ReturnType<typeof defineSchedCpuMachine>;

/**
 * One CPU's scheduler lifecycle (OSv's `cpu::idle`/`do_idle`), as an xstate v5 machine: states and
 * transitions only, no queue, no clock, no I/O. It drives the CPU: the CPU loop
 * (actors/cpu/cpu-loop.ts) does what its state says.
 *
 * - `running`: entities run, turn after turn. When the last one sleeps and nothing is queued, the
 *   CPU goes idle-polling.
 * - `idlePolling`: spinning on the incoming-wakeup mask for a bounded time. A waker sets the mask
 *   bit and skips the notify, since the CPU's sleep flag is down (OSv's `idle_poll`). Work found:
 *   back to running. Budget spent: park.
 * - `parked`: its loop sleeps on its doorbell (OSv's `hlt`). Frames from other CPUs do not get it
 *   out unannounced, which is why a waker must notify a CPU whose sleep flag is up: the notify
 *   (`sched.wake`) makes it poll again, and that poll finds them. Local work does get it out, as an
 *   interrupt ends `hlt`: the CPU's event loop keeps running while its loop sleeps, and a drain it
 *   starts (`sched.work-arrived`) is the CPU running again.
 *
 * OSv's load balancer is a thread of its own, not a state of the CPU; here it is the scheduler
 * actor (actors/scheduler/), which runs like any actor.
 *
 * Ignored events (work arriving while running, a wake of a CPU that is not parked) change nothing.
 *
 * @example
 * ```ts
 * const machine = schedCpuMachine(); // defined at the first call, which loads xstate
 * const [next] = transition(machine, machine.resolveState({ value: 'idlePolling' }), { type: 'sched.poll-budget-spent' });
 * next.value; // 'parked'
 * ```
 */
export const schedCpuMachine: () => SchedCpuMachine = definedOnFirstCall(defineSchedCpuMachine);

/** Defines the machine; xstate loads here, at the first call of `schedCpuMachine()`. */
function defineSchedCpuMachine() {
  const { setup } = xstate();
  return setup({
    types: {} as { events: SchedCpuEvent },
  }).createMachine({
    id: 'schedCpu',
    initial: 'idlePolling',
    states: {
      running: {
        on: {
          'sched.queue-empty': { target: 'idlePolling' },
        },
      },
      idlePolling: {
        on: {
          'sched.work-arrived': { target: 'running' },
          'sched.poll-budget-spent': { target: 'parked' },
        },
      },
      parked: {
        on: {
          'sched.wake': { target: 'idlePolling' },
          'sched.work-arrived': { target: 'running' },
        },
      },
    },
  });
}
