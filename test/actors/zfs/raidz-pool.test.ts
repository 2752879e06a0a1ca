/**
 * Pools on RAID-Z, through the file API:
 * - RAID-Z1 with any one device gone and RAID-Z2 with any two gone return every file right; one
 *   more gone and the import refuses, naming the devices;
 * - a device's whole data area overwritten (two on RAID-Z2) is read right, and a scrub repairs it
 *   all; beyond the parity, the pool does not import: no tree verifies, and no data is made up.
 */
import { expect } from 'chai';
import { createPool, Dataset, importPool, PoolError } from '../../../actors/zfs/index.js';
import type { MemoryDevice } from '../../../drivers/block/index.js';
import { simulatedStorage } from './helpers/simulated-storage.js';

/** Files of every shape: empty, under a block, a few blocks, and enough blocks for an indirect level. */
const fileOf = (index: number) =>
  Uint8Array.from({ length: [0, 700, 9000, 40_000, 300_000][index % 5]! }, (_, at) => (index * 37 + at * 11 + (at >> 12)) & 0xff);
const files = 10;

async function filled(seed: number, layout: 'raidz1' | 'raidz2', devices: number) {
  const booted = await simulatedStorage(seed, [0.05, 0.5]);
  const { kernel, zfs, disk } = booted;
  const disks = Array.from({ length: devices }, (_, index) => disk(`d${index}`));
  const pool = await kernel.runUntil(createPool(zfs, { name: 'tank', layout, devices: disks }));
  const fs = await kernel.runUntil(Dataset.open(pool, { fileBlockBytes: 8192 }));
  for (let index = 0; index < files; index++) await kernel.runUntil(fs.writeFile(`/f${index}`, fileOf(index)));
  await kernel.runUntil(pool.export());
  return { ...booted, disks };
}

/** Imports `tank` from `devices` and checks every file, then exports it. */
async function expectAllFiles(booted: Awaited<ReturnType<typeof filled>>, devices: readonly MemoryDevice[], what: string) {
  const { kernel, zfs } = booted;
  const pool = await kernel.runUntil(importPool(zfs, devices, 'tank'));
  const fs = await kernel.runUntil(Dataset.open(pool));
  for (let index = 0; index < files; index++)
    expect(Buffer.from(await kernel.runUntil(fs.readFile(`/f${index}`))).equals(fileOf(index)), `${what}: /f${index}`).to.equal(true);
  await kernel.runUntil(pool.export());
}

/** Every way to leave out `count` of `items`. */
function without<T>(items: readonly T[], count: number): T[][] {
  if (count === 0) return [[...items]];
  return items.flatMap((_, index) => without(items.slice(index + 1), count - 1).map((rest) => [...items.slice(0, index), ...rest]));
}

/** Overwrites `device`'s data area, between its front and back labels, with bytes of no block. */
async function overwriteDataArea(booted: Awaited<ReturnType<typeof filled>>, device: MemoryDevice) {
  const garbage = new Uint8Array(1 << 20).fill(0x3c);
  for (let at = 512 << 10; at + garbage.byteLength <= device.sizeBytes - (512 << 10); at += garbage.byteLength)
    await booted.kernel.runUntil(device.write(at, garbage));
}

