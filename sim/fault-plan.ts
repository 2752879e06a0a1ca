/**
 * A run's faults, drawn from the seed before the run starts and printed with its result (swarm
 * testing: each seed gets its own mix, some none): kills, pauses and partitions of the actors a
 * scenario names, at drawn times within the fault window; shares of the mail to the actors it names
 * that are dropped, duplicated or delayed; and the faults of the kinds its subsystems register
 * (actors/plugin/fault-kind.ts). Drawn from their own random streams, so a scenario's own draws never
 * change the plan.
 *
 * @example
 * ```ts
 * const plan = drawFaultPlan(random.stream('sim.faults'), { killable: () => [worker], killsMax: 2, messageKillsMax: 0, windowMs: 500 });
 * // [{ kind: 'kill', atMs: 131, pick: 0.42 }], or two kills, or none: the seed decides
 * ```
 */
import type { AnyFaultKind, FaultField, FaultValues } from '../actors/plugin/fault-kind.js';
import { checkFaultLimits } from '../actors/plugin/fault-kind.js';
import type { AnySubsystem } from '../actors/plugin/subsystem.js';
import type { Random } from '../drivers/index.js';
import { defaultSubsystems } from '../boot/subsystems.js';
import type { FaultOptions, Scenario } from './scenario.js';

/** A kill: when (ms of virtual time after the workload began), and which target (a fraction of the candidates). */
export interface PlannedKill {
  readonly kind: 'kill';
  readonly atMs: number;
  readonly pick: number;
}

/**
 * A kill as the `atMessage`-th message (counted from the workload's start, within the fault window)
 * is sent to the killable actor `pick` names (a fraction of the candidates when the workload starts):
 * the kill goes first, so that message finds it dead, in the middle of a conversation rather than at
 * a time.
 */
export interface PlannedMessageKill {
  readonly kind: 'kill-at-message';
  readonly atMessage: number;
  readonly pick: number;
}

/** Faults on the mail to the scenario's `messagesTo` actors, for the whole fault window: the share of it dropped, duplicated and delayed. */
export interface PlannedMailFaults {
  readonly kind: 'mail';
  readonly drop: number;
  readonly duplicate: number;
  readonly delay: number;
  readonly delayMsMax: number;
  /** Scoped to one mailbox: the one of the `messagesTo` actors this fraction picks; absent, all of them. */
  readonly mailbox?: number;
}

/**
 * A partition from `atMs` for `forMs`: the partitionable actors whose draw in `sides` is below one
 * half are on the first side, the rest on the second; mail from the first side to the second is
 * dropped, and back too unless it is `asymmetric`. A `clog` holds that mail instead, and delivers it
 * in order when the partition heals (FoundationDB's clogged connections).
 */
export interface PlannedPartition {
  readonly kind: 'partition';
  readonly atMs: number;
  readonly forMs: number;
  readonly sides: readonly number[];
  readonly asymmetric: boolean;
  readonly clog: boolean;
}

/** A pause of one of the pausable actors (a fraction of the candidates) at `atMs`, for `forMs`. */
export interface PlannedPause {
  readonly kind: 'pause';
  readonly atMs: number;
  readonly forMs: number;
  readonly pick: number;
}

/**
 * A fault of a kind a booted subsystem registers (actors/plugin/fault-kind.ts), named `name`, fired at
 * `atMs` with its own numbers; it lasts `values.forMs` when it has one, else until the workload ends.
 */
export interface PlannedSubsystemFault {
  readonly kind: 'subsystem';
  readonly name: string;
  readonly atMs: number;
  readonly values: FaultValues;
}

/** CPU `cpu`'s clock runs at `rate` of true time (drift: below 1 slow, above 1 fast) from `atMs` for `forMs`. */
export interface PlannedClockDrift {
  readonly kind: 'clock-drift';
  readonly cpu: number;
  readonly atMs: number;
  readonly forMs: number;
  readonly rate: number;
}

/** CPU `cpu`'s clock jumps forward by `byMs` at `atMs` (a stalled virtual machine, a suspend); it never goes back. */
export interface PlannedClockJump {
  readonly kind: 'clock-jump';
  readonly cpu: number;
  readonly atMs: number;
  readonly byMs: number;
}

