import type { TimerHandle } from '../../drivers/clock/clock.js';
import { timerDelayMsMax } from '../../drivers/clock/timer-arguments.js';
import { type Due, dueBefore, indexedHeapOf } from '../../ground/indexed-heap.js';
import { IntTable } from '../../ground/int-table.js';
import { assert, invariantBroken } from '../../ground/assert.js';
import type { Cell } from './cell.js';
import { sendUnderFaults } from './mail-faults.js';
import { AskTimeoutError } from '../../ground/errors.js';
import { messageTypeOf } from './events.js';
import type { KernelCore } from './kernel-core.js';
import type { Pid } from '../../ground/pid.js';

/** How an ask ended while it had no promise yet (see `AskTable.answering`). */
// biome-ignore lint/suspicious/noConstEnum: file-local, inlined by tsc (no isolatedModules)
const enum AskEnd {
  No = 0,
  Answered = 1,
  Failed = 2,
}

/** An ask in flight: its deadline's place in the heap, how to settle it, and what names it in errors. */
class PendingAsk implements Due {
  heapIndex = -1;
  /** Settle its promise; until it has one (see `AskTable.answering`), they record the outcome. */
  resolve: (value: unknown) => void = recordAnswer;
  reject: (error: unknown) => void = recordFailure;
  /** How it ended while it had no promise yet; `outcome` holds the answer or the error. */
  ended = AskEnd.No;
  outcome: unknown = undefined;
  /** A forwarded ask's settler (see `AskTable.forward`), which `resolve` and `reject` call. */
  settle: ((ok: boolean, value: unknown) => void) | null = null;
  // Written again only in `AskTable.answeringEntry`, which every ask answered inside its call reuses.
  constructor(
    public id: number,
    public dueMs: number,
    public from: Pid,
    /** The asked actor; null for a forwarded ask whose target was not found. */
    public to: Cell | null,
    /**
     * What the ask carried (its type names the ask in a timeout error); undefined when forwarded, and
     * in `AskTable.answeringEntry`, whose ask has no deadline.
     */
    public message: unknown,
    readonly forwarded: boolean,
    public deadlineMs: number,
  ) {}

  /** Creation order, among asks due at the same time (`Due`). */
  get sequence(): number {
    return this.id;
  }
}

function recordAnswer(this: PendingAsk, value: unknown): void {
  this.ended = AskEnd.Answered;
  this.outcome = value;
}

function recordFailure(this: PendingAsk, error: unknown): void {
  this.ended = AskEnd.Failed;
  this.outcome = error;
}

/** A forwarded ask's `resolve`: shared, so that forwarding an ask makes no closure of its own. */
function settleAnswered(this: PendingAsk, value: unknown): void {
  this.settle!(true, value);
}

function settleFailed(this: PendingAsk, error: unknown): void {
  this.settle!(false, error);
}

/**
 * The ask whose promise `captureSettlers` is making. One shared executor rather than an arrow
 * function per ask: an ask is the runtime's most common round trip, and a closure over the entry
 * cost a context and a function object on each.
 */
let asking: PendingAsk | null = null;

function captureSettlers(resolve: (value: unknown) => void, reject: (error: unknown) => void): void {
  asking!.resolve = resolve;
  asking!.reject = reject;
}

/** A promise for `entry`, whose settlers now settle it. */
function promiseOf(entry: PendingAsk): Promise<unknown> {
  asking = entry;
  const promise = new Promise<unknown>(captureSettlers);
  asking = null;
  return promise;
}

/** The heap class of ask deadlines (a class of its own: see `indexedHeapOf`). */
const DeadlineHeap = indexedHeapOf<Due>(dueBefore);

/**
 * The kernel's table of asks in flight. An ask travels as an ordinary message whose origin is the
 * negated ask id; the reply resolves the entry. Every ask has a deadline, so no caller waits
 * forever; a reply that comes after its ask ended is a dead letter.
 *
 * Deadlines share one clock timer, armed for the earliest of them, instead of a timer per ask: a
 * platform timer armed and cleared costs about 0.3 µs, paid on both CPUs of a cross-CPU ask (1.5–2 µs
 * of a 4.7–6.5 µs round trip, measured). An ask answered in time leaves the deadline heap at once,
 * while the timer stays armed for a deadline that may have left; when it fires, it re-arms for the
 * earliest one still waiting. On a real clock it is armed right after the code that asked rather
 * than in the ask (`armForEarliest`). When the table empties, on the clock's next scheduled turn
 * (not at once: sequential asks would change it every time), a real clock's timer stays armed but
 * no longer keeps the process alive (`Clock.keepAlive`), so the next ask need not arm one; a
 * simulated clock's is cancelled, so `runUntilIdle` does not run to a deadline nobody waits on. A
 * kernel whose threads keep the process alive anyway leaves its timer as it is
 * (`heldOpenByThreads`).
 */
