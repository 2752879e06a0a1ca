import type { Observable } from 'rxjs';
import type { Clock } from '../drivers/clock/clock.js';
import { createSimulatedClock, type SimulatedClock } from '../drivers/clock/simulated.js';
import { availableCpus } from '../drivers/machine/available-cpus.js';
import type { Random } from '../drivers/random/random.js';
import { createSeededRandom } from '../drivers/random/seeded.js';
import { describeError, SubsystemNotBootedError, UsageError } from '../ground/errors.js';
import type { Message } from '../ground/message.js';
import type { Pid } from '../ground/pid.js';
import type { SchedControl } from '../protocols/sched.js';
import { validatePlainData } from '../protocols/schema.js';
import type { CpuHost, CpuJoin } from '../actors/cpu/hosts/cpu-host.js';
import { startSimulatedCpus } from '../actors/cpu/hosts/simulated-host.js';
import { startWorkerCpus } from '../actors/cpu/hosts/worker-host.js';
import type { WorkerKernelOptions } from '../actors/cpu/hosts/worker-protocol.js';
import { cpuRingBytesDefault } from '../actors/cpu/limits.js';
import { type AnySubsystem, isSubsystemName, type KernelHandle, type Subsystem } from '../actors/plugin/subsystem.js';
import type { Behavior } from '../actors/runtime/behavior.js';
import type { DeadLetter, DroppedReports, KernelEvent } from '../actors/runtime/events.js';
import type { ChildFailure, KernelCore } from '../actors/runtime/kernel-core.js';
import type { ActorRef } from '../actors/runtime/ref.js';
import type { SpawnOptions } from '../actors/runtime/spawn-options.js';
import type { KernelStatus } from '../actors/runtime/status.js';
import { scheduling } from '../actors/scheduler/subsystem.js';
import type { BootOptions } from './boot-options.js';
import { bootCpu, type CpuBoot } from './boot-cpu.js';
import { reservedSubsystemNames } from './kernel-tree.js';
import { defaultSubsystems } from './subsystems.js';

/**
 * A booted kernel: spawns actors, runs them, supervises them, and tells what happens. It is the
 * public face of CPU 0's kernel core; `Kernel.boot` wires the runtime, the scheduler, the CPUs and
 * the subsystems together.
 *
 * @example
 * ```ts
 * const kernel = await Kernel.boot();
 * const counter = kernel.spawn(Counter, { name: 'counter' });
 * counter.tell({ type: 'add', n: 2 });
 * console.log(await counter.ask({ type: 'get' })); // 2
 * await kernel.shutdown();
 * ```
 */
export class Kernel implements KernelHandle {
  /** @internal The kernel core of CPU 0 (tests and kernel code reach the internals through it). */
  readonly core: KernelCore;
  /** @internal The other CPUs, on a multi-CPU kernel. */
  readonly cpuHost: CpuHost | null;
  private readonly handles: ReadonlyMap<string, () => unknown>;
  private readonly booted: readonly AnySubsystem[];
  private readonly threadBoots: readonly CpuBoot[];
  private threadFaces: readonly Kernel[] | null = null;

  private constructor(boot: CpuBoot, subsystems: readonly AnySubsystem[], cpuHost: CpuHost | null, threadBoots: readonly CpuBoot[] = [boot]) {
    this.core = boot.core;
    this.handles = boot.handles;
    this.booted = subsystems;
    this.cpuHost = cpuHost;
    this.threadBoots = threadBoots;
  }

  /**
   * @internal The kernels of every CPU that runs in this thread, by CPU number: all of a simulated
   * machine's, only this one where the other CPUs are worker threads.
   */
  threadKernels(): readonly Kernel[] {
    return (this.threadFaces ??= this.threadBoots.map((boot) => (boot.core === this.core ? this : new Kernel(boot, this.booted, null, this.threadBoots))));
  }

  /**
   * Boots a kernel: `root → sched, irq, apps → user` by default (see `BootOptions.subsystems`).
   * With `cpus > 1` it boots every CPU and returns CPU 0's kernel.
   */
  static async boot(options: BootOptions = {}): Promise<Kernel> {
    const subsystems = checkSubsystems(options.subsystems ?? defaultSubsystems);
    const simulated = options.mode === 'simulated';
    const cpus = options.cpus ?? ((options.modules?.length ?? 0) > 0 && !simulated ? availableCpus() : 1);
    if (!Number.isInteger(cpus) || cpus < 1) throw new RangeError(`cpus must be a positive integer, got ${cpus}`);
    if (cpus === 1) return new Kernel(bootCpu(options, subsystems, null), subsystems, null);
    const boots: CpuBoot[] = [];
    const bootOne = async (join: CpuJoin) => {
      const boot = bootCpu(options, subsystems, join);
      boots.push(boot);
      return { core: boot.core, state: boot.state, node: boot.node! };
    };
    const ringBytes = options.ringBytes ?? cpuRingBytesDefault;
    const modules = options.modules ?? [];
    if (simulated) {
      const clock = options.clock ?? createSimulatedClock();
      if (clock.kind !== 'simulated') throw new UsageError('simulated CPUs need a simulated clock');
      const random = options.random ?? createSeededRandom(options.seed ?? 0);
      const { host } = await startSimulatedCpus({ cpus, clock: clock as SimulatedClock, random, modules, ringBytes }, bootOne);
      return new Kernel(boots[0]!, subsystems, host, boots);
    }
    const entry = new URL('./worker-entry.js', import.meta.url);
    const { host } = await startWorkerCpus(
      { cpus, modules, ringBytes, heapMbMax: options.workerHeapMbMax, entry, kernelOptions: workerOptionsOf(options, subsystems) },
      bootOne,
    );
    return new Kernel(boots[0]!, subsystems, host);
  }

