/**
 * A dataset served as an actor (`zfs.<pool>`): the file API as asks, answered with the same values
 * and POSIX errors as the calls; restarted when it crashes; gone with its pool.
 */
import { expect } from 'chai';
import { createPool, Dataset, FsError, importPool, PoolError, serveDataset, storage } from '../../../actors/zfs/index.js';
import { defaultSubsystems, Kernel } from '../../../boot/index.js';
import { createMemoryDevice } from '../../../drivers/block/index.js';
import { DatasetClient } from './fixtures/dataset-client.js';
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
    // A dataset of a closed pool is not served (nothing would stop it); one of the pool imported again is.
    const again = await kernel.runUntil(
      importPool(
        zfs,
        pool.blockDevices.filter((device) => device !== undefined),
        'tank',
      ),
    );
    // (Dataset.open of a closed pool fails: a dataset held from before stands for it.)
    const closedDataset = await kernel.runUntil(serveDataset(zfs, { pool } as never).catch((error: unknown) => error));
    expect(closedDataset).to.be.instanceOf(PoolError).and.include({ reason: 'closed' });
    const reserved = await kernel.runUntil(serveDataset(zfs, await kernel.runUntil(Dataset.open(again))));
    expect(await kernel.runUntil(reserved.ref.ask({ type: 'stat', path: '/c' }))).to.deep.include({ type: 'file' });
    await kernel.runUntil(again.export());
    await kernel.runUntil(kernel.shutdown());
  });

  it('is asked by an actor on another CPU, which finds it by its name', async () => {
    const modules = [new URL('./fixtures/dataset-client.js', import.meta.url)];
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 32, cpus: 2, modules, subsystems: [...defaultSubsystems, storage] });
    const zfs = kernel.subsystem(storage);
    const device = createMemoryDevice({ name: 'a', sizeBytes: 8 << 20, clock: kernel.clock, random: kernel.random.stream('a') });
    const pool = await kernel.runUntil(createPool(zfs, { name: 'tank', layout: 'single', devices: [device] }));
    const dataset = await kernel.runUntil(Dataset.open(pool));
    await kernel.runUntil(dataset.writeFile('/from', new Uint8Array(40_000).fill(7)));
    await kernel.runUntil(dataset.writeFile('/large', new Uint8Array(70_000).fill(8)));
    await kernel.runUntil(serveDataset(zfs, dataset));
    const client = kernel.spawn(DatasetClient, { cpu: 1 });
    await kernel.runUntil(kernel.spawned(client));
    // The name reaches CPU 1; the bytes cross the rings both ways.
    expect(await kernel.runUntil(client.ask({ type: 'copy', from: '/from', to: '/to' }))).to.equal(40_000);
    expect(await kernel.runUntil(dataset.readFile('/to'))).to.deep.equal(new Uint8Array(40_000).fill(7));
    // An answer longer than a frame between CPUs (64 KiB) is refused with a clear error, never cut.
    const large = await kernel.runUntil(client.ask({ type: 'copy', from: '/large', to: '/large-copy' }).catch((error: unknown) => error));
    expect((large as Error).message).to.match(/too-large at body: bytes longer than frameBytesMax/);
    // An error crosses too, with its code.
    expect(await kernel.runUntil(client.ask({ type: 'missing', path: '/nope' }))).to.match(/^fs ENOENT: \/nope/);
    await kernel.runUntil(pool.export());
    await kernel.runUntil(kernel.shutdown());
  });
});
