import type { Observable } from 'rxjs';
import type { Clock } from '../../drivers/clock/clock.js';
import { createRealClock } from '../../drivers/clock/real.js';
import { createSimulatedClock, type SimulatedClock } from '../../drivers/clock/simulated.js';
import type { Random } from '../../drivers/random/random.js';
import { createRealRandom } from '../../drivers/random/real.js';
import { createSeededRandom } from '../../drivers/random/seeded.js';
import { kernelTree, type KernelTree } from '../../supervisors/kernel-tree.js';
import type { ChildSpec } from '../../supervisors/child-spec.js';
import { AskTable } from './asks.js';
import { type Behavior, behaviorLabel } from './behavior.js';
import { type Cell, Status } from './cell.js';
import type { Dispatcher, SpendCpu } from './dispatcher.js';
import { FifoDispatcher } from './fifo-dispatcher.js';
import { FairDispatcher } from '../sched/fair-dispatcher.js';
import { schedulerName } from '../sched/scheduler-actor.js';
import type { SchedControl } from '../../protocols/sched.js';
import { ActorStoppedError, describeError, KernelStoppedError, MailboxFullError } from '../../ground/errors.js';
import { type DeadLetter, type DeadLetterReason, type KernelEvent, messageTypeOf, ObservedStream } from './events.js';
import { Lifecycle } from './lifecycle.js';
import type { ExitReason } from './signals.js';
import { askDeadlineMsDefault, batchMessagesMax, mailboxCapacityDefault } from './limits.js';
import type { Message } from '../../ground/message.js';
import { pidCpu, type Pid } from '../../ground/pid.js';
import type { ActorRef } from './ref.js';
import type { ActorContext } from './context.js';
import { SlotTable } from './slots.js';
import type { SpawnOptions } from './spawn-options.js';
import { type KernelStatus, statusOf } from './status.js';
import type { ModuleList } from '../cpu/catalog.js';
import type { ParkingCounters } from '../ring/wake.js';
import type { CpuNode, CpuNodeOptions, CrossCpuOverflow } from '../cpu/node.js';

/**
 * How to boot a kernel. The same kernel runs for real (real clock, random seed) or simulated
 * (virtual clock, seeded choices); pass drivers explicitly to combine them differently.
 */
export interface BootOptions {
  /** `real` (default) or `simulated`: picks the default clock and random drivers. */
  readonly mode?: 'real' | 'simulated';
  /** Overrides the clock driver. */
  readonly clock?: Clock;
  /** Overrides the random driver. */
  readonly random?: Random;
  /** Seed of the random driver (simulated default 0; real default: drawn, and kept in `kernel.seed`). */
  readonly seed?: number;
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
  /** What a full ring to another CPU does with a message (default `wait`, see actors/cpu/node.ts). */
  readonly crossCpuOverflow?: CrossCpuOverflow;
  /** How long a message may wait for ring space under `wait` (default 5000 ms). */
  readonly outboxWaitMs?: number;
  /** Data bytes of each ring between two CPUs (a power of two, default 256 KiB). */
  readonly ringBytes?: number;
  /**
   * Heap bound of each worker CPU, in MiB (V8's old generation; default: Node's own). A worker that
   * runs out dies alone, as by any other fatal error, and its supervisor restarts it: a leaking actor
   * costs its CPU a restart, not the process.
   */
  readonly workerHeapMbMax?: number;
  /** @internal The CPU this kernel is, and how it reaches the others (set by the CPU boot code). */
  readonly interconnect?: Omit<CpuNodeOptions, 'overflow' | 'outboxWaitMs'> & {
    readonly firstGeneration?: number;
    /** Static children of `sched` (the actors that supervise worker CPUs). */
    readonly schedChildren?: readonly ChildSpec<never>[];
  };
}

/** @internal What owns the other CPUs of a multi-CPU kernel (workers or simulated CPUs). */
export interface CpuHost {
  /** Stops every other CPU; runs after this kernel's own tree has stopped. */
  shutdown(): Promise<void>;
  /** The kernels of all CPUs, when they share this thread (simulated CPUs). */
  kernels?(): readonly Kernel[];
  /** Parking counters of CPU `cpu`'s doorbell (notifies, parks, lost wakes). */
  doorbellCounters?(cpu: number): ParkingCounters;
}

/** A failure of a child, reported whether or not a supervisor restarted it. */
export interface ChildFailure {
  readonly child: ActorRef<never>;
  readonly parent: ActorRef<never> | undefined;
  readonly error: unknown;
  /** The message being handled when it failed, if any. */
  readonly message: unknown;
  readonly atMs: number;
}

