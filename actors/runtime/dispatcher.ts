import { assert } from '../../ground/assert.js';
import type { AnyBehavior } from './behavior.js';
import { Cell, Hold } from './cell.js';
import type { Pid } from '../../ground/pid.js';
import type { SpawnOptions } from './spawn-options.js';
import type { KernelCore } from './kernel-core.js';
import { DrainLimit, drainsSoonInRowMax, outsideAsksEstimatedMax } from './limits.js';

/** What a dispatcher looks at between turns: the CPU's rings to and from the others. */
export interface CpuRings {
  /** Makes the frames sent since the last call visible to the CPUs they went to (one store per ring). */
  publish(): void;
  /** One load of the pending mask: has any CPU sent something? */
  hasWork(): boolean;
  /** Takes what was sent into mailboxes and system lanes (as room allows); returns the frames taken. */
  pump(): number;
}

/**
 * What a dispatcher tells the CPU it runs on: a drain began (work arrived), or it found nothing
 * left to run. The CPU's scheduler state (actors/sched/cpu-state.ts) listens, and with it the CPU
 * loop that state drives.
 */
export interface DrainListener {
  workArrived(): void;
  ranDry(): void;
}

/**
 * What runs a CPU's actors: a run policy behind the `enqueue`/`drain` seam. Two policies exist:
 * `FifoDispatcher` (the kernel core's round robin, the fastest) and `FairDispatcher` (OSv's fair
 * scheduler, actors/sched/, the default). Both run an actor's messages with `runMessages` below, so
 * they differ only in which actor runs next and for how long.
 *
 * JavaScript cannot preempt a running handler, so every policy preempts between messages.
 */
export abstract class Dispatcher {
  /** Messages handled since boot. */
  messagesHandled = 0;
  /** Told when drains begin and run dry (the CPU's scheduler state); set by boot. */
  listener: DrainListener | null = null;
  /**
   * Set by a policy when the running actor must yield at the next message boundary (a wake that
   * outranks it: OSv's `need_reschedule`). Read after every message.
   */
  protected rescheduleRequested = false;
  /**
   * The CPU's rings, looked at between turns (OSv's `handle_incoming_wakeups` at each reschedule):
   * without it a busy CPU would take in a cross-CPU wake, an answer or an interrupt batch only after
   * its drain, up to `DrainLimit.msMax` later, and publish what its turns sent only then. Set by a real
   * CPU's loop.
   */
  rings: CpuRings | null = null;
  private drainPending = false;
  /** Inside a drain: work it asks for waits for the event loop (see `drainSoon`). */
  protected draining = false;
  /** Drains run as microtasks since the last one that waited for the event loop. */
  private drainsSoonInRow = 0;
  private readonly drainBound = () => this.drain();
  /** A drain after the event loop turned: the next ask from outside starts a new window (see `beginSendFromOutside`). */
  private readonly drainAfterLoopBound = () => {
    this.loopTurned = true;
    this.drain();
  };
  /** Whether the event loop has turned since `asksWindowStartMs`. */
  private loopTurned = true;
  /** The reading of the first ask from outside that ran its drain at once since the event loop turned. */
  private asksWindowStartMs = 0;
  /** Whether an ask from outside runs its drain at once (see `beginSendFromOutside`): real clocks only. */
  private readonly drainsInOutsideSends: boolean;
  /**
   * The time of the ask from outside under way (see `beginSendFromOutside`), −1 when none: its wake
   * and the drain after it use it instead of reading the clock again.
   */
  protected sendReadingMs = -1;
  /** Whether `sendReadingMs` is `drainEndedAtMs`, not a reading of the clock (see `outsideAsksEstimatedMax`). */
  protected sendReadingEstimated = false;
  /**
   * When the last drain ended, as the run policy knows it (a reading, or a reading plus the turns'
   * learned costs); −1 when the policy keeps no time (`fifo`). Asks from outside take it for now.
   */
  protected drainEndedAtMs = -1;
  /** Asks from outside since the last one that read the clock. */
  private outsideAsksEstimated = 0;
  /** The event loop's next turn will drop the estimate (see `beginSendFromOutside`). */
  private estimateExpiryArmed = false;
  private readonly expireEstimateBound = () => {
    this.estimateExpiryArmed = false;
    this.loopTurned = true;
    this.drainEndedAtMs = -1;
  };
  constructor(
    protected readonly kernel: KernelCore,
    protected readonly batchMessagesMax: number,
    /** Moves virtual time on by a handled message's cost (simulated kernels only; `BootOptions.simulatedCostMs`). */
    private readonly spendCpu: SpendCpu | null,
  ) {
    assert(Number.isInteger(batchMessagesMax) && batchMessagesMax >= 1, 'batchMessagesMax must be a positive integer');
    this.drainsInOutsideSends = kernel.clock.kind === 'real';
  }

