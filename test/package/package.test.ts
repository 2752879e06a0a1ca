/**
 * The package as users import it: `osprey` and its subpaths resolve to the bundle in dist/pkg
 * (build/bundle.ts), which must export what the compiled modules export, keep one copy of each
 * class across entries and worker CPUs, and load no more than a one-CPU kernel needs.
 */
import { threadId } from 'node:worker_threads';
import { expect } from 'chai';
import { packagesLoadedBy } from '../helpers/loaded-packages.js';

// Through a variable: tsc runs before the bundle exists (see fixtures/echo.ts).
const importPackage = (specifier: string) => import(specifier) as Promise<Record<string, unknown>>;
type Osprey = typeof import('../../boot/index.js');

/** Each public entry, and the compiled module it bundles. */
const entries: ReadonlyArray<readonly [string, string]> = [
  ['osprey', '../../boot/index.js'],
  ['osprey/supervisors', '../../supervisors/index.js'],
  ['osprey/drivers', '../../drivers/index.js'],
  ['osprey/protocols', '../../protocols/index.js'],
  ['osprey/irq', '../../actors/irq/index.js'],
  ['osprey/vm', '../../actors/vm/index.js'],
  ['osprey/sim', '../../sim/index.js'],
  ['osprey/plugin', '../../actors/plugin/index.js'],
  ['osprey/zfs', '../../actors/zfs/index.js'],
  ['osprey/net', '../../actors/net/index.js'],
  ['osprey/inspector', '../../inspector/index.js'],
];

describe('the package as users import it', function () {
  this.timeout(20_000);

  it('each entry exports the names its module exports, and a name two entries share is one value', async () => {
    const seen = new Map<string, unknown>();
    for (const [specifier, module] of entries) {
      const bundled = await importPackage(specifier);
      const compiled = (await import(module)) as Record<string, unknown>;
      expect(Object.keys(bundled).sort(), specifier).to.deep.equal(Object.keys(compiled).sort());
      for (const [name, value] of Object.entries(bundled)) {
        if (seen.has(name)) expect(value, `${name} in ${specifier}`).to.equal(seen.get(name));
        seen.set(name, value);
      }
    }
    expect(seen.get('defineSubsystem')).to.be.a('function');
  });

  it("importing 'osprey' loads no package; 'osprey/protocols' loads msgpackr", () => {
    expect(packagesLoadedBy("await import('osprey');")).to.deep.equal([]);
    expect(packagesLoadedBy("await import('osprey/protocols');")).to.deep.equal(['msgpackr']);
  });

  it('a kernel of two worker CPUs runs a boot module written against the package, and its errors are the package classes', async () => {
    const { Kernel, ActorCrashedError } = (await importPackage('osprey')) as Osprey;
    const { Echo } = await import('./fixtures/echo.js');
    const kernel = await Kernel.boot({ cpus: 2, modules: [new URL('./fixtures/echo.js', import.meta.url)] });
    try {
      const echo = kernel.spawn(Echo, { cpu: 1 });
      const reply = await echo.ask({ type: 'echo', text: 'hi' });
      expect(reply.text).to.equal('hi');
      expect(reply.threadId).not.to.equal(threadId);
      const failure = await echo.ask({ type: 'fail' }).catch((error: unknown) => error);
      expect(failure).to.be.instanceOf(ActorCrashedError);
    } finally {
      await kernel.shutdown();
    }
  });

  it('the vm subsystem from the package boots on worker CPUs, which find it in the bundle', async () => {
    const { Kernel, configure, defaultSubsystems } = (await importPackage('osprey')) as Osprey;
    const { virtualMemory } = (await importPackage('osprey/vm')) as typeof import('../../actors/vm/index.js');
    const kernel = await Kernel.boot({ cpus: 2, subsystems: [...defaultSubsystems, configure(virtualMemory, { physicalBytes: 8 << 20 })] });
    try {
      const vm = kernel.subsystem(virtualMemory);
      const address = await vm.mmap(4096);
      vm.memory.writeU8(address, 5);
      expect(vm.memory.readU8(address)).to.equal(5);
      const statuses = await kernel.cpuStatuses();
      expect(statuses.map((status) => (status.subsystems as Record<string, { physicalBytes: number }>).vm!.physicalBytes)).to.deep.equal([8 << 20, 8 << 20]);
    } finally {
      await kernel.shutdown();
    }
  });
});
