/**
 * One CPU's fair scheduler (OSv's `struct cpu` scheduling half and `reschedule_from_interrupt`),
 * pure: no clock, no timers. Every call takes `nowMs` from the caller's clock; the scheduler charges
 * the running entity (or the idle CPU) for the time since its last call.
 *
 * The dispatcher's loop, with preemption between messages:
 *
 * ```ts
 * for (let turn = scheduler.pickNext(clock.now()); turn !== null; turn = scheduler.pickNext(clock.now())) {
 *   const cell = turn.entity.owner;
 *   for (let handled = 0; ; ) {
 *     runOneMessage(cell); handled++;
 *     if (cell.mailbox.count === 0) { scheduler.sleep(turn.entity, clock.now()); break; }
 *     if (scheduler.turnOver(clock.now(), handled)) break; // slice, budget, or a wake that outranks it
 *   }
 * }
 * // elsewhere: a message for an idle actor → scheduler.wake(entity, clock.now()); a stop → detach.
 * ```
 */
import { assert, invariantBroken } from '../../ground/assert.js';
import { decideMigration, type Migration } from './balancer.js';
import {
  addContextSwitchPenalty,
  charge,
  chargeSleeper,
  createNormClock,
  creditedRuntime,
  exportRuntime,
  hysteresisRunStart,
  hysteresisRunStop,
  type NormClock,
  renormalizeClock,
  renormalizeRunnable,
  updateAfterSleep,
} from './decayed-runtime.js';
import { EntityState, placeCode, placeOf, SchedClass, schedClassOf, type SchedEntity } from './entity.js';
import { renormalizeScale, runQueueCountMax, SchedLimit, turnMessagesMax } from './limits.js';
import { RunQueue } from './run-queue.js';
import { sliceMs, turnOver, type TurnGrant } from './time-slice.js';

export interface CpuSchedulerOptions {
  /** This CPU's index (the balancer's `loads` are indexed by it). Default 0. */
  readonly cpu?: number;
  /** The caller's clock when the scheduler starts, in ms. Default 0. */
  readonly startMs?: number;
  /** Messages per turn (default `turnMessagesMax`, the dispatcher's batch). */
  readonly turnMessagesMax?: number;
  /** Bound of the run queue (default `runQueueCountMax`). */
  readonly runQueueCountMax?: number;
}

/**
 * The entity to run and for how long. A view owned by the scheduler: the next `pickNext` overwrites
 * it, so read it during the turn and do not keep it.
 */
export interface SchedTurn<TOwner> extends TurnGrant {
  readonly entity: SchedEntity<TOwner>;
  /** The slice, `Infinity` when no rival waits or the entity is real-time. */
  readonly sliceMs: number;
  /** True when `entity` has just been switched in, false when the running entity keeps the CPU. */
  readonly switched: boolean;
}

/**
 * The scheduler's one turn view. The slice (OSv `time_until`, a logarithm) is worked out when first
 * read, from the runtimes as they stood at the grant: a turn of one message, the common case of
 * actors that talk, never needs it.
 */
class Turn<TOwner> implements SchedTurn<TOwner> {
  entity: SchedEntity<TOwner> = null as never;
  switched = false;
  /**
   * When the turn started, written by `pickNext` before it grants: a field store, where an argument
   * to `grant` (which V8 may not inline) would box the fraction in a heap number on every pick.
   */
  startMs = 0;
  /** The queue head's R'' the slice runs up to; `Infinity`: no rival, or a real-time runner. */
  targetRuntime = Number.POSITIVE_INFINITY;
  /** The runner's R'' and priority, and c, as they stood at the grant (a wake during the turn may charge them). */
  private readonly runnerAtGrant = { priority: 1, runtime: 0, renormalizeCount: 0 };
  private readonly clockAtGrant: NormClock = { c: 1, renormalizeCount: 0 };
  /** The runner's hysteresis credit was owed at the grant: the slice counts it (applied to the copies above when worked out). */
  private creditOwedAtGrant = false;
  /** The slice, once worked out; −1 before. */
  private slice = -1;

