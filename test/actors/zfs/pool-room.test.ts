/**
 * Room in a pool, where a second review found defects (each case one of them):
 * - a full pool can be emptied through the file API, and a rename that finds no room loses nothing;
 * - what a change will take is counted in whole blocks and their metadata, so what the room check
 *   admits can always be committed: a small write into a large record, cuts inside blocks, records of
 *   512 bytes;
 * - writes far apart each pay for the indirect block they dirty, so they too end in ENOSPC;
 * - a pool fills to ENOSPC, on every layout, without a commit ever failing for want of room: room is
 *   counted in holes large enough for the largest block a commit writes;
 * - a mirror side that once missed a block gets no uberblock until it is whole again, and the next
 *   import with it resilvers it from the groups it missed;
 * - a pool's name is free again only once its devices are closed.
 */
import { expect } from 'chai';
import { createPool, Dataset, importPool, type Pool } from '../../../actors/zfs/index.js';
import { simulatedStorage } from './helpers/simulated-storage.js';
import { FailingDevice } from './helpers/failing-device.js';

/** The errno or code a call fails with, or 'ok'. */
const outcomeOf = (work: Promise<unknown>) =>
  work.then(
    () => 'ok',
    (error: { errno?: string; code?: string; reason?: string }) => error.errno ?? error.reason ?? error.code ?? String(error),
  );

/** Fills `fs` with files until the pool refuses one, committing as it goes; returns how many it took. */
async function fill(kernel: Awaited<ReturnType<typeof simulatedStorage>>['kernel'], fs: Dataset, prefix: string): Promise<number> {
  let files = 0;
  for (const size of [256 << 10, 16 << 10, 512]) {
    while ((await kernel.runUntil(outcomeOf(fs.writeFile(`${prefix}${files}`, new Uint8Array(size).fill(1))))) === 'ok') {
      files++;
      await kernel.runUntil(fs.fsync());
    }
  }
  return files;
}

