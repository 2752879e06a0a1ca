/**
 * A simulated kernel nobody drives, in a real process: an `await` on its ask, spawn or shutdown
 * never settles, and the process must not end in silence (Node's bare exit code 13 for an
 * unsettled top-level await, or 0 when the await was not top-level).
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const script = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'undriven-child.js');
const guardMs = 15_000;

interface Outcome {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number | null;
}

/** Runs the child script on `scenario` until it exits by itself. */
function run(scenario: string): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, scenario], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    // Never hang the suite: a child that does not exit in time is killed and the test fails.
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child did not exit within ${guardMs} ms; stdout: ${JSON.stringify(stdout)} stderr: ${stderr}`));
    }, guardMs);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => void (stdout += chunk));
    child.stderr.on('data', (chunk: string) => void (stderr += chunk));
    child.on('error', (error) => {
      clearTimeout(guard);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({ stdout, stderr, code });
    });
  });
}

describe('boot: a simulated kernel nobody drives', function () {
  this.timeout(guardMs + 5_000);

  for (const scenario of ['top-level-ask', 'async-main-ask', 'top-level-spawn']) {
    it(`${scenario}: says so on stderr and exits 1, instead of ending in silence`, async () => {
      const outcome = await run(scenario);
      expect(outcome.stdout).to.equal('waiting\n');
      expect(outcome.stderr).to.include('simulated kernel');
      expect(outcome.stderr).to.include('kernel.runUntil(');
      expect(outcome.code).to.equal(1);
    });
  }

  it('driven: the same ask, spawn and shutdown through kernel.runUntil end quietly, with exit code 0', async () => {
    const outcome = await run('driven');
    expect(outcome.stderr).to.equal('');
    expect(outcome.stdout).to.equal('waiting\nanswer 1\nstopped\n');
    expect(outcome.code).to.equal(0);
  });

  it('many-kernels: 51 simulated kernels add one beforeExit listener, their shutdown removes it, a real kernel adds none', async () => {
    const outcome = await run('many-kernels');
    expect(outcome.stderr).to.equal(''); // no MaxListenersExceededWarning
    expect(outcome.stdout).to.equal('listeners 1\nlisteners 0\nlisteners 0\n');
    expect(outcome.code).to.equal(0);
  });

  it('left-running: a kernel nobody awaits may be left running at exit, in silence', async () => {
    const outcome = await run('left-running');
    expect(outcome.stderr).to.equal('');
    expect(outcome.stdout).to.equal('waiting\nanswer 1\n');
    expect(outcome.code).to.equal(0);
  });
});