  constructor(
    readonly messagesMax: number,
    /** The scheduler's clock, read at a grant with a rival. */
    private readonly norm: NormClock,
  ) {}

  get sliceMs(): number {
    if (this.slice < 0) {
      const target = this.targetRuntime;
      if (this.creditOwedAtGrant === true) {
        this.creditOwedAtGrant = false;
        hysteresisRunStart(this.clockAtGrant, this.runnerAtGrant);
      }
      this.slice = target === Number.POSITIVE_INFINITY ? target : sliceMs(this.clockAtGrant, this.runnerAtGrant, target);
      assert(this.slice > 0, 'a slice is positive');
    }
    return this.slice;
  }

  get deadlineMs(): number {
    return this.startMs + this.sliceMs;
  }

  /**
   * Grants `entity` a turn whose slice runs until it passes `rival` (the queue's head; null: no
   * limit). `creditOwed`: the runner's hysteresis credit is owed (see `CpuScheduler.creditOwed`),
   * and the slice counts it. Entities, not runtimes, are passed: a fraction passed to a call V8 does
   * not inline is boxed in a heap number.
   */
  grant(entity: SchedEntity<TOwner>, rival: SchedEntity<TOwner> | null, switched: boolean, creditOwed: boolean): this {
    this.entity = entity;
    this.switched = switched;
    this.slice = -1;
    // Without a rival the slice is ∞ whatever the runtimes: nothing to keep of them.
    if (rival === null) {
      this.targetRuntime = Number.POSITIVE_INFINITY;
      this.creditOwedAtGrant = false;
    } else {
      this.targetRuntime = rival.runtime;
      this.runnerAtGrant.runtime = entity.runtime;
      this.runnerAtGrant.priority = entity.priority;
      this.clockAtGrant.c = this.norm.c;
      // Applied only if the slice is read: most turns of a busy CPU, of a message or a few, never read it.
      this.creditOwedAtGrant = creditOwed;
    }
    return this;
  }
}

export interface SchedStats {
  /** Entities switched in. */
  switches: number;
  /** Switches away from an entity that was still runnable. */
  preemptions: number;
  renormalizations: number;
  /** Entities this CPU's balancer gave away. */
  migrations: number;
}

export class CpuScheduler<TOwner = unknown> {
  readonly cpu: number;
  private readonly norm: NormClock = createNormClock();
  readonly stats: SchedStats = { switches: 0, preemptions: 0, renormalizations: 0, migrations: 0 };
  /** A wake has made the running entity's slice stale: end the turn at the next message (OSv `need_reschedule`). */
  needReschedule = false;
  private readonly queue: RunQueue<SchedEntity<TOwner>>;
  private readonly messagesMax: number;
  private running: SchedEntity<TOwner> | null = null;
  // Initialized here, not only in the constructor: a field first defined as undefined is kept tagged,
  // and then every store of a fractional time allocates a heap number (once per turn).
  private sinceMs = 0;
  /**
   * The time of the `handOff` under way, or `chargeAlone`'s end. Both are wrappers that store their
   * time here and call the method that does the work: the wrapper is small enough (27 bytes of
   * bytecode or less) for V8 to inline it as a small function, while the work, where the caller's
   * budget does not reach it, is compiled on its own and inlines its charges within its own budget.
   * Inlined into the drain's loop (two actors that talk) or an ask run alone, the work spent most of
   * the caller's budget (about 920 bytes of bytecode), and a call left out then boxed its time in a
   * heap number (measured-limits §3f). `wake`, `sleep` and `pickNext` were tried the same way and
   * measured no faster on a busy CPU's ring.
   */
  private callMs = 0;
  /** `chargeAlone`'s start, handed over as `callMs` is. */
  private aloneStartMs = 0;
  private readonly turn: Turn<TOwner>;
  /**
   * The running fair entity has been switched in without its hysteresis credit (OSv
   * `hysteresis_run_start`): it is applied only when something reads c or the runner's runtime
   * (`settleCredit`). A runner that blocks first owes nothing: its credit and the payback at its
   * sleep cancel exactly, as every charge to one runtime telescopes to p·(c_end − c_start), so the
   * common turn, switched in, one message, asleep, skips both.
   */
  private creditOwed = false;
  /** `placeOf` a sleeping, queued and running entity of this CPU. */
  private readonly sleepingHere: number;
  private readonly queuedHere: number;
  private readonly runningHere: number;

