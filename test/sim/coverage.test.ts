import { expect } from 'chai';
import { machineCoverage, runScenario } from '../../sim/index.js';
import { lightMachine, trafficLight } from './fixtures/examples.js';

const lightEvents = [{ type: 'timer' }, { type: 'power-failure' }, { type: 'power-restored' }];

describe('sim: machine coverage under faults', () => {
  it('names the transitions of a machine the runs never took', async () => {
    const runs = await Promise.all([0, 1, 2].map((seed) => runScenario(trafficLight(false), { seed, keepEvents: true })));
    const coverage = await machineCoverage(lightMachine, lightEvents, runs);
    expect(coverage.transitions).to.have.length(7);
    expect(coverage.covered).to.deep.equal(['green --timer--> yellow', 'red --timer--> green', 'yellow --timer--> red']);
    expect(coverage.missed).to.include('flashing --power-restored--> red');
  });

  it('covers the failure paths once the fault points fire', async () => {
    const runs = await Promise.all(Array.from({ length: 16 }, (_, seed) => runScenario(trafficLight(true), { seed, keepEvents: true })));
    const coverage = await machineCoverage(lightMachine, lightEvents, runs);
    expect(coverage.covered).to.include('flashing --power-restored--> red');
    expect(coverage.covered.filter((edge) => edge.includes('--power-failure--> flashing')).length).to.be.above(0);
  });

  it('needs the events of the runs', async () => {
    const run = await runScenario(trafficLight(false), { seed: 0 });
    const error = await machineCoverage(lightMachine, lightEvents, [run]).catch((thrown: unknown) => thrown);
    expect(error).to.be.instanceOf(RangeError);
  });
});
