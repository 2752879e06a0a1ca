import type { BehaviorFactory } from '../actors/runtime/behavior.js';
import { type Cell, Status } from '../actors/runtime/cell.js';
import { fromSystem, type SystemActorInstance, type SystemContext } from '../actors/runtime/system-context.js';
import { ChildStateError, NoSuchChildError, RestartIntensityError, StartFailedError, UnknownRequestError, UsageError } from '../ground/errors.js';
import { MachineRunner } from '../actors/runtime/machine-runner.js';
import type { Ask } from '../ground/message.js';
import type { ActorRef } from '../actors/runtime/ref.js';
import type { SpawnOptions } from '../actors/runtime/spawn-options.js';
import { type ExitReason, isCleanExit } from '../actors/runtime/signals.js';
import type { SupervisingInstance } from '../actors/runtime/supervising.js';
import type { ReplyHandle } from '../actors/runtime/context.js';
import { type BackoffOptions, validateBackoff } from './backoff.js';
import { type AnyChildSpec, type ChildType, type NormalizedChildSpec, normalizeChildSpec } from './child-spec.js';
import { type SupervisorEffects, type SupervisorMachine, supervisorMachine } from './machine.js';
import { childrenToRestart, type Strategy } from './strategy.js';

export type { Strategy };

/** When a supervisor shuts itself down because significant children exited (OTP's auto_shutdown). */
export type AutoShutdown = 'never' | 'any-significant' | 'all-significant';

/**
 * A supervisor's configuration.
 *
 * @example
 * ```ts
 * const tree = kernel.spawn(supervisor({
 *   strategy: 'one-for-one',
 *   restartsMax: 3, restartWindowMs: 5_000,
 *   children: [{ id: 'counter', start: Counter, options: { name: 'counter' } }],
 * }));
 * ```
 */
export interface SupervisorOptions {
  /** Which children restart when one fails (default `one-for-one`). */
  readonly strategy?: Strategy;
  /** Restart intensity: more than this many restarts within `restartWindowMs` shuts the supervisor down (default 1). */
  readonly restartsMax?: number;
  /** Restart period (default 5000 ms). */
  readonly restartWindowMs?: number;
  /** Exponential backoff with jitter before each restart (default none). */
  readonly backoff?: BackoffOptions;
  /** Default `never`. */
  readonly autoShutdown?: AutoShutdown;
  /** Static children, started in order. For `simple-one-for-one`: exactly one, the template of dynamic children. */
  readonly children?: readonly AnyChildSpec[];
}

/** One child as `which-children` reports it. */
export interface ChildInfo {
  readonly id: string;
  /** The running child; `undefined` when it is not running (a transient child that ended, or one terminated with `terminate-child`). */
  readonly ref: ActorRef<never> | undefined;
  readonly restart: NormalizedChildSpec['restart'];
  readonly type: ChildType;
  readonly status: 'running' | 'restarting' | 'stopped';
}

/** What `count-children` answers (OTP's `count_children`). */
export interface ChildCounts {
  /** Child specs held, running or not. */
  readonly specs: number;
  /** Children running (or restarting). */
  readonly active: number;
  /** Specs of children that are supervisors. */
  readonly supervisors: number;
  /** Specs of children that are workers. */
  readonly workers: number;
}

/**
 * What a supervisor answers (OTP's `supervisor` API). A request it does not know fails at once with
 * `UnknownRequestError`; a child id it does not hold with `NoSuchChildError`.
 */
export type SupervisorMsg =
  | Ask<{ readonly type: 'which-children' }, readonly ChildInfo[]>
  | Ask<{ readonly type: 'count-children' }, ChildCounts>
  /**
   * Starts a child from `spec`, or (simple-one-for-one) from the template with these `args` and
   * `options` (each replaces the template's). Fails with `StartFailedError` and adds nothing if it does not start.
   */
  | Ask<{ readonly type: 'start-child'; readonly spec?: AnyChildSpec; readonly args?: unknown; readonly options?: SpawnOptions }, ActorRef<never>>
  /** Stops a child; its spec stays (except a temporary or simple-one-for-one child's), listed with no ref. */
  | Ask<{ readonly type: 'terminate-child'; readonly id: string }, true>
  /** Starts again a child whose spec is held but which is not running. */
  | Ask<{ readonly type: 'restart-child'; readonly id: string }, ActorRef<never>>
  /** Forgets the spec of a child that is not running. */
  | Ask<{ readonly type: 'delete-child'; readonly id: string }, true>
  | Ask<{ readonly type: 'get-child-spec'; readonly id: string }, NormalizedChildSpec>;

