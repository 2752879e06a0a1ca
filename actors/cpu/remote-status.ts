/**
 * Status snapshots of other CPUs (`kernel.cpuStatuses()`), so a tool can show the whole system, not
 * only the CPU it runs on. A snapshot crosses as a flat list of actors with their parents' indices,
 * not as the nested tree: a tree nests two levels per generation of actors, and the codec bounds
 * nesting (protocols/limits.ts), while a list's depth is fixed.
 */
import type { ActorStateValue, ActorStatus, KernelStatus } from '../runtime/status.js';

/** One actor of a flattened snapshot; `parent` indexes the list (-1 for the root). */
interface WireActor {
  readonly pid: string;
  readonly label: string;
  readonly name: string | null;
  readonly status: ActorStatus['status'];
  readonly mailbox: number;
  readonly restarts: number;
  /** A machine actor's state value (absent for other actors). */
  readonly state?: ActorStateValue;
  readonly parent: number;
}

/** A KernelStatus as it crosses CPUs. */
export interface WireStatus {
  readonly mode: KernelStatus['mode'];
  readonly seed: number;
  readonly actors: number;
  readonly messagesHandled: number;
  readonly deadLetters: number;
  readonly tracing: boolean;
  readonly subsystems: Readonly<Record<string, unknown>>;
  /** The tree in depth-first order: every actor comes after its parent. */
  readonly tree: readonly WireActor[];
}

export function flattenStatus(status: KernelStatus): WireStatus {
  const tree: WireActor[] = [];
  const visit = (node: ActorStatus, parent: number): void => {
    const index = tree.length;
    const { pid, label, name, status, mailbox, restarts, state } = node;
    tree.push({ pid, label, name: name ?? null, status, mailbox, restarts, ...(state !== undefined ? { state } : {}), parent });
    for (const child of node.children) visit(child, index);
  };
  visit(status.tree, -1);
  return {
    mode: status.mode,
    seed: status.seed,
    actors: status.actors,
    messagesHandled: status.messagesHandled,
    deadLetters: status.deadLetters,
    tracing: status.tracing,
    subsystems: status.subsystems,
    tree,
  };
}

/** The snapshot `flattenStatus` flattened. Throws a TypeError for a list no kernel would send. */
export function rebuildStatus(wire: WireStatus): KernelStatus {
  const nodes: { -readonly [K in keyof ActorStatus]: ActorStatus[K] }[] = [];
  for (const [index, actor] of wire.tree.entries()) {
    const node = {
      pid: actor.pid,
      label: actor.label,
      name: actor.name ?? undefined,
      status: actor.status,
      mailbox: actor.mailbox,
      restarts: actor.restarts,
      ...(actor.state !== undefined ? { state: actor.state } : {}),
      children: [] as ActorStatus[],
    };
    if (index === 0 ? actor.parent !== -1 : !(actor.parent >= 0 && actor.parent < index))
      throw new TypeError(`status of another cpu: actor ${index} names parent ${actor.parent}`);
    if (index > 0) (nodes[actor.parent]!.children as ActorStatus[]).push(node);
    nodes.push(node);
  }
  const root = nodes[0];
  if (root === undefined) throw new TypeError('status of another cpu: no root actor');
  return {
    mode: wire.mode,
    seed: wire.seed,
    actors: wire.actors,
    messagesHandled: wire.messagesHandled,
    deadLetters: wire.deadLetters,
    tracing: wire.tracing === true,
    subsystems: wire.subsystems ?? {},
    tree: root,
  };
}