  /**
   * Starts an ask from outside any actor (embedding code, a timer's callback, a settled promise).
   * When nothing of the kernel is on the stack (no drain, none coming, no actor, no listener the
   * kernel is calling), the drain the ask's delivery asks for runs at `endSendFromOutside`, inside
   * the ask, as xstate's `send` processes an event at once: no microtask before the actor runs, and
   * one time for the wake and the drain's start: a clock reading, or, for up to
   * `outsideAsksEstimatedMax` asks in a row within one turn of the event loop, the time the last
   * drain ended. Returns that time, or −1 when the ask goes the usual way (its drain follows as a
   * microtask).
   *
   * Only asks: the caller waits for the answer anyway. Tells go the usual way, so that a loop of
   * them fills the mailbox and one turn handles the batch. Simulated kernels always go the usual way:
   * their tests step the clock to run what was sent. Fairness holds: the CPU was idle, so the asked
   * actor is the only one runnable, and the drain keeps its budgets (`DrainLimit.msMax`, `DrainLimit.turnsMax`);
   * and a loop of asks still lets the event loop turn: once such asks have run their drains for
   * `DrainLimit.msMax` without the event loop turning (as the next reading of the clock finds), the
   * next one's drain waits for it.
   */
  beginSendFromOutside(): number {
    // Boolean fields on the hot paths are compared with true, not tested: see docs/measured-limits.md §3f.
    if (
      this.drainsInOutsideSends === false ||
      this.draining === true ||
      this.drainPending === true ||
      this.kernel.current !== null ||
      this.kernel.callingOut !== 0
    )
      return -1;
    // The wake finds a drain "pending" and asks for none: the drain runs in endSendFromOutside.
    if (this.loopTurned === false && this.drainEndedAtMs >= 0 && this.outsideAsksEstimated < outsideAsksEstimatedMax) {
      // An estimate lasts until the event loop turns (a timer, I/O, an idle while): no longer.
      this.armEstimateExpiry();
      this.outsideAsksEstimated++;
      this.drainPending = true;
      this.sendReadingEstimated = true;
      return (this.sendReadingMs = this.drainEndedAtMs);
    }
    const readingMs = this.kernel.clock.now();
    this.outsideAsksEstimated = 0;
    if (this.loopTurned === true) {
      this.loopTurned = false;
      this.asksWindowStartMs = readingMs;
      // The window lasts until the event loop turns, which this marks: a caller that awaited
      // something else meanwhile (a timer, I/O, `setImmediate`) starts a new one.
      this.armEstimateExpiry();
    } else if (readingMs - this.asksWindowStartMs >= DrainLimit.msMax) {
      // The usual way, made to wait for the event loop (see drainSoon).
      this.drainsSoonInRow = drainsSoonInRowMax;
      return -1;
    }
    this.drainPending = true;
    this.sendReadingEstimated = false;
    return (this.sendReadingMs = readingMs);
  }

  /** At the event loop's next turn, the window of asks from outside ends, and with it the estimate. */
  private armEstimateExpiry(): void {
    if (this.estimateExpiryArmed === true) return;
    this.estimateExpiryArmed = true;
    this.kernel.clock.schedule(this.expireEstimateBound);
  }

