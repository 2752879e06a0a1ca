/**
 * The scheduler actor's control messages (one scheduler actor per CPU, registered on that CPU as
 * `kernel.scheduler`). Actors are named by pid; a pid of another CPU is refused with a RangeError:
 * ask that CPU's scheduler.
 *
 * @example
 * ```ts
 * const scheduler = kernel.scheduler;
 * await scheduler.ask({ type: 'sched.set-priority', pid: worker.pid, priority: 4 });
 * await scheduler.ask({ type: 'sched.pin', pid: cache.pid });
 * const stats = await scheduler.ask({ type: 'sched.stats' });
 * ```
 */
import type { Ask } from '../ground/message.js';
import type { Pid } from '../ground/pid.js';

/** A CPU's scheduler state (the states of actors/sched/machine.ts). */
export type CpuStateValue = 'running' | 'idlePolling' | 'parked';

/** A latency histogram's summary (actors/sched/latency-histogram.ts). */
export interface LatencySnapshot {
  readonly count: number;
  /** Upper bounds in µs of the buckets holding the median, p99 and the maximum. */
  readonly p50Us: number;
  readonly p99Us: number;
  readonly maxUs: number;
  /** Counts per bucket, trailing empty buckets omitted. */
  readonly buckets: readonly number[];
}

/** One actor as the scheduler sees it. */
export interface SchedActorStats {
  readonly pid: Pid;
  readonly name: string | undefined;
  /** The number behind the priority (`realtime` is 1e-5, `idle` is Infinity). */
  readonly priority: number;
  readonly class: 'realtime' | 'fair' | 'idle';
  readonly state: 'running' | 'queued' | 'sleeping';
  /** Decayed runtime R, in priority · ms (OSv's units): what the run queue is ordered by. */
  readonly runtime: number;
  readonly pinned: boolean;
  /** Why the balancer leaves it here, if it tried and could not move it. */
  readonly stays: string | undefined;
}

export interface SchedStatsReply {
  readonly cpu: number;
  /** The CPU's scheduler state (see actors/sched/machine.ts). */
  readonly state: CpuStateValue;
  /** Runnable actors: queued plus running (the scheduler actor itself included). */
  readonly load: number;
  readonly runQueueLength: number;
  readonly switches: number;
  readonly preemptions: number;
  readonly renormalizations: number;
  /** Actors this CPU gave to others (balancer and `sched.migrate`). */
  readonly migrations: number;
  readonly balanceRounds: number;
  readonly wakeLatency: LatencySnapshot;
  /** The runnable actors and every actor the balancer could not move, most deserving first. */
  readonly actors: readonly SchedActorStats[];
}

export type SchedControl =
  /** Sets an actor's priority: a number in [0.001, 1000], `realtime` or `idle`. */
  | Ask<{ readonly type: 'sched.set-priority'; readonly pid: Pid; readonly priority: number | 'realtime' | 'idle' }, true>
  /** Keeps an actor on this CPU (the balancer never moves it). */
  | Ask<{ readonly type: 'sched.pin'; readonly pid: Pid }, true>
  | Ask<{ readonly type: 'sched.unpin'; readonly pid: Pid }, true>
  /** Moves an actor to `cpu` now; fails with an Error saying why it cannot move. Replies its new pid (0 until known). */
  | Ask<{ readonly type: 'sched.migrate'; readonly pid: Pid; readonly cpu: number }, true>
  | Ask<{ readonly type: 'sched.stats' }, SchedStatsReply>
  /** The balancer's period (sent by the scheduler to itself). */
  | { readonly type: 'sched.balance-tick' };
