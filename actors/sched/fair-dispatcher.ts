/**
 * The kernel's default run policy (`BootOptions.scheduler: 'fair'`): OSv's fair scheduler driving
 * the dispatcher. Which actor runs next is `CpuScheduler.pickNext` (lowest decayed runtime, the
 * real-time class first); how long is its slice, checked between messages against the clock, or
 * its message budget, or a wake that outranks it, whichever ends first.
 *
 * Deviation from OSv, forced by JavaScript: a handler cannot be interrupted, so a turn ends at the
 * first message boundary after its slice, never inside a handler. The overshoot is charged like any
 * other CPU time, so it is paid back in runtime. There is no periodic tick either: the clock is
 * read at each reschedule point, at each wake, and after each message while a rival waits.
 *
 * @example
 * ```ts
 * const kernel = await Kernel.boot({ scheduler: 'fair' }); // the default
 * kernel.spawn(Indexer, { priority: 4 });       // a quarter of the CPU share of a default actor
 * kernel.spawn(DiskDriver, { priority: 'realtime' }); // runs before every fair actor
 * ```
 */
import { assert } from '../../ground/assert.js';
import type { AnyBehavior } from '../runtime/behavior.js';
import type { Cell } from '../runtime/cell.js';
import { Dispatcher, type SpendCpu } from '../runtime/dispatcher.js';
import type { KernelCore } from '../runtime/kernel-core.js';
import { DrainLimit, outsideAsksEstimatedMax } from '../runtime/limits.js';
import type { SpawnOptions } from '../runtime/spawn-options.js';
import type { Pid } from '../../ground/pid.js';
import { drainSystemLane } from '../runtime/system-lane.js';
import { SchedLimit } from './limits.js';
import { EntityState, nsPerMessageMax, priorityValue, SchedClass, stampUs, WokenAt } from './entity.js';
import { LatencyHistogram } from './latency-histogram.js';
import { CpuScheduler, type SchedTurn } from './scheduler.js';
import { SchedCell } from './sched-cell.js';

export class FairDispatcher extends Dispatcher {
  private readonly cpuScheduler: CpuScheduler<SchedCell>;
  /**
   * Time from a wake to the woken actor's turn. A wake inside a drain is stamped with the start of
   * the waker's turn, so the figure is an upper bound, off by at most that turn's length.
   */
  readonly wakeLatency = new LatencyHistogram();
  /**
   * Every CPU's load (runnable actors), shared by all CPUs of the machine; this CPU writes its own
   * slot at the end of each drain and the balancers read the others. Null for a one-CPU kernel.
   */
  loads: Int32Array | null = null;
  /** Called once, on the wake that brings the load to 2 (the scheduler actor arms its balancer). */
  onLoaded: (() => void) | null = null;
  /** Clock reading (or estimate, see `drain`) at the start of the current (or last) turn. */
  private turnStartMs = 0;
  /** When the current drain must end (`DrainLimit.msMax` after its start). */
  private drainEndMs = 0;
  /**
   * The estimated time, in ns, charged by learned costs between two readings that check them (a
   * measured turn, or a window that held: see `windowHeld`): `estimatedNsBetweenReadingsMax` on a
   * real clock, 0 on a simulated one (which reads its clock for free). One number rather than a flag
   * and the bound keeps `chargesByCost` small enough for V8 to inline it everywhere.
   */
  private readonly estimatedNsLimit: number;
  /**
   * Time charged by learned costs since the last measured turn or window that held, in ns, each turn
   * counted as `estimatedTurnNsMin` at least.
   */
  private estimatedNs = 0;
  /** Windows of estimates in a row that a reading found held, with no turn measured (see `windowHeld`). */
  private windowsHeld = 0;
  /** A turn is running: a wake may be kept aside for a hand-off (see `enqueue`). */
  private inTurn = false;
  /**
   * The running turn has several messages, and they fit in the shortest slice (set by `runTurn`,
   * cleared at each turn's start). A wake that heads the queue ends a turn at the next message
   * (OSv's `need_reschedule`), except such a turn when its runner outranks the woken actor at the
   * wake: the reschedule would most likely keep the runner, with a slice the rest of the turn fits
   * in, so the turn goes on. (The reschedule would first charge the turn so far, at least the
   * context-switch penalty: a runner ahead by less than that would have lost the CPU there.)
   */
  private turnShort = false;
  /**
   * A sleeper woken while nothing was queued, by the running actor (two actors that talk) or on an
   * idle CPU (an ask, a timer, I/O), kept out of the run queue until the turn ends or the next drain
   * begins: if the runner then sleeps, or the CPU still idles, the scheduler hands it the CPU
   * directly (`handOff`). Otherwise, and at any other wake or read of `scheduler` before then, it
   * goes into the queue as its wake would have put it (`wakeHandOff`). One woken on an idle CPU
   * carries its wake's time (`wokenAtUs`); one woken by the runner carries none until then.
   */
  private handOffTo: SchedCell | null = null;
  /**
   * The actor an ask runs alone (`runAskAlone`), while its turn runs and it is not yet the
   * scheduler's runner; null otherwise.
   */
  private aloneTurn: SchedCell | null = null;
  /** `scheduler` was used during the current drain: its end is no time for an ask to start from. */
  private schedulerUsedInDrain = false;

