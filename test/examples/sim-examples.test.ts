import { expect } from 'chai';
import bank, { fixed as idempotentBank } from '../../examples/sim/bank.sim.js';
import lostUpdateCounter, { fixed as atomicCounter } from '../../examples/sim/counter.sim.js';
import eagerSupervisor, { fixed as patientSupervisor } from '../../examples/sim/eager-supervisor.sim.js';
import clockLease, { fixed as fencedLease } from '../../examples/sim/lease.sim.js';
import { runCampaign, type Scenario, shrinkFaults, simulateSeeds } from '../../sim/index.js';

/** Each known bug is found within this many seeds, and each fix passes as many. */
const seedsToFind = 20;

const examples: { name: string; buggy: Scenario<never>; fixed: Scenario<never>; broken: string; faultsMax: number }[] = [
  {
    name: 'lost-update counter',
    buggy: lostUpdateCounter as Scenario<never>,
    fixed: atomicCounter as Scenario<never>,
    broken: 'every increment counts',
    faultsMax: 0,
  },
  {
    name: 'double-applied transfer',
    buggy: bank as Scenario<never>,
    fixed: idempotentBank as Scenario<never>,
    broken: 'each transfer applies once',
    faultsMax: 1,
  },
  {
    name: 'lease trusted by clocks',
    buggy: clockLease as Scenario<never>,
    fixed: fencedLease as Scenario<never>,
    broken: 'no write of a lease follows a later lease',
    faultsMax: 1,
  },
  {
    name: 'eager supervisor',
    buggy: eagerSupervisor as Scenario<never>,
    fixed: patientSupervisor as Scenario<never>,
    broken: 'the service answers',
    faultsMax: 2,
  },
];

describe('examples/sim: known bugs found, shrunk, and their fixes passing', function () {
  this.timeout(60_000);

  for (const example of examples) {
    it(`${example.name}: found within ${seedsToFind} seeds, shrunk to at most ${example.faultsMax} fault(s); the fix passes as many seeds`, async () => {
      const failed = (await runCampaign(example.buggy, { seeds: seedsToFind })).failed;
      expect(failed, 'the bug is found').to.not.equal(null);
      expect(failed!.failures.map((failure) => failure.name)).to.include(example.broken);
      const shrunk = await shrinkFaults(example.buggy, failed!.seed);
      expect(shrunk.plan.length).to.be.at.most(example.faultsMax);
      expect(shrunk.result.failures.map((failure) => failure.name)).to.include(example.broken);
      await simulateSeeds(example.fixed, { seeds: seedsToFind });
    });
  }
});