export class AskTable {
  /** Asks in flight by id (an IntTable: a Map rebuilt its table on nearly every ask, see int-table.ts). */
  private readonly pending = new IntTable<PendingAsk>();
  private readonly deadlines = new DeadlineHeap<PendingAsk>();
  private nextId = 1;
  private timer: TimerHandle | null = null;
  /**
   * The ask from outside whose drain runs inside `ask` (see `Dispatcher.beginSendFromOutside`), while
   * it runs. It is in neither the table nor the deadline heap: most such asks are answered in that
   * drain, and then their promise is made settled, with no entry, deadline or settlers kept for them.
   * One that is not answered there goes into both, its deadline counted from a clock reading then.
   */
  private answering: PendingAsk | null = null;
  /**
   * The entry `answering` points to, one for every such ask: they come one at a time (a drain
   * under way sends the next the usual way), and most end in their call, needing none of their own.
   * It keeps no message: only a timeout error names it, and this ask has no deadline until it is
   * left waiting, in an entry of its own. (Storing the young message in this old entry cost a write
   * barrier, about 50 instructions an ask.)
   */
  private readonly answeringEntry = new PendingAsk(0, 0, 0, null, undefined, false, 0);
  /**
   * The ask from inside an actor whose message is being delivered in `ask`, while it is: its whole
   * deadline is left, and an envelope to another CPU that asks for it (`remainingMs`) needs no clock
   * reading for that (45–150 ns here, 1–4 % of an awake round trip between CPUs).
   */
  private sending: PendingAsk | null = null;
  private timerDueMs = Infinity;
  private emptyCheckQueued = false;
  /** `armForEarliest` is queued (see `track`). */
  private armQueued = false;
  /**
   * Whether the timer is armed after the code that asked (`armForEarliest`), and kept idle rather
   * than cancelled when the table empties (`timerIdle`): on a real clock. A simulated clock's timer
   * is an entry in a heap, armed at once and cancelled: its runs take no step more, nor fire a
   * timer that nothing waits on.
   */
  private readonly armsLater: boolean;
  /** The clock can let a timer go (`Clock.keepAlive`): a real one, unless it is a clock of one's own without it. */
  private readonly letsTimersGo: boolean;
  /**
   * The kernel runs on threads that keep the process alive until it shuts down (set by the CPU
   * loop of each: actors/cpu/cpu-loop.ts). Its timer then stays armed when the table empties, and
   * lapses at its time if no ask came by then: letting it go and taking it back around each ask
   * cost a `setImmediate` and two calls into Node of cold code, 15–20 % of a round trip to a parked
   * CPU (docs/measured-limits.md §3i).
   */
  heldOpenByThreads = false;
  /**
   * The timer is armed for a deadline that left, with the table empty, and lets the program end
   * (`Clock.keepAlive`): the next ask makes it keep the program going again instead of arming one.
   */
  private timerIdle = false;

  constructor(
    private readonly kernel: KernelCore,
    private readonly deadlineMsDefault: number,
  ) {
    this.armsLater = kernel.clock.kind === 'real';
    this.letsTimersGo = this.armsLater && typeof kernel.clock.keepAlive === 'function';
  }

  get size(): number {
    return this.pending.size + (this.answering === null ? 0 : 1);
  }