  constructor(kernel: KernelCore, batchMessagesMax: number, spendCpu: SpendCpu | null) {
    super(kernel, batchMessagesMax, spendCpu);
    this.cpuScheduler = new CpuScheduler<SchedCell>({ cpu: kernel.cpu, startMs: kernel.clock.now(), turnMessagesMax: batchMessagesMax });
    this.estimatedNsLimit = kernel.clock.kind === 'real' ? estimatedNsBetweenReadingsMax : 0;
  }

  /**
   * This CPU's scheduler, with every wake in its queue: reading it puts a wake kept aside for a
   * hand-off there first (the switch then goes through the queue), so what it shows is whole.
   */
  get scheduler(): CpuScheduler<SchedCell> {
    if (this.aloneTurn !== null) this.becomeRunner();
    this.wakeHandOff();
    // Used from outside the drain's own steps, the scheduler may take a clock reading past the time
    // the drain ends at: no ask from outside may start from that time (see drainEndedAtMs).
    if (this.draining === true) this.schedulerUsedInDrain = true;
    else this.drainEndedAtMs = -1;
    return this.cpuScheduler;
  }

  enqueue(cell: Cell): void {
    // A wake during a turn run alone needs its actor to be the runner (see `runAskAlone`).
    if (this.aloneTurn !== null) this.becomeRunner();
    const entity = entityOf(cell);
    // A sleeper the running actor wakes while nothing is queued is kept aside: it takes the CPU at
    // the end of the turn if the runner sleeps then (see `drain`). It heads the queue, so the turn
    // ends at this message unless it is short and its runner keeps the CPU anyway (`turnShort`).
    // `onLoaded` waits for a load the queue would show. The common case of two actors that talk,
    // tested first and alone: V8 then inlines it into every send.
    if (this.inTurn === true && this.handOffTo === null && this.onLoaded === null && this.cpuScheduler.canHandOffTo(entity)) {
      // Its wake is dated when it is switched in (the hand-off), or put in the queue (`wakeHandOff`).
      this.handOffTo = entity;
      if (!(this.turnShort === true && this.cpuScheduler.runnerOutranks(entity))) this.rescheduleRequested = true;
      this.drainSoon();
      return;
    }
    this.wakeOutsideHandOff(entity);
  }

