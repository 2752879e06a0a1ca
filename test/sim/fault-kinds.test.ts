import { expect } from 'chai';
import fc from 'fast-check';
import { defineFaultKind, defineSubsystem } from '../../actors/plugin/index.js';
import { defaultSubsystems } from '../../boot/index.js';
import { describeResult, faultPlans, type PlannedSubsystemFault, runCampaign, runScenario, scenario, shrinkFaults } from '../../sim/index.js';

/** A toy subsystem with one fault kind: a gate that a fault shuts for a while. Its handle counts what passed. */
class Gate {
  open = true;
  passed = 0;
  refused = 0;
  tryPass(): void {
    if (this.open) this.passed++;
    else this.refused++;
  }
}

const gateShut = defineFaultKind({
  name: 'gate-shut',
  limits: { countMax: 2, forMsMax: 80 },
  fields: (limits) => ({ forMs: { min: 1, max: limits.forMsMax, integer: true, shrinks: true }, side: { min: 0, max: 1 } }),
  describe: () => 'gate shut',
  inject(kernel) {
    const gate = kernel.subsystem(gates);
    if (!gate.open) return undefined; // Already shut by the other fault: this one changes nothing.
    gate.open = false;
    return () => {
      gate.open = true;
    };
  },
});

const gates = defineSubsystem<Gate>({
  name: 'gate',
  module: import.meta.url,
  faultKinds: [gateShut],
  start: () => {
    const gate = new Gate();
    return { handle: () => gate };
  },
});

/** The gate of the last run, as its invariant found it. */
let lastGate: { passed: number; refused: number } | undefined;

/** Tries the gate every 10 ms for 200 ms: everything must pass, which a shut gate breaks. */
const gatedTraffic = (kinds: Record<string, Record<string, number>> = { 'gate-shut': {} }, killable = false) =>
  scenario({
    name: 'gated traffic',
    boot: { subsystems: [...defaultSubsystems, gates] },
    async workload(kernel, sim) {
      for (let i = 0; i < 20; i++) {
        kernel.subsystem(gates).tryPass();
        await sim.sleep(10);
      }
    },
    invariants: {
      'nothing refused': (kernel) => {
        const { passed, refused } = kernel.subsystem(gates);
        lastGate = { passed, refused };
        return refused === 0;
      },
    },
    liveness: { withinMs: 50, 'the gate opens again': (kernel) => kernel.subsystem(gates).open },
    faults: { kinds, windowMs: 200, ...(killable ? { killable: () => [], killsMax: 3 } : {}) },
  });

