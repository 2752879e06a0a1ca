/**
 * Coverage of the kernel's own machines under faults: the supervisor lifecycle, the VM's memory
 * pressure and the interrupt lines, each from the `transition` events the runtime traces for it,
 * which name the machine (the interrupt lines step theirs from compiled tables, and their states are
 * traced as `irq<n>.<state>`). A transition no run took says the faults never drove the kernel
 * there: a campaign whose kills never exhaust a supervisor's intensity misses `escalating`.
 *
 * @example
 * ```ts
 * const runs = [];
 * for (let seed = 0; seed < 50; seed++) runs.push(await runScenario(bank, { seed, keepEvents: true }));
 * for (const { machine, covered, missed } of await kernelMachineCoverage(runs)) console.log(machine, covered.length, missed);
 * ```
 */
import type { AnyMachineSnapshot } from 'xstate';
import { lineInputEvents } from '../actors/irq/line.js';
import { lineMachine } from '../actors/irq/machine.js';
import { pressureEvents, pressureMachine } from '../actors/vm/pressure-machine.js';
import { supervisorMachine } from '../supervisors/machine.js';
import { type MachineCoverage, machineCoverage } from './coverage.js';
import type { SimulationResult } from './run-scenario.js';

const restartWindowMs = 5_000;

/** Supervisors with and without backoff, and one that may not restart: between them, every state and transition. */
const supervisorInputs = [
  { restartsMax: 1, restartWindowMs, backoff: { minDelayMs: 100, maxDelayMs: 1_000, jitter: 0 } },
  { restartsMax: 2, restartWindowMs, backoff: undefined },
  { restartsMax: 0, restartWindowMs, backoff: { minDelayMs: 100, maxDelayMs: 1_000, jitter: 0 } },
];

/** Failures at times within and past the restart window of the latest (time never goes back), and every other event. */
function supervisorEvents(snapshot: AnyMachineSnapshot) {
  const latest = Math.max(0, ...(snapshot.context as { restartTimesMs: readonly number[] }).restartTimesMs);
  return [
    ...[0, 4_999, 6_000, 12_000].filter((atMs) => atMs >= latest).map((atMs) => ({ type: 'child.restart-needed', atMs, jitter: 0.5 })),
    { type: 'restart.done' },
    { type: 'auto-shutdown' },
    { type: 'children.down' },
    { type: 'shutdown' },
    // xstate's name for the `after: { backoffDelay }` event of `restarting.backingOff`.
    { type: 'xstate.after.backoffDelay.supervisor.restarting.backingOff' },
  ];
}

/** How the runs covered each machine of the kernel; the runs must have kept their events (`keepEvents`). */
export async function kernelMachineCoverage(runs: readonly SimulationResult[]): Promise<MachineCoverage[]> {
  return [
    await machineCoverage(supervisorMachine(), supervisorEvents, runs, { inputs: supervisorInputs }),
    await machineCoverage(pressureMachine(), pressureEvents, runs),
    // A line's states are traced with its vector: `irq3.pending`.
    await machineCoverage(lineMachine(), lineInputEvents, runs, { stateOf: (text) => text.replace(/^irq\d+\./, '') }),
  ];
}
