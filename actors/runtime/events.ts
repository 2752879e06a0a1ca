import { Observable, type Subscriber } from 'rxjs';
import type { Pid } from '../../ground/pid.js';

/**
 * One causal event. Every event has an `id` (increasing per kernel) and the `cause` id of the event
 * that led to it (0 when it came from outside any traced event): a `receive` is caused by its `send`,
 * a `send` by the `receive` being handled when it was sent, a `restart` by the `fault` before it.
 */
export type KernelEvent =
  | {
      readonly kind: 'spawn';
      readonly id: number;
      readonly cause: number;
      readonly atMs: number;
      readonly pid: Pid;
      readonly parent: Pid;
      readonly label: string;
      readonly name?: string;
    }
  | { readonly kind: 'stop'; readonly id: number; readonly cause: number; readonly atMs: number; readonly pid: Pid; readonly reason: string }
  | { readonly kind: 'restart'; readonly id: number; readonly cause: number; readonly atMs: number; readonly pid: Pid; readonly attempt: number }
  | {
      readonly kind: 'send';
      readonly id: number;
      readonly cause: number;
      readonly atMs: number;
      readonly from: Pid;
      readonly to: Pid;
      readonly messageType: string;
    }
  | { readonly kind: 'receive'; readonly id: number; readonly cause: number; readonly atMs: number; readonly pid: Pid; readonly messageType: string }
  | {
      readonly kind: 'transition';
      readonly id: number;
      readonly cause: number;
      readonly atMs: number;
      readonly pid: Pid;
      readonly from: string;
      readonly to: string;
      readonly event: string;
    }
  | {
      readonly kind: 'fault';
      readonly id: number;
      readonly cause: number;
      readonly atMs: number;
      readonly pid: Pid;
      readonly error: string;
      readonly messageType?: string;
    }
  | {
      readonly kind: 'dead-letter';
      readonly id: number;
      readonly cause: number;
      readonly atMs: number;
      readonly from: Pid;
      readonly to: Pid;
      readonly messageType: string;
      readonly reason: DeadLetterReason;
    };

export type KernelEventKind = KernelEvent['kind'];

/** Why a message could not be delivered. */
export type DeadLetterReason = 'stopped' | 'mailbox-full' | 'dropped-oldest' | 'no-asker' | 'ask-ended' | 'kernel-stopped' | 'ring-full' | 'not-understood';

/** A message that could not be delivered, with who sent it and why. */
export interface DeadLetter {
  readonly from: Pid;
  readonly to: Pid;
  /** A description of the target (name or pid and behaviour). */
  readonly target: string;
  readonly message: unknown;
  readonly reason: DeadLetterReason;
  readonly atMs: number;
}

/**
 * A hot rxjs stream that knows whether anyone listens. Producers test `active` (a plain field)
 * before building an event, so an unobserved stream costs one branch per potential event.
 */
export class ObservedStream<T> {
  /** True while at least one subscriber listens. */
  active = false;
  private subscribers: Subscriber<T>[] = [];
  private completed = false;

  readonly stream: Observable<T> = new Observable<T>((subscriber) => {
    if (this.completed) {
      subscriber.complete();
      return undefined;
    }
    // Copy on write: emit() may be iterating the current array while someone subscribes.
    this.subscribers = [...this.subscribers, subscriber];
    this.active = true;
    return () => {
      this.subscribers = this.subscribers.filter((s) => s !== subscriber);
      this.active = this.subscribers.length > 0;
    };
  });

  /** Hands `value` to every subscriber directly (no Subject in between: this runs per event). */
  emit(value: T): void {
    const subscribers = this.subscribers;
    for (let i = 0; i < subscribers.length; i++) subscribers[i]!.next(value);
  }

  complete(): void {
    this.completed = true;
    const subscribers = this.subscribers;
    this.subscribers = [];
    this.active = false;
    for (const subscriber of subscribers) subscriber.complete();
  }
}

/** A short name for a message in events and errors: its `type` if it has one. */
export function messageTypeOf(message: unknown): string {
  if (message !== null && typeof message === 'object') {
    const type = (message as { type?: unknown }).type;
    if (typeof type === 'string') return type;
  }
  return typeof message;
}
