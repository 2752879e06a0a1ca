/**
 * The scheduler subsystem as a plug-in: on each CPU, the scheduler actor (scheduler-actor.ts), a
 * real-time child of the `sched` supervisor registered as `kernel.scheduler`, which answers the
 * control messages of protocols/sched.ts and runs the load balancer. The run policy itself (the
 * fair dispatcher, actors/sched/) is the kernel's, chosen with `BootOptions.scheduler`; this
 * subsystem is how programs steer it. Booted by default.
 *
 * @example
 * ```ts
 * const scheduler = kernel.subsystem(scheduling); // or kernel.scheduler
 * await scheduler.ask({ type: 'sched.set-priority', pid: indexer.pid, priority: 4 });
 * ```
 */
import { KernelStoppedError } from '../../ground/errors.js';
import type { SchedControl } from '../../protocols/sched.js';
import { defineSubsystem } from '../plugin/subsystem.js';
import type { ActorRef } from '../runtime/ref.js';
import { FairDispatcher } from '../sched/fair-dispatcher.js';
import type { Dispatcher } from '../runtime/dispatcher.js';
import { schedulerBehavior, schedulerName } from './scheduler-actor.js';

/** Shutdown time of the scheduler actor, in ms: it holds nothing to flush. */
const schedulerShutdownMs = 1_000;

export const scheduling = defineSubsystem<ActorRef<SchedControl>>({
  name: 'sched',
  module: import.meta.url,
  start(host) {
    return {
      // Looked up on each call: a restarted `sched` supervisor starts a new scheduler actor.
      handle: () => {
        const cell = host.kernel.registry.get(schedulerName);
        if (cell === undefined || host.kernel.isStopped) throw new KernelStoppedError('reach the scheduler of a stopped kernel');
        return cell.ref as ActorRef<SchedControl>;
      },
      children: [
        {
          id: 'scheduler',
          start: schedulerBehavior(host.cpuState),
          options: { name: schedulerName, priority: 'realtime' },
          restart: 'permanent',
          shutdown: schedulerShutdownMs,
        },
      ],
      status: () => schedStatus(host.cpuState.value, host.kernel.dispatcher),
    };
  },
});

/**
 * What the scheduler adds to a CPU's status (plain data, cheap: counters it keeps anyway): the CPU's
 * state, and under the fair scheduler its load, run-queue length, switches, preemptions, migrations
 * and wake latency. `sched.stats` asks the scheduler actor for the rest, actor by actor.
 */
function schedStatus(state: string, dispatcher: Dispatcher): object {
  if (!(dispatcher instanceof FairDispatcher)) return { state };
  const scheduler = dispatcher.scheduler;
  const { count, p50Us, p99Us } = dispatcher.wakeLatency.snapshot();
  return {
    state,
    load: scheduler.load,
    runQueueLength: scheduler.queuedCount,
    switches: scheduler.stats.switches,
    preemptions: scheduler.stats.preemptions,
    migrations: scheduler.stats.migrations,
    wakeLatency: { count, p50Us, p99Us },
  };
}
