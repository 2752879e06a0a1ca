import { expect } from 'chai';
import fc from 'fast-check';
import type { ActorRef, Kernel } from '../../boot/index.js';
import { checkDeterminism, describeResult, faultPlans, type PlannedFault, runScenario, scenario, type Sim } from '../../sim/index.js';
import { CpuCounter, type CpuCounterMsg } from './fixtures/cpu-counter.js';

/**
 * A counter on CPU 2 of 3, which a client adds to every 5 ms, retrying an add that failed (up to 10
 * times; an ask waits longer than any pause, so a retry never doubles an add): the count lives in the
 * counter's memory, so a crash of its CPU loses it.
 */
const counterOnCpu2 = (cpus: { readonly restarts?: boolean } = {}) =>
  scenario({
    name: 'a counter on cpu 2',
    boot: { cpus: 3, modules: [new URL('./fixtures/cpu-counter.js', import.meta.url)] },
    setup: async (kernel: Kernel) => kernel.spawned(kernel.spawn(CpuCounter, { cpu: 2 })),
    async workload(_kernel: Kernel, sim: Sim, counter: ActorRef<CpuCounterMsg>) {
      for (let i = 0; i < 40; i++) {
        for (let attempt = 0; attempt < 10; attempt++) {
          if (
            await counter.ask({ type: 'add', n: 1 }, { deadlineMs: 200 }).then(
              () => true,
              () => false,
            )
          )
            break;
          await sim.sleep(5);
        }
        await sim.sleep(5);
      }
    },
    invariants: { 'every add counts': async (_kernel: Kernel, _sim: Sim, counter: ActorRef<CpuCounterMsg>) => (await counter.ask({ type: 'get' })) === 40 },
    liveness: {
      withinMs: 500,
      'the counter answers': async (_kernel: Kernel, _sim: Sim, counter: ActorRef<CpuCounterMsg>) =>
        await counter.ask({ type: 'get' }, { deadlineMs: 50 }).then(
          () => true,
          () => false,
        ),
    },
    faults: { cpus, windowMs: 200 },
  });

describe('sim: faults of simulated CPUs (pauses and crashes)', function () {
  this.timeout(30_000);

  it('pauses a CPU: its actors stand still, and nothing is lost', async () => {
    const plan: PlannedFault[] = [{ kind: 'cpu-pause', cpu: 2, atMs: 30, forMs: 80 }];
    const result = await runScenario(counterOnCpu2(), { seed: 0, plan });
    expect(result.ok, describeResult(result)).to.equal(true);
    expect(describeResult(result)).to.include('cpu 2 paused at 30 ms for 80 ms');
    // The pause held the client up: the run took longer than a calm one.
    const calm = await runScenario(counterOnCpu2(), { seed: 0, plan: [] });
    expect(result.simulatedMs).to.be.above(calm.simulatedMs);
  });

  it('crashes a CPU: the counter it held comes back empty behind the same ref, so the count is lost and liveness holds', async () => {
    const plan: PlannedFault[] = [{ kind: 'cpu-crash', cpu: 2, atMs: 50, restartAfterMs: 20 }];
    const result = await runScenario(counterOnCpu2(), { seed: 0, plan });
    expect(result.failures.map((failure) => `${failure.kind} ${failure.name}`)).to.deep.equal(['invariant every add counts']);
    expect(describeResult(result)).to.include('cpu 2 crashes at 50 ms, back 20 ms later');
  });

  it('leaves a crashed CPU down when the plan says so: the counter never answers again', async () => {
    const plan: PlannedFault[] = [{ kind: 'cpu-crash', cpu: 2, atMs: 50 }];
    const result = await runScenario(counterOnCpu2(), { seed: 0, plan });
    expect(describeResult(result)).to.include('cpu 2 crashes at 50 ms, for good');
    expect(result.failures.map((failure) => `${failure.kind} ${failure.name}`)).to.deep.equal(['error every add counts', 'liveness the counter answers']);
  });

  it('ends the CPU faults with the workload: a pause or a restart still to come is over before the invariants', async () => {
    let states: readonly string[] = [];
    const watched = scenario({
      ...counterOnCpu2(),
      invariants: {
        'every cpu is up': (kernel: Kernel) => {
          states = kernel.cpuStates();
          return true;
        },
      },
    });
    for (const plan of [
      [{ kind: 'cpu-pause', cpu: 1, atMs: 10, forMs: 10_000 }],
      [{ kind: 'cpu-crash', cpu: 1, atMs: 10, restartAfterMs: 10_000 }],
    ] as PlannedFault[][]) {
      const result = await runScenario(watched, { seed: 0, plan });
      expect(result.ok, describeResult(result)).to.equal(true);
      expect(states).to.deep.equal(['up', 'up', 'up']);
      expect(result.simulatedMs).to.be.below(10_000);
    }
  });

  it('refuses CPU faults on a kernel of one CPU, before the run', async () => {
    const one = scenario({ ...counterOnCpu2(), boot: {}, faults: { cpus: {} } });
    const result = await runScenario(one, { seed: 0 });
    expect(result.failures.map((failure) => `${failure.kind} ${failure.name}`)).to.deep.equal(['error plan']);
    expect(result.failures[0]!.detail).to.match(/cpus faults need a kernel of several CPUs/);
  });

  it('draws CPU faults on CPUs 1 and up only, and replays a run with them from its seed', async () => {
    fc.assert(
      fc.property(faultPlans(fc, counterOnCpu2()), (plan) => {
        for (const fault of plan) {
          if (fault.kind !== 'cpu-pause' && fault.kind !== 'cpu-crash') continue;
          expect(fault.cpu).to.be.within(1, 2);
          if (fault.kind === 'cpu-crash') expect(fault.restartAfterMs).to.be.within(1, 100);
        }
      }),
    );
    const runs = [];
    for (let seed = 0; seed < 12; seed++) runs.push(await runScenario(counterOnCpu2(), { seed }));
    const crashed = runs.find((run) => run.faults.some((fault) => fault.kind === 'cpu-crash'));
    expect(crashed, 'some seed plans a crash').to.not.equal(undefined);
    expect((await checkDeterminism(counterOnCpu2(), crashed!.seed)).same).to.equal(true);
  });
});
