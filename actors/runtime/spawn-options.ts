import type { OverflowPolicy } from './mailbox.js';

/** How long a stop may take: milliseconds, `infinity` (a supervisor child's default, as in OTP), or `brutal-kill` (no hooks). */
export type Shutdown = number | 'brutal-kill' | 'infinity';

/**
 * The options of a spawn of a behaviour taking arguments `A`: `args` is required unless `A` admits
 * `undefined` (a behaviour without arguments takes `void`).
 */
export type SpawnOptionsFor<A> = undefined extends A ? [options?: SpawnOptions<A>] : [options: SpawnOptions<A> & { readonly args: A }];

/**
 * How to spawn an actor. Reuse one options object for many spawns: the kernel keeps a pointer to
 * it instead of copying, which keeps idle actors small.
 *
 * @example
 * ```ts
 * kernel.spawn(Worker, { name: 'worker-1', mailboxCapacity: 256, overflow: 'drop-oldest' });
 * ```
 */
export interface SpawnOptions<A = unknown> {
  /**
   * The behaviour's start arguments (plain data): given to every incarnation, the restarted ones
   * included, and carried to another CPU with the spawn.
   */
  readonly args?: A;
  /** Registers the actor under this name (`kernel.lookup(name)`); unregistered when it stops. */
  readonly name?: string;
  /** Mailbox bound in messages (default 1000). */
  readonly mailboxCapacity?: number;
  /** What a full mailbox does (default `reject`). */
  readonly overflow?: OverflowPolicy;
  /** Time the actor gets to stop before it is killed, `infinity`, or `brutal-kill` to skip its hooks (default 5000 ms). */
  readonly shutdown?: Shutdown;
  /**
   * The CPU to run on (`kernel.spawn` only; default: the spawning CPU), or `'auto'` to let the kernel
   * place it (round robin). The behaviour must be exported by a boot module (see `BootOptions.modules`).
   */
  readonly cpu?: number | 'auto';
  /**
   * CPU share under the fair scheduler, ∝ 1/priority: a number in [0.001, 1000] (default 1; 2 gets
   * half the share of a default actor), `'realtime'` to run before every fair actor (interrupt
   * handlers, drivers: OSv's `priority_infinity`), or `'idle'` to run only when nothing else can.
   */
  readonly priority?: number | 'realtime' | 'idle';
  /** Never moved to another CPU by the load balancer (default false). */
  readonly pinned?: boolean;
}
