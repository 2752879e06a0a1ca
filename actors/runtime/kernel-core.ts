import type { Observable } from 'rxjs';
import type { Clock } from '../../drivers/clock/clock.js';
import type { SimulatedClock } from '../../drivers/clock/simulated.js';
import type { Random } from '../../drivers/random/random.js';
import { assert } from '../../ground/assert.js';
import {
  ActorStoppedError,
  HookFailedError,
  InvariantError,
  KernelStoppedError,
  MailboxFullError,
  SubsystemNotBootedError,
  UsageError,
} from '../../ground/errors.js';
import type { Message } from '../../ground/message.js';
import { pidCpu, type Pid } from '../../ground/pid.js';
import { AskTable } from './asks.js';
import { MailboxPool } from './mailbox-pool.js';
import { type Behavior, behaviorLabel } from './behavior.js';
import { type Cell, Hold, Status } from './cell.js';
import type { CpuRouting } from './cpu-routing.js';
import type { AnyStateMachine, InspectionEvent } from 'xstate';
import type { FaultPoints } from './fault-points.js';
import type { MailFaults } from './mail-faults.js';
import type { Dispatcher } from './dispatcher.js';
import {
  type DeadLetter,
  type DeadLetterReason,
  type DroppedReports,
  type EventStamp,
  firstEventId,
  type KernelEvent,
  type KernelEventBody,
  messageTypeOf,
  ObservedStream,
} from './events.js';
import { Lifecycle } from './lifecycle.js';
import type { ExitReason } from './signals.js';
import type { ActorRef } from './ref.js';
import type { ActorContext } from './context.js';
import { SlotTable } from './slots.js';
import type { SpawnOptions } from './spawn-options.js';
import { type MachineGraph, machineGraph } from './machine-graph.js';
import { type ActorStateValue, type KernelStatus, statusOf } from './status.js';

/**
 * What one CPU's kernel core is made of. The boot layer (boot/) picks each part: drivers, the run
 * policy, the routing to other CPUs, the supervision tree and its subsystems.
 */
export interface KernelCoreParts {
  readonly mode: 'real' | 'simulated';
  /** The CPU this kernel runs (0 for the main thread, or a single-CPU kernel). */
  readonly cpu: number;
  readonly clock: Clock;
  readonly random: Random;
  /** Default mailbox bound of actors that set none, in messages. */
  readonly mailboxCapacity: number;
  /** Default ask deadline, in ms. */
  readonly askDeadlineMs: number;
  /** Where every slot's pid generation starts (a restarted CPU starts past its old actors'). */
  readonly firstGeneration?: number;
  /** Restarts of this CPU before this one (a worker CPU that died): its event ids start past theirs. */
  readonly incarnation?: number;
  /** Makes this kernel's run policy. */
  readonly dispatcher: (kernel: KernelCore) => Dispatcher;
  /** Refuses spawn options the run policy would refuse later (a priority out of range, say). */
  readonly checkSpawnOptions?: (options: SpawnOptions) => void;
}

/** The two actors of the kernel tree the core needs: the root, and the parent of top-level user actors. */
export interface KernelTreeRoots {
  readonly root: Cell;
  /** Looked up on each access: the guardian is respawned as a new actor if its subtree restarts. */
  readonly user: Cell;
}

/** What owns a kernel's other CPUs (worker threads, or simulated CPUs): stopped after this CPU's tree. */
export interface OtherCpus {
  shutdown(): Promise<void>;
}

/**
 * A failure of a child, reported whether or not a supervisor restarted it. CPU 0's
 * `kernel.failures` also shows every other CPU's: their `child` and `parent` are refs of CPU 0 to
 * those actors, and their `error` crossed as plain data (see actors/cpu/wire-error.ts).
 */
export interface ChildFailure {
  readonly child: ActorRef<never>;
  readonly parent: ActorRef<never> | undefined;
  /** The CPU the actor failed on. */
  readonly cpu: number;
  /** The actor, as errors name it: its name or behaviour, and its pid. */
  readonly actor: string;
  /**
   * What it threw. From another CPU: the same typed error where the runtime knows its class
   * (`ActorCrashedError` …), else a `RemoteFailureError` with the thrown error's code, name,
   * message and stack as text.
   */
  readonly error: unknown;
  /**
   * The message being handled when it failed, if any. From another CPU, only a message that is
   * plain data crosses (not one holding refs); `messageType` says what it was either way.
   */
  readonly message: unknown;
  /** The message's `type` or kind; undefined when it failed outside a message (a `started` hook). */
  readonly messageType: string | undefined;
  /** How its incarnation ended: `crashed` for a throw, else the exit signal's reason (`killed`, a custom reason…). */
  readonly reason: ExitReason;
  readonly atMs: number;
}