describe('sim: fault kinds that subsystems register', function () {
  this.timeout(30_000);

  it('injects a subsystem fault at its time, tells it as the kind does, and ends it after its while', async () => {
    const summary = await runCampaign(gatedTraffic(), { seeds: 30 });
    const failed = summary.failed!;
    expect(failed, 'some seed shuts the gate while traffic passes').to.not.equal(null);
    expect(failed.failures.map((failure) => failure.name)).to.deep.equal(['nothing refused']);
    expect(describeResult(failed)).to.match(/gate shut at \d+ ms for \d+ ms/);
    const shuts = failed.faults.filter((fault): fault is PlannedSubsystemFault => fault.kind === 'subsystem');
    expect(shuts.length).to.be.within(1, 2);
    for (const shut of shuts) {
      expect(shut.name).to.equal('gate-shut');
      expect(shut.atMs).to.be.within(0, 199);
      expect(shut.values.forMs).to.be.within(1, 80);
      expect(Number.isInteger(shut.values.forMs)).to.equal(true);
      expect(shut.values.side).to.be.within(0, 1);
    }
  });

  it('ends a fault after its while, and every fault still in force when the workload ends, before liveness', async () => {
    // Tries at 0, 10, ..., 190 ms. Shut from 35 to 55 ms: the tries at 40 and 50 are refused.
    const brief: PlannedSubsystemFault[] = [{ kind: 'subsystem', name: 'gate-shut', atMs: 35, values: { forMs: 20, side: 0 } }];
    await runScenario(gatedTraffic(), { seed: 1, plan: brief });
    expect(lastGate).to.deep.equal({ passed: 18, refused: 2 });
    // Shut at 185 ms for 5 s, past the workload's end: liveness must find the gate open.
    const lasting: PlannedSubsystemFault[] = [{ kind: 'subsystem', name: 'gate-shut', atMs: 185, values: { forMs: 5_000, side: 0 } }];
    const result = await runScenario(gatedTraffic(), { seed: 1, plan: lasting });
    expect(lastGate).to.deep.equal({ passed: 19, refused: 1 });
    expect(result.failures.map((failure) => failure.kind)).to.deep.equal(['invariant']);
  });

  it('shrinks a subsystem fault toward its smallest: fewer faults, a shorter while', async () => {
    const traffic = gatedTraffic();
    const seed = (await runCampaign(traffic, { seeds: 30 })).failed!.seed;
    const shrunk = await shrinkFaults(traffic, seed);
    expect(shrunk.plan).to.have.length(1);
    const [only] = shrunk.plan as PlannedSubsystemFault[];
    const original = shrunk.original.faults.find((fault) => (fault as PlannedSubsystemFault).atMs === only!.atMs) as PlannedSubsystemFault;
    // A shut that still covers one try (every 10 ms) is enough; halving stops short of one that covers none.
    expect(only!.values.forMs).to.be.below(Math.max(original.values.forMs! / 2 + 1, 11));
    expect(shrunk.result.failures).to.deep.equal(shrunk.original.failures);
    // `side` does not shrink: it is a choice, not a size.
    expect(only!.values.side).to.equal(original.values.side);
  });

  it('draws each kind from its own stream: turning one on moves no other draw', async () => {
    const withKinds = await runScenario(gatedTraffic({ 'gate-shut': {} }, true), { seed: 4 });
    const without = await runScenario(gatedTraffic({}, true), { seed: 4 });
    const kills = (faults: typeof withKinds.faults) => faults.filter((fault) => fault.kind === 'kill');
    expect(kills(withKinds.faults)).to.deep.equal(kills(without.faults));
    expect(without.faults.filter((fault) => fault.kind === 'subsystem')).to.deep.equal([]);
  });

  it("takes the limits a scenario gives over the kind's defaults, and draws within them in fast-check too", () => {
    fc.assert(
      fc.property(faultPlans(fc, gatedTraffic({ 'gate-shut': { countMax: 1, forMsMax: 3 } })), (plan) => {
        expect(plan.length).to.be.at.most(1);
        for (const fault of plan as PlannedSubsystemFault[]) {
          expect(fault.name).to.equal('gate-shut');
          expect(fault.values.forMs).to.be.within(1, 3);
          expect(fault.atMs).to.be.within(0, 199);
        }
      }),
    );
  });

  it('reports a kind that throws as it injects, and runs on', async () => {
    const broken = defineFaultKind({
      ...gateShut,
      name: 'gate-jam',
      inject: () => {
        throw new Error('the gate is welded shut');
      },
    });
    const jammed = defineSubsystem<Gate>({ name: 'gate', module: import.meta.url, faultKinds: [broken], start: () => ({ handle: () => new Gate() }) });
    const traffic = scenario({ ...gatedTraffic({ 'gate-jam': {} }), boot: { subsystems: [...defaultSubsystems, jammed] } });
    const result = await runScenario(traffic, { seed: 0, plan: [{ kind: 'subsystem', name: 'gate-jam', atMs: 20, values: { forMs: 10, side: 0 } }] });
    expect(result.failures.map((failure) => `${failure.kind} ${failure.name}: ${failure.detail}`)).to.deep.equal([
      'error fault gate-jam: Error: the gate is welded shut',
    ]);
  });

  it('names the kinds there are when a scenario asks for one no subsystem registers, and refuses bad limits', async () => {
    const unknown = await runScenario(gatedTraffic({ 'gate-jam': {} }), { seed: 0 });
    expect(unknown.failures[0]!.detail).to.match(/no booted subsystem registers the fault kind 'gate-jam'; the kinds are gate-shut/);
    const badName = await runScenario(gatedTraffic({ 'gate-shut': { forMsMin: 1 } }), { seed: 0 });
    expect(badName.failures[0]!.detail).to.match(/fault kind 'gate-shut' has no limit 'forMsMin'; it has countMax, forMsMax/);
    const badValue = await runScenario(gatedTraffic({ 'gate-shut': { countMax: 1.5 } }), { seed: 0 });
    expect(badValue.failures[0]!.detail).to.match(/countMax must be whole/);
    expect(() => defineFaultKind({ ...gateShut, name: 'Gate Shut' })).to.throw(TypeError, /lower case/);
    const fractional = await runScenario(gatedTraffic({ 'gate-shut': { forMsMax: 2.5 } }), { seed: 0 });
    expect(fractional.failures[0]!.detail).to.match(/field forMs is whole, and ranges from 1 to 2.5/);
  });

  it('refuses fault options nothing could be drawn from, before the run, naming the option', async () => {
    const withFaults = (faults: object) => scenario({ ...gatedTraffic({}), faults: faults as never });
    const cases: [object, RegExp][] = [
      [{ clocks: { driftMax: 0.95 } }, /clocks.driftMax must be within \[0, 0.9\]/],
      [{ messagesTo: () => [], delayMsMax: 0 }, /delayMsMax must be a whole number ≥ 1, got 0/],
      [{ killable: () => [], killsMax: 1.5 }, /killsMax must be a whole number ≥ 0, got 1.5/],
      [{ messagesTo: () => [], dropShareMax: 2 }, /dropShareMax must be a share in \[0, 1\], got 2/],
    ];
    for (const [faults, message] of cases) {
      const result = await runScenario(withFaults(faults), { seed: 0 });
      expect(result.failures.map((failure) => failure.name)).to.deep.equal(['plan']);
      expect(result.failures[0]!.detail).to.match(message);
    }
  });
});
