import { assert, invariantBroken } from '../../ground/assert.js';
import { type ActorInstance, behaviorLabel, createInstance, type AnyBehavior } from './behavior.js';
import { type Cell, Hold, Status } from './cell.js';
import {
  ActorCrashedError,
  ActorExitedError,
  KernelStoppedError,
  LinkedCrashError,
  NameTakenError,
  StartFailedError,
  UsageError,
} from '../../ground/errors.js';
import { messageTypeOf } from './events.js';
import type { KernelCore } from './kernel-core.js';
import { shutdownTimeoutMsDefault } from './limits.js';
import { MonitorRef } from './monitor.js';
import { type DownSignal, type ExitReason, type ExitSignal, exitReasonText, isCleanExit, killSignal, withDetails } from './signals.js';
import type { Shutdown, SpawnOptions } from './spawn-options.js';
import { type ChildSpecLike, isSupervising } from './supervising.js';
import type { Message } from '../../ground/message.js';

/**
 * Birth, failure, restart and death of actors. Every transition of a cell's `status` happens here.
 *
 * Termination is asynchronous because a `stopped` hook may return a promise (flush a file, close a
 * socket); each one is bounded by the shutdown timeout, after which the subtree is killed.
 */
/**
 * Gives each actor that monitors `cell` a `down` signal for it, with `reason` (and `error` or
 * `output` if any), and ends those monitors: what the end of an incarnation does, and what a remote
 * actor's stand-in does when its CPU reports it gone.
 */
export function notifyWatchers(cell: Cell, reason: ExitReason, error: unknown, output?: unknown): void {
  const extras = cell.extras;
  const watchers = extras?.watchers;
  if (watchers == null) return;
  extras!.watchers = null;
  for (const monitor of watchers) {
    const watcher = monitor.watcher;
    watcher.extras?.watching?.delete(monitor);
    const signal = withDetails<DownSignal>({ type: 'down', monitor, ref: cell.ref as never, reason }, error, output);
    watcher.pushSystem({ kind: 'signal', incarnation: watcher.incarnation, signal });
  }
}

/** Ends every link of `cell`; with `tell`, each linked actor also gets an exit signal from it. */
export function endLinks(cell: Cell, reason: ExitReason, error: unknown, tell: boolean, output?: unknown): void {
  const extras = cell.extras;
  const links = extras?.links;
  if (links == null) return;
  extras!.links = null;
  for (const linked of links) {
    linked.extras?.links?.delete(cell);
    if (tell) linked.pushSystem({ kind: 'exit', incarnation: linked.incarnation, from: cell, reason, error, output, linked: true });
  }
}

/**
 * An incarnation ended: as in OTP, where a process's links and monitors die with it, every link of
 * `cell` ends with an exit signal, every monitor of it fires `down`, the monitors it held end and it
 * no longer traps exits. A restart in place keeps pid, name and mailbox, but starts unlinked and
 * unwatched, so one crash gives one exit signal per link (two linked actors cannot crash each other
 * forever).
 */
function endTiesOf(cell: Cell, reason: ExitReason, error: unknown, output?: unknown): void {
  const extras = cell.extras;
  if (extras === null) return;
  // Links first, then monitors (OTP promises no order between the two): another CPU learns that the
  // actor is gone from the first `down` it hears, and forgets its links then, so every exit signal
  // to that CPU's actors must be on the ring before it.
  endLinks(cell, reason, error, true, output);
  notifyWatchers(cell, reason, error, output);
  if (extras.watching !== null) {
    for (const monitor of extras.watching) monitor.watched.extras?.watchers?.delete(monitor);
    extras.watching = null;
  }
  extras.trapExits = false;
}

export class Lifecycle {
  constructor(private readonly kernel: KernelCore) {}

  spawn(parent: Cell | null, behavior: AnyBehavior, options: SpawnOptions | undefined): Cell {
    return this.spawnWithSpec(parent, behavior, options, undefined);
  }