  /** The rest of `enqueue`: a wake on an idle CPU, kept aside for the drain to come, or a wake into the queue. */
  private wakeOutsideHandOff(entity: SchedCell): void {
    const scheduler = this.cpuScheduler;
    // Inside a drain the time at the start of the current turn stands in for now: a clock read
    // costs 45–150 ns on a 2-core VM, as much as the rest of a wake. Outside a drain (a timer, I/O,
    // an ask from embedding code) the CPU may have been idle for long, so the clock is read.
    const nowMs = this.draining === true ? this.turnStartMs : this.sendReadingMs >= 0 ? this.sendReadingMs : this.kernel.clock.now();
    // On an idle CPU, the first drain hands the CPU to the woken actor (see `drain`).
    if (this.draining === false && scheduler.current === null && this.handOffTo === null && this.onLoaded === null && scheduler.canHandOffTo(entity)) {
      this.handOffTo = entity;
      entity.wokenAtUs = stampUs(nowMs);
      this.drainSoon();
      return;
    }
    this.wakeHandOff();
    if (scheduler.wake(entity, nowMs)) {
      entity.wokenAtUs = stampUs(nowMs);
      if (scheduler.needReschedule === true && !(this.turnShort === true && scheduler.runnerOutranks(entity))) this.rescheduleRequested = true;
      if (this.onLoaded !== null && scheduler.load >= 2) {
        const onLoaded = this.onLoaded;
        this.onLoaded = null;
        onLoaded();
      }
    }
    this.drainSoon();
  }

  /**
   * Puts the sleeper kept aside for a hand-off, if any, in the run queue, where its wake would have.
   * One kept aside during a turn is dated at that turn's start, which `turnStartMs` still holds:
   * every caller runs before the next turn starts.
   */
  private wakeHandOff(): void {
    const entity = this.handOffTo;
    if (entity === null) return;
    this.handOffTo = null;
    if (entity.wokenAtUs === WokenAt.never) entity.wokenAtUs = stampUs(this.turnStartMs);
    this.cpuScheduler.wake(entity, this.turnStartMs);
  }

  get runnable(): number {
    return this.cpuScheduler.load + (this.handOffTo === null ? 0 : 1) + (this.aloneTurn === null ? 0 : 1);
  }

  /**
   * Runs turns until nothing is runnable, `DrainLimit.msMax` has passed or `DrainLimit.turnsMax` turns ran.
   * Between turns the time charges the turn that ended, puts its actor to sleep if it ran dry, and
   * starts the next: in one step (`handOff`) when that actor woke a sleeper and nothing else waits.
   * A simulated clock is read there every time. A real clock is read, once the actor's cost per
   * message is known, only after `estimatedNsBetweenReadingsMax` of estimated time: once if the
   * estimates held (`windowHeld`), twice in a row otherwise, to measure a turn and learn the cost
   * again; between those, a turn is charged its messages times that cost. Time the estimates miss
   * is charged to nobody (OSv's idle time) when the actor slept, to the actor when it runs on.
   * Within a turn the clock is read only when a rival waits and the cost is not known yet; once
   * known, the slice becomes a message budget.
   */
  drain(): void {
    this.drainStarted();
    // A drain that runs inside a send from outside starts at the send's time (a few hundred ns old):
    // a reading, or the last drain's end. It starts from the latter only if its first turn is to be
    // charged by its learned cost: a reading at that turn's end would charge it the time the
    // estimate missed (the caller's code since the last reading).
    let nowMs = this.sendReadingMs;
    // Whether the current turn's start is a clock reading, not an estimate (see below).
    let startRead = true;
    if (nowMs >= 0 && this.sendReadingEstimated === true) {
      if (this.handOffTo !== null && this.chargesByCost(this.handOffTo)) startRead = false;
      else nowMs = this.kernel.clock.now();
    } else if (nowMs < 0) {
      nowMs = this.kernel.clock.now();
    }
    // Fields, not arguments, carry times to runTurns and runTurn: a fraction passed to a call V8
    // does not inline is boxed in a heap number.
    this.turnStartMs = nowMs;
    this.drainEndMs = nowMs + DrainLimit.msMax;
    this.runTurns(null, 0, startRead);
  }

