import type { TimerHandle } from '../../drivers/clock/clock.js';
import { assert } from './assert.js';
import type { Cell } from './cell.js';
import { AskTimeoutError } from './errors.js';
import { messageTypeOf } from './events.js';
import type { Kernel } from './kernel.js';
import type { Pid } from './pid.js';

interface PendingAsk {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  readonly from: Pid;
  /** The asked actor; null for a forwarded ask whose target was not found. */
  readonly to: Cell | null;
  timer: TimerHandle | undefined;
}

/**
 * The kernel's table of asks in flight. An ask travels as an ordinary message whose origin is the
 * negated ask id; the reply resolves the entry. Every ask has a deadline armed on the kernel's clock,
 * so no caller waits forever; a reply that comes after its ask ended is a dead letter.
 */
export class AskTable {
  private readonly pending = new Map<number, PendingAsk>();
  private nextId = 1;

  constructor(
    private readonly kernel: Kernel,
    private readonly deadlineMsDefault: number,
  ) {}

  get size(): number {
    return this.pending.size;
  }

  ask(target: Cell, message: unknown, deadlineMs = this.deadlineMsDefault): Promise<unknown> {
    assert(deadlineMs > 0 && Number.isFinite(deadlineMs), () => `an ask deadline must be a positive finite number of ms, got ${deadlineMs}`);
    const id = this.nextId++;
    const from = this.kernel.currentPid;
    const promise = new Promise<unknown>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, from, to: target, timer: undefined });
    });
    const entry = this.pending.get(id)!;
    entry.timer = this.kernel.clock.setTimer(deadlineMs, () => {
      this.reject(id, new AskTimeoutError(target.describe(), messageTypeOf(message), deadlineMs));
    });
    // If delivery fails, `deliver` has already rejected the ask with the precise reason. A throw
    // (a message that cannot be encoded for another CPU) fails this ask, not the caller.
    try {
      target.deliver(message, -id);
    } catch (error) {
      this.reject(id, error);
    }
    return promise;
  }

  /**
   * Registers an ask that arrived from another CPU, so the local actor's reply goes back over the
   * rings: `settle(true, value)` or `settle(false, error)` runs exactly once, at the reply, a failure
   * or the deadline. Returns the local ask id; deliver the body with origin `-id`.
   */
  forward(from: Pid, target: Cell | null, settle: (ok: boolean, value: unknown) => void, deadlineMs = this.deadlineMsDefault): number {
    const id = this.nextId++;
    const entry: PendingAsk = { resolve: (value) => settle(true, value), reject: (error) => settle(false, error), from, to: target, timer: undefined };
    this.pending.set(id, entry);
    // The asker has its own deadline; this one only keeps the table from holding entries forever.
    entry.timer = this.kernel.clock.setTimer(deadlineMs, () => this.reject(id, new AskTimeoutError(target?.describe() ?? 'nobody', 'forwarded ask', deadlineMs)));
    return id;
  }

  /** Fails every ask in flight whose target matches (e.g. all actors of a CPU that died). */
  rejectWhere(matches: (to: Cell) => boolean, error: (to: Cell) => unknown): number {
    let count = 0;
    for (const [id, entry] of [...this.pending]) {
      if (entry.to !== null && matches(entry.to) && this.reject(id, error(entry.to))) count++;
    }
    return count;
  }

  /** The sender of ask `id`, for dead letters. */
  senderOf(id: number): Pid {
    return this.pending.get(id)?.from ?? 0;
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

  /** Fails every ask in flight (kernel shutdown). */
  rejectAll(error: (to: Cell | null) => unknown): void {
    for (const id of [...this.pending.keys()]) this.reject(id, error(this.pending.get(id)!.to));
  }

  private take(id: number): PendingAsk | undefined {
    const entry = this.pending.get(id);
    if (entry === undefined) return undefined;
    this.pending.delete(id);
    if (entry.timer !== undefined) this.kernel.clock.cancelTimer(entry.timer);
    return entry;
  }
}
