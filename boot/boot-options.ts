import type { Clock } from '../drivers/clock/clock.js';
import type { SimulatedClock } from '../drivers/clock/simulated.js';
import type { Random } from '../drivers/random/random.js';
import type { ModuleList } from '../actors/cpu/catalog.js';
import type { CrossCpuOverflow } from '../actors/cpu/outbox.js';
import type { AnySubsystem } from '../actors/plugin/subsystem.js';
import type { ActorRef } from '../actors/runtime/ref.js';

/**
 * How to boot a kernel. The same kernel runs for real (real clock, random seed) or simulated
 * (virtual clock, seeded choices); pass drivers explicitly to combine them differently.
 *
 * @example
 * ```ts
 * const kernel = await Kernel.boot({ mode: 'simulated', seed: 42 });
 * const wide = await Kernel.boot({ cpus: 4, modules: [new URL('./actors.js', import.meta.url)] });
 * ```
 */
export interface BootOptions {
  /** `real` (default) or `simulated`: picks the default clock and random drivers. */
  readonly mode?: 'real' | 'simulated';
  /** Overrides the clock driver. */
  readonly clock?: Clock;
  /** Overrides the random driver. */
  readonly random?: Random;
  /**
   * Simulated kernels only: wraps the clock each CPU reads (CPU 0's too, on a one-CPU kernel), given
   * the CPU's number and the clock it would have. The simulation harness skews one CPU's time this
   * way (drivers/clock/skewed.ts); the clock that drives the machine stays the one underneath.
   */
  readonly cpuClock?: (cpu: number, clock: SimulatedClock) => SimulatedClock;
  /** Seed of the random driver (simulated default 0; real default: drawn, and kept in `kernel.seed`); every CPU of the machine takes the same. */
  readonly seed?: number;
  /**
   * The subsystems to start, in order, each under a supervisor `kernel.<name>` (default
   * `defaultSubsystems`: the scheduler and the interrupts). Exactly these boot; none is empty.
   */
  readonly subsystems?: readonly AnySubsystem[];
  /** Messages per actor turn (default 100). */
  readonly batchMessagesMax?: number;
  /**
   * The run policy: `fair` (default) is OSv's scheduler (priorities, time slices, a real-time class,
   * see actors/sched/); `fifo` is plain round robin, slightly faster, without priorities.
   */
  readonly scheduler?: 'fair' | 'fifo';
  /**
   * Simulated kernels only: the virtual CPU time, in ms, each handled message takes (a number for
   * all, or a function of the message and actor). Virtual time otherwise stands still while actors
   * run, so CPU-bound behaviour (fairness, slices, preemption) needs a cost to be visible.
   */
  readonly simulatedCostMs?: number | ((message: unknown, actor: ActorRef<never>) => number);
  /** Default mailbox bound for actors that do not set one (default 1000). */
  readonly mailboxCapacity?: number;
  /** Default ask deadline (default 5000 ms). */
  readonly askDeadlineMs?: number;
  /**
   * CPUs to run. Real mode: CPU 0 is the main thread (where `kernel.spawn` without `cpu` puts
   * actors, next to the embedding code) and CPUs 1..N-1 are worker threads. Simulated mode: N CPUs
   * in this thread, stepped in an order drawn from the seed. Default: the machine's available
   * parallelism when `modules` are given (real mode), else 1, since without boot modules no other
   * CPU could run anything.
   */
  readonly cpus?: number;
  /**
   * Modules whose exported behaviours may start on any CPU (absolute paths or URLs, e.g.
   * `new URL('./counter.js', import.meta.url)`). Every CPU imports them at boot.
   */
  readonly modules?: ModuleList;
  /** What a full ring to another CPU does with a message (default `wait`, see actors/cpu/outbox.ts). */
  readonly crossCpuOverflow?: CrossCpuOverflow;
  /** How long a message may wait for ring space under `wait` (default 5000 ms). */
  readonly outboxWaitMs?: number;
  /**
   * Bytes the outbox to each other CPU may hold under `wait` (default 16 MiB). Senders park long
   * before (see actors/cpu/outbox.ts); only one turn that sends this much, or what nothing parks
   * (code outside any actor, mail forwarded for actors that moved), reaches it, and what is past it
   * is a `ring-full` dead letter.
   */
  readonly outboxBytesMax?: number;
  /** Data bytes of each ring between two CPUs (a power of two, default 256 KiB). */
  readonly ringBytes?: number;
  /**
   * Memory bound of each worker CPU, in MiB (default: Node's own heap bound, buffers unbounded): V8's
   * old generation, and apart from it the ArrayBuffers the worker holds and the SharedArrayBuffers it
   * allocates (checked every 50 ms, `BufferMemoryError`). A worker past it dies alone, as by any other
   * fatal error, and its supervisor restarts it: a leaking actor costs its CPU a restart, not the process.
   */
  readonly workerHeapMbMax?: number;
}
