/**
 * The kernel's supervision tree on one CPU: the root, one supervisor per subsystem booted (in boot
 * order), the owners of the worker CPUs on a multi-CPU kernel's CPU 0, and `apps`, whose guardian
 * `user` is the parent of every `kernel.spawn`:
 *
 * ```
 * kernel.root ─┬─ kernel.cpus   (CPU 0 of a multi-CPU kernel: kernel.cpu.1 … kernel.cpu.N-1)
 *              ├─ kernel.sched  ─ kernel.scheduler        } one per subsystem given to boot,
 *              ├─ kernel.irq    ─ kernel.irq.controller … } with its own children
 *              └─ kernel.apps   ─ kernel.user ─ (user actors)
 * ```
 */
import type { Cell } from '../actors/runtime/cell.js';
import type { KernelCore, KernelTreeRoots } from '../actors/runtime/kernel-core.js';
import { fromReceive } from '../actors/runtime/behavior.js';
import { InvariantError } from '../ground/errors.js';
import type { ChildSpec } from '../supervisors/child-spec.js';
import { supervisor } from '../supervisors/supervisor.js';
import { Status } from '../actors/runtime/cell.js';

/** Registered names of the kernel's own actors (prefixed so they never clash with user names). */
export const kernelNames = {
  root: 'kernel.root',
  user: 'kernel.user',
  apps: 'kernel.apps',
  cpus: 'kernel.cpus',
  /** The supervisor of subsystem `name`. */
  subsystem: (name: string) => `kernel.${name}`,
} as const;

/**
 * Names a subsystem may not take: its supervisor would be `kernel.<name>`, which the kernel's own
 * actors hold (the root, the user space, the worker CPUs' owners, the scheduler actor).
 */
export const reservedSubsystemNames: ReadonlySet<string> = new Set(['root', 'user', 'apps', 'cpus', 'scheduler']);

/** A subsystem supervisor as the tree starts it. */
export interface SubsystemBranch {
  readonly name: string;
  readonly restartsMax: number;
  readonly restartWindowMs: number;
  readonly children: readonly ChildSpec<never>[];
}

/** Restarts a kernel supervisor allows (OTP's intensity), unless a subsystem asks otherwise. */
export const kernelRestartsMax = 3;
export const kernelRestartWindowMs = 5_000;
/** Time a subtree gets to stop: its children have their own timeouts, so leave room for them. */
const branchShutdownMs = 60_000;
/** Time the user guardian's subtree gets to stop. */
const userShutdownMs = 30_000;

/**
 * Spawns the tree on `kernel` and returns its root and user guardian. `cpuChildren` are the owners
 * of the worker CPUs (CPU 0 of a multi-CPU kernel), under a `cpus` supervisor of their own.
 */
export function startKernelTree(kernel: KernelCore, branches: readonly SubsystemBranch[], cpuChildren: readonly ChildSpec<never>[]): KernelTreeRoots {
  const children: ChildSpec<never>[] = [];
  if (cpuChildren.length > 0) children.push(branch('cpus', kernelNames.cpus, kernelRestartsMax, kernelRestartWindowMs, cpuChildren));
  for (const { name, restartsMax, restartWindowMs, children: specs } of branches)
    children.push(branch(name, kernelNames.subsystem(name), restartsMax, restartWindowMs, specs));
  // The user guardian: the parent of every `kernel.spawn`. It restarts nothing itself; actors that
  // want restarts run under a supervisor of their own.
  const guardian: ChildSpec<never> = {
    id: 'user',
    start: fromReceive(() => {}, 'user-guardian'),
    options: { name: kernelNames.user },
    shutdown: userShutdownMs,
  };
  children.push(branch('apps', kernelNames.apps, kernelRestartsMax, kernelRestartWindowMs, [guardian]));
  const root = kernel.lifecycle.spawn(
    null,
    supervisor({ strategy: 'one-for-one', restartsMax: kernelRestartsMax, restartWindowMs: kernelRestartWindowMs, children }),
    { name: kernelNames.root },
  );
  return new KernelTree(kernel, root);
}

/**
 * The tree's roots. A class, not an object literal: V8 makes a literal with a getter in dictionary
 * mode, and `user` is read on every spawn.
 */
class KernelTree implements KernelTreeRoots {
  /** Cached while alive: kernel.spawn asks for it on every spawn. A restart of `apps` makes a new one. */
  private userCell: Cell | undefined = undefined;

  constructor(
    private readonly kernel: KernelCore,
    readonly root: Cell,
  ) {}

  get user(): Cell {
    let user = this.userCell;
    if (user === undefined || user.status === Status.Stopped) {
      user = this.kernel.registry.get(kernelNames.user);
      if (user === undefined) throw new InvariantError(`kernel tree: ${kernelNames.user} did not start`);
      this.userCell = user;
    }
    return user;
  }
}

function branch(id: string, name: string, restartsMax: number, restartWindowMs: number, children: readonly ChildSpec<never>[]): ChildSpec<never> {
  return {
    id,
    start: supervisor({ strategy: 'one-for-one', restartsMax, restartWindowMs, children }),
    options: { name },
    restart: 'permanent',
    shutdown: branchShutdownMs,
  };
}
