/**
 * A pool when things go wrong (each case was a defect a review found):
 * - a mirror whose sides each fail a different step of a commit does not report the commit done;
 * - after an import, the trees of the groups before the newest stay whole, so a later import can
 *   still fall back on them;
 * - a full pool refuses writes with ENOSPC and stays usable; a deletion still works;
 * - a handle to a removed file fails with ESTALE, never writes into the object that took its number;
 * - the data area is fixed at create, so a mirror imported from its larger side alone stays within
 *   its smaller one.
 */
import { expect } from 'chai';
import { createPool, Dataset, FsError, findPools, importPool, PoolError, PoolFullError, readLabels } from '../../../actors/zfs/index.js';
import { simulatedStorage } from './helpers/simulated-storage.js';
import { FailingDevice } from './helpers/failing-device.js';

const booted = (seed: number) => simulatedStorage(seed);

describe('zfs: a pool when things go wrong', function () {
  this.timeout(60_000);

  it('does not report a mirror commit done when no side took all of it: one failed the blocks, the other the flush', async () => {
    const { kernel, zfs, disk } = await booted(3);
    const [a, b] = [new FailingDevice(disk('a')), new FailingDevice(disk('b'))];
    const pool = await kernel.runUntil(createPool(zfs, { name: 'tank', layout: 'mirror', devices: [a, b] }));
    const id = await kernel.runUntil(pool.objects.create('file', 4096));
    await kernel.runUntil(pool.objects.write(id, 0, new Uint8Array(4096).fill(5)));
    expect(await kernel.runUntil(pool.commit())).to.equal(2);
    await kernel.runUntil(pool.objects.write(id, 0, new Uint8Array(4096).fill(6)));
    a.failDataWrites = true;
    b.failFlush = true;
    b.failLabelWrites = true;
    const failed = await kernel.runUntil(pool.commit().catch((error: unknown) => error));
    expect(failed).to.be.instanceOf(Error);
    expect(pool.status().txgState).to.equal('suspended');
    b.inner.crash();
    a.failDataWrites = false;
    await kernel.runUntil(pool.export());
    const again = await kernel.runUntil(importPool(zfs, [a.inner], 'tank'));
    expect(again.txg).to.equal(2);
    expect((await kernel.runUntil(again.objects.read(id, 0, 1)))[0]).to.equal(5);
    await kernel.runUntil(again.export());
    await kernel.runUntil(kernel.shutdown());
  });

  it('keeps the trees before the newest whole after an import, so a later import can fall back on them', async () => {
    const { kernel, zfs, disk } = await booted(4);
    const only = disk('only');
    let pool = await kernel.runUntil(createPool(zfs, { name: 'tank', layout: 'single', devices: [only] }));
    const id = await kernel.runUntil(pool.objects.create('file', 4096));
    for (let round = 1; round <= 3; round++) {
      await kernel.runUntil(pool.objects.write(id, 0, new Uint8Array(64 << 10).fill(round)));
      await kernel.runUntil(pool.commit()); // groups 2, 3, 4
    }
    await kernel.runUntil(pool.export());
    pool = await kernel.runUntil(importPool(zfs, [only], 'tank'));
    await kernel.runUntil(pool.objects.write(id, 0, new Uint8Array(64 << 10).fill(9)));
    const other = await kernel.runUntil(pool.objects.create('file', 4096));
    await kernel.runUntil(pool.objects.write(other, 0, new Uint8Array(2 << 20).fill(8)));
    await kernel.runUntil(pool.commit()); // group 5, which must not take group 3's blocks
    await kernel.runUntil(pool.export());
    const [found] = findPools([await kernel.runUntil(readLabels(only))]);
    expect(found!.uberblocks.slice(0, 3).map((uberblock) => uberblock.txg)).to.deep.equal([5, 4, 3]);
    for (const uberblock of found!.uberblocks.slice(0, 2))
      for (const address of uberblock.root.addresses) await kernel.runUntil(only.write(address.offsetBytes, new Uint8Array(address.allocatedBytes).fill(0xee)));
    const rewound = await kernel.runUntil(importPool(zfs, [only], 'tank'));
    expect(rewound.txg).to.equal(3);
    expect([...(await kernel.runUntil(rewound.objects.read(id, 0, 64 << 10)))].every((byte) => byte === 2)).to.equal(true);
    await kernel.runUntil(rewound.export());
    await kernel.runUntil(kernel.shutdown());
  });

  it('refuses a write past the free space with ENOSPC, and stays usable: a deletion and a commit work', async () => {
    const { kernel, zfs, disk } = await booted(2);
    const pool = await kernel.runUntil(createPool(zfs, { name: 'tank', layout: 'single', devices: [disk('a')] }));
    const fs = await kernel.runUntil(Dataset.open(pool));
    await kernel.runUntil(fs.writeFile('/keep', new Uint8Array(100).fill(7)));
    await kernel.runUntil(fs.writeFile('/half', new Uint8Array(3 << 20).fill(1)));
    const refused = await kernel.runUntil(fs.writeFile('/big', new Uint8Array(10 << 20).fill(1)).catch((error: unknown) => error));
    expect(refused).to.be.instanceOf(FsError).and.to.include({ errno: 'ENOSPC' });
    const direct = await kernel.runUntil(
      pool.objects.write((await kernel.runUntil(fs.stat('/half'))).objectId, 3 << 20, new Uint8Array(10 << 20)).catch((error: unknown) => error),
    );
    expect(direct).to.be.instanceOf(PoolFullError);
    await kernel.runUntil(fs.unlink('/half'));
    await kernel.runUntil(fs.fsync());
    expect(pool.status().txgState).to.equal('open');
    expect([...(await kernel.runUntil(fs.readFile('/keep')))].every((byte) => byte === 7)).to.equal(true);
    await kernel.runUntil(pool.export());
    await kernel.runUntil(kernel.shutdown());
  });

  it('fails a handle to a removed file with ESTALE, and leaves the object that took its number alone', async () => {
    const { kernel, zfs, disk } = await booted(1);
    const pool = await kernel.runUntil(createPool(zfs, { name: 'tank', layout: 'single', devices: [disk('a')] }));
    const fs = await kernel.runUntil(Dataset.open(pool));
    const stale = await kernel.runUntil(fs.open('/old', { create: true }));
    await kernel.runUntil(fs.unlink('/old'));
    expect(await kernel.runUntil(fs.write(stale, 0, new Uint8Array(1)).catch((error: FsError) => error.errno))).to.equal('ESTALE');
    await kernel.runUntil(fs.fsync());
    await kernel.runUntil(fs.mkdir('/dir'));
    expect((await kernel.runUntil(fs.stat('/dir'))).objectId).to.equal(stale.objectId);
    expect(await kernel.runUntil(fs.write(stale, 0, new Uint8Array(4096).fill(0x41)).catch((error: FsError) => error.errno))).to.equal('ESTALE');
    expect(await kernel.runUntil(fs.read(stale, 0, 1).catch((error: FsError) => error.errno))).to.equal('ESTALE');
    expect(await kernel.runUntil(fs.readdir('/dir'))).to.deep.equal([]);
    await kernel.runUntil(pool.export());
    await kernel.runUntil(kernel.shutdown());
  });

  it('keeps a mirror imported from its larger side alone within the smaller side, which then imports whole', async () => {
    const { kernel, zfs, disk } = await booted(5);
    const [big, small] = [disk('big', 16 << 20), disk('small', 8 << 20)];
    await kernel.runUntil(createPool(zfs, { name: 'tank', layout: 'mirror', devices: [big, small] }).then((pool) => pool.export()));
    const alone = await kernel.runUntil(importPool(zfs, [big], 'tank'));
    const id = await kernel.runUntil(alone.objects.create('file', 4096));
    expect(await kernel.runUntil(alone.objects.write(id, 0, new Uint8Array(10 << 20)).catch((error: unknown) => error))).to.be.instanceOf(PoolFullError);
    await kernel.runUntil(alone.objects.write(id, 0, new Uint8Array(2 << 20).fill(3)));
    await kernel.runUntil(alone.export());
    // small missed group 2: the import resilvers it and commits group 3.
    const both = await kernel.runUntil(importPool(zfs, [big, small], 'tank'));
    expect(both.txg).to.equal(3);
    expect((await kernel.runUntil(both.objects.read(id, (2 << 20) - 1, 1)))[0]).to.equal(3);
    await kernel.runUntil(both.export());
    // A pool error names what is missing when a side is too small to be one of its devices.
    const cut = disk('cut', 4 << 20);
    const refused = await kernel.runUntil(importPool(zfs, [cut], 'tank').catch((error: unknown) => error));
    expect(refused).to.be.instanceOf(PoolError);
    await kernel.runUntil(kernel.shutdown());
  });
});