  get mode(): 'real' | 'simulated' {
    return this.core.mode;
  }

  get clock(): Clock {
    return this.core.clock;
  }

  get random(): Random {
    return this.core.random;
  }

  /** The CPU this kernel is (0: the main thread). */
  get cpu(): number {
    return this.core.cpu;
  }

  /** CPUs this kernel's machine runs. */
  get cpus(): number {
    return this.core.cpus;
  }

  /** The seed every random choice of this kernel derives from: log it to replay a run. */
  get seed(): number {
    return this.core.seed;
  }

  /** Default mailbox bound of actors that set none. */
  get mailboxCapacity(): number {
    return this.core.mailboxCapacity;
  }

  /**
   * The simulated clock of a simulated kernel, to drive virtual time from a test:
   * `await kernel.simulatedClock.runUntilIdle()`. Throws `UsageError` on a real kernel.
   */
  get simulatedClock(): SimulatedClock {
    return this.core.simulatedClock;
  }

  get isStopped(): boolean {
    return this.core.isStopped;
  }

  /** Resolves once the kernel has stopped, by `shutdown()` or because its root supervisor gave up. */
  get whenStopped(): Promise<void> {
    return this.core.whenStopped;
  }

  /**
   * The causal event stream (spawn, stop, restart, send, receive, transition, fault, dead-letter,
   * timer) of every CPU: the other CPUs trace, and send CPU 0 their events, only while someone
   * watches it. Each event names its `cpu`; ids are unique across CPUs, so a `cause` names one
   * event whichever CPU it happened on, and a message to another CPU links the two.
   *
   * @example
   * ```ts
   * const subscription = kernel.events.subscribe((event) => console.log(event.cpu, event.id, event.kind, '←', event.cause));
   * subscription.unsubscribe(); // the other CPUs stop tracing
   * ```
   */
  get events(): Observable<KernelEvent> {
    return this.core.events;
  }

  /** Every message that could not be delivered, on any CPU, with its sender, its CPU and the reason. */
  get deadLetters(): Observable<DeadLetter> {
    return this.core.deadLetters;
  }

  /**
   * Every child failure on any CPU, including those a supervisor restarts automatically: a crash
   * on a worker CPU shows here, with its CPU, its actor, and its error's name, message, code and
   * stack (see `ChildFailure`).
   *
   * @example
   * ```ts
   * kernel.failures.subscribe(({ cpu, actor, error }) => console.error(`cpu ${cpu}: ${actor} failed`, error));
   * ```
   */
  get failures(): Observable<ChildFailure> {
    return this.core.failures;
  }

  /**
   * Reports other CPUs dropped rather than send: failures, dead letters or events that came faster
   * than their bounded queues to CPU 0 could carry (a crash storm). What `failures`, `deadLetters`
   * and `events` do not show is counted here.
   */
  get droppedReports(): Observable<DroppedReports> {
    return this.core.droppedReports;
  }

  /** Messages that could not be delivered on this CPU since boot (`deadLetters` shows every CPU's). */
  get deadLetterCount(): number {
    return this.core.deadLetterCount;
  }

  /** The pid of the actor running now on this CPU, 0 outside any actor. */
  get currentPid(): Pid {
    return this.core.currentPid;
  }

  /**
   * Spawns a top-level user actor (under the `apps` subtree), here or on the CPU `options.cpu`
   * names. It is not restarted if it crashes: spawn a supervisor (see `supervisor()`) to get restarts.
   */
  spawn<M extends Message>(behavior: Behavior<M>, options?: SpawnOptions): ActorRef<M> {
    return this.core.spawn(behavior, options);
  }

  /**
   * Resolves with `ref` once its actor exists. Only a spawn on another CPU has to wait (its CPU
   * picks the pid); it rejects with `SpawnFailedError` if that CPU refused the spawn.
   */
  spawned<M extends Message>(ref: ActorRef<M>): Promise<ActorRef<M>> {
    return this.core.spawned(ref);
  }

