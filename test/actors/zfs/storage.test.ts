import { expect } from 'chai';
import { createPool, importPool, PoolError } from '../../../actors/zfs/pool.js';
import { storage } from '../../../actors/zfs/subsystem.js';
import { restartsOf } from './helpers/restarts.js';
import { simulatedStorage } from './helpers/simulated-storage.js';
import { defaultSubsystems, Kernel } from '../../../boot/index.js';
import { createMemoryDevice } from '../../../drivers/block/index.js';
import { NameTakenError } from '../../../ground/errors.js';

describe('zfs: the storage subsystem', function () {
  this.timeout(30_000);

  async function booted() {
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 4, subsystems: [...defaultSubsystems, storage] });
    const disk = createMemoryDevice({
      name: 'sim0',
      sizeBytes: 4 << 20,
      clock: kernel.clock,
      random: kernel.random.stream('sim0'),
      faults: { latencyMs: [1, 3] },
    });
    const device = await kernel.runUntil(kernel.subsystem(storage).openDevice(disk, { name: 'sim0' }));
    return { kernel, disk, device };
  }

  it("opens devices as actors under its supervisor, and lists them in the kernel's status", async () => {
    const { kernel, disk, device } = await booted();
    expect(await kernel.runUntil(device.ref.ask({ type: 'write', offsetBytes: 0, data: new Uint8Array(512).fill(3) }))).to.equal(true);
    const status = kernel.status();
    expect((status.subsystems.zfs as { devices: Record<string, { state: string }> }).devices.sim0).to.deep.include({ state: 'online', readErrors: 0 });
    const supervisor = kernel.lookup('kernel.zfs');
    expect(supervisor, 'the zfs supervisor').to.not.equal(undefined);
    expect(kernel.lookup('kernel.zfs.device.sim0')?.pid).to.equal(device.ref.pid);
    const again = await kernel.runUntil(
      kernel
        .subsystem(storage)
        .openDevice(disk, { name: 'sim0' })
        .catch((error: unknown) => error),
    );
    expect(again).to.be.instanceOf(NameTakenError);
    await kernel.runUntil(device.close());
    expect((kernel.status().subsystems.zfs as { devices: object }).devices).to.deep.equal({});
    expect(kernel.lookup('kernel.zfs.device.sim0')).to.equal(undefined);
    await kernel.runUntil(kernel.shutdown());
  });

  it('runs each open pool as an actor under its supervisor, restarted with nothing lost when it crashes', async () => {
    const { kernel, zfs, disk: simulatedDisk } = await simulatedStorage(4, [0.1, 1]);
    const disk = simulatedDisk('p0');
    const pool = await kernel.runUntil(createPool(zfs, { name: 'tank', layout: 'single', devices: [disk] }));
    const actor = kernel.lookup('kernel.zfs.pool.tank');
    expect(actor, 'the pool’s actor').to.not.equal(undefined);
    const committed = await kernel.runUntil(pool.objects.create('file'));
    await kernel.runUntil(pool.objects.write(committed, 0, new Uint8Array([1, 2, 3])));
    await kernel.runUntil(pool.commit());
    const pending = await kernel.runUntil(pool.objects.create('file'));
    await kernel.runUntil(pool.objects.write(pending, 0, new Uint8Array([4, 5])));
    // Mail it does not take crashes it; the supervisor restarts it, and the pool is as it was.
    const reading = pool.objects.read(committed, 0, 3);
    actor!.tell({ type: 'bogus' } as never);
    expect(await kernel.runUntil(reading)).to.deep.equal(new Uint8Array([1, 2, 3]));
    expect(await kernel.runUntil(pool.objects.read(pending, 0, 2))).to.deep.equal(new Uint8Array([4, 5]));
    expect(restartsOf(await kernel.runUntil(kernel.cpuStatuses()), 'kernel.zfs.pool.tank')).to.equal(1);
    await kernel.runUntil(pool.export());
    expect(kernel.lookup('kernel.zfs.pool.tank'), 'gone with the pool').to.equal(undefined);
    const again = await kernel.runUntil(importPool(zfs, [disk], 'tank'));
    expect(await kernel.runUntil(again.objects.read(pending, 0, 2))).to.deep.equal(new Uint8Array([4, 5]));
    await kernel.runUntil(again.export());
    // An operation asked of a pool that is closed fails; it does not wait.
    expect(await kernel.runUntil(again.objects.ids().catch((error: unknown) => error)))
      .to.be.instanceOf(PoolError)
      .and.include({ reason: 'closed' });
    // Nor is one asked while an export is under way taken and then lost: it is refused.
    const third = await kernel.runUntil(importPool(zfs, [disk], 'tank'));
    const exporting = third.export();
    const late = third.objects.write(pending, 0, new Uint8Array([9])).catch((error: unknown) => error);
    await kernel.runUntil(exporting);
    expect(await kernel.runUntil(late))
      .to.be.instanceOf(PoolError)
      .and.include({ reason: 'closed' });
    await kernel.runUntil(kernel.shutdown());
  });

  it('restarts a device actor that crashes, and answers the asks it had in flight', async () => {
    const { kernel, device } = await booted();
    const inFlight = device.ref.ask({ type: 'write', offsetBytes: 512, data: new Uint8Array(512).fill(4) });
    device.ref.tell({ type: 'bogus' } as never);
    expect(await kernel.runUntil(inFlight)).to.equal(true);
    expect(await kernel.runUntil(device.ref.ask({ type: 'read', offsetBytes: 512, lengthBytes: 512 }))).to.have.property('0', 4);
    expect(restartsOf(await kernel.runUntil(kernel.cpuStatuses()), 'kernel.zfs.device.sim0')).to.equal(1);
    await kernel.runUntil(kernel.shutdown());
  });
});