/** Simulated CPU `cpu` (never 0) stops from `atMs` for `forMs`: its actors take no turns, and nothing is lost. */
export interface PlannedCpuPause {
  readonly kind: 'cpu-pause';
  readonly cpu: number;
  readonly atMs: number;
  readonly forMs: number;
}

/**
 * Simulated CPU `cpu` (never 0) crashes at `atMs`, its actors with it, and boots again
 * `restartAfterMs` later, or stays down when that is absent.
 */
export interface PlannedCpuCrash {
  readonly kind: 'cpu-crash';
  readonly cpu: number;
  readonly atMs: number;
  readonly restartAfterMs?: number;
}

export type PlannedFault =
  | PlannedKill
  | PlannedMessageKill
  | PlannedCpuPause
  | PlannedCpuCrash
  | PlannedMailFaults
  | PlannedPartition
  | PlannedPause
  | PlannedClockDrift
  | PlannedClockJump
  | PlannedSubsystemFault;

/** Whether `fault` skews a CPU's clock (the run then gives each CPU a clock of its own, drivers/clock/skewed.ts). */
export function isClockFault(fault: PlannedFault): fault is PlannedClockDrift | PlannedClockJump {
  return fault.kind === 'clock-drift' || fault.kind === 'clock-jump';
}

export const cpuPausesMaxDefault = 2;
export const cpuPauseMsMaxDefault = 100;
export const cpuCrashesMaxDefault = 1;
export const cpuRestartAfterMsMaxDefault = 100;

export const clockDriftsMaxDefault = 2;
/** The most a drifting clock's rate differs from true time: 0.2 is from 0.8 to 1.2 (real clocks drift far less; a simulation exaggerates to find what depends on it). */
export const clockDriftMaxDefault = 0.2;
export const clockJumpsMaxDefault = 2;
export const clockJumpMsMaxDefault = 100;

export const pausesMaxDefault = 3;
export const pauseMsMaxDefault = 100;

export const partitionsMaxDefault = 2;
/** The most sides a plan draws: a scenario names at most this many partitionable actors. */
export const partitionableCountMax = 64;

export const killsMaxDefault = 3;
export const messageKillsMaxDefault = 1;
/** A kill at a message comes at one of the first this many messages to its target. */
export const killMessageMaxDefault = 50;
export const faultWindowMsDefault = 1_000;

export const dropShareMaxDefault = 0.2;
export const duplicateShareMaxDefault = 0.1;
export const delayShareMaxDefault = 0.2;
export const delayMsMaxDefault = 50;
/** The most messages the faults hold back at once (delayed, clogged); past it they are dropped, as a network whose buffers are full drops them. */
export const heldMessagesMaxDefault = 1_024;

/**
 * Draws a run's plan from `random`: the runtime's faults from it, in order, and each subsystem fault
 * kind's from its own sub-stream (`kind/<name>`), so turning one kind on moves no other draw.
 */
