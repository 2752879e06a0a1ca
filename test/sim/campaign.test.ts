import { expect } from 'chai';
import { checkDeterminism, describeResult, runCampaign, runScenario, scenario, SimulationFailedError, simulateSeeds } from '../../sim/index.js';
import {
  atomicCounter,
  bufferWriter,
  creditLedger,
  lostUpdateCounter,
  replicatedRegister,
  retryingWriter,
  volatileTally,
  watchdog,
} from './fixtures/examples.js';

/** Seeds a campaign may take to find each known bug (the figures below are what it takes). */
const seedsToFind = 20;

describe('sim: scenarios, seeds and their reports', function () {
  this.timeout(60_000);

  it('finds the lost update within a few seeds, and the seed it names fails again the same way', async () => {
    const summary = await runCampaign(lostUpdateCounter, { seeds: seedsToFind });
    expect(summary.failed, 'some seed loses an update').to.not.equal(null);
    const failed = summary.failed!;
    expect(failed.failures.map((failure) => `${failure.kind} ${failure.name}`)).to.deep.equal(['invariant every increment counts']);
    const again = await runScenario(lostUpdateCounter, { seed: failed.seed });
    expect(again.ok).to.equal(false);
    expect(again.eventHash).to.equal(failed.eventHash);
    expect(again.events).to.equal(failed.events);
  });

  it('passes the same seeds with the race fixed', async () => {
    const summary = await simulateSeeds(atomicCounter, { seeds: seedsToFind });
    expect(summary.runs).to.equal(seedsToFind);
    expect(summary.simulatedMs).to.be.above(0);
  });

  it('fails a test with the report and the line that reproduces it', async () => {
    const error = await simulateSeeds(lostUpdateCounter, { seeds: seedsToFind }).catch((thrown: unknown) => thrown);
    expect(error).to.be.instanceOf(SimulationFailedError);
    const { seed } = (error as SimulationFailedError).result;
    expect((error as Error).message).to.include(`lost-update counter, seed ${seed}: FAILED`);
    expect((error as Error).message).to.include(`reproduce: runScenario(lost-update counter, { seed: ${seed} })`);
  });

  it('runs one seed twice as the same run, event for event', async () => {
    const { same, firstDifference } = await checkDeterminism(lostUpdateCounter, 3);
    expect(firstDifference).to.equal(undefined);
    expect(same).to.equal(true);
  });

  it('kills a supervised actor as the seed plans: the service comes back, the count kept in memory does not', async () => {
    const summary = await runCampaign(volatileTally, { seeds: seedsToFind });
    const failed = summary.failed!;
    expect(failed, 'some seed kills the tally').to.not.equal(null);
    expect(failed.faults.length).to.be.above(0);
    expect(failed.faults.every((fault) => fault.kind === 'kill' && fault.atMs < 300)).to.equal(true);
    // Liveness held: the restarted tally answers; only the invariant broke.
    expect(failed.failures.map((failure) => `${failure.kind} ${failure.name}`)).to.deep.equal(['invariant nothing is lost']);
    // A seed whose plan has no kill passes.
    const calm = (await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map((seed) => runScenario(volatileTally, { seed })))).find((result) => result.faults.length === 0);
    expect(calm?.ok).to.equal(true);
  });

  it('kills an actor as its n-th message arrives, when the plan says so', async () => {
    // Counts are told every 10 ms: the 10th arrives at 90 ms, and the tally dies with it.
    const result = await runScenario(volatileTally, { seed: 0, plan: [{ kind: 'kill-at-message', atMessage: 10, pick: 0 }] });
    expect(result.failures.map((failure) => failure.name)).to.deep.equal(['nothing is lost']);
    expect(describeResult(result)).to.include('kill at message 10');
    const runs = [];
    for (let seed = 0; seed < 8; seed++)
      runs.push(await runScenario(scenario({ ...volatileTally, faults: { ...volatileTally.faults, killsMax: 0, messageKillsMax: 1 } }), { seed }));
    const killed = runs.filter((run) => run.faults.some((fault) => fault.kind === 'kill-at-message'));
    expect(killed.length, 'some seeds plan a kill at a message').to.be.above(0);
    for (const run of killed) {
      const [kill] = run.faults as readonly { atMessage: number }[];
      expect(kill!.atMessage).to.be.within(1, 50);
      // The count is lost unless the kill comes after the last of the 30 counts.
      expect(run.ok).to.equal(kill!.atMessage > 30);
    }
  });

  it('takes a rare path at a sim.maybe site on some seeds, and names the site in the report', async () => {
    const summary = await runCampaign(retryingWriter(false), { seeds: seedsToFind });
    expect(summary.failed, 'some seed retries a put').to.not.equal(null);
    expect(summary.failed!.firedSites).to.deep.equal(['retry put']);
    expect(describeResult(summary.failed!)).to.include('fired: retry put');
    await simulateSeeds(retryingWriter(true), { seeds: seedsToFind });
    // Switched on in about a quarter of the runs: some seeds never take the path.
    const runs = await Promise.all([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((seed) => runScenario(retryingWriter(true), { seed })));
    expect(runs.some((run) => run.firedSites.length === 0)).to.equal(true);
  });

  it('drops, duplicates and delays mail to the actors a scenario names, as each seed plans; retries with idempotence survive it', async () => {
    const summary = await runCampaign(creditLedger(false), { seeds: seedsToFind });
    expect(summary.failed, 'some seed loses or repeats a credit').to.not.equal(null);
    const mail = summary.failed!.faults.find((fault) => fault.kind === 'mail');
    expect(mail).to.not.equal(undefined);
    expect(describeResult(summary.failed!)).to.match(/mail: \d+ % dropped, \d+ % duplicated, \d+ % delayed up to 50 ms/);
    const passed = await simulateSeeds(creditLedger(true), { seeds: seedsToFind });
    expect(passed.runs).to.equal(seedsToFind);
  });

  it('cuts the actors a scenario names apart for a while, as each seed plans; anti-entropy converges once it heals', async () => {
    const summary = await runCampaign(replicatedRegister(false), { seeds: seedsToFind });
    expect(summary.failed, 'some seed partitions the replicas during the last write').to.not.equal(null);
    expect(summary.failed!.faults.some((fault) => fault.kind === 'partition')).to.equal(true);
    expect(describeResult(summary.failed!)).to.match(/partition at \d+ ms for \d+ ms/);
    const converging = await simulateSeeds(replicatedRegister(true), { seeds: seedsToFind });
    expect(converging.runs).to.equal(seedsToFind);
  });

  it('pauses the actors a scenario names for a while, as each seed plans: a short deadline mistakes a pause for a death', async () => {
    const summary = await runCampaign(watchdog(20), { seeds: seedsToFind });
    expect(summary.failed, 'some seed pauses the worker past 20 ms').to.not.equal(null);
    expect(summary.failed!.failures.map((failure) => failure.name)).to.deep.equal(['always: a live worker is never declared dead']);
    expect(describeResult(summary.failed!)).to.match(/pause at \d+ ms for \d+ ms/);
    await simulateSeeds(watchdog(500), { seeds: seedsToFind });
  });

  it('takes memory away with balloons on the vm subsystem, as each seed plans: an allocation that waits rides it out', async () => {
    const summary = await runCampaign(bufferWriter(0), { seeds: seedsToFind });
    expect(summary.failed, 'some seed inflates a balloon while a buffer is mapped').to.not.equal(null);
    expect(summary.failed!.failures.map((failure) => failure.name)).to.deep.equal(['always: every buffer is mapped']);
    expect(describeResult(summary.failed!)).to.match(/balloon of \d+ % of free memory at \d+ ms for \d+ ms/);
    await simulateSeeds(bufferWriter(1_000), { seeds: seedsToFind });
  });

  it('makes a dropped message a dead letter with its cause, never silence', async () => {
    const seeds = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const results = await Promise.all(seeds.map((seed) => runScenario(creditLedger(false), { seed, keepEvents: true })));
    const dropping = results.find((result) => result.faults.some((fault) => fault.kind === 'mail' && fault.drop > 0))!;
    expect(dropping.eventLog!.some((event) => event.includes('"kind":"dead-letter"') && event.includes('"reason":"fault-injected"'))).to.equal(true);
  });

  it('reports assertions that failed and sometimes-assertions that never held, and goes on', async () => {
    const checked = scenario({
      name: 'assertions',
      async workload(_kernel, sim) {
        for (let i = 0; i < 5; i++) {
          const draw = sim.random().int(10);
          sim.always('draws stay below 10', draw < 10);
          sim.always('draws are even', draw % 2 === 0);
          sim.sometimes('a draw of 100', draw === 100);
          await sim.sleep(1);
        }
        sim.expectReachable('the end of the loop');
        sim.expectReachable('a branch never taken');
        sim.reachable('the end of the loop');
      },
    });
    const result = await runScenario(checked, { seed: 1 });
    expect(result.failures.map((failure) => failure.name)).to.deep.equal(['always: draws are even']);
    expect(result.sometimesMissed).to.deep.equal(['a draw of 100', 'reached: a branch never taken']);
    expect(result.sometimesHeld).to.deep.equal(['reached: the end of the loop']);
  });

  it('refuses a scenario without a name or a workload, and checks that are not functions', () => {
    expect(() => scenario({ name: '', workload: async () => {} })).to.throw(TypeError, /name/);
    expect(() => scenario({ name: 'x' } as never)).to.throw(TypeError, /workload/);
    expect(() => scenario({ name: 'x', workload: async () => {}, invariants: { bad: 1 as never } })).to.throw(TypeError, /invariant 'bad'/);
    expect(() => scenario({ name: 'x', workload: async () => {}, liveness: { withinMs: -1 } })).to.throw(TypeError, /withinMs/);
  });
});