  /**
   * The drain's turns, from `turnStartMs` (the drain's start), until `drainEndMs`. `last`: the
   * turn that ended there, of `lastHandled` messages (see `runAskAlone`); null at a drain's start,
   * which hands an idle CPU to the actor kept aside for it.
   */
  private runTurns(last: SchedCell | null, lastHandled: number, startRead: boolean): void {
    const scheduler = this.cpuScheduler;
    const clock = this.kernel.clock;
    let nowMs = this.turnStartMs;
    // The last reading of the clock in this drain, −1 while there is none (see `windowHeld`).
    let readMs = startRead ? nowMs : -1;
    const endMs = this.drainEndMs;
    this.draining = true;
    try {
      // A drain on an idle CPU, with only the actor woken meanwhile to run, hands the CPU to it.
      // The turn that just ended (`last`) sleeps, if it ran dry, at the next reading of the clock.
      let turn = last === null ? this.handOffFromIdle(nowMs) : null;
      // A turn run alone before the loop (`last`, see runAskAlone) counts as the drain's first.
      for (let turns = last === null ? 0 : 1; ; turns++) {
        // Only a reading ends a drain: a cost learnt from a turn that a GC pause stretched would
        // otherwise end drain after drain early, each paying a trip through the event loop.
        let ends = false;
        if (last !== null) {
          if (this.chargesByCost(last)) {
            // Charged by its learned cost per message: reading a real clock costs 45–150 ns, as
            // much as the rest of a turn of one message (simulated kernels read theirs for free).
            const turnNs = lastHandled * last.nsPerMessage;
            this.estimatedNs += turnNs > estimatedTurnNsMin ? turnNs : estimatedTurnNsMin;
            nowMs = this.turnStartMs + turnNs * 1e-6;
            startRead = false;
          } else {
            // Two readings in a row: the turn between them is measured, and the cost learnt again.
            // The first of them, at the end of a window of estimated turns, may find that the
            // estimates held: no turn needs measuring then (see `windowHeld`).
            nowMs = clock.now();
            if (startRead) {
              learnCost(last, nowMs - this.turnStartMs, lastHandled);
              this.estimatedNs = 0;
              this.windowsHeld = 0;
              readMs = nowMs;
            } else if (
              readMs >= 0 &&
              this.estimatedNs >= this.estimatedNsLimit &&
              last.nsPerMessage > 0 &&
              this.windowHeld(readMs, this.turnStartMs + lastHandled * last.nsPerMessage * 1e-6, nowMs)
            ) {
              this.estimatedNs = 0;
              readMs = nowMs;
            } else {
              // A window that ran long, or a reading inside one (an actor whose cost is not known
              // yet): the window is not checked from here, and the next turn is measured first.
              readMs = -1;
            }
            startRead = true;
          }
          ends = turns === DrainLimit.turnsMax || (startRead && nowMs >= endMs);
          const lastCell = last.owner;
          const ranDry = !this.canRun(lastCell) && !this.hasSystemWork(lastCell);
          const handOffTo = this.handOffTo;
          if (handOffTo !== null) {
            // The runner sleeps and nothing else waits, on this CPU or in its rings: it hands the
            // CPU over, and publishes what its turn sent, as `serviceRings` would have.
            const rings = this.rings;
            if (ranDry && !ends && scheduler.queuedCount === 0 && (rings === null || !rings.hasWork())) {
              this.handOffTo = null;
              // Its wake latency, from the start of the turn that woke it (see `enqueue`): recorded
              // here rather than stamped on it then and read back at its turn's start. Most such
              // turns take well under 1 µs, known from the times in ms without µs stamps.
              if (nowMs - this.turnStartMs < 1e-3) this.wakeLatency.recordUnderUs();
              else this.wakeLatency.recordUs((stampUs(nowMs) - stampUs(this.turnStartMs)) | 0);
              turn = scheduler.handOff(last, handOffTo, nowMs);
              if (rings !== null) rings.publish();
            } else {
              this.wakeHandOff();
            }
          }
          if (ranDry) {
            if (turn === null) scheduler.sleep(last, nowMs);
            this.unschedule(lastCell);
          }
        }
        if (turn === null) {
          if (ends) {
            // The runner keeps the CPU across the pause: the event loop's work is charged to it, as
            // OSv charges interrupt time to the thread it interrupted. With nothing left, the CPU is
            // idle, as a drain that ran dry before its end reports it.
            if (scheduler.load > 0) this.drainSoon();
            else this.drainedDry();
            return;
          }
          // A frame taken in may wake an actor that outranks the rest (an interrupt handler).
          if (turns > 0) this.serviceRings();
          turn = scheduler.pickNext(nowMs);
          if (turn === null) {
            this.drainedDry();
            return;
          }
        }
        this.turnStartMs = nowMs;
        this.rescheduleRequested = false;
        // Before the system lane, whose items may wake actors: no turn of the last actor is running.
        this.turnShort = false;
        const entity = turn.entity;
        const cell = entity.owner;
        if (entity.wokenAtUs !== WokenAt.never) {
          this.wakeLatency.recordUs((stampUs(nowMs) - entity.wokenAtUs) | 0);
          entity.wokenAtUs = WokenAt.never;
        }
        if (cell.extras !== null) drainSystemLane(cell);
        if (this.canRun(cell)) {
          this.inTurn = true;
          lastHandled = this.runTurn(cell, turn);
          this.inTurn = false;
        } else {
          lastHandled = 0;
        }
        last = cell;
        turn = null;
      }
    } catch (error) {
      // A drain that threw (a kernel bug) leaves its runner to the next drain, which takes it from
      // there: until one does, its cell stays marked scheduled, so a delivery to it would ask for none.
      if (scheduler.current !== null) this.drainSoon();
      throw error;
    } finally {
      this.inTurn = false;
      // A drain that threw (a kernel bug) loses no wake.
      this.wakeHandOff();
      this.draining = false;
      // No estimate for the next drain when its first turn is to be measured (that needs a reading
      // at its start), or when the scheduler may have read the clock past nowMs.
      this.drainEndedAtMs = this.estimatedNs < estimatedNsBetweenReadingsMax && this.schedulerUsedInDrain === false ? nowMs : -1;
      this.schedulerUsedInDrain = false;
      if (this.loads !== null) this.loads[this.kernel.cpu] = scheduler.load;
    }
  }

