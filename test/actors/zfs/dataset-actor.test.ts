/**
 * A dataset served as an actor (`zfs.<pool>`): the file API as asks, answered with the same values
 * and POSIX errors as the calls; restarted when it crashes; gone with its pool.
 */
import { expect } from 'chai';
import { createPool, Dataset, FsError, serveDataset } from '../../../actors/zfs/index.js';
import { simulatedStorage } from './helpers/simulated-storage.js';

describe('zfs: a dataset as an actor', function () {
  this.timeout(30_000);

  it('answers the file API as asks, by its name, with the errors of the calls; restarts; goes with its pool', async () => {
    const { kernel, zfs, disk } = await simulatedStorage(31, [0.05, 0.5]);
    const pool = await kernel.runUntil(createPool(zfs, { name: 'tank', layout: 'single', devices: [disk('a')] }));
    const served = await kernel.runUntil(serveDataset(zfs, await kernel.runUntil(Dataset.open(pool))));
    const found = kernel.lookup('zfs.tank');
    expect(found?.pid, 'found by its name').to.equal(served.ref.pid);
    const ask = <R>(message: Parameters<typeof served.ref.ask>[0]) => kernel.runUntil(served.ref.ask(message) as Promise<R>);
    const bytes = (text: string) => new TextEncoder().encode(text);
    expect(await ask({ type: 'mkdir', path: '/d' })).to.equal(true);
    expect(await ask({ type: 'write-file', path: '/d/a', data: bytes('hello') })).to.equal(true);
    expect(await ask({ type: 'read-file', path: '/d/a' })).to.deep.equal(bytes('hello'));
    expect((await ask<{ name: string }[]>({ type: 'readdir', path: '/d' })).map((entry) => entry.name)).to.deep.equal(['a']);
    expect(await ask({ type: 'stat', path: '/d/a' })).to.deep.include({ type: 'file', sizeBytes: 5 });
    const handle = await ask<{ objectId: number; birthTxg: number; path: string }>({ type: 'open', path: '/d/b', create: true });
    expect(await ask({ type: 'write', file: handle, offsetBytes: 3, data: bytes('xyz') })).to.equal(true);
    expect(await ask({ type: 'read', file: handle, offsetBytes: 0, lengthBytes: 10 })).to.deep.equal(new Uint8Array([0, 0, 0, 120, 121, 122]));
    expect(await ask({ type: 'truncate', path: '/d/b', sizeBytes: 4 })).to.equal(true);
    expect(await ask({ type: 'rename', from: '/d/b', to: '/c' })).to.equal(true);
    expect(await ask({ type: 'unlink', path: '/d/a' })).to.equal(true);
    expect(await ask({ type: 'rmdir', path: '/d' })).to.equal(true);
    const txg = await ask<number>({ type: 'fsync' });
    expect(txg).to.equal(pool.txg);
    // A call that fails: the same FsError as the call's.
    const missing = await kernel.runUntil(served.ref.ask({ type: 'read-file', path: '/nope' }).catch((error: unknown) => error));
    expect(missing).to.be.instanceOf(FsError).and.include({ errno: 'ENOENT' });
    // Mail it does not take crashes it; its supervisor restarts it, and it serves on.
    served.ref.tell({ type: 'bogus' } as never);
    expect(await ask({ type: 'stat', path: '/c' })).to.deep.include({ type: 'file', sizeBytes: 4 });
    await kernel.runUntil(pool.export());
    await kernel.runUntil(new Promise<void>((resolve) => kernel.clock.setTimer(10, resolve)));
    expect(kernel.lookup('zfs.tank'), 'gone with its pool').to.equal(undefined);
    await kernel.runUntil(served.stop());
    await kernel.runUntil(kernel.shutdown());
  });
});
