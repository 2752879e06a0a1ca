import { expect } from 'chai';
import { Kernel } from '../../../boot/index.js';
import { answered, settle } from '../../helpers/kernel.js';
import { eventually } from '../../helpers/eventually.js';
import { Bomb, Collector, Counter, RefUser, type CollectorMsg } from './fixtures/behaviors.js';

const modules = [new URL('./fixtures/behaviors.js', import.meta.url)];

describe('names across CPUs', () => {
  let kernel: Kernel;
  beforeEach(async () => {
    kernel = await Kernel.boot({ mode: 'simulated', seed: 21, cpus: 3, modules });
  });
  afterEach(async () => {
    await kernel.shutdown();
  });

  it('a name taken on one CPU is found by a lookup on every CPU, and freed everywhere when its actor stops', async () => {
    const far = kernel.spawn(RefUser, { cpu: 2 });
    const owner = kernel.spawn(RefUser, { cpu: 1 });
    await settle(kernel);
    const collector = await answered(kernel, owner.ask({ type: 'spawn-named', name: 'inbox' }));
    await settle(kernel);
    expect(await answered(kernel, far.ask({ type: 'lookup', name: 'inbox' }))).to.equal(collector.pid);
    const found = kernel.lookup<CollectorMsg>('inbox');
    expect(found?.pid).to.equal(collector.pid);
    found!.tell({ type: 'via-lookup' });
    expect(await answered(kernel, collector.ask({ type: 'collected' }))).to.deep.equal([{ type: 'via-lookup' }]);
    await kernel.runUntil(kernel.stop(collector));
    await settle(kernel);
    expect(kernel.lookup('inbox')).to.equal(undefined);
    expect(await answered(kernel, far.ask({ type: 'lookup', name: 'inbox' }))).to.equal(0);
  });

  it('a name placed from one CPU on another is known on the third too', async () => {
    const far = kernel.spawn(RefUser, { cpu: 2 });
    const db = kernel.spawn(Counter, { cpu: 1, name: 'db' });
    await settle(kernel);
    expect(kernel.lookup('db')).to.equal(db);
    expect(await answered(kernel, far.ask({ type: 'lookup', name: 'db' }))).to.equal(db.pid);
  });

  it("a CPU's own actor wins a name over another CPU's; kernel. names stay on their CPU", async () => {
    const local = kernel.spawn(Collector, { name: 'dup' });
    const owner = kernel.spawn(RefUser, { cpu: 1 });
    await settle(kernel);
    const remote = await answered(kernel, owner.ask({ type: 'spawn-named', name: 'dup' }));
    await settle(kernel);
    expect(kernel.lookup('dup')).to.equal(local);
    expect(await answered(kernel, owner.ask({ type: 'lookup', name: 'dup' }))).to.equal(remote.pid);
    // Every CPU has its own scheduler; each finds its own.
    expect(await answered(kernel, owner.ask({ type: 'lookup', name: 'kernel.scheduler' }))).to.not.equal(kernel.lookup('kernel.scheduler')!.pid);
  });
});

describe('names across worker CPUs', function () {
  this.timeout(30_000);

  it("a CPU that dies takes its names with it, and learns the others' when it is back", async () => {
    const kernel = await Kernel.boot({ cpus: 3, modules });
    try {
      const owner = await kernel.spawned(kernel.spawn(RefUser, { cpu: 1 }));
      const service = await owner.ask({ type: 'spawn-named', name: 'service' });
      const doomed = await kernel.spawned(kernel.spawn(RefUser, { cpu: 2 }));
      await doomed.ask({ type: 'spawn-named', name: 'doomed-service' });
      await eventually(() => kernel.lookup('doomed-service'));
      const bomb = await kernel.spawned(kernel.spawn(Bomb, { cpu: 2 }));
      bomb.tell({ type: 'exit-process' });
      await eventually(() => (kernel.lookup('doomed-service') === undefined ? true : undefined));
      // CPU 2's next incarnation runs the actor placed there again, and it finds CPU 1's name.
      const found = await eventually(async () => {
        if (doomed.pid === 0) return undefined;
        const pid = await doomed.ask({ type: 'lookup', name: 'service' }).catch(() => 0);
        return pid !== 0 ? pid : undefined;
      });
      expect(found).to.equal(service.pid);
    } finally {
      await kernel.shutdown();
    }
  });
});
