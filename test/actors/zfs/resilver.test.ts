/**
 * Replacing a device (`zpool replace`) and the resilver after it:
 * - a mirror's dead side, a RAID-Z1 device still present and a RAID-Z2 device with another missing
 *   are replaced, and the new device then holds its part of every block: the pool imports with the
 *   new device standing in for the others that are gone, every file right;
 * - the device replaced leaves the pool: its labels are cleared, and an import that is given it
 *   takes the new one;
 * - a crash at any instant of a replace leaves the pool as it was or with the new device, never
 *   anything that does not import, and every file right either way;
 * - a device that was away while groups were committed is resilvered at the next import, from the
 *   groups it missed; an import that would need it before that, with another gone, is refused;
 * - the device replaced is read from while its replacement is written, so a block only it holds
 *   whole is not lost; blocks no device gives are counted, and the replace goes on, as ZFS's does;
 * - a device too small, another pool's, or already the pool's is refused.
 */
import { expect } from 'chai';
import { createPool, Dataset, findPools, importPool, type Pool, PoolError, readLabels } from '../../../actors/zfs/index.js';
import type { BlockDevice, MemoryDevice } from '../../../drivers/block/index.js';
import { FailingDevice } from './helpers/failing-device.js';
import { simulatedStorage } from './helpers/simulated-storage.js';

const fileOf = (index: number) => Uint8Array.from({ length: [500, 9000, 70_000][index % 3]! }, (_, at) => (index * 29 + at * 3 + (at >> 10)) & 0xff);
const files = 9;

type Booted = Awaited<ReturnType<typeof simulatedStorage>>;

async function filledPool(booted: Booted, layout: 'mirror' | 'raidz1' | 'raidz2', disks: readonly BlockDevice[]): Promise<void> {
  const { kernel, zfs } = booted;
  const pool = await kernel.runUntil(createPool(zfs, { name: 'tank', layout, devices: disks }));
  const fs = await kernel.runUntil(Dataset.open(pool, { fileBlockBytes: 8192 }));
  for (let index = 0; index < files; index++) await kernel.runUntil(fs.writeFile(`/f${index}`, fileOf(index)));
  await kernel.runUntil(pool.export());
}

async function expectFiles(booted: Booted, pool: Pool, what: string): Promise<void> {
  const fs = await booted.kernel.runUntil(Dataset.open(pool));
  for (let index = 0; index < files; index++)
    expect(Buffer.from(await booted.kernel.runUntil(fs.readFile(`/f${index}`))).equals(fileOf(index)), `${what}: /f${index}`).to.equal(true);
}

/** Imports `tank` from `disks`, checks every file and exports it; returns the names of the devices it took. */
async function importChecked(booted: Booted, disks: readonly BlockDevice[], what: string): Promise<(string | undefined)[]> {
  const pool = await booted.kernel.runUntil(importPool(booted.zfs, disks, 'tank'));
  await expectFiles(booted, pool, what);
  const names = pool.blockDevices.map((device) => device?.name);
  await booted.kernel.runUntil(pool.export());
  return names;
}

