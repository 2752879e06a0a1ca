import type { Observable } from 'rxjs';
import type { Clock } from '../drivers/clock/clock.js';
import { createSimulatedClock, type SimulatedClock } from '../drivers/clock/simulated.js';
import { availableCpus } from '../drivers/machine/available-cpus.js';
import type { Random } from '../drivers/random/random.js';
import { createRealRandom } from '../drivers/random/real.js';
import { createSeededRandom } from '../drivers/random/seeded.js';
import { describeError, UsageError } from '../ground/errors.js';
import type { Message } from '../ground/message.js';
import { type Pid, pidCpu } from '../ground/pid.js';
import type { SchedControl } from '../protocols/sched.js';
import { validatePlainData } from '../protocols/schema.js';
import type { SimulatedCpuFaults } from '../actors/cpu/hosts/cpu-faults.js';
import type { CpuHost, CpuJoin, CpuRunState } from '../actors/cpu/hosts/cpu-host.js';
import type { WorkerKernelOptions } from '../actors/cpu/hosts/worker-protocol.js';
import { cpuRingBytesDefault } from '../actors/cpu/limits.js';
import { type AnySubsystem, configure, isSubsystemName, type KernelHandle, type Subsystem } from '../actors/plugin/subsystem.js';
import type { Behavior } from '../actors/runtime/behavior.js';
import type { DeadLetter, DroppedReports, KernelEvent } from '../actors/runtime/events.js';
import type { ChildFailure, KernelCore } from '../actors/runtime/kernel-core.js';
import type { ActorRef } from '../actors/runtime/ref.js';
import type { SpawnOptions, SpawnOptionsFor } from '../actors/runtime/spawn-options.js';
import type { MachineGraph } from '../actors/runtime/machine-graph.js';
import type { ActorStateValue, KernelStatus } from '../actors/runtime/status.js';
import type { AnyStateMachine } from 'xstate';
import type { ExitReason } from '../actors/runtime/signals.js';
import { scheduling } from '../actors/scheduler/subsystem.js';
import type { BootOptions } from './boot-options.js';
import { bootCpu, type CpuBoot } from './boot-cpu.js';
import { reservedSubsystemNames } from './kernel-tree.js';
import { type RunBounds, runUntilSettled } from './simulated-driving.js';
import { defaultSubsystems } from './subsystems.js';
import { AwaitedOperations, checkUndrivenAtExit } from './undriven-exit.js';

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
 *
 * A simulated kernel runs on virtual time, which moves only when the program drives it:
 *
 * ```ts
 * const kernel = await Kernel.boot({ mode: 'simulated', seed: 7 });
 * const counter = kernel.spawn(Counter, { name: 'counter' });
 * counter.tell({ type: 'add', n: 2 });
 * console.log(await kernel.runUntil(counter.ask({ type: 'get' }))); // 2
 * await kernel.runUntil(kernel.shutdown());
 * ```
 */
export class Kernel implements KernelHandle {
  /** @internal The kernel core of CPU 0 (tests and kernel code reach the internals through it). */
  readonly core: KernelCore;
  /** @internal The other CPUs, on a multi-CPU kernel. */
  readonly cpuHost: CpuHost | null;
  private readonly booted: readonly AnySubsystem[];
  private readonly threadBoots: readonly CpuBoot[];
  private threadFaces: readonly Kernel[] | null = null;
  /** How many boots `threadFaces` was made from: a simulated CPU that boots again adds one. */
  private threadFacesFrom = 0;
  /** This simulated kernel's operations that wait on its clock, for its exit check; null otherwise. */
  private awaited: AwaitedOperations | null = null;

  private constructor(boot: CpuBoot, subsystems: readonly AnySubsystem[], cpuHost: CpuHost | null, threadBoots: readonly CpuBoot[] = [boot]) {
    this.core = boot.core;
    this.booted = subsystems;
    this.cpuHost = cpuHost;
    this.threadBoots = threadBoots;
  }

