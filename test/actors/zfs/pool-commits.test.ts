/**
 * Commits and imports of a pool's objects on simulated devices:
 * - objects written and committed come back from an import, on a mirror and on a degraded one;
 * - a crash at any instant of a workload that commits leaves, at the next import, exactly the last
 *   committed state or the one being committed, never anything else (over many seeds and crash
 *   times, with writes kept, lost or torn by the crash; on a mirror, RAID-Z1 and RAID-Z2 in turn);
 * - an import whose newest tree does not verify falls back on the group before it, whole, because
 *   frees are deferred.
 */
import { expect } from 'chai';
import { findPools, readLabels } from '../../../actors/zfs/label-io.js';
import { createPool, importPool, type Pool, PoolError } from '../../../actors/zfs/pool.js';
import { FailingDevice } from './helpers/failing-device.js';
import { restartsOf } from './helpers/restarts.js';
import { simulatedStorage } from './helpers/simulated-storage.js';

type Contents = Map<number, Uint8Array>;

const booted = (seed: number) => simulatedStorage(seed);

/** Every object of `pool` with its bytes. */
async function contentsOf(pool: Pool): Promise<Contents> {
  const contents: Contents = new Map();
  for (const id of await pool.objects.ids()) contents.set(id, await pool.objects.read(id, 0, (await pool.objects.stat(id)).sizeBytes));
  return contents;
}

function same(a: Contents, b: Contents): boolean {
  return a.size === b.size && [...a].every(([id, bytes]) => b.has(id) && Buffer.from(b.get(id)!).equals(bytes));
}

function describeContents(contents: Contents): string {
  return [...contents].map(([id, bytes]) => `${id}:${bytes.byteLength}`).join(' ');
}

