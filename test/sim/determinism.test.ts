import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { runScenario } from '../../sim/index.js';
import { counterOnCpus } from './fixtures/cpu-counter.js';

/** The event hash of `seed` on `cpus` simulated CPUs, computed in a process of its own. */
function hashInAnotherProcess(cpus: number, seed: number): Promise<string> {
  const fixture = new URL('./fixtures/cpu-counter.js', import.meta.url).href;
  const harness = new URL('../../sim/index.js', import.meta.url).href;
  const script = `const { counterOnCpus } = await import(${JSON.stringify(fixture)}); const { runScenario } = await import(${JSON.stringify(harness)}); const result = await runScenario(counterOnCpus(${cpus}), { seed: ${seed} }); console.log(result.eventHash);`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 30_000 }, (error, stdout) =>
      error === null ? resolve(stdout.trim()) : reject(error),
    );
  });
}

describe('sim: the same seed is the same run', function () {
  this.timeout(60_000);

  for (const cpus of [1, 2, 3, 4]) {
    it(`on ${cpus} simulated CPU(s): twice in this process, and once in another`, async () => {
      const scenario = counterOnCpus(cpus);
      const first = await runScenario(scenario, { seed: 11 });
      const second = await runScenario(scenario, { seed: 11 });
      expect(first.ok, first.failures.map((failure) => failure.detail).join('; ')).to.equal(true);
      expect(second.eventHash).to.equal(first.eventHash);
      expect(second.events).to.equal(first.events);
      expect(await hashInAnotherProcess(cpus, 11)).to.equal(first.eventHash);
      // Another seed is another run.
      expect((await runScenario(scenario, { seed: 12 })).eventHash).to.not.equal(first.eventHash);
    });
  }

  it('faults the mail to an actor on another simulated CPU, and replays it', async () => {
    const scenario = counterOnCpus(2, true);
    const runs = await Promise.all(Array.from({ length: 12 }, (_, seed) => runScenario(scenario, { seed, keepEvents: true })));
    const dropped = runs.find((run) => run.eventLog!.some((event) => event.includes('"reason":"fault-injected"')));
    expect(dropped, 'some seed drops an ask to CPU 1').to.not.equal(undefined);
    // An ask dropped on its way to CPU 1 runs to its deadline: the workload fails, and says so.
    expect(dropped!.ok).to.equal(false);
    const again = await runScenario(scenario, { seed: dropped!.seed });
    expect(again.eventHash).to.equal(dropped!.eventHash);
  });
});