  /**
   * Whether the window of turns charged by estimate since the reading at `readMs` held: the reading
   * at `nowMs` finds them ended no later than `estimatedEndMs`, where their estimates put their end,
   * give or take `estimateErrorShareMax` of their estimated length. Then no turn is measured before
   * the next window: one reading serves, where a measured turn takes two. (Shorter is the rule, not
   * the exception: a measured turn includes a reading of its own, 45–150 ns, which a turn of one
   * short message may not take twice over.) Costs are still learnt again after `windowsHeldMax` such
   * windows in a row, so a cost that fell, or two that moved apart, one up and one down, are seen
   * too. `readMs` is a reading of this drain (its start, a measured turn's end, or a window's that
   * held): turns of a window charged in an earlier drain are not checked, that drain's time having
   * been taken up at this one's first reading.
   */
  private windowHeld(readMs: number, estimatedEndMs: number, nowMs: number): boolean {
    if (this.windowsHeld >= windowsHeldMax || nowMs - estimatedEndMs > (estimatedEndMs - readMs) * estimateErrorShareMax) return false;
    this.windowsHeld++;
    return true;
  }

  /**
   * The fair policy's `runAskAlone`: the CPU is idle, with no wake kept aside, and the asked actor
   * sleeps on it. The turn runs as the drain after the ask's wake would run it, from the same start
   * and charged the same, but without making the actor the scheduler's runner unless the turn needs
   * that (`aloneTurn`): most such turns only answer, and then one call charges the CPU's idle time
   * and the turn (`CpuScheduler.chargeAlone`), where the drain makes two (`handOff`, `sleep`) and
   * its loop's bookkeeping. A turn that wakes an actor or uses the scheduler, or leaves work, makes
   * the actor the runner from its start then, and the drain goes on from its end.
   */
  runAskAlone(cell: Cell, message: unknown, origin: number): boolean {
    const scheduler = this.cpuScheduler;
    // `onLoaded` need not wait here, as it does for a wake kept aside: the actor runs at once, and
    // counts in the load as soon as a wake during its turn could bring it to 2.
    if (this.handOffTo !== null || scheduler.current !== null || !(cell instanceof SchedCell)) return false;
    if (!scheduler.canHandOffTo(cell) || !this.takesAskAlone(cell)) return false;
    this.drainStarted();
    // The drain's start (see `drain`): the send's time, or a reading if that is an estimate and the
    // turn is to be measured. Written out rather than shared with `drain`: a method for both, which
    // V8 did not inline here, cost an ask 180 instructions (2327 → 2509).
    const sendMs = this.sendReadingMs;
    let startMs = sendMs;
    let startRead = true;
    if (this.sendReadingEstimated === true) {
      if (this.chargesByCost(cell)) startRead = false;
      else startMs = this.kernel.clock.now();
    }
    cell.markScheduled();
    // Its wake, dated at the send, and its turn's start, as a delivery and its drain record them.
    if (startMs - sendMs < 1e-3) this.wakeLatency.recordUnderUs();
    else this.wakeLatency.recordUs((stampUs(startMs) - stampUs(sendMs)) | 0);
    this.turnStartMs = startMs;
    this.drainEndMs = startMs + DrainLimit.msMax;
    this.rescheduleRequested = false;
    this.turnShort = false;
    this.aloneTurn = cell;
    this.draining = true;
    // Until this drain's end sets it: a turn that throws leaves no estimate behind.
    this.drainEndedAtMs = -1;
    try {
      this.runOne(cell, message, origin);
      if (this.aloneTurn === null || this.rings !== null || this.canRun(cell) || this.hasSystemWork(cell)) {
        // The drain goes on from this turn's end, the actor the runner since its start.
        if (this.aloneTurn !== null) this.becomeRunner();
        this.inTurn = false;
        this.runTurns(cell, 1, startRead);
        return true;
      }
      this.aloneTurn = null;
      // The turn's end, as the drain charges it (see `runTurns`).
      let endMs: number;
      const endRead = !this.chargesByCost(cell);
      if (!endRead) {
        const turnNs = cell.nsPerMessage;
        // Written out, as in runTurns: this method is at V8's inlining budget, and a helper here was
        // called, not inlined (50 instructions an ask, docs/measured-limits.md §3k).
        this.estimatedNs += turnNs > estimatedTurnNsMin ? turnNs : estimatedTurnNsMin;
        endMs = startMs + turnNs * 1e-6;
      } else {
        endMs = this.kernel.clock.now();
        if (startRead === true) {
          learnCost(cell, endMs - startMs, 1);
          this.estimatedNs = 0;
          this.windowsHeld = 0;
        }
      }
      scheduler.chargeAlone(cell, startMs, endMs);
      this.unschedule(cell);
      // Nothing is left to run, even after a turn that ran past the drain's end: the CPU is idle.
      this.drainedDry();
      this.drainEndedAtMs = this.estimatedNs < estimatedNsBetweenReadingsMax ? endMs : -1;
      if (this.loads !== null) this.loads[this.kernel.cpu] = scheduler.load;
    } finally {
      // Even if the turn threw (a kernel bug), as the drain's end: the actor is left the runner, and
      // a wake it kept aside goes into the queue. A drain follows, which takes the runner from there
      // (it runs on or sleeps): until one does, its cell stays marked scheduled, so a delivery to it
      // would ask for none.
      if (this.aloneTurn !== null) {
        this.becomeRunner();
        this.drainSoon();
      }
      this.inTurn = false;
      this.wakeHandOff();
      this.schedulerUsedInDrain = false;
      this.draining = false;
      this.sendReadingMs = -1;
    }
    return true;
  }