describe('zfs: commits of a pool’s objects, and imports after a crash', function () {
  this.timeout(60_000);

  it('commits objects on a mirror and reads them back after an import, also with a side gone', async () => {
    const { kernel, zfs, disk } = await booted(21);
    const sides = [disk('a'), disk('b')];
    const tank = await kernel.runUntil(createPool(zfs, { name: 'tank', layout: 'mirror', devices: sides }));
    const text = new TextEncoder().encode('copy on write');
    const small = await kernel.runUntil(tank.objects.create('file', 4096));
    const large = await kernel.runUntil(tank.objects.create('file', 4096));
    await kernel.runUntil(tank.objects.write(small, 0, text));
    await kernel.runUntil(tank.objects.write(large, 1 << 20, new Uint8Array(300 << 10).fill(9)));
    expect(await kernel.runUntil(tank.commit())).to.equal(2);
    expect(await kernel.runUntil(tank.commit())).to.equal(2); // nothing changed since
    const before = await kernel.runUntil(contentsOf(tank));
    expect(tank.status().usedBytes).to.be.greaterThan(300 << 10);
    await kernel.runUntil(tank.export());

    const again = await kernel.runUntil(importPool(zfs, sides, 'tank'));
    expect(again.txg).to.equal(2);
    expect(same(await kernel.runUntil(contentsOf(again)), before)).to.equal(true);
    // What the tree uses: the space of blocks freed but not yet reusable was still counted before.
    expect(again.status().usedBytes)
      .to.be.greaterThan(300 << 10)
      .and.at.most(tank.status().usedBytes);
    await kernel.runUntil(again.export());

    // One side gone: the pool is degraded, and goes on committing on the other.
    const degraded = await kernel.runUntil(importPool(zfs, [sides[1]!], 'tank'));
    await kernel.runUntil(degraded.objects.truncate(large, 4));
    await kernel.runUntil(degraded.commit());
    await kernel.runUntil(degraded.export());
    const last = await kernel.runUntil(importPool(zfs, [sides[1]!], 'tank'));
    expect((await kernel.runUntil(last.objects.stat(large))).sizeBytes).to.equal(4);
    expect(new TextDecoder().decode(await kernel.runUntil(last.objects.read(small, 0, 100)))).to.equal('copy on write');
    await kernel.runUntil(last.export());
    await kernel.runUntil(kernel.shutdown());
  });

  it('leaves the last committed state or the one being committed after a crash at any instant', async () => {
    const outcomes = { committed: 0, pending: 0 };
    for (let seed = 1; seed <= 24; seed++) {
      const { kernel, zfs, disk } = await booted(seed);
      // Every layout in turn: a mirror of two, RAID-Z1 of three, RAID-Z2 of four.
      const layout = (['mirror', 'raidz1', 'raidz2'] as const)[seed % 3]!;
      const sides = ['a', 'b', 'c', 'd'].slice(0, layout === 'mirror' ? 2 : layout === 'raidz1' ? 3 : 4).map((name) => disk(name));
      const pool = await kernel.runUntil(createPool(zfs, { name: 'tank', layout, devices: sides }));
      const random = kernel.random.stream('workload');
      let committed: Contents = new Map();
      let pending: Contents | null = null;
      const model: Contents = new Map();
      let stopped = false;
      const workload = (async () => {
        while (!stopped) {
          for (let change = 0; change < 1 + random.int(4); change++) {
            const ids = [...model.keys()];
            const choice = random.int(4);
            if (choice === 0 || ids.length === 0) {
              const id = await pool.objects.create('file', 4096);
              model.set(id, new Uint8Array(0));
            } else {
              const id = ids[random.int(ids.length)]!;
              if (choice === 3) {
                await pool.objects.remove(id);
                model.delete(id);
                continue;
              }
              const offset = random.int(64 << 10);
              const data = new Uint8Array(1 + random.int(20 << 10)).fill(1 + random.int(255));
              await pool.objects.write(id, offset, data);
              const old = model.get(id)!;
              const next = new Uint8Array(Math.max(old.byteLength, offset + data.byteLength));
              next.set(old);
              next.set(data, offset);
              model.set(id, next);
            }
          }
          pending = new Map([...model].map(([id, bytes]) => [id, bytes.slice()]));
          await pool.commit();
          committed = pending;
          pending = null;
        }
      })();
      // The crash comes at a random instant of the first 40 ms of simulated time: between, or in
      // the middle of, the commits (each takes a few ms of device latency).
      await kernel.runUntil(new Promise<void>((resolve) => kernel.clock.setTimer(random.int(40_000) / 1000, resolve)));
      stopped = true;
      // The process dies: what was not durable is kept, lost or torn, and nothing reaches the devices after.
      for (const side of sides) {
        side.crash();
        side.fail();
      }
      await kernel.runUntil(workload.catch(() => undefined));
      await kernel.runUntil(pool.abandon().catch(() => undefined));
      for (const side of sides) side.revive();

      const again = await kernel.runUntil(importPool(zfs, sides, 'tank'));
      const found = await kernel.runUntil(contentsOf(again));
      const isCommitted = same(found, committed);
      const isPending = pending !== null && same(found, pending);
      expect(isCommitted || isPending, `seed ${seed}: found ${describeContents(found)}, committed ${describeContents(committed)}`).to.equal(true);
      outcomes[isCommitted ? 'committed' : 'pending']++;
      // The pool takes new work after the import.
      const id = await kernel.runUntil(again.objects.create('file', 4096));
      await kernel.runUntil(again.objects.write(id, 0, new Uint8Array([1])));
      await kernel.runUntil(again.export());
      await kernel.runUntil(kernel.shutdown());
    }
    // Both cases happen: crashes land between commits and inside them.
    expect(outcomes.committed).to.be.greaterThan(0);
    expect(outcomes.pending).to.be.greaterThan(0);
  });

  it('falls back on the group before when the newest tree does not verify, and finds it whole', async () => {
    const { kernel, zfs, disk } = await booted(31);
    const only = disk('only');
    const pool = await kernel.runUntil(createPool(zfs, { name: 'tank', layout: 'single', devices: [only] }));
    const id = await kernel.runUntil(pool.objects.create('file', 4096));
    await kernel.runUntil(pool.objects.write(id, 0, new Uint8Array(8192).fill(1)));
    await kernel.runUntil(pool.commit());
    await kernel.runUntil(pool.objects.write(id, 0, new Uint8Array(4096).fill(2)));
    await kernel.runUntil(pool.commit());
    await kernel.runUntil(pool.export());
    // Every copy of the newest objset block is overwritten: that tree no longer verifies.
    const [found] = findPools([await kernel.runUntil(readLabels(only))]);
    expect(found!.uberblocks.map((uberblock) => uberblock.txg).slice(0, 2)).to.deep.equal([3, 2]);
    for (const address of found!.uberblocks[0]!.root.addresses)
      await kernel.runUntil(only.write(address.offsetBytes, new Uint8Array(address.allocatedBytes).fill(0xee)));
    const rewound = await kernel.runUntil(importPool(zfs, [only], 'tank'));
    expect(rewound.txg).to.equal(2);
    expect([...(await kernel.runUntil(rewound.objects.read(id, 0, 8192)))].every((byte) => byte === 1)).to.equal(true);
    await kernel.runUntil(rewound.export());
    await kernel.runUntil(kernel.shutdown());
  });

  it('takes changes and reads while a group syncs in the sync actor, and an fsync resolves once its group is durable', async () => {
    const { kernel, zfs, disk } = await booted(34);
    const device = new FailingDevice(disk('d'));
    const pool = await kernel.runUntil(createPool(zfs, { name: 'tank', layout: 'single', devices: [device] }));
    const syncActor = kernel.lookup('kernel.zfs.sync.tank');
    expect(syncActor, 'the pool’s sync actor').to.not.equal(undefined);
    const id = await kernel.runUntil(pool.objects.create('file', 4096));
    await kernel.runUntil(pool.objects.write(id, 0, new Uint8Array(4096).fill(1)));
    const release = device.holdFlushes();
    let durable = false;
    const commit = pool.commit().then((txg) => {
      durable = true;
      return txg;
    });
    // Group 2's blocks are written and its flush is held: the pool goes on with group 3.
    await kernel.runUntil(pool.objects.write(id, 4096, new Uint8Array(4096).fill(2)));
    const both = await kernel.runUntil(pool.objects.read(id, 0, 8192));
    expect([both[0], both[4096]]).to.deep.equal([1, 2]);
    expect(durable).to.equal(false);
    expect(pool.status().txgState).to.equal('syncing');
    expect(pool.txg).to.equal(1);
    // A flush may take long (a loaded disk): a minute is no failure.
    await kernel.advance(60_000);
    expect(durable).to.equal(false);
    release();
    expect(await kernel.runUntil(commit)).to.equal(2);
    // A sync actor that crashes (mail it does not take) is restarted, and the next group syncs.
    syncActor!.tell({ type: 'bogus' } as never);
    await kernel.advance(10);
    expect(restartsOf(await kernel.runUntil(kernel.cpuStatuses()), 'kernel.zfs.sync.tank')).to.equal(1);
    expect(await kernel.runUntil(pool.commit())).to.equal(3);
    await kernel.runUntil(pool.export());
    expect(kernel.lookup('kernel.zfs.sync.tank'), 'gone with the pool').to.equal(undefined);
    const again = await kernel.runUntil(importPool(zfs, [device], 'tank'));
    const back = await kernel.runUntil(again.objects.read(id, 0, 8192));
    expect([back[0], back[4096], again.txg]).to.deep.equal([1, 2, 3]);
    await kernel.runUntil(again.export());
    await kernel.runUntil(kernel.shutdown());
  });

  it('writes the next group’s blocks only once the group syncing is durable', async () => {
    const { kernel, zfs, disk } = await booted(36);
    const device = new FailingDevice(disk('d'));
    const pool = await kernel.runUntil(createPool(zfs, { name: 'tank', layout: 'single', devices: [device] }));
    const id = await kernel.runUntil(pool.objects.create('file', 4096));
    await kernel.runUntil(pool.objects.write(id, 0, new Uint8Array(4096).fill(1)));
    const release = device.holdFlushes();
    const first = pool.commit();
    await kernel.runUntil(pool.objects.write(id, 4096, new Uint8Array(4096).fill(2)));
    const writesBefore = device.writes;
    const second = pool.commit();
    await kernel.advance(1000);
    // Group 3 waits: nothing of it reached the device while group 2 syncs.
    expect(device.writes).to.equal(writesBefore);
    release();
    expect(await kernel.runUntil(Promise.all([first, second]))).to.deep.equal([2, 3]);
    expect(device.writes).to.be.greaterThan(writesBefore);
    await kernel.runUntil(pool.export());
    await kernel.runUntil(kernel.shutdown());
  });

  it('finds the room a syncing group gives back: a change short of room waits for it rather than be refused', async () => {
    const { kernel, zfs, disk } = await booted(7);
    const pool = await kernel.runUntil(createPool(zfs, { name: 'tank', layout: 'single', devices: [disk('d')] }));
    const big = await kernel.runUntil(pool.objects.create('file', 128 << 10));
    const small = await kernel.runUntil(pool.objects.create('file', 4096));
    await kernel.runUntil(pool.objects.write(big, 0, new Uint8Array(4 << 20).fill(1)));
    await kernel.runUntil(pool.commit());
    await kernel.runUntil(pool.objects.remove(big));
    await kernel.runUntil(pool.commit()); // group F frees the 4 MiB
    await kernel.runUntil(pool.objects.write(small, 0, new Uint8Array(10).fill(2)));
    await kernel.runUntil(pool.commit()); // F + 1
    await kernel.runUntil(pool.objects.write(small, 0, new Uint8Array(10).fill(3)));
    // F + 2 gives the 4 MiB back once durable; the changes after it are asked at once.
    const committed = pool.commit();
    const other = await kernel.runUntil(pool.objects.create('file', 128 << 10));
    await kernel.runUntil(pool.objects.write(other, 0, new Uint8Array(4 << 20).fill(4)));
    await kernel.runUntil(committed);
    expect((await kernel.runUntil(pool.objects.read(other, 0, 1)))[0]).to.equal(4);
    await kernel.runUntil(pool.export());
    await kernel.runUntil(kernel.shutdown());
  });

  it('reports a group that failed with nobody waiting at the export: a write past the dirty bound whose flush fails', async () => {
    const { kernel, zfs, disk } = await booted(37);
    const device = new FailingDevice(disk('d'));
    const pool = await kernel.runUntil(createPool(zfs, { name: 'tank', layout: 'single', devices: [device], dirtyBytesMax: 4096 }));
    const id = await kernel.runUntil(pool.objects.create('file', 4096));
    await kernel.runUntil(pool.commit());
    device.failFlush = true;
    // The write wrote its group and resolved; the group's flush fails in the sync actor.
    await kernel.runUntil(pool.objects.write(id, 0, new Uint8Array(8192).fill(7)));
    await kernel.advance(100);
    expect(pool.status().txgState).to.equal('suspended');
    const exported = await kernel.runUntil(pool.export().catch((error: unknown) => error));
    expect(exported).to.be.instanceOf(PoolError).and.include({ reason: 'suspended' });
    expect((exported as Error).message).to.match(/the changes after group 2 are lost/);
    device.failFlush = false;
    const again = await kernel.runUntil(importPool(zfs, [device], 'tank'));
    expect((await kernel.runUntil(again.objects.stat(id))).sizeBytes).to.equal(0);
    await kernel.runUntil(again.export());
    await kernel.runUntil(kernel.shutdown());
  });

  it('fails the fsync of a group whose flush fails, and every change after, as the pool suspends', async () => {
    const { kernel, zfs, disk } = await booted(35);
    const device = new FailingDevice(disk('d'));
    const pool = await kernel.runUntil(createPool(zfs, { name: 'tank', layout: 'single', devices: [device] }));
    const id = await kernel.runUntil(pool.objects.create('file', 4096));
    await kernel.runUntil(pool.commit());
    await kernel.runUntil(pool.objects.write(id, 0, new Uint8Array(4096).fill(7)));
    device.failFlush = true;
    const failed = await kernel.runUntil(pool.commit().catch((error: unknown) => error));
    expect(failed)
      .to.be.instanceOf(Error)
      .and.have.property('message')
      .that.matches(/injected/);
    expect(pool.status().txgState).to.equal('suspended');
    const refused = await kernel.runUntil(pool.objects.write(id, 0, new Uint8Array(1)).catch((error: unknown) => error));
    expect(refused).to.include({ reason: 'suspended' });
    await kernel.runUntil(pool.abandon());
    device.failFlush = false;
    // The import finds the last group committed: the object, empty.
    const again = await kernel.runUntil(importPool(zfs, [device], 'tank'));
    expect((await kernel.runUntil(again.objects.stat(id))).sizeBytes).to.equal(0);
    await kernel.runUntil(again.export());
    await kernel.runUntil(kernel.shutdown());
  });

  it('commits past the dirty bound, but never between the steps of one turn', async () => {
    const { kernel, zfs, disk } = await booted(33);
    const pool = await kernel.runUntil(createPool(zfs, { name: 'tank', layout: 'single', devices: [disk('d')], dirtyBytesMax: 4096 }));
    const id = await kernel.runUntil(pool.objects.create('file', 4096));
    // Alone, a write past the bound writes its group before it resolves (the writer waits for the
    // devices); the sync actor then makes the group durable while the next one takes changes.
    await kernel.runUntil(pool.objects.write(id, 0, new Uint8Array(8192).fill(1)));
    expect(pool.status().txgState).to.equal('syncing');
    expect(pool.txg).to.equal(1);
    expect(await kernel.runUntil(pool.commit())).to.equal(2);
    expect(pool.txg).to.equal(2);
    // In one turn, no commit comes between the steps; the turn's changes commit at its end, whole.
    const seen = await kernel.runUntil(
      pool.atomically(async ({ objects }) => {
        await objects.write(id, 0, new Uint8Array(8192).fill(2));
        const between = pool.txg;
        await objects.write(id, 8192, new Uint8Array(8192).fill(3));
        return [between, pool.txg];
      }),
    );
    expect(seen).to.deep.equal([2, 2]);
    expect(await kernel.runUntil(pool.commit())).to.equal(3);
    await kernel.runUntil(pool.export());
    await kernel.runUntil(kernel.shutdown());
  });
});
