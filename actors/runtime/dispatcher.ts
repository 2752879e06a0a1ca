import { assert } from './assert.js';
import { type Cell, Status } from './cell.js';
import type { Kernel } from './kernel.js';
import { drainTurnsMax } from './limits.js';
import { RingQueue } from './ring-queue.js';
import { slotsPerCpuMax } from './pid.js';
import { drainSystemLane } from './system-lane.js';

/**
 * Runs runnable actors from a FIFO run queue, each for one turn: its system lane first, then at most
 * `batchMessagesMax` user messages, so one busy actor cannot starve the others. JavaScript cannot
 * preempt a running handler, so fairness is per message batch. (The fair scheduler of `actors/sched`
 * replaces this policy later behind the same `enqueue`/`drain` seam.)
 *
 * A drain runs at most `drainTurnsMax` turns, then gives the event loop back through the clock's
 * `schedule`, so timers and I/O keep flowing while actors are busy.
 */
export class Dispatcher {
  private readonly runQueue = new RingQueue<Cell>(slotsPerCpuMax, 1024);
  private drainPending = false;
  /** Messages handled since boot. */
  messagesHandled = 0;
  private readonly drainBound = () => this.drain();

  constructor(
    private readonly kernel: Kernel,
    private readonly batchMessagesMax: number,
  ) {
    assert(Number.isInteger(batchMessagesMax) && batchMessagesMax >= 1, 'batchMessagesMax must be a positive integer');
  }

  /** Adds a cell (already marked `scheduled`) to the run queue and makes sure a drain is coming. */
  enqueue(cell: Cell): void {
    // The queue's bound is the slot space: a cell is queued at most once (its `scheduled` flag).
    this.runQueue.push(cell);
    if (!this.drainPending) {
      this.drainPending = true;
      this.kernel.clock.schedule(this.drainBound);
    }
  }

  get runnable(): number {
    return this.runQueue.count;
  }

  /** Runs turns until the queue is empty or the turn budget is spent. */
  drain(): void {
    this.drainPending = false;
    const queue = this.runQueue;
    for (let turns = 0; queue.count > 0; turns++) {
      if (turns === drainTurnsMax) {
        this.drainPending = true;
        this.kernel.clock.schedule(this.drainBound);
        return;
      }
      this.runTurn(queue.shift());
    }
  }

  private runTurn(cell: Cell): void {
    if (cell.extras !== null) drainSystemLane(cell);
    const mailbox = cell.mailbox;
    if (cell.status !== running || cell.busy || mailbox === null || mailbox.count === 0) {
      if (hasSystemWork(cell)) queueAgain(this.runQueue, cell);
      else cell.scheduled = false;
      return;
    }
    const kernel = this.kernel;
    const instance = cell.instance!;
    const receive = cell.receive!;
    // Tracing is sampled once per turn: a subscriber that arrives mid-turn sees the next turn.
    const tracing = kernel.tracing.active;
    const batch = mailbox.count < this.batchMessagesMax ? mailbox.count : this.batchMessagesMax;
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
        if (tracing) kernel.traceReceive(cell.pid, message, mailbox.shiftedCause);
        handled++;
        const result = receive.call(instance, message as never, cell);
        if (result !== undefined && typeof (result as PromiseLike<void>).then === 'function') {
          this.awaitHandler(cell, result as PromiseLike<void>, message, origin);
          break;
        }
        if (cell.status !== running) break;
      }
    } catch (error) {
      kernel.leave();
      kernel.lifecycle.fail(cell, error, message, origin);
    }
    this.messagesHandled += handled;
    kernel.leave();
    // Signals pushed during the turn (the actor monitored a dead actor, say) need another turn too.
    if ((cell.status === running && !cell.busy && mailbox.count > 0) || hasSystemWork(cell)) queueAgain(this.runQueue, cell);
    else cell.scheduled = false;
  }

  /** An async `receive`: the actor handles nothing else until the promise settles. */
  private awaitHandler(cell: Cell, pending: PromiseLike<void>, message: unknown, origin: number): void {
    const incarnation = cell.instance;
    cell.busy = true;
    pending.then(
      () => {
        if (cell.instance !== incarnation) return;
        cell.busy = false;
        this.wake(cell);
      },
      (error: unknown) => {
        if (cell.instance !== incarnation) return;
        cell.busy = false;
        this.kernel.lifecycle.fail(cell, error, message, origin);
      },
    );
  }

  /** Schedules `cell` if it has work and is not already queued. */
  wake(cell: Cell): void {
    if (cell.scheduled || cell.status !== Status.Running || cell.mailbox === null || cell.mailbox.count === 0) return;
    cell.scheduled = true;
    this.enqueue(cell);
  }
}

/** Module constant, so the hot path compares against a literal rather than loading `Status`. */
const running = Status.Running;

function hasSystemWork(cell: Cell): boolean {
  const lane = cell.extras?.lane;
  return lane != null && lane.count > 0;
}

function queueAgain(queue: RingQueue<Cell>, cell: Cell): void {
  // Still marked scheduled: it goes to the back of the queue for another turn.
  queue.push(cell);
}