  /** Ends an ask `beginSendFromOutside` started (a reading ≥ 0): runs its drain, if it woke anyone. */
  endSendFromOutside(): void {
    this.drainPending = false;
    try {
      if (this.runnable > 0) this.drain();
    } finally {
      // Even if the drain threw (a kernel bug): a stale reading would date later wakes.
      this.sendReadingMs = -1;
    }
  }

  /**
   * Runs an ask from outside (begun by `beginSendFromOutside`, with a reading ≥ 0) in this call when
   * nothing could run before it: the asked actor is idle and takes mail, and the CPU has nothing else
   * to run. Its message goes straight to `receive`, as xstate's `send` hands an event to its actor,
   * never through the mailbox, whose order it cannot break (the mailbox is empty). The turn is
   * scheduled and charged as the drain after a delivery would schedule and charge it, and a drain
   * goes on in this call if the turn left work. Returns false, having done nothing, when that does
   * not hold, or when a delivery must be seen (a trace, mail faults): the ask then goes the usual
   * way, `deliver` and `endSendFromOutside`.
   *
   * It saves about an eighth of an ask's time: the delivery (mailbox, wake, the drain asked for)
   * and the mailbox's side of the turn (docs/measured-limits.md §3f, "An ask run alone").
   */
  abstract runAskAlone(cell: Cell, message: unknown, origin: number): boolean;

  /**
   * What `runAskAlone` asks of the actor and of the kernel, whatever the run policy: it runs here,
   * takes mail, is not scheduled and has nothing queued, and no delivery must be seen. (With no drain
   * pending, an actor that takes mail and is not scheduled has none queued: mail or a system item
   * schedules it. Checked all the same, since the ask would overtake it.)
   */
  protected takesAskAlone(cell: Cell): boolean {
    const kernel = this.kernel;
    if (kernel.tracing.active === true || kernel.mailFaults !== null || !cell.wakeable || cell.isRemote()) return false;
    const mailbox = cell.mailbox;
    return (mailbox === null || mailbox.count === 0) && !this.hasSystemWork(cell);
  }

  /**
   * Runs `message`, sent with `origin` (an ask's negated id, a sender's pid), in `cell` as its turn's
   * one message, as `runMessages` runs each: an ask run alone (`runAskAlone`), never queued, or the
   * first queued message (`runFirstQueued`). Returns the messages handled: 1.
   */
  protected runOne(cell: Cell, message: unknown, origin: number): number {
    const kernel = this.kernel;
    kernel.current = cell;
    kernel.currentOrigin = origin;
    if (origin < 0) kernel.currentMessage = message;
    try {
      const result = cell.receive!.call(cell.instance!, message as never, cell);
      if (this.spendCpu !== null) this.spendCpu(message, cell);
      if (result !== undefined && typeof (result as PromiseLike<void>).then === 'function')
        this.awaitHandler(cell, result as PromiseLike<void>, message, origin);
    } catch (error) {
      kernel.leave();
      kernel.lifecycle.fail(cell, error, message, origin);
    }
    this.messagesHandled++;
    kernel.leave();
    return 1;
  }

  /**
   * Runs the first message of `cell`'s mailbox, as `runMessages(cell, 1, ∞)` does, without its batch
   * loop when no one traces: `runOne` is half `runMessages`' bytes of bytecode, which V8's inlining
   * budget counts (see `runTurn` in actors/sched/fair-dispatcher.ts).
   */
  protected runFirstQueued(cell: Cell): number {
    // A truth test, not `=== true`: the few bytes more pushed another call out of the drain's
    // inlining (measured-limits §3f, "Fitting the budget, continued").
    if (this.kernel.tracing.active) return this.runMessages(cell, 1, Number.POSITIVE_INFINITY);
    const mailbox = cell.mailbox!;
    const message = mailbox.shift();
    return this.runOne(cell, message, mailbox.shiftedOrigin);
  }

