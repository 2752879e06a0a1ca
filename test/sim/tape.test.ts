import { expect } from 'chai';
import { isTape, runScenario, TapeMismatchError, type Tape } from '../../sim/index.js';
import { creditLedger, lostUpdateCounter } from './fixtures/examples.js';

describe('sim: tapes of random draws', function () {
  this.timeout(30_000);

  it('a run replays from its tape, also after a trip through JSON: the same events and the same failure', async () => {
    const recorded = await runScenario(lostUpdateCounter, { seed: 0, recordTape: true });
    expect(recorded.ok).to.equal(false);
    const tape = JSON.parse(JSON.stringify(recorded.tape)) as Tape;
    expect(isTape(tape)).to.equal(true);
    expect(Object.keys(tape.streams)).to.include('/sim.client-0');
    const replayed = await runScenario(lostUpdateCounter, { seed: 0, tape });
    expect(replayed.eventHash).to.equal(recorded.eventHash);
    expect(replayed.failures).to.deep.equal(recorded.failures);
  });

  it('records the fault plan and the fate of each faulted message too', async () => {
    const recorded = await runScenario(creditLedger(false), { seed: 3, recordTape: true });
    expect(Object.keys(recorded.tape!.streams)).to.include.members(['/sim.faults']);
    const replayed = await runScenario(creditLedger(false), { seed: 3, tape: recorded.tape! });
    expect(replayed.eventHash).to.equal(recorded.eventHash);
    expect(replayed.faults).to.deep.equal(recorded.faults);
  });

  it('past the end of a stream draws from the seed: an empty tape is the seed run', async () => {
    const seedRun = await runScenario(lostUpdateCounter, { seed: 4 });
    const replayed = await runScenario(lostUpdateCounter, { seed: 4, tape: { seed: 4, streams: {} } });
    expect(replayed.eventHash).to.equal(seedRun.eventHash);
  });

  it('an edited tape is another run; a draw that cannot be what the run asks for is refused', async () => {
    const recorded = await runScenario(lostUpdateCounter, { seed: 0, recordTape: true });
    const streams = { ...recorded.tape!.streams };
    // The first client thinks for no time at all.
    streams['/sim.client-0'] = streams['/sim.client-0']!.map(() => 0);
    const edited = await runScenario(lostUpdateCounter, { seed: 0, tape: { seed: 0, streams } });
    expect(edited.eventHash).to.not.equal(recorded.eventHash);
    const broken = { seed: 0, streams: { ...recorded.tape!.streams, '/sim.client-0': [0.5] } };
    const result = await runScenario(lostUpdateCounter, { seed: 0, tape: broken });
    expect(result.failures.some((failure) => failure.detail.includes('TapeMismatchError') || failure.detail.includes("stream '/sim.client-0'"))).to.equal(true);
    expect(new TapeMismatchError('/x', 0, 0.5, 'an integer').message).to.include("stream '/x'");
  });
});