interface ChildRecord {
  readonly spec: NormalizedChildSpec;
  /** The child's cell; null while it is not running (its spec is kept). */
  cell: Cell | null;
}

/**
 * A supervisor: an actor that starts children from specs and restarts them after OTP's rules —
 * strategies, restart types, intensity and period, backoff, shutdown timeouts, significant children.
 * Its own lifecycle is the xstate machine in `machine.ts`. Every failure is also published on
 * `kernel.failures`, restarted or not.
 *
 * A static child that fails to start makes the supervisor's own start fail (the children started
 * before it stop, last first). A supervisor that exceeds its restart intensity stops its children
 * and exits with reason `shutdown`; the `RestartIntensityError` is published on `kernel.failures`.
 */
export function supervisor(options: SupervisorOptions = {}): BehaviorFactory<SupervisorMsg> {
  const strategy = options.strategy ?? 'one-for-one';
  const restartsMax = options.restartsMax ?? 1;
  const restartWindowMs = options.restartWindowMs ?? 5_000;
  if (!(Number.isInteger(restartsMax) && restartsMax >= 0)) throw new RangeError('restartsMax must be a non-negative integer');
  if (!(restartWindowMs > 0)) throw new RangeError('restartWindowMs must be positive');
  if (options.backoff !== undefined) validateBackoff(options.backoff);
  const specs = (options.children ?? []).map(normalizeChildSpec);
  const ids = new Set(specs.map((spec) => spec.id));
  if (ids.size !== specs.length) throw new TypeError('child spec ids must be unique within a supervisor');
  if (strategy === 'simple-one-for-one' && specs.length !== 1)
    throw new TypeError('a simple-one-for-one supervisor takes exactly one child spec, the template');
  const config: SupervisorConfig = { strategy, restartsMax, restartWindowMs, backoff: options.backoff, autoShutdown: options.autoShutdown ?? 'never', specs };
  return { ...fromSystem(() => new SupervisorInstance(config), `supervisor:${strategy}`), supervises: true };
}

interface SupervisorConfig {
  readonly strategy: Strategy;
  readonly restartsMax: number;
  readonly restartWindowMs: number;
  readonly backoff: BackoffOptions | undefined;
  readonly autoShutdown: AutoShutdown;
  readonly specs: readonly NormalizedChildSpec[];
}

class SupervisorInstance implements SystemActorInstance<SupervisorMsg>, SupervisingInstance {
  private readonly records: ChildRecord[] = [];
  /** Children waiting for a restart decision, oldest first. */
  private readonly pending: ChildRecord[] = [];
  private cell!: Cell;
  /** The lifecycle machine, started on first use (see `machine`). */
  private runner: MachineRunner<SupervisorMachine> | null = null;
  /** It stopped before anything needed the machine: one started later is stopped at once. */
  private stoppedUnstarted = false;
  private dynamicSeq = 0;
  /** A significant exit came during a restart; the shutdown follows when the restart is done. */
  private autoShutdownDeferred = false;
  /** Requests that change children, waiting for the restart under way (see `receive`). */
  private readonly deferred: (() => void)[] = [];

  constructor(private readonly config: SupervisorConfig) {}

  started(ctx: SystemContext<SupervisorMsg>): void {
    this.cell = ctx.cell;
    // A static child that does not start fails this supervisor's start (its StartFailedError is thrown
    // on); the children started before it stop with this supervisor's incarnation.
    if (this.config.strategy !== 'simple-one-for-one') for (const spec of this.config.specs) this.records.push({ spec, cell: this.spawnChildCell(spec) });
  }

