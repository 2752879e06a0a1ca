/**
 * The load balancer's decision, pure: when it migrates (another CPU at least 2 lower), what (the
 * least-deserving unpinned entity), and that it settles: no entity is sent back (no ping-pong), a
 * single move between two CPUs leaves them within 1, and rounds over all CPUs reach loads within 1
 * (bounded by the pinned entities).
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { balanceTarget, decideMigration, leastDeserving, SchedClass, type BalanceCandidate } from '../../../actors/sched/index.js';

interface Candidate extends BalanceCandidate {
  readonly id: number;
  readonly pinned: boolean;
}

function candidate(id: number, runtime: number, options: { pinned?: boolean; realtime?: boolean; seq?: number } = {}): Candidate {
  return { id, runtime, seq: options.seq ?? id, pinned: options.pinned ?? false, schedClass: options.realtime ? SchedClass.realtime : SchedClass.fair };
}

const loadsArbitrary = fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 1, maxLength: 8 });

describe('sched balancer', () => {
  it('targets the first least-loaded CPU only when it is at least 2 lower', () => {
    expect(balanceTarget(0, [3, 1, 1])).to.equal(1);
    expect(balanceTarget(0, [3, 2, 2])).to.equal(-1);
    expect(balanceTarget(2, [1, 0, 2])).to.equal(1);
    expect(balanceTarget(1, [0, 1])).to.equal(-1);
    expect(balanceTarget(0, [0, 0])).to.equal(-1);
    expect(balanceTarget(0, [5])).to.equal(-1);
    expect(() => balanceTarget(2, [1, 1])).to.throw(/out of range/);
    expect(() => balanceTarget(0, [1, -1])).to.throw(/load -1/);
  });

  it('migrates exactly when some CPU is at least 2 lower, to the first of the least loaded', () => {
    fc.assert(
      fc.property(loadsArbitrary, fc.nat(), (loads, pick) => {
        const source = pick % loads.length;
        const target = balanceTarget(source, loads);
        const min = Math.min(...loads);
        if (loads[source]! - min >= 2) {
          expect(target).to.equal(loads.indexOf(min));
        } else {
          expect(target).to.equal(-1);
        }
      }),
    );
  });

  it('picks the least-deserving unpinned entity: fair before real-time, highest runtime, latest seq on ties', () => {
    expect(leastDeserving([candidate(1, 0.3), candidate(2, 0.9), candidate(3, 0.5)])?.id).to.equal(2);
    expect(leastDeserving([candidate(1, 0.3), candidate(2, 0.9, { pinned: true }), candidate(3, 0.5)])?.id).to.equal(3);
    expect(leastDeserving([candidate(1, 0.5, { seq: 4 }), candidate(2, 0.5, { seq: 9 }), candidate(3, 0.5, { seq: -2 })])?.id).to.equal(2);
    expect(leastDeserving([candidate(1, 0, { realtime: true }), candidate(2, 0.1)])?.id).to.equal(2);
    expect(leastDeserving([candidate(1, 0, { realtime: true, seq: 1 }), candidate(2, 0, { realtime: true, seq: 5 })])?.id).to.equal(2);
    expect(leastDeserving([candidate(1, 0.3, { pinned: true })])).to.equal(null);
    expect(leastDeserving([])).to.equal(null);
  });

  it('never moves a pinned entity, and moves the maximum among the rest', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ runtime: fc.double({ min: 0, max: 2, noNaN: true }), pinned: fc.boolean(), realtime: fc.boolean() }), { maxLength: 20 }),
        (specs) => {
          const queued = specs.map((spec, i) => candidate(i, spec.realtime ? 0 : spec.runtime, spec));
          const loads = [queued.length + 1, 0];
          const migration = decideMigration(0, loads, queued);
          const movable = queued.filter((entry) => !entry.pinned);
          if (loads[0]! < 2 || movable.length === 0) {
            expect(migration).to.equal(null);
            return;
          }
          expect(migration!.entity.pinned).to.equal(false);
          expect([migration!.source, migration!.target]).to.deep.equal([0, 1]);
          const fair = movable.filter((entry) => entry.schedClass !== SchedClass.realtime);
          const pool = fair.length > 0 ? fair : movable;
          const worst = Math.max(...pool.map((entry) => entry.runtime));
          expect(migration!.entity.runtime).to.equal(worst);
          expect(migration!.entity.seq).to.equal(Math.max(...pool.filter((entry) => entry.runtime === worst).map((entry) => entry.seq)));
        },
      ),
    );
  });

  it('does not ping-pong: after a move the target is never the more loaded side, and two CPUs end within 1', () => {
    fc.assert(
      fc.property(loadsArbitrary, fc.nat(), (loads, pick) => {
        const source = pick % loads.length;
        const queued = Array.from({ length: loads[source]! }, (_, i) => candidate(i, i / 10));
        const migration = decideMigration(source, loads, queued);
        if (migration === null) return;
        const after = [...loads];
        after[source]!--;
        after[migration.target]!++;
        expect(after[migration.target]).to.be.at.most(after[source]!);
        expect(balanceTarget(migration.target, after)).to.not.equal(source);
        if (loads.length === 2 && loads[source]! - loads[migration.target]! <= 3) expect(Math.abs(after[0]! - after[1]!)).to.be.at.most(1);
      }),
    );
  });

  it('settles every CPU within 1 of the others after enough rounds, each entity moving at most a few times', () => {
    fc.assert(
      fc.property(loadsArbitrary, fc.array(fc.boolean(), { maxLength: 100 }), (initial, pinnedFlags) => {
        // Each CPU runs one of its entities (not migratable) and queues the rest.
        let nextId = 0;
        const queues = initial.map((load) =>
          Array.from({ length: Math.max(0, load - 1) }, () => {
            const id = nextId++;
            return candidate(id, (id * 7919) % 101, { pinned: pinnedFlags[id] ?? false });
          }),
        );
        const loads = [...initial];
        const moves = new Map<number, number>();
        let rounds = 0;
        for (let moved = true; moved; rounds++) {
          expect(rounds, 'balancing must settle').to.be.below(200);
          moved = false;
          for (let cpu = 0; cpu < loads.length; cpu++) {
            const migration = decideMigration(cpu, loads, queues[cpu]!);
            if (migration === null) continue;
            expect(migration.entity.pinned).to.equal(false);
            queues[cpu] = queues[cpu]!.filter((entry) => entry !== migration.entity);
            queues[migration.target]!.push(migration.entity);
            loads[cpu]!--;
            loads[migration.target]!++;
            moves.set(migration.entity.id, (moves.get(migration.entity.id) ?? 0) + 1);
            moved = true;
          }
        }
        expect(loads.reduce((a, b) => a + b, 0)).to.equal(initial.reduce((a, b) => a + b, 0));
        const min = Math.min(...loads);
        for (let cpu = 0; cpu < loads.length; cpu++) {
          // Settled: a CPU still 2 above the minimum has only pinned entities queued (or none).
          if (loads[cpu]! - min >= 2) expect(queues[cpu]!.every((entry) => entry.pinned)).to.equal(true);
        }
        if (!pinnedFlags.some(Boolean)) expect(Math.max(...loads) - min).to.be.at.most(1);
        for (const count of moves.values()) expect(count).to.be.at.most(initial.length);
      }),
    );
  });
});