  /**
   * @internal The kernels of every CPU that runs in this thread, by CPU number: all of a simulated
   * machine's, only this one where the other CPUs are worker threads. A simulated CPU that crashed
   * is its dead kernel until it boots again, then its new one.
   */
  threadKernels(): readonly Kernel[] {
    if (this.threadFaces === null || this.threadFacesFrom !== this.threadBoots.length) {
      // Each boot of a CPU (its first, then one per restart) is in the boots, in order: its latest counts.
      const latest: CpuBoot[] = [];
      for (const boot of this.threadBoots) latest[boot.core.cpu] = boot;
      const earlier = this.threadFaces ?? [];
      this.threadFaces = latest.map(
        (boot) => earlier.find((face) => face.core === boot.core) ?? (boot.core === this.core ? this : new Kernel(boot, this.booted, null, this.threadBoots)),
      );
      this.threadFacesFrom = this.threadBoots.length;
    }
    return this.threadFaces;
  }

  /**
   * Boots a kernel: `root → sched, irq, apps → user` by default (see `BootOptions.subsystems`).
   * With `cpus > 1` it boots every CPU and returns CPU 0's kernel.
   */
  static async boot(options: BootOptions = {}): Promise<Kernel> {
    const simulated = options.mode === 'simulated';
    const cpus = options.cpus ?? ((options.modules?.length ?? 0) > 0 && !simulated ? availableCpus() : 1);
    if (!Number.isInteger(cpus) || cpus < 1) throw new RangeError(`cpus must be a positive integer, got ${cpus}`);
    const subsystems = checkSubsystems(options.subsystems ?? defaultSubsystems).map((subsystem) =>
      subsystem.prepare === undefined ? subsystem : configure(subsystem, subsystem.prepare(subsystem.options, { cpus, threaded: cpus > 1 && !simulated })),
    );
    if (options.cpuClock !== undefined && !simulated) throw new UsageError('cpuClock wraps simulated clocks: boot with { mode: "simulated" }');
    if (cpus === 1) {
      const oneCpu =
        options.cpuClock === undefined ? options : { ...options, clock: options.cpuClock(0, simulatedOnly(options.clock ?? createSimulatedClock())) };
      return new Kernel(bootCpu(oneCpu, subsystems, null), subsystems, null).checkedAtExit();
    }
    // The CPU layer is loaded only for a machine of several CPUs (see CpuNodeClass).
    const { CpuNode } = await import('../actors/cpu/cpu-node.js');
    // Real CPUs share one seed, drawn here when none is given: a worker that drew its own from the
    // operating system would first load Web Crypto, some 5 ms of its start.
    const cpuOptions = simulated ? options : { ...options, seed: options.seed ?? options.random?.seed ?? createRealRandom().seed };
    const boots: CpuBoot[] = [];
    const bootOne = async (join: CpuJoin) => {
      const boot = bootCpu(cpuOptions, subsystems, join, CpuNode);
      boots.push(boot);
      return { core: boot.core, state: boot.state, node: boot.node! };
    };
    const ringBytes = options.ringBytes ?? cpuRingBytesDefault;
    const modules = options.modules ?? [];
    if (simulated) {
      const clock = simulatedOnly(options.clock ?? createSimulatedClock());
      const random = options.random ?? createSeededRandom(options.seed ?? 0);
      const { startSimulatedCpus } = await import('../actors/cpu/hosts/simulated-host.js');
      const { host } = await startSimulatedCpus({ cpus, clock, random, modules, ringBytes, cpuClock: options.cpuClock }, bootOne);
      return new Kernel(boots[0]!, subsystems, host, boots).checkedAtExit();
    }
    const entry = new URL('./worker-entry.js', import.meta.url);
    const { startWorkerCpus } = await import('../actors/cpu/hosts/worker-host.js');
    const { host } = await startWorkerCpus(
      { cpus, modules, ringBytes, heapMbMax: options.workerHeapMbMax, entry, kernelOptions: workerOptionsOf(cpuOptions, subsystems) },
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
   * Where each CPU of this kernel's machine is now, by CPU number: `up`; `paused`, a simulated CPU
   * that `simulatedCpus.pause` stopped for a while; `down`, a CPU that died (a worker thread that
   * exited, until its restart is up; a simulated crash, until it boots again, if ever). Ask CPU 0's
   * kernel, the one `Kernel.boot` returned.
   *
   * @example
   * ```ts
   * kernel.simulatedCpus.crash(2);
   * kernel.cpuStates(); // ['up', 'up', 'down']
   * ```
   */
  cpuStates(): readonly CpuRunState[] {
    if (this.cpuHost !== null) return this.cpuHost.cpuStates();
    if (this.cpus === 1) return ['up'];
    throw new UsageError(`kernel.cpuStates() is CPU 0's to tell, and this is CPU ${this.cpu}'s kernel: ask the one Kernel.boot returned`);
  }

  /**
   * The faults a simulation can inject into the CPUs of a simulated kernel of several CPUs: pause
   * one for a while, or crash it, and boot it again or not (see `SimulatedCpuFaults`). CPU 0, the
   * thread that embeds the kernel, can be neither. Throws `UsageError` on a real kernel, on a
   * one-CPU kernel, and on the kernel of a CPU other than 0.
   *
   * @example
   * ```ts
   * const kernel = await Kernel.boot({ mode: 'simulated', seed: 7, cpus: 3, modules: [url] });
   * const counter = kernel.spawn(Counter, { cpu: 2 });
   * kernel.simulatedCpus.pause(2, 100);
   * kernel.simulatedCpus.crash(2, { restartAfterMs: 50 }); // asks waiting on `counter` fail with CpuDownError
   * await kernel.advance(50); // CPU 2 is back; `counter` is a fresh Counter behind the same ref
   * ```
   */
  get simulatedCpus(): SimulatedCpuFaults {
    const faults = this.cpuHost?.simulatedFaults;
    if (faults !== undefined) return faults;
    if (this.mode !== 'simulated') {
      throw new UsageError(
        'kernel.simulatedCpus injects faults into simulated CPUs, and this kernel runs real ones: boot it with { mode: "simulated", cpus: 2 }',
      );
    }
    const why = this.cpus === 1 ? 'this kernel runs CPU 0 alone' : `this is CPU ${this.cpu}'s kernel: ask the one Kernel.boot returned`;
    throw new UsageError(`kernel.simulatedCpus pauses and crashes CPUs 1 and up, and ${why}`);
  }

  /**
   * The simulated clock of a simulated kernel, the driver under `settle`, `advance`, `runUntil` and
   * `runUntilIdle` (all CPUs of a simulated machine share it). Throws `UsageError` on a real kernel.
   */
  get simulatedClock(): SimulatedClock {
    return this.core.simulatedClock;
  }

  /**
   * Runs everything that is ready on a simulated kernel now (messages, replies, spawns, and the work
   * their promise continuations start), without moving virtual time: timers and ask deadlines stay
   * pending. Rejects with `UsageError` on a real kernel.
   *
   * @example
   * ```ts
   * counter.tell({ type: 'add', n: 2 });
   * await kernel.settle(); // the counter has handled it; kernel.clock.now() has not moved
   * ```
   */
  async settle(): Promise<void> {
    await this.drivenClock('settle').advance(0);
  }

  /**
   * Moves a simulated kernel's virtual time forward by `ms`, running everything ready and every
   * timer due on the way, each at its due time. Rejects with `UsageError` on a real kernel.
   *
   * @example
   * ```ts
   * ticker.tell({ type: 'start', everyMs: 10 });
   * await kernel.advance(100); // the ticker has ticked 10 times; kernel.clock.now() is 100
   * ```
   */
  async advance(ms: number): Promise<void> {
    await this.drivenClock('advance').advance(ms);
  }

  /**
   * Drives a simulated kernel until `promise` settles, and returns what it settled to: the way to
   * await an ask, a spawn or a shutdown on virtual time. It runs what is ready, then moves virtual
   * time from one timer to the next (never further than needed), and stops once the promise has
   * settled and the work ready at that moment has run. (On a kernel whose handlers cost virtual CPU
   * time, `simulatedCostMs`, work may be ready at every moment: it stops right after the handler
   * during which the promise settled.)
   *
   * Rejects with the promise's own error if it rejects (an `AskTimeoutError` once an ask's deadline
   * passes in virtual time), and with `UnsettledError` if it cannot settle: `why: 'idle'` when the
   * kernel runs out of work with the promise pending, a deadlock that no amount of time would end;
   * `why: 'bound'` when the run reaches `bounds` first (one virtual hour, 10 000 000 callbacks by
   * default). Rejects with `UsageError` on a real kernel: there, await the promise itself.
   *
   * @example
   * ```ts
   * const kernel = await Kernel.boot({ mode: 'simulated', seed: 7 });
   * const counter = kernel.spawn(Counter);
   * const count = await kernel.runUntil(counter.ask({ type: 'get' })); // typed as number
   * await kernel.runUntil(slow.ask({ type: 'work' }, { deadlineMs: 60_000 }), { timeMsMax: 1_000 });
   * // UnsettledError (why: 'bound'): still pending after 0 virtual ms … the next timer is due at 60000 ms
   * ```
   */
  async runUntil<T>(promise: PromiseLike<T>, bounds: RunBounds = {}): Promise<T> {
    return runUntilSettled(
      this.drivenClock('runUntil'),
      this.threadKernels().map((kernel) => kernel.core),
      promise,
      bounds,
    );
  }

  /**
   * Drives a simulated kernel until nothing is left to do: no ready work, no timer. Returns the
   * clock callbacks it ran. A periodic timer never lets a kernel go idle, so the run is bounded
   * (`bounds`, one virtual hour by default) and throws `BoundExceededError` past it. Rejects with
   * `UsageError` on a real kernel.
   *
   * @example
   * ```ts
   * kernel.spawn(supervisor({ strategy: 'one-for-one', children }));
   * await kernel.runUntilIdle(); // every child started, every restart and backoff done
   * ```
   */
  async runUntilIdle(bounds: RunBounds = {}): Promise<number> {
    return this.drivenClock('runUntilIdle').runUntilIdle({ timeMsMax: bounds.timeMsMax, stepsMax: bounds.stepsMax });
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
   * names, with the behaviour's start arguments in `options.args` (required if it takes some). It
   * is not restarted if it crashes: spawn a supervisor (see `supervisor()`) to get restarts.
   *
   * @example
   * ```ts
   * const counter = kernel.spawn(Counter, { args: { start: 10 }, name: 'counter' });
   * ```
   */
  spawn<M extends Message, A = void>(behavior: Behavior<M, A>, ...options: SpawnOptionsFor<A>): ActorRef<M>;
  // The implementation takes the options as a plain parameter: a rest parameter would allocate an
  // array on every spawn (the signature above keeps `args` required where the behaviour takes some).
  spawn(behavior: Behavior<Message, never>, options?: SpawnOptions): ActorRef<Message> {
    return this.core.spawn(behavior, options);
  }

  /**
   * Resolves with `ref` once its actor exists and has started. Rejects with `StartFailedError` if its
   * constructor or `started` hook threw (the actor never ran and is stopped), or with
   * `SpawnFailedError` if another CPU refused the spawn. Only a spawn on another CPU has to wait.
   *
   * @example
   * ```ts
   * const db = await kernel.spawned(kernel.spawn(Database)); // throws if Database failed to start
   * ```
   */
  spawned<M extends Message>(ref: ActorRef<M>): Promise<ActorRef<M>> {
    return this.awaitedOn('spawned', this.core.spawned(ref));
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

  /**
   * The xstate machine that machine actor `pid` runs, and the state it is in now: what a diagram of
   * the live actor draws (osprey/inspector's `machineGraph(machine, state)`). Undefined when `pid`
   * is no machine actor, or lives on a worker CPU (a machine does not cross threads; a simulated
   * machine's CPUs are all here).
   *
   * @example
   * ```ts
   * const light = kernel.spawn(fromMachine(lightMachine));
   * kernel.machineOf(light.pid); // { machine: lightMachine, state: 'green' }
   * ```
   */
  machineOf(pid: Pid): { readonly machine: AnyStateMachine; readonly state: ActorStateValue | undefined } | undefined {
    return this.threadCoreOf(pid)?.localMachine(pid);
  }

  /**
   * The graph of the machine that machine actor `pid` runs, its current state lit, wherever the
   * actor runs: a worker CPU draws its own actor's machine and sends the drawing (plain data, see
   * osprey/inspector's `toMermaid` and `toDot`). Undefined when `pid` is no live machine actor;
   * rejects when its CPU does not answer within `deadlineMs` or goes down.
   *
   * @example
   * ```ts
   * // Light = fromMachine(lightMachine), exported by a module the kernel boots with (see BootOptions.modules)
   * const light = await kernel.spawned(kernel.spawn(Light, { cpu: 1 }));
   * const graph = await kernel.machineGraph(light.pid);
   * graph?.states.filter((state) => state.active).map((state) => state.id); // ['green']
   * ```
   */
  machineGraph(pid: Pid, options: { readonly deadlineMs?: number } = {}): Promise<MachineGraph | undefined> {
    // A CPU of this thread (a simulated machine's are all here) draws at once, without a frame.
    const local = this.threadCoreOf(pid);
    if (local !== undefined) return Promise.resolve(local.localMachineGraph(pid));
    return this.awaitedOn('machineGraph', this.core.machineGraph(pid, options));
  }

  /** The core of `pid`'s CPU when this thread runs it. */
  private threadCoreOf(pid: Pid): KernelCore | undefined {
    return this.threadKernels().find((kernel) => kernel.core.cpu === pidCpu(pid))?.core;
  }

  /** Stops an actor (and its subtree) with reason `shutdown`; resolves when it is gone. */
  stop(ref: ActorRef<never>): Promise<void> {
    return this.awaitedOn('stop', this.core.stop(ref));
  }

  /**
   * Sends `ref` an exit signal (OTP's `exit/2`) from outside any actor: `kill` ends it with reason
   * `killed` even if it traps exits; an actor that traps exits gets an `exit` signal; otherwise
   * `normal` is ignored and any other reason (`shutdown`, `{ shutdown: why }`, a plain value of your
   * own) ends its incarnation with that reason, and its supervisor decides what follows.
   *
   * @example
   * ```ts
   * kernel.exit(worker, { shutdown: 'rebalancing' }); // a transient worker is not restarted
   * kernel.exit(stuck, 'kill');                        // untrappable
   * ```
   */
  exit(ref: ActorRef<never>, reason: ExitReason | 'kill'): void {
    this.core.exit(ref, reason);
  }

  /**
   * Stops the whole tree gracefully: children stop in reverse start order, each within its
   * shutdown timeout, then the other CPUs. Asks still in flight fail with `KernelStoppedError`.
   */
  shutdown(): Promise<void> {
    return this.awaitedOn('shutdown', this.core.shutdown());
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
    return this.awaitedOn('cpuStatuses', this.core.cpuStatuses(options));
  }

  /**
   * The handle of a subsystem this kernel booted: `kernel.subsystem(interrupts)` is this CPU's
   * interrupt controller, `kernel.subsystem(scheduling)` its scheduler actor. Throws
   * `SubsystemNotBootedError` for one that was not in `BootOptions.subsystems`.
   */
  subsystem<THandle, TOptions>(subsystem: Subsystem<THandle, TOptions>): THandle {
    return this.core.subsystemHandle(subsystem.name) as THandle;
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

  /**
   * Boot: a simulated kernel gets its exit check (boot/undriven-exit.ts), removed when it stops,
   * so a program that awaits it without driving its clock is told so instead of ending in silence.
   */
  private checkedAtExit(): this {
    if (this.clock.kind !== 'simulated') return this;
    this.awaited = new AwaitedOperations();
    const cancel = checkUndrivenAtExit(this.core, this.awaited);
    void this.core.whenStopped.then(cancel);
    return this;
  }

  /** `promise` of the operation `name`, counted while pending for the exit check of a simulated kernel. */
  private awaitedOn<T>(name: string, promise: Promise<T>): Promise<T> {
    return this.awaited === null ? promise : this.awaited.track(name, promise);
  }

  /** The simulated clock to drive, or a `UsageError` that says what `what` is for. */
  private drivenClock(what: string): SimulatedClock {
    if (this.clock.kind !== 'simulated') {
      throw new UsageError(
        `kernel.${what} drives virtual time, and this kernel runs on the real clock: await its promises directly, or boot it with { mode: "simulated" }`,
      );
    }
    return this.core.simulatedClock;
  }
}

/** `clock`, which a simulated machine needs to be simulated. */
function simulatedOnly(clock: Clock): SimulatedClock {
  if (clock.kind !== 'simulated') throw new UsageError('a simulated kernel needs a simulated clock');
  return clock as SimulatedClock;
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
  const { batchMessagesMax, mailboxCapacity, askDeadlineMs, crossCpuOverflow, outboxWaitMs, outboxBytesMax, seed, scheduler } = options;
  const plain = Object.fromEntries(
    Object.entries({ batchMessagesMax, mailboxCapacity, askDeadlineMs, crossCpuOverflow, outboxWaitMs, outboxBytesMax, seed, scheduler }).filter(
      ([, value]) => value !== undefined,
    ),
  );
  return { ...plain, subsystems: subsystems.map(({ module, name, options: subsystemOptions }) => ({ module, name, options: subsystemOptions })) };
}
