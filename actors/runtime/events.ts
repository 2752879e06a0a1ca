import type { Observable } from 'rxjs';
import { assert, invariantBroken } from '../../ground/assert.js';
import { cpusMax, type Pid } from '../../ground/pid.js';
import { rxjs } from './lazy-packages.js';

/**
 * One causal event. Every event has an `id`, the `cpu` it happened on, and the `cause` id of the
 * event that led to it (0 when it came from outside any traced event): a `receive` is caused by its
 * `send`, a `send` by the `receive` being handled when it was sent, a `restart` by the `fault` before
 * it, a `timer` by the event during which the timer was armed, and the `send` a timer's firing makes
 * by that `timer` event.
 *
 * Ids are unique across the CPUs of a kernel by construction, as pids are: an id carries its CPU
 * (`eventCpu(id)`), so `cause` names one event of the merged stream CPU 0's `kernel.events` shows,
 * whichever CPU it happened on. A message to an actor of another CPU shows as two `send` events, one
 * on each CPU (into the ring, then into the mailbox): the far one's `cause` is the near one.
 */
/** What every event carries, stamped by the kernel when it traces the event (`KernelCore.trace`). */
export interface EventStamp {
  readonly id: number;
  readonly cause: number;
  /** The CPU it happened on. */
  readonly cpu: number;
  readonly atMs: number;
}

/** What one kind of event says, before the kernel stamps it. */
export type KernelEventBody =
  | {
      readonly kind: 'spawn';
      readonly pid: Pid;
      readonly parent: Pid;
      readonly label: string;
      readonly name?: string;
    }
  | {
      readonly kind: 'stop';
      readonly pid: Pid;
      readonly reason: string;
    }
  | {
      readonly kind: 'restart';
      readonly pid: Pid;
      readonly attempt: number;
    }
  | {
      readonly kind: 'send';
      readonly from: Pid;
      readonly to: Pid;
      readonly messageType: string;
      /**
       * On the send into the target's mailbox (this CPU's actor): the messages in that mailbox with
       * this one, at most its capacity (a full mailbox refuses or drops one). Absent on the send into
       * the ring to another CPU.
       */
      readonly depth?: number;
    }
  | {
      readonly kind: 'receive';
      readonly pid: Pid;
      readonly messageType: string;
      /** Messages left in the actor's mailbox once it took this one. */
      readonly depth: number;
      /** Actors of this CPU with work as its turn began (itself among them): the run queue and the CPU's holder. */
      readonly runnable: number;
    }
  | {
      readonly kind: 'transition';
      readonly pid: Pid;
      /** The id of the machine that stepped (`supervisor`, `irqLine`, a user machine's own id). */
      readonly machine: string;
      readonly from: string;
      readonly to: string;
      readonly event: string;
    }
  | {
      readonly kind: 'fault';
      readonly pid: Pid;
      readonly error: string;
      readonly messageType?: string;
    }
  | {
      readonly kind: 'dead-letter';
      readonly from: Pid;
      readonly to: Pid;
      readonly messageType: string;
      readonly reason: DeadLetterReason;
    }
  | {
      /** A timer of actor `pid` fired (`ctx.startTimer`, a machine's delayed event); `key` names it. */
      readonly kind: 'timer';
      readonly pid: Pid;
      readonly key: string;
    };

export type KernelEvent = EventStamp & KernelEventBody;

export type KernelEventKind = KernelEvent['kind'];

/** Why a message could not be delivered. */
export type DeadLetterReason =
  | 'stopped'
  | 'mailbox-full'
  | 'dropped-oldest'
  | 'no-asker'
  | 'ask-ended'
  | 'kernel-stopped'
  | 'ring-full'
  | 'not-understood'
  /** Dropped on purpose by a simulated run's faults (see mail-faults.ts). */
  | 'fault-injected';

/** A message that could not be delivered, with who sent it and why. */
export interface DeadLetter {
  readonly from: Pid;
  readonly to: Pid;
  /** A description of the target (name or pid and behaviour). */
  readonly target: string;
  /**
   * The message. One that another CPU reports to CPU 0 crosses when it is plain data; one that
   * holds refs, class instances or functions is undefined there, and `messageType` says what it was.
   */
  readonly message: unknown;
  /** The message's `type`, or its kind (see `messageTypeOf`). */
  readonly messageType: string;
  readonly reason: DeadLetterReason;
  /** The CPU the message died on. */
  readonly cpu: number;
  readonly atMs: number;
}

/** What another CPU could not report to CPU 0 (see `Kernel.droppedReports`). */
export type ReportStream = 'failures' | 'dead-letters' | 'events';

/**
 * Reports a CPU dropped rather than send them to CPU 0: its queue of reports waiting for the ring
 * was full (a crash storm, a flood of dead letters, more events than the ring carries). `count` is
 * how many since its previous report of that stream reached CPU 0.
 */
