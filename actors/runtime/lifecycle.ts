import { assert } from '../../ground/assert.js';
import { type Behavior, behaviorLabel, createInstance } from './behavior.js';
import { Cell, Status } from './cell.js';
import { ActorCrashedError, KernelStoppedError, NameTakenError, UsageError } from '../../ground/errors.js';
import { messageTypeOf } from './events.js';
import type { KernelCore } from './kernel-core.js';
import type { Message } from '../../ground/message.js';
import { shutdownTimeoutMsDefault } from './limits.js';
import { type ExitReason, isNormalExit } from './signals.js';
import type { SpawnOptions } from './spawn-options.js';
import { type ChildSpecLike, isSupervising } from './supervising.js';

/**
 * Birth, failure, restart and death of actors. Every transition of a cell's `status` happens here.
 *
 * Termination is asynchronous because a `stopped` hook may return a promise (flush a file, close a
 * socket); each one is bounded by the shutdown timeout, after which the subtree is killed.
 */
/**
 * Gives each actor that monitors `cell` a `down` signal for it, with `reason` (and `error` if
 * any), and ends those monitors: what a stop does, and what a remote actor's ref does when its
 * CPU reports it gone.
 */
export function notifyWatchers(cell: Cell, reason: ExitReason, error: unknown): void {
  const extras = cell.extras;
  const watchers = extras?.watchers;
  if (watchers == null) return;
  extras!.watchers = null;
  for (const watcher of watchers) {
    watcher.extras?.watching?.delete(cell);
    watcher.pushSystem({ kind: 'signal', signal: { type: 'down', ref: cell.ref as never, reason, ...(error !== undefined ? { error } : {}) } });
  }
}

/** Ends every link of `cell`; with `tell`, each linked actor also gets an exit signal from it. */
export function endLinks(cell: Cell, reason: ExitReason, error: unknown, tell: boolean): void {
  const extras = cell.extras;
  const links = extras?.links;
  if (links == null) return;
  extras!.links = null;
  for (const linked of links) {
    linked.extras?.links?.delete(cell);
    if (tell) linked.pushSystem({ kind: 'exit', from: cell, reason, error });
  }
}

export class Lifecycle {
  constructor(private readonly kernel: KernelCore) {}

  spawn(parent: Cell | null, behavior: Behavior<Message>, options: SpawnOptions | undefined): Cell {
    return this.spawnWithSpec(parent, behavior, options, undefined);
  }

