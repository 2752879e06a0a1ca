/**
 * fast-check integration: an arbitrary of fault plans for a scenario, so that `fc.assert` drives
 * the faults and shrinks a failing plan with its own shrinkers (fewer faults, earlier, shorter,
 * smaller shares), the faults of its subsystems' kinds among them. fast-check is the caller's: it is passed in, and osprey/sim does not depend on it.
 *
 * @example
 * ```ts
 * import fc from 'fast-check';
 * await fc.assert(
 *   fc.asyncProperty(fc.nat(1_000), faultPlans(fc, bank), async (seed, plan) => (await runScenario(bank, { seed, plan })).ok),
 * );
 * ```
 */
import type * as FastCheck from 'fast-check';
import {
  clockDriftMaxDefault,
  clockDriftsMaxDefault,
  clockJumpMsMaxDefault,
  clockJumpsMaxDefault,
  cpuCrashesMaxDefault,
  cpuPauseMsMaxDefault,
  cpuPausesMaxDefault,
  cpuRestartAfterMsMaxDefault,
  delayMsMaxDefault,
  delayShareMaxDefault,
  dropShareMaxDefault,
  duplicateShareMaxDefault,
  faultWindowMsDefault,
  killMessageMaxDefault,
  killsMaxDefault,
  messageKillsMaxDefault,
  partitionableCountMax,
  partitionsMaxDefault,
  pauseMsMaxDefault,
  pausesMaxDefault,
  enabledFaultKinds,
  faultKindsOf,
  type PlannedFault,
} from './fault-plan.js';
import type { FaultOptions, Scenario } from './scenario.js';

/** The parts of fast-check this uses: its default export fits. */
export type FastCheckParts = Pick<typeof FastCheck, 'array' | 'boolean' | 'constant' | 'double' | 'integer' | 'option' | 'record' | 'tuple'>;