describe('zfs: replacing a device, and the resilver', function () {
  this.timeout(120_000);

  it('resilvers a mirror’s dead side onto a new device, which then holds every file alone', async () => {
    const booted = await simulatedStorage(21, [0.05, 0.5]);
    const { kernel, zfs, disk } = booted;
    const [a, b, c] = [disk('a'), disk('b'), disk('c')];
    await filledPool(booted, 'mirror', [a, b]);
    // b is dead: the pool imports without it, and b is replaced by the name status gives it.
    const pool = await kernel.runUntil(importPool(zfs, [a], 'tank'));
    const dead = pool.status().devices[1]!;
    expect(dead.state).to.equal('missing');
    const result = await kernel.runUntil(pool.replace(dead.name, c));
    expect(result).to.include({ kind: 'resilver', unrecoverableBlocks: 0, complete: true });
    expect(result.repairedBytes, 'bytes written to the new device').to.be.greaterThan(files * 500);
    expect(pool.status().state).to.equal('online');
    expect(pool.status().scan).to.deep.include({ state: 'finished', kind: 'resilver' });
    await expectFiles(booted, pool, 'after the resilver');
    await kernel.runUntil(pool.export());
    // The resilver's result is kept with the pool: a later import reports it.
    const reimported = await kernel.runUntil(importPool(zfs, [a, c], 'tank'));
    expect(reimported.status().scan).to.deep.equal({ state: 'finished', ...result });
    await kernel.runUntil(reimported.export());
    expect(await importChecked(booted, [c], 'the new side alone')).to.deep.equal([undefined, 'c']);
    // Given the old side too, an import takes the new one: b is no device of the pool any more.
    expect(await importChecked(booted, [a, b, c], 'all three given')).to.deep.equal(['a', 'c']);
    await kernel.runUntil(kernel.shutdown());
  });

  it('replaces a RAID-Z1 device still present: its labels are cleared, and the new one holds its columns', async () => {
    const booted = await simulatedStorage(22, [0.05, 0.5]);
    const { kernel, zfs, disk } = booted;
    const disks = [disk('d0'), disk('d1'), disk('d2')];
    const fresh = disk('d3');
    await filledPool(booted, 'raidz1', disks);
    const pool = await kernel.runUntil(importPool(zfs, disks, 'tank'));
    const progress: number[] = [];
    const result = await kernel.runUntil(pool.replace('d1', fresh, (seen) => progress.push(seen.examinedBytes)));
    expect(result.unrecoverableBlocks).to.equal(0);
    expect(progress.length).to.equal(result.blocks);
    expect(progress.every((bytes, index) => index === 0 || bytes >= progress[index - 1]!)).to.equal(true);
    await kernel.runUntil(pool.export());
    expect(findPools([await kernel.runUntil(readLabels(disks[1]!))]), 'the replaced device names no pool').to.deep.equal([]);
    // With d0 gone as well, d3 must give d1's columns: every file comes back.
    expect(await importChecked(booted, [disks[2]!, fresh], 'd0 gone, d3 for d1')).to.deep.equal([undefined, 'd3', 'd2']);
    await kernel.runUntil(kernel.shutdown());
  });

  it('replaces one of two missing RAID-Z2 devices, and refuses what it cannot do', async () => {
    const booted = await simulatedStorage(23, [0.05, 0.5]);
    const { kernel, zfs, disk } = booted;
    const disks = [disk('d0'), disk('d1'), disk('d2'), disk('d3')];
    await filledPool(booted, 'raidz2', disks);
    const pool = await kernel.runUntil(importPool(zfs, disks.slice(0, 2), 'tank'));
    const refusal = (which: number | string, device: MemoryDevice) => kernel.runUntil(pool.replace(which, device).catch((error: unknown) => error));
    // Too small, of another pool, no such device, a device of the pool already.
    expect(await refusal(2, disk('small', 4 << 20)))
      .to.be.instanceOf(PoolError)
      .and.include({ reason: 'bad-device' });
    const other = disk('other');
    const otherPool = await kernel.runUntil(createPool(zfs, { name: 'other', layout: 'single', devices: [other] }));
    await kernel.runUntil(otherPool.export());
    expect(await refusal(2, other)).to.include({ reason: 'in-use' });
    expect(await refusal('nope', disk('x'))).to.include({ reason: 'no-such-device' });
    expect(await refusal(2, disks[0]!)).to.include({ reason: 'in-use' });
    const fresh = disk('d4');
    await kernel.runUntil(pool.replace(2, fresh));
    expect(pool.status().devices.map((device) => device.state)).to.deep.equal(['online', 'online', 'online', 'missing']);
    // A device that is there is still read from while its replacement is written, even with another missing.
    const fifth = disk('d5');
    await kernel.runUntil(pool.replace(0, fifth));
    await kernel.runUntil(pool.export());
    // The two new devices alone are two of four, all RAID-Z2 needs.
    await importChecked(booted, [fifth, fresh], 'd5 and d4, the new devices alone');
    await kernel.runUntil(kernel.shutdown());
  });

  it('reads the device it replaces, which may hold the only good copy, and counts the blocks lost before it', async () => {
    const booted = await simulatedStorage(25, [0.05, 0.5]);
    const { kernel, zfs, disk } = booted;
    const [a, b, c, d] = [disk('a'), disk('b'), disk('c'), disk('d')];
    await filledPool(booted, 'mirror', [a, b]);
    // Every data block of a overwritten: b holds the only good copies.
    const probe = await kernel.runUntil(importPool(zfs, [a, b], 'tank'));
    const blocks: { offsetBytes: number; allocatedBytes: number }[] = [];
    for (const id of await kernel.runUntil(probe.objects.ids())) {
      const dnode = await kernel.runUntil(probe.objects.stat(id));
      if (dnode.type === 'file' && dnode.levels === 1) blocks.push(...dnode.root.addresses);
    }
    await kernel.runUntil(probe.export());
    for (const block of blocks) await kernel.runUntil(a.write(block.offsetBytes, new Uint8Array(block.allocatedBytes).fill(0x77)));
    // With b there, replacing b reads it: d gets the good copies, and then stands alone.
    const both = await kernel.runUntil(importPool(zfs, [a, b], 'tank'));
    const result = await kernel.runUntil(both.replace(1, d));
    expect(result.unrecoverableBlocks).to.equal(0);
    await kernel.runUntil(both.export());
    await importChecked(booted, [d], 'd alone');
    // The replace's reads healed a. With both copies overwritten now, a replace of d goes on, as
    // ZFS's does: the blocks were lost before it, and it counts them.
    for (const side of [a, d])
      for (const block of blocks) await kernel.runUntil(side.write(block.offsetBytes, new Uint8Array(block.allocatedBytes).fill(0x77)));
    const lossy = await kernel.runUntil(importPool(zfs, [a, d], 'tank'));
    const counted = await kernel.runUntil(lossy.replace(1, c));
    expect(counted.unrecoverableBlocks).to.equal(blocks.length);
    expect(lossy.status().devices.map((device) => device.state)).to.deep.equal(['online', 'online']);
    await kernel.runUntil(lossy.export());
    await kernel.runUntil(kernel.shutdown());
  });

  it('gives no uberblock of the new configuration to a device whose labels did not take it, and mends it at the next import', async () => {
    const booted = await simulatedStorage(26, [0.05, 0.5]);
    const { kernel, zfs, disk } = booted;
    const a = new FailingDevice(disk('a'));
    const [b, c] = [disk('b'), disk('c')];
    await filledPool(booted, 'mirror', [a, b]);
    const pool = await kernel.runUntil(importPool(zfs, [a, b], 'tank'));
    // a refuses writes to its labels' configuration during the replace (its uberblock rings would
    // take them): c alone takes the new configuration, and a gets no uberblock of it.
    a.failConfigWrites = true;
    await kernel.runUntil(pool.replace(1, c));
    a.failConfigWrites = false;
    await kernel.runUntil(pool.export());
    // Both: a is behind (no uberblock of the new set): resilvered, relabelled, given the next group.
    const both = await kernel.runUntil(importPool(zfs, [a, c], 'tank'));
    expect(both.status().scan).to.deep.include({ state: 'finished', kind: 'resilver', unrecoverableBlocks: 0 });
    const fs = await kernel.runUntil(Dataset.open(both));
    await kernel.runUntil(fs.writeFile('/after', fileOf(2)));
    await kernel.runUntil(both.export());
    // a alone is now the pool as it stands, the file written after included.
    const alone = await kernel.runUntil(importPool(zfs, [a], 'tank'));
    await expectFiles(booted, alone, 'a alone');
    expect(Buffer.from(await kernel.runUntil((await kernel.runUntil(Dataset.open(alone))).readFile('/after'))).equals(fileOf(2))).to.equal(true);
    await kernel.runUntil(alone.export());
    await kernel.runUntil(kernel.shutdown());
  });

  it('resilvers a RAID-Z1 device that was away at the next import, from the groups it missed', async () => {
    const booted = await simulatedStorage(24, [0.05, 0.5]);
    const { kernel, zfs, disk } = booted;
    const [a, b, c] = [disk('a'), disk('b'), disk('c')];
    await filledPool(booted, 'raidz1', [a, b, c]);
    // c is away while the pool takes a new file and commits.
    const degraded = await kernel.runUntil(importPool(zfs, [a, b], 'tank'));
    const fs = await kernel.runUntil(Dataset.open(degraded));
    // Whole records of bytes that are not zero, so that no stale column of c holds them by chance.
    const late = Uint8Array.from({ length: 200_000 }, (_, at) => (at * 7 + 1) & 0xff);
    await kernel.runUntil(fs.writeFile('/late', late));
    await kernel.runUntil(degraded.export());
    // Back with c but without b: c lacks the new group, and a alone cannot give it. Refused, named.
    const refused = await kernel.runUntil(importPool(zfs, [a, c], 'tank').catch((error: unknown) => error));
    expect(refused).to.be.instanceOf(PoolError).and.include({ reason: 'missing-devices' });
    expect((refused as Error).message).to.match(/missing [0-9a-f]{16}; behind [0-9a-f]{16} \(from group \d+\)/);
    // All three: c is resilvered from the groups it missed, and takes the group committed after.
    const whole = await kernel.runUntil(importPool(zfs, [a, b, c], 'tank'));
    const scan = whole.status().scan;
    expect(scan).to.deep.include({ state: 'finished', kind: 'resilver', unrecoverableBlocks: 0, complete: true });
    // Only what it missed: well under its third of everything the pool holds.
    expect((scan as { repairedBytes: number }).repairedBytes, 'only what it missed')
      .to.be.greaterThan(0)
      .and.below(whole.status().usedBytes / 6);
    await kernel.runUntil(whole.export());
    // b gone now: c gives its columns of every group.
    const again = await kernel.runUntil(importPool(zfs, [a, c], 'tank'));
    await expectFiles(booted, again, 'a and the resilvered c');
    expect(Buffer.from(await kernel.runUntil((await kernel.runUntil(Dataset.open(again))).readFile('/late'))).equals(late)).to.equal(true);
    await kernel.runUntil(again.export());
    await kernel.runUntil(kernel.shutdown());
  });

  it('reads a device that missed only an uberblock when it is needed, and resilvers it', async () => {
    const booted = await simulatedStorage(27, [0.05, 0.5]);
    const { kernel, zfs, disk } = booted;
    const c = new FailingDevice(disk('c'));
    const [a, b] = [disk('a'), disk('b')];
    await filledPool(booted, 'raidz1', [a, b, c]);
    // c takes a group's blocks but not its uberblock (its label area refuses writes).
    const pool = await kernel.runUntil(importPool(zfs, [a, b, c], 'tank'));
    const fs = await kernel.runUntil(Dataset.open(pool));
    c.failLabelWrites = true;
    await kernel.runUntil(fs.writeFile('/late', fileOf(5)));
    await kernel.runUntil(pool.export());
    c.failLabelWrites = false;
    // a gone: b and c hold everything, c only lacks the uberblock. Read, verified, and resilvered.
    const again = await kernel.runUntil(importPool(zfs, [b, c], 'tank'));
    expect(again.status().scan).to.deep.include({ kind: 'resilver', unrecoverableBlocks: 0 });
    await expectFiles(booted, again, 'b and c');
    expect(Buffer.from(await kernel.runUntil((await kernel.runUntil(Dataset.open(again))).readFile('/late'))).equals(fileOf(5))).to.equal(true);
    await kernel.runUntil(again.export());
    await kernel.runUntil(kernel.shutdown());
  });

  it('imports with a device behind that fails its resilver writes, leaving it behind for next time', async () => {
    const booted = await simulatedStorage(28, [0.05, 0.5]);
    const { kernel, zfs, disk } = booted;
    const b = new FailingDevice(disk('b'));
    const a = disk('a');
    await filledPool(booted, 'mirror', [a, b]);
    const alone = await kernel.runUntil(importPool(zfs, [a], 'tank'));
    await kernel.runUntil((await kernel.runUntil(Dataset.open(alone))).writeFile('/late', fileOf(1)));
    await kernel.runUntil(alone.export());
    // b is back but refuses writes to its data: the import goes on without resilvering it.
    b.failDataWrites = true;
    const both = await kernel.runUntil(importPool(zfs, [a, b], 'tank'));
    await expectFiles(booted, both, 'a and a failing b');
    await kernel.runUntil(both.export());
    b.failDataWrites = false;
    // Next time it works: b is resilvered, and stands alone.
    await importChecked(booted, [a, b], 'both, b mended');
    const bAlone = await kernel.runUntil(importPool(zfs, [b], 'tank'));
    expect(Buffer.from(await kernel.runUntil((await kernel.runUntil(Dataset.open(bAlone))).readFile('/late'))).equals(fileOf(1))).to.equal(true);
    await kernel.runUntil(bAlone.export());
    await kernel.runUntil(kernel.shutdown());
  });

  it('judges a device by the very uberblock it holds: one that took a group a rewind dropped is resilvered', async () => {
    const booted = await simulatedStorage(29, [0.05, 0.5]);
    const { kernel, zfs, disk } = booted;
    const [a, b] = [disk('a'), disk('b')];
    await filledPool(booted, 'mirror', [a, b]);
    const more = await kernel.runUntil(importPool(zfs, [a, b], 'tank'));
    await kernel.runUntil((await kernel.runUntil(Dataset.open(more))).writeFile('/dropped', fileOf(0)));
    await kernel.runUntil(more.export());
    // a's copies of the newest tree's objset block rot: a alone rewinds to the group before.
    const newest = findPools([await kernel.runUntil(readLabels(a))])[0]!.uberblock!;
    for (const address of newest.root.addresses) await kernel.runUntil(a.write(address.offsetBytes, new Uint8Array(address.allocatedBytes).fill(0x66)));
    const rewound = await kernel.runUntil(importPool(zfs, [a], 'tank'));
    expect(rewound.txg).to.equal(newest.txg - 1);
    // The next commit on a takes the same group number as the one dropped, which b still holds.
    await kernel.runUntil((await kernel.runUntil(Dataset.open(rewound))).writeFile('/after-rewind', fileOf(2)));
    await kernel.runUntil(rewound.export());
    // Both: b's group of that number is another tree; b is resilvered from the group they share.
    await importChecked(booted, [a, b], 'both');
    const bAlone = await kernel.runUntil(importPool(zfs, [b], 'tank'));
    expect(Buffer.from(await kernel.runUntil((await kernel.runUntil(Dataset.open(bAlone))).readFile('/after-rewind'))).equals(fileOf(2))).to.equal(true);
    await kernel.runUntil(bAlone.export());
    await kernel.runUntil(kernel.shutdown());
  });

  it('goes back one group, as for a torn commit, when the devices behind missed only the newest uberblock', async () => {
    const booted = await simulatedStorage(30, [0.05, 0.5]);
    const { kernel, zfs, disk } = booted;
    const a = disk('a');
    const [b, c] = [new FailingDevice(disk('b')), new FailingDevice(disk('c'))];
    await filledPool(booted, 'raidz1', [a, b, c]);
    // The next group's uberblock reaches a only (b and c refuse their label areas), as a crash while
    // writing uberblocks leaves it; then its tree's root is lost on every device.
    const pool = await kernel.runUntil(importPool(zfs, [a, b, c], 'tank'));
    await kernel.runUntil((await kernel.runUntil(Dataset.open(pool))).writeFile('/torn', fileOf(0)));
    b.failLabelWrites = true;
    c.failLabelWrites = true;
    await kernel.runUntil(pool.commit().catch(() => undefined));
    await kernel.runUntil(pool.abandon());
    b.failLabelWrites = false;
    c.failLabelWrites = false;
    const newest = findPools([await kernel.runUntil(readLabels(a))])[0]!.uberblock!;
    const { raidzMap } = await import('../../../actors/zfs/raidz-map.js');
    for (const address of newest.root.addresses)
      for (const column of raidzMap({ children: 3, parity: 1, sectorBytes: 512 }, address.offsetBytes, newest.root.physicalBytes).columns)
        await kernel.runUntil([a, b.inner, c.inner][column.child]!.write(column.offsetBytes, new Uint8Array(column.bytes).fill(0x44)));
    // Not refused for the devices behind: the group before is whole on all three.
    const back = await kernel.runUntil(importPool(zfs, [a, b, c], 'tank'));
    expect(back.txg).to.equal(newest.txg - 1);
    await expectFiles(booted, back, 'the group before');
    await kernel.runUntil(back.export());
    await kernel.runUntil(kernel.shutdown());
  });

  it('leaves the pool as it was or with the new device after a crash at any instant of a replace', async () => {
    /** A replace of RAID-Z1's missing d2 by d3, crashed at `crashAtMs` after it began (never, for null). */
    const replaceRun = async (seed: number, crashAtMs: number | null) => {
      const booted = await simulatedStorage(100 + seed, [0.05, 0.5]);
      const { kernel, zfs, disk } = booted;
      const disks = [disk('d0'), disk('d1'), disk('d2')];
      const fresh = disk('d3');
      await filledPool(booted, 'raidz1', disks);
      const pool = await kernel.runUntil(importPool(zfs, disks.slice(0, 2), 'tank'));
      const startMs = kernel.clock.now();
      let resilveredMs = 0;
      const replacing = pool.replace(2, fresh, () => (resilveredMs = kernel.clock.now() - startMs)).catch(() => undefined);
      if (crashAtMs !== null) {
        await kernel.runUntil(new Promise<void>((resolve) => kernel.clock.setTimer(crashAtMs, resolve)));
        // The process dies: what was not durable is kept, lost or torn, and nothing reaches the devices after.
        for (const device of [...disks, fresh]) {
          device.crash();
          device.fail();
        }
      }
      await kernel.runUntil(replacing);
      const endMs = kernel.clock.now() - startMs;
      await kernel.runUntil(pool.abandon().catch(() => undefined));
      for (const device of [...disks, fresh]) device.revive();
      const names = crashAtMs === null ? [] : await importChecked(booted, [disks[0]!, disks[1]!, fresh], `seed ${seed}, crash at ${crashAtMs} ms`);
      await kernel.runUntil(kernel.shutdown());
      return { names, resilveredMs, endMs };
    };
    const outcomes = { before: 0, after: 0 };
    const anywhere = 4;
    const atTheEnd = 12;
    for (let seed = 1; seed <= anywhere + atTheEnd; seed++) {
      // A dry run of the same seed says when the resilver ended and the relabelling began (a
      // simulated run replays exactly up to the crash). A few crashes fall anywhere in the replace;
      // the rest sweep the few ms of relabelling and committing at its end, where order matters.
      const { resilveredMs, endMs } = await replaceRun(seed, null);
      const crashAtMs =
        seed <= anywhere ? ((seed * 7919) % 1000) * 0.001 * endMs : resilveredMs + ((seed - anywhere - 0.5) / atTheEnd) * (endMs - resilveredMs);
      const { names } = await replaceRun(seed, crashAtMs);
      expect([
        ['d0', 'd1', undefined],
        ['d0', 'd1', 'd3'],
      ]).to.deep.include(names);
      outcomes[names[2] === 'd3' ? 'after' : 'before']++;
    }
    expect(outcomes.before, 'crashes before the replace took').to.be.greaterThan(0);
    expect(outcomes.after, 'crashes after it took').to.be.greaterThan(0);
  });
});