export function drawFaultPlan(
  random: Random,
  options: FaultOptions<unknown> | undefined,
  runsOn: { readonly kinds?: readonly AnyFaultKind[]; readonly cpus?: number } = {},
): PlannedFault[] {
  const { kinds = [], cpus = 1 } = runsOn;
  checkFaultOptions(options, cpus);
  const plan: PlannedFault[] = [];
  const windowMs = options?.windowMs ?? faultWindowMsDefault;
  if (options?.killable !== undefined) {
    const kills = random.int((options.killsMax ?? killsMaxDefault) + 1);
    const times = Array.from({ length: kills }, () => ({ kind: 'kill' as const, atMs: random.int(windowMs), pick: random.next() }));
    plan.push(...times.sort((a, b) => a.atMs - b.atMs));
    // Kills at a message rather than a time, from their own stream, so the rest of the plan stays the seed's.
    const messageKillDraws = random.stream('kills-at-message');
    const messageKills = messageKillDraws.int((options.messageKillsMax ?? messageKillsMaxDefault) + 1);
    for (let i = 0; i < messageKills; i++) {
      const atMessage = 1 + messageKillDraws.int(options.killMessageMax ?? killMessageMaxDefault);
      plan.push({ kind: 'kill-at-message', atMessage, pick: messageKillDraws.next() });
    }
  }
  if (options?.messagesTo !== undefined) {
    // Swarm style: each kind is on in about half the seeds, at a share drawn up to its bound.
    const share = (max: number) => (random.next() < 0.5 ? random.next() * max : 0);
    const mail: PlannedMailFaults = {
      kind: 'mail',
      drop: share(options.dropShareMax ?? dropShareMaxDefault),
      duplicate: share(options.duplicateShareMax ?? duplicateShareMaxDefault),
      delay: share(options.delayShareMax ?? delayShareMaxDefault),
      delayMsMax: options.delayMsMax ?? delayMsMaxDefault,
    };
    // In half the seeds with mail faults, they hit one mailbox only (its own stream: the rest of the plan stays the seed's).
    const scope = random.stream('mail-scope');
    if (mail.drop + mail.duplicate + mail.delay > 0) plan.push(scope.next() < 0.5 ? { ...mail, mailbox: scope.next() } : mail);
  }
  if (options?.partitionable !== undefined) {
    const clogs = random.stream('clogs');
    const partitions = random.int((options.partitionsMax ?? partitionsMaxDefault) + 1);
    for (let i = 0; i < partitions; i++) {
      const atMs = random.int(windowMs);
      plan.push({
        kind: 'partition',
        atMs,
        forMs: 1 + random.int(Math.max(1, windowMs - atMs)),
        sides: Array.from({ length: partitionableCountMax }, () => random.next()),
        asymmetric: random.next() < 0.5,
        clog: clogs.next() < 0.5,
      });
    }
  }
  if (options?.pausable !== undefined) {
    const pauses = random.int((options.pausesMax ?? pausesMaxDefault) + 1);
    for (let i = 0; i < pauses; i++) {
      plan.push({ kind: 'pause', atMs: random.int(windowMs), forMs: 1 + random.int(options.pauseMsMax ?? pauseMsMaxDefault), pick: random.next() });
    }
  }
  if (options?.cpus !== undefined && cpus > 1) plan.push(...drawCpuFaults(random.stream('cpus'), options.cpus, windowMs, cpus));
  if (options?.clocks !== undefined) plan.push(...drawClockFaults(random.stream('clocks'), options.clocks, windowMs, cpus));
  for (const { kind, limits } of enabledFaultKinds(options, kinds)) {
    const stream = random.stream(`kind/${kind.name}`);
    const fields = Object.entries(kind.fields(limits));
    const count = stream.int(limits.countMax + 1);
    const faults = Array.from(
      { length: count },
      (): PlannedSubsystemFault => ({
        kind: 'subsystem',
        name: kind.name,
        atMs: stream.int(windowMs),
        values: Object.fromEntries(fields.map(([name, field]) => [name, drawField(stream, field)])),
      }),
    );
    plan.push(...faults.sort((a, b) => a.atMs - b.atMs));
  }
  return plan;
}

function drawCpuFaults(random: Random, limits: NonNullable<FaultOptions<unknown>['cpus']>, windowMs: number, cpus: number): PlannedFault[] {
  const faults: (PlannedCpuPause | PlannedCpuCrash)[] = [];
  // CPU 0 embeds the kernel: the faults fall on CPUs 1 and up.
  const cpu = () => 1 + random.int(cpus - 1);
  const pauses = random.int((limits.pausesMax ?? cpuPausesMaxDefault) + 1);
  for (let i = 0; i < pauses; i++)
    faults.push({ kind: 'cpu-pause', cpu: cpu(), atMs: random.int(windowMs), forMs: 1 + random.int(limits.pauseMsMax ?? cpuPauseMsMaxDefault) });
  const crashes = random.int((limits.crashesMax ?? cpuCrashesMaxDefault) + 1);
  for (let i = 0; i < crashes; i++) {
    const crash = { kind: 'cpu-crash' as const, cpu: cpu(), atMs: random.int(windowMs) };
    const restartAfterMs = 1 + random.int(limits.restartAfterMsMax ?? cpuRestartAfterMsMaxDefault);
    faults.push(limits.restarts === false ? crash : { ...crash, restartAfterMs });
  }
  return faults.sort((a, b) => a.atMs - b.atMs);
}