/** Plans of the faults `scenario` allows, as `drawFaultPlan` draws them, for fast-check to generate and shrink. */
export function faultPlans<S>(fc: FastCheckParts, scenario: Scenario<S>): FastCheck.Arbitrary<PlannedFault[]> {
  const options: FaultOptions<S> = scenario.faults ?? {};
  const windowMs = options.windowMs ?? faultWindowMsDefault;
  const at = fc.integer({ min: 0, max: windowMs - 1 });
  const share = (max: number): FastCheck.Arbitrary<number> => (max > 0 ? fc.double({ min: 0, max, maxExcluded: true, noNaN: true }) : fc.constant(0));
  const parts: FastCheck.Arbitrary<PlannedFault[]>[] = [];
  if (options.killable !== undefined) {
    parts.push(fc.array(fc.record({ kind: fc.constant('kill' as const), atMs: at, pick: share(1) }), { maxLength: options.killsMax ?? killsMaxDefault }));
    const atMessage = fc.integer({ min: 1, max: Math.max(1, options.killMessageMax ?? killMessageMaxDefault) });
    parts.push(
      fc.array(fc.record({ kind: fc.constant('kill-at-message' as const), atMessage, pick: share(1) }), {
        maxLength: options.messageKillsMax ?? messageKillsMaxDefault,
      }),
    );
  }
  if (options.messagesTo !== undefined) {
    const mail = fc.record({
      kind: fc.constant('mail' as const),
      drop: share(options.dropShareMax ?? dropShareMaxDefault),
      duplicate: share(options.duplicateShareMax ?? duplicateShareMaxDefault),
      delay: share(options.delayShareMax ?? delayShareMaxDefault),
      delayMsMax: fc.constant(options.delayMsMax ?? delayMsMaxDefault),
    });
    // Scoped to one mailbox, or (none) to all of them.
    const scoped = fc
      .tuple(mail, fc.option(share(1), { nil: undefined }))
      .map(([faults, mailbox]) => (mailbox === undefined ? faults : { ...faults, mailbox }));
    parts.push(fc.array(scoped, { maxLength: 1 }));
  }
  if (options.partitionable !== undefined) {
    const partition = fc.record({
      kind: fc.constant('partition' as const),
      atMs: at,
      forMs: fc.integer({ min: 1, max: windowMs }),
      sides: fc.array(share(1), { minLength: partitionableCountMax, maxLength: partitionableCountMax }),
      asymmetric: fc.boolean(),
      clog: fc.boolean(),
    });
    parts.push(fc.array(partition, { maxLength: options.partitionsMax ?? partitionsMaxDefault }));
  }
  if (options.pausable !== undefined) {
    const pause = fc.record({
      kind: fc.constant('pause' as const),
      atMs: at,
      forMs: fc.integer({ min: 1, max: options.pauseMsMax ?? pauseMsMaxDefault }),
      pick: share(1),
    });
    parts.push(fc.array(pause, { maxLength: options.pausesMax ?? pausesMaxDefault }));
  }
  const cpus = scenario.boot?.cpus ?? 1;
  if (options.cpus !== undefined && cpus > 1) {
    const limits = options.cpus;
    const cpu = fc.integer({ min: 1, max: cpus - 1 });
    const pause = fc.record({
      kind: fc.constant('cpu-pause' as const),
      cpu,
      atMs: at,
      forMs: fc.integer({ min: 1, max: Math.max(1, limits.pauseMsMax ?? cpuPauseMsMaxDefault) }),
    });
    const crash = fc.record({ kind: fc.constant('cpu-crash' as const), cpu, atMs: at });
    const restartAfterMs = fc.integer({ min: 1, max: Math.max(1, limits.restartAfterMsMax ?? cpuRestartAfterMsMaxDefault) });
    const crashes = limits.restarts === false ? crash : fc.tuple(crash, restartAfterMs).map(([fault, afterMs]) => ({ ...fault, restartAfterMs: afterMs }));
    parts.push(fc.array(pause, { maxLength: limits.pausesMax ?? cpuPausesMaxDefault }));
    parts.push(fc.array(crashes, { maxLength: limits.crashesMax ?? cpuCrashesMaxDefault }));
  }
  if (options.clocks !== undefined) {
    const clocks = options.clocks;
    const cpu = fc.integer({ min: 0, max: cpus - 1 });
    const driftMax = clocks.driftMax ?? clockDriftMaxDefault;
    const drift = fc.record({
      kind: fc.constant('clock-drift' as const),
      cpu,
      atMs: at,
      forMs: fc.integer({ min: 1, max: windowMs }),
      rate: driftMax > 0 ? fc.double({ min: 1 - driftMax, max: 1 + driftMax, noNaN: true }) : fc.constant(1),
    });
    const jump = fc.record({
      kind: fc.constant('clock-jump' as const),
      cpu,
      atMs: at,
      byMs: fc.integer({ min: 1, max: Math.max(1, clocks.jumpMsMax ?? clockJumpMsMaxDefault) }),
    });
    parts.push(fc.array(drift, { maxLength: clocks.driftsMax ?? clockDriftsMaxDefault }));
    parts.push(fc.array(jump, { maxLength: clocks.jumpsMax ?? clockJumpsMaxDefault }));
  }
  for (const { kind, limits } of enabledFaultKinds(options as FaultOptions<unknown>, faultKindsOf(scenario))) {
    const values = Object.entries(kind.fields(limits)).map(([name, field]) =>
      fc
        .tuple(
          fc.constant(name),
          field.integer === true
            ? fc.integer({ min: field.min, max: field.max })
            : field.min < field.max
              ? fc.double({ min: field.min, max: field.max, noNaN: true })
              : fc.constant(field.min),
        )
        .map(([key, value]) => [key, value] as const),
    );
    const fault = fc.record({
      kind: fc.constant('subsystem' as const),
      name: fc.constant(kind.name),
      atMs: at,
      values: fc.tuple(...values).map((entries) => Object.fromEntries(entries)),
    });
    parts.push(fc.array(fault, { maxLength: limits.countMax }));
  }
  return fc.tuple(...parts).map((lists) => lists.flat());
}