  ask(target: Cell, message: unknown, deadlineMs = this.deadlineMsDefault): Promise<unknown> {
    if (!(deadlineMs > 0 && Number.isFinite(deadlineMs))) invariantBroken(`an ask deadline must be a positive finite number of ms, got ${deadlineMs}`);
    const id = this.nextId++;
    const kernel = this.kernel;
    const from = kernel.currentPid;
    const dispatcher = kernel.dispatcher;
    // From outside an actor, the drain may run inside this call, and its time serves here too until
    // the ask is answered or left pending (it may be an estimate then: see beginSendFromOutside).
    const readingMs = from === 0 ? dispatcher.beginSendFromOutside() : -1;
    if (readingMs < 0) {
      const entry = new PendingAsk(id, kernel.clock.now() + deadlineMs, from, target, message, false, deadlineMs);
      const promise = promiseOf(entry);
      this.track(entry);
      this.sending = entry;
      try {
        this.send(entry, message);
      } finally {
        this.sending = null;
      }
      return promise;
    }
    // Its deadline is not tracked while the drain runs in this call (see `answering`).
    const entry = this.answeringEntry;
    entry.id = id;
    entry.from = from;
    entry.to = target;
    entry.deadlineMs = deadlineMs;
    this.answering = entry;
    let ended = AskEnd.No;
    let outcome: unknown;
    try {
      // An idle actor on an idle CPU takes the message in this call; otherwise it is delivered, and
      // the drain that follows runs here.
      if (dispatcher.runAskAlone(target, message, -id) === false) {
        this.send(entry, message);
        dispatcher.endSendFromOutside();
      }
    } finally {
      this.answering = null;
      ended = entry.ended;
      outcome = entry.outcome;
      // Even if the drain threw (a kernel bug): the next ask must not find this one's outcome, and
      // nothing of this ask stays reachable from the table.
      entry.ended = AskEnd.No;
      entry.outcome = undefined;
      entry.to = null;
    }
    if (ended === AskEnd.Answered) return Promise.resolve(outcome);
    if (ended === AskEnd.Failed) return Promise.reject(outcome);
    // Left waiting: its deadline counts from a reading of the clock, which comes after the ask.
    const waiting = new PendingAsk(id, kernel.clock.now() + deadlineMs, from, target, message, false, deadlineMs);
    const promise = promiseOf(waiting);
    this.track(waiting);
    return promise;
  }

  /**
   * Delivers the ask's message. If delivery fails, `deliver` has already failed the ask with the
   * precise reason. A throw (a message that cannot be encoded for another CPU) fails this ask, not
   * the caller.
   */
  private send(entry: PendingAsk, message: unknown): void {
    const kernel = this.kernel;
    try {
      if (kernel.mailFaults === null) entry.to!.deliver(message, -entry.id);
      else sendUnderFaults(kernel.mailFaults, entry.to!, message, -entry.id, entry.from);
    } catch (error) {
      this.reject(entry.id, error);
    }
  }

  /**
   * Registers an ask that arrived from another CPU, so the local actor's reply goes back over the
   * rings: `settle(true, value)` or `settle(false, error)` runs exactly once, at the reply, a failure
   * or the deadline. Returns the local ask id; deliver the body with origin `-id`.
   */
  forward(from: Pid, target: Cell | null, settle: (ok: boolean, value: unknown) => void, deadlineMs = this.deadlineMsDefault): number {
    const id = this.nextId++;
    // The asker's own deadline, which the envelope carries; the asker's timer fires first, as this one
    // started later. It keeps the table from holding entries forever.
    const dueMs = this.kernel.clock.now() + deadlineMs;
    const entry = new PendingAsk(id, dueMs, from, target, undefined, true, deadlineMs);
    entry.settle = settle;
    entry.resolve = settleAnswered;
    entry.reject = settleFailed;
    this.track(entry);
    return id;
  }

  /** Fails every ask in flight whose target matches (e.g. all actors of a CPU that died). */
  rejectWhere(matches: (to: Cell) => boolean, error: (to: Cell) => unknown): number {
    let count = 0;
    for (const entry of this.inFlight()) if (entry.to !== null && matches(entry.to) && this.reject(entry.id, error(entry.to))) count++;
    return count;
  }

  /** The whole ms ask `id` has left before its deadline (at least 1), or 0 if it is not pending. */
  remainingMs(id: number): number {
    // Asked in this very call (whose time may be an estimate): all of its deadline is left. Both may
    // be set: an ask from outside whose drain, run in its call, has an actor ask another CPU.
    const answering = this.answering;
    if (answering !== null && answering.id === id) return Math.max(1, Math.ceil(answering.deadlineMs));
    const sending = this.sending;
    if (sending !== null && sending.id === id) return Math.max(1, Math.ceil(sending.deadlineMs));
    const entry = this.pending.get(id);
    return entry === undefined ? 0 : Math.max(1, Math.ceil(entry.dueMs - this.kernel.clock.now()));
  }

  /** The sender of ask `id`, for dead letters. */
  senderOf(id: number): Pid {
    return this.lookup(id)?.from ?? 0;
  }

  resolve(id: number, value: unknown): boolean {
    const entry = this.take(id);
    if (entry === undefined) {
      this.kernel.deadLetter(value, this.kernel.currentPid, null, 'ask-ended');
      return false;
    }
    entry.resolve(value);
    return true;
  }

  reject(id: number, error: unknown): boolean {
    const entry = this.take(id);
    if (entry === undefined) return false;
    entry.reject(error);
    return true;
  }

  /** Fails every ask in flight (kernel shutdown), and cancels the deadline timer. */
  rejectAll(error: (to: Cell | null) => unknown): void {
    for (const entry of this.inFlight()) this.reject(entry.id, error(entry.to));
    this.cancelTimer();
    // Its threads stop now, and hold nothing open any more: a timer an ask arms from here on (a frame
    // taken in before the CPU loop stops) is let go or cancelled once the table empties.
    this.heldOpenByThreads = false;
  }