  /**
   * The actor registered under `name`, if it is alive: one of this CPU's first, else one another
   * CPU announced (names outside the per-CPU `kernel.` namespace are announced to every CPU).
   */
  lookup<M extends Message = never>(name: string): ActorRef<M> | undefined {
    return this.core.lookup<M>(name);
  }

  /** The ref of a live actor by pid. */
  refOf<M extends Message = never>(pid: Pid): ActorRef<M> | undefined {
    return this.core.refOf<M>(pid);
  }

  /** Stops an actor (and its subtree) with reason `shutdown`; resolves when it is gone. */
  stop(ref: ActorRef<never>): Promise<void> {
    return this.core.stop(ref);
  }

  /**
   * Stops the whole tree gracefully: children stop in reverse start order, each within its
   * shutdown timeout, then the other CPUs. Asks still in flight fail with `KernelStoppedError`.
   */
  shutdown(): Promise<void> {
    return this.core.shutdown();
  }

  /** A snapshot of the tree: every actor with its status and queue lengths, and what subsystems add. */
  status(): KernelStatus {
    return this.core.status();
  }

  /**
   * Snapshots of every CPU's tree, by CPU number: this one's at once, the others' from their CPUs
   * (a rejection names a CPU that is down or did not answer within `deadlineMs`).
   *
   * @example
   * ```ts
   * for (const status of await kernel.cpuStatuses()) console.log(formatStatus(status));
   * ```
   */
  cpuStatuses(options: { readonly deadlineMs?: number } = {}): Promise<KernelStatus[]> {
    return this.core.cpuStatuses(options);
  }

  /**
   * The handle of a subsystem this kernel booted: `kernel.subsystem(interrupts)` is this CPU's
   * interrupt controller, `kernel.subsystem(scheduling)` its scheduler actor. Throws
   * `SubsystemNotBootedError` for one that was not in `BootOptions.subsystems`.
   */
  subsystem<THandle, TOptions>(subsystem: Subsystem<THandle, TOptions>): THandle {
    const handle = this.handles.get(subsystem.name);
    if (handle === undefined) throw new SubsystemNotBootedError(subsystem.name);
    return handle() as THandle;
  }

  /** The subsystems this kernel booted, in boot order. */
  get subsystems(): readonly AnySubsystem[] {
    return this.booted;
  }

  /**
   * This CPU's scheduler actor (protocols/sched.ts): set priorities, pin, migrate, read stats.
   * Short for `kernel.subsystem(scheduling)`.
   *
   * @example
   * ```ts
   * await kernel.scheduler.ask({ type: 'sched.set-priority', pid: indexer.pid, priority: 4 });
   * const { load, actors } = await kernel.scheduler.ask({ type: 'sched.stats' });
   * ```
   */
  get scheduler(): ActorRef<SchedControl> {
    return this.subsystem(scheduling);
  }
}

/** Refuses a subsystem list a kernel could not boot: two with one name, one that is not defined, options that are not plain data. */
function checkSubsystems(subsystems: readonly AnySubsystem[]): readonly AnySubsystem[] {
  const names = new Set<string>();
  for (const subsystem of subsystems) {
    if (typeof subsystem?.start !== 'function' || typeof subsystem.name !== 'string')
      throw new TypeError('BootOptions.subsystems takes subsystems made by defineSubsystem()');
    if (!isSubsystemName(subsystem.name)) throw new TypeError(`subsystem name '${subsystem.name}' is not a subsystem name (lower case, digits and '-')`);
    if (reservedSubsystemNames.has(subsystem.name)) throw new TypeError(`subsystem name '${subsystem.name}' is the kernel's own (kernel.${subsystem.name})`);
    if (names.has(subsystem.name)) throw new TypeError(`two subsystems are named '${subsystem.name}'`);
    names.add(subsystem.name);
    // They travel to worker CPUs, by postMessage: a clear error now rather than a clone error later.
    try {
      if (subsystem.options !== undefined) validatePlainData(subsystem.options, 'options');
    } catch (error) {
      throw new TypeError(`subsystem '${subsystem.name}': its options must be plain data (they travel to worker CPUs): ${describeError(error)}`, {
        cause: error,
      });
    }
  }
  return subsystems;
}

/** The plain-data options a worker CPU's kernel boots with: the host's, and where its subsystems are exported. */
function workerOptionsOf(options: BootOptions, subsystems: readonly AnySubsystem[]): WorkerKernelOptions {
  const { batchMessagesMax, mailboxCapacity, askDeadlineMs, crossCpuOverflow, outboxWaitMs, seed, scheduler } = options;
  const plain = Object.fromEntries(
    Object.entries({ batchMessagesMax, mailboxCapacity, askDeadlineMs, crossCpuOverflow, outboxWaitMs, seed, scheduler }).filter(
      ([, value]) => value !== undefined,
    ),
  );
  return { ...plain, subsystems: subsystems.map(({ module, name, options: subsystemOptions }) => ({ module, name, options: subsystemOptions })) };
}
