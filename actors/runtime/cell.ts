import type { Random } from '../../drivers/random/random.js';
import type { TimerHandle } from '../../drivers/clock/clock.js';
import { assert } from '../../ground/assert.js';
import { type ActorInstance, type Behavior, behaviorLabel, type AnyBehavior } from './behavior.js';
import type { ReplyHandle, SubsystemOf } from './context.js';
import { MailboxFullError, SystemLaneOverflowError, UsageError } from '../../ground/errors.js';
import { messageTypeOf } from './events.js';
import type { KernelCore } from './kernel-core.js';
import type { Mailbox } from './mailbox.js';
import type { Message } from '../../ground/message.js';
import { formatPid, type Pid } from '../../ground/pid.js';
import { ActorRef } from './ref.js';
import type { SpawnOptions, SpawnOptionsFor } from './spawn-options.js';
import type { ExitReason, Signal } from './signals.js';
import type { MonitorRef } from './monitor.js';
import type { SystemItem } from './system-lane.js';
import { BoundedQueue } from '../../ground/bounded-queue.js';
import { systemLaneCapacity } from './limits.js';
import type { ChildSpecLike } from './supervising.js';
import type { SystemContext } from './system-context.js';

/** Lifecycle of a cell. Ordered: a status ≥ `Stopping` accepts no more messages. */
export const Status = {
  /** Handling messages. */
  Running: 0,
  /** Crashed or backing off: messages queue up, none are handled, until a restart or a stop. */
  Suspended: 1,
  /** Stopping its children and running its `stopped` hook. */
  Stopping: 2,
  /** Gone: its slot is free, its ref sends to dead letters. */
  Stopped: 3,
} as const;
export type Status = (typeof Status)[keyof typeof Status];
const stopping = Status.Stopping;
/**
 * The layout of `Cell.flags`: masks, and the shift of the holds. `const enum`s: TypeScript writes the
 * numbers into the code, where module constants would each cost a context load and a hole check on
 * the hottest paths (measured: 8–10 % of a ping-pong round trip). They stay inside this file.
 */
// biome-ignore lint/suspicious/noConstEnum: file-local, inlined by tsc (no isolatedModules); see above
const enum CellMask {
  Status = 3,
  Scheduled = 4,
  Held = -8,
}
// biome-ignore lint/suspicious/noConstEnum: file-local, inlined by tsc (no isolatedModules); see above
const enum CellShift {
  Held = 3,
}
assert(
  Status.Running === 0 && CellMask.Held === ~0 << CellShift.Held && CellMask.Status >= Status.Stopped,
  'the layout of Cell.flags matches Status (Running is 0)',
);

/**
 * Why a running actor takes no message now (`Cell.held`, a bit set; 0 when it may run). Each
 * reason is lifted by what ended it, and the actor is woken when none is left.
 */
export const Hold = {
  /** Its `receive` returned a promise that has not settled. */
  Awaiting: 1,
  /** A message it sent waits in an outbox for room in a ring to another CPU (actors/cpu/outbox.ts). */
  Parked: 2,
  /**
   * It sent past what a switch of routes holds while its fence is out (actors/cpu/forward-hold.ts):
   * it waits for the switch, as a parked actor waits for a ring.
   */
  Switching: 4,
  /** A simulated run paused it, as a stalled thread or a long GC would (`KernelCore.pause`). */
  Paused: 8,
} as const;

/** Rarely used per-actor state, allocated on first use so that idle actors stay small. */
export interface CellExtras {
  name: string | undefined;
  lane: BoundedQueue<SystemItem> | null;
  /** Monitors of this actor, held by others. */
  watchers: Set<MonitorRef> | null;
  /** Monitors this actor holds. */
  watching: Set<MonitorRef> | null;
  links: Set<Cell> | null;
  trapExits: boolean;
  timers: Map<string, TimerHandle> | null;
  random: Random | null;
  /** Set while a termination runs, so a second stop joins it. */
  stopping: Promise<void> | null;
  /** Restarts in place so far (incarnation number − 1). */
  restarts: number;
  /** Trace id of the latest fault, the cause of the restart that follows it. */
  faultEvent: number;
  /** The ending of an incarnation in progress (see Lifecycle.endIncarnation). */
  ending: { readonly instance: unknown; readonly done: Promise<void> } | null;
  /** What the actor finished with (`Lifecycle.finish`): the exit value its watchers see. */
  output: unknown;
  /** Why its first incarnation never ran (see `Lifecycle.spawnWithSpec`). */
  startError: Error | null;
  /**
   * The current incarnation has died and the parent has not yet restarted or stopped the cell (see
   * `Lifecycle.die`). Here rather than on the cell: only an actor that died needs it.
   */
  incarnationEnded: boolean;
  /** The ask an async `receive` is still working on (its id; 0 when none), failed if the incarnation ends first. */
  busyAsk: number;
  /** What that ask carried (its type names it in the error that fails it). */
  busyAskMessage: unknown;
  /** Cuts short the ending of the incarnation under way (see `Lifecycle.kill`). */
  killSwitch: (() => void) | null;
  /** Its children, oldest and newest (each links to its siblings): only a parent needs them. */
  firstChild: Cell | null;
  lastChild: Cell | null;
  /** How long its stop may take, when the child spec its supervisor started it with says. */
  specShutdown: ChildSpecLike['shutdown'] | undefined;
}

