/**
 * Each CPU's own clock over the machine's (drivers/clock/skewed.ts), for a run's clock faults: a
 * drift runs a CPU's clock at its rate while it lasts (the latest drift in force wins), a jump moves
 * it forward. A CPU that boots again after a crash reads on from where its clock was, at its rate:
 * a clock never runs back.
 *
 * @example
 * ```ts
 * const clocks = new CpuClocks();
 * const kernel = await Kernel.boot({ mode: 'simulated', cpus: 3, clock: machine, ...clocks.bootOption() });
 * machine.setTimer(fault.atMs, () => clocks.drift(fault, machine));
 * ```
 */
import type { TimerHandle } from '../drivers/clock/clock.js';
import type { SimulatedClock } from '../drivers/clock/simulated.js';
import { SkewedClock } from '../drivers/clock/skewed.js';
import type { PlannedClockDrift, PlannedClockJump } from './fault-plan.js';

export class CpuClocks {
  private readonly clocks: SkewedClock[] = [];
  private readonly drifts = new Map<number, PlannedClockDrift[]>();

  /** The boot option that gives each CPU its clock (again, when it boots again). */
  bootOption(): { cpuClock: (cpu: number, clock: SimulatedClock) => SimulatedClock } {
    return {
      cpuClock: (cpu, clock) => {
        const clockNow = new SkewedClock(clock, this.clocks[cpu]?.now());
        const rate = this.drifts.get(cpu)?.at(-1)?.rate;
        if (rate !== undefined) clockNow.setRate(rate);
        this.clocks[cpu] = clockNow;
        return clockNow;
      },
    };
  }

  jump(fault: PlannedClockJump): void {
    this.clocks[fault.cpu]?.jump(fault.byMs);
  }

  /** Starts `fault`'s drift; returns the timer that ends it. */
  drift(fault: PlannedClockDrift, machine: SimulatedClock): TimerHandle {
    this.drifts.set(fault.cpu, [...(this.drifts.get(fault.cpu) ?? []), fault]);
    this.clocks[fault.cpu]?.setRate(fault.rate);
    return machine.setTimer(fault.forMs, () => {
      const left = this.drifts.get(fault.cpu)!.filter((drift) => drift !== fault);
      this.drifts.set(fault.cpu, left);
      this.clocks[fault.cpu]?.setRate(left.at(-1)?.rate ?? 1);
    });
  }

  /** Every clock at true rate again (what a jump moved stays moved: clocks do not run back). */
  steady(): void {
    this.drifts.clear();
    for (const clock of this.clocks) clock?.setRate(1);
  }
}
