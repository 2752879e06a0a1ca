/**
 * Boots one CPU's kernel from the boot options: its drivers, its run policy behind the dispatcher
 * interface, its routing to the other CPUs (on a multi-CPU kernel), its subsystems and its tree.
 * The only place that knows every floor of the house; `Kernel.boot` and the worker CPUs' entry
 * call it.
 */
import { createRealClock } from '../drivers/clock/real.js';
import { createSimulatedClock, type SimulatedClock } from '../drivers/clock/simulated.js';
import { createRealRandom } from '../drivers/random/real.js';
import { createSeededRandom } from '../drivers/random/seeded.js';
import type { CpuNode } from '../actors/cpu/cpu-node.js';
import type { CpuJoin } from '../actors/cpu/hosts/cpu-host.js';
import type { AnySubsystem, SubsystemParts } from '../actors/plugin/subsystem.js';
import type { Dispatcher, SpendCpu } from '../actors/runtime/dispatcher.js';
import { FifoDispatcher } from '../actors/runtime/fifo-dispatcher.js';
import { KernelCore } from '../actors/runtime/kernel-core.js';
import { askDeadlineMsDefault, batchMessagesMax, mailboxCapacityDefault } from '../actors/runtime/limits.js';
import type { ActorRef } from '../actors/runtime/ref.js';
import { CpuState } from '../actors/sched/cpu-state.js';
import { checkScheduling } from '../actors/sched/entity.js';
import { FairDispatcher } from '../actors/sched/fair-dispatcher.js';
import type { SupervisorMsg } from '../supervisors/supervisor.js';
import { UsageError } from '../ground/errors.js';
import type { BootOptions } from './boot-options.js';
import { kernelNames, kernelRestartsMax, kernelRestartWindowMs, startKernelTree } from './kernel-tree.js';

/** One CPU's kernel, as boot made it. */
export interface CpuBoot {
  readonly core: KernelCore;
  /** Its scheduler state, which drives its loop (on a multi-CPU kernel). */
  readonly state: CpuState;
  /** Its routing to the other CPUs; null on a one-CPU kernel. */
  readonly node: CpuNode | null;
}

/**
 * The routing core's class, which a machine of several CPUs needs and a one-CPU kernel does not: it
 * is passed in by whoever loaded it, so that importing the runtime does not load the CPU layer and
 * its codec (msgpackr, about 40 ms).
 */
export type CpuNodeClass = typeof CpuNode;

/**
 * Boots the kernel of one CPU: CPU 0 of a one-CPU kernel (`join` null), or one CPU of a machine,
 * whose routing core is a `Node`.
 */
export function bootCpu(options: BootOptions, subsystems: readonly AnySubsystem[], join: CpuJoin | null, Node?: CpuNodeClass): CpuBoot {
  const mode = options.mode ?? 'real';
  const clock = join?.clock ?? options.clock ?? (mode === 'simulated' ? createSimulatedClock() : createRealClock());
  const random =
    join?.random ?? options.random ?? (options.seed !== undefined || mode === 'simulated' ? createSeededRandom(options.seed ?? 0) : createRealRandom());
  const core = new KernelCore({
    mode,
    cpu: join?.cpu ?? 0,
    clock,
    random,
    mailboxCapacity: options.mailboxCapacity ?? mailboxCapacityDefault,
    askDeadlineMs: options.askDeadlineMs ?? askDeadlineMsDefault,
    ...(join?.firstGeneration !== undefined ? { firstGeneration: join.firstGeneration } : {}),
    ...(join?.incarnation !== undefined ? { incarnation: join.incarnation } : {}),
    dispatcher: (kernel) => createDispatcher(kernel, options),
    checkSpawnOptions: checkScheduling,
  });
  const state = new CpuState();
  core.dispatcher.listener = state;
  let node: CpuNode | null = null;
  if (join !== null) {
    if (Node === undefined) throw new UsageError('a CPU of a machine needs its routing core class (CpuNode)');
    node = new Node(core, {
      cpu: join.cpu,
      memory: join.memory,
      catalog: join.catalog,
      frames: subsystems.flatMap((subsystem) => subsystem.frames ?? []),
      ...(options.crossCpuOverflow !== undefined ? { overflow: options.crossCpuOverflow } : {}),
      ...(options.outboxWaitMs !== undefined ? { outboxWaitMs: options.outboxWaitMs } : {}),
      ...(options.outboxBytesMax !== undefined ? { outboxBytesMax: options.outboxBytesMax } : {}),
    });
    core.attachRouting(node);
    if (core.dispatcher instanceof FairDispatcher) core.dispatcher.loads = new Int32Array(join.memory.loads);
  }
  const branches = subsystems.map((subsystem) => {
    const supervisorName = kernelNames.subsystem(subsystem.name);
    const parts: SubsystemParts<unknown> = subsystem.start({
      kernel: core,
      options: subsystem.options,
      cpuState: state,
      routing: node,
      supervisor: () => core.lookup<SupervisorMsg>(supervisorName) ?? unreachable(supervisorName),
    });
    core.subsystemHandles.set(subsystem.name, parts.handle);
    if (parts.status !== undefined) core.statusSources.set(subsystem.name, parts.status);
    const limits = subsystem.supervision;
    return {
      name: subsystem.name,
      restartsMax: limits?.restartsMax ?? kernelRestartsMax,
      restartWindowMs: limits?.restartWindowMs ?? kernelRestartWindowMs,
      children: parts.children ?? [],
    };
  });
  core.attachTree(startKernelTree(core, branches, join?.cpuChildren ?? []));
  return { core, state, node };
}

function unreachable(name: string): never {
  throw new UsageError(`the supervisor ${name} is not running (the kernel is stopping, or the subsystem gave up)`);
}

function createDispatcher(kernel: KernelCore, options: BootOptions): Dispatcher {
  const batch = options.batchMessagesMax ?? batchMessagesMax;
  const cost = options.simulatedCostMs;
  let spendCpu: SpendCpu | null = null;
  if (cost !== undefined) {
    if (kernel.clock.kind !== 'simulated') throw new TypeError('simulatedCostMs needs a simulated clock: boot with { mode: "simulated" }');
    const clock = kernel.clock as SimulatedClock;
    if (typeof cost === 'number') {
      if (!(Number.isFinite(cost) && cost >= 0)) throw new RangeError(`simulatedCostMs must be a finite number ≥ 0, got ${cost}`);
      spendCpu = () => clock.consume(cost);
    } else if (typeof cost === 'function') {
      spendCpu = (message, cell) => clock.consume(cost(message, cell.ref as ActorRef<never>));
    } else {
      throw new TypeError('simulatedCostMs must be a number or a function');
    }
  }
  switch (options.scheduler ?? 'fair') {
    case 'fair':
      return new FairDispatcher(kernel, batch, spendCpu);
    case 'fifo':
      return new FifoDispatcher(kernel, batch, spendCpu);
    default:
      throw new RangeError(`scheduler must be 'fair' or 'fifo', got ${String(options.scheduler)}`);
  }
}