/**
 * The runtime's record of one actor: its mailbox, its place in the tree and its incarnation. It
 * also is the `ActorContext` handed to the actor's hooks, so running a message allocates nothing.
 *
 * Fields are all set in the constructor in one order so every cell shares one hidden class.
 */
export class Cell implements SystemContext<Message> {
  readonly ref: ActorRef<Message>;
  instance: ActorInstance<Message> | null = null;
  /**
   * The incarnation's `receive`, read once when it starts: with many behaviour classes in a process
   * a per-message `instance.receive` load is megamorphic, a field load is not.
   */
  receive: ActorInstance<Message>['receive'] | null = null;
  mailbox: Mailbox | null = null;
  /**
   * The status (bits 0–1), whether it is scheduled (bit 2) and its holds (bits 3 and up), in one
   * word rather than three fields: a cell per actor, so its size counts.
   */
  private flags: number = Status.Suspended;
  /**
   * The CPUs it sent mail to since it came to this one (a set of `cpuBit`s): before it moves, what
   * it sent to third CPUs must have arrived (actors/cpu/move-sweeps.ts).
   */
  sentCpus = 0;
  prevSibling: Cell | null = null;
  nextSibling: Cell | null = null;
  extras: CellExtras | null = null;

  constructor(
    readonly kernel: KernelCore,
    readonly pid: Pid,
    readonly behavior: AnyBehavior,
    readonly options: SpawnOptions | undefined,
    readonly parentCell: Cell | null,
  ) {
    this.ref = new ActorRef(this);
  }

  get status(): Status {
    return (this.flags & CellMask.Status) as Status;
  }

  set status(value: Status) {
    this.flags = (this.flags & ~CellMask.Status) | value;
  }

  /** In the run queue, or running now. */
  get scheduled(): boolean {
    return (this.flags & CellMask.Scheduled) !== 0;
  }

  /**
   * Two methods rather than a setter: a setter's boolean costs V8 a test of its truth (five checks
   * when not inlined), and each of these is small enough to be inlined wherever it is called.
   */
  markScheduled(): void {
    this.flags |= CellMask.Scheduled;
  }

  clearScheduled(): void {
    this.flags &= ~CellMask.Scheduled;
  }

  /** Why it takes no message now: a set of `Hold` bits, 0 when it may run. */
  get held(): number {
    return this.flags >> CellShift.Held;
  }

  set held(value: number) {
    this.flags = (this.flags & ~CellMask.Held) | (value << CellShift.Held);
  }

  /** Whether it can take a user message now: running and not held (its mailbox aside). One test on the hot path. */
  get takesMail(): boolean {
    return (this.flags & (CellMask.Status | CellMask.Held)) === 0;
  }

  /** Whether mail for it should schedule it: it takes mail and is not scheduled yet. */
  get wakeable(): boolean {
    return (this.flags & (CellMask.Status | CellMask.Scheduled | CellMask.Held)) === 0;
  }

  /** Whether this cell stands for an actor on another CPU (see actors/cpu/remote-cell.ts). */
  isRemote(): boolean {
    return false;
  }

  /** Whether its run policy keeps it on this CPU (the fair scheduler's cells can be pinned: actors/sched/sched-cell.ts). */
  get pinned(): boolean {
    return false;
  }

  /**
   * The cell that monitors, links, exit signals and stops of this one attach to: itself, except
   * for a forwarding address being switched (actors/cpu/forward-hold.ts), which only holds mail.
   */
  get controlCell(): Cell {
    return this;
  }

  /**
   * Resolves once the actor exists. A local actor exists from its spawn; only a spawn on another
   * CPU has to wait for that CPU to pick the pid (see RemoteCell).
   */
  whenSpawned(): Promise<void> {
    const startError = this.extras?.startError;
    return startError == null ? Promise.resolve() : Promise.reject(startError);
  }