export interface DroppedReports {
  readonly cpu: number;
  readonly stream: ReportStream;
  readonly count: number;
  /** When CPU 0 learned of them. */
  readonly atMs: number;
}

/** Event ids each CPU numbers its events within (see `firstEventId`). */
const eventIdsPerCpu = 2 ** 48;
/** Event ids each incarnation of a CPU numbers within: a worker CPU that restarts starts past its last one's. */
const eventIdsPerIncarnation = 2 ** 40;
// Every CPU's ids must stay safe integers.
assert(cpusMax * eventIdsPerCpu <= 2 ** 53, 'event ids of every CPU must be safe integers');

/**
 * Where the event ids of incarnation `incarnation` of CPU `cpu` start (the first is one past it):
 * `cpu · 2^48 + (incarnation mod 256) · 2^40`. CPU 0 of a kernel that never restarted it numbers
 * its events 1, 2, 3 …; an incarnation has 2^40 ids before it runs into the next one's.
 */
export function firstEventId(cpu: number, incarnation: number): number {
  if (!(Number.isInteger(cpu) && cpu >= 0 && cpu < cpusMax)) invariantBroken(`cpu ${cpu} out of range`);
  if (!(Number.isInteger(incarnation) && incarnation >= 0)) invariantBroken(`incarnation ${incarnation} must be a non-negative integer`);
  return cpu * eventIdsPerCpu + (incarnation % (eventIdsPerCpu / eventIdsPerIncarnation)) * eventIdsPerIncarnation;
}

/**
 * The CPU an event id was numbered on: what a viewer needs to place a `cause` of the merged stream.
 *
 * @example
 * ```ts
 * kernel.events.subscribe((event) => console.log(event.cpu, event.kind, 'caused on cpu', eventCpu(event.cause)));
 * ```
 */
export function eventCpu(id: number): number {
  return Math.floor(id / eventIdsPerCpu);
}

/** What an ObservedStream hands values to: an rxjs subscriber, or a listener of the kernel's own. */
interface Listener<T> {
  next(value: T): void;
  complete(): void;
}

/**
 * A hot rxjs stream that knows whether anyone listens. Producers test `active` (a plain field)
 * before building an event, so an unobserved stream costs one branch per potential event.
 *
 * rxjs is loaded when a stream is first asked for (`stream`), not when the runtime is imported: it
 * takes about 90 ms to load, more than the rest of the runtime, and a kernel nobody observes never
 * needs it. The kernel's own listeners (`listen`) need no rxjs at all.
 */
export class ObservedStream<T> {
  /** True while at least one subscriber listens. */
  active = false;
  /**
   * Told when `active` changes: the first subscriber came, or the last one left. CPU 0 turns the
   * other CPUs' tracing on and off with it, so nobody pays for events nobody watches.
   */
  onActiveChange: ((active: boolean) => void) | null = null;
  private listeners: Listener<T>[] = [];
  private completed = false;
  private observable: Observable<T> | null = null;

  /** The stream, an rxjs Observable (made on first use). */
  get stream(): Observable<T> {
    return (this.observable ??= new (rxjs().Observable)<T>((subscriber) => {
      const remove = this.add(subscriber);
      return remove ?? undefined;
    }));
  }

  /**
   * Calls `next` with every value from now on, as a subscriber would; returns what stops it.
   *
   * @example
   * ```ts
   * const stop = kernel.core.deadLetterStream.listen((letter) => forward(letter));
   * ```
   */
  listen(next: (value: T) => void): () => void {
    return this.add({ next, complete: () => {} }) ?? (() => {});
  }

  /** Adds `listener`; returns what removes it, or null if the stream has completed (it is told so). */
  private add(listener: Listener<T>): (() => void) | null {
    if (this.completed) {
      listener.complete();
      return null;
    }
    // Copy on write: emit() may be iterating the current array while someone subscribes.
    this.listeners = [...this.listeners, listener];
    this.setActive(true);
    return () => {
      this.listeners = this.listeners.filter((each) => each !== listener);
      this.setActive(this.listeners.length > 0);
    };
  }

  private setActive(active: boolean): void {
    if (this.active === active) return;
    this.active = active;
    if (this.onActiveChange !== null && !this.completed) this.onActiveChange(active);
  }

  /** Hands `value` to every subscriber directly (no Subject in between: this runs per event). */
  emit(value: T): void {
    const listeners = this.listeners;
    for (let i = 0; i < listeners.length; i++) listeners[i]!.next(value);
  }

  complete(): void {
    this.completed = true;
    const listeners = this.listeners;
    this.listeners = [];
    this.active = false;
    for (const listener of listeners) listener.complete();
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