  constructor(options: CpuSchedulerOptions = {}) {
    this.cpu = options.cpu ?? 0;
    this.sinceMs = options.startMs ?? 0;
    this.messagesMax = options.turnMessagesMax ?? turnMessagesMax;
    this.queue = new RunQueue(options.runQueueCountMax ?? runQueueCountMax);
    assert(Number.isInteger(this.cpu) && this.cpu >= 0, 'cpu must be a non-negative integer');
    assert(Number.isFinite(this.sinceMs), 'startMs must be finite');
    assert(Number.isInteger(this.messagesMax) && this.messagesMax >= 1, 'turnMessagesMax must be a positive integer');
    this.turn = new Turn(this.messagesMax, this.norm);
    this.sleepingHere = placeCode(EntityState.sleeping, this.cpu);
    this.queuedHere = placeCode(EntityState.queued, this.cpu);
    this.runningHere = placeCode(EntityState.running, this.cpu);
  }

  /** The normalisation factor c and the renormalisation count, the runner's credit applied (read-only outside this class). */
  get clock(): NormClock {
    this.settleCredit();
    return this.norm;
  }

  /** The entity holding the CPU, if any. */
  get current(): SchedEntity<TOwner> | null {
    return this.running;
  }

  /** Runnable entities: queued plus running (the balancer's load). */
  get load(): number {
    return this.queue.count + (this.running === null ? 0 : 1);
  }

  get queuedCount(): number {
    return this.queue.count;
  }

  /** The queued entities, most deserving first (O(n log n); tests and stats). */
  queued(): SchedEntity<TOwner>[] {
    return this.queue.toSortedArray();
  }

  /**
   * Makes `entity` runnable here: a detached one (new, or migrated from another CPU) is attached to
   * this CPU, a sleeping one is woken. Idempotent: an entity already queued or running is left alone
   * and false is returned. Sets `needReschedule` when the entity outranks the running one's slice.
   */
  wake(entity: SchedEntity<TOwner>, nowMs: number): boolean {
    const place = placeOf(entity);
    if (place !== this.sleepingHere) {
      if (place === this.queuedHere || place === this.runningHere) return false;
      if (entity.state !== EntityState.detached) invariantBroken('wake an entity on its own CPU (or a detached one)');
      entity.cpu = this.cpu;
      // An imported runtime is R, turned into R·c with this CPU's c: bring c up to now first.
      this.settleCredit();
      this.account(nowMs);
    }
    updateAfterSleep(this.norm, entity);
    entity.state = EntityState.queued;
    this.queue.insert(entity);
    const running = this.running;
    // A new head invalidates the running slice (computed against the old head); a real-time
    // runner ignores fair wakes and, FIFO, real-time ones too.
    if (running !== null && running.schedClass !== SchedClass.realtime && this.queue.peek() === entity) this.needReschedule = true;
    return true;
  }

  /**
   * The running `entity` has nothing to do (empty mailbox, awaiting a promise): it stops running.
   * `handOff` writes out the same charge: change both together.
   */
  sleep(entity: SchedEntity<TOwner>, nowMs: number): void {
    if (entity !== this.running || placeOf(entity) !== this.runningHere) invariantBroken('only the running entity goes to sleep, and stays attached');
    const intervalMs = nowMs - this.sinceMs;
    this.sinceMs = nowMs;
    const ranMs = Math.min(Math.max(intervalMs, 0), SchedLimit.intervalMsMax);
    // Charged here rather than through account: a call that is not inlined boxes its fraction.
    if (entity.schedClass === SchedClass.realtime) {
      this.renormalizeIf(charge(this.norm, null, ranMs));
    } else {
      // OSv: a blocking thread pays back the hysteresis credit it borrowed when switched in; here
      // in one charge with the time it ran since the last call (see creditOwed).
      const owed = this.creditOwed;
      this.creditOwed = false;
      this.renormalizeIf(chargeSleeper(this.norm, entity, ranMs, owed));
    }
    entity.state = EntityState.sleeping;
    this.running = null;
  }

