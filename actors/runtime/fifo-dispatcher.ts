import type { Cell } from './cell.js';
import { Dispatcher } from './dispatcher.js';
import { DrainLimit } from './limits.js';
import { BoundedQueue } from '../../ground/bounded-queue.js';
import { slotsPerCpuMax } from '../../ground/pid.js';
import { drainSystemLane } from './system-lane.js';

/**
 * The kernel core's run policy (`BootOptions.scheduler: 'fifo'`): runnable actors in a FIFO, each
 * for one turn of its system lane and at most `batchMessagesMax` user messages, so one busy actor
 * cannot starve the others. No priorities, no clock reads: the fastest policy, and the baseline
 * the fair scheduler's overhead is measured against.
 *
 * A drain runs at most `DrainLimit.turnsMax` turns, then gives the event loop back through the clock's
 * `schedule`, so timers and I/O keep flowing while actors are busy.
 */
export class FifoDispatcher extends Dispatcher {
  // The queue's bound is the slot space: a cell is queued at most once (its `scheduled` flag).
  private readonly runQueue = new BoundedQueue<Cell>(slotsPerCpuMax, 1024);

  enqueue(cell: Cell): void {
    this.runQueue.push(cell);
    this.drainSoon();
  }

  get runnable(): number {
    return this.runQueue.count;
  }

  drain(): void {
    this.drainStarted();
    this.draining = true;
    try {
      this.runTurns(0);
    } finally {
      this.draining = false;
    }
  }

  /** Nothing is queued: the asked actor's turn runs the message, and a drain follows if it left work. */
  runAskAlone(cell: Cell, message: unknown, origin: number): boolean {
    if (this.runQueue.count !== 0 || !this.takesAskAlone(cell)) return false;
    cell.markScheduled();
    this.drainStarted();
    this.draining = true;
    try {
      try {
        this.runOne(cell, message, origin);
      } finally {
        // Even if the turn threw (a kernel bug): its actor is queued again or unscheduled, never
        // left marked scheduled with no turn coming (a delivery would then ask for none).
        this.endTurn(cell);
      }
      this.serviceRings();
      this.runTurns(1);
    } catch (error) {
      this.drainAfterBug();
      throw error;
    } finally {
      this.draining = false;
      this.sendReadingMs = -1;
    }
    return true;
  }

  /** The drain's turns, `turns` of them already run. */
  private runTurns(turns: number): void {
    const queue = this.runQueue;
    // The actor whose turn is running, taken from the queue; null between turns.
    let running: Cell | null = null;
    try {
      for (; queue.count > 0; turns++) {
        if (turns === DrainLimit.turnsMax) {
          this.drainSoon();
          return;
        }
        running = queue.shift();
        this.runTurn(running);
        running = null;
        this.serviceRings();
      }
    } catch (error) {
      // A turn that threw (a kernel bug) ends as any other (see runAskAlone). Here, not in a
      // try of runTurn's own, which cost every turn of this baseline policy 15 instructions.
      if (running !== null) this.endTurn(running);
      this.drainAfterBug();
      throw error;
    }
    this.drainedDry();
  }

  private runTurn(cell: Cell): void {
    if (cell.extras !== null) drainSystemLane(cell);
    if (this.canRun(cell)) {
      const count = cell.mailbox!.count;
      this.runMessages(cell, count < this.batchMessagesMax ? count : this.batchMessagesMax, Number.POSITIVE_INFINITY);
    }
    this.endTurn(cell);
  }

  /** A drain that threw (a kernel bug) asks for the next one, for the actors still queued. */
  private drainAfterBug(): void {
    if (this.runQueue.count > 0) this.drainSoon();
  }

  private endTurn(cell: Cell): void {
    // Still marked scheduled: it goes to the back of the queue for another turn. Signals pushed
    // during the turn (the actor monitored a dead actor, say) need another turn too.
    if (this.canRun(cell) || this.hasSystemWork(cell)) this.runQueue.push(cell);
    else this.unschedule(cell);
  }
}
