/**
 * Refs inside messages between CPUs. An ActorRef is not plain data, but it may travel in a message
 * body: the sender's plain-data check lets refs through (and counts them), msgpackr packs each by its
 * `toJSON()`, `{ '@osprey.ref': pid }`, and the mail frame's header says that the body holds refs.
 * Only then does the receiving CPU walk the body and put a ref of its own in place of each such
 * object, so a body without refs costs nothing more. Plain data may not use the key, so nothing
 * else is mistaken for a ref.
 *
 * On the receiving CPU the ref is the one it would get from `kernel.refOf(pid)`: the actor's own
 * ref when it lives there, a remote ref otherwise, and a ref whose messages are dead letters when
 * the actor is gone. A ref from a spawn on another CPU that has not been answered yet has no pid
 * to travel with: sending it fails with a ProtocolError that says to await `kernel.spawned(ref)`.
 *
 * @example
 * ```ts
 * // On CPU 0: the worker on CPU 1 answers to whichever ref it is given.
 * worker.tell({ type: 'work', replyTo: ctx.self });
 * // On CPU 1, in the worker: message.replyTo is a ref to the asker on CPU 0.
 * message.replyTo.tell({ type: 'done' });
 * ```
 */
import { ActorRef, refWireKey } from '../runtime/ref.js';
import type { Pid } from '../../ground/pid.js';
import type { PortableObjects } from '../../protocols/validate.js';

/** The codec's view of refs: what may travel, and the key plain data may not use. */
export const portableRefs: PortableObjects = {
  accepts(value: object): boolean | string {
    if (!(value instanceof ActorRef)) return false;
    if (value.pid !== 0) return true;
    return `${value.cell.describe()} is still being spawned on another cpu, so its ref has no pid to travel with yet: await kernel.spawned(ref) first`;
  },
  reservedKey: refWireKey,
};

/**
 * Replaces, in place, every `{ '@osprey.ref': pid }` object in the decoded `body` with `refOf(pid)`,
 * and returns the body (or the ref, when the body itself is one).
 */
export function resolveWireRefs(body: unknown, refOf: (pid: Pid) => ActorRef<never>): unknown {
  if (typeof body !== 'object' || body === null || body instanceof Uint8Array) return body;
  if (Array.isArray(body)) {
    for (let index = 0; index < body.length; index++) body[index] = resolveWireRefs(body[index], refOf);
    return body;
  }
  const object = body as Record<string, unknown>;
  const pid = object[refWireKey];
  if (typeof pid === 'number') return refOf(pid);
  for (const key in object) object[key] = resolveWireRefs(object[key], refOf);
  return object;
}
