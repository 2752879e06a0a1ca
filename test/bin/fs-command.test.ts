import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runOsprey } from '../helpers/osprey-command.js';

describe('osprey fs: files in a pool, named POOL:/path', function () {
  this.timeout(60_000);
  let dir: string;
  let devices: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'osprey-fs-'));
    devices = join(dir, 'devices');
    mkdirSync(devices);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('puts a file in, lists, cats, stats and gets it back byte for byte, across commands', async () => {
    expect((await runOsprey('pool', 'create', 'tank', 'mirror', join(devices, 'a.img'), join(devices, 'b.img'), '--size', '16M')).code).to.equal(0);
    const local = join(dir, 'blob.bin');
    const bytes = randomBytes(700_000); // several 128 KiB records, the last one partial
    writeFileSync(local, bytes);
    for (const args of [
      ['mkdir', 'tank:/data'],
      ['put', 'tank:/data/blob.bin', local],
    ]) {
      const run = await runOsprey('fs', ...args, '-d', devices);
      expect(run.code, run.stderr).to.equal(0);
    }
    expect((await runOsprey('fs', 'ls', 'tank:/', '-d', devices)).stdout).to.equal('data/\n');
    expect((await runOsprey('fs', 'ls', 'tank:/data', '-d', devices)).stdout).to.equal('blob.bin\n');
    expect((await runOsprey('fs', 'stat', 'tank:/data/blob.bin', '-d', devices)).stdout).to.match(/ {2}Type: file\n {2}Size: 700000 bytes\n/);
    const back = join(dir, 'back.bin');
    const got = await runOsprey('fs', 'get', 'tank:/data/blob.bin', back, '-d', devices);
    expect(got.code, got.stderr).to.equal(0);
    expect(readFileSync(back).equals(bytes)).to.equal(true);
    writeFileSync(local, 'short\n');
    await runOsprey('fs', 'put', 'tank:/data/blob.bin', local, '-d', devices);
    expect((await runOsprey('fs', 'cat', 'tank:/data/blob.bin', '-d', devices)).stdout).to.equal('short\n');
    expect((await runOsprey('fs', 'rm', 'tank:/data/blob.bin', '-d', devices)).code).to.equal(0);
    expect((await runOsprey('fs', 'rm', 'tank:/data', '--directory', '-d', devices)).code).to.equal(0);
    expect((await runOsprey('fs', 'ls', 'tank:/', '-d', devices)).stdout).to.equal('');
  });

  it('says what is wrong in one line, with the POSIX error, and exits 1', async () => {
    await runOsprey('pool', 'create', 'tank', join(devices, 'a.img'), '--size', '8M');
    await runOsprey('fs', 'mkdir', 'tank:/d', '-d', devices);
    const cases: [string[], RegExp][] = [
      [['cat', 'tank:/nope'], /^osprey fs: ENOENT: \/nope: no such file or directory\n$/],
      [['cat', 'tank:/d'], /^osprey fs: EISDIR: \/d: a directory\n$/],
      [['mkdir', 'tank:/d'], /^osprey fs: EEXIST: \/d: it exists\n$/],
      [['ls', 'other:/'], /^osprey fs: pool other: no device given holds a pool of this name\n$/],
      [['ls', 'tank'], /is not POOL:\/path/],
    ];
    for (const [args, message] of cases) {
      const run = await runOsprey('fs', ...args, '-d', devices);
      expect(run.code, args.join(' ')).to.equal(1);
      expect(run.stderr, args.join(' ')).to.match(message);
    }
  });
});
