import { expect } from 'chai';
import fc from 'fast-check';
import bank from '../../examples/sim/bank.sim.js';
import leases from '../../examples/sim/lease.sim.js';
import { describeFaultPlan, faultPlans, runCampaign, runScenario, sequenceChart, shrinkFaults, shrinkTape } from '../../sim/index.js';
import { atomicCounter, creditLedger, registerReads, replicatedRegister, volatileTally } from './fixtures/examples.js';
import { counterOnCpus } from './fixtures/cpu-counter.js';

describe('sim: shrinking a failing run to a minimal fault timeline', function () {
  this.timeout(60_000);

  it('drops the faults the failure does not need: one kill of two is enough to lose the count', async () => {
    const shrunk = await shrinkFaults(volatileTally, 0);
    expect(shrunk.original.faults.filter((fault) => fault.kind === 'kill')).to.have.length(2);
    expect(shrunk.plan).to.have.length(1);
    expect(shrunk.plan[0]!.kind).to.equal('kill');
    expect(shrunk.result.failures).to.deep.equal(shrunk.original.failures);
    // The shrunk plan, run again, fails the same way.
    const again = await runScenario(volatileTally, { seed: 0, plan: shrunk.plan });
    expect(again.failures).to.deep.equal(shrunk.original.failures);
  });

  it('makes a partition shorter as long as the write is still lost', async () => {
    const failed = (await runCampaign(replicatedRegister(false), { seeds: 20 })).failed!;
    const shrunk = await shrinkFaults(replicatedRegister(false), failed.seed);
    const partitions = shrunk.plan.filter((fault) => fault.kind === 'partition');
    expect(partitions).to.have.length(1);
    const before = failed.faults.filter((fault) => fault.kind === 'partition').map((fault) => (fault as { forMs: number }).forMs);
    expect((partitions[0] as { forMs: number }).forMs).to.be.at.most(Math.max(...before));
    expect(describeFaultPlan(shrunk.plan)).to.match(/(partition|clog) at \d+ ms for \d+ ms/);
    expect(shrunk.runs).to.be.above(1);
  });

  it('crashes later as long as the count is still lost', async () => {
    const shrunk = await shrinkFaults(volatileTally, 0);
    const kept = shrunk.plan[0] as { atMs: number };
    const before = shrunk.original.faults.map((fault) => (fault as { atMs: number }).atMs);
    // Both planned kills come before 220 ms; a kill at the end of the 300 ms window still loses the count.
    expect(kept.atMs).to.be.above(Math.max(...before));
  });

  it("shrinks the tape of a run with its faults fixed: the scenario's draws toward zero, the run failing the same way", async () => {
    const faults = await shrinkFaults(bank, 4);
    const shrunk = await shrinkTape(bank, 4, faults.plan);
    expect(shrunk.result.failures).to.deep.equal(faults.result.failures);
    expect(shrunk.drawsChanged).to.be.above(0);
    // Every transfer of the shrunk run is of the smallest amount, with no time to think between them.
    expect(shrunk.tape.streams['/sim.amounts']!.every((draw) => draw === 0)).to.equal(true);
    expect(shrunk.tape.plan).to.deep.equal(faults.plan);
    // The shrunk tape replays its run, plan and all, also after a trip through JSON.
    const replayed = await runScenario(bank, { seed: 4, tape: JSON.parse(JSON.stringify(shrunk.tape)) });
    expect(replayed.eventHash).to.equal(shrunk.result.eventHash);
  });

  it("leaves the faults' own draws alone, and moves the scheduling toward the lowest CPU within its budget of runs", async () => {
    const credits = creditLedger(false);
    const failed = (await runCampaign(credits, { seeds: 20 })).failed!;
    const recorded = (await runScenario(credits, { seed: failed.seed, recordTape: true })).tape!;
    const shrunk = await shrinkTape(credits, failed.seed, undefined, 40);
    expect(shrunk.runs).to.be.at.most(40);
    expect(shrunk.tape.streams['/sim.mail']).to.deep.equal(recorded.streams['/sim.mail']);
    const lease = (await runCampaign(leases, { seeds: 20 })).failed!;
    const scheduled = await shrinkTape(leases, lease.seed, undefined, 30);
    const steps = (await runScenario(leases, { seed: lease.seed, recordTape: true })).tape!.streams['/cpu/step']!;
    const sum = (draws: readonly number[]) => draws.reduce((total, draw) => total + draw, 0);
    expect(sum(scheduled.tape.streams['/cpu/step']!)).to.be.below(sum(steps));
    expect(scheduled.result.failures).to.deep.equal(lease.failures);
  });

  it('refuses a seed that passes', async () => {
    const error = await shrinkFaults(atomicCounter, 0).catch((thrown: unknown) => thrown);
    expect(error).to.be.instanceOf(RangeError);
  });
});

describe('sim: a run as a message sequence chart', () => {
  it('draws the sends, the drops, the crashes and the restarts of a run in order, as Mermaid', async () => {
    const run = await runScenario(volatileTally, { seed: 0, keepEvents: true });
    const chart = sequenceChart(run);
    const lines = chart.split('\n');
    expect(lines[0]).to.equal('sequenceDiagram');
    expect(lines).to.include('  participant a2 as tally (Tally)');
    expect(lines).to.include('  outside->>a2: count @0ms');
    expect(chart).to.match(/Note over a2: crashed @\d+ms/);
    expect(chart).to.match(/Note over a2: restarted @\d+ms/);
    expect(() => sequenceChart(runWithoutEvents)).to.throw(RangeError, /keepEvents/);
    // A seed whose mail faults dropped a credit shows it crossed out.
    const runs = await Promise.all(Array.from({ length: 20 }, (_, seed) => runScenario(creditLedger(false), { seed, keepEvents: true })));
    const dropped = runs.find((candidate) => candidate.eventLog!.some((event) => event.includes('"reason":"fault-injected"')))!;
    expect(sequenceChart(dropped)).to.match(/outside-xa1: credit dropped @\d+ms/);
  });

  it('draws a message to another CPU once, not again for its hop into the far mailbox', async () => {
    const run = await runScenario(counterOnCpus(2), { seed: 3, keepEvents: true });
    const chart = sequenceChart(run);
    // 4 clients add 5 times each, and the invariant asks once: all from outside, to the counter.
    expect(chart.split('\n').filter((line) => /^ {2}outside->>a\d+: (add|get) /.test(line))).to.have.length(21);
  });
});

const runWithoutEvents = await runScenario(volatileTally, { seed: 1 });

describe('sim: fault plans as a fast-check arbitrary', () => {
  it('lets fc.assert drive the faults, and fast-check shrinks a failing plan to one kill', async () => {
    const property = fc.asyncProperty(
      fc.constant(0),
      faultPlans(fc, volatileTally),
      async (seed, plan) => (await runScenario(volatileTally, { seed, plan })).ok,
    );
    const details = await fc.check(property, { seed: 42, numRuns: 60 });
    expect(details.failed, 'some plan kills the tally').to.equal(true);
    const [, plan] = details.counterexample!;
    expect(plan).to.have.length(1);
    expect(plan[0]!.kind).to.equal('kill');
  });

  it('draws only the kinds of fault a scenario allows, within their bounds', () => {
    fc.assert(
      fc.property(faultPlans(fc, registerReads(false)), (plan) =>
        plan.every((fault) => fault.kind === 'mail' && fault.drop === 0 && fault.duplicate === 0 && fault.delay < 0.8 && fault.delayMsMax === 30),
      ),
    );
  });
});