/**
 * The actor kernel of one CPU: spawns actors, runs them, supervises them, and tells what happens.
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
export class Kernel {
  readonly mode: 'real' | 'simulated';
  readonly clock: Clock;
  readonly random: Random;
  readonly mailboxCapacity: number;

  /** The CPU this kernel runs (0 for the main thread, or a single-CPU kernel). */
  readonly cpu: number;
  /** @internal */ readonly slots: SlotTable<Cell>;
  /** @internal Routing to and from the other CPUs; null for a single-CPU kernel. */
  readonly node: CpuNode | null = null;
  /** @internal */ cpuHost: CpuHost | null = null;
  /** @internal */ readonly registry = new Map<string, Cell>();
  /** @internal */ readonly dispatcher: Dispatcher;
  /** @internal */ readonly asks: AskTable;
  /** @internal */ readonly lifecycle = new Lifecycle(this);
  /** @internal */ readonly tracing = new ObservedStream<KernelEvent>();
  private readonly deadLetterStream = new ObservedStream<DeadLetter>();
  private readonly failureStream = new ObservedStream<ChildFailure>();

  /** @internal The actor whose hook runs now, and the message and origin it handles. */
  current: Cell | null = null;
  /** @internal */ currentMessage: unknown = undefined;
  /** @internal */ currentOrigin = 0;
  /** @internal Trace id of the event being handled (0 when untraced). */
  currentCause = 0;
  private eventSeq = 0;
  private stopped = false;
  private shuttingDown: Promise<void> | null = null;
  private markStopped!: () => void;
  /** Resolves once the kernel has stopped, by `shutdown()` or because its root supervisor gave up. */
  readonly whenStopped: Promise<void> = new Promise((resolve) => (this.markStopped = resolve));
  private tree: KernelTree | null = null;

  /** Messages that could not be delivered since boot. */
  deadLetterCount = 0;

  private constructor(options: BootOptions, node: ((kernel: Kernel) => CpuNode) | null) {
    this.mode = options.mode ?? 'real';
    this.cpu = options.interconnect?.cpu ?? 0;
    this.slots = new SlotTable<Cell>(this.cpu, options.interconnect?.firstGeneration);
    this.clock = options.clock ?? (this.mode === 'simulated' ? createSimulatedClock() : createRealClock());
    this.random = options.random ?? (options.seed !== undefined || this.mode === 'simulated' ? createSeededRandom(options.seed ?? 0) : createRealRandom());
    this.mailboxCapacity = options.mailboxCapacity ?? mailboxCapacityDefault;
    this.dispatcher = createDispatcher(this, options);
    this.asks = new AskTable(this, options.askDeadlineMs ?? askDeadlineMsDefault);
    if (node !== null) {
      this.node = node(this);
      if (this.dispatcher instanceof FairDispatcher) this.dispatcher.loads = new Int32Array(options.interconnect!.memory.loads);
    }
  }

  /**
   * Boots a kernel with its supervision tree: root → sched, irq, vm, zfs, net, apps. With
   * `cpus > 1` it boots every CPU (see `BootOptions.cpus`) and returns CPU 0's kernel.
   */
  static async boot(options: BootOptions = {}): Promise<Kernel> {
    const join = options.interconnect;
    if (join !== undefined) {
      const { CpuNode } = await import('../cpu/node.js');
      const nodeOptions = { ...join, ...(options.crossCpuOverflow !== undefined ? { overflow: options.crossCpuOverflow } : {}), ...(options.outboxWaitMs !== undefined ? { outboxWaitMs: options.outboxWaitMs } : {}) };
      const kernel = new Kernel(options, (self) => new CpuNode(self, nodeOptions));
      kernel.tree = kernelTree(kernel, join.schedChildren);
      return kernel;
    }
    const cpus = options.cpus ?? ((options.modules?.length ?? 0) > 0 && options.mode !== 'simulated' ? (await import('../../drivers/machine/available-cpus.js')).availableCpus() : 1);
    if (!Number.isInteger(cpus) || cpus < 1) throw new RangeError(`cpus must be a positive integer, got ${cpus}`);
    if (cpus > 1 && options.mode === 'simulated') return (await import('../cpu/simulated-cpus.js')).bootSimulatedCpus(options, cpus);
    if (cpus > 1) return (await import('../../drivers/cpu/worker-cpus.js')).bootWorkerCpus(options, cpus);
    const kernel = new Kernel(options, null);
    kernel.tree = kernelTree(kernel);
    return kernel;
  }

  /** CPUs this kernel's machine runs. */
  get cpus(): number {
    return this.node?.cpus ?? 1;
  }

  /** The seed every random choice of this kernel derives from: log it to replay a run. */
  get seed(): number {
    return this.random.seed;
  }

  /**
   * The simulated clock of a simulated kernel, to drive virtual time from a test:
   * `await kernel.simulatedClock.runUntilIdle()`. Throws on a real kernel.
   */
  get simulatedClock(): SimulatedClock {
    if (this.clock.kind !== 'simulated') throw new Error('this kernel runs on a real clock; boot it with { mode: "simulated" }');
    return this.clock as SimulatedClock;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** The causal event stream (spawn, stop, restart, send, receive, transition, fault, dead-letter). */
  get events(): Observable<KernelEvent> {
    return this.tracing.stream;
  }

  /** Every message that could not be delivered, with its sender and the reason. */
  get deadLetters(): Observable<DeadLetter> {
    return this.deadLetterStream.stream;
  }

  /** Every child failure, including those a supervisor restarts automatically. */
  get failures(): Observable<ChildFailure> {
    return this.failureStream.stream;
  }

  /** The pid of the actor running now, 0 outside any actor. */
  get currentPid(): Pid {
    return this.current === null ? 0 : this.current.pid;
  }

  /**
   * Spawns a top-level user actor (under the `apps` subtree). It is not restarted if it crashes:
   * spawn a supervisor (see `supervisor()`) to get restarts.
   */
  spawn<M extends Message>(behavior: Behavior<M>, options?: SpawnOptions): ActorRef<M> {
    const user = this.requireTree().user;
    const where = options?.cpu;
    if (where !== undefined && where !== this.cpu) {
      if (this.node === null) {
        if (where === 'auto' || where === 0) return this.lifecycle.spawn(user, behavior as Behavior<Message>, options).ref as ActorRef<M>;
        throw new RangeError(`cpu ${where} does not exist: this kernel runs one CPU (boot it with { cpus })`);
      }
      const cpu = this.node.placement(where);
      if (cpu !== this.cpu) return this.node.spawnOn(cpu, behavior as Behavior<Message>, options).ref as ActorRef<M>;
    }
    return this.lifecycle.spawn(user, behavior as Behavior<Message>, options).ref as ActorRef<M>;
  }

  /**
   * Resolves with `ref` once its actor exists. Only a spawn on another CPU has to wait (its CPU
   * picks the pid); it rejects with `SpawnFailedError` if that CPU refused the spawn.
   */
  async spawned<M extends Message>(ref: ActorRef<M>): Promise<ActorRef<M>> {
    const cell = ref.cell;
    if (cell.isRemote()) await (cell as unknown as { whenSpawned(): Promise<void> }).whenSpawned();
    return ref;
  }

  /**
   * The actor registered under `name`, if it is alive: one of this CPU's first, else one another
   * CPU announced (names outside the per-CPU `kernel.` namespace are announced to every CPU).
   */
  lookup<M extends Message = never>(name: string): ActorRef<M> | undefined {
    const cell = this.registry.get(name);
    if (cell !== undefined) return cell.status !== Status.Stopped ? (cell.ref as ActorRef<M>) : undefined;
    return this.node?.lookupName(name) as ActorRef<M> | undefined;
  }

  /** The ref of a live actor by pid. */
  refOf<M extends Message = never>(pid: Pid): ActorRef<M> | undefined {
    if (this.node !== null && pidCpu(pid) !== this.cpu && pidCpu(pid) < this.node.cpus) return this.node.remoteCell(pid).ref as ActorRef<M>;
    return this.slots.get(pid, (cell) => cell.pid)?.ref as ActorRef<M> | undefined;
  }

  /** The subsystem supervisor `name` of the kernel's tree. */
  subsystem(name: 'sched' | 'irq' | 'vm' | 'zfs' | 'net' | 'apps'): ActorRef<never> {
    return this.requireTree().subsystems[name].ref as ActorRef<never>;
  }

  /**
   * @internal Runs `run` in the turn of the actor behind `ref`, ahead of its user messages: the
   * system-lane path interrupt controllers use to wake handler actors. Returns false if the actor
   * is stopped. Several calls before the actor's turn run in order, each once.
   */
  runInTurnOf(ref: ActorRef<never>, run: (self: ActorContext<never>) => void): boolean {
    const cell = ref.cell;
    if (cell.isRemote()) throw new Error(`runInTurnOf: ${cell.describe()} lives on another CPU`);
    if (cell.status >= Status.Stopping) return false;
    cell.pushSystem({ kind: 'run', run: run as (cell: Cell) => void });
    return true;
  }

  /** Stops an actor (and its subtree) with reason `shutdown`; resolves when it is gone. */
  stop(ref: ActorRef<never>): Promise<void> {
    if (ref.cell.isRemote()) {
      // The request travels to the actor's CPU; the promise does not wait for the far side.
      this.node!.stopRemote(ref.cell as Parameters<CpuNode['stopRemote']>[0]);
      return Promise.resolve();
    }
    return this.lifecycle.terminate(ref.cell, 'shutdown', undefined, true);
  }

  /**
   * Stops the whole tree gracefully: children stop in reverse start order, each within its
   * shutdown timeout. Asks still in flight fail with `KernelStoppedError`.
   */
  shutdown(): Promise<void> {
    if (this.shuttingDown !== null) return this.shuttingDown;
    this.shuttingDown = (async () => {
      if (this.tree !== null) await this.lifecycle.terminate(this.tree.root, 'shutdown', undefined, false);
      if (this.cpuHost !== null) await this.cpuHost.shutdown();
      this.stopped = true;
      this.markStopped();
      this.asks.rejectAll(() => new KernelStoppedError('answer an ask'));
      this.tracing.complete();
      this.deadLetterStream.complete();
      this.failureStream.complete();
    })();
    return this.shuttingDown;
  }

  /** A snapshot of the tree: every actor with its status and queue lengths. */
  status(): KernelStatus {
    return statusOf(this, this.requireTree().root);
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
  async cpuStatuses(options: { readonly deadlineMs?: number } = {}): Promise<KernelStatus[]> {
    const own = this.status();
    const node = this.node;
    if (node === null) return [own];
    return Promise.all(Array.from({ length: node.cpus }, (_, cpu) => (cpu === this.cpu ? own : node.statusOf(cpu, options.deadlineMs))));
  }

  /** @internal A stable path for `cell` (names where registered, else labels with sibling index). */
  pathOf(cell: Cell): string {
    const parts: string[] = [];
    for (let at: Cell | null = cell; at !== null; at = at.parentCell) {
      parts.push(at.extras?.name ?? `${behaviorLabel(at.behavior as Behavior<never>)}#${siblingIndex(at)}`);
    }
    return parts.reverse().join('/');
  }

  /** @internal Records an undeliverable message; an ask behind it fails with the matching error. */
  deadLetter(message: unknown, origin: number, target: Cell | null, reason: DeadLetterReason): void {
    let from = origin;
    if (origin < 0) {
      const askId = -origin;
      from = this.asks.senderOf(askId);
      const type = messageTypeOf(message);
      const targetName = target?.describe() ?? 'nobody';
      if (reason === 'stopped') this.asks.reject(askId, new ActorStoppedError(targetName, type));
      else if (reason === 'mailbox-full' || reason === 'dropped-oldest') this.asks.reject(askId, new MailboxFullError(targetName, type, target?.mailbox?.capacity ?? 0));
    }
    this.deadLetterCount++;
    if (this.deadLetterStream.active) {
      this.deadLetterStream.emit({ from, to: target?.pid ?? 0, target: target?.describe() ?? 'nobody', message, reason, atMs: this.clock.now() });
    }
    if (this.tracing.active) this.trace({ kind: 'dead-letter', from, to: target?.pid ?? 0, messageType: messageTypeOf(message), reason });
  }

  /** @internal */
  reportFailure(cell: Cell, error: unknown, message: unknown): void {
    if (!this.failureStream.active) return;
    this.failureStream.emit({ child: cell.ref as ActorRef<never>, parent: cell.parentCell?.ref as ActorRef<never> | undefined, error, message, atMs: this.clock.now() });
  }

  /** @internal A `stopped` hook threw while the actor was going away anyway: report, do not crash again. */
  reportHookError(cell: Cell, hook: string, error: unknown): void {
    this.reportFailure(cell, new Error(`${hook} hook of ${cell.describe()} threw: ${describeError(error)}`, { cause: error }), undefined);
  }

  /** @internal Emits a traced event with the next id and the current cause. */
  trace(event: DistributiveOmit<KernelEvent, 'id' | 'cause' | 'atMs'>, cause = this.currentCause): number {
    const id = ++this.eventSeq;
    // Stamp the fresh object rather than spreading it into a new one: events come in many shapes,
    // and a megamorphic spread costs microseconds where these stores cost nanoseconds.
    const stamped = event as unknown as { id: number; cause: number; atMs: number };
    stamped.id = id;
    stamped.cause = cause;
    stamped.atMs = this.clock.now();
    this.tracing.emit(stamped as unknown as KernelEvent);
    return id;
  }

  /** @internal */
  traceSend(origin: number, to: Pid, message: unknown): number {
    const from = origin < 0 ? this.asks.senderOf(-origin) : origin;
    return this.trace({ kind: 'send', from, to, messageType: messageTypeOf(message) });
  }

  /** @internal */
  traceReceive(pid: Pid, message: unknown, cause: number): void {
    this.currentCause = this.trace({ kind: 'receive', pid, messageType: messageTypeOf(message) }, cause);
  }

  /**
   * @internal Runs `hook` as `cell` (so sends from it carry its pid). A throw fails the cell when
   * `failOnThrow`, else it is reported. Returns whether the hook completed.
   */
  runHook(cell: Cell, hook: () => void, failOnThrow = true): boolean {
    const current = this.current;
    const message = this.currentMessage;
    const origin = this.currentOrigin;
    this.current = cell;
    this.currentMessage = undefined;
    this.currentOrigin = 0;
    let failure: { error: unknown } | null = null;
    try {
      hook();
    } catch (error) {
      failure = { error };
    } finally {
      this.current = current;
      this.currentMessage = message;
      this.currentOrigin = origin;
    }
    if (failure === null) return true;
    if (failOnThrow) this.lifecycle.fail(cell, failure.error, undefined, 0);
    else this.reportHookError(cell, 'hook', failure.error);
    return false;
  }

  /** @internal Ends the dispatcher's current turn. */
  leave(): void {
    // currentMessage is left as it is (hooks compare it only while `current` is set); clearing
    // it on every turn costs more than holding one handled message a little longer.
    this.current = null;
    this.currentOrigin = 0;
    if (this.currentCause !== 0) this.currentCause = 0;
  }

  /** @internal */
  onStopped(cell: Cell, reason: ExitReason): void {
    if (this.node !== null) this.node.localStopped(cell, reason);
    if (this.tree !== null && cell === this.tree.root) {
      this.stopped = true;
      this.markStopped();
    }
  }

  /**
   * This CPU's scheduler actor (protocols/sched.ts): set priorities, pin, migrate, read stats.
   *
   * @example
   * ```ts
   * await kernel.scheduler.ask({ type: 'sched.set-priority', pid: indexer.pid, priority: 4 });
   * const { load, actors } = await kernel.scheduler.ask({ type: 'sched.stats' });
   * ```
   */
  get scheduler(): ActorRef<SchedControl> {
    const cell = this.registry.get(schedulerName);
    if (cell === undefined || this.stopped) throw new KernelStoppedError('reach the scheduler of a stopped kernel');
    return cell.ref as ActorRef<SchedControl>;
  }

  /** @internal The guardian of top-level user actors (the parent `kernel.spawn` gives). */
  get userRoot(): Cell {
    return this.requireTree().user;
  }

  private requireTree(): KernelTree {
    if (this.tree === null || this.stopped) throw new KernelStoppedError('use a stopped kernel');
    return this.tree;
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function siblingIndex(cell: Cell): number {
  let index = 0;
  for (let at = cell.prevSibling; at !== null; at = at.prevSibling) index++;
  return index;
}

function createDispatcher(kernel: Kernel, options: BootOptions): Dispatcher {
  const batch = options.batchMessagesMax ?? batchMessagesMax;
  const cost = options.simulatedCostMs;
  let spendCpu: SpendCpu | null = null;
  if (cost !== undefined) {
    if (kernel.clock.kind !== 'simulated') throw new TypeError('simulatedCostMs needs a simulated clock: boot with { mode: "simulated" }');
    const clock = kernel.clock as SimulatedClock;
    if (typeof cost === 'number') {
      if (!(Number.isFinite(cost) && cost >= 0)) throw new RangeError(`simulatedCostMs must be a finite number ≥ 0, got ${cost}`);
      spendCpu = () => clock.consume(cost);
    } else if (typeof cost === 'function') {
      spendCpu = (message, cell) => clock.consume(cost(message, cell.ref as ActorRef<never>));
    } else {
      throw new TypeError('simulatedCostMs must be a number or a function');
    }
  }
  switch (options.scheduler ?? 'fair') {
    case 'fair':
      return new FairDispatcher(kernel, batch, spendCpu);
    case 'fifo':
      return new FifoDispatcher(kernel, batch, spendCpu);
    default:
      throw new RangeError(`scheduler must be 'fair' or 'fifo', got ${String(options.scheduler)}`);
  }
}