  /**
   * The actor running alone (`aloneTurn`) becomes the scheduler's runner from its turn's start, as
   * the drain's hand-off would have made it: a wake during its turn, or a use of the scheduler,
   * needs it there.
   */
  private becomeRunner(): void {
    const cell = this.aloneTurn!;
    this.aloneTurn = null;
    this.cpuScheduler.handOff(null, cell, this.turnStartMs);
    this.inTurn = true;
  }

  /**
   * Whether the next turn to end, `entity`'s, is charged by its learned cost per message rather than
   * a clock reading: the cost is known, and that turn is not one to measure (see `drain`).
   */
  private chargesByCost(entity: SchedCell): boolean {
    return entity.nsPerMessage > 0 && this.estimatedNs < this.estimatedNsLimit;
  }

  /**
   * At a drain's start: hands the idle CPU to the actor kept aside for it (see `enqueue`). Any other
   * wake since would have put it in the queue, and the rings are looked at only after the first turn,
   * so nothing else can be waiting. Null when no actor was kept aside.
   */
  private handOffFromIdle(nowMs: number): SchedTurn<SchedCell> | null {
    const handOffTo = this.handOffTo;
    if (handOffTo === null) return null;
    this.handOffTo = null;
    return this.cpuScheduler.handOff(null, handOffTo, nowMs);
  }