function drawClockFaults(random: Random, clocks: NonNullable<FaultOptions<unknown>['clocks']>, windowMs: number, cpus: number): PlannedFault[] {
  const faults: (PlannedClockDrift | PlannedClockJump)[] = [];
  const driftMax = clocks.driftMax ?? clockDriftMaxDefault;
  const drifts = random.int((clocks.driftsMax ?? clockDriftsMaxDefault) + 1);
  for (let i = 0; i < drifts; i++) {
    const atMs = random.int(windowMs);
    faults.push({
      kind: 'clock-drift',
      cpu: random.int(cpus),
      atMs,
      forMs: 1 + random.int(Math.max(1, windowMs - atMs)),
      rate: 1 + (2 * random.next() - 1) * driftMax,
    });
  }
  const jumps = random.int((clocks.jumpsMax ?? clockJumpsMaxDefault) + 1);
  for (let i = 0; i < jumps; i++) {
    faults.push({ kind: 'clock-jump', cpu: random.int(cpus), atMs: random.int(windowMs), byMs: 1 + random.int(clocks.jumpMsMax ?? clockJumpMsMaxDefault) });
  }
  return faults.sort((a, b) => a.atMs - b.atMs);
}

/** Whole numbers at least 0, at least 1, and shares in [0, 1], of a scenario's fault options (the nested ones by path). */
const wholeLimits = [
  'killsMax',
  'messageKillsMax',
  'partitionsMax',
  'pausesMax',
  'heldMessagesMax',
  'clocks.driftsMax',
  'clocks.jumpsMax',
  'cpus.pausesMax',
  'cpus.crashesMax',
];
const positiveLimits = ['killMessageMax', 'delayMsMax', 'pauseMsMax', 'windowMs', 'clocks.jumpMsMax', 'cpus.pauseMsMax', 'cpus.restartAfterMsMax'];
const shareLimits = ['dropShareMax', 'duplicateShareMax', 'delayShareMax'];
/** The most a clock drifts: a rate nearer 0 than 0.1 would stop its time (drivers/clock/skewed.ts). */
export const clockDriftMaxMax = 0.9;

/**
 * Checks a scenario's fault options against what can be drawn from them, on a kernel of `cpus`
 * CPUs, so that a bad one is a clear error before the run rather than a throw in the middle of it.
 */
export function checkFaultOptions(options: FaultOptions<unknown> | undefined, cpus: number): void {
  if (options === undefined) return;
  const valueAt = (path: string): unknown => path.split('.').reduce<unknown>((at, key) => (at as Record<string, unknown> | undefined)?.[key], options);
  const refuse = (path: string, what: string) => {
    throw new RangeError(`scenario faults: ${path} must be ${what}, got ${String(valueAt(path))}`);
  };
  for (const path of wholeLimits)
    if (valueAt(path) !== undefined && !(Number.isInteger(valueAt(path)) && (valueAt(path) as number) >= 0)) refuse(path, 'a whole number ≥ 0');
  for (const path of positiveLimits)
    if (valueAt(path) !== undefined && !(Number.isInteger(valueAt(path)) && (valueAt(path) as number) >= 1)) refuse(path, 'a whole number ≥ 1');
  for (const path of shareLimits)
    if (valueAt(path) !== undefined && !((valueAt(path) as number) >= 0 && (valueAt(path) as number) <= 1)) refuse(path, 'a share in [0, 1]');
  const driftMax = options.clocks?.driftMax;
  if (driftMax !== undefined && !(driftMax >= 0 && driftMax <= clockDriftMaxMax)) refuse('clocks.driftMax', `within [0, ${clockDriftMaxMax}]`);
  if (options.cpus !== undefined && cpus < 2)
    throw new RangeError('scenario faults: cpus faults need a kernel of several CPUs (boot: { cpus: 2 } or more); CPU 0 is never faulted');
}

/** The index among `count` candidates that a fault's `pick` (a fraction in [0, 1)) names; undefined when there are none. */
export function pickIndex(pick: number, count: number): number | undefined {
  return count === 0 ? undefined : Math.min(count - 1, Math.floor(pick * count));
}

/** One value of `field`, drawn uniformly in its range. */
function drawField(random: Random, field: FaultField): number {
  return field.integer === true ? field.min + random.int(field.max - field.min + 1) : field.min + random.next() * (field.max - field.min);
}

