import { expect } from 'chai';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { ospreyPath as osprey, runOsprey as run } from '../helpers/osprey-command.js';

const example = (name: string) => fileURLToPath(new URL(`../../examples/sim/${name}.sim.js`, import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`../sim/fixtures/${name}.sim.js`, import.meta.url));

describe('the osprey command', function () {
  this.timeout(60_000);

  it('osprey sim runs a campaign and prints the line that reproduces the first failure', async () => {
    const { code, stdout } = await run('sim', example('counter'), '--seeds', '10');
    expect(code).to.equal(1);
    expect(stdout).to.match(/lost-update counter, seed (\d+): FAILED/);
    const seed = /seed (\d+): FAILED/.exec(stdout)![1]!;
    expect(stdout).to.include(`reproduce: npx osprey sim ${example('counter')} --seed ${seed}`);
    // The line reproduces it.
    const again = await run('sim', example('counter'), '--seed', seed);
    expect(again.code).to.equal(1);
    expect(again.stdout).to.include(`seed ${seed}: FAILED`);
    // The seed's fault plan comes first.
    expect(again.stdout.split('\n')[0]).to.equal(`lost-update counter, seed ${seed}: no faults`);
    expect(again.stdout).to.include("invariant 'every increment counts'");
  });

  it("osprey sim --export runs a module's other scenario, and its reproduction line names it", async () => {
    const { code, stdout } = await run('sim', example('bank'), '--export', 'default', '--seeds', '20');
    expect(code).to.equal(1);
    const seed = /seed (\d+): FAILED/.exec(stdout)![1]!;
    expect(stdout).to.include(`reproduce: npx osprey sim ${example('bank')} --export default --seed ${seed}`);
    const fixed = await run('sim', example('bank'), '--export', 'fixed', '--seed', seed);
    expect(fixed.code, fixed.stdout).to.equal(0);
    expect(fixed.stdout).to.include(`bank with idempotent transfers, seed ${seed}: ok`);
  });

  it('osprey sim passes a correct scenario, and reports seeds per hour', async () => {
    const { code, stdout } = await run('sim', example('counter'), '--export', 'fixed', '--seeds', '20');
    expect(code, stdout).to.equal(0);
    expect(stdout).to.match(/20 seed\(s\) in [\d.]+ s: \d+ seeds per hour/);
    expect(stdout).to.include('every seed passed');
  });

  it('osprey sim --check-determinism runs a seed twice', async () => {
    const { code, stdout } = await run('sim', example('counter'), '--export', 'fixed', '--seed', '3', '--check-determinism');
    expect(code).to.equal(0);
    expect(stdout).to.include('seed 3: the same run twice, event for event');
  });

  it('osprey sim --save-tape writes the run, and --replay runs it again, event for event', async () => {
    const tape = join(mkdtempSync(join(tmpdir(), 'osprey-tape-')), 'run.tape.json');
    const saved = await run('sim', example('counter'), '--seed', '0', '--save-tape', tape);
    expect(saved.stdout).to.include(`tape written to ${tape}`);
    const hash = /hash ([0-9a-f]{8})/.exec(saved.stdout)![1]!;
    const replayed = await run('sim', example('counter'), '--replay', tape);
    expect(replayed.code).to.equal(1);
    expect(replayed.stdout).to.include(`hash ${hash}`);
    const notATape = await run('sim', example('counter'), '--replay', osprey.replace('osprey.js', 'demo.js'));
    expect(notATape.code).to.not.equal(0);
    expect(notATape.stderr).to.include('is not a tape');
  });

  it('osprey sim --shrink prints the seed faults and the fewest that still break it', async () => {
    const { code, stdout } = await run('sim', fixture('tally'), '--seed', '0', '--shrink');
    expect(code).to.equal(1);
    expect(stdout).to.match(/volatile tally, seed 0: kill at \d+ ms, kill at \d+ ms/);
    expect(stdout).to.match(/shrunk in \d+ runs to: kill at \d+ ms\n/);
    expect(stdout).to.match(/its draws, in \d+ runs: \d+ of \d+ moved toward zero/);
  });

  it('osprey sim --shrink --save-tape saves the shrunk run, which --replay runs again', async () => {
    const tape = join(mkdtempSync(join(tmpdir(), 'osprey-tape-')), 'shrunk.tape.json');
    const shrunk = await run('sim', example('bank'), '--seed', '4', '--shrink', '--save-tape', tape);
    expect(shrunk.stdout).to.include(`shrunk tape written to ${tape}`);
    const hash = /FAILED \(\d+ events, \d+ ms simulated, hash ([0-9a-f]{8}); kill at \d+ ms\)/.exec(shrunk.stdout)![1]!;
    const replayed = await run('sim', example('bank'), '--replay', tape);
    expect(replayed.code).to.equal(1);
    expect(replayed.stdout).to.include(`hash ${hash}; kill at`);
  });

  it('refuses bad arguments and a module without a scenario, with usage', async () => {
    const bad = await run('sim', example('counter'), '--seeds', 'many');
    expect(bad.code).to.not.equal(0);
    expect(bad.stderr).to.include('a positive integer');
    const notScenario = await run('sim', osprey.replace('osprey.js', 'demo-actors.js'));
    expect(notScenario.code).to.not.equal(0);
    expect(notScenario.stderr).to.include('has no scenario as its default export');
    const noSuchExport = await run('sim', example('counter'), '--export', 'fixd');
    expect(noSuchExport.code).to.not.equal(0);
    expect(noSuchExport.stderr).to.include("has no scenario as its export 'fixd'");
    const help = await run('sim', '--help');
    expect(help.stdout).to.include('Usage: osprey sim [options] <scenario>');
    // The version, as every command prints it: the package's.
    const packageVersion = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
    const version = await run('--version');
    expect([version.code, version.stdout.trim()]).to.deep.equal([0, packageVersion]);
  });
});