/**
 * The runtime core of one CPU: its actors (cells in a slot table), their mailboxes, asks and
 * lifecycle, the run policy behind the dispatcher interface, and what it tells (events, dead
 * letters, failures). It imports nothing of the scheduler, the CPUs or the subsystems: the boot
 * layer builds it from `KernelCoreParts` and attaches the routing to other CPUs and the tree.
 *
 * Users hold the `Kernel` of boot/kernel.ts, the public face of this core; kernel code (system
 * actors, subsystems, the CPU layer) works on the core itself, through `SystemContext.kernel`.
 */
export class KernelCore {
  readonly mode: 'real' | 'simulated';
  readonly clock: Clock;
  readonly random: Random;
  readonly mailboxCapacity: number;
  /** The CPU this kernel runs (0 for the main thread, or a single-CPU kernel). */
  readonly cpu: number;
  readonly slots: SlotTable<Cell>;
  /** Routing to and from the other CPUs; null for a single-CPU kernel. */
  node: CpuRouting | null = null;
  /** The other CPUs, on CPU 0 of a multi-CPU kernel: stopped after this CPU's tree. */
  otherCpus: OtherCpus | null = null;
  /** Registered names of this CPU's actors (and of the stand-ins of actors it placed elsewhere). */
  readonly registry = new Map<string, Cell>();
  readonly dispatcher: Dispatcher;
  readonly asks: AskTable;
  /** Empty mailboxes, for actors that get mail (an idle actor holds none). */
  readonly mailboxes = new MailboxPool();
  readonly lifecycle = new Lifecycle(this);
  readonly tracing = new ObservedStream<KernelEvent>();
  readonly checkSpawnOptions: (options: SpawnOptions) => void;
  /** What subsystems add to `status()`, by name (boot registers them). */
  readonly statusSources = new Map<string, () => unknown>();
  /** Faults a simulated run injects into actor mail; null (the rule) costs the send paths one branch. */
  mailFaults: MailFaults | null = null;
  /** What decides the fault points in code (`maybe`) in a simulated run; null (the rule) takes every common path. */
  faultPoints: FaultPoints | null = null;
  /**
   * Who takes xstate's inspection events of this CPU's machine actors (`@xstate.actor`,
   * `@xstate.event`, `@xstate.snapshot`, as xstate's `inspect` option gives them); null (the rule)
   * costs each step one branch. osprey/inspector's `publishInspection` sets it.
   */
  xstateInspection: { next(event: InspectionEvent): void } | null = null;
  /** The handles of the subsystems booted on this CPU, by name (see `ActorContext.subsystem`). */
  readonly subsystemHandles = new Map<string, () => unknown>();

  readonly deadLetterStream = new ObservedStream<DeadLetter>();
  readonly failureStream = new ObservedStream<ChildFailure>();
  private readonly droppedReportStream = new ObservedStream<DroppedReports>();

  /** The actor whose hook runs now, and the message and origin it handles. */
  current: Cell | null = null;
  currentMessage: unknown = undefined;
  currentOrigin = 0;
  /** Trace id of the event being handled (0 when untraced). */
  currentCause = 0;
  /**
   * Listeners of the kernel's streams being called now. An ask they make runs no drain in the
   * middle of the kernel code that called them (see `Dispatcher.beginSendFromOutside`).
   */
  callingOut = 0;
  /** The id of the latest event traced here (ids are unique across CPUs: see `firstEventId`). */
  private lastEventId: number;
  private stopped = false;
  private shuttingDown: Promise<void> | null = null;
  private markStopped!: () => void;
  /** Resolves once the kernel has stopped, by `shutdown()` or because its root supervisor gave up. */
  readonly whenStopped: Promise<void> = new Promise((resolve) => (this.markStopped = resolve));
  private tree: KernelTreeRoots | null = null;

  /** Messages that could not be delivered since boot. */
  deadLetterCount = 0;

  constructor(parts: KernelCoreParts) {
    this.mode = parts.mode;
    this.cpu = parts.cpu;
    this.clock = parts.clock;
    this.random = parts.random;
    this.mailboxCapacity = parts.mailboxCapacity;
    this.checkSpawnOptions = parts.checkSpawnOptions ?? (() => {});
    this.slots = new SlotTable<Cell>(parts.cpu, parts.firstGeneration);
    this.lastEventId = firstEventId(parts.cpu, parts.incarnation ?? 0);
    this.dispatcher = parts.dispatcher(this);
    this.asks = new AskTable(this, parts.askDeadlineMs);
  }