  receive(message: SupervisorMsg | { type: string }, ctx: SystemContext<SupervisorMsg>): void {
    // The machine's own delayed events (backoff) come back as messages to self.
    if (message.type.startsWith('xstate.')) {
      this.machine.send(message as never);
      return;
    }
    const kernel = this.cell.kernel;
    const origin = kernel.currentOrigin;
    const answer: ReplyHandle<unknown> | null = origin < 0 ? ctx.replyLater(message as SupervisorMsg) : null;
    const request = message as SupervisorMsg;
    const carryOut = (): void => {
      try {
        const value = this.carryOut(request);
        if (answer === null) return;
        if (value instanceof Promise) void value.then((settled) => answer.resolve(settled));
        else answer.resolve(value);
      } catch (error) {
        // A request that cannot be carried out is the asker's error, not the supervisor's: it is
        // answered, or, told without an ask, a dead letter. The supervisor never crashes on it.
        if (answer !== null) answer.reject(error);
        else kernel.deadLetter(request, origin, this.cell, 'not-understood');
      }
    };
    // OTP's supervisor handles one thing at a time: a request that changes children waits for the
    // restart under way, which would otherwise start again a child it was asked to stop.
    if (changesChildren(request) && this.restarting()) this.deferred.push(carryOut);
    else carryOut();
  }

  /** Carries out a request and returns its answer (a promise for one that waits for a child to stop). */
  private carryOut(request: SupervisorMsg): unknown {
    const supervisor = this.cell.describe();
    switch (request.type) {
      case 'which-children':
        return this.records.map(describeChild);
      case 'count-children':
        return this.countChildren();
      case 'get-child-spec':
        return this.requireRecord(request.id).spec;
      case 'start-child':
        return this.startDynamicChild(request).ref;
      case 'restart-child': {
        const record = this.requireRecord(request.id);
        if (record.cell !== null) throw new ChildStateError(supervisor, record.spec.id, record.cell.status === Status.Running ? 'is running' : 'is restarting');
        record.cell = this.spawnChildCell(record.spec);
        return record.cell.ref;
      }
      case 'delete-child': {
        const record = this.requireRecord(request.id);
        if (record.cell !== null) throw new ChildStateError(supervisor, record.spec.id, 'is running: terminate it first');
        this.remove(record);
        return true;
      }
      case 'terminate-child': {
        const record = this.requireRecord(request.id);
        const child = record.cell;
        record.cell = null;
        if (record.spec.restart === 'temporary' || this.config.strategy === 'simple-one-for-one') this.remove(record);
        else this.unpend(record);
        if (child === null) return true;
        return this.cell.kernel.lifecycle.terminate(child, 'shutdown', undefined, false).then(() => true);
      }
      default:
        throw new UnknownRequestError(supervisor, (request as { type: string }).type);
    }
  }

  async stopped(): Promise<void> {
    if (this.runner === null) this.stoppedUnstarted = true;
    else if (this.runner.snapshot?.status === 'active') this.runner.send({ type: 'shutdown' });
    await this.stopAllChildren();
  }

  childFailed(child: Cell, reason: ExitReason, error: unknown): void {
    const record = this.recordOf(child);
    if (record === undefined) {
      void this.cell.kernel.lifecycle.terminate(child, reason, error, false);
      return;
    }
    if (restartsAfter(record.spec, reason)) {
      this.requestRestart(record);
      return;
    }
    void this.cell.kernel.lifecycle.terminate(child, reason, error, false);
    this.ended(record);
  }

  childExited(child: Cell, reason: ExitReason): void {
    const record = this.recordOf(child);
    if (record === undefined) return;
    record.cell = null;
    if (restartsAfter(record.spec, reason)) {
      this.requestRestart(record);
      return;
    }
    this.ended(record);
  }

  /** A child ended for good: a temporary (or dynamic) child's spec goes, another's stays, listed with no ref. */
  private ended(record: ChildRecord): void {
    record.cell = null;
    if (record.spec.restart === 'temporary' || this.config.strategy === 'simple-one-for-one') this.remove(record);
    else this.unpend(record);
    this.checkAutoShutdown(record);
  }

  private requireRecord(id: string): ChildRecord {
    const record = this.records.find((r) => r.spec.id === id);
    if (record === undefined) throw new NoSuchChildError(this.cell.describe(), id);
    return record;
  }

  private countChildren(): ChildCounts {
    let active = 0;
    let supervisors = 0;
    for (const record of this.records) {
      if (record.cell !== null) active++;
      if (record.spec.type === 'supervisor') supervisors++;
    }
    return { specs: this.records.length, active, supervisors, workers: this.records.length - supervisors };
  }

