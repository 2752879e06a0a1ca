import { expect } from 'chai';
import { execFile, spawn } from 'node:child_process';
import { ospreyPath, runOsprey } from '../helpers/osprey-command.js';

/** Starts `osprey memcached ...args` on a free port; resolves once it prints where it listens. */
function startServer(...args: string[]) {
  const child = spawn(process.execPath, [ospreyPath, 'memcached', '-p', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = new Promise<number>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /listening on 127\.0\.0\.1:(\d+)/.exec(stdout);
      if (match !== null) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`osprey memcached exited with ${code} before listening: ${stdout}`)));
  });
  return { child, port, exited, output: () => stdout };
}

/** Resolves with `promise`, or fails after `ms` saying what did not happen (a hang shows where it hung). */
function within<T>(promise: Promise<T>, ms: number, what: string, output: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms; the server printed: ${output()}`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Runs Debian's memccapable (libmemcached-tools) against `port`, text protocol only. */
function memccapable(port: number): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile('memccapable', ['-a', '-t', '10', '-h', '127.0.0.1', '-p', String(port)], { timeout: 80_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : ((error as { code?: number }).code ?? 1), output: stdout + stderr });
    });
  });
}

describe('osprey memcached', function () {
  this.timeout(180_000);

  for (const threads of [1, 2]) {
    it(`passes memccapable’s text-protocol suite with -t ${threads}, and stops cleanly on SIGTERM`, async () => {
      const server = startServer('-m', '16', '-t', String(threads));
      try {
        const port = await within(server.port, 60_000, 'starting the server', server.output);
        const { code, output } = await within(memccapable(port), 90_000, 'memccapable', server.output);
        expect(output, output).to.include('All tests passed');
        expect(code).to.equal(0);
        server.child.kill('SIGTERM');
        expect(await within(server.exited, 20_000, 'stopping on SIGTERM', server.output)).to.equal(0);
        expect(server.output()).to.include('osprey memcached: stopped');
      } finally {
        // A failed check must not leave the server running under the rest of the suite.
        if (server.child.exitCode === null) server.child.kill('SIGKILL');
      }
    });
  }

  it('takes memcached’s flags and explains them in --help', async () => {
    const { code, stdout } = await runOsprey('memcached', '--help');
    expect(code).to.equal(0);
    for (const flag of ['-p, --port', '-l, --listen', '-m, --memory-limit', '-c, --conn-limit', '-t, --threads', '-I, --max-item-size'])
      expect(stdout).to.include(flag);
  });

  it('refuses a flag out of range with a clear message', async () => {
    const { code, stderr } = await runOsprey('memcached', '-m', '0');
    expect(code).to.not.equal(0);
    expect(stderr).to.match(/-m, --memory-limit.*'0' is not an integer in \[1, 3072\]/);
  });
});
