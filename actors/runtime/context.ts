import type { Random } from '../../drivers/random/random.js';
import type { Behavior } from './behavior.js';
import type { Message, ReplyOf } from '../../ground/message.js';
import type { Pid } from '../../ground/pid.js';
import type { ActorRef } from './ref.js';
import type { SpawnOptionsFor } from './spawn-options.js';
import type { ExitReason } from './signals.js';
import type { MonitorRef } from './monitor.js';

/**
 * What an actor can do while it handles a message. It is passed to every hook; keep using it only
 * inside the hook (after an `await` in an async `receive`, prefer `self` and refs).
 */
export interface ActorContext<M extends Message> {
  readonly self: ActorRef<M>;
  readonly pid: Pid;
  /** The registered name, if any. */
  readonly name: string | undefined;
  /** The parent's ref (`undefined` only for the kernel's root). */
  readonly parent: ActorRef<never> | undefined;
  /** Milliseconds on the kernel's clock (virtual in a simulated kernel). */
  now(): number;
  /** This actor's own random stream, derived from the kernel seed and the actor's stable name or path. */
  readonly random: Random;
  /**
   * A fault point (FoundationDB's BUGGIFY): whether to take a rare but legal path here, now (a retry,
   * a slow path). Always false outside a simulation; under osprey/sim a site is on in some runs and
   * then fires on `share` of its calls (a quarter by default), and the run's report names it.
   */
  maybe(site: string, share?: number): boolean;

  /** The live actor registered under `name`, if any. */
  lookup<T extends Message = never>(name: string): ActorRef<T> | undefined;
  /**
   * The handle of a subsystem on this actor's CPU (what `kernel.subsystem` gives outside actors):
   * `ctx.subsystem(virtualMemory).memory`. Throws SubsystemNotBootedError if the kernel did not boot it.
   */
  subsystem<H>(subsystem: SubsystemOf<H>): H;

  /** Spawns a child of this actor; `options.args` are the behaviour's start arguments (required if it takes some). */
  spawn<C extends Message, A = void>(behavior: Behavior<C, A>, ...options: SpawnOptionsFor<A>): ActorRef<C>;
  /** Stops a child (or, with no argument, this actor) with reason `normal`. */
  stop(child?: ActorRef<never>): void;

  /** Answers the ask currently being handled. A plain `tell` has no asker: the reply is a dead letter. */
  reply<K extends M>(message: K, value: ReplyOf<K>): void;
  /** A handle to answer the current ask later (after async work or another message). */
  replyLater<K extends M>(message: K): ReplyHandle<ReplyOf<K>>;

  /**
   * Watches `ref`: a `down` signal naming the returned monitor arrives when its current incarnation
   * ends (a stop, or a crash even if a supervisor restarts it in place), once. Each call makes a new
   * monitor.
   */
  monitor(ref: ActorRef<never>): MonitorRef;
  /** Ends a monitor this actor holds; a `down` already queued for it still arrives. */
  demonitor(monitor: MonitorRef): void;
  /**
   * Links this actor with `ref` (OTP's link): when either ends, the other gets an exit signal with the
   * reason. One that does not trap exits ignores `normal` and ends with any other reason. A link lasts
   * as long as both incarnations: a restart starts unlinked.
   */
  link(ref: ActorRef<never>): void;
  unlink(ref: ActorRef<never>): void;
  /** When on, exit signals (except `kill`) arrive as `exit` signals instead of ending this actor. Reset at each restart. */
  trapExits(on: boolean): void;
  /**
   * Sends `ref` an exit signal with `reason` (OTP's `exit/2`): `kill` ends it with reason `killed`
   * whatever it does; an actor that traps exits gets an `exit` signal; otherwise `normal` is ignored
   * and any other reason ends its incarnation with that reason (its supervisor decides what follows).
   */
  exit(ref: ActorRef<never>, reason: ExitReason | 'kill'): void;

  /** Sends `message` to self after `delayMs`; a timer with the same key is replaced. Cancelled on stop and restart. */
  startTimer(key: string, delayMs: number, message: M): void;
  cancelTimer(key: string): void;
}

/** Answers one ask, once, at any later time. */
export interface ReplyHandle<R> {
  /** Resolves the asker's promise. Returns false if the ask had already ended (its reply became a dead letter). */
  resolve(value: R): boolean;
  /** Rejects the asker's promise with `error`. */
  reject(error: unknown): boolean;
}

export type { ExitReason };

/** A subsystem as an actor names it (actors/plugin's Subsystem is one): its name, and what its handle is. */
export interface SubsystemOf<H> {
  readonly name: string;
  start(host: never): { readonly handle: () => H };
}