/** The fault kinds of the subsystems a scenario boots (the kernel's defaults when it names none). */
export function faultKindsOf(scenario: Pick<Scenario<never>, 'boot'>): readonly AnyFaultKind[] {
  const subsystems: readonly AnySubsystem[] = scenario.boot?.subsystems ?? defaultSubsystems;
  return subsystems.flatMap((subsystem) => subsystem.faultKinds ?? []);
}

/**
 * The kinds `options.kinds` turns on, each with its limits completed and checked, in the order the
 * scenario names them. Throws RangeError for a kind no booted subsystem registers (naming those that
 * do) or for a bad limit.
 */
export function enabledFaultKinds(
  options: FaultOptions<unknown> | undefined,
  kinds: readonly AnyFaultKind[],
): { kind: AnyFaultKind; limits: { countMax: number } }[] {
  return Object.entries(options?.kinds ?? {}).map(([name, limits]) => {
    const matching = kinds.filter((kind) => kind.name === name);
    if (matching.length === 0) {
      const known = kinds.map((kind) => kind.name);
      throw new RangeError(
        `no booted subsystem registers the fault kind '${name}'${known.length > 0 ? `; the kinds are ${known.join(', ')}` : '; none registers any'}`,
      );
    }
    if (matching.length > 1) throw new RangeError(`two booted subsystems register the fault kind '${name}'`);
    return { kind: matching[0]!, limits: checkFaultLimits(matching[0]!, limits) };
  });
}

/** A plan as one line, for the start of a run's report; `kinds` tell their own faults (else they are shown by their numbers). */
export function describeFaultPlan(plan: readonly PlannedFault[], kinds: readonly AnyFaultKind[] = []): string {
  return plan.length === 0 ? 'no faults' : plan.map((fault) => describeFault(fault, kinds)).join(', ');
}

function describeFault(fault: PlannedFault, kinds: readonly AnyFaultKind[]): string {
  const percent = (share: number) => `${Math.round(share * 100)} %`;
  switch (fault.kind) {
    case 'kill':
      return `kill at ${fault.atMs} ms`;
    case 'kill-at-message':
      return `kill at message ${fault.atMessage}`;
    case 'partition':
      return `${fault.asymmetric ? 'asymmetric ' : ''}${fault.clog ? 'clog' : 'partition'} at ${fault.atMs} ms for ${fault.forMs} ms`;
    case 'pause':
      return `pause at ${fault.atMs} ms for ${fault.forMs} ms`;
    case 'cpu-pause':
      return `cpu ${fault.cpu} paused at ${fault.atMs} ms for ${fault.forMs} ms`;
    case 'cpu-crash':
      return `cpu ${fault.cpu} crashes at ${fault.atMs} ms${fault.restartAfterMs !== undefined ? `, back ${fault.restartAfterMs} ms later` : ', for good'}`;
    case 'clock-drift':
      return `clock of cpu ${fault.cpu} ${percent(Math.abs(fault.rate - 1))} ${fault.rate < 1 ? 'slow' : 'fast'} at ${fault.atMs} ms for ${fault.forMs} ms`;
    case 'clock-jump':
      return `clock of cpu ${fault.cpu} jumps ${fault.byMs} ms at ${fault.atMs} ms`;
    case 'subsystem':
      return describeSubsystemFault(fault, kinds);
    case 'mail':
      return `mail${fault.mailbox !== undefined ? ' to one mailbox' : ''}: ${percent(fault.drop)} dropped, ${percent(fault.duplicate)} duplicated, ${percent(fault.delay)} delayed up to ${fault.delayMsMax} ms`;
  }
}

function describeSubsystemFault(fault: PlannedSubsystemFault, kinds: readonly AnyFaultKind[]): string {
  const kind = kinds.find((candidate) => candidate.name === fault.name);
  const what =
    kind?.describe(fault.values) ??
    `${fault.name} (${Object.entries(fault.values)
      .filter(([name]) => name !== 'forMs')
      .map(([name, value]) => `${name} ${Number(value.toPrecision(3))}`)
      .join(', ')})`;
  return `${what} at ${fault.atMs} ms${fault.values.forMs !== undefined ? ` for ${fault.values.forMs} ms` : ''}`;
}