  /**
   * Spawns a child (`spec`, from a supervisor, tells how to shut it down). A first incarnation whose
   * `started` hook (or constructor) throws never ran: it stops at once with reason `crashed`, without
   * its `stopped` hook, its parent is not told of a failure, the failure is published, and the
   * returned cell carries a `StartFailedError` (`startError`; `kernel.spawned(ref)` rejects with it).
   */
  spawnWithSpec(
    parent: Cell | null,
    behavior: AnyBehavior,
    options: SpawnOptions | undefined,
    spec: ChildSpecLike | undefined,
    restore?: (instance: object) => void,
  ): Cell {
    const kernel = this.kernel;
    if (kernel.isStopped) throw new KernelStoppedError(`spawn ${behaviorLabel(behavior)}`);
    if (parent !== null && parent.status >= Status.Stopping) throw new UsageError(`cannot spawn a child of ${parent.describe()}: it is stopping`);
    const name = options?.name;
    if (name !== undefined && kernel.registry.has(name)) throw new NameTakenError(name);
    if (options !== undefined) kernel.checkSpawnOptions(options);
    const pid = kernel.slots.allocate();
    const cell = kernel.dispatcher.createCell(kernel, pid, behavior, options, parent);
    // Of its spec, only the shutdown is the runtime's (the supervisor keeps the rest): on the cell only when set.
    if (spec?.shutdown !== undefined) cell.ensureExtras().specShutdown = spec.shutdown;
    kernel.slots.set(pid, cell);
    if (name !== undefined) {
      cell.ensureExtras().name = name;
      kernel.registry.set(name, cell);
      kernel.node?.nameChanged(name, pid, true);
    }
    if (parent !== null) parent.appendChild(cell);
    if (kernel.tracing.active)
      kernel.trace({
        kind: 'spawn',
        pid,
        parent: parent?.pid ?? 0,
        label: behaviorLabel(behavior),
        ...(name !== undefined ? { name } : {}),
      });
    const failure = this.startIncarnation(cell, restore);
    if (failure !== null) this.startFailed(cell, failure.error);
    return cell;
  }

  /** `spawnWithSpec`, but a child that fails to start throws its `StartFailedError` (a supervisor's start-child). */
  spawnOrThrow(parent: Cell | null, behavior: AnyBehavior, options: SpawnOptions | undefined, spec?: ChildSpecLike): Cell {
    const cell = this.spawnWithSpec(parent, behavior, options, spec);
    const startError = cell.extras?.startError;
    if (startError != null) throw startError;
    return cell;
  }

  /**
   * Makes a fresh incarnation and runs its `started` hook (with `restore`, for an actor migrated
   * from another CPU, the migrated state is put in place instead and `started` does not run again).
   * Returns what the constructor or hook threw, or null; the caller decides what a throw means.
   */
  private startIncarnation(cell: Cell, restore?: (instance: object) => void): { readonly error: unknown } | null {
    const kernel = this.kernel;
    if (!(cell.status === Status.Suspended && cell.instance === null)) invariantBroken(`${cell.describe()} starts only from a clean suspended state`);
    const failure =
      restore === undefined ? kernel.runHookCatching(cell, startInstance, cell) : kernel.runHookCatching(cell, () => restoreInstance(cell, restore));
    if (failure !== null) return failure;
    // An async handler of the previous incarnation may still be pending; it no longer holds the actor.
    cell.held &= ~Hold.Awaiting;
    cell.status = Status.Running;
    if (cell.mailbox !== null && cell.mailbox.count > 0 && !cell.scheduled) {
      cell.markScheduled();
      kernel.dispatcher.enqueue(cell);
    }
    return null;
  }

  /** A first incarnation failed to start: see `spawnWithSpec`. */
  private startFailed(cell: Cell, cause: unknown): void {
    const kernel = this.kernel;
    const error = new StartFailedError(cell.describe(), cause);
    const extras = cell.ensureExtras();
    extras.startError = error;
    kernel.reportFailure(cell, error, undefined, 'crashed');
    // Its `started` did not complete, so its `stopped` must not run; children it spawned do stop.
    cell.instance = null;
    cell.receive = null;
    // It never ran, so its name is free now, not after the stop: a supervisor may start it again at once.
    if (extras.name !== undefined && kernel.registry.get(extras.name) === cell) unregister(kernel, extras.name, cell);
    void this.terminate(cell, 'crashed', error, false);
  }

