/**
 * A pool as an actor, `kernel.zfs.pool.<name>` under the `zfs` supervisor beside its devices' actors:
 * its mailbox is the queue the pool's operations wait in, and it runs them one at a time, each to its
 * end before the next (an actor whose `receive` returns a promise waits for it). Reads, writes,
 * commits, scrubs, replaces and the commit timer's groups all go through it, so the pool's turns are
 * the actor's turns: they show in the kernel's status, traces and inspector as any actor's do.
 *
 * The pool's state (its object set, space map and devices) lives in the pool, not in the
 * incarnation: an actor that crashes (mail it does not take) is restarted by the supervisor with the
 * pool as it was, and nothing committed or not is lost. Its closure state keeps it on its CPU.
 *
 * @example
 * ```ts
 * const ref = await storage.startPoolActor('tank');
 * await ref.ask({ type: 'run', operation: () => pool.sync() }, { deadlineMs: poolOperationDeadlineMs });
 * ```
 */
import { UnknownRequestError } from '../../ground/errors.js';
import type { Ask } from '../../ground/message.js';
import { type BehaviorFactory, fromSetup } from '../runtime/behavior.js';

export type PoolActorMsg = Ask<{ readonly type: 'run'; readonly operation: () => Promise<unknown> }, unknown>;

/**
 * How long a pool operation may wait and run, in ms: a day. It waits behind every operation asked
 * before it, a scrub of a large pool among them, so the kernel's default ask deadline (seconds) would
 * fail operations that are only queued.
 */
export const poolOperationDeadlineMs = 24 * 60 * 60 * 1000;

/**
 * Operations a pool's mailbox holds, waiting and running: far more than the kernel's default, since
 * callers issue them as they would function calls (many reads in flight). One more is refused with
 * `MailboxFullError` (policy `reject`), which the caller gets as the operation's failure.
 */
export const poolMailboxCapacity = 1 << 16;

/** The behaviour of pool `name`'s actor. */
export function poolActorBehavior(name: string): BehaviorFactory<PoolActorMsg> {
  return fromSetup<PoolActorMsg>(
    () => ({
      receive(message, ctx) {
        if (message.type !== 'run') throw new UnknownRequestError(`pool ${name}`, String((message as { type?: unknown }).type));
        const reply = ctx.replyLater(message);
        return message.operation().then(
          (value) => {
            reply.resolve(value);
          },
          (error: unknown) => {
            reply.reject(error);
          },
        );
      },
    }),
    'zfs-pool',
  );
}
