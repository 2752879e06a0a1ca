/**
 * The faults of subsystem kinds in force in a run (actors/plugin/fault-kind.ts): each is injected at
 * its time, ends after its `forMs` when it has one, and all end when the workload does. A kind that
 * throws, injecting or ending, is reported as a failure of the run named after it (`fault <name>`),
 * never thrown into the workload.
 *
 * @example
 * ```ts
 * const faults = new SubsystemFaults(kernel, machine, kinds, (fault, error) => failures.push(...));
 * machine.setTimer(fault.atMs, () => faults.inject(fault));
 * await kernel.runUntil(faults.endAll());
 * ```
 */
import type { AnyFaultKind, FaultEnd } from '../actors/plugin/fault-kind.js';
import type { Kernel } from '../boot/index.js';
import type { TimerHandle } from '../drivers/clock/clock.js';
import type { SimulatedClock } from '../drivers/clock/simulated.js';
import type { PlannedSubsystemFault } from './fault-plan.js';

export class SubsystemFaults {
  /** What ends each fault in force, with the timer that would end it after its `forMs`. */
  private readonly inForce = new Map<FaultEnd, TimerHandle | null>();

  constructor(
    private readonly kernel: Kernel,
    private readonly machine: SimulatedClock,
    private readonly kinds: readonly AnyFaultKind[],
    private readonly failed: (fault: PlannedSubsystemFault, error: unknown) => void,
  ) {}

  inject(fault: PlannedSubsystemFault): void {
    const kind = this.kinds.find((candidate) => candidate.name === fault.name);
    let end: FaultEnd | undefined;
    try {
      if (kind === undefined) throw new RangeError(`the plan has a '${fault.name}' fault, and no booted subsystem registers that kind`);
      end = kind.inject(this.kernel, fault.values);
    } catch (error) {
      this.failed(fault, error);
      return;
    }
    if (end === undefined) return;
    const stop: FaultEnd = () => this.end(fault, stop, end);
    const forMs = fault.values.forMs;
    this.inForce.set(stop, forMs === undefined ? null : this.machine.setTimer(forMs, () => void stop()));
  }

  async endAll(): Promise<void> {
    await Promise.all([...this.inForce.keys()].map((stop) => stop()));
  }

  private async end(fault: PlannedSubsystemFault, stop: FaultEnd, end: FaultEnd): Promise<void> {
    if (!this.inForce.has(stop)) return;
    const timer = this.inForce.get(stop);
    if (timer != null) this.machine.cancelTimer(timer);
    this.inForce.delete(stop);
    try {
      await end();
    } catch (error) {
      this.failed(fault, error);
    }
  }
}
