import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { interrupts } from '../../../actors/irq/subsystem.js';
import { checksumErrorsMax, DeviceUnavailableError, ioErrorsMax, openPoolDevice, type PoolDeviceMsg } from '../../../actors/zfs/device-actor.js';
import { Kernel } from '../../../boot/index.js';
import { BlockIoError, createFileDevice, createMemoryDevice, type MemoryDevice } from '../../../drivers/block/index.js';
import { ClosedError } from '../../../ground/errors.js';

const sector = 512;
const filled = (value: number, bytes = sector) => new Uint8Array(bytes).fill(value);

/** A simulated kernel with one memory device opened as a pool device. */
async function simulatedDevice(queueDepth = 4) {
  const kernel = await Kernel.boot({ mode: 'simulated', seed: 21 });
  const disk = createMemoryDevice({
    name: 'sim0',
    sizeBytes: 4 << 20,
    clock: kernel.clock,
    random: kernel.random.stream('sim0'),
    queueDepth,
    faults: { latencyMs: [0.1, 2] },
  });
  const irq = kernel.subsystem(interrupts);
  const device = await kernel.runUntil(
    openPoolDevice({ irq, spawn: (behavior, options) => kernel.spawn(behavior, options), stop: (ref) => kernel.stop(ref) }, disk, { name: 'sim0' }),
  );
  const ask = <R>(message: PoolDeviceMsg) => kernel.runUntil(device.ref.ask(message as never) as Promise<R>);
  const refusal = (message: PoolDeviceMsg) => kernel.runUntil((device.ref.ask(message as never) as Promise<unknown>).catch((error: unknown) => error));
  return { kernel, disk: disk as MemoryDevice, device, irq, ask, refusal };
}