describe('zfs: room in a pool', function () {
  this.timeout(120_000);

  it('empties a full pool through the file API, and loses no file to a rename that finds no room', async () => {
    const { kernel, zfs, disk } = await simulatedStorage(2);
    const pool = await kernel.runUntil(createPool(zfs, { name: 'tank', layout: 'single', devices: [disk('a')] }));
    const fs = await kernel.runUntil(Dataset.open(pool));
    await kernel.runUntil(fs.mkdir('/a'));
    await kernel.runUntil(fs.mkdir('/b'));
    await kernel.runUntil(fs.writeFile('/a/kept', new Uint8Array(10).fill(7)));
    const files = await fill(kernel, fs, '/a/f');
    expect(files).to.be.greaterThan(10);
    expect(await kernel.runUntil(outcomeOf(fs.writeFile('/a/more', new Uint8Array(64 << 10))))).to.equal('ENOSPC');
    // Renames into another directory on the full pool: each one happens whole or not at all. (A
    // refused writeFile leaves its file made but empty, as a write that finds no room leaves it.)
    const everything = async () =>
      [...(await kernel.runUntil(fs.readdir('/a'))), ...(await kernel.runUntil(fs.readdir('/b')))].map((entry) => entry.name).sort();
    const before = await everything();
    for (let index = 0; index < files; index += 3) await kernel.runUntil(outcomeOf(fs.rename(`/a/f${index}`, `/b/f${index}`)));
    await kernel.runUntil(fs.fsync());
    expect(await everything()).to.deep.equal(before);
    // Every file can be removed, and the pool takes new ones again.
    for (const entry of await kernel.runUntil(fs.readdir('/a'))) expect(await kernel.runUntil(outcomeOf(fs.unlink(`/a/${entry.name}`)))).to.equal('ok');
    await kernel.runUntil(fs.fsync());
    // The space freed comes back once two more groups are committed: an idle pool commits them on its own.
    await kernel.runUntil(new Promise<void>((resolve) => kernel.clock.setTimer(16_000, resolve)));
    expect(await kernel.runUntil(outcomeOf(fs.writeFile('/a/new', new Uint8Array(64 << 10))))).to.equal('ok');
    expect(pool.status().txgState).to.equal('open');
    await kernel.runUntil(pool.export());
    await kernel.runUntil(kernel.shutdown());
  });

  for (const [layout, devices, sizeBytes] of [
    ['single', 1, 24 << 20],
    ['raidz1', 3, 8 << 20],
    ['raidz2', 3, 8 << 20],
  ] as const) {
    it(`fills ${layout} of ${devices} to ENOSPC without a commit failing, in the holes the frees of metadata leave`, async () => {
      const { kernel, zfs, disk } = await simulatedStorage(3, [0, 0.2]);
      const pool = await kernel.runUntil(
        createPool(zfs, { name: 'tank', layout, devices: Array.from({ length: devices }, (_, index) => disk(`d${index}`, sizeBytes)) }),
      );
      const fs = await kernel.runUntil(Dataset.open(pool));
      // Each file is committed on its own: fsync throws if a commit fails.
      const files = await fill(kernel, fs, '/f');
      expect(files).to.be.greaterThan(10);
      expect(pool.status().txgState).to.equal('open');
      await kernel.runUntil(pool.export());
      const again = await kernel.runUntil(
        importPool(
          zfs,
          pool.blockDevices.filter((device) => device !== undefined),
          'tank',
        ),
      );
      const last = await kernel.runUntil((await kernel.runUntil(Dataset.open(again))).readFile(`/f${files - 1}`));
      expect([256 << 10, 16 << 10, 512]).to.include(last.byteLength);
      await kernel.runUntil(again.export());
      await kernel.runUntil(kernel.shutdown());
    });
  }

  for (const [level, stride] of [
    [1, 128],
    [2, 128 * 128],
  ] as const) {
    it(`counts the indirect blocks each sparse write dirties (level ${level} apart): ENOSPC, never a failed commit`, async () => {
      const { kernel, zfs, disk } = await simulatedStorage(6, [0, 0.2]);
      const pool = await kernel.runUntil(createPool(zfs, { name: 'tank', layout: 'single', devices: [disk('a')] }));
      const id = await kernel.runUntil(pool.objects.create('file', 4096));
      // One 4 KiB block under each indirect block of the level: each write needs new copies of its ancestors.
      let written = 0;
      for (;;) {
        const outcome = await kernel.runUntil(outcomeOf(pool.objects.write(id, written * stride * 4096, new Uint8Array(4096).fill(1))));
        if (outcome !== 'ok') {
          expect(outcome).to.equal('pool-full');
          break;
        }
        written++;
      }
      expect(written).to.be.greaterThan(30);
      expect(await kernel.runUntil(outcomeOf(pool.commit()))).to.equal('ok');
      expect(pool.status().txgState).to.equal('open');
      await kernel.runUntil(pool.export());
      await kernel.runUntil(kernel.shutdown());
    });
  }

  it('counts the indirect blocks a write that makes a tree taller adds over what it held: ENOSPC, never a failed commit', async () => {
    const { kernel, zfs, disk } = await simulatedStorage(7, [0, 0.2]);
    const pool = await kernel.runUntil(createPool(zfs, { name: 'tank', layout: 'single', devices: [disk('a')] }));
    let objects = 0;
    for (;;) {
      const id = await kernel.runUntil(outcomeOf(pool.objects.create('file', 4096).then((created) => (objects = created))));
      if (id !== 'ok') break;
      // Block 0, then a block far enough that the tree grows two levels over block 0.
      const first = await kernel.runUntil(outcomeOf(pool.objects.write(objects, 0, new Uint8Array(4096).fill(1))));
      const far = first === 'ok' ? await kernel.runUntil(outcomeOf(pool.objects.write(objects, 2 ** 21 * 4096, new Uint8Array(4096).fill(2)))) : first;
      if (far !== 'ok') {
        expect(far).to.equal('pool-full');
        break;
      }
    }
    expect(objects).to.be.greaterThan(10);
    expect(await kernel.runUntil(outcomeOf(pool.commit()))).to.equal('ok');
    expect(pool.status().txgState).to.equal('open');
    await kernel.runUntil(pool.export());
    await kernel.runUntil(kernel.shutdown());
  });

  it('admits only what it can commit: a byte into a large record, cuts inside blocks, records of 512 bytes', async () => {
    const { kernel, zfs, disk } = await simulatedStorage(2);
    const committable = async (pool: Pool, work: () => Promise<unknown>) => {
      await kernel.runUntil(outcomeOf(work()));
      expect(await kernel.runUntil(outcomeOf(pool.commit()))).to.equal('ok');
      expect(pool.status().txgState).to.equal('open');
    };
    const pool = await kernel.runUntil(createPool(zfs, { name: 'large', layout: 'single', devices: [disk('a')] }));
    const large = await kernel.runUntil(pool.objects.create('file', 8 << 20));
    await committable(pool, () => pool.objects.write(large, 0, new Uint8Array(1)));
    await kernel.runUntil(pool.export());

    const cuts = await kernel.runUntil(createPool(zfs, { name: 'cuts', layout: 'single', devices: [disk('b')] }));
    const ids: number[] = [];
    for (;;) {
      const id = await kernel.runUntil(cuts.objects.create('file', 512 << 10));
      if ((await kernel.runUntil(outcomeOf(cuts.objects.write(id, 0, new Uint8Array(1 << 20).fill(1))))) !== 'ok') break;
      ids.push(id);
      await kernel.runUntil(cuts.commit());
    }
    await committable(cuts, async () => {
      for (const id of ids) await cuts.objects.truncate(id, (512 << 10) + 1);
    });
    await kernel.runUntil(cuts.export());

    const small = await kernel.runUntil(createPool(zfs, { name: 'small', layout: 'single', devices: [disk('c', 32 << 20)] }));
    const id = await kernel.runUntil(small.objects.create('file', 512));
    await committable(small, () => small.objects.write(id, 0, new Uint8Array(small.status().freeBytes - (1 << 20)).fill(1)));
    await kernel.runUntil(small.export());
    await kernel.runUntil(kernel.shutdown());
  });

  it('gives no uberblock to a mirror side that once missed a block, and resilvers it at the next import from the groups it missed', async () => {
    const { kernel, zfs, disk } = await simulatedStorage(3);
    const [a, b] = [new FailingDevice(disk('a')), new FailingDevice(disk('b'))];
    const pool = await kernel.runUntil(createPool(zfs, { name: 'tank', layout: 'mirror', devices: [a, b] }));
    const id = await kernel.runUntil(pool.objects.create('file', 4096));
    await kernel.runUntil(pool.objects.write(id, 0, new Uint8Array(4096).fill(5)));
    await kernel.runUntil(pool.commit()); // group 2 on both sides
    a.failDataWrites = true;
    await kernel.runUntil(pool.objects.write(id, 0, new Uint8Array(4096).fill(6)));
    await kernel.runUntil(pool.commit()); // group 3 on b only
    a.failDataWrites = false;
    for (let round = 0; round < 3; round++) {
      const other = await kernel.runUntil(pool.objects.create('file', 4096));
      await kernel.runUntil(pool.objects.write(other, 0, new Uint8Array(4096).fill(9)));
      await kernel.runUntil(pool.commit()); // groups 4 to 6: a takes the blocks, but no uberblock
    }
    await kernel.runUntil(pool.export());
    const alone = await kernel.runUntil(importPool(zfs, [a.inner], 'tank'));
    expect(alone.txg).to.equal(2);
    expect((await kernel.runUntil(alone.objects.read(id, 0, 1)))[0]).to.equal(5);
    await kernel.runUntil(alone.abandon());
    // Both: a is behind (its newest group is 2), so the import resilvers it from groups 3 to 6 and
    // commits group 7, which a takes whole; a alone then has everything.
    const both = await kernel.runUntil(importPool(zfs, [a.inner, b.inner], 'tank'));
    expect(both.txg).to.equal(7);
    expect(both.status().scan).to.deep.include({ state: 'finished', kind: 'resilver', unrecoverableBlocks: 0 });
    expect((await kernel.runUntil(both.objects.read(id, 0, 1)))[0]).to.equal(6);
    await kernel.runUntil(both.export());
    const resilvered = await kernel.runUntil(importPool(zfs, [a.inner], 'tank'));
    expect(resilvered.txg).to.equal(7);
    expect((await kernel.runUntil(resilvered.objects.read(id, 0, 1)))[0]).to.equal(6);
    await kernel.runUntil(resilvered.export());
    await kernel.runUntil(kernel.shutdown());
  });

  it('keeps a pool’s name until its devices are closed: an import while it closes is refused', async () => {
    const { kernel, zfs, disk } = await simulatedStorage(5);
    const device = disk('a');
    const pool = await kernel.runUntil(createPool(zfs, { name: 'tank', layout: 'single', devices: [device] }));
    const id = await kernel.runUntil(pool.objects.create('file', 4096));
    const writing = pool.objects.write(id, 0, new Uint8Array(1 << 20).fill(1));
    const closing = pool.abandon();
    expect(await kernel.runUntil(outcomeOf(importPool(zfs, [device], 'tank')))).to.equal('in-use');
    await kernel.runUntil(Promise.all([writing, closing]));
    const again = await kernel.runUntil(importPool(zfs, [device], 'tank'));
    await kernel.runUntil(again.destroy());
    expect(await kernel.runUntil(outcomeOf(importPool(zfs, [device], 'tank')))).to.equal('not-found');
    await kernel.runUntil(kernel.shutdown());
  });
});
