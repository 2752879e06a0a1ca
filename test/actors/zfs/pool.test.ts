import { expect } from 'chai';
import { createPool, importPool, PoolError } from '../../../actors/zfs/pool.js';
import { simulatedStorage } from './helpers/simulated-storage.js';

describe('zfs: pools created, exported and imported on their devices', function () {
  this.timeout(30_000);

  const booted = (seed = 8) => simulatedStorage(seed, [0.1, 1]);

  it('creates a mirror, exports it, and imports it again by name with its devices in use', async () => {
    const { kernel, zfs, disk } = await booted();
    const devices = [disk('d0'), disk('d1')];
    const tank = await kernel.runUntil(createPool(zfs, { name: 'tank', layout: 'mirror', devices }));
    expect(tank.status()).to.deep.include({ name: 'tank', layout: 'mirror', state: 'online', txg: 1 });
    expect(tank.guid).to.match(/^[0-9a-f]{16}$/);
    await kernel.runUntil(tank.export());
    const again = await kernel.runUntil(importPool(zfs, devices, 'tank'));
    expect([again.guid, again.txg, again.layout]).to.deep.equal([tank.guid, 1, 'mirror']);
    expect(again.status().devices.map((device) => device.state)).to.deep.equal(['online', 'online']);
    // The devices' actors write and read for it.
    expect(await kernel.runUntil(again.devices[0]!.ref.ask({ type: 'write', offsetBytes: 4 << 20, data: new Uint8Array(512).fill(1) }))).to.equal(true);
    await kernel.runUntil(again.export());
    await kernel.runUntil(kernel.shutdown());
  });

  it('imports a mirror with a side missing as degraded, but not a single device that is gone', async () => {
    const { kernel, zfs, disk } = await booted(9);
    const sides = [disk('m0'), disk('m1')];
    await kernel.runUntil(createPool(zfs, { name: 'tank', layout: 'mirror', devices: sides }).then((pool) => pool.export()));
    const degraded = await kernel.runUntil(importPool(zfs, [sides[1]!], 'tank'));
    expect(degraded.status().state).to.equal('degraded');
    expect(degraded.status().devices.map((device) => device.state)).to.deep.equal(['missing', 'online']);
    // What the missing side was, by the name its labels keep.
    expect(degraded.status().devices[0]).to.include({ state: 'missing', was: 'm0' });
    await kernel.runUntil(degraded.export());

    const lone = disk('single');
    await kernel.runUntil(createPool(zfs, { name: 'solo', layout: 'single', devices: [lone] }).then((pool) => pool.export()));
    const refused = await kernel.runUntil(importPool(zfs, [sides[0]!], 'solo').catch((error: unknown) => error));
    expect(refused).to.be.instanceOf(PoolError).and.to.include({ reason: 'not-found' });
    await kernel.runUntil(kernel.shutdown());
  });

  it('refuses a bad name, layout or option, and a device that already holds another pool', async () => {
    const { kernel, zfs, disk } = await booted(10);
    const [a, b] = [disk('a'), disk('b')];
    const refusal = (work: Promise<unknown>) => kernel.runUntil(work.catch((error: unknown) => error));
    expect(await refusal(createPool(zfs, { name: '9lives', layout: 'single', devices: [a] }))).to.include({ reason: 'bad-name' });
    expect(await refusal(createPool(zfs, { name: 'tank', layout: 'mirror', devices: [a] }))).to.include({ reason: 'bad-layout' });
    // Bad options are refused before a device is touched: a then holds no pool.
    for (const bad of [{ dirtyBytesMax: 0 }, { commitIntervalMs: Number.POSITIVE_INFINITY }, { cacheBytes: -1 }]) {
      const refused = await refusal(createPool(zfs, { name: 'tank', layout: 'single', devices: [a], ...bad }));
      expect(refused, JSON.stringify(bad)).to.include({ reason: 'bad-option' });
      expect((refused as Error).message).to.match(new RegExp(Object.keys(bad)[0]!));
    }
    expect(await refusal(importPool(zfs, [a], 'tank'))).to.include({ reason: 'not-found' });
    expect(await refusal(importPool(zfs, [a], 'tank', { cacheBytes: 0.5 }))).to.include({ reason: 'bad-option' });
    await kernel.runUntil(createPool(zfs, { name: 'tank', layout: 'single', devices: [a] }).then((pool) => pool.export()));
    const taken = await refusal(createPool(zfs, { name: 'other', layout: 'mirror', devices: [a, b] }));
    expect(taken).to.be.instanceOf(PoolError).and.to.include({ reason: 'in-use' });
    expect((taken as Error).message).to.match(/already part of pool tank/);
    expect(await refusal(importPool(zfs, [b], 'tank'))).to.include({ reason: 'not-found' });
    await kernel.runUntil(kernel.shutdown());
  });

  it('writes sha256 checksums when created so, and keeps to it after an import', async () => {
    const { kernel, zfs, disk } = await booted(12);
    const devices = [disk('s0')];
    const refused = await kernel.runUntil(
      createPool(zfs, { name: 'tank', layout: 'single', devices, checksum: 'crc32' as 'sha256' }).catch((error: unknown) => error),
    );
    expect(refused).to.be.instanceOf(PoolError).and.include({ reason: 'bad-option' });
    const tank = await kernel.runUntil(createPool(zfs, { name: 'tank', layout: 'single', devices, checksum: 'sha256' }));
    expect(tank.status().checksum).to.equal('sha256');
    await kernel.runUntil(tank.export());
    const again = await kernel.runUntil(importPool(zfs, devices, 'tank'));
    expect(again.status().checksum).to.equal('sha256');
    const file = await kernel.runUntil(again.objects.create('file'));
    await kernel.runUntil(again.objects.write(file, 0, new Uint8Array(10_000).fill(7)));
    await kernel.runUntil(again.commit());
    // Each block pointer carries the kind its block was written with.
    expect((await kernel.runUntil(again.objects.stat(file))).root.checksumKind).to.equal('sha256');
    await kernel.runUntil(again.export());
    const third = await kernel.runUntil(importPool(zfs, devices, 'tank'));
    expect(await kernel.runUntil(third.objects.read(file, 0, 10_000))).to.deep.equal(new Uint8Array(10_000).fill(7));
    await kernel.runUntil(third.export());
    await kernel.runUntil(kernel.shutdown());
  });

  it('gives the same guids from the same seed', async () => {
    const guidOf = async (seed: number) => {
      const { kernel, zfs, disk } = await booted(seed);
      const pool = await kernel.runUntil(createPool(zfs, { name: 'tank', layout: 'single', devices: [disk('x')] }));
      await kernel.runUntil(kernel.shutdown());
      return pool.guid;
    };
    expect(await guidOf(12)).to.equal(await guidOf(12));
    expect(await guidOf(12)).to.not.equal(await guidOf(13));
  });

  it("shows an open pool in the kernel's status, and refuses a second pool of its name while it is open", async () => {
    const { kernel, zfs, disk } = await booted(14);
    const tank = await kernel.runUntil(createPool(zfs, { name: 'tank', layout: 'single', devices: [disk('t')] }));
    const pools = () => (kernel.status().subsystems.zfs as { pools: Record<string, { state: string; txg: number; txgState: string }> }).pools;
    expect(pools().tank).to.deep.include({ state: 'online', txg: 1, txgState: 'open', layout: 'single' });
    const second = await kernel.runUntil(createPool(zfs, { name: 'tank', layout: 'single', devices: [disk('u')] }).catch((error: unknown) => error));
    expect(second).to.be.instanceOf(PoolError).and.to.include({ reason: 'in-use' });
    expect((second as Error).message).to.match(/open already/);
    await kernel.runUntil(tank.export());
    expect(pools()).to.deep.equal({});
    const again = await kernel.runUntil(importPool(zfs, [], 'tank').catch((error: unknown) => error));
    expect(again).to.be.instanceOf(PoolError).and.to.include({ reason: 'not-found' });
    // A refused import leaves the name free.
    expect(pools()).to.deep.equal({});
    await kernel.runUntil(kernel.shutdown());
  });

  it('reads blocks into memory it uses again, and a block read stays right in the cache while later groups change others', async () => {
    const { kernel, zfs, disk } = await booted(11);
    const devices = [disk('m0'), disk('m1')];
    // A cache of four blocks: reads evict blocks read before, whose memory later reads take.
    const options = { cacheBytes: 16 << 10 };
    let pool = await kernel.runUntil(createPool(zfs, { name: 'tank', layout: 'mirror', devices, ...options }));
    const id = await kernel.runUntil(pool.objects.create('file', 4096));
    for (let block = 0; block < 8; block++) await kernel.runUntil(pool.objects.write(id, block * 4096, new Uint8Array(4096).fill(block + 1)));
    await kernel.runUntil(pool.export());
    // An empty cache: every block is read from the devices, into the pool's memory.
    pool = await kernel.runUntil(importPool(zfs, devices, 'tank', options));
    const first = await kernel.runUntil(pool.objects.read(id, 0, 8 * 4096));
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((block) => first[block * 4096])).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8]);
    // Groups that take memory for their changes: none may be memory a cached block still holds.
    for (let round = 0; round < 3; round++) {
      await kernel.runUntil(pool.objects.write(id, (8 + round) * 4096, new Uint8Array(4096).fill(100 + round)));
      await kernel.runUntil(pool.commit());
    }
    const again = await kernel.runUntil(pool.objects.read(id, 0, 11 * 4096));
    expect([...Array(11).keys()].map((block) => again[block * 4096])).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 100, 101, 102]);
    await kernel.runUntil(pool.export());
    await kernel.runUntil(kernel.shutdown());
  });
});
