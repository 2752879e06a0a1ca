import { behaviorLabel } from './behavior.js';
import type { Cell } from './cell.js';
import type { KernelCore } from './kernel-core.js';
import { formatPid } from '../../ground/pid.js';

/** One actor in a status snapshot. */
export interface ActorStatus {
  readonly pid: string;
  readonly label: string;
  readonly name: string | undefined;
  readonly status: 'running' | 'suspended' | 'stopping' | 'stopped';
  readonly mailbox: number;
  readonly restarts: number;
  /** A machine actor's current state value, e.g. `'green'` or `{ walk: 'blinking' }` (see `DescribesState`). */
  readonly state?: ActorStateValue;
  readonly children: readonly ActorStatus[];
}

/** An actor's state as plain data (an xstate state value): a name, or nested regions. */
export type ActorStateValue = string | { readonly [region: string]: ActorStateValue };

/**
 * An actor incarnation that can say which state it is in, for `kernel.status()`: a machine actor
 * gives its state value. Plain data, so a snapshot crosses CPUs as it is.
 */
export interface DescribesState {
  describeState(): ActorStateValue | undefined;
}

function describesState(instance: unknown): instance is DescribesState {
  return typeof (instance as Partial<DescribesState> | null)?.describeState === 'function';
}

/** A snapshot of a kernel: its tree and its counters. */
export interface KernelStatus {
  readonly mode: 'real' | 'simulated';
  readonly seed: number;
  readonly actors: number;
  readonly messagesHandled: number;
  readonly deadLetters: number;
  /**
   * Whether this CPU traces events now: someone watches its `events`, or, on another CPU, CPU 0
   * asked for them because someone watches CPU 0's. Untraced, each potential event costs a branch.
   */
  readonly tracing: boolean;
  /** What each subsystem adds, by subsystem name (plain data). */
  readonly subsystems: Readonly<Record<string, unknown>>;
  readonly tree: ActorStatus;
}

const statusNames = ['running', 'suspended', 'stopping', 'stopped'] as const;

export function statusOf(kernel: KernelCore, root: Cell): KernelStatus {
  const subsystems: Record<string, unknown> = {};
  for (const [name, source] of kernel.statusSources) subsystems[name] = source();
  return {
    mode: kernel.mode,
    seed: kernel.seed,
    actors: kernel.slots.size,
    messagesHandled: kernel.dispatcher.messagesHandled,
    deadLetters: kernel.deadLetterCount,
    tracing: kernel.tracing.active,
    subsystems,
    tree: actorStatus(root),
  };
}

function actorStatus(cell: Cell): ActorStatus {
  const instance = cell.instance;
  const state = describesState(instance) ? instance.describeState() : undefined;
  return {
    pid: formatPid(cell.pid),
    label: behaviorLabel(cell.behavior),
    name: cell.extras?.name,
    status: statusNames[cell.status],
    mailbox: cell.mailbox?.count ?? 0,
    restarts: cell.extras?.restarts ?? 0,
    ...(state !== undefined ? { state } : {}),
    children: cell.children().map(actorStatus),
  };
}

/** A state value as text: `green`, `walk.blinking`, and `{walk.blinking, sound.on}` for parallel regions. */
export function formatStateValue(value: ActorStateValue): string {
  if (typeof value === 'string') return value;
  const regions = Object.entries(value).map(([region, inner]) => `${region}.${formatStateValue(inner)}`);
  return regions.length === 1 ? regions[0]! : `{${regions.join(', ')}}`;
}

/** The tree as indented text, one actor per line. */
export function formatStatus(status: KernelStatus): string {
  const lines = [
    `kernel (${status.mode}, seed ${status.seed}${status.tracing ? ', tracing' : ''}): ${status.actors} actors, ${status.messagesHandled} messages handled, ${status.deadLetters} dead letters`,
  ];
  const walk = (node: ActorStatus, depth: number): void => {
    const name = node.name !== undefined ? ` '${node.name}'` : '';
    const restarts = node.restarts > 0 ? `, ${node.restarts} restart(s)` : '';
    const mailbox = node.mailbox > 0 ? `, ${node.mailbox} queued` : '';
    const state = node.state !== undefined ? `, in ${formatStateValue(node.state)}` : '';
    lines.push(`${'  '.repeat(depth)}${node.label}${name} ${node.pid} ${node.status}${state}${restarts}${mailbox}`);
    for (const child of node.children) walk(child, depth + 1);
  };
  walk(status.tree, 1);
  return lines.join('\n');
}
