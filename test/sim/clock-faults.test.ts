import { expect } from 'chai';
import fc from 'fast-check';
import leases, { fixed as fencedLeases } from '../../examples/sim/lease.sim.js';
import { type Ask, fromSetup, Kernel, type ReplyHandle } from '../../boot/index.js';
import { checkDeterminism, describeResult, faultPlans, type PlannedFault, runCampaign, runScenario, scenario } from '../../sim/index.js';

type NapMsg = Ask<{ readonly type: 'nap' }, number> | { readonly type: 'woke' };

/** Answers a nap after 100 ms of its own clock, with what its clock read then. */
const Napper = fromSetup<NapMsg>(() => {
  let waiting: ReplyHandle<number> | null = null;
  return {
    receive(message, ctx) {
      if (message.type === 'nap') {
        waiting = ctx.replyLater(message);
        ctx.startTimer('nap', 100, { type: 'woke' });
      } else waiting?.resolve(ctx.now());
    },
  };
}, 'Napper');

/** On one CPU: how long 100 ms of the CPU's clock take in true time, and what the CPU's clock read; then the same once the workload is over. */
let measured: { trueMs: number; cpuMs: number } | undefined;
let measuredAfter: number | undefined;
const nap = scenario({
  name: 'a nap on one cpu',
  setup: (kernel: Kernel) => kernel.spawn(Napper),
  async workload(_kernel, sim, napper) {
    const fromMs = sim.now();
    const cpuMs = await napper.ask({ type: 'nap' });
    measured = { trueMs: sim.now() - fromMs, cpuMs };
  },
  invariants: {
    'a nap after the workload': async (_kernel, sim, napper) => {
      const fromMs = sim.now();
      await napper.ask({ type: 'nap' });
      measuredAfter = sim.now() - fromMs;
      return true;
    },
  },
  faults: { clocks: {} },
});

describe("sim: clock faults (drift and jumps of one CPU's clock)", function () {
  this.timeout(30_000);

  it('skews only the CPU a fault names: a slow client clock breaks the lease, a slow keeper clock does not', async () => {
    const slow = (cpu: number): PlannedFault[] => [{ kind: 'clock-drift', cpu, atMs: 0, forMs: 400, rate: 0.5 }];
    const slowClient = await runScenario(leases, { seed: 0, plan: slow(1) });
    expect(slowClient.failures.map((failure) => failure.name)).to.deep.equal(['no write of a lease follows a later lease']);
    expect(describeResult(slowClient)).to.include('clock of cpu 1 50 % slow at 0 ms for 400 ms');
    const slowKeeper = await runScenario(leases, { seed: 0, plan: slow(0) });
    expect(slowKeeper.ok, describeResult(slowKeeper)).to.equal(true);
    const calm = await runScenario(leases, { seed: 0, plan: [] });
    expect(calm.ok, describeResult(calm)).to.equal(true);
  });

  it('skews the one CPU of a one-CPU kernel too, while the workload sleeps on true time', async () => {
    await runScenario(nap, { seed: 0, plan: [{ kind: 'clock-drift', cpu: 0, atMs: 0, forMs: 1_000, rate: 0.5 }] });
    expect(measured).to.deep.equal({ trueMs: 200, cpuMs: 100 });
    // The drift was to last 1 s; it ended with the workload, at 200 ms.
    expect(measuredAfter).to.equal(100);
    await runScenario(nap, { seed: 0, plan: [] });
    expect(measured).to.deep.equal({ trueMs: 100, cpuMs: 100 });
    await runScenario(nap, { seed: 0, plan: [{ kind: 'clock-jump', cpu: 0, atMs: 30, byMs: 50 }] });
    expect(measured).to.deep.equal({ trueMs: 50, cpuMs: 100 });
  });

  it('refuses to wrap the clocks of a real kernel', async () => {
    const error = await Kernel.boot({ cpuClock: (_cpu, clock) => clock }).catch((thrown: unknown) => thrown);
    expect((error as Error).message).to.match(/cpuClock wraps simulated clocks/);
  });

  it('jumps a clock forward: the keeper whose clock leaps grants the lease early', async () => {
    const jump: PlannedFault[] = [{ kind: 'clock-jump', cpu: 0, atMs: 80, byMs: 40 }];
    const result = await runScenario(leases, { seed: 0, plan: jump });
    expect(result.failures.map((failure) => failure.name)).to.deep.equal(['no write of a lease follows a later lease']);
    expect(describeResult(result)).to.include('clock of cpu 0 jumps 40 ms at 80 ms');
    // (A lease is in force at 80 ms; a jump while none is changes nothing.) Fencing tokens make the store safe whatever the clocks say.
    expect((await runScenario(fencedLeases, { seed: 0, plan: jump })).ok).to.equal(true);
  });

  it('ends a drift at its time and every drift with the workload, and replays a skewed run from its seed', async () => {
    // The same drift as above, ended after 1 ms: the rest of the run is on true time, and no write comes late.
    const brief = await runScenario(leases, { seed: 0, plan: [{ kind: 'clock-drift', cpu: 1, atMs: 0, forMs: 1, rate: 0.5 }] });
    expect(brief.ok, describeResult(brief)).to.equal(true);
    const failed = (await runCampaign(leases, { seeds: 20 })).failed!;
    expect(failed.faults.some((fault) => fault.kind === 'clock-drift' || fault.kind === 'clock-jump')).to.equal(true);
    const { same } = await checkDeterminism(leases, failed.seed);
    expect(same).to.equal(true);
  });

  it("draws clock faults within the scenario's bounds, on its CPUs, in fast-check too", () => {
    fc.assert(
      fc.property(faultPlans(fc, leases), (plan) => {
        for (const fault of plan) {
          if (fault.kind !== 'clock-drift' && fault.kind !== 'clock-jump') continue;
          expect(fault.cpu).to.be.within(0, 2);
          expect(fault.atMs).to.be.within(0, 399);
          if (fault.kind === 'clock-drift') expect(fault.rate).to.be.within(0.8, 1.2);
          else expect(fault.byMs).to.be.within(1, 40);
        }
      }),
    );
  });
});