  // ---- delivery (the hot path) ----------------------------------------------------------------

  /**
   * producer: queues a user message. `origin` is the sender's pid (0 from outside any actor) or the
   * negated ask id. Returns whether the message was queued.
   */
  deliver(message: unknown, origin: number): boolean {
    // The rare steps are methods of their own. V8 weighs a function by its bytecode, and what its
    // own optimized code inlined, when it inlines it: `tell`, with this and the dispatcher's
    // `enqueue` in it, stays inlined into the sender's `receive` only while they are small
    // (measured-limits §3f).
    const kernel = this.kernel;
    if (this.status >= stopping) return this.refuseStopped(message, origin);
    const mailbox = this.mailbox ?? this.openMailbox();
    // A truth test, not `=== true`: the bytes count here (measured-limits §3f).
    const cause = kernel.tracing.active ? this.traceDelivery(mailbox, message, origin) : 0;
    if (!mailbox.offer(message, origin, cause)) return this.overflow(mailbox, message, origin, cause);
    if (this.wakeable) {
      this.markScheduled();
      kernel.dispatcher.enqueue(this);
    }
    return true;
  }

  /** `deliver` to a stopping or stopped actor: a dead letter. */
  private refuseStopped(message: unknown, origin: number): false {
    this.kernel.deadLetter(message, origin, this, 'stopped');
    return false;
  }

  /** The mailbox of an actor's first message, from the kernel's pool. */
  private openMailbox(): Mailbox {
    const mailbox = this.kernel.mailboxes.take(this.options?.mailboxCapacity ?? this.kernel.mailboxCapacity);
    this.mailbox = mailbox;
    return mailbox;
  }

  /** Traced, a send tells the depth the mailbox will have (a full one takes no more); returns its cause. */
  private traceDelivery(mailbox: Mailbox, message: unknown, origin: number): number {
    return this.kernel.traceSend(origin, this.pid, message, Math.min(mailbox.count + 1, mailbox.capacity));
  }

  /** Applies the actor's overflow policy to a message its full `mailbox` could not take. */
  protected overflow(mailbox: Mailbox, message: unknown, origin: number, cause: number): boolean {
    const kernel = this.kernel;
    switch (this.options?.overflow ?? 'reject') {
      case 'reject':
        // The sender keeps the message (tell returned false), so it is not a dead letter; an ask
        // has no other way to learn, so it fails now.
        if (origin < 0) kernel.asks.reject(-origin, new MailboxFullError(this.describe(), messageTypeOf(message), mailbox.capacity));
        return false;
      case 'drop-newest':
        kernel.deadLetter(message, origin, this, 'mailbox-full');
        return false;
      case 'drop-oldest': {
        const oldest = mailbox.shift();
        kernel.deadLetter(oldest, mailbox.shiftedOrigin, this, 'dropped-oldest');
        const queued = mailbox.offer(message, origin, cause);
        assert(queued, 'a mailbox has room after dropping its oldest message');
        return true;
      }
    }
  }

  /** Queues a system item (stop, signals, supervision) ahead of every user message. */
  pushSystem(item: SystemItem): void {
    if (this.status === Status.Stopped) return;
    const extras = this.ensureExtras();
    if (extras.lane === null) extras.lane = new BoundedQueue<SystemItem>(systemLaneCapacity, 4);
    // Overflow policy of the system lane: the receiving actor crashes. Losing a supervision signal
    // unseen would break the tree's guarantees; the sender is not at fault and must not be thrown at.
    if (!extras.lane.push(item)) {
      const error = new SystemLaneOverflowError(this.describe(), systemLaneCapacity);
      if (extras.incarnationEnded || this.status >= stopping) this.kernel.reportFailure(this, error, undefined, 'crashed');
      else this.kernel.lifecycle.fail(this, error, undefined, 0);
      return;
    }
    if (!this.scheduled) {
      this.markScheduled();
      this.kernel.dispatcher.enqueue(this);
    }
  }

  ensureExtras(): CellExtras {
    if (this.extras === null) {
      this.extras = {
        name: undefined,
        lane: null,
        watchers: null,
        watching: null,
        links: null,
        trapExits: false,
        timers: null,
        random: null,
        stopping: null,
        restarts: 0,
        faultEvent: 0,
        ending: null,
        output: undefined,
        startError: null,
        incarnationEnded: false,
        busyAsk: 0,
        busyAskMessage: undefined,
        killSwitch: null,
        firstChild: null,
        lastChild: null,
        specShutdown: undefined,
      };
    }
    return this.extras;
  }