  /**
   * The actor threw: the incarnation ends with reason `crashed` (see `die`). An ask it was handling
   * fails with `ActorCrashedError`.
   */
  fail(cell: Cell, error: unknown, message: unknown, origin: number): void {
    this.die(cell, 'crashed', error, message, origin);
  }

  /**
   * The current incarnation of `cell` ends with `reason` (a crash, an exit signal, a supervisor
   * giving up): it stops handling messages, keeps pid, name and mailbox, and its ties end at once
   * (`endTiesOf`). Its `stopped` hook runs now (none for `killed`), its children stop, and its parent
   * decides: restart in place, stop, or escalate. A cell between incarnations cannot die again.
   */
  die(cell: Cell, reason: ExitReason, error: unknown, message: unknown, origin: number): void {
    if (cell.status >= Status.Stopping || cell.extras?.incarnationEnded === true) return;
    const kernel = this.kernel;
    this.endIncarnationNow(cell, reason, error);
    if (kernel.tracing.active) {
      cell.ensureExtras().faultEvent = kernel.trace({
        kind: 'fault',
        pid: cell.pid,
        error: describeForTrace(error ?? exitReasonText(reason)),
        ...(message !== undefined ? { messageType: messageTypeOf(message) } : {}),
      });
    }
    // The ask whose handler threw fails now (one an async handler was working on did in endIncarnationNow).
    if (origin < 0) this.failAsk(cell, -origin, reason, error, message);
    if (!isCleanExit(reason)) kernel.reportFailure(cell, error, message, reason);
    if (reason === 'killed') {
      // Killed: no hooks. Its children go the same way.
      this.killChildren(cell);
      cell.instance = null;
      cell.receive = null;
    } else {
      void this.endIncarnation(cell, reason);
    }
    if (cell.parentCell !== null) cell.parentCell.pushSystem({ kind: 'child-failed', child: cell, reason, error, message });
    else void this.terminate(cell, reason, error, false);
  }

  /**
   * An exit signal reaches `cell` (OTP's semantics): from a linked actor that ended (`linked`), or
   * from `exit(ref, reason)`. `kill` ends it with reason `killed` even if it traps exits; otherwise
   * an actor that traps exits gets an `exit` signal; otherwise `normal` is ignored and any other
   * reason ends it with that reason (`crashed` from a link as a `LinkedCrashError`).
   */
  exitSignal(cell: Cell, from: Cell | null, reason: ExitReason, error: unknown, output: unknown, linked: boolean): void {
    if (reason === killSignal && !linked) {
      this.kill(cell);
      return;
    }
    if (cell.status >= Status.Stopping || cell.extras?.incarnationEnded === true) return;
    if (cell.extras?.trapExits) {
      cell.deliverSignal(withDetails<ExitSignal>({ type: 'exit', from: from?.ref as never, reason }, error, output));
      return;
    }
    if (reason === 'normal') return;
    if (reason === 'crashed' && linked) this.die(cell, 'crashed', new LinkedCrashError(from?.describe() ?? 'an actor', 'crashed', error), undefined, 0);
    else this.die(cell, reason, error ?? new ActorExitedError(cell.describe(), undefined, exitReasonText(reason)), undefined, 0);
  }

  /**
   * `exit(ref, 'kill')`: ends the incarnation with reason `killed` without hooks, trapping or not. It
   * also cuts short an ending already under way (a `stopped` hook that hangs under an `infinity`
   * shutdown): the subtree is killed and the stop or restart waiting on it goes on.
   */
  private kill(cell: Cell): void {
    if (cell.status === Status.Stopped) return;
    const extras = cell.extras;
    if (cell.status === Status.Stopping || extras?.incarnationEnded === true) {
      extras?.killSwitch?.();
      return;
    }
    this.die(cell, 'killed', new ActorExitedError(cell.describe(), undefined, 'killed'), undefined, 0);
  }

  /**
   * Ends the current incarnation of a child a supervisor restarts (children in reverse start order,
   * then the `stopped` hook with `reason`; for a child that died, joins the ending that began then)
   * but keeps the cell: pid, ref, name and mailbox survive, and messages queue up until `resume`.
   */
  async suspendForRestart(cell: Cell, reason: ExitReason): Promise<void> {
    if (cell.status >= Status.Stopping) return;
    if (cell.extras?.incarnationEnded !== true) this.endIncarnationNow(cell, reason, undefined);
    const ended = await this.endIncarnationWithin(cell, reason, shutdownOf(cell));
    if (!ended) this.killChildren(cell);
    if (cell.status === Status.Suspended) {
      cell.instance = null;
      cell.receive = null;
    }
  }