  /**
   * Whether `handOff` may give the CPU to `entity`, woken now: it sleeps on this CPU, nothing is
   * queued, and the CPU is idle or its runner is not real-time (which a wake does not interrupt).
   */
  canHandOffTo(entity: SchedEntity<TOwner>): boolean {
    const running = this.running;
    return this.queue.count === 0 && placeOf(entity) === this.sleepingHere && (running === null || running.schedClass !== SchedClass.realtime);
  }

  /**
   * Gives the CPU to `to`, a sleeper woken while nothing was queued (`canHandOffTo`), from `from`,
   * the runner that woke it and then ran dry, or from the idle CPU (`from` null: `to` was woken from
   * outside, by an ask, a timer or I/O). It does what `wake(to)`, then `sleep(from, nowMs)` and
   * `pickNext(nowMs)` do, with the same charges, states, stats and grant, in one call and without the
   * run queue (two differences nobody observes: `to` takes no sequence number, and a runtime below
   * 2^-896 that a renormalisation makes subnormal is not flushed to 0). The runner must still be fair:
   * the fair dispatcher puts a kept-aside wake in the queue before it changes a priority. Two actors
   * that talk hand off on every message, and an idle kernel on every request, and the three calls
   * cost about as much as running the message.
   *
   * @example
   * ```ts
   * // during a's turn, a wakes b, which the dispatcher keeps aside; a then runs dry:
   * const turn = scheduler.handOff(a, b, clock.now()); // turn.entity === b, a sleeps
   * ```
   */
  handOff(from: SchedEntity<TOwner> | null, to: SchedEntity<TOwner>, nowMs: number): SchedTurn<TOwner> {
    this.callMs = nowMs;
    return this.handOffNow(from, to);
  }

  private handOffNow(from: SchedEntity<TOwner> | null, to: SchedEntity<TOwner>): SchedTurn<TOwner> {
    const nowMs = this.callMs;
    // Every check before any write: a refused hand-off leaves the scheduler as it was.
    if (this.queue.count !== 0 || placeOf(to) !== this.sleepingHere) invariantBroken('hand off to a sleeper of this CPU, with nothing queued');
    if (from !== this.running || (from !== null && (placeOf(from) !== this.runningHere || from.schedClass === SchedClass.realtime)))
      invariantBroken('hand off from the fair runner, or from the idle CPU');
    const norm = this.norm;
    // What the wake did.
    updateAfterSleep(norm, to);
    // What sleep(from, nowMs), or pickNext's charge of the idle time, does: written out, as a call V8
    // does not inline boxes the fraction.
    const intervalMs = nowMs - this.sinceMs;
    this.sinceMs = nowMs;
    if (from === null) {
      if (intervalMs > 0) this.renormalizeIf(charge(norm, null, Math.min(intervalMs, SchedLimit.intervalMsMax)));
      return this.switchToWoken(to, nowMs);
    }
    const ranMs = Math.min(Math.max(intervalMs, 0), SchedLimit.intervalMsMax);
    const owed = this.creditOwed;
    this.creditOwed = false;
    this.renormalizeIf(chargeSleeper(norm, from, ranMs, owed));
    from.state = EntityState.sleeping;
    return this.switchToWoken(to, nowMs);
  }

