/**
 * One run of a scenario from one seed, on a simulated kernel: boot, setup, the workload with the
 * seed's faults, the invariants, then liveness with the faults stopped. Whatever fails is reported,
 * not thrown: a campaign runs on, and the report says which seed reproduces it. The run's events are
 * folded into a hash, so two runs of one seed can be shown to be the same run.
 *
 * @example
 * ```ts
 * const result = await runScenario(bank, { seed: 8812 });
 * if (!result.ok) console.log(describeResult(result));
 * ```
 */
import { describeError } from '../ground/errors.js';
import { pidCpu } from '../ground/pid.js';
import { createSeededRandom } from '../drivers/random/seeded.js';
import type { TimerHandle } from '../drivers/clock/clock.js';
import { createSimulatedClock, type SimulatedClock } from '../drivers/clock/simulated.js';
import { Kernel, type KernelEvent } from '../boot/index.js';
import { CpuClocks } from './cpu-clocks.js';
import {
  describeFaultPlan,
  drawFaultPlan,
  faultKindsOf,
  isClockFault,
  pickIndex,
  type PlannedFault,
  type PlannedMailFaults,
  type PlannedMessageKill,
  type PlannedPartition,
} from './fault-plan.js';
import { mailFatesOf } from './mail-fates.js';
import type { Check, FaultOptions, Scenario } from './scenario.js';
import { Sim } from './sim.js';
import { SubsystemFaults } from './subsystem-faults.js';
import { recordingRandom, replayingRandom, type Tape } from './tape.js';

/** What went wrong in a run. */
export interface SimulationFailure {
  /** An invariant false after the workload; an `always` or `unreachable` assertion; liveness not reached; the workload or a check threw. */
  readonly kind: 'invariant' | 'assertion' | 'liveness' | 'error';
  readonly name: string;
  readonly detail: string;
}

export interface SimulationResult {
  readonly scenario: string;
  readonly seed: number;
  readonly ok: boolean;
  readonly failures: readonly SimulationFailure[];
  /** `sometimes` assertions that held at least once, and those that never did (the run missed that space). */
  readonly sometimesHeld: readonly string[];
  readonly sometimesMissed: readonly string[];
  readonly faults: readonly PlannedFault[];
  /** The faults as one line, as their kinds tell them. */
  readonly faultsText: string;
  /** The fault points that fired: the workload's (`sim.maybe`), actors' (`ctx.maybe`) and the runtime's. */
  readonly firedSites: readonly string[];
  /** FNV-1a of the run's events, in order: equal for two runs of one seed. */
  readonly eventHash: string;
  readonly events: number;
  /** Every random draw of the run, when it was asked to record them (see tape.ts). */
  readonly tape?: Tape;
  /** Each event as the hash saw it, when the run was asked to keep them (see checkDeterminism). */
  readonly eventLog?: readonly string[];
  readonly simulatedMs: number;
}

export interface RunOptions {
  readonly seed: number;
  /** Keep every event's text in the result (for naming the first difference between two runs). */
  readonly keepEvents?: boolean;
  /** Called with the seed's fault plan, and the plan as one line, before the run starts (to print it first). */
  readonly onPlan?: (plan: readonly PlannedFault[], text: string) => void;
  /** Record every random draw of the run in `result.tape`. */
  readonly recordTape?: boolean;
  /** Replay this tape's draws instead of drawing from the seed, and its plan when it has one (see tape.ts). */
  readonly tape?: Tape;
  /** Inject these faults instead of the seed's plan (shrink.ts tries smaller ones); the rest is the seed's. */
  readonly plan?: readonly PlannedFault[];
  /** Called with each event of the run as it happens (to record a trace of it, see osprey/inspector). */
  readonly onEvent?: (event: KernelEvent) => void;
}

/** How often liveness checks are tried while waiting for them to come true, in ms of virtual time. */
export const livenessPollMs = 10;
export const livenessWithinMsDefault = 10_000;