  /**
   * Makes the cell of a new actor. A run policy may make cells that carry its own record of the
   * actor (the fair scheduler's are their own scheduling entities, actors/sched/sched-cell.ts).
   */
  createCell(kernel: KernelCore, pid: Pid, behavior: AnyBehavior, options: SpawnOptions | undefined, parent: Cell | null): Cell {
    return new Cell(kernel, pid, behavior, options, parent);
  }

  /** Makes a cell (already marked `scheduled`) runnable and makes sure a drain is coming. */
  abstract enqueue(cell: Cell): void;

  /** Runs actors until none is runnable or the drain's budget is spent. */
  abstract drain(): void;

  /** Actors with work: queued, or holding the CPU between drains. */
  abstract get runnable(): number;

  /**
   * Takes `cell` off this CPU's scheduler (it is moving to another CPU) and returns its decayed
   * runtime R, CPU-independent (0 under a policy that keeps none).
   */
  release(_cell: Cell): number {
    return 0;
  }

  /** Lifts hold `reason` (a `Hold` bit) from `cell`, which runs again if no other holds it. */
  lift(cell: Cell, reason: number): void {
    cell.held &= ~reason;
    this.wake(cell);
  }

  /** Schedules `cell` if it has work and is not already queued. */
  wake(cell: Cell): void {
    if (!cell.wakeable || cell.mailbox === null || cell.mailbox.count === 0) return;
    cell.markScheduled();
    this.enqueue(cell);
  }

  /**
   * Makes sure `drain` runs soon, once however often it is asked. Asked from outside a drain (code
   * that tells or asks, a settled promise), it runs right after that code (`Clock.soon`), as
   * xstate's send would run at once: an ask from outside an actor is answered without an event-loop
   * hop. Asked from inside one (a drain out of budget, actors waking actors), and after
   * `drainsSoonInRowMax` drains in a row, it waits for the event loop, so I/O is never starved.
   */
  protected drainSoon(): void {
    // The test on every wake, small enough for V8 to inline; the rest once per drain.
    if (this.drainPending === false) this.askForDrain();
  }

  private askForDrain(): void {
    this.drainPending = true;
    if (this.draining === true || this.drainsSoonInRow >= drainsSoonInRowMax) {
      this.drainsSoonInRow = 0;
      this.kernel.clock.schedule(this.drainAfterLoopBound);
      return;
    }
    this.drainsSoonInRow++;
    this.kernel.clock.soon(this.drainBound);
  }

  /**
   * Between turns: publishes what the last turn sent to other CPUs, and takes in frames other CPUs
   * sent, if any (see `rings`).
   */
  protected serviceRings(): void {
    const rings = this.rings;
    if (rings === null) return;
    rings.publish();
    if (rings.hasWork()) rings.pump();
  }

  /** Called first thing in `drain`: a new drain may be asked for from now on. */
  protected drainStarted(): void {
    this.drainPending = false;
    if (this.listener !== null) this.listener.workArrived();
  }

  /**
   * `cell` has nothing to run: it leaves the run queue, and its mailbox, if empty, may go back to
   * the pool once the actor has stayed idle for a while (`MailboxPool.ranDry`).
   */
  protected unschedule(cell: Cell): void {
    cell.clearScheduled();
    const mailbox = cell.mailbox;
    // An actor held by an async handler may still have messages queued: it keeps them. One flag
    // test per turn for an actor that talks (it is among the recent sleepers already).
    // `=== false`: V8 tests a boolean field's truth with its general sequence (five checks).
    if (mailbox !== null && mailbox.count === 0 && mailbox.awaitingReclaim === false) this.kernel.mailboxes.ranDry(cell, mailbox);
  }

  /**
   * Whether `cell` can handle a user message now. A method, not a module function: a call to an
   * imported function loads and checks its binding on every call (docs/measured-limits.md §3f).
   */
  protected canRun(cell: Cell): boolean {
    return cell.takesMail && cell.mailbox !== null && cell.mailbox.count > 0;
  }