  /** The end of `handOff`: what pickNext(nowMs) does with `to` as the queue (after a sleep, no time is left to charge). */
  private switchToWoken(to: SchedEntity<TOwner>, nowMs: number): SchedTurn<TOwner> {
    // A renormalisation of the charge before would have scaled `to` in the queue: it catches up
    // with it now, by the same product.
    updateAfterSleep(this.norm, to);
    to.state = EntityState.running;
    this.running = to;
    this.stats.switches++;
    this.needReschedule = false;
    const turn = this.turn;
    turn.startMs = nowMs;
    // Its hysteresis credit waits until something reads it (see creditOwed), as in switchIn.
    if (to.schedClass !== SchedClass.realtime) this.creditOwed = true;
    return turn.grant(to, null, true, false);
  }

  /**
   * `entity`, a sleeper of this idle CPU with nothing queued (`canHandOffTo`), ran alone from
   * `startMs` to `endMs` and sleeps again: what `handOff(null, entity, startMs)` and then
   * `sleep(entity, endMs)` do, with the same charges and stats, in one call and without making it
   * the runner (its state, the turn and the grant, which nobody reads in between, are left alone).
   * An ask from outside that an idle actor answers without waking anyone takes this path
   * (actors/sched/fair-dispatcher.ts, `runAskAlone`).
   *
   * @example
   * ```ts
   * scheduler.chargeAlone(entity, startMs, clock.now()); // as handOff(null, entity, startMs); sleep(entity, now)
   * ```
   */
  chargeAlone(entity: SchedEntity<TOwner>, startMs: number, endMs: number): void {
    this.aloneStartMs = startMs;
    this.callMs = endMs;
    this.chargeAloneNow(entity);
  }

  private chargeAloneNow(entity: SchedEntity<TOwner>): void {
    const startMs = this.aloneStartMs;
    const endMs = this.callMs;
    if (this.queue.count !== 0 || this.running !== null || placeOf(entity) !== this.sleepingHere)
      invariantBroken('charge an alone run to a sleeper of this idle CPU, with nothing queued');
    const norm = this.norm;
    // handOff's wake and its charge of the idle time, then switchToWoken's catch-up.
    updateAfterSleep(norm, entity);
    const idleMs = startMs - this.sinceMs;
    if (idleMs > 0) this.renormalizeIf(charge(norm, null, Math.min(idleMs, SchedLimit.intervalMsMax)));
    updateAfterSleep(norm, entity);
    this.stats.switches++;
    this.needReschedule = false;
    // sleep's charge: the credit of its switch-in, never settled, cancels against its payback.
    this.sinceMs = endMs;
    const ranMs = Math.min(Math.max(endMs - startMs, 0), SchedLimit.intervalMsMax);
    const due = entity.schedClass === SchedClass.realtime ? charge(norm, null, ranMs) : chargeSleeper(norm, entity, ranMs, true);
    if (due) {
      // sleep renormalises while the entity is still the runner: it is scaled with the clock.
      this.renormalize();
      renormalizeRunnable(norm, entity);
    }
  }

  /**
   * Removes `entity` from this CPU (a stop, or a migration), exporting its runtime so that a `wake`
   * on any CPU, this one included, resumes it where its decayed runtime stands.
   */
  detach(entity: SchedEntity<TOwner>, nowMs: number): void {
    assert(entity.cpu === this.cpu && entity.state !== EntityState.detached, 'detach an entity of this CPU');
    this.settleCredit();
    if (entity.state === EntityState.running) {
      this.account(nowMs);
      if (entity.schedClass !== SchedClass.realtime) this.renormalizeIf(hysteresisRunStop(this.norm, entity));
      this.running = null;
    } else if (entity.state === EntityState.queued) {
      this.queue.remove(entity);
    } else {
      updateAfterSleep(this.norm, entity);
    }
    exportRuntime(this.norm, entity);
    entity.state = EntityState.detached;
    entity.cpu = -1;
  }

