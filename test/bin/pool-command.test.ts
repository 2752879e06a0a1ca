import { expect } from 'chai';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runOsprey } from '../helpers/osprey-command.js';

describe('osprey pool: pools on device files, as zpool handles them', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'osprey-pool-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a mirror on new files, shows its status as zpool status does, and lists it for import', async () => {
    const created = await runOsprey('pool', 'create', 'tank', 'mirror', join(dir, 'a.img'), join(dir, 'b.img'), '--size', '8M');
    expect(created.code, created.stderr).to.equal(0);
    expect(created.stdout).to.match(/^created pool tank: mirror, 2 device\(s\) of 8388608 bytes, guid [0-9a-f]{16}\n$/);
    const status = await runOsprey('pool', 'status', 'tank', '-d', dir);
    expect(status.code, status.stderr).to.equal(0);
    expect(status.stdout).to.include('  pool: tank\n state: ONLINE\nconfig:\n');
    expect(status.stdout).to.match(
      /\tNAME +STATE +READ WRITE CKSUM\n\ttank +ONLINE +0 +0 +0\n\t {2}mirror-0 +ONLINE +0 +0 +0\n\t {4}a\.img +ONLINE +0 +0 +0\n\t {4}b\.img +ONLINE +0 +0 +0\n/,
    );
    expect(status.stdout).to.include('errors: No known data errors');
    // One side gone: the pool is still there, degraded.
    rmSync(join(dir, 'b.img'));
    const listed = await runOsprey('pool', 'import', '-d', dir);
    expect(listed.code, listed.stderr).to.equal(0);
    expect(listed.stdout).to.match(/ {3}pool: tank\n {5}id: [0-9a-f]{16}\n {2}state: DEGRADED\n config: mirror\n\ta\.img\tONLINE\n\t[0-9a-f]{16}\tMISSING\n/);
    const degraded = await runOsprey('pool', 'status', 'tank', '-d', dir);
    expect(degraded.stdout)
      .to.match(/ state: DEGRADED\n/)
      .and.to.match(/\t {4}[^\s]+ +UNAVAIL/);
  });

  it('creates RAID-Z2 on four files, and gives a file back with any two of them gone', async () => {
    const files = ['a', 'b', 'c', 'd'].map((name) => join(dir, `${name}.img`));
    const created = await runOsprey('pool', 'create', 'tank', 'raidz2', ...files, '--size', '8M', '-O', 'checksum=sha256');
    expect(created.code, created.stderr).to.equal(0);
    expect(created.stdout).to.match(/^created pool tank: raidz2, 4 device\(s\) of 8388608 bytes/);
    const note = join(dir, 'note.txt');
    writeFileSync(note, 'raidz '.repeat(50_000));
    expect((await runOsprey('fs', 'put', 'tank:/note.txt', note, '-d', dir)).code).to.equal(0);
    const status = await runOsprey('pool', 'status', 'tank', '-d', dir);
    expect(status.stdout).to.match(/\ttank +ONLINE +0 +0 +0\n\t {2}raidz2-0 +ONLINE +0 +0 +0\n\t {4}a\.img +ONLINE/);
    rmSync(files[0]!);
    rmSync(files[2]!);
    const back = join(dir, 'back.txt');
    const got = await runOsprey('fs', 'get', 'tank:/note.txt', back, '-d', dir);
    expect(got.code, got.stderr).to.equal(0);
    expect(readFileSync(back, 'utf8')).to.equal('raidz '.repeat(50_000));
    expect((await runOsprey('pool', 'import', '-d', dir)).stdout).to.match(/state: DEGRADED\n config: raidz2\n/);
    rmSync(files[1]!);
    expect((await runOsprey('pool', 'import', '-d', dir)).stdout).to.match(/state: UNAVAIL\n config: raidz2\n/);
    const refused = await runOsprey('fs', 'get', 'tank:/note.txt', back, '-d', dir);
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.match(/^osprey fs: pool tank: devices .* are missing or too small, and its raidz2 layout needs them\n$/);
  });

  it('replaces a dead RAID-Z1 device by the name status gives it, and resilvers the new file', async () => {
    const files = ['a', 'b', 'c'].map((name) => join(dir, `${name}.img`));
    expect((await runOsprey('pool', 'create', 'tank', 'raidz', ...files, '--size', '8M')).code).to.equal(0);
    const note = join(dir, 'note.txt');
    writeFileSync(note, 'resilver '.repeat(40_000));
    expect((await runOsprey('fs', 'put', 'tank:/note.txt', note, '-d', dir)).code).to.equal(0);
    rmSync(files[1]!);
    const status = await runOsprey('pool', 'status', 'tank', '-d', dir);
    const dead = /\t {4}(\S+) +UNAVAIL/.exec(status.stdout)?.[1];
    expect(dead, status.stdout).to.be.a('string');
    // As zpool says it: the missing device, and the file it was (its labels keep the path).
    expect(status.stdout).to.include(`UNAVAIL      0     0     0  was ${resolve(files[1]!)}\n`);
    const replaced = await runOsprey('pool', 'replace', 'tank', dead!, join(dir, 'd.img'), '-d', dir);
    expect(replaced.code, replaced.stderr).to.equal(0);
    expect(replaced.stdout).to.match(/^ {2}scan: resilvered [1-9][0-9.]*[KM] in 00:00:0\d with 0 errors\n$/);
    expect((await runOsprey('pool', 'status', 'tank', '-d', dir)).stdout).to.match(/ state: ONLINE\n[\s\S]*\t {4}d\.img +ONLINE/);
    // a.img gone now: d.img stands in for b.img's columns.
    rmSync(files[0]!);
    const back = join(dir, 'back.txt');
    expect((await runOsprey('fs', 'get', 'tank:/note.txt', back, '-d', dir)).code).to.equal(0);
    expect(readFileSync(back, 'utf8')).to.equal('resilver '.repeat(40_000));
    // A name that is no device of the pool: one line, and no new file left behind.
    const refused = await runOsprey('pool', 'replace', 'tank', 'nope', join(dir, 'e.img'), '-d', dir);
    expect([refused.code, refused.stderr]).to.deep.equal([1, 'osprey pool: pool tank: no device of the pool is "nope"\n']);
    expect(existsSync(join(dir, 'e.img'))).to.equal(false);
  });

  it('replaces a missing device by the file it was, and then says the new file was the device once it goes missing', async () => {
    const files = ['m1', 'm2', 'm3'].map((name) => join(dir, `${name}.img`));
    expect((await runOsprey('pool', 'create', 'mir', 'mirror', files[0]!, files[1]!, '--size', '8M')).code).to.equal(0);
    rmSync(files[1]!);
    const replaced = await runOsprey('pool', 'replace', 'mir', files[1]!, files[2]!, '-d', dir);
    expect(replaced.code, replaced.stderr).to.equal(0);
    rmSync(files[2]!);
    expect((await runOsprey('pool', 'status', 'mir', '-d', dir)).stdout).to.include(`UNAVAIL      0     0     0  was ${resolve(files[2]!)}\n`);
  });

  it('says what is wrong in one line and exits 1, leaving no half-made pool behind', async () => {
    const refusals = [
      [['pool', 'status', 'nope', '-d', dir], /^osprey pool: pool nope: no device given holds a pool of this name\n$/],
      [['pool', 'status', 'tank', '-d', join(dir, 'missing')], /^osprey pool: cannot read the directory .*missing\n$/],
      [['pool', 'create', '9lives', join(dir, 'c.img'), '--size', '8M'], /^osprey pool: pool 9lives: a pool name is a letter/],
      [['pool', 'create', 'tank', join(dir, 'tiny.img'), '--size', '1K'], /^osprey pool: .*size/],
      [
        ['pool', 'create', 'tank', join(dir, 'c.img'), '--size', '8M', '-O', 'checksum=crc32'],
        /^osprey pool: pool tank: checksum "crc32": it is one of fletcher4, sha256\n$/,
      ],
      [['pool', 'create', 'tank', join(dir, 'c.img'), '--size', '8M', '-O', 'compression=on'], /'compression' is not a property here/],
    ] as const;
    for (const [args, message] of refusals) {
      const run = await runOsprey(...args);
      expect(run.code, args.join(' ')).to.equal(1);
      expect(run.stderr, args.join(' ')).to.match(message);
    }
    expect(existsSync(join(dir, 'c.img')), 'the refused pool left no file').to.equal(false);
    const created = await runOsprey('pool', 'create', 'tank', join(dir, 'd.img'), '--size', '8M');
    expect(created.code).to.equal(0);
    const again = await runOsprey('pool', 'create', 'tank', join(dir, 'd.img'), '--size', '8M');
    expect(again.stderr).to.match(/d\.img exists already: a device is created as a new file\n$/);
    const listed = await runOsprey('pool', 'import', '-d', join(dir));
    expect(listed.stdout).to.match(/pool: tank/);
  });

  it('scrubs a mirror one side of which was overwritten: repairs it, then finds nothing', async () => {
    const [a, b] = [join(dir, 'a.img'), join(dir, 'b.img')];
    expect((await runOsprey('pool', 'create', 'tank', 'mirror', a, b, '--size', '8M')).code).to.equal(0);
    const note = join(dir, 'note.txt');
    writeFileSync(note, 'x'.repeat(100_000));
    expect((await runOsprey('fs', 'put', 'tank:/note.txt', note, '-d', dir)).code).to.equal(0);
    rmSync(note);
    // The start of b's data area (past its two front labels, 512 KiB) overwritten with garbage.
    const side = openSync(b, 'r+');
    writeSync(side, new Uint8Array(1 << 20).fill(0xa5), 0, 1 << 20, 512 << 10);
    closeSync(side);
    const first = await runOsprey('pool', 'scrub', 'tank', '-d', dir);
    expect(first.code, first.stderr).to.equal(0);
    expect(first.stdout).to.match(/^ {2}scan: scrub repaired [1-9][0-9.]*[BKM] in 00:00:0\d with 0 errors\n$/);
    const second = await runOsprey('pool', 'scrub', 'tank', '-d', dir);
    expect(second.stdout).to.match(/^ {2}scan: scrub repaired 0B in 00:00:0\d with 0 errors\n$/);
    // Status reports the last scrub, kept with the pool, as zpool status does.
    expect((await runOsprey('pool', 'status', 'tank', '-d', dir)).stdout).to.match(
      / state: ONLINE\n {2}scan: scrub repaired 0B in 00:00:0\d with 0 errors\nconfig:/,
    );
  });

  it('destroys a pool: no import finds it, and its name can be taken again on the same files', async () => {
    const [a, b] = [join(dir, 'a.img'), join(dir, 'b.img')];
    expect((await runOsprey('pool', 'create', 'tank', 'mirror', a, b, '--size', '8M')).code).to.equal(0);
    const destroyed = await runOsprey('pool', 'destroy', 'tank', '-d', dir);
    expect(destroyed.code, destroyed.stderr).to.equal(0);
    expect((await runOsprey('pool', 'import', '-d', dir)).stdout).to.equal(`no pools available to import in ${dir}\n`);
    const status = await runOsprey('pool', 'status', 'tank', '-d', dir);
    expect([status.code, status.stderr]).to.deep.equal([1, 'osprey pool: pool tank: no device given holds a pool of this name\n']);
  });
});
