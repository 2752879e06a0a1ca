import type { Cell } from './cell.js';
import type { ActorRef } from './ref.js';

/**
 * One monitor: what `ctx.monitor(ref)` returns and `ctx.demonitor` takes. Each call makes a new
 * one, so an actor may hold two monitors on the same actor and end them one at a time; the `down`
 * signal names the monitor that fired (OTP's monitor reference).
 *
 * @example
 * ```ts
 * const watch = ctx.monitor(worker);
 * // …later, in signal(sig): if (sig.type === 'down' && sig.monitor === watch) …
 * ctx.demonitor(watch);
 * ```
 */
export class MonitorRef {
  /** @internal */
  constructor(
    /** @internal The actor that watches. */
    readonly watcher: Cell,
    /** @internal The actor watched (a stand-in for an actor on another CPU). */
    readonly watched: Cell,
  ) {}

  /** The watched actor. */
  get ref(): ActorRef<never> {
    return this.watched.ref as ActorRef<never>;
  }
}
