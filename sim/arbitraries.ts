/**
 * fast-check integration: an arbitrary of fault plans for a scenario, so that `fc.assert` drives
 * the faults and shrinks a failing plan with its own shrinkers (fewer faults, earlier, shorter,
 * smaller shares). fast-check is the caller's: it is passed in, and osprey/sim does not depend on it.
 *
 * @example
 * ```ts
 * import fc from 'fast-check';
 * await fc.assert(
 *   fc.asyncProperty(fc.nat(1_000), faultPlans(fc, bank.faults!), async (seed, plan) => (await runScenario(bank, { seed, plan })).ok),
 * );
 * ```
 */
import type * as FastCheck from 'fast-check';
import {
  balloonForMsMaxDefault,
  balloonShareMaxDefault,
  balloonsMaxDefault,
  delayMsMaxDefault,
  delayShareMaxDefault,
  dropShareMaxDefault,
  duplicateShareMaxDefault,
  faultWindowMsDefault,
  killsMaxDefault,
  partitionableCountMax,
  partitionsMaxDefault,
  pauseMsMaxDefault,
  pausesMaxDefault,
  type PlannedFault,
} from './fault-plan.js';
import type { FaultOptions } from './scenario.js';

/** The parts of fast-check this uses: its default export fits. */
export type FastCheckParts = Pick<typeof FastCheck, 'array' | 'boolean' | 'constant' | 'double' | 'integer' | 'record' | 'tuple'>;

/** Plans of the faults `options` allows, as `drawFaultPlan` draws them, for fast-check to generate and shrink. */
export function faultPlans<S>(fc: FastCheckParts, options: FaultOptions<S>): FastCheck.Arbitrary<PlannedFault[]> {
  const windowMs = options.windowMs ?? faultWindowMsDefault;
  const at = fc.integer({ min: 0, max: windowMs - 1 });
  const share = (max: number): FastCheck.Arbitrary<number> => (max > 0 ? fc.double({ min: 0, max, maxExcluded: true, noNaN: true }) : fc.constant(0));
  const parts: FastCheck.Arbitrary<PlannedFault[]>[] = [];
  if (options.killable !== undefined) {
    parts.push(fc.array(fc.record({ kind: fc.constant('kill' as const), atMs: at, pick: share(1) }), { maxLength: options.killsMax ?? killsMaxDefault }));
  }
  if (options.messagesTo !== undefined) {
    const mail = fc.record({
      kind: fc.constant('mail' as const),
      drop: share(options.dropShareMax ?? dropShareMaxDefault),
      duplicate: share(options.duplicateShareMax ?? duplicateShareMaxDefault),
      delay: share(options.delayShareMax ?? delayShareMaxDefault),
      delayMsMax: fc.constant(options.delayMsMax ?? delayMsMaxDefault),
    });
    parts.push(fc.array(mail, { maxLength: 1 }));
  }
  if (options.partitionable !== undefined) {
    const partition = fc.record({
      kind: fc.constant('partition' as const),
      atMs: at,
      forMs: fc.integer({ min: 1, max: windowMs }),
      sides: fc.array(share(1), { minLength: partitionableCountMax, maxLength: partitionableCountMax }),
      asymmetric: fc.boolean(),
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
  if (options.memoryPressure !== undefined) {
    const pressure = options.memoryPressure;
    const balloon = fc.record({
      kind: fc.constant('balloon' as const),
      atMs: at,
      forMs: fc.integer({ min: 1, max: pressure.forMsMax ?? balloonForMsMaxDefault }),
      share: share(pressure.shareMax ?? balloonShareMaxDefault),
    });
    parts.push(fc.array(balloon, { maxLength: pressure.balloonsMax ?? balloonsMaxDefault }));
  }
  return fc.tuple(...parts).map((lists) => lists.flat());
}