  describe(): string {
    const name = this.extras?.name;
    return name !== undefined ? `'${name}' ${formatPid(this.pid)}` : `${behaviorLabel(this.behavior)} ${formatPid(this.pid)}`;
  }

  // ---- ActorContext -------------------------------------------------------------------------------

  get self(): ActorRef<Message> {
    return this.ref;
  }

  /** Which incarnation runs (or ran last): 0 for the first, one more for each restart in place. */
  get incarnation(): number {
    return this.extras?.restarts ?? 0;
  }

  /** SystemContext: the cell is its own context, so handing it to a hook allocates nothing. */
  get cell(): Cell {
    return this;
  }

  get name(): string | undefined {
    return this.extras?.name;
  }

  get parent(): ActorRef<never> | undefined {
    return this.parentCell?.ref as ActorRef<never> | undefined;
  }

  now(): number {
    return this.kernel.clock.now();
  }

  maybe(site: string, share?: number): boolean {
    return this.kernel.maybe(site, share);
  }

  get random(): Random {
    const extras = this.ensureExtras();
    if (extras.random === null) extras.random = this.kernel.random.stream(`actor/${this.kernel.pathOf(this)}`);
    return extras.random;
  }

  lookup<T extends Message = never>(name: string): ActorRef<T> | undefined {
    return this.kernel.lookup<T>(name);
  }

  subsystem<H>(subsystem: SubsystemOf<H>): H {
    return this.kernel.subsystemHandle(subsystem.name) as H;
  }

  spawn<C extends Message, A = void>(behavior: Behavior<C, A>, ...rest: SpawnOptionsFor<A>): ActorRef<C> {
    const options: SpawnOptions | undefined = rest[0];
    if (options?.cpu !== undefined && options.cpu !== this.kernel.cpu) {
      throw new UsageError(
        `${this.describe()} cannot spawn a child on cpu ${String(options.cpu)}: children live on their parent's CPU; spawn a supervisor there with kernel.spawn(…, { cpu })`,
      );
    }
    return this.kernel.lifecycle.spawn(this, behavior as AnyBehavior, options).ref as ActorRef<C>;
  }

  stop(child?: ActorRef<never>): void {
    if (child === undefined) {
      // Takes effect after the current message: the status changes now, the hooks run after the turn.
      void this.kernel.lifecycle.terminate(this, 'normal', undefined, true);
      return;
    }
    const cell = child.cell;
    if (cell.isRemote()) throw new UsageError(`${this.describe()} can only stop its own children; ${cell.describe()} lives on another CPU (use kernel.stop)`);
    if (cell.parentCell !== this) throw new UsageError(`${this.describe()} can only stop its own children, not ${cell.describe()}`);
    void this.kernel.lifecycle.terminate(cell, 'normal', undefined, true);
  }

  reply<K extends Message>(message: K, value: unknown): void {
    const origin = this.currentOriginOf(message, 'reply');
    if (origin < 0) this.kernel.asks.resolve(-origin, value);
    else this.kernel.deadLetter(value, this.pid, this, 'no-asker');
  }

  replyLater<K extends Message>(message: K): ReplyHandle<never> {
    const origin = this.currentOriginOf(message, 'replyLater');
    const kernel = this.kernel;
    if (origin >= 0) {
      const noAsker = (value: unknown): false => {
        kernel.deadLetter(value, this.pid, this, 'no-asker');
        return false;
      };
      return { resolve: noAsker, reject: () => false };
    }
    const askId = -origin;
    return { resolve: (value) => kernel.asks.resolve(askId, value), reject: (error) => kernel.asks.reject(askId, error) };
  }

  private currentOriginOf(message: unknown, what: string): number {
    const kernel = this.kernel;
    const origin = kernel.current === this ? kernel.currentOrigin : 0;
    // The dispatcher remembers the message only for asks; a reply to a tell is a dead letter anyway.
    if (kernel.current !== this || (origin < 0 && kernel.currentMessage !== message)) {
      throw new UsageError(`${what}() must be called while ${this.describe()} handles that message; use replyLater() to answer afterwards`);
    }
    return origin;
  }

  monitor(ref: ActorRef<never>): MonitorRef {
    const cell = ref.cell.controlCell;
    const monitor = this.kernel.lifecycle.monitor(this, cell);
    // The first monitor here of an actor on another CPU asks that CPU to report its stop.
    if (cell.isRemote() && cell.extras?.watchers?.size === 1 && cell.pid !== 0) this.kernel.node!.requestMonitor(cell);
    return monitor;
  }

