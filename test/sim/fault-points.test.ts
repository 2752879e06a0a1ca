import { expect } from 'chai';
import { ringFullSite } from '../../actors/cpu/outbox.js';
import { type Ask, fromSetup, Kernel } from '../../boot/index.js';
import { runScenario, scenario } from '../../sim/index.js';
import { counterOnCpus } from './fixtures/cpu-counter.js';

type CacheMsg = Ask<{ readonly type: 'get' }, 'hit' | 'reloaded'>;

/** Answers from its cache, but sometimes (a fault point in actor code) reloads first. */
const Cache = fromSetup<CacheMsg>(() => ({ receive: (message, ctx) => ctx.reply(message, ctx.maybe('cache: evicted') ? 'reloaded' : 'hit') }), 'Cache');

const answers: string[][] = [];
const cacheReads = scenario({
  name: 'cache reads',
  setup: (kernel: Kernel) => kernel.spawn(Cache),
  async workload(_kernel, sim, cache) {
    const run: string[] = [];
    answers.push(run);
    for (let i = 0; i < 40; i++) {
      run.push(await cache.ask({ type: 'get' }));
      await sim.sleep(1);
    }
  },
});

describe("sim: fault points in actors' and the runtime's code", function () {
  this.timeout(30_000);

  it("lets an actor's ctx.maybe take its rare path in some runs, named in the report, and never outside a simulation", async () => {
    answers.length = 0;
    const runs = [];
    for (let seed = 0; seed < 12; seed++) runs.push(await runScenario(cacheReads, { seed }));
    const fired = runs.filter((run) => run.firedSites.includes('cache: evicted'));
    expect(fired.length, 'on in some runs').to.be.within(1, runs.length - 1);
    for (const [index, run] of runs.entries()) {
      expect(answers[index]!.includes('reloaded'), `seed ${run.seed}`).to.equal(run.firedSites.includes('cache: evicted'));
    }
    const kernel = await Kernel.boot({ mode: 'simulated' });
    const cache = kernel.spawn(Cache);
    for (let i = 0; i < 40; i++) expect(await kernel.runUntil(cache.ask({ type: 'get' }))).to.equal('hit');
    await kernel.runUntil(kernel.shutdown());
  });

  it('takes a cross-CPU ring for full in some runs: the mail waits and arrives, none lost', async () => {
    const counter = counterOnCpus(2);
    const runs = [];
    for (let seed = 0; seed < 16; seed++) runs.push(await runScenario(counter, { seed }));
    for (const run of runs) expect(run.ok, `seed ${run.seed}: ${run.failures.map((failure) => failure.detail).join()}`).to.equal(true);
    expect(runs.some((run) => run.firedSites.includes(ringFullSite))).to.equal(true);
    // Switched off, the point never fires.
    const calm = scenario({ ...counter, faults: { faultPoints: false } });
    for (const run of runs.filter((fired) => fired.firedSites.includes(ringFullSite))) {
      expect((await runScenario(calm, { seed: run.seed })).firedSites).to.deep.equal([]);
    }
  });
});