  /**
   * Starts a fresh incarnation of a cell that `suspendForRestart` ended (no-op if it was stopped
   * since). `cause` is the trace id of the fault that led to the restart. A throw in the new
   * incarnation's `started` is a crash like any other.
   */
  resume(cell: Cell, cause = cell.extras?.faultEvent ?? 0): void {
    if (cell.status !== Status.Suspended || cell.instance !== null) return;
    const extras = cell.ensureExtras();
    extras.restarts++;
    extras.incarnationEnded = false;
    if (this.kernel.tracing.active) this.kernel.trace({ kind: 'restart', pid: cell.pid, attempt: extras.restarts }, cause);
    const failure = this.startIncarnation(cell);
    if (failure === null) return;
    // Its `started` did not complete, so its `stopped` must not run (the crash below ends its children).
    cell.instance = null;
    cell.receive = null;
    this.fail(cell, failure.error, undefined, 0);
  }

  /**
   * The first steps of any end of an incarnation that keeps the cell: it stops handling messages,
   * its timers go, its ties end (`endTiesOf`), and an ask an async handler was still working on fails.
   */
  private endIncarnationNow(cell: Cell, reason: ExitReason, error: unknown): void {
    const extras = cell.ensureExtras();
    cell.status = Status.Suspended;
    extras.incarnationEnded = true;
    cell.cancelAllTimers();
    endTiesOf(cell, reason, error);
    const busyAsk = extras.busyAsk;
    const busyAskMessage = extras.busyAskMessage;
    extras.busyAsk = 0;
    extras.busyAskMessage = undefined;
    if (busyAsk !== 0) this.failAsk(cell, busyAsk, reason, error, busyAskMessage);
  }

  /** Fails ask `askId`, which `cell` was handling when its incarnation ended with `reason`. */
  private failAsk(cell: Cell, askId: number, reason: ExitReason, error: unknown, message: unknown): void {
    const kernel = this.kernel;
    const type = messageTypeOf(message);
    const failure =
      reason === 'crashed' ? new ActorCrashedError(cell.describe(), type, error) : new ActorExitedError(cell.describe(), type, exitReasonText(reason));
    kernel.asks.reject(askId, failure);
  }

  /** Stops `cell` with reason `normal` and `output` as its exit value (a machine at its final state). */
  finish(cell: Cell, output: unknown): Promise<void> {
    if (output !== undefined && cell.status < Status.Stopping) cell.ensureExtras().output = output;
    return this.terminate(cell, 'normal', undefined, true);
  }

  /**
   * Stops `cell` for good with `reason`. Idempotent: a second call joins the first. `notifyParent`
   * is false when the parent itself asked (a supervisor applying its strategy).
   */
  terminate(cell: Cell, reason: ExitReason, error: unknown, notifyParent: boolean, shutdown: Shutdown = shutdownOf(cell)): Promise<void> {
    if (cell.status === Status.Stopped) return Promise.resolve();
    const extras = cell.ensureExtras();
    if (extras.stopping !== null) return extras.stopping;
    cell.status = Status.Stopping;
    cell.cancelAllTimers();
    extras.stopping = (async () => {
      // Start after the current turn: a stop requested from inside a handler must not run the
      // actor's `stopped` hook re-entrantly inside that handler.
      await null;
      let finalReason = reason;
      if (shutdown === 'brutal-kill') {
        this.killChildren(cell);
        finalReason = isCleanExit(reason) ? 'killed' : reason;
      } else if (cell.firstChild === null && extras.ending === null) {
        // A leaf ends with its `stopped` hook: only a hook that returns a promise leaves something
        // to bound with the shutdown timer and to race a kill against; most return nothing.
        const pending = this.runStoppedHook(cell, reason);
        if (pending !== undefined) {
          extras.ending = { instance: cell.instance, done: this.awaitStoppedHook(cell, pending) };
          if (!(await this.endIncarnationWithin(cell, reason, shutdown))) {
            this.killChildren(cell);
            finalReason = 'killed';
          }
        }
      } else if (!(await this.endIncarnationWithin(cell, reason, shutdown))) {
        this.killChildren(cell);
        finalReason = 'killed';
      }
      this.finalize(cell, finalReason, error, notifyParent);
    })();
    return extras.stopping;
  }