  /**
   * Runs the messages of `turn`, which started at `turnStartMs`, that fit in its slice and before
   * the drain's end; returns how many ran.
   */
  private runTurn(cell: Cell, turn: SchedTurn<SchedCell>): number {
    const count = cell.mailbox!.count;
    const messagesMax = turn.messagesMax;
    // One message runs whatever the slice: the slice (a logarithm) is not worked out, and a wake
    // during it need not be weighed (the turn ends after it anyway). Two actors that talk run only
    // such turns, a ring of them mostly: they take the short way (`runFirstQueued`), and the rest is
    // a method of its own, so that V8's inlining budget goes to the drain's other steps.
    if (count === 1 || messagesMax === 1) return this.runFirstQueued(cell);
    return this.runSlice(cell, turn, count < messagesMax ? count : messagesMax);
  }

  /** `runTurn` for a turn that may run several messages, `budget` of them at most. */
  private runSlice(cell: Cell, turn: SchedTurn<SchedCell>, budget: number): number {
    const nowMs = this.turnStartMs;
    const endMs = this.drainEndMs;
    const msPerMessage = entityOf(cell).nsPerMessage * 1e-6;
    // Every slice lasts `sliceMsMin` at least: a budget whose learned cost fits in that, and before
    // the drain's end, stands whatever the slice, which is then not worked out either.
    const budgetMs = budget * msPerMessage;
    if (msPerMessage > 0 && budgetMs <= SchedLimit.sliceMsMin && nowMs + budgetMs <= endMs) {
      this.turnShort = true;
      return this.runMessages(cell, budget, Number.POSITIVE_INFINITY);
    }
    const sliceEndMs = turn.deadlineMs;
    let deadlineMs = sliceEndMs < endMs ? sliceEndMs : endMs;
    if (deadlineMs !== Number.POSITIVE_INFINITY && msPerMessage > 0) {
      // The slice as a message budget: no clock reads in the turn. A mistaken estimate costs an
      // overshoot, charged like any CPU time, and corrects the estimate for the next turn.
      const fit = Math.ceil((deadlineMs - nowMs) / msPerMessage);
      if (fit < budget) budget = fit > 1 ? fit : 1;
      deadlineMs = Number.POSITIVE_INFINITY;
    }
    return this.runMessages(cell, budget, deadlineMs);
  }

  /** Sets `cell`'s priority (a number in [0.001, 1000], `'realtime'` or `'idle'`). */
  setPriority(cell: Cell, priority: number | 'realtime' | 'idle'): void {
    const scheduler = this.scheduler;
    scheduler.setPriority(entityOf(cell), priorityValue(priority));
    if (scheduler.needReschedule) this.rescheduleRequested = true;
  }

  override createCell(kernel: KernelCore, pid: Pid, behavior: AnyBehavior, options: SpawnOptions | undefined, parent: Cell | null): Cell {
    return new SchedCell(kernel, pid, behavior, options, parent);
  }