  /** The asks in flight, oldest first: a copy, as failing them changes the table. */
  private inFlight(): PendingAsk[] {
    const entries = this.pending.valuesNow();
    if (this.answering !== null) entries.push(this.answering);
    return entries.sort((a, b) => a.id - b.id);
  }

  /** The pending ask `id`, if any. */
  private lookup(id: number): PendingAsk | undefined {
    const answering = this.answering;
    return answering !== null && answering.id === id ? answering : this.pending.get(id);
  }

  private track(entry: PendingAsk): void {
    this.pending.set(entry.id, entry);
    this.deadlines.push(entry);
    if (entry.dueMs >= this.timerDueMs && !this.timerIdle) return;
    if (!this.armsLater) this.armTimer(entry.dueMs);
    else if (!this.armQueued) {
      this.armQueued = true;
      this.kernel.clock.soon(this.armForEarliest);
    }
  }

  /**
   * Arms the timer for the earliest deadline if it is due before the timer, or has the idle timer
   * keep the program going again: right after the code that asked, not in the ask. Arming a
   * platform timer was the costliest step of an ask to a parked CPU (about 20 µs of cold code after
   * an idle pause, on each side; docs/measured-limits.md §3i): this way it is off the round trip,
   * and an ask answered in the same turn (a forwarded one, on the CPU of the actor that answers it)
   * arms none. The deadline is the same, counted from the ask.
   */
  private readonly armForEarliest = (): void => {
    this.armQueued = false;
    const earliest = this.deadlines.peek();
    if (earliest === undefined) return;
    if (earliest.dueMs < this.timerDueMs) this.armTimer(earliest.dueMs);
    else if (this.timerIdle) {
      this.kernel.clock.keepAlive(this.timer!, true);
      this.timerIdle = false;
    }
  };

  private take(id: number): PendingAsk | undefined {
    const answering = this.answering;
    if (answering !== null && answering.id === id) {
      this.answering = null;
      return answering;
    }
    const entry = this.pending.get(id);
    if (entry === undefined) return undefined;
    this.pending.delete(id);
    this.deadlines.remove(entry);
    if (this.pending.size === 0 && this.timer !== null && !this.timerIdle && !this.emptyCheckQueued && !this.heldOpenByThreads) {
      this.emptyCheckQueued = true;
      this.kernel.clock.schedule(() => {
        this.emptyCheckQueued = false;
        if (this.pending.size !== 0 || this.timer === null) return;
        if (this.letsTimersGo) {
          // Kept for the next ask, which would otherwise arm a platform timer again (see track).
          this.kernel.clock.keepAlive(this.timer, false);
          this.timerIdle = true;
        } else {
          this.cancelTimer();
        }
      });
    }
    return entry;
  }

  private armTimer(dueMs: number): void {
    const clock = this.kernel.clock;
    if (this.timer !== null) clock.cancelTimer(this.timer);
    this.timerDueMs = dueMs;
    this.timerIdle = false;
    // A deadline past the longest delay a timer takes fires the timer early, which re-arms for it.
    this.timer = clock.setTimer(Math.min(dueMs - clock.now(), timerDelayMsMax), () => {
      this.timer = null;
      this.timerDueMs = Infinity;
      this.timerIdle = false;
      this.expire();
    });
  }

  private cancelTimer(): void {
    if (this.timer !== null) this.kernel.clock.cancelTimer(this.timer);
    this.timer = null;
    this.timerDueMs = Infinity;
    this.timerIdle = false;
  }

  /** Fails the asks whose deadline has passed, in deadline order, and arms the timer for the next. */
  private expire(): void {
    const now = this.kernel.clock.now();
    const deadlines = this.deadlines;
    for (let top = deadlines.peek(); top !== undefined; top = deadlines.peek()) {
      if (top.dueMs > now) {
        this.armTimer(top.dueMs);
        return;
      }
      // reject() takes it out of the heap: every entry of the heap is a pending ask.
      const rejected = this.reject(top.id, this.timeoutError(top));
      assert(rejected, 'an ask in the deadline heap is pending');
    }
  }

  private timeoutError(entry: PendingAsk): AskTimeoutError {
    if (entry.forwarded) return new AskTimeoutError(entry.to?.describe() ?? 'nobody', 'forwarded ask', entry.deadlineMs);
    return new AskTimeoutError(entry.to!.describe(), messageTypeOf(entry.message), entry.deadlineMs);
  }
}
