import { expect } from 'chai';
import { type AnyMachineSnapshot, initialTransition, transition } from 'xstate';
import { getAdjacencyMap, getShortestPaths } from 'xstate/graph';
import { configure, defaultSubsystems, Kernel } from '../../../boot/index.js';
import { virtualMemory } from '../../../actors/vm/subsystem.js';
import { OutOfMemoryError } from '../../../actors/vm/errors.js';
import { pageBytes } from '../../../actors/vm/limits.js';
import { type PressureEvent, pressureEvents, pressureMachine as definePressureMachine } from '../../../actors/vm/pressure-machine.js';
import { shutdown } from '../../helpers/kernel.js';
import { Cache, type CacheMsg } from './fixtures/vm-actors.js';

const pressureMachine = definePressureMachine();
const stateOf = (snapshot: AnyMachineSnapshot) => snapshot.value as string;
const label = (event: PressureEvent) => ('enough' in event ? `${event.type}(${event.enough ? 'enough' : 'short'})` : event.type);

/** `state --event--> next`; events not listed are ignored. Written out apart from the machine. */
const expectedEdges = [
  'normal --vm.memory-low--> pressure',
  'pressure --vm.reclaim-started--> reclaiming',
  'pressure --vm.memory-ok--> normal',
  'pressure --vm.allocation-failed--> outOfMemory',
  'reclaiming --vm.reclaimed(enough)--> normal',
  'reclaiming --vm.reclaimed(short)--> pressure',
  'reclaiming --vm.allocation-failed--> outOfMemory',
  'outOfMemory --vm.memory-ok--> normal',
  'outOfMemory --vm.reclaim-started--> reclaiming',
].sort();

describe('vm: memory pressure', () => {
  describe('the pressure machine', () => {
    it('reaches every state from normal', () => {
      const paths = getShortestPaths(pressureMachine, { events: () => [...pressureEvents] });
      expect([...new Set(paths.map((path) => stateOf(path.state)))].sort()).to.deep.equal(['normal', 'outOfMemory', 'pressure', 'reclaiming']);
      expect(stateOf(initialTransition(pressureMachine)[0])).to.equal('normal');
    });

    it('has exactly the expected transitions', () => {
      const adjacency = getAdjacencyMap(pressureMachine, { events: () => [...pressureEvents] });
      const edges: string[] = [];
      for (const { state } of Object.values(adjacency)) {
        for (const event of pressureEvents) {
          const [next] = transition(pressureMachine, state as never, event);
          if (stateOf(next) !== stateOf(state)) edges.push(`${stateOf(state)} --${label(event)}--> ${stateOf(next)}`);
        }
      }
      expect(edges.sort()).to.deep.equal(expectedEdges);
    });
  });

  describe('shrinkers', () => {
    let kernel: Kernel;
    afterEach(() => shutdown(kernel));
    const boot = () =>
      Kernel.boot({
        mode: 'simulated',
        modules: [new URL('./fixtures/vm-actors.js', import.meta.url)],
        subsystems: [...defaultSubsystems, configure(virtualMemory, { physicalBytes: 16 << 20 })],
      });

    it('a cache gives memory back when another allocation pushes free memory below the watermark', async () => {
      kernel = await boot();
      const vm = kernel.subsystem(virtualMemory);
      const cache = kernel.spawn(Cache);
      await kernel.runUntil(vm.registerShrinker('cache', cache));
      expect(await kernel.runUntil(cache.ask({ type: 'grow', chunks: 12 }))).to.equal(12);
      expect(vm.stats().pressure!.state).to.equal('normal');
      // 3 MiB more leaves less than 10 % free: the reclaimer asks the cache for the difference.
      const address = await kernel.runUntil(vm.mmap(3 << 20, { populate: true }));
      await kernel.runUntilIdle();
      const stats = vm.stats();
      expect(stats.pressure!.shrinkers).to.deep.equal([{ name: 'cache', calls: 1, bytesReturned: 1 << 20 }]);
      expect(await kernel.runUntil(cache.ask({ type: 'size' }))).to.equal(11);
      expect(stats.freeBytes).to.be.at.least(stats.physicalBytes / 10);
      expect(stats.pressure!.state).to.equal('normal');
      vm.memory.writeU8(address + (3 << 20) - 1, 1);
    });

    it('an allocation that does not fit waits for the shrinkers, then succeeds', async () => {
      kernel = await boot();
      const vm = kernel.subsystem(virtualMemory);
      const cache = kernel.spawn(Cache);
      await kernel.runUntil(vm.registerShrinker('cache', cache));
      await kernel.runUntil(cache.ask({ type: 'grow', chunks: 13 }));
      const free = vm.stats().freeBytes;
      expect(free).to.be.below(6 << 20);
      const address = await kernel.runUntil(vm.mmap(6 << 20, { populate: true }));
      expect(address % pageBytes).to.equal(0);
      expect(await kernel.runUntil(cache.ask({ type: 'size' }))).to.be.below(13);
    });

    it('fails with a typed out-of-memory error after its wait, and nothing else breaks', async () => {
      kernel = await boot();
      const vm = kernel.subsystem(virtualMemory);
      const cache = kernel.spawn<CacheMsg>(Cache);
      await kernel.runUntil(vm.registerShrinker('cache', cache));
      await kernel.runUntil(cache.ask({ type: 'grow', chunks: 4 }));
      let error: unknown;
      await kernel.runUntil(vm.mmap(32 << 20, { populate: true, waitMs: 100 })).catch((thrown: unknown) => (error = thrown));
      expect(error).to.be.instanceOf(OutOfMemoryError);
      expect((error as OutOfMemoryError).bytesWanted).to.equal(32 << 20);
      expect(vm.stats().pressure!.state).to.equal('outOfMemory');
      // The cache gave everything it had, and the VM still maps what fits.
      expect(await kernel.runUntil(cache.ask({ type: 'size' }))).to.equal(0);
      const address = await kernel.runUntil(vm.mmap(1 << 20, { populate: true }));
      vm.memory.writeU8(address, 1);
      await kernel.runUntil(vm.munmap(address, 1 << 20));
    });
  });
});
