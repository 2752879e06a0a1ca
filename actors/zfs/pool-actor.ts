/**
 * A pool's actors, under the `zfs` supervisor beside its devices' actors. Each runs work it is sent
 * one piece at a time, each to its end before the next (an actor whose `receive` returns a promise
 * waits for it), so the pool's turns are actors' turns: they show in the kernel's status, traces and
 * inspector as any actor's do.
 *
 * - `kernel.zfs.pool.<name>`: its mailbox is the queue the pool's operations wait in. Reads,
 *   writes, the writing of each transaction group's blocks, scrubs and replaces all go through it.
 * - `kernel.zfs.sync.<name>`: each group's flushes and uberblock (ZFS's syncing thread), while the
 *   pool actor goes on with the operations of the next group (open-pool.ts `writeGroup`).
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

/**
 * Groups a sync actor's mailbox holds: one syncs at a time, and the pool writes the next only once
 * it is durable, so one is there at most; a second is room for a restart's redelivery.
 */
export const syncMailboxCapacity = 2;

/** The behaviour of pool `name`'s actor (`role` 'pool') or of its sync actor ('sync'). */
export function poolActorBehavior(name: string, role: 'pool' | 'sync'): BehaviorFactory<PoolActorMsg> {
  return fromSetup<PoolActorMsg>(
    () => ({
      receive(message, ctx) {
        if (message.type !== 'run')
          throw new UnknownRequestError(`${role === 'pool' ? 'pool' : 'sync actor of pool'} ${name}`, String((message as { type?: unknown }).type));
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
    role === 'pool' ? 'zfs-pool' : 'zfs-sync',
  );
}