describe('zfs: a pool device as an actor, its completions as interrupts', function () {
  this.timeout(30_000);

  it('answers reads, writes and flushes from the interrupts of their completions, past the queue depth too', async () => {
    const { kernel, disk, device, irq, ask } = await simulatedDevice(4);
    // 40 writes at once, a sector apart (so none joins another): 4 in the device, the rest waiting in the actor.
    const writes = Array.from({ length: 40 }, (_, i) => device.ref.ask({ type: 'write', offsetBytes: 2 * i * sector, data: filled(i + 1) }));
    expect(await kernel.runUntil(Promise.all(writes))).to.deep.equal(writes.map(() => true));
    expect(await ask({ type: 'flush' })).to.equal(true);
    for (let i = 0; i < 40; i += 13) expect((await ask<Uint8Array>({ type: 'read', offsetBytes: 2 * i * sector, lengthBytes: sector }))[0]).to.equal(i + 1);
    expect(disk.durableCopy()[2 * 39 * sector]).to.equal(40);
    const stats = irq.stats(device.vector);
    expect(stats.delivered, 'every completion came as an interrupt').to.equal(40 + 1 + 4);
    expect(stats.overruns).to.equal(0);
    expect(await ask({ type: 'status' })).to.deep.include({ name: 'sim0', state: 'online', inFlight: 0, waiting: 0, readErrors: 0 });
    await kernel.runUntil(device.close());
    await kernel.runUntil(kernel.shutdown());
  });

  it('joins writes to neighbouring places into one vectored write, and answers each ask', async () => {
    const { kernel, disk, device, irq, ask } = await simulatedDevice(4);
    // 40 writes back to back, then a gap, then 3 more: the first run goes as few requests, the gap splits it.
    const offsets = [...Array.from({ length: 40 }, (_, i) => i * sector), ...[50, 51, 52].map((i) => i * sector)];
    const writes = offsets.map((offsetBytes, i) => device.ref.ask({ type: 'write', offsetBytes, data: filled(i + 1) }));
    expect(await kernel.runUntil(Promise.all(writes))).to.deep.equal(writes.map(() => true));
    const requests = disk.stats.writes;
    expect(requests, 'joined').to.be.at.most(8).and.at.least(2);
    expect(irq.stats(device.vector).delivered, 'a completion per request').to.equal(requests);
    expect(await ask({ type: 'flush' })).to.equal(true);
    const durable = disk.durableCopy();
    offsets.forEach((offsetBytes, i) => expect(durable.subarray(offsetBytes, offsetBytes + sector), `write ${i}`).to.deep.equal(filled(i + 1)));
    expect(durable[45 * sector], 'the gap is untouched').to.equal(0);
    // Past the bound a run is split: 3 MiB back to back goes as at least three writes.
    const before = disk.stats.writes;
    const big = Array.from({ length: 48 }, (_, i) => device.ref.ask({ type: 'write', offsetBytes: (1 << 20) + i * (64 << 10), data: filled(i, 64 << 10) }));
    await kernel.runUntil(Promise.all(big));
    expect(disk.stats.writes - before).to.be.at.least(3);
    await kernel.runUntil(device.close());
    await kernel.runUntil(kernel.shutdown());
  });

  it('takes a write’s bytes when it takes the ask, so the asker may use its buffer again while the write waits', async () => {
    const { kernel, device, ask } = await simulatedDevice(1);
    const [first, second] = [filled(1), filled(2)];
    const writes = [device.ref.ask({ type: 'write', offsetBytes: 0, data: first }), device.ref.ask({ type: 'write', offsetBytes: 8 * sector, data: second })];
    // The status is answered after both writes were taken, and before the device has either.
    expect(await ask<{ waiting: number }>({ type: 'status' })).to.include({ waiting: 2 });
    second.fill(9);
    await kernel.runUntil(Promise.all(writes));
    expect((await ask<Uint8Array>({ type: 'read', offsetBytes: 8 * sector, lengthBytes: sector }))[0]).to.equal(2);
    await kernel.runUntil(device.close());
    await kernel.runUntil(kernel.shutdown());
  });

  it('refuses a write or read of memory that is no Uint8Array with TypeError, and serves on', async () => {
    const { kernel, device, ask, refusal } = await simulatedDevice(4);
    expect(await refusal({ type: 'write', offsetBytes: 0, data: new ArrayBuffer(sector) as never })).to.be.instanceOf(TypeError);
    expect(await refusal({ type: 'read', offsetBytes: 0, lengthBytes: sector, into: new ArrayBuffer(sector) as never })).to.be.instanceOf(TypeError);
    expect(await ask({ type: 'write', offsetBytes: 0, data: filled(4) })).to.equal(true);
    expect((await ask<Uint8Array>({ type: 'read', offsetBytes: 0, lengthBytes: sector }))[0]).to.equal(4);
    await kernel.runUntil(device.close());
    await kernel.runUntil(kernel.shutdown());
  });

  it('reads into the memory it is given', async () => {
    const { kernel, device, ask, refusal } = await simulatedDevice(4);
    await ask({ type: 'write', offsetBytes: 0, data: filled(7) });
    const into = filled(0xee);
    const read = await ask<Uint8Array>({ type: 'read', offsetBytes: 0, lengthBytes: sector, into });
    expect(read).to.equal(into);
    expect(read[0]).to.equal(7);
    // Memory of another length is refused, not read into.
    expect(await refusal({ type: 'read', offsetBytes: 0, lengthBytes: sector, into: new Uint8Array(sector * 2) })).to.be.instanceOf(TypeError);
    await kernel.runUntil(device.close());
    await kernel.runUntil(kernel.shutdown());
  });

  it('faults a device past its I/O errors and refuses it then; brought online, it serves again', async () => {
    const { kernel, disk, ask, refusal } = await simulatedDevice();
    disk.fail();
    for (let i = 0; i < ioErrorsMax; i++) expect(await refusal({ type: 'read', offsetBytes: 0, lengthBytes: sector })).to.be.instanceOf(BlockIoError);
    expect(await ask({ type: 'status' })).to.deep.include({ state: 'faulted', readErrors: ioErrorsMax });
    const refused = await refusal({ type: 'write', offsetBytes: 0, data: filled(1) });
    expect(refused).to.be.instanceOf(DeviceUnavailableError).and.to.include({ state: 'faulted' });
    disk.revive();
    expect(await ask({ type: 'online' })).to.equal('online');
    expect(await ask({ type: 'write', offsetBytes: 0, data: filled(5) })).to.equal(true);
    await kernel.runUntil(kernel.shutdown());
  });

  it('degrades past its checksum errors until cleared, is removed when it vanishes, and is refused while offline', async () => {
    const { kernel, disk, device, ask, refusal } = await simulatedDevice();
    for (let i = 0; i < checksumErrorsMax; i++) device.ref.tell({ type: 'checksum-error' });
    expect(await ask({ type: 'status' })).to.deep.include({ state: 'degraded', checksumErrors: checksumErrorsMax });
    // Degraded is still in use.
    expect(await ask({ type: 'write', offsetBytes: 0, data: filled(2) })).to.equal(true);
    expect(await ask({ type: 'clear' })).to.equal('online');
    expect(await ask({ type: 'offline' })).to.equal('offline');
    expect(await refusal({ type: 'read', offsetBytes: 0, lengthBytes: sector })).to.be.instanceOf(DeviceUnavailableError);
    expect(await ask({ type: 'online' })).to.equal('online');
    disk.vanish();
    expect(await refusal({ type: 'flush' }))
      .to.be.instanceOf(BlockIoError)
      .and.to.include({ reason: 'gone' });
    expect(await ask({ type: 'status' })).to.deep.include({ state: 'removed' });
    await kernel.runUntil(kernel.shutdown());
  });

  it('clears a faulted device back into use but leaves an offline one offline; online starts its errors from none', async () => {
    const { kernel, disk, ask, refusal } = await simulatedDevice();
    disk.fail();
    for (let i = 0; i < ioErrorsMax; i++)
      await refusal({
        type: i % 2 === 0 ? 'read' : 'write',
        ...(i % 2 === 0 ? { offsetBytes: 0, lengthBytes: sector } : { offsetBytes: 0, data: filled(1) }),
      } as PoolDeviceMsg);
    // Read and write errors count together.
    expect(await ask({ type: 'status' })).to.deep.include({ state: 'faulted', readErrors: ioErrorsMax / 2, writeErrors: ioErrorsMax / 2 });
    disk.revive();
    expect(await ask({ type: 'online' })).to.equal('online');
    expect(await ask({ type: 'status' })).to.deep.include({ readErrors: 0, writeErrors: 0 });
    expect(await ask({ type: 'offline' })).to.equal('offline');
    expect(await ask({ type: 'clear' }), 'clear does not bring an offline device back').to.equal('offline');
    await kernel.runUntil(kernel.shutdown());
  });

  it('closes after what it took, refusing what comes after; a kernel that stops under it fails what is in flight', async () => {
    const { kernel, device, refusal } = await simulatedDevice();
    const inFlight = device.ref.ask({ type: 'write', offsetBytes: 0, data: filled(6) });
    await kernel.settle(); // the actor takes it: it is in the device now
    expect(device.status().inFlight).to.equal(1);
    const closed = device.close();
    const late = await refusal({ type: 'read', offsetBytes: 0, lengthBytes: sector });
    expect(late).to.be.instanceOf(ClosedError);
    expect(await kernel.runUntil(inFlight)).to.equal(true);
    await kernel.runUntil(closed);
    expect(kernel.lookup('zfs.device.sim0')).to.equal(undefined);
    await kernel.runUntil(kernel.shutdown());

    // The kernel stops with a read in flight: its vector goes, and the read fails rather than hang or
    // complete on a vector another device may hold.
    const again = await simulatedDevice();
    const pending = again.device.ref.ask({ type: 'read', offsetBytes: 0, lengthBytes: sector }).then(
      () => 'answered',
      (error: unknown) => (error as Error).constructor.name,
    );
    await again.kernel.runUntil(again.kernel.shutdown());
    expect(['answered', 'ClosedError', 'KernelStoppedError', 'ActorStoppedError']).to.include(await pending);
  });

  it('works on a real file, on a real kernel', async () => {
    const home = mkdtempSync(join(tmpdir(), 'osprey-pool-device-'));
    const kernel = await Kernel.boot();
    try {
      const disk = await createFileDevice(join(home, 'disk0'), { sizeBytes: 4 << 20, create: true });
      const device = await openPoolDevice(
        { irq: kernel.subsystem(interrupts), spawn: (behavior, options) => kernel.spawn(behavior, options), stop: (ref) => kernel.stop(ref) },
        disk,
        { name: 'disk0' },
      );
      await device.ref.ask({ type: 'write', offsetBytes: 4096, data: filled(7, 4096) });
      await device.ref.ask({ type: 'flush' });
      expect((await device.ref.ask({ type: 'read', offsetBytes: 4096, lengthBytes: 4096 })).every((byte) => byte === 7)).to.equal(true);
      await device.close();
      await disk.close();
      const reopened = await createFileDevice(join(home, 'disk0'));
      expect((await reopened.read(4096, sector))[0]).to.equal(7);
      await reopened.close();
    } finally {
      await kernel.shutdown();
      rmSync(home, { recursive: true, force: true });
    }
  });
});