describe('zfs: pools on RAID-Z', function () {
  this.timeout(120_000);

  it('RAID-Z1 of four returns every file with any one device gone, and refuses to import with two gone', async () => {
    const booted = await filled(11, 'raidz1', 4);
    for (const [gone, kept] of without(booted.disks, 1).entries()) await expectAllFiles(booted, kept, `device ${booted.disks.length - 1 - gone} gone`);
    const { kernel, zfs } = booted;
    const refused = await kernel.runUntil(importPool(zfs, booted.disks.slice(2), 'tank').catch((error: unknown) => error));
    expect(refused).to.be.instanceOf(PoolError).and.to.include({ reason: 'missing-devices' });
    await kernel.runUntil(kernel.shutdown());
  });

  it('RAID-Z2 of five returns every file with any two devices gone, degraded, and takes new files so', async () => {
    const booted = await filled(12, 'raidz2', 5);
    for (const kept of without(booted.disks, 2))
      await expectAllFiles(booted, kept, `${booted.disks.filter((disk) => !kept.includes(disk)).map((disk) => disk.name)} gone`);
    const { kernel, zfs, disks } = booted;
    const degraded = await kernel.runUntil(importPool(zfs, disks.slice(0, 3), 'tank'));
    expect(degraded.status().state).to.equal('degraded');
    expect(degraded.status().devices.map((device) => device.state)).to.deep.equal(['online', 'online', 'online', 'missing', 'missing']);
    const fs = await kernel.runUntil(Dataset.open(degraded));
    await kernel.runUntil(fs.writeFile('/late', fileOf(3)));
    await kernel.runUntil(degraded.export());
    // All five back: the two that missed the new file's group give no uberblock, their columns of it
    // are rebuilt from the others.
    const whole = await kernel.runUntil(importPool(zfs, disks, 'tank'));
    const again = await kernel.runUntil(Dataset.open(whole));
    expect(Buffer.from(await kernel.runUntil(again.readFile('/late'))).equals(fileOf(3))).to.equal(true);
    await kernel.runUntil(whole.export());
    expect(await kernel.runUntil(importPool(zfs, disks.slice(0, 2), 'tank').catch((error: unknown) => error))).to.include({ reason: 'missing-devices' });
    await kernel.runUntil(kernel.shutdown());
  });

  it('keeps what a Node Buffer held at the write, and leaves the Buffer as it was (its slice is a view)', async () => {
    const booted = await simulatedStorage(15, [0.05, 0.5]);
    const { kernel, zfs, disk } = booted;
    const disks = [disk('b0'), disk('b1'), disk('b2')];
    const pool = await kernel.runUntil(createPool(zfs, { name: 'tank', layout: 'raidz1', devices: disks }));
    const fs = await kernel.runUntil(Dataset.open(pool, { fileBlockBytes: 16384 }));
    const file = await kernel.runUntil(fs.open('/b', { create: true }));
    const buffer = Buffer.alloc(65536, 0x5a);
    for (let at = 0; at < buffer.length; at += 97) buffer[at] = at & 0xff;
    const expected = Uint8Array.from(buffer);
    await kernel.runUntil(fs.write(file, 0, buffer));
    expect(Buffer.compare(buffer, expected), 'the parity was not folded into the caller’s Buffer').to.equal(0);
    buffer.fill(0);
    await kernel.runUntil(pool.export());
    const again = await kernel.runUntil(importPool(zfs, disks, 'tank'));
    expect(await kernel.runUntil((await kernel.runUntil(Dataset.open(again))).readFile('/b'))).to.deep.equal(expected);
    await kernel.runUntil(again.export());
    await kernel.runUntil(kernel.shutdown());
  });

  for (const [layout, devices, overwritten] of [
    ['raidz1', 3, 1],
    ['raidz2', 4, 2],
  ] as const) {
    it(`${layout} of ${devices} with ${overwritten} device(s) overwritten: reads right, a scrub repairs every column, one more loses the pool`, async () => {
      const booted = await filled(13 + overwritten, layout, devices);
      const { kernel, zfs, disks } = booted;
      for (const disk of disks.slice(0, overwritten)) await overwriteDataArea(booted, disk);
      await expectAllFiles(booted, disks, 'overwritten');
      const pool = await kernel.runUntil(importPool(zfs, disks, 'tank'));
      const scrub = await kernel.runUntil(pool.scrub());
      expect([scrub.complete, scrub.unrecoverableBlocks]).to.deep.equal([true, 0]);
      expect(scrub.repairedCopies, 'columns rewritten').to.be.greaterThan(0);
      const second = await kernel.runUntil(pool.scrub());
      expect([second.repairedCopies, second.unrecoverableBlocks, second.blocks]).to.deep.equal([0, 0, scrub.blocks]);
      await kernel.runUntil(pool.export());
      // The repairs took: with as many of the untouched devices gone as the parity covers, the
      // repaired ones give every file.
      await expectAllFiles(booted, disks.slice(0, devices - overwritten), 'repaired, then the untouched devices gone');
      // One device more overwritten than the parity: nothing verifies, so nothing is imported.
      for (const disk of disks.slice(0, overwritten + 1)) await overwriteDataArea(booted, disk);
      const lost = await kernel.runUntil(importPool(zfs, disks, 'tank').catch((error: unknown) => error));
      expect(lost).to.be.instanceOf(PoolError).and.to.include({ reason: 'no-uberblock' });
      await kernel.runUntil(kernel.shutdown());
    });
  }
});
