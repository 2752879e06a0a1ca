import { setup } from 'xstate';

/**
 * Events of a CPU's scheduler lifecycle. (Namespaced like the rest of the kernel's messages; they
 * move to `protocols/sched.ts` when the scheduler is wired into the kernel.)
 */
export type SchedCpuEvent =
  /** The CPU found a runnable entity (its own wake, or a drained incoming-wakeup queue). */
  | { readonly type: 'sched.work-arrived' }
  /** The running entity slept or left and the run queue is empty. */
  | { readonly type: 'sched.queue-empty' }
  /** `idlePollCountMax` polls found nothing (the final re-check included). */
  | { readonly type: 'sched.poll-budget-spent' }
  /** Another CPU notified this CPU's wait word (OSv's wakeup IPI). */
  | { readonly type: 'sched.wake' }
  /** The `balancePeriodMs` timer fired. */
  | { readonly type: 'sched.balance-tick' }
  /** The balancer made its decision (and, if any, its migration). */
  | { readonly type: 'sched.balance-done' };

/** Every event, for exhaustive checks. */
export const schedCpuEvents: readonly SchedCpuEvent[] = [
  { type: 'sched.work-arrived' },
  { type: 'sched.queue-empty' },
  { type: 'sched.poll-budget-spent' },
  { type: 'sched.wake' },
  { type: 'sched.balance-tick' },
  { type: 'sched.balance-done' },
];

/**
 * One CPU's scheduler lifecycle (OSv's `cpu::idle`/`do_idle` and balancer thread), as an xstate v5
 * machine: states and transitions only, no queue, no clock, no I/O.
 *
 * - `running`: entities run, turn after turn. When the last one sleeps and nothing is queued, the
 *   CPU goes idle-polling. The balance timer interrupts it between turns.
 * - `idlePolling`: spinning on the incoming-wakeup mask, up to `idlePollCountMax` polls. While
 *   here the CPU advertises it (`announceIdlePoll`, OSv's `idle_poll = true`), so a waker only sets
 *   the mask bit and skips the notify. Work found: back to running. Budget spent: park.
 * - `parked`: blocked on its wait word (OSv's `hlt`). Only a notify (`sched.wake`) gets it out:
 *   it polls again, and that poll finds the work. Work arriving unannounced is not seen here,
 *   which is why a waker must notify a CPU that does not advertise idle polling.
 * - `balancing`: the balancer compares loads and may give one entity away; then running again.
 *   An idle CPU ignores the tick (OSv skips an empty run queue), so does a balancing one.
 *
 * Ignored events (work arriving while running, a wake of a CPU that is not parked) change nothing.
 *
 * @example
 * ```ts
 * const [next] = transition(schedCpuMachine, schedCpuMachine.resolveState({ value: 'idlePolling' }), { type: 'sched.poll-budget-spent' });
 * next.value; // 'parked'
 * ```
 */
export const schedCpuMachine = setup({
  types: {} as { events: SchedCpuEvent },
  actions: {
    // Effects the scheduler actor implements: the idle_poll flag wakers read, and the balancer run.
    announceIdlePoll: () => {},
    retractIdlePoll: () => {},
    runBalancer: () => {},
  },
}).createMachine({
  id: 'schedCpu',
  initial: 'idlePolling',
  states: {
    running: {
      on: {
        'sched.queue-empty': { target: 'idlePolling' },
        'sched.balance-tick': { target: 'balancing' },
      },
    },
    idlePolling: {
      entry: 'announceIdlePoll',
      exit: 'retractIdlePoll',
      on: {
        'sched.work-arrived': { target: 'running' },
        'sched.poll-budget-spent': { target: 'parked' },
      },
    },
    parked: {
      on: {
        'sched.wake': { target: 'idlePolling' },
      },
    },
    balancing: {
      entry: 'runBalancer',
      on: {
        'sched.balance-done': { target: 'running' },
      },
    },
  },
});

export type SchedCpuMachine = typeof schedCpuMachine;
