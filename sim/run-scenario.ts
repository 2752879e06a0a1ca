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
import { createSeededRandom } from '../drivers/random/seeded.js';
import { recordingRandom, replayingRandom, type Tape } from './tape.js';
import { pidCpu } from '../ground/pid.js';
import type { TimerHandle } from '../drivers/clock/clock.js';
import { createSimulatedClock, type SimulatedClock } from '../drivers/clock/simulated.js';
import { SkewedClock } from '../drivers/clock/skewed.js';
import { type ActorRef, Kernel, type KernelEvent } from '../boot/index.js';
import type { AnyFaultKind, FaultEnd } from '../actors/plugin/fault-kind.js';
import {
  describeFaultPlan,
  drawFaultPlan,
  faultKindsOf,
  faultWindowMsDefault,
  heldMessagesMaxDefault,
  isClockFault,
  partitionableCountMax,
  type PlannedClockDrift,
  type PlannedClockJump,
  type PlannedFault,
  type PlannedMailFaults,
  type PlannedMessageKill,
  type PlannedPartition,
  type PlannedSubsystemFault,
} from './fault-plan.js';
import type { Cell } from '../actors/runtime/cell.js';
import type { MailFate, MailFaults } from '../actors/runtime/mail-faults.js';
import type { Check, FaultOptions, Scenario } from './scenario.js';
import { Sim } from './sim.js';

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
  /** The `sim.maybe` sites that fired. */
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
  try {
    if (planError !== null) throw planError;
    options.onPlan?.(faults, describeFaultPlan(faults, kinds));
    const system = (await kernel.runUntil(Promise.resolve(scenario.setup?.(kernel, sim)))) as S;
    const workloadStartMs = machine.now();
    /** The candidate a fault's `pick` (a fraction) names, asked for when it fires: the live ones then. */
    const picked = (candidates: readonly ActorRef<never>[] | undefined, pick: number) =>
      candidates === undefined || candidates.length === 0 ? undefined : candidates[Math.floor(pick * candidates.length)];
    for (const fault of faults) {
      if (fault.kind === 'mail' || fault.kind === 'partition' || fault.kind === 'kill-at-message') continue;
      timers.push(
        machine.setTimer(fault.atMs, () => {
          if (fault.kind === 'subsystem') return subsystemFaults.inject(fault);
          if (fault.kind === 'clock-jump') return cpuClocks?.jump(fault);
          if (fault.kind === 'clock-drift') return timers.push(cpuClocks!.drift(fault, machine));
          if (fault.kind === 'cpu-pause') return kernel.simulatedCpus.pause(fault.cpu, fault.forMs);
          if (fault.kind === 'cpu-crash') {
            const restart = fault.restartAfterMs !== undefined ? { restartAfterMs: fault.restartAfterMs } : {};
            return kernel.simulatedCpus.crash(fault.cpu, { ...restart, why: `a crash the plan has at ${fault.atMs} ms` });
          }
          const target = picked((fault.kind === 'kill' ? scenario.faults?.killable : scenario.faults?.pausable)?.(kernel, system), fault.pick);
          if (target === undefined) return;
          if (fault.kind === 'kill') kernel.exit(target, 'kill');
          else pauseActor(kernel, target.pid, fault.forMs);
        }),
      );
    }
    const mail = mailFaultsOf(faults, scenario.faults, kernel, machine, system, workloadStartMs);
    if (mail !== null) for (const cpu of kernel.threadKernels()) cpu.core.mailFaults = mail;
    // The fault points in actors' and the runtime's code (ctx.maybe, KernelCore.maybe) ask the run's Sim.
    if (scenario.faults?.faultPoints !== false) for (const cpu of kernel.threadKernels()) cpu.core.faultPoints = sim;
    try {
      await kernel.runUntil(scenario.workload(kernel, sim, system), { timeMsMax: scenario.timeMsMax ?? 3_600_000 });
    } catch (error) {
      failures.push({ kind: 'error', name: 'workload', detail: describeError(error) });
    }
    // The faults stop with the workload: what liveness asks for must come without them.
    for (const timer of timers) machine.cancelTimer(timer);
    for (const cpu of kernel.threadKernels()) cpu.core.mailFaults = cpu.core.faultPoints = null;
    cpuClocks?.steady();
    await kernel.runUntil(subsystemFaults.endAll());
    for (const [name, check] of Object.entries(scenario.invariants ?? {})) {
      const failure = await checkOnce(kernel, sim, system, name, check);
      if (failure !== undefined) failures.push(failure);
    }
    const { withinMs = livenessWithinMsDefault, ...checks } = scenario.liveness ?? {};
    for (const [name, check] of Object.entries(checks)) {
      const failure = await checkWithin(kernel, machine, sim, system, name, check as Check<S>, withinMs);
      if (failure !== undefined) failures.push(failure);
    }
  } catch (error) {
    failures.push({ kind: 'error', name: 'setup', detail: describeError(error) });
  } finally {
    for (const timer of timers) machine.cancelTimer(timer);
    for (const cpu of kernel.threadKernels()) cpu.core.mailFaults = cpu.core.faultPoints = null;
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

/**
 * The faults of subsystem kinds in force (actors/plugin/fault-kind.ts): each is injected at its time,
 * ends after its `forMs` when it has one, and all end when the workload does.
 */
class SubsystemFaults {
  private readonly inForce = new Set<FaultEnd>();

  constructor(
    private readonly kernel: Kernel,
    private readonly machine: SimulatedClock,
    private readonly kinds: readonly AnyFaultKind[],
    private readonly failed: (fault: PlannedSubsystemFault, error: unknown) => void,
  ) {}

  inject(fault: PlannedSubsystemFault): void {
    const kind = this.kinds.find((candidate) => candidate.name === fault.name);
    if (kind === undefined) throw new RangeError(`the plan has a '${fault.name}' fault, and no booted subsystem registers that kind`);
    const end = kind.inject(this.kernel, fault.values);
    if (end === undefined) return;
    const ending = { end: () => this.end(fault, ending.end, end) };
    this.inForce.add(ending.end);
    const forMs = fault.values.forMs;
    if (forMs !== undefined) this.machine.setTimer(forMs, () => void ending.end());
  }

  async endAll(): Promise<void> {
    await Promise.all([...this.inForce].map((end) => end()));
  }

  private async end(fault: PlannedSubsystemFault, key: FaultEnd, end: FaultEnd): Promise<void> {
    if (!this.inForce.delete(key)) return;
    try {
      await end();
    } catch (error) {
      this.failed(fault, error);
    }
  }
}

/**
 * Each CPU's own clock over the machine's (drivers/clock/skewed.ts), for clock faults: a drift runs
 * a CPU's clock at its rate while it lasts (the latest drift in force wins), a jump moves it forward.
 */
class CpuClocks {
  private readonly clocks: SkewedClock[] = [];
  private readonly drifts = new Map<number, PlannedClockDrift[]>();

  /** The boot option that gives each CPU its clock. */
  bootOption(): { cpuClock: (cpu: number, clock: SimulatedClock) => SimulatedClock } {
    return { cpuClock: (cpu, clock) => (this.clocks[cpu] = new SkewedClock(clock)) };
  }

  jump(fault: PlannedClockJump): void {
    this.clocks[fault.cpu]?.jump(fault.byMs);
  }

  /** Starts `fault`'s drift; returns the timer that ends it. */
  drift(fault: PlannedClockDrift, machine: SimulatedClock): TimerHandle {
    const inForce = this.drifts.get(fault.cpu) ?? [];
    this.drifts.set(fault.cpu, [...inForce, fault]);
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

/** Pauses actor `pid` on the CPU it lives on (a simulated machine's CPUs share this thread). */
function pauseActor(kernel: Kernel, pid: number, forMs: number): void {
  const home = kernel.threadKernels().find((cpu) => cpu.core.cpu === pidCpu(pid));
  const cell = home?.core.refOf(pid)?.cell;
  if (cell !== undefined && !cell.isRemote()) home!.core.pause(cell, forMs);
}

/**
 * The fate of each message while the fault window lasts: dropped across a partition in force, else,
 * to the scenario's `messagesTo` actors, dropped, duplicated or delayed at the plan's shares. Null
 * when the plan has no such fault.
 */
function mailFaultsOf<S>(
  plan: readonly PlannedFault[],
  options: FaultOptions<S> | undefined,
  kernel: Kernel,
  machine: SimulatedClock,
  system: S,
  startMs: number,
): MailFaults | null {
  const mail = plan.find((fault): fault is PlannedMailFaults => fault.kind === 'mail');
  const partitions = plan.filter((fault): fault is PlannedPartition => fault.kind === 'partition');
  const messageKills = plan.filter((fault): fault is PlannedMessageKill => fault.kind === 'kill-at-message');
  if (mail === undefined && partitions.length === 0 && messageKills.length === 0) return null;
  // The killable actors now, at the workload's start: each message kill's target, and the messages it has been sent.
  const killable = options?.killable?.(kernel, system) ?? [];
  const killsAt = new Map<number, { readonly ref: ActorRef<never>; readonly atMessages: Set<number>; sent: number }>();
  for (const kill of messageKills) {
    const [index] = pickedRange(kill.pick, killable.length);
    const ref = killable[index];
    if (ref === undefined) continue;
    const entry = killsAt.get(ref.pid) ?? { ref, atMessages: new Set<number>(), sent: 0 };
    entry.atMessages.add(kill.atMessage);
    killsAt.set(ref.pid, entry);
  }
  const candidates = (options?.messagesTo?.(kernel, system) ?? []).map((ref) => ref.pid);
  // Scoped to one mailbox, the faults hit only the candidate its fraction picks.
  const targets = new Set(mail?.mailbox === undefined ? candidates : candidates.slice(...pickedRange(mail.mailbox, candidates.length)));
  const sides = (options?.partitionable?.(kernel, system) ?? []).map((ref) => ref.pid);
  if (sides.length > partitionableCountMax) throw new RangeError(`a scenario names at most ${partitionableCountMax} partitionable actors, got ${sides.length}`);
  const windowMs = options?.windowMs ?? faultWindowMsDefault;
  const random = kernel.random.stream('sim.mail');
  const sideOf = (partition: PlannedPartition, pid: number): number => {
    const index = sides.indexOf(pid);
    return index < 0 ? -1 : partition.sides[index]! < 0.5 ? 0 : 1;
  };
  // The machine times at which the messages held back (delayed, clogged) are let go: at most heldMessagesMax at once.
  const heldMax = options?.heldMessagesMax ?? heldMessagesMaxDefault;
  let held: number[] = [];
  const holdFor = (ms: number): MailFate => {
    const nowMs = machine.now();
    if (held.length >= heldMax) held = held.filter((dueMs) => dueMs > nowMs);
    if (held.length >= heldMax) return 'drop';
    held.push(nowMs + ms);
    return ms;
  };
  return {
    fateOf(target: Cell, _message: unknown, from: number): MailFate {
      const atMs = machine.now() - startMs;
      if (atMs >= windowMs) return 'deliver';
      const kill = killsAt.get(target.pid);
      if (kill !== undefined) {
        kill.sent++;
        if (kill.atMessages.has(kill.sent)) kernel.exit(kill.ref, 'kill');
      }
      for (const partition of partitions) {
        if (atMs < partition.atMs || atMs >= partition.atMs + partition.forMs) continue;
        const fromSide = sideOf(partition, from);
        const toSide = sideOf(partition, target.pid);
        if (fromSide < 0 || toSide < 0 || fromSide === toSide || (partition.asymmetric && fromSide !== 0)) continue;
        // A clog lets its mail go when it heals, all due at once, so in the order it was sent.
        return partition.clog ? holdFor(partition.atMs + partition.forMs - atMs) : 'drop';
      }
      if (mail === undefined || !targets.has(target.pid)) return 'deliver';
      const draw = random.next();
      if (draw < mail.drop) return 'drop';
      if (draw < mail.drop + mail.duplicate) return 'duplicate';
      if (draw < mail.drop + mail.duplicate + mail.delay) return holdFor(1 + random.int(mail.delayMsMax));
      return 'deliver';
    },
  };
}

/** The index range [from, to) of the one candidate of `count` that fraction `pick` names (empty when there are none). */
function pickedRange(pick: number, count: number): [number, number] {
  const index = Math.min(count - 1, Math.floor(pick * count));
  return [index, index + 1];
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