export async function runScenario<S>(scenario: Scenario<S>, options: RunOptions): Promise<SimulationResult> {
  const { seed } = options;
  const streams: Record<string, number[]> = {};
  const random =
    options.tape !== undefined
      ? replayingRandom(options.tape)
      : options.recordTape === true
        ? recordingRandom(createSeededRandom(seed), streams)
        : createSeededRandom(seed);
  const kinds = faultKindsOf(scenario);
  let faults: readonly PlannedFault[] = [];
  let planError: unknown = null;
  try {
    faults =
      options.plan ??
      options.tape?.plan ??
      drawFaultPlan(random.stream('sim.faults'), scenario.faults as FaultOptions<unknown> | undefined, { kinds, cpus: scenario.boot?.cpus ?? 1 });
  } catch (error) {
    planError = error;
  }
  // The machine's clock is true time: the faults, the workload's sleeps and the bounds run on it.
  // With clock faults planned, each CPU reads a clock of its own over it, which the faults skew.
  const machine = createSimulatedClock();
  const cpuClocks = faults.some(isClockFault) ? new CpuClocks() : null;
  const kernel = await Kernel.boot({ ...scenario.boot, mode: 'simulated', seed, random, clock: machine, ...(cpuClocks?.bootOption() ?? {}) });
  const events = { count: 0, hash: fnvOffset, log: options.keepEvents === true ? ([] as string[]) : undefined };
  const subscription = kernel.events.subscribe((event) => {
    options.onEvent?.(event);
    const text = JSON.stringify(event);
    events.count++;
    events.hash = fnv1a(events.hash, text);
    events.log?.push(text);
  });
  const sim = new Sim(kernel, seed, machine);
  const failures: SimulationFailure[] = [];
  const startMs = machine.now();
  const timers: TimerHandle[] = [];
  const subsystemFaults = new SubsystemFaults(kernel, machine, kinds, (fault, error) =>
    failures.push({ kind: 'error', name: `fault ${fault.name}`, detail: describeError(error) }),
  );
  /** The faults stop with the workload: what liveness asks for must come without them. */
  const stopFaults = () => {
    for (const timer of timers) machine.cancelTimer(timer);
    for (const cpu of kernel.threadKernels()) cpu.core.mailFaults = cpu.core.faultPoints = null;
    cpuClocks?.steady();
  };
  try {
    if (planError !== null) {
      failures.push({ kind: 'error', name: 'plan', detail: describeError(planError) });
    } else {
      options.onPlan?.(faults, describeFaultPlan(faults, kinds));
      const system = (await kernel.runUntil(Promise.resolve(scenario.setup?.(kernel, sim)))) as S;
      const workloadStartMs = machine.now();
      /** Fires a fault planned at a time; the candidates a `pick` chooses from are the live ones then. */
      const fire = (fault: Exclude<PlannedFault, PlannedMailFaults | PlannedPartition | PlannedMessageKill>): void => {
        switch (fault.kind) {
          case 'subsystem':
            subsystemFaults.inject(fault);
            break;
          case 'clock-jump':
            cpuClocks!.jump(fault);
            break;
          case 'clock-drift':
            timers.push(cpuClocks!.drift(fault, machine));
            break;
          case 'cpu-pause':
            kernel.simulatedCpus.pause(fault.cpu, fault.forMs);
            break;
          case 'cpu-crash': {
            const restart = fault.restartAfterMs !== undefined ? { restartAfterMs: fault.restartAfterMs } : {};
            kernel.simulatedCpus.crash(fault.cpu, { ...restart, why: `a crash the plan has at ${fault.atMs} ms` });
            break;
          }
          case 'kill':
          case 'pause': {
            const candidates = (fault.kind === 'kill' ? scenario.faults?.killable : scenario.faults?.pausable)?.(kernel, system) ?? [];
            const index = pickIndex(fault.pick, candidates.length);
            if (index === undefined) break;
            if (fault.kind === 'kill') kernel.exit(candidates[index]!, 'kill');
            else pauseActor(kernel, candidates[index]!.pid, fault.forMs);
          }
        }
      };
      for (const fault of faults) {
        if (fault.kind !== 'mail' && fault.kind !== 'partition' && fault.kind !== 'kill-at-message')
          timers.push(machine.setTimer(fault.atMs, () => fire(fault)));
      }
      const mail = mailFatesOf(faults, scenario.faults, kernel, machine, system, workloadStartMs);
      if (mail !== null) for (const cpu of kernel.threadKernels()) cpu.core.mailFaults = mail;
      // The fault points in actors' and the runtime's code (ctx.maybe, KernelCore.maybe) ask the run's Sim.
      if (scenario.faults?.faultPoints !== false) for (const cpu of kernel.threadKernels()) cpu.core.faultPoints = sim;
      try {
        await kernel.runUntil(scenario.workload(kernel, sim, system), { timeMsMax: scenario.timeMsMax ?? 3_600_000 });
      } catch (error) {
        failures.push({ kind: 'error', name: 'workload', detail: describeError(error) });
      }
      stopFaults();
      await kernel.runUntil(subsystemFaults.endAll());
      // Paused CPUs go on, and crashed ones waiting to boot again do it now.
      if (faults.some((fault) => fault.kind === 'cpu-pause' || fault.kind === 'cpu-crash')) await kernel.runUntil(kernel.simulatedCpus.recover());
      for (const [name, check] of Object.entries(scenario.invariants ?? {})) {
        const failure = await checkOnce(kernel, sim, system, name, check);
        if (failure !== undefined) failures.push(failure);
      }
      const { withinMs = livenessWithinMsDefault, ...checks } = scenario.liveness ?? {};
      for (const [name, check] of Object.entries(checks)) {
        const failure = await checkWithin(kernel, machine, sim, system, name, check as Check<S>, withinMs);
        if (failure !== undefined) failures.push(failure);
      }
    }
  } catch (error) {
    failures.push({ kind: 'error', name: 'setup', detail: describeError(error) });
  } finally {
    stopFaults();
    subscription.unsubscribe();
    // Until the kernel has stopped, not until nothing is left: a workload that never ends (a client
    // that retries for ever) would keep the clock busy for ever.
    await kernel.runUntil(kernel.shutdown());
  }
  for (const violation of sim.violations) failures.push({ kind: 'assertion', name: violation.name, detail: `at ${violation.atMs} ms` });
  return {
    scenario: scenario.name,
    seed,
    ok: failures.length === 0,
    failures,
    sometimesHeld: [...sim.sometimesHeld].filter(([, held]) => held).map(([name]) => name),
    sometimesMissed: [...sim.sometimesHeld].filter(([, held]) => !held).map(([name]) => name),
    faults,
    faultsText: describeFaultPlan(faults, kinds),
    firedSites: sim.fired,
    eventHash: events.hash.toString(16).padStart(8, '0'),
    events: events.count,
    ...(events.log !== undefined ? { eventLog: events.log } : {}),
    ...(options.recordTape === true && options.tape === undefined
      ? { tape: { seed, streams, ...(options.plan !== undefined ? { plan: options.plan } : {}) } }
      : {}),
    simulatedMs: machine.now() - startMs,
  };
}