  override release(cell: Cell): number {
    const entity = entityOf(cell);
    const scheduler = this.scheduler;
    if (entity.state !== EntityState.detached) scheduler.detach(entity, this.kernel.clock.now());
    cell.clearScheduled();
    // The idle class's runtime is always ∞, which no frame carries: its cell on the other CPU is of
    // the idle class from its spawn options, and sets ∞ itself.
    return entity.schedClass === SchedClass.idle ? 0 : entity.runtime;
  }
}

/** The cell as its scheduling entity: under this policy every cell is a `SchedCell` (see `createCell`). */
export function entityOf(cell: Cell): SchedCell {
  return cell as SchedCell;
}

/**
 * Updates `entity`'s cost per message (an exponentially weighted average, weight 1/4 for the newest
 * turn, in whole ns) from a turn of `handled` messages that took `elapsedMs`.
 */
function learnCost(entity: SchedCell, elapsedMs: number, handled: number): void {
  if (handled === 0 || !(elapsedMs > 0)) return;
  const sampleNs = (elapsedMs * 1e6) / handled;
  const previousNs = entity.nsPerMessage;
  const averageNs = previousNs === 0 ? sampleNs : previousNs + (sampleNs - previousNs) * costWeight;
  entity.nsPerMessage = averageNs < 1 ? 1 : averageNs > nsPerMessageMax ? nsPerMessageMax : Math.round(averageNs);
}

const costWeight = 0.25;
/**
 * Estimated time, in ns, a real clock's kernel charges by learned costs per message, at most; then
 * a reading checks the estimates, and two in a row measure one turn and correct the cost when they
 * did not hold, or after `windowsHeldMax` windows that did (see `drain`). The two readings cost
 * 90–300 ns (45–150 each), under 1.5 % of this. Turns short enough that many fit in it (two actors
 * that talk, about 60 ns a message) read the clock rarely; a dear actor's turns are measured often,
 * where a reading costs little next to them. docs/measured-limits.md §3k.
 */
const estimatedNsBetweenReadingsMax = 20_000;
/**
 * What an estimated turn counts for against `estimatedNsBetweenReadingsMax` at least, in ns. It bounds
 * how many turns in a row are charged by estimate, 50, and so how long a cost that has grown goes
 * unseen: only a reading notices it, and only a reading ends a drain, so an actor that learned a cost
 * of 60 ns a message and now takes 1 ms delays the event loop by about 50 ms at most. A floor of
 * 100 ns (200 turns) would read the clock 0.012 times a round trip of ping-pong instead of 0.049.
 */
const estimatedTurnNsMin = 400;
/**
 * How much longer than their learned costs add up to a window of estimated turns may take, as a
 * share of that sum, for the reading that ends the window to stand for a measured turn. A quarter:
 * a dear actor's cost that grew by a third, or a GC pause in the window, has the next turn measured.
 * A cheap turn's learned cost includes a reading that the estimated turns do not pay, so such a cost
 * may grow further unseen; `windowsHeldMax` bounds how long.
 */
const estimateErrorShareMax = 0.25;
/** Windows of estimates in a row that may pass unmeasured because they held (see `windowHeld`). */
const windowsHeldMax = 3;
assert(estimateErrorShareMax > 0 && estimateErrorShareMax < 1, 'a window that held took less than twice its estimate');
assert(Number.isInteger(windowsHeldMax) && windowsHeldMax >= 0, 'windowsHeldMax is a whole number');
/** Turns charged by estimate in a row at most, however cheap: 50. */
export const estimatedTurnsInRowMax = estimatedNsBetweenReadingsMax / estimatedTurnNsMin;
assert(estimatedNsBetweenReadingsMax >= 10 * estimatedTurnNsMin, 'ten of the cheapest turns or more go between two measured ones');
assert(estimatedNsBetweenReadingsMax * 1e-6 < DrainLimit.msMax, 'the estimated time between readings is a fraction of a drain');
assert(
  outsideAsksEstimatedMax > estimatedTurnsInRowMax,
  'asks from outside read the clock for the turns measured, not more often (see outsideAsksEstimatedMax)',
);
