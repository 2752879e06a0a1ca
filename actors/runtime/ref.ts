import type { Cell } from './cell.js';
import { sendUnderFaults } from './mail-faults.js';
import type { AskTypes, Message, MessageOfType, ReplyOf } from '../../ground/message.js';
import type { Pid } from '../../ground/pid.js';

/** Options of one ask. */
export interface AskOptions {
  /** Milliseconds before the ask fails with `AskTimeoutError` (default 5000). */
  readonly deadlineMs?: number;
}

/**
 * A handle to an actor, typed by the messages it accepts. A ref does not care where its actor
 * lives: `tell` and `ask` look the same for a local or a remote actor, and a ref to a stopped
 * actor sends to dead letters. A restart in place keeps the ref valid.
 *
 * @example
 * ```ts
 * counter.tell({ type: 'add', n: 2 });          // ok
 * counter.tell({ type: 'nope' });               // compile error: not a CounterMsg
 * const n = await counter.ask({ type: 'get' }); // n: number
 * ```
 */
/** The one key of the object a ref travels as between CPUs (plain data may not use it). */
export const refWireKey = '@osprey.ref';

export class ActorRef<M extends Message> {
  /**
   * @internal Where messages go. Replaced only when the actor migrates to another CPU: every holder
   * of this ref then sends to its new home, and `pid` reads the new pid.
   */
  cell: Cell;

  /** @internal */
  constructor(cell: Cell) {
    this.cell = cell;
  }

  /**
   * The actor's pid. A ref from a spawn on another CPU reads 0 until that CPU has answered (see
   * `kernel.spawned(ref)`); messages sent before then are held in order and delivered after.
   */
  get pid(): Pid {
    return this.cell.pid;
  }

  /**
   * Queues `message` for the actor. Returns false if it was not queued (mailbox full under
   * `reject` or `drop-newest`, or actor stopped); what was not queued is a dead letter unless the
   * policy was `reject`, under which the caller keeps it.
   */
  tell(message: M): boolean {
    const cell = this.cell;
    const kernel = cell.kernel;
    const sender = kernel.current;
    if (kernel.mailFaults !== null) {
      const from = sender === null ? 0 : sender.pid;
      return sendUnderFaults(kernel.mailFaults, cell, message, from, from);
    }
    return cell.deliver(message, sender === null ? 0 : sender.pid);
  }

  /** Sends an ask-branded message and resolves with the reply. Every ask has a deadline. */
  ask<T extends AskTypes<M>>(message: M & { readonly type: T }, options?: AskOptions): Promise<ReplyOf<MessageOfType<M, T>>> {
    return this.cell.kernel.asks.ask(this.cell, message, options?.deadlineMs) as Promise<ReplyOf<MessageOfType<M, T>>>;
  }

  /**
   * What a ref becomes inside a message to another CPU, where msgpackr packs objects by their
   * `toJSON()`, and in JSON: `{ '@osprey.ref': pid }`. The receiving CPU turns it back into a ref
   * (see actors/cpu/wire-refs.ts).
   */
  toJSON(): { readonly [refWireKey]: Pid } {
    return { [refWireKey]: this.cell.pid };
  }

  /** The registered name, or the pid and behaviour label. */
  toString(): string {
    return this.cell.describe();
  }
}

/** A ref of any message type, for places that only watch or stop actors. */
export type AnyActorRef = ActorRef<never>;