  /** Kills `cell`'s subtree at once, without hooks (OTP's brutal_kill). */
  private killChildren(cell: Cell): void {
    for (let child = cell.lastChild; child !== null; child = cell.lastChild) {
      this.killChildren(child);
      child.status = Status.Stopping;
      this.finalize(child, 'killed', undefined, false);
    }
  }

  /**
   * Ends the incarnation within `shutdown`; false if it had to be cut short (the deadline passed, or
   * `exit(ref, 'kill')` came first: see `kill`), and the caller kills the subtree.
   */
  private async endIncarnationWithin(cell: Cell, reason: ExitReason, shutdown: Shutdown): Promise<boolean> {
    if (shutdown === 'brutal-kill') return false;
    const extras = cell.ensureExtras();
    const clock = this.kernel.clock;
    let timer: ReturnType<typeof clock.setTimer> | null = null;
    const cutShort = new Promise<false>((resolve) => {
      extras.killSwitch = () => resolve(false);
      if (shutdown !== 'infinity') timer = clock.setTimer(shutdown, () => resolve(false));
    });
    try {
      return await Promise.race([this.endIncarnation(cell, reason).then(() => true as const), cutShort]);
    } finally {
      extras.killSwitch = null;
      if (timer !== null) clock.cancelTimer(timer);
    }
  }

  /**
   * Ends the current incarnation once: a stop that arrives while a restart or a death is already
   * ending it joins that ending instead of running the `stopped` hook a second time.
   */
  private endIncarnation(cell: Cell, reason: ExitReason): Promise<void> {
    const extras = cell.ensureExtras();
    if (extras.ending === null || extras.ending.instance !== cell.instance) {
      extras.ending = { instance: cell.instance, done: this.runEndOfIncarnation(cell, reason) };
    }
    return extras.ending.done;
  }

  private async runEndOfIncarnation(cell: Cell, reason: ExitReason): Promise<void> {
    // After the current turn: a death inside a handler must not run hooks inside that handler.
    await null;
    // Children first, last started first, each with its own shutdown bound.
    for (let child = cell.lastChild; child !== null; child = cell.lastChild) {
      await this.terminate(child, 'shutdown', undefined, false);
      if (child === cell.lastChild) this.finalize(child, 'killed', undefined, false); // defensive: never loop on one child
    }
    const pending = this.runStoppedHook(cell, reason);
    if (pending !== undefined) await this.awaitStoppedHook(cell, pending);
  }

  /** Runs the incarnation's `stopped` hook, if it has one; returns what it returned if that is a promise to wait for. */
  private runStoppedHook(cell: Cell, reason: ExitReason): PromiseLike<void> | undefined {
    const instance = cell.instance;
    if (instance?.stopped === undefined) return undefined;
    let pending: PromiseLike<void> | void = undefined;
    this.kernel.runHook(
      cell,
      () => {
        pending = instance.stopped!(cell, reason);
      },
      false,
    );
    return pending ?? undefined;
  }

  /** Waits for a `stopped` hook's promise; its failure is reported, not thrown. */
  private async awaitStoppedHook(cell: Cell, pending: PromiseLike<void>): Promise<void> {
    try {
      await pending;
    } catch (error) {
      this.kernel.reportHookError(cell, 'stopped', error);
    }
  }

  /**
   * The actor moved to another CPU (CpuNode.migrate): its cell here goes away without an exit.
   * Nothing observes that: a movable actor has no children, monitors or links (see
   * actors/sched/migration.ts), and its ref now points at its new home.
   */
  retire(cell: Cell): void {
    if (!(cell.status === Status.Running && cell.firstChild === null && (cell.mailbox?.count ?? 0) === 0))
      invariantBroken(`${cell.describe()} retires only running, childless and empty`);
    const kernel = this.kernel;
    cell.status = Status.Stopped;
    cell.instance = null;
    cell.receive = null;
    cell.parentCell?.removeChild(cell);
    const name = cell.extras?.name;
    if (name !== undefined && kernel.registry.get(name) === cell) unregister(kernel, name, cell);
    kernel.slots.release(cell.pid);
  }