  /**
   * Changes `entity`'s priority (OSv `thread::set_priority`): its stored runtime stays, later
   * charges use the new weight. Moving to or from the real-time class restarts its history (the
   * real-time class keeps runtime 0, and a fair newcomer starts at 0 too). A queued entity is
   * re-queued so the queue stays ordered; a running one is re-checked at its next reschedule point.
   */
  setPriority(entity: SchedEntity<TOwner>, priority: number): void {
    const schedClass = schedClassOf(priority);
    // The credit owed was the runner's at its old priority.
    this.settleCredit();
    const queued = entity.state === EntityState.queued;
    assert(!queued || entity.cpu === this.cpu, 'set the priority of an entity of this CPU');
    if (queued) this.queue.remove(entity);
    if (schedClass !== entity.schedClass) entity.runtime = schedClass === SchedClass.idle ? Number.POSITIVE_INFINITY : 0;
    entity.priority = priority;
    entity.schedClass = schedClass;
    if (queued) this.queue.insert(entity);
    if (entity.state === EntityState.running || queued) this.needReschedule = true;
  }

  /**
   * The reschedule point (OSv `reschedule_from_interrupt`): charges the running entity for the time
   * since the last call (the context-switch penalty if none passed), then either lets it keep the
   * CPU with a new slice or switches to the head of the queue. Null when nothing is runnable.
   */
  pickNext(nowMs: number): SchedTurn<TOwner> | null {
    const previous = this.running;
    const intervalMs = nowMs - this.sinceMs;
    this.sinceMs = nowMs;
    this.turn.startMs = nowMs;
    this.needReschedule = false;
    // The charges are written out here, not called: a call that is not inlined boxes its fraction.
    if (previous === null) {
      // Idle time advances c (everyone's history decays) and charges nobody.
      if (intervalMs > 0) this.renormalizeIf(charge(this.norm, null, Math.min(intervalMs, SchedLimit.intervalMsMax)));
      return this.queue.count === 0 ? null : this.switchIn(false);
    }
    // Whether it keeps the CPU compares its runtime, credit included.
    this.settleCredit();
    // A clock that has not moved (or moved back) still costs the runner a switch (OSv's startup guard).
    const ranMs = intervalMs > 0 ? Math.min(intervalMs, SchedLimit.intervalMsMax) : SchedLimit.contextSwitchPenaltyMs;
    this.renormalizeIf(charge(this.norm, previous.schedClass === SchedClass.realtime ? null : previous, ranMs));
    // Whether it keeps the CPU, and until it passes whom.
    const head = this.queue.peek();
    if (head === undefined) return this.turn.grant(previous, null, false, false);
    const headRealtime = head.schedClass === SchedClass.realtime;
    if (previous.schedClass === SchedClass.realtime) {
      // Real-time: FIFO against fair entities; when another real-time entity waits, the runner has
      // spent its message budget (the only way its turn ends while runnable), so it goes round-robin.
      if (!headRealtime) return this.turn.grant(previous, null, false, false);
    } else if (!headRealtime && previous.runtime < head.runtime) {
      return this.turn.grant(previous, head, false, false);
    }
    this.switchOut(previous);
    return this.switchIn(true);
  }

  /**
   * Whether the fair runner, charged up to its turn's start, keeps the CPU against `entity` at a
   * reschedule now: `pickNext`'s comparison, the credit it owes counted, with no time charged for
   * the turn so far (a wake during a turn is dated at the turn's start). Reads only; false for an
   * entity whose runtime has not caught up with a renormalisation yet.
   */
  runnerOutranks(entity: SchedEntity<TOwner>): boolean {
    const running = this.running;
    if (running === null || running.schedClass !== SchedClass.fair || entity.schedClass === SchedClass.realtime) return false;
    if (entity.renormalizeCount !== this.norm.renormalizeCount) return false;
    return (this.creditOwed === true ? creditedRuntime(this.norm, running) : running.runtime) < entity.runtime;
  }

  /** Applies the running entity's owed hysteresis credit (see `creditOwed`). */
  private settleCredit(): void {
    if (this.creditOwed === true) {
      this.creditOwed = false;
      this.renormalizeIf(hysteresisRunStart(this.norm, this.running!));
    }
  }

  /** The preemption rule between messages (see time-slice.ts): true when the turn must end. */
  turnOver(nowMs: number, messagesHandled: number): boolean {
    return turnOver(this.turn, nowMs, messagesHandled, this.needReschedule);
  }