  /** Boot: the routing to the other CPUs of a multi-CPU kernel. Set once, before any actor runs. */
  attachRouting(node: CpuRouting): void {
    assert(this.node === null && this.slots.size === 0, 'routing is attached once, before the first actor');
    this.node = node;
  }

  /** Boot: the kernel tree, once its root has been spawned. */
  attachTree(tree: KernelTreeRoots): void {
    assert(this.tree === null, 'the kernel tree is attached once');
    this.tree = tree;
  }

  /** CPUs this kernel's machine runs. */
  get cpus(): number {
    return this.node?.cpus ?? 1;
  }

  /** The seed every random choice of this kernel derives from: log it to replay a run. */
  get seed(): number {
    return this.random.seed;
  }

  /** The simulated clock of a simulated kernel. Throws `UsageError` on a real kernel. */
  get simulatedClock(): SimulatedClock {
    if (this.clock.kind !== 'simulated') throw new UsageError('this kernel runs on a real clock; boot it with { mode: "simulated" } to drive its time');
    return this.clock as SimulatedClock;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  get events(): Observable<KernelEvent> {
    return this.tracing.stream;
  }

  get deadLetters(): Observable<DeadLetter> {
    return this.deadLetterStream.stream;
  }

  get failures(): Observable<ChildFailure> {
    return this.failureStream.stream;
  }

  /** On CPU 0: reports the other CPUs dropped rather than send (see `publishDropped`). */
  get droppedReports(): Observable<DroppedReports> {
    return this.droppedReportStream.stream;
  }

  /** Whether anyone watches `failures` (a record costs something to build only then). */
  get observingFailures(): boolean {
    return this.failureStream.active;
  }

  /** Whether anyone watches `deadLetters`. */
  get observingDeadLetters(): boolean {
    return this.deadLetterStream.active;
  }

  /** The pid of the actor running now, 0 outside any actor. */
  get currentPid(): Pid {
    return this.current === null ? 0 : this.current.pid;
  }

  /** The guardian of top-level user actors (the parent `spawn` gives). */
  get userRoot(): Cell {
    return this.requireTree().user;
  }

  /** Spawns a top-level user actor (under the user guardian), here or on the CPU `options.cpu` names. */
  spawn<M extends Message>(behavior: Behavior<M, never>, options?: SpawnOptions): ActorRef<M> {
    const user = this.requireTree().user;
    const where = options?.cpu;
    if (where !== undefined && where !== this.cpu) {
      if (this.node === null) {
        if (where === 'auto' || where === 0) return this.lifecycle.spawn(user, behavior, options).ref as ActorRef<M>;
        throw new RangeError(`cpu ${where} does not exist: this kernel runs one CPU (boot it with { cpus })`);
      }
      const cpu = this.node.placement(where);
      if (cpu !== this.cpu) return this.node.spawnOn(cpu, behavior, options).ref as ActorRef<M>;
    }
    return this.lifecycle.spawn(user, behavior, options).ref as ActorRef<M>;
  }

  /** Resolves with `ref` once its actor exists (see `Cell.whenSpawned`). */
  async spawned<M extends Message>(ref: ActorRef<M>): Promise<ActorRef<M>> {
    await ref.cell.whenSpawned();
    return ref;
  }

  /** Whether the fault point `site` takes its rare path now (fault-points.ts): never outside a simulation. */
  maybe(site: string, share?: number): boolean {
    return this.faultPoints?.maybe(site, share) ?? false;
  }

  /** The live actor registered under `name`: one of this CPU's first, else one another CPU announced. */
  lookup<M extends Message = never>(name: string): ActorRef<M> | undefined {
    const cell = this.registry.get(name);
    if (cell !== undefined) return cell.status !== Status.Stopped ? (cell.ref as ActorRef<M>) : undefined;
    return this.node?.lookupName(name) as ActorRef<M> | undefined;
  }

  /** The handle of the subsystem named `name` on this CPU; throws SubsystemNotBootedError if none was booted. */
  subsystemHandle(name: string): unknown {
    const handle = this.subsystemHandles.get(name);
    if (handle === undefined) throw new SubsystemNotBootedError(name);
    return handle();
  }

  /** This CPU's live actor with exactly `pid` (slot and generation), if any. */
  cellOf(pid: Pid): Cell | undefined {
    return this.slots.get(pid, pidOfCell);
  }

  /** The ref of a live actor by pid. */
  refOf<M extends Message = never>(pid: Pid): ActorRef<M> | undefined {
    // 0 names no actor (a ref awaiting its far spawn has it): a stand-in for it would wait forever.
    if (pid === 0) return undefined;
    if (this.node !== null && pidCpu(pid) !== this.cpu && pidCpu(pid) < this.node.cpus) return this.node.remoteCell(pid).ref as ActorRef<M>;
    // An actor that moved away is reached through its route, as mail to its old pid is.
    return (this.cellOf(pid)?.ref ?? this.node?.movedRef(pid)) as ActorRef<M> | undefined;
  }

  /**
   * Runs `run` in the turn of the actor behind `ref`, ahead of its user messages: the system-lane
   * path interrupt controllers use to wake handler actors. Returns false if the actor is stopped.
   * Several calls before the actor's turn run in order, each once.
   */
  runInTurnOf(ref: ActorRef<never>, run: (self: ActorContext<never>) => void): boolean {
    const cell = ref.cell.controlCell;
    if (cell.isRemote()) throw new InvariantError(`runInTurnOf: ${cell.describe()} lives on another CPU`);
    if (cell.status >= Status.Stopping) return false;
    cell.pushSystem({ kind: 'run', run: run as (cell: Cell) => void });
    return true;
  }

  /**
   * Sends `ref` an exit signal with `reason`, from the actor running now (or from outside any actor):
   * OTP's `exit/2` (see `ActorContext.exit`).
   */
  exit(ref: ActorRef<never>, reason: ExitReason | 'kill'): void {
    const cell = ref.cell.controlCell;
    const from = this.current;
    if (cell.isRemote()) {
      this.node!.exitRemote(cell, from, reason);
      return;
    }
    cell.pushSystem({ kind: 'exit', incarnation: cell.incarnation, from, reason, error: undefined, output: undefined, linked: false });
  }

  /** Stops an actor (and its subtree) with reason `shutdown`; resolves when it is gone. */
  stop(ref: ActorRef<never>): Promise<void> {
    const cell = ref.cell.controlCell;
    // The request travels to the actor's CPU, which tells this one when the actor is gone.
    if (cell.isRemote()) return this.node!.stopRemote(cell);
    return this.lifecycle.terminate(cell, 'shutdown', undefined, true);
  }

  /**
   * Stops the whole tree gracefully (children in reverse start order, each within its shutdown
   * timeout), then the other CPUs. Asks still in flight fail with `KernelStoppedError`.
   */
  shutdown(): Promise<void> {
    if (this.shuttingDown !== null) return this.shuttingDown;
    this.shuttingDown = (async () => {
      if (this.tree !== null) await this.lifecycle.terminate(this.tree.root, 'shutdown', undefined, false);
      if (this.otherCpus !== null) await this.otherCpus.shutdown();
      this.stopped = true;
      this.markStopped();
      this.asks.rejectAll(() => new KernelStoppedError('answer an ask'));
      this.tracing.complete();
      this.deadLetterStream.complete();
      this.failureStream.complete();
      this.droppedReportStream.complete();
    })();
    return this.shuttingDown;
  }

  /** A snapshot of the tree: every actor with its status and queue lengths. */
  status(): KernelStatus {
    return statusOf(this, this.requireTree().root);
  }

  /** Snapshots of every CPU's tree, by CPU number: this one's at once, the others' from their CPUs. */
  async cpuStatuses(options: { readonly deadlineMs?: number } = {}): Promise<KernelStatus[]> {
    const own = this.status();
    const node = this.node;
    if (node === null) return [own];
    return Promise.all(Array.from({ length: node.cpus }, (_, cpu) => (cpu === this.cpu ? own : node.statusOf(cpu, options.deadlineMs))));
  }

  /**
   * The machine that local machine actor `pid` runs and the state it is in now; undefined when `pid`
   * is no machine actor of this CPU.
   */
  localMachine(pid: Pid): { readonly machine: AnyStateMachine; readonly state: ActorStateValue | undefined } | undefined {
    const instance = this.cellOf(pid)?.instance as
      | { describeMachine?: () => AnyStateMachine; describeState?: () => ActorStateValue | undefined }
      | null
      | undefined;
    if (typeof instance?.describeMachine !== 'function') return undefined;
    return { machine: instance.describeMachine(), state: instance.describeState?.() };
  }

  /** The graph of the machine local actor `pid` runs, lit where it is; undefined when it runs none. */
  localMachineGraph(pid: Pid): MachineGraph | undefined {
    const found = this.localMachine(pid);
    return found === undefined ? undefined : machineGraph(found.machine, found.state);
  }

  /**
   * The graph of the machine actor `pid` runs, on this CPU or another (whose CPU draws it: a machine
   * does not cross threads); undefined when it runs none or is gone.
   */
  machineGraph(pid: Pid, options: { readonly deadlineMs?: number } = {}): Promise<MachineGraph | undefined> {
    const cpu = pidCpu(pid);
    if (cpu === this.cpu || this.node === null) return Promise.resolve(this.localMachineGraph(pid));
    if (cpu >= this.node.cpus) return Promise.resolve(undefined);
    return this.node.machineGraphOf(cpu, pid, options.deadlineMs);
  }

  /** A stable path for `cell` (names where registered, else labels with sibling index). */
  pathOf(cell: Cell): string {
    const parts: string[] = [];
    for (let at: Cell | null = cell; at !== null; at = at.parentCell) {
      parts.push(at.extras?.name ?? `${behaviorLabel(at.behavior)}#${siblingIndex(at)}`);
    }
    return parts.reverse().join('/');
  }

  /**
   * Stops running local actor `cell` for `forMs` of the clock: its mail queues and it takes none,
   * as a stalled thread would, then it goes on. For simulated fault injection (sim/).
   */
  pause(cell: Cell, forMs: number): void {
    assert(!cell.isRemote() && Number.isFinite(forMs) && forMs >= 0, 'a pause is of a local actor, for a finite time');
    if ((cell.held & Hold.Paused) !== 0 || cell.status >= Status.Stopping) return;
    cell.held |= Hold.Paused;
    this.clock.setTimer(forMs, () => this.dispatcher.lift(cell, Hold.Paused));
  }

  /** Records an undeliverable message; an ask behind it fails with the matching error. */
  deadLetter(message: unknown, origin: number, target: Cell | null, reason: DeadLetterReason): void {
    let from = origin;
    if (origin < 0) {
      const askId = -origin;
      from = this.asks.senderOf(askId);
      const type = messageTypeOf(message);
      const targetName = target?.describe() ?? 'nobody';
      if (reason === 'stopped') this.asks.reject(askId, new ActorStoppedError(targetName, type));
      else if (reason === 'mailbox-full' || reason === 'dropped-oldest')
        this.asks.reject(askId, new MailboxFullError(targetName, type, target?.mailbox?.capacity ?? 0));
    }
    this.deadLetterCount++;
    if (this.deadLetterStream.active) {
      this.emitTo(this.deadLetterStream, {
        from,
        to: target?.pid ?? 0,
        target: target?.describe() ?? 'nobody',
        message,
        messageType: messageTypeOf(message),
        reason,
        cpu: this.cpu,
        atMs: this.clock.now(),
      });
    }
    if (this.tracing.active) this.trace({ kind: 'dead-letter', from, to: target?.pid ?? 0, messageType: messageTypeOf(message), reason });
  }

  reportFailure(cell: Cell, error: unknown, message: unknown, reason: ExitReason = 'crashed'): void {
    if (!this.failureStream.active) return;
    this.emitTo(this.failureStream, {
      child: cell.ref as ActorRef<never>,
      parent: cell.parentCell?.ref as ActorRef<never> | undefined,
      cpu: this.cpu,
      actor: cell.describe(),
      error,
      message,
      messageType: message === undefined ? undefined : messageTypeOf(message),
      reason,
      atMs: this.clock.now(),
    });
  }

  // ---- what other CPUs report (CPU 0 of a multi-CPU kernel; see actors/cpu/cpu-reports.ts) ----

  /** Publishes a failure another CPU reported, on this CPU's `failures`. */
  publishFailure(failure: ChildFailure): void {
    this.emitTo(this.failureStream, failure);
  }

  /** Publishes a dead letter another CPU reported, on this CPU's `deadLetters`. */
  publishDeadLetter(letter: DeadLetter): void {
    this.emitTo(this.deadLetterStream, letter);
  }

  /** Publishes an event another CPU traced, on this CPU's `events`, as it was (its id and CPU are its own). */
  publishEvent(event: KernelEvent): void {
    this.emitTo(this.tracing, event);
  }

  /** Another CPU dropped reports rather than flood its ring to this one: say so on `droppedReports`. */
  publishDropped(dropped: DroppedReports): void {
    this.emitTo(this.droppedReportStream, dropped);
  }

  /** Hands `value` to `stream`'s listeners, counted in `callingOut` while they run. */
  private emitTo<T>(stream: ObservedStream<T>, value: T): void {
    this.callingOut++;
    try {
      stream.emit(value);
    } finally {
      this.callingOut--;
    }
  }

  /** A hook threw while the actor was going away anyway: report it, do not crash again. */
  reportHookError(cell: Cell, hook: string, error: unknown): void {
    this.reportFailure(cell, new HookFailedError(cell.describe(), hook, error), undefined);
  }

  /** Emits a traced event with the next id, the current cause and this CPU. */
  trace(event: KernelEventBody, cause = this.currentCause): number {
    const id = ++this.lastEventId;
    // Stamp the fresh object rather than spreading it into a new one: events come in many shapes,
    // and a megamorphic spread costs microseconds where these stores cost nanoseconds.
    const stamped = event as KernelEventBody & { -readonly [K in keyof EventStamp]: EventStamp[K] };
    stamped.id = id;
    stamped.cause = cause;
    stamped.cpu = this.cpu;
    stamped.atMs = this.clock.now();
    this.emitTo(this.tracing, stamped);
    return id;
  }

  /** Traces a send to `to`; `depth` is its mailbox's depth with the message in it, when it is this CPU's. */
  traceSend(origin: number, to: Pid, message: unknown, depth?: number): number {
    const from = origin < 0 ? this.asks.senderOf(-origin) : origin;
    const messageType = messageTypeOf(message);
    // Two literals, each of one shape: a field added to an event after it is made slows every trace.
    return this.trace(depth === undefined ? { kind: 'send', from, to, messageType } : { kind: 'send', from, to, messageType, depth });
  }

  /** Traces a receive: `depth` messages are left in its mailbox, `runnable` actors of this CPU have work. */
  traceReceive(pid: Pid, message: unknown, cause: number, depth: number, runnable: number): void {
    this.currentCause = this.trace({ kind: 'receive', pid, messageType: messageTypeOf(message), depth, runnable }, cause);
  }

  /**
   * Runs `hook` as `cell` (so sends from it carry its pid). A throw fails the cell when
   * `failOnThrow`, else it is reported. Returns whether the hook completed.
   */
  runHook(cell: Cell, hook: () => void, failOnThrow = true): boolean {
    const failure = this.runHookCatching(cell, hook);
    if (failure === null) return true;
    if (failOnThrow) this.lifecycle.fail(cell, failure.error, undefined, 0);
    else this.reportHookError(cell, 'hook', failure.error);
    return false;
  }

  /**
   * Runs `hook(argument)` as `cell` and returns what it threw (or null), for the caller to decide. A
   * hook that needs a value takes it as `argument`, so a call on a hot path (every spawn) can pass a
   * module function instead of allocating a closure.
   */
  runHookCatching<A = undefined>(cell: Cell, hook: (argument: A) => void, argument?: A): { readonly error: unknown } | null {
    const current = this.current;
    const message = this.currentMessage;
    const origin = this.currentOrigin;
    this.current = cell;
    this.currentMessage = undefined;
    this.currentOrigin = 0;
    let failure: { error: unknown } | null = null;
    try {
      hook(argument as A);
    } catch (error) {
      failure = { error };
    } finally {
      this.current = current;
      this.currentMessage = message;
      this.currentOrigin = origin;
    }
    return failure;
  }

  /** Ends the dispatcher's current turn. */
  leave(): void {
    // currentMessage is left as it is (hooks compare it only while `current` is set); clearing
    // it on every turn costs more than holding one handled message a little longer.
    this.current = null;
    this.currentOrigin = 0;
    if (this.currentCause !== 0) this.currentCause = 0;
  }

  onStopped(cell: Cell, reason: ExitReason): void {
    if (this.node !== null) this.node.localStopped(cell, reason);
    if (this.tree !== null && cell === this.tree.root) {
      this.stopped = true;
      this.markStopped();
    }
  }

  private requireTree(): KernelTreeRoots {
    if (this.tree === null || this.stopped) throw new KernelStoppedError('use a stopped kernel');
    return this.tree;
  }
}

function pidOfCell(cell: Cell): Pid {
  return cell.pid;
}

function siblingIndex(cell: Cell): number {
  let index = 0;
  for (let at = cell.prevSibling; at !== null; at = at.prevSibling) index++;
  return index;
}