  private requestRestart(record: ChildRecord): void {
    if (!this.pending.includes(record)) this.pending.push(record);
    this.pump();
  }

  /**
   * The lifecycle machine, started on first use: a supervisor whose children never fail never
   * needs it, and starting one for every supervisor cost a third of a boot.
   */
  private get machine(): MachineRunner<SupervisorMachine> {
    if (this.runner === null) {
      this.runner = new MachineRunner(supervisorMachine(), { cell: this.cell, emitted: () => {} });
      const { restartsMax, restartWindowMs, backoff } = this.config;
      const effects: SupervisorEffects = {
        performRestart: () => this.guard(this.performRestart()),
        stopAllChildren: () => this.guard(this.stopAllChildren().then(() => this.sendToMachine({ type: 'children.down' }))),
        exitGivingUp: () => {
          const cell = this.cell;
          const error = new RestartIntensityError(cell.describe(), restartsMax, restartWindowMs);
          cell.kernel.reportFailure(cell, error, undefined, 'shutdown');
          cell.kernel.lifecycle.die(cell, 'shutdown', error, undefined, 0);
        },
        stopSelf: () => void this.cell.kernel.lifecycle.terminate(this.cell, 'shutdown', undefined, true),
      };
      this.runner.start({ restartsMax, restartWindowMs, backoff, effects });
      // Stopped before it was needed: it ends where the stop would have left it.
      if (this.stoppedUnstarted) this.runner.send({ type: 'shutdown' });
    }
    return this.runner;
  }

  /** Whether the machine is `running` (where it starts, unless the supervisor stopped first). */
  private running(): boolean {
    return this.runner === null ? !this.stoppedUnstarted : this.runner.snapshot?.matches('running') === true;
  }

  /** Whether a restart is being carried out. */
  private restarting(): boolean {
    return this.runner?.snapshot?.matches({ restarting: 'working' }) === true;
  }

  /** Feeds the oldest waiting child to the machine when it is ready for one. */
  private pump(): void {
    if (this.pending.length === 0 || !this.running()) return;
    const cell = this.cell;
    this.machine.send({ type: 'child.restart-needed', atMs: cell.now(), jitter: cell.random.next() });
  }

  private async performRestart(): Promise<void> {
    const failed = this.pending.shift();
    if (failed !== undefined && this.records.includes(failed)) {
      const lifecycle = this.cell.kernel.lifecycle;
      const group = childrenToRestart(this.config.strategy, this.records, failed);
      // Stop the group last-started first, then start it again in start order (OTP).
      for (const record of [...group].reverse()) {
        if (record.cell === null) continue;
        if (record !== failed && record.spec.restart === 'temporary') {
          this.remove(record);
          await lifecycle.terminate(record.cell, 'shutdown', undefined, false);
          continue;
        }
        await lifecycle.suspendForRestart(record.cell, 'shutdown');
      }
      if (this.cell.status !== Status.Running) return;
      // Every restart of the group is caused by the failure that started it.
      const cause = failed.cell?.extras?.faultEvent ?? 0;
      for (const record of group) {
        if (!this.records.includes(record)) continue;
        if (record.cell !== null && record.cell.status !== Status.Stopped) {
          lifecycle.resume(record.cell, cause);
          continue;
        }
        try {
          record.cell = this.spawnChildCell(record.spec);
        } catch (error) {
          // It did not start again: that is one more failure to restart, under the same intensity.
          if (!(error instanceof StartFailedError)) throw error;
          record.cell = null;
          this.pending.push(record);
        }
      }
      // Siblings that crashed while the group was going down were restarted with it (OTP handles
      // such a crash once): their own requests are void.
      for (const record of group) if (record.cell !== null) this.unpend(record);
    }
    this.sendToMachine({ type: 'restart.done' });
  }

  private async stopAllChildren(): Promise<void> {
    const lifecycle = this.cell.kernel.lifecycle;
    for (const record of [...this.records].reverse()) {
      // A child still waiting for its restart crashed: it ends with that reason, not `shutdown`.
      const reason = this.pending.includes(record) ? 'crashed' : 'shutdown';
      if (record.cell !== null) await lifecycle.terminate(record.cell, reason, undefined, false);
    }
    this.records.length = 0;
    this.pending.length = 0;
  }

