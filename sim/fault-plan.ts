/**
 * A run's faults, drawn from the seed before the run starts and printed with its result (swarm
 * testing: each seed gets its own mix, some none): kills of the actors a scenario names killable, at
 * drawn times within the fault window, and shares of the mail to the actors it names that are
 * dropped, duplicated or delayed. Drawn from their own random stream, so a scenario's own draws never
 * change the plan.
 *
 * @example
 * ```ts
 * const plan = drawFaultPlan(kernel.random.stream('sim.faults'), { killsMax: 2, windowMs: 500 });
 * // [{ kind: 'kill', atMs: 131, pick: 0.42 }]
 * ```
 */
import type { Random } from '../drivers/index.js';
import type { FaultOptions } from './scenario.js';

/** A kill: when (ms of virtual time after the workload began), and which target (a fraction of the candidates). */
export interface PlannedKill {
  readonly kind: 'kill';
  readonly atMs: number;
  readonly pick: number;
}

/** Faults on the mail to the scenario's `messagesTo` actors, for the whole fault window: the share of it dropped, duplicated and delayed. */
export interface PlannedMailFaults {
  readonly kind: 'mail';
  readonly drop: number;
  readonly duplicate: number;
  readonly delay: number;
  readonly delayMsMax: number;
}

/**
 * A partition from `atMs` for `forMs`: the partitionable actors whose draw in `sides` is below one
 * half are on the first side, the rest on the second; mail from the first side to the second is
 * dropped, and back too unless it is `asymmetric`.
 */
export interface PlannedPartition {
  readonly kind: 'partition';
  readonly atMs: number;
  readonly forMs: number;
  readonly sides: readonly number[];
  readonly asymmetric: boolean;
}

/** A pause of one of the pausable actors (a fraction of the candidates) at `atMs`, for `forMs`. */
export interface PlannedPause {
  readonly kind: 'pause';
  readonly atMs: number;
  readonly forMs: number;
  readonly pick: number;
}

/** A balloon that takes `share` of the memory free at `atMs`, for `forMs` (vm subsystem). */
export interface PlannedBalloon {
  readonly kind: 'balloon';
  readonly atMs: number;
  readonly forMs: number;
  readonly share: number;
}

export type PlannedFault = PlannedKill | PlannedMailFaults | PlannedPartition | PlannedPause | PlannedBalloon;

export const balloonShareMaxDefault = 0.5;
export const balloonForMsMaxDefault = 200;
export const balloonsMaxDefault = 2;

export const pausesMaxDefault = 3;
export const pauseMsMaxDefault = 100;

export const partitionsMaxDefault = 2;
/** The most sides a plan draws: a scenario names at most this many partitionable actors. */
export const partitionableCountMax = 64;

export const killsMaxDefault = 3;
export const faultWindowMsDefault = 1_000;

export const dropShareMaxDefault = 0.2;
export const duplicateShareMaxDefault = 0.1;
export const delayShareMaxDefault = 0.2;
export const delayMsMaxDefault = 50;

export function drawFaultPlan(random: Random, options: FaultOptions<unknown> | undefined): PlannedFault[] {
  const plan: PlannedFault[] = [];
  if (options?.killable !== undefined) {
    const kills = random.int((options.killsMax ?? killsMaxDefault) + 1);
    const windowMs = options.windowMs ?? faultWindowMsDefault;
    const times = Array.from({ length: kills }, () => ({ kind: 'kill' as const, atMs: random.int(windowMs), pick: random.next() }));
    plan.push(...times.sort((a, b) => a.atMs - b.atMs));
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
    if (mail.drop + mail.duplicate + mail.delay > 0) plan.push(mail);
  }
  if (options?.partitionable !== undefined) {
    const windowMs = options.windowMs ?? faultWindowMsDefault;
    const partitions = random.int((options.partitionsMax ?? partitionsMaxDefault) + 1);
    for (let i = 0; i < partitions; i++) {
      const atMs = random.int(windowMs);
      plan.push({
        kind: 'partition',
        atMs,
        forMs: 1 + random.int(Math.max(1, windowMs - atMs)),
        sides: Array.from({ length: partitionableCountMax }, () => random.next()),
        asymmetric: random.next() < 0.5,
      });
    }
  }
  if (options?.pausable !== undefined) {
    const windowMs = options.windowMs ?? faultWindowMsDefault;
    const pauses = random.int((options.pausesMax ?? pausesMaxDefault) + 1);
    for (let i = 0; i < pauses; i++) {
      plan.push({ kind: 'pause', atMs: random.int(windowMs), forMs: 1 + random.int(options.pauseMsMax ?? pauseMsMaxDefault), pick: random.next() });
    }
  }
  if (options?.memoryPressure !== undefined) {
    const pressure = options.memoryPressure;
    const windowMs = options.windowMs ?? faultWindowMsDefault;
    const balloons = random.int((pressure.balloonsMax ?? balloonsMaxDefault) + 1);
    for (let i = 0; i < balloons; i++) {
      plan.push({
        kind: 'balloon',
        atMs: random.int(windowMs),
        forMs: 1 + random.int(pressure.forMsMax ?? balloonForMsMaxDefault),
        share: random.next() * (pressure.shareMax ?? balloonShareMaxDefault),
      });
    }
  }
  return plan;
}

/** A plan as one line, for the start of a run's report. */
export function describeFaultPlan(plan: readonly PlannedFault[]): string {
  if (plan.length === 0) return 'no faults';
  const percent = (share: number) => `${Math.round(share * 100)} %`;
  return plan
    .map((fault) =>
      fault.kind === 'kill'
        ? `kill at ${fault.atMs} ms`
        : fault.kind === 'partition'
          ? `${fault.asymmetric ? 'asymmetric ' : ''}partition at ${fault.atMs} ms for ${fault.forMs} ms`
          : fault.kind === 'pause'
            ? `pause at ${fault.atMs} ms for ${fault.forMs} ms`
            : fault.kind === 'balloon'
              ? `balloon of ${percent(fault.share)} of free memory at ${fault.atMs} ms for ${fault.forMs} ms`
              : `mail: ${percent(fault.drop)} dropped, ${percent(fault.duplicate)} duplicated, ${percent(fault.delay)} delayed up to ${fault.delayMsMax} ms`,
    )
    .join(', ');
}