  private finalize(cell: Cell, reason: ExitReason, error: unknown, notifyParent: boolean): void {
    if (cell.status === Status.Stopped) return;
    const kernel = this.kernel;
    this.killChildren(cell);
    cell.status = Status.Stopped;
    cell.instance = null;
    cell.receive = null;
    cell.cancelAllTimers();
    cell.mailbox?.drain((message, origin) => kernel.deadLetter(message, origin, cell, 'stopped'));
    const extras = cell.extras;
    extras?.lane?.clear();
    const parent = cell.parentCell;
    if (parent !== null) parent.removeChild(cell);
    if (extras?.name !== undefined && kernel.registry.get(extras.name) === cell) unregister(kernel, extras.name, cell);
    kernel.slots.release(cell.pid);
    if (kernel.tracing.active) kernel.trace({ kind: 'stop', pid: cell.pid, reason: exitReasonText(reason) });
    const output = reason === 'normal' ? extras?.output : undefined;
    // A cell that died earlier told its ties then (see `die`); these are the ties made since.
    endTiesOf(cell, reason, error, output);
    // Only a supervisor acts on a child's exit; a plain parent learns of it through monitors. Not
    // queueing it for plain parents also keeps their system lane bounded by what they act on.
    if (notifyParent && parent !== null && isSupervising(parent.instance)) parent.pushSystem({ kind: 'child-exited', child: cell, reason, error });
    kernel.onStopped(cell, reason);
  }

  /** `watcher` monitors `target`: a new monitor, or at once a `down` with reason `noproc` if it is gone. */
  monitor(watcher: Cell, target: Cell): MonitorRef {
    const monitor = new MonitorRef(watcher, target);
    if (target.status === Status.Stopped) {
      watcher.pushSystem({ kind: 'signal', incarnation: watcher.incarnation, signal: { type: 'down', monitor, ref: target.ref as never, reason: 'noproc' } });
      return monitor;
    }
    (watcher.ensureExtras().watching ??= new Set()).add(monitor);
    (target.ensureExtras().watchers ??= new Set()).add(monitor);
    return monitor;
  }

  /** Ends `monitor`; a `down` already queued for it is not taken back (OTP's demonitor without flush). */
  demonitor(monitor: MonitorRef): void {
    monitor.watcher.extras?.watching?.delete(monitor);
    monitor.watched.extras?.watchers?.delete(monitor);
  }

  link(a: Cell, b: Cell): void {
    assert(a !== b, 'an actor cannot link to itself');
    if (b.status === Status.Stopped) {
      a.pushSystem({ kind: 'exit', incarnation: a.incarnation, from: b, reason: 'noproc', error: undefined, output: undefined, linked: true });
      return;
    }
    (a.ensureExtras().links ??= new Set()).add(b);
    (b.ensureExtras().links ??= new Set()).add(a);
  }
}

/** Frees `name`, held by local actor `cell`, here and in the other CPUs' views. */
function unregister(kernel: KernelCore, name: string, cell: Cell): void {
  kernel.registry.delete(name);
  kernel.node?.nameChanged(name, cell.pid, false);
}

function shutdownOf(cell: Cell): Shutdown {
  return cell.extras?.specShutdown ?? cell.options?.shutdown ?? shutdownTimeoutMsDefault;
}

function describeForTrace(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Makes `cell`'s incarnation and runs its `started` hook (a module function: no closure per spawn). */
function startInstance(cell: Cell): void {
  const instance = createIncarnation(cell);
  instance.started?.(cell);
}

/** Makes `cell`'s incarnation and puts the state it had on another CPU in place (`started` ran there). */
function restoreInstance(cell: Cell, restore: (instance: object) => void): void {
  restore(createIncarnation(cell));
}

function createIncarnation(cell: Cell): ActorInstance<Message> {
  const instance = createInstance(cell.behavior, cell, cell.options?.args as never);
  cell.instance = instance;
  cell.receive = instance.receive;
  return instance;
}