  /**
   * An effect that runs on after the turn (a restart waits for children to stop) must not fail
   * silently or as an unhandled rejection: its error is this supervisor's failure, for its parent.
   */
  private guard(effect: Promise<void>): void {
    effect.catch((error: unknown) => {
      if (this.cell.instance === this) this.cell.kernel.lifecycle.fail(this.cell, error, undefined, 0);
    });
  }

  /** Sends an event to the machine as this supervisor (from a promise continuation), then pumps. */
  private sendToMachine(event: { type: 'restart.done' } | { type: 'children.down' }): void {
    const runner = this.runner;
    if (this.cell.instance !== this || runner?.snapshot?.status !== 'active') return;
    this.cell.kernel.runHook(this.cell, () => {
      runner.send(event);
      for (let request = this.deferred.shift(); request !== undefined && !this.restarting(); request = this.deferred.shift()) request();
      if (this.autoShutdownDeferred && this.running()) {
        this.autoShutdownDeferred = false;
        runner.send({ type: 'auto-shutdown' });
        return;
      }
      this.pump();
    });
  }

  private checkAutoShutdown(record: ChildRecord): void {
    if (!record.spec.significant || this.config.autoShutdown === 'never') return;
    const anySignificantRunning = this.records.some((r) => r.spec.significant && r.cell !== null);
    if (this.config.autoShutdown !== 'any-significant' && anySignificantRunning) return;
    // In the middle of a restart the shutdown waits until the group is up again (see sendToMachine).
    if (this.restarting()) this.autoShutdownDeferred = true;
    else this.machine.send({ type: 'auto-shutdown' });
  }

  /** Starts a child from a request; a bad request or a child that does not start fails the ask, and nothing is added. */
  private startDynamicChild(request: Extract<SupervisorMsg, { type: 'start-child' }>): Cell {
    let spec: NormalizedChildSpec;
    if (request.spec !== undefined) {
      spec = normalizeChildSpec(request.spec);
    } else {
      const template = this.config.specs[0];
      if (this.config.strategy !== 'simple-one-for-one' || template === undefined)
        throw new UsageError('start-child needs a spec unless the supervisor is simple-one-for-one');
      const args = request.args ?? template.args;
      const options = request.options ?? template.options;
      spec = { ...template, id: `${template.id}-${++this.dynamicSeq}`, args, options: args === undefined ? options : { ...options, args } };
    }
    if (this.records.some((r) => r.spec.id === spec.id)) throw new ChildStateError(this.cell.describe(), spec.id, 'already exists');
    const cell = this.spawnChildCell(spec);
    this.records.push({ spec, cell });
    return cell;
  }

  /** Spawns a child from its spec; throws its `StartFailedError` if it does not start. */
  private spawnChildCell(spec: NormalizedChildSpec): Cell {
    return this.cell.kernel.lifecycle.spawnOrThrow(this.cell, spec.start, spec.options, spec);
  }

  private recordOf(cell: Cell): ChildRecord | undefined {
    return this.records.find((record) => record.cell === cell);
  }

  private remove(record: ChildRecord): void {
    const index = this.records.indexOf(record);
    if (index >= 0) this.records.splice(index, 1);
    this.unpend(record);
  }

  private unpend(record: ChildRecord): void {
    const waiting = this.pending.indexOf(record);
    if (waiting >= 0) this.pending.splice(waiting, 1);
  }
}

/** Whether a child of `spec` is restarted after its incarnation ended with `reason` (OTP's restart types). */
function restartsAfter(spec: NormalizedChildSpec, reason: ExitReason): boolean {
  return spec.restart === 'permanent' || (spec.restart === 'transient' && !isCleanExit(reason));
}

/** Whether `request` starts, stops or forgets children (and so must not run in the middle of a restart). */
function changesChildren(request: SupervisorMsg): boolean {
  const type = request.type;
  return type === 'start-child' || type === 'terminate-child' || type === 'restart-child' || type === 'delete-child';
}

function describeChild(record: ChildRecord): ChildInfo {
  const cell = record.cell;
  const status = cell === null || cell.status >= Status.Stopping ? 'stopped' : cell.status === Status.Running ? 'running' : 'restarting';
  return {
    id: record.spec.id,
    ref: status === 'stopped' ? undefined : (cell!.ref as ActorRef<never>),
    restart: record.spec.restart,
    type: record.spec.type,
    status,
  };
}