  /** Whether `cell` has system items (signals, stops) waiting. */
  protected hasSystemWork(cell: Cell): boolean {
    // Plain comparisons, not `?.` and `!= null`: fewer bytes of bytecode, so V8 inlines it into an
    // ask run alone too, where it was called, not inlined (docs/measured-limits.md §3n).
    const extras = cell.extras;
    return extras !== null && extras.lane !== null && extras.lane.count > 0;
  }

  /** Called when a drain finds nothing left to run. */
  protected drainedDry(): void {
    if (this.listener !== null) this.listener.ranDry();
  }

  /**
   * Runs up to `batch` of `cell`'s queued messages, stopping early when the actor stops, awaits an
   * async handler, is parked (`Hold.Parked`), a reschedule is requested, or the clock reaches
   * `deadlineMs` (read after each message only when the deadline is finite). Returns the messages handled.
   */
  protected runMessages(cell: Cell, batch: number, deadlineMs: number): number {
    const kernel = this.kernel;
    const mailbox = cell.mailbox!;
    const instance = cell.instance!;
    const receive = cell.receive!;
    const spendCpu = this.spendCpu;
    const timed = deadlineMs !== Number.POSITIVE_INFINITY;
    // Tracing is sampled once per turn: a subscriber that arrives mid-turn sees the next turn. So is
    // the run queue the turn's receives tell: read per message, it would cost the trace a fifth.
    const tracing = kernel.tracing.active === true;
    const runnable = tracing ? this.runnable : 0;
    let handled = 0;
    let message: unknown;
    let origin = 0;
    kernel.current = cell;
    try {
      while (handled < batch) {
        message = mailbox.shift();
        origin = mailbox.shiftedOrigin;
        kernel.currentOrigin = origin;
        // Only an ask can be replied to, so only an ask needs its message remembered.
        if (origin < 0) kernel.currentMessage = message;
        if (tracing) kernel.traceReceive(cell.pid, message, mailbox.shiftedCause, mailbox.count, runnable);
        handled++;
        const result = receive.call(instance, message as never, cell);
        if (spendCpu !== null) spendCpu(message, cell);
        if (result !== undefined && typeof (result as PromiseLike<void>).then === 'function') {
          this.awaitHandler(cell, result as PromiseLike<void>, message, origin);
          break;
        }
        // A parked actor stops at this message boundary (see Hold.Parked).
        if (!cell.takesMail || this.rescheduleRequested === true) break;
        if (timed && handled < batch && kernel.clock.now() >= deadlineMs) break;
      }
    } catch (error) {
      kernel.leave();
      kernel.lifecycle.fail(cell, error, message, origin);
    }
    this.messagesHandled += handled;
    kernel.leave();
    return handled;
  }

  /** An async `receive`: the actor handles nothing else until the promise settles. */
  private awaitHandler(cell: Cell, pending: PromiseLike<void>, message: unknown, origin: number): void {
    const incarnation = cell.instance;
    cell.held |= Hold.Awaiting;
    // An ask being worked on is remembered, so that an end of the incarnation meanwhile fails it.
    if (origin < 0) {
      const extras = cell.ensureExtras();
      extras.busyAsk = -origin;
      extras.busyAskMessage = message;
    }
    pending.then(
      () => {
        if (cell.instance !== incarnation) return;
        cell.held &= ~Hold.Awaiting;
        if (origin < 0) endBusyAsk(cell);
        this.wake(cell);
      },
      (error: unknown) => {
        if (cell.instance !== incarnation) return;
        cell.held &= ~Hold.Awaiting;
        if (origin < 0) endBusyAsk(cell);
        this.kernel.lifecycle.fail(cell, error, message, origin);
      },
    );
  }
}

/** The ask `cell`'s async `receive` worked on is done with (answered or not). */
function endBusyAsk(cell: Cell): void {
  const extras = cell.extras!;
  extras.busyAsk = 0;
  extras.busyAskMessage = undefined;
}

/** Charges the virtual CPU time of handling `message` in `cell`. */
export type SpendCpu = (message: unknown, cell: Cell) => void;