  /**
   * One balancer round (every `balancePeriodMs`): decides with `loads` (every CPU's `load`, indexed
   * by CPU) and, if an entity should move, detaches it here. The caller hands `migration.entity` to
   * CPU `migration.target`, which `wake`s it.
   */
  balance(loads: ArrayLike<number>, nowMs: number): Migration<SchedEntity<TOwner>> | null {
    assert(loads[this.cpu] === this.load, 'loads must hold this CPU’s current load');
    const migration = decideMigration(this.cpu, loads, this.queue.toArray());
    if (migration === null) return null;
    assert(migration.entity.state === EntityState.queued && !migration.entity.pinned, 'only a queued, unpinned entity migrates');
    this.detach(migration.entity, nowMs);
    this.stats.migrations++;
    return migration;
  }

  private switchOut(previous: SchedEntity<TOwner>): void {
    // Pay the credit back while still running, so a renormalisation it triggers scales it too.
    if (previous.schedClass !== SchedClass.realtime) this.renormalizeIf(hysteresisRunStop(this.norm, previous));
    previous.state = EntityState.queued;
    this.running = null;
    this.stats.preemptions++;
    // A fair entity goes back before its equals, as OSv re-inserts a preempted thread; a real-time
    // one goes behind the others (round robin).
    if (previous.schedClass === SchedClass.realtime) this.queue.insert(previous);
    else this.queue.insertFirstEqual(previous);
  }

  /** Switches the queue's head in. `switchToWoken` does the same for a hand-off: change both together. */
  private switchIn(preempted: boolean): SchedTurn<TOwner> {
    const next = this.queue.pop();
    if (placeOf(next) !== this.queuedHere) invariantBroken('the queue holds this CPU’s queued entities');
    next.state = EntityState.running;
    this.running = next;
    this.stats.switches++;
    if (next.schedClass === SchedClass.realtime) return this.turn.grant(next, null, true, false);
    if (preempted === true) this.renormalizeIf(addContextSwitchPenalty(this.norm, next));
    // Its hysteresis credit waits until something reads it (see creditOwed).
    this.creditOwed = true;
    const head = this.queue.peek();
    return this.turn.grant(next, head ?? null, true, true);
  }

  /** Charges the time since the last call to the runner; nothing happens when none passed. */
  private account(nowMs: number): void {
    const intervalMs = nowMs - this.sinceMs;
    this.sinceMs = nowMs;
    if (intervalMs <= 0) return;
    const running = this.running;
    // Real-time and idle time advance c (everyone else's history decays) but charge no runtime.
    const runtime = running !== null && running.schedClass !== SchedClass.realtime ? running : null;
    this.renormalizeIf(charge(this.norm, runtime, Math.min(intervalMs, SchedLimit.intervalMsMax)));
  }

  /**
   * Renormalises when `due`. Two functions, the test and the rare work: V8 then inlines the test on
   * every turn's path without spending its inlining budget on the work (measured-limits §3f).
   */
  private renormalizeIf(due: boolean): void {
    if (due) this.renormalize();
  }

  private renormalize(): void {
    const clock = this.norm;
    renormalizeClock(clock);
    if (this.running !== null) renormalizeRunnable(clock, this.running);
    this.queue.rescale(renormalizeScale);
    this.queue.forEach((entity) => (entity.renormalizeCount = clock.renormalizeCount));
    this.stats.renormalizations++;
  }
}

/**
 * Creates one CPU's scheduler.
 *
 * @example
 * ```ts
 * const scheduler = createCpuScheduler<Cell>({ cpu: 0, startMs: clock.now() });
 * scheduler.wake(createSchedEntity(cell), clock.now());
 * const turn = scheduler.pickNext(clock.now()); // { entity, sliceMs, deadlineMs, messagesMax, switched }
 * ```
 */
export function createCpuScheduler<TOwner>(options?: CpuSchedulerOptions): CpuScheduler<TOwner> {
  return new CpuScheduler<TOwner>(options);
}
