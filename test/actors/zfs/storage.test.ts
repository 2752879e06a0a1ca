import { expect } from 'chai';
import { storage } from '../../../actors/zfs/subsystem.js';
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

  it('restarts a device actor that crashes, and answers the asks it had in flight', async () => {
    const { kernel, device } = await booted();
    const inFlight = device.ref.ask({ type: 'write', offsetBytes: 512, data: new Uint8Array(512).fill(4) });
    device.ref.tell({ type: 'bogus' } as never);
    expect(await kernel.runUntil(inFlight)).to.equal(true);
    expect(await kernel.runUntil(device.ref.ask({ type: 'read', offsetBytes: 512, lengthBytes: 512 }))).to.have.property('0', 4);
    const failures = await kernel.runUntil(kernel.cpuStatuses());
    const restarts = (function find(actor: { name?: string; restarts: number; children: readonly unknown[] }): number | undefined {
      if (actor.name === 'kernel.zfs.device.sim0') return actor.restarts;
      for (const child of actor.children) {
        const found = find(child as typeof actor);
        if (found !== undefined) return found;
      }
      return undefined;
    })(failures[0]!.tree as never);
    expect(restarts).to.equal(1);
    await kernel.runUntil(kernel.shutdown());
  });
});
