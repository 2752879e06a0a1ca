/**
 * The load balancer's decision (OSv `cpu::load_balance`), pure: given every CPU's load and this
 * CPU's queued entities, which entity (if any) moves to which CPU. The scheduler executes it
 * (`CpuScheduler.balance`: detach and export the runtime; the target CPU wakes it).
 *
 * Load is the runnable count: queued plus running. OSv counts only the run queue, but there the
 * balancer thread itself is running when it looks, so both sides of its comparison exclude one
 * runner; counting the runner on every CPU is the same comparison.
 *
 * Why a difference of 2: moving one entity from a CPU with load L to one with load M gives L − 1
 * and M + 1; with L − M ≥ 2 the new difference is L − M − 2 ≥ 0, so the target never becomes the
 * more loaded side and the entity is never sent back (no ping-pong). With a difference of 1 it
 * would be.
 */
import { assert, invariantBroken } from '../../ground/assert.js';
import { SchedClass } from './entity.js';
import { balanceLoadDifferenceMin } from './limits.js';

/** What the balancer reads of a queued entity; `SchedEntity` has it all. */
export interface BalanceCandidate {
  readonly schedClass: SchedClass;
  readonly runtime: number;
  readonly seq: number;
  readonly pinned: boolean;
}

/** Move `entity` from CPU `source` to CPU `target`. */
export interface Migration<TEntity> {
  readonly entity: TEntity;
  readonly source: number;
  readonly target: number;
}

/**
 * The CPU `source` should give an entity to, or −1: the least-loaded CPU (the first one on a tie,
 * as `std::min_element`), if it is not `source` and is at least `balanceLoadDifferenceMin` lower.
 */
export function balanceTarget(source: number, loads: ArrayLike<number>): number {
  if (!(Number.isInteger(source) && source >= 0 && source < loads.length)) invariantBroken(`cpu ${source} out of range`);
  let target = 0;
  for (let cpu = 0; cpu < loads.length; cpu++) {
    const load = loads[cpu]!;
    if (!(Number.isInteger(load) && load >= 0)) invariantBroken(`cpu ${cpu} has load ${load}`);
    if (load < loads[target]!) target = cpu;
  }
  if (target === source) return -1;
  return loads[source]! - loads[target]! >= balanceLoadDifferenceMin ? target : -1;
}

/**
 * The least-deserving entity that may move, or null: the tail of the run queue (OSv scans from
 * `rbegin`), that is the highest (class, runtime, seq) among the unpinned ones. Real-time entities
 * sit at the head of the queue, so one moves only when no fair or idle entity can. O(n): once per
 * balance period.
 */
export function leastDeserving<TEntity extends BalanceCandidate>(queued: ArrayLike<TEntity>): TEntity | null {
  let worst: TEntity | null = null;
  for (let i = 0; i < queued.length; i++) {
    const entity = queued[i]!;
    if (entity.pinned) continue;
    if (worst === null || deservesLess(entity, worst)) worst = entity;
  }
  assert(worst === null || !worst.pinned, 'a pinned entity never moves');
  return worst;
}

/** Both steps: the migration `source` should make now, or null. */
export function decideMigration<TEntity extends BalanceCandidate>(
  source: number,
  loads: ArrayLike<number>,
  queued: ArrayLike<TEntity>,
): Migration<TEntity> | null {
  // OSv skips an empty run queue before looking at the others (there is nothing to give).
  if (queued.length === 0) return null;
  assert(queued.length <= loads[source]!, 'the queued entities are part of the load');
  const target = balanceTarget(source, loads);
  if (target < 0) return null;
  const entity = leastDeserving(queued);
  return entity === null ? null : { entity, source, target };
}

function deservesLess(a: BalanceCandidate, b: BalanceCandidate): boolean {
  const aRealtime = a.schedClass === SchedClass.realtime;
  const bRealtime = b.schedClass === SchedClass.realtime;
  if (aRealtime !== bRealtime) return bRealtime;
  if (a.runtime !== b.runtime) return a.runtime > b.runtime;
  return a.seq > b.seq;
}