  demonitor(monitor: MonitorRef): void {
    if (monitor.watcher !== this) throw new UsageError(`${this.describe()} can only end its own monitors`);
    this.kernel.lifecycle.demonitor(monitor);
  }

  exit(ref: ActorRef<never>, reason: ExitReason): void {
    this.kernel.exit(ref, reason);
  }

  link(ref: ActorRef<never>): void {
    const cell = ref.cell.controlCell;
    this.kernel.lifecycle.link(this, cell);
    // An actor on another CPU: its CPU links it back (until its spawn is answered, that waits).
    if (cell.isRemote() && cell.status !== Status.Stopped && cell.pid !== 0) this.kernel.node!.requestLink(this, cell);
  }

  unlink(ref: ActorRef<never>): void {
    const cell = ref.cell.controlCell;
    const wasLinked = this.extras?.links?.delete(cell) === true;
    cell.extras?.links?.delete(this);
    // The far CPU drops its half too, so its actor is not left linked (and unmovable) for good.
    if (wasLinked && cell.isRemote() && cell.pid !== 0) this.kernel.node!.requestUnlink(this, cell);
  }

  trapExits(on: boolean): void {
    this.ensureExtras().trapExits = on;
  }

  startTimer(key: string, delayMs: number, message: Message): void {
    const kernel = this.kernel;
    const extras = this.ensureExtras();
    if (extras.timers === null) extras.timers = new Map();
    const previous = extras.timers.get(key);
    if (previous !== undefined) kernel.clock.cancelTimer(previous);
    const timers = extras.timers;
    // The event being handled now (0 when untraced) armed the timer: its firing names it as cause,
    // so a causal chain runs through timers rather than starting over at each one.
    const armedBy = kernel.currentCause;
    const handle = kernel.clock.setTimer(delayMs, () => {
      if (timers.get(key) !== handle) return;
      timers.delete(key);
      if (!kernel.tracing.active) {
        this.deliver(message, this.pid);
        return;
      }
      const outer = kernel.currentCause;
      kernel.currentCause = kernel.trace({ kind: 'timer', pid: this.pid, key }, armedBy);
      try {
        this.deliver(message, this.pid);
      } finally {
        kernel.currentCause = outer;
      }
    });
    timers.set(key, handle);
  }

  cancelTimer(key: string): void {
    const timers = this.extras?.timers;
    const handle = timers?.get(key);
    if (handle === undefined) return;
    this.kernel.clock.cancelTimer(handle);
    timers!.delete(key);
  }

  /** Cancels every timer of the ending incarnation. */
  cancelAllTimers(): void {
    const timers = this.extras?.timers;
    if (timers == null) return;
    for (const handle of timers.values()) this.kernel.clock.cancelTimer(handle);
    timers.clear();
  }

  /** Hands `signal` to the behaviour's `signal` hook, if it has one. */
  deliverSignal(signal: Signal): void {
    const instance = this.instance;
    if (instance?.signal === undefined) return;
    this.kernel.runHook(this, () => instance.signal!(signal, this));
  }

  // ---- the tree -----------------------------------------------------------------------------------

  /** Its oldest child, or null. */
  get firstChild(): Cell | null {
    return this.extras === null ? null : this.extras.firstChild;
  }

  /** Its newest child, or null. */
  get lastChild(): Cell | null {
    return this.extras === null ? null : this.extras.lastChild;
  }

  appendChild(child: Cell): void {
    const extras = this.ensureExtras();
    child.prevSibling = extras.lastChild;
    if (extras.lastChild !== null) extras.lastChild.nextSibling = child;
    else extras.firstChild = child;
    extras.lastChild = child;
  }

  removeChild(child: Cell): void {
    const extras = this.extras;
    assert(extras !== null, 'a parent has its children in its extras');
    if (child.prevSibling !== null) child.prevSibling.nextSibling = child.nextSibling;
    else if (extras.firstChild === child) extras.firstChild = child.nextSibling;
    if (child.nextSibling !== null) child.nextSibling.prevSibling = child.prevSibling;
    else if (extras.lastChild === child) extras.lastChild = child.prevSibling;
    child.prevSibling = child.nextSibling = null;
  }

  /** Children in start order. */
  children(): Cell[] {
    const list: Cell[] = [];
    for (let child = this.firstChild; child !== null; child = child.nextSibling) list.push(child);
    return list;
  }
}