/** What a run broke (kinds and names of its failures), for telling whether another run broke the same. */
export function failureKey(result: SimulationResult): string {
  return result.failures.map((failure) => `${failure.kind}:${failure.name}`).join('|');
}

/** A result as a few lines: the seed, its faults, what failed. */
export function describeResult(result: SimulationResult): string {
  const lines = [
    `${result.scenario}, seed ${result.seed}: ${result.ok ? 'ok' : 'FAILED'} (${result.events} events, ${result.simulatedMs} ms simulated, hash ${result.eventHash}; ${result.faultsText}${result.firedSites.length > 0 ? `; fired: ${result.firedSites.join(', ')}` : ''})`,
  ];
  for (const failure of result.failures) lines.push(`  ${failure.kind} '${failure.name}': ${failure.detail}`);
  for (const name of result.sometimesMissed) lines.push(`  sometimes '${name}' never held`);
  return lines.join('\n');
}

/** Pauses actor `pid` on the CPU it lives on (a simulated machine's CPUs share this thread). */
function pauseActor(kernel: Kernel, pid: number, forMs: number): void {
  const home = kernel.threadKernels().find((cpu) => cpu.core.cpu === pidCpu(pid));
  const cell = home?.core.refOf(pid)?.cell;
  if (cell !== undefined && !cell.isRemote()) home!.core.pause(cell, forMs);
}

async function checkOnce<S>(kernel: Kernel, sim: Sim, system: S, name: string, check: Check<S>): Promise<SimulationFailure | undefined> {
  try {
    if (await kernel.runUntil(Promise.resolve(check(kernel, sim, system)))) return undefined;
    return { kind: 'invariant', name, detail: 'false after the workload' };
  } catch (error) {
    return { kind: 'error', name, detail: describeError(error) };
  }
}

async function checkWithin<S>(
  kernel: Kernel,
  machine: SimulatedClock,
  sim: Sim,
  system: S,
  name: string,
  check: Check<S>,
  withinMs: number,
): Promise<SimulationFailure | undefined> {
  const deadlineMs = machine.now() + withinMs;
  try {
    for (;;) {
      if (await kernel.runUntil(Promise.resolve(check(kernel, sim, system)))) return undefined;
      if (machine.now() >= deadlineMs) return { kind: 'liveness', name, detail: `did not come true within ${withinMs} ms after the faults stopped` };
      await kernel.runUntil(sim.sleep(livenessPollMs));
    }
  } catch (error) {
    return { kind: 'error', name, detail: describeError(error) };
  }
}

const fnvOffset = 0x811c9dc5;

/** FNV-1a, 32 bits, of `text`'s UTF-16 code units, continuing from `hash`. */
function fnv1a(hash: number, text: string): number {
  let h = hash;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
