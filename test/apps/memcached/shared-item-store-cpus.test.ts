/**
 * The shared item store used from three CPUs at once, as memcached's threads share one cache: each
 * CPU (worker threads 1 and 2, and CPU 0) opens the store by its handle and runs seeded random
 * operations on a few keys, so they collide: set, get, append, delete, touch and incr, with values
 * made of self-describing records (key, writer CPU, sequence, padding, checksum). Every read is
 * checked to be whole records of its key that some CPU really stored under it: never torn, never
 * another key's. At the end the store's structures agree (`check()`), its figures are the whole
 * store's and add up with what the CPUs did and with what each key holds now.
 */
import { expect } from 'chai';
import { configure, defaultSubsystems, Kernel } from '../../../boot/index.js';
import { virtualMemory } from '../../../actors/vm/subsystem.js';
import { itemHeaderBytes } from '../../../apps/memcached/store/limits-slabs.js';
import { SharedItemStore } from '../../../apps/memcached/store/shared-item-store.js';
import { stressSize } from '../../helpers/stress.js';
import { counterKeys, DieHoldingStoreLock, intentBytes, parseRecords, type RunReport, StoreRunner, storeKeys } from './fixtures/shared-store-actors.js';
import { VmLockAbandonedError } from '../../../actors/vm/errors.js';
import { eventually } from '../../helpers/eventually.js';

const modules = [new URL('./fixtures/shared-store-actors.js', import.meta.url)];
/** Operations each CPU runs (MEMCACHED_SHARED_OPS): 3 000 under npm test, 60 000 under test:stress. */
const ops = stressSize('MEMCACHED_SHARED_OPS', { ci: 3_000, full: 60_000 });
/** How long a CPU's run may take: one turn of all its operations (a long one under test:stress). */
const runDeadlineMs = 300_000;

describe('memcached: the shared item store on three CPUs at once', () => {
  let kernel: Kernel;
  afterEach(async () => {
    await kernel?.shutdown();
  });

  for (const limitBytes of [16 << 20, 2 << 20]) {
    it(`serves every CPU from one store under ${limitBytes >> 20} MiB, never a torn or foreign value, and its figures add up`, async () => {
      kernel = await Kernel.boot({ cpus: 3, modules, subsystems: [...defaultSubsystems, configure(virtualMemory, { physicalBytes: 64 << 20 })] });
      const vm = kernel.subsystem(virtualMemory);
      const store = await SharedItemStore.create(vm, { limitBytes });
      // A word the runners meet at before their first operation, so that the three run at once, and their bitmaps of records stored.
      const scratchBytes = Math.ceil((8 + 3 * intentBytes(ops)) / 4096) * 4096;
      const barrier = await vm.mmap(scratchBytes);
      const intents = barrier + 8;
      const runners = await Promise.all([0, 1, 2].map((cpu) => kernel.spawned(kernel.spawn(StoreRunner, { cpu }))));
      const reports: RunReport[] = await Promise.all(
        runners.map((runner, cpu) =>
          runner.ask({ type: 'run', handle: store.handle, seed: 0x5eed + cpu, ops, barrier, runners: 3, intents }, { deadlineMs: runDeadlineMs }),
        ),
      );

      expect(reports.map((report) => report.cpu)).to.deep.equal([0, 1, 2]);
      // Every record read was whole, of its key, and stored under it by the CPU it names.
      for (const report of reports) expect(report.bad, `CPU ${report.cpu}'s reads`).to.deep.equal([]);
      const recordsRead = reports.reduce((sum, report) => sum + report.recordsRead, 0);
      // Reads found records (under the small cap, fewer: evictions take keys).
      expect(recordsRead).to.be.above(ops / 10);

      store.check();
      // What each key holds now is whole records of its own, and the figures are what the walk finds.
      const stats = store.stats();
      expect(stats.itemsStored).to.equal(reports.reduce((sum, report) => sum + report.storesSucceeded, 0));
      let items = 0;
      let bytes = 0;
      for (const key of [...storeKeys, ...counterKeys]) {
        const item = store.peek(key, 1e9);
        if (item === undefined) continue;
        const value = new TextDecoder().decode(store.read(item));
        if (key.startsWith('key:')) expect(parseRecords(key, value)).to.have.property('records');
        else expect(value).to.match(/^\d+ *$/);
        items++;
        bytes += itemHeaderBytes + key.length + item.valueBytes;
      }
      expect(stats).to.include({ items, bytes, expired: 0 });
      if (limitBytes === 16 << 20) expect(stats.evictions).to.equal(0);
      await store.close();
      await vm.munmap(barrier, scratchBytes);
    });
  }

  it('fails every call with a typed error once a CPU died holding its lock, instead of spinning forever', async function () {
    this.timeout(30_000);
    kernel = await Kernel.boot({ cpus: 2, modules, subsystems: [...defaultSubsystems, configure(virtualMemory, { physicalBytes: 64 << 20 })] });
    const store = await SharedItemStore.create(kernel.subsystem(virtualMemory), { limitBytes: 4 << 20 });
    expect(typeof store.store('k', 0, 0, new Uint8Array(3), 1)).to.equal('object');
    kernel.spawn(DieHoldingStoreLock, { cpu: 1 }).tell({ type: 'die-holding-lock', handle: store.handle });
    // A call made while CPU 1 still holds the lock spins until it gives up (this thread cannot hear
    // of the death while it spins); once CPU 0 has heard, the lock is abandoned for good.
    const failed = await eventually(() => {
      try {
        store.get('k', 2);
        return undefined;
      } catch (error) {
        return (error as VmLockAbandonedError).reason === 'holder-died' ? error : undefined;
      }
    });
    expect(failed).to.include({ code: 'vm-lock-abandoned', cpu: 1, reason: 'holder-died' });
    // For good: what the lock guarded may be half changed.
    expect(() => store.peek('k', 3)).to.throw(VmLockAbandonedError);
  });
});
