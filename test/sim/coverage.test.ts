import { expect } from 'chai';
import { interruptHandler, interrupts } from '../../actors/irq/index.js';
import type { Kernel } from '../../boot/index.js';
import eagerSupervisor from '../../examples/sim/eager-supervisor.sim.js';
import { kernelMachineCoverage, machineCoverage, runScenario, scenario, type SimulationResult } from '../../sim/index.js';
import { bufferWriter, lightMachine, trafficLight, volatileTally } from './fixtures/examples.js';

/** A device that raises an interrupt every 5 ms, whose handler is paused now and then (a busy CPU). */
const busyDevice = scenario({
  name: 'a busy device',
  async setup(kernel: Kernel) {
    const irq = kernel.subsystem(interrupts);
    const handler = kernel.spawn(interruptHandler<number>(() => {}));
    return { vector: await irq.allocate({ name: 'device', handler: handler as never }), handler };
  },
  async workload(kernel, sim, { vector }) {
    for (let i = 0; i < 40; i++) {
      kernel.subsystem(interrupts).raise(vector, i);
      await sim.sleep(5);
    }
  },
  faults: { pausable: (_kernel, { handler }) => [handler], windowMs: 200 },
});

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

  it("covers the kernel's own machines: supervisors under kills and stalls, memory pressure under balloons, interrupt lines", async () => {
    const runs: SimulationResult[] = [];
    for (let seed = 0; seed < 4; seed++) {
      for (const traffic of [volatileTally, eagerSupervisor, bufferWriter(0), busyDevice])
        runs.push(await runScenario(traffic as never, { seed, keepEvents: true }));
    }
    const [supervisors, pressure, lines] = await kernelMachineCoverage(runs);
    expect(supervisors!.machine).to.equal('supervisor');
    expect(supervisors!.covered).to.include.members([
      'running --child.restart-needed--> {"restarting":"working"}',
      '{"restarting":"working"} --restart.done--> running',
      'running --child.restart-needed--> escalating',
      'escalating --children.down--> failed',
    ]);
    // No scenario here backs off, and none shuts a supervisor down during its workload.
    expect(supervisors!.missed).to.include('running --child.restart-needed--> {"restarting":"backingOff"}');
    expect(pressure!.covered).to.include('normal --vm.memory-low--> pressure');
    expect(lines!.covered).to.include.members([
      'idle --irq.raise--> pending',
      'pending --irq.service-start--> inService',
      'inService --irq.drain-done--> idle',
    ]);
  });

  it('needs the events of the runs', async () => {
    const run = await runScenario(trafficLight(false), { seed: 0 });
    const error = await machineCoverage(lightMachine, lightEvents, [run]).catch((thrown: unknown) => thrown);
    expect(error).to.be.instanceOf(RangeError);
  });
});