  /** Spawns a supervised child: `spec` tells the runtime how to shut it down. */
  spawnWithSpec(
    parent: Cell | null,
    behavior: Behavior<Message>,
    options: SpawnOptions | undefined,
    spec: ChildSpecLike | undefined,
    restore?: (instance: object) => void,
  ): Cell {
    const kernel = this.kernel;
    if (kernel.isStopped) throw new KernelStoppedError(`spawn ${behaviorLabel(behavior as Behavior<never>)}`);
    if (parent !== null && parent.status >= Status.Stopping) throw new UsageError(`cannot spawn a child of ${parent.describe()}: it is stopping`);
    const name = options?.name;
    if (name !== undefined && kernel.registry.has(name)) throw new NameTakenError(name);
    if (options !== undefined) kernel.checkSpawnOptions(options);
    const pid = kernel.slots.allocate();
    const cell = new Cell(kernel, pid, behavior, options, parent);
    cell.spec = spec;
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
        label: behaviorLabel(behavior as Behavior<never>),
        ...(name !== undefined ? { name } : {}),
      });
    this.startIncarnation(cell, restore);
    return cell;
  }

  /**
   * Makes a fresh incarnation and runs its `started` hook; a throw there is a failure like any other.
   * With `restore` (an actor migrated from another CPU) the incarnation continues one that started
   * elsewhere: `restore` puts the migrated state in place and `started` does not run again.
   */
  startIncarnation(cell: Cell, restore?: (instance: object) => void): void {
    const kernel = this.kernel;
    assert(cell.status === Status.Suspended && cell.instance === null, () => `${cell.describe()} starts only from a clean suspended state`);
    const ok = kernel.runHook(cell, () => {
      const instance = createInstance(cell.behavior, cell);
      cell.instance = instance;
      cell.receive = instance.receive;
      if (restore !== undefined) restore(instance);
      else instance.started?.(cell);
    });
    if (!ok) return;
    cell.status = Status.Running;
    if (cell.mailbox !== null && cell.mailbox.count > 0 && !cell.scheduled) {
      cell.scheduled = true;
      kernel.dispatcher.enqueue(cell);
    }
  }

  /**
   * The actor threw (or a linked actor crashed). It stops handling messages, keeps its mailbox, and
   * its parent decides: restart in place, stop, or escalate.
   */
  fail(cell: Cell, error: unknown, message: unknown, origin: number): void {
    if (cell.status >= Status.Stopping) return;
    const kernel = this.kernel;
    cell.status = Status.Suspended;
    cell.cancelAllTimers();
    if (kernel.tracing.active) {
      cell.ensureExtras().faultEvent = kernel.trace({
        kind: 'fault',
        pid: cell.pid,
        error: describeForTrace(error),
        ...(message !== undefined ? { messageType: messageTypeOf(message) } : {}),
      });
    }
    if (origin < 0) kernel.asks.reject(-origin, new ActorCrashedError(cell.describe(), messageTypeOf(message), error));
    const links = cell.extras?.links;
    if (links != null) for (const linked of links) linked.pushSystem({ kind: 'exit', from: cell, reason: 'crashed', error });
    kernel.reportFailure(cell, error, message);
    if (cell.parentCell !== null) cell.parentCell.pushSystem({ kind: 'child-failed', child: cell, error, message });
    else void this.terminate(cell, 'crashed', error, false);
  }

  /**
   * Ends the current incarnation (children in reverse start order, then the `stopped` hook with
   * `reason`) but keeps the cell: pid, ref, name, mailbox, monitors and links survive, and messages
   * queue up until `resume`. Supervisors call this for every child they restart.
   */
  async suspendForRestart(cell: Cell, reason: ExitReason): Promise<void> {
    if (cell.status >= Status.Stopping) return;
    cell.status = Status.Suspended;
    cell.cancelAllTimers();
    const ended = await this.endIncarnationWithin(cell, reason, shutdownOf(cell));
    if (!ended) this.killChildren(cell);
    if (cell.status === Status.Suspended) cell.instance = null;
  }

  /**
   * Starts a fresh incarnation of a cell that `suspendForRestart` ended (no-op if it was stopped
   * since). `cause` is the trace id of the fault that led to the restart.
   */
  resume(cell: Cell, cause = cell.extras?.faultEvent ?? 0): void {
    if (cell.status !== Status.Suspended || cell.instance !== null) return;
    const extras = cell.ensureExtras();
    extras.restarts++;
    if (this.kernel.tracing.active) this.kernel.trace({ kind: 'restart', pid: cell.pid, attempt: extras.restarts }, cause);
    this.startIncarnation(cell);
  }

  /**
   * Stops `cell` for good with `reason`. Idempotent: a second call joins the first. `notifyParent`
   * is false when the parent itself asked (a supervisor applying its strategy).
   */
  terminate(cell: Cell, reason: ExitReason, error: unknown, notifyParent: boolean, shutdown: number | 'brutal-kill' = shutdownOf(cell)): Promise<void> {
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
        finalReason = isNormalExit(reason) ? 'killed' : reason;
      } else if (cell.firstChild === null && cell.instance?.stopped === undefined) {
        // A leaf with no hook has nothing to wait for: no shutdown timer, no race.
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

  private async endIncarnationWithin(cell: Cell, reason: ExitReason, shutdownMs: number | 'brutal-kill'): Promise<boolean> {
    if (shutdownMs === 'brutal-kill') return false;
    const clock = this.kernel.clock;
    let timer: ReturnType<typeof clock.setTimer> | undefined;
    const deadline = new Promise<false>((resolve) => {
      timer = clock.setTimer(shutdownMs, () => resolve(false));
    });
    try {
      return await Promise.race([this.endIncarnation(cell, reason).then(() => true as const), deadline]);
    } finally {
      clock.cancelTimer(timer!);
    }
  }

  /**
   * Ends the current incarnation once: a stop that arrives while a restart is already ending it
   * joins that ending instead of running the `stopped` hook a second time.
   */
  private endIncarnation(cell: Cell, reason: ExitReason): Promise<void> {
    const extras = cell.ensureExtras();
    if (extras.ending === null || extras.ending.instance !== cell.instance) {
      extras.ending = { instance: cell.instance, done: this.runEndOfIncarnation(cell, reason) };
    }
    return extras.ending.done;
  }

  private async runEndOfIncarnation(cell: Cell, reason: ExitReason): Promise<void> {
    // Children first, last started first, each with its own shutdown bound.
    for (let child = cell.lastChild; child !== null; child = cell.lastChild) {
      await this.terminate(child, 'shutdown', undefined, false);
      if (child === cell.lastChild) this.finalize(child, 'killed', undefined, false); // defensive: never loop on one child
    }
    const instance = cell.instance;
    if (instance?.stopped === undefined) return;
    let pending: PromiseLike<void> | void = undefined;
    this.kernel.runHook(
      cell,
      () => {
        pending = instance.stopped!(cell, reason);
      },
      false,
    );
    if (pending !== undefined) {
      try {
        await pending;
      } catch (error) {
        this.kernel.reportHookError(cell, 'stopped', error);
      }
    }
  }

  /**
   * The actor moved to another CPU (CpuNode.migrate): its cell here goes away without an exit.
   * Nothing observes that: a movable actor has no children, monitors or links (see
   * actors/sched/migration.ts), and its ref now points at its new home.
   */
  retire(cell: Cell): void {
    assert(
      cell.status === Status.Running && cell.firstChild === null && (cell.mailbox?.count ?? 0) === 0,
      () => `${cell.describe()} retires only running, childless and empty`,
    );
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
    cell.cancelAllTimers();
    cell.mailbox?.drain((message, origin) => kernel.deadLetter(message, origin, cell, 'stopped'));
    const extras = cell.extras;
    extras?.lane?.clear();
    const parent = cell.parentCell;
    if (parent !== null) parent.removeChild(cell);
    if (extras?.name !== undefined && kernel.registry.get(extras.name) === cell) unregister(kernel, extras.name, cell);
    kernel.slots.release(cell.pid);
    if (kernel.tracing.active) kernel.trace({ kind: 'stop', pid: cell.pid, reason });
    if (extras != null) {
      notifyWatchers(cell, reason, error);
      if (extras.watching !== null) {
        for (const watched of extras.watching) watched.extras?.watchers?.delete(cell);
        extras.watching = null;
      }
      // A crash already told the links when it happened (see `fail`); tell them again only for a
      // stop that was not a crash, so each failure propagates once.
      endLinks(cell, reason, error, reason !== 'crashed');
    }
    // Only a supervisor acts on a child's exit; a plain parent learns of it through monitors. Not
    // queueing it for plain parents also keeps their system lane bounded by what they act on.
    if (notifyParent && parent !== null && isSupervising(parent.instance)) parent.pushSystem({ kind: 'child-exited', child: cell, reason, error });
    kernel.onStopped(cell, reason);
  }

  monitor(watcher: Cell, target: Cell): void {
    if (target.status === Status.Stopped) {
      watcher.pushSystem({ kind: 'signal', signal: { type: 'down', ref: target.ref as never, reason: 'noproc' } });
      return;
    }
    const watcherExtras = watcher.ensureExtras();
    const targetExtras = target.ensureExtras();
    (watcherExtras.watching ??= new Set()).add(target);
    (targetExtras.watchers ??= new Set()).add(watcher);
  }

  link(a: Cell, b: Cell): void {
    assert(a !== b, 'an actor cannot link to itself');
    if (b.status === Status.Stopped) {
      a.pushSystem({ kind: 'exit', from: b, reason: 'noproc', error: undefined });
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

function shutdownOf(cell: Cell): number | 'brutal-kill' {
  return cell.spec?.shutdown ?? cell.options?.shutdown ?? shutdownTimeoutMsDefault;
}

function describeForTrace(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
