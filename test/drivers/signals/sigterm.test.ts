/**
 * SIGTERM end to end, in a real process: signal → interrupt vector → handler actor →
 * kernel.shutdown() → every stopped hook → the process exits 0 by itself.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const script = join(dirname(fileURLToPath(import.meta.url)), 'sigterm-child.js');
const guardMs = 15_000;

interface Outcome {
  readonly lines: string[];
  readonly stderr: string;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

function runUntilReadyThenTerm(): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    // Never hang the suite: a child that does not exit in time is killed and the test fails.
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child did not exit within ${guardMs} ms; stdout: ${JSON.stringify(stdout)} stderr: ${stderr}`));
    }, guardMs);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      if (!signalled && stdout.split('\n').includes('ready')) {
        signalled = true;
        child.kill('SIGTERM');
      }
    });
    child.stderr.on('data', (chunk: string) => void (stderr += chunk));
    child.on('error', (error) => {
      clearTimeout(guard);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      resolve({ lines: stdout.split('\n').filter((line) => line !== ''), stderr, code, signal });
    });
  });
}

describe('signals: SIGTERM shuts a real kernel down gracefully', function () {
  this.timeout(guardMs + 5_000);

  it('prints the stopped hook of an actor and exits 0 on its own', async () => {
    const outcome = await runUntilReadyThenTerm();
    expect(outcome.stderr).to.equal('');
    expect(outcome.lines).to.deep.equal(['ready', 'signal SIGTERM', 'ticker stopped: shutdown', 'kernel stopped']);
    expect(outcome.signal).to.equal(null);
    expect(outcome.code).to.equal(0);
  });
});
