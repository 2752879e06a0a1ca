/**
 * What owns the CPUs of a multi-CPU kernel, behind one interface for its two kinds: worker threads
 * on shared memory (worker-host.ts) and simulated CPUs stepped in one thread (simulated-host.ts).
 * The boot layer picks the host and gives it `BootCpu`, its way of booting one CPU's kernel.
 */
import type { Clock } from '../../../drivers/clock/clock.js';
import type { Random } from '../../../drivers/random/random.js';
import type { KernelCore, OtherCpus } from '../../runtime/kernel-core.js';
import type { CpuState } from '../../sched/cpu-state.js';
import type { ParkingCounters } from '../../ring/wake.js';
import type { ChildSpec } from '../../../supervisors/child-spec.js';
import type { BehaviorCatalog } from '../catalog.js';
import type { InterconnectMemory } from '../interconnect.js';
import type { CpuNode } from '../cpu-node.js';
import type { SimulatedCpuFaults } from './cpu-faults.js';

/** How one CPU's kernel joins the machine: which CPU it is, and how it reaches the others. */
export interface CpuJoin {
  readonly cpu: number;
  readonly memory: InterconnectMemory;
  readonly catalog: BehaviorCatalog;
  /** Where its pid generations start (a restarted CPU starts past its dead actors'). */
  readonly firstGeneration?: number;
  /** How many times this CPU was restarted before (its event ids start past its earlier incarnations'). */
  readonly incarnation?: number;
  /** CPU 0: the actors that own the worker CPUs, children of its `cpus` supervisor. */
  readonly cpuChildren?: readonly ChildSpec<never>[];
  /** Its clock, where the host gives each CPU its own view of one (simulated CPUs). */
  readonly clock?: Clock;
  /** Its random stream, where the host derives one per CPU (simulated CPUs). */
  readonly random?: Random;
}

/** One CPU's kernel, as the boot layer made it. */
export interface BootedCpu {
  readonly core: KernelCore;
  /** Its scheduler state, which drives its loop. */
  readonly state: CpuState;
  readonly node: CpuNode;
}

/** The boot layer's way of booting the kernel of one CPU of the machine. */
export type BootCpu = (join: CpuJoin) => Promise<BootedCpu>;

/**
 * Where a CPU of the machine is: `up`, `paused` (a simulated pause: it takes no turns until it
 * resumes), or `down` (dead, or booting again: its actors are gone and sends to them fail).
 */
export type CpuRunState = 'up' | 'paused' | 'down';

/** The CPUs of a multi-CPU kernel, as CPU 0 holds them. */
export interface CpuHost extends OtherCpus {
  readonly cpus: number;
  /** Parking counters of CPU `cpu`'s doorbell (notifies, parks, lost wakes). */
  doorbellCounters(cpu: number): ParkingCounters;
  /** The state of each CPU now, by CPU number (a snapshot). */
  cpuStates(): readonly CpuRunState[];
  /** Simulated CPUs only: the faults a simulation can inject into them. */
  readonly simulatedFaults?: SimulatedCpuFaults;
}
