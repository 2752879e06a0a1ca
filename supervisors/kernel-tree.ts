import { fromReceive } from '../actors/runtime/behavior.js';
import { type Cell, Status } from '../actors/runtime/cell.js';
import type { Kernel } from '../actors/runtime/kernel.js';
import type { ChildSpec } from './child-spec.js';
import { supervisor } from './supervisor.js';
import { SchedulerActor, schedulerName } from '../actors/sched/scheduler-actor.js';

/** The subsystems that get a supervisor of their own under the root. */
export const subsystemNames = ['sched', 'irq', 'vm', 'zfs', 'net', 'apps'] as const;
export type SubsystemName = (typeof subsystemNames)[number];

/** Registered names of the kernel's own actors (prefixed so they never clash with user names). */
export const kernelNames = {
  root: 'kernel.root',
  user: 'kernel.user',
  subsystem: (name: SubsystemName) => `kernel.${name}`,
} as const;

/** Each CPU's scheduler actor: control messages and the load balancer (actors/sched/scheduler-actor.ts). */
const schedulerSpec: ChildSpec<never> = { id: 'scheduler', start: SchedulerActor as never, options: { name: schedulerName, priority: 'realtime' }, restart: 'permanent', shutdown: 1_000 };

/**
 * Each subsystem's supervisor spec: placeholders until the subsystem lands, so later issues plug in.
 * `schedChildren` are static children of `sched` (the worker CPUs of a multi-CPU kernel).
 */
export function subsystemSpecsWith(schedChildren: readonly ChildSpec<never>[]): readonly ChildSpec<never>[] {
  return subsystemNames.map((name) => ({
  id: name,
  start: supervisor({
    strategy: 'one-for-one',
    restartsMax: 3,
    restartWindowMs: 5_000,
    // The user guardian: the parent of every `kernel.spawn`. It restarts nothing itself; actors
    // that want restarts run under a supervisor of their own.
    children: name === 'apps' ? [{ id: 'user', start: fromReceive(() => {}, 'user-guardian'), options: { name: kernelNames.user }, shutdown: 30_000 }] : name === 'sched' ? [schedulerSpec, ...schedChildren] : [],
  }),
  options: { name: kernelNames.subsystem(name) },
  restart: 'permanent',
  // A supervisor's children have their own timeouts; give the subtree time to use them.
  shutdown: 60_000,
  }));
}

export const subsystemSpecs: readonly ChildSpec<never>[] = subsystemSpecsWith([]);


export interface KernelTree {
  readonly root: Cell;
  readonly user: Cell;
  readonly subsystems: Readonly<Record<SubsystemName, Cell>>;
}

/** Boots the kernel's supervision tree: root → sched, irq, vm, zfs, net, apps → user guardian. */
export function kernelTree(kernel: Kernel, schedChildren: readonly ChildSpec<never>[] = []): KernelTree {
  const children = schedChildren.length === 0 ? subsystemSpecs : subsystemSpecsWith(schedChildren);
  const root = kernel.lifecycle.spawn(null, supervisor({ strategy: 'one-for-one', restartsMax: 3, restartWindowMs: 5_000, children }), { name: kernelNames.root });
  const find = (name: string): Cell => {
    const cell = kernel.registry.get(name);
    if (cell === undefined) throw new Error(`kernel tree: ${name} did not start`);
    return cell;
  };
  // Looked up on each access: a subsystem supervisor that exits is respawned as a new actor.
  const subsystems = {} as Record<SubsystemName, Cell>;
  for (const name of subsystemNames) Object.defineProperty(subsystems, name, { enumerable: true, get: () => find(kernelNames.subsystem(name)) });
  // Cached while alive: kernel.spawn asks for it on every spawn.
  let user: Cell | undefined;
  return {
    root,
    get user() {
      if (user === undefined || user.status === Status.Stopped) user = find(kernelNames.user);
      return user;
    },
    subsystems,
  };
}
