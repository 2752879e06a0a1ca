import { expect } from 'chai';
import { configure, defaultSubsystems, Kernel, type ActorRef } from '../../../boot/index.js';
import { supervisor, type SupervisorMsg } from '../../../supervisors/index.js';
import { virtualMemory } from '../../../actors/vm/subsystem.js';
import { SegmentationFault, VmArgumentError } from '../../../actors/vm/errors.js';
import { hugePageBytes, pageBytes } from '../../../actors/vm/limits.js';
import { CpuMemory, createPhysicalMemory } from '../../../actors/vm/cpu-memory.js';
import { VmCpu } from '../../../actors/vm/vm-cpu.js';
import type { FrameRouting } from '../../../actors/cpu/frame-registry.js';
import { eventually } from '../../helpers/eventually.js';
import { stressSize } from '../../helpers/stress.js';
import { collectFailures, shutdown } from '../../helpers/kernel.js';
import { BufferUser, Hammer, Toucher, type BufferUserMsg, type ToucherMsg } from './fixtures/vm-actors.js';
import { framesHeld } from './vm-model.js';

const modules = [new URL('./fixtures/vm-actors.js', import.meta.url)];
/** Pages two CPUs fault at once (VM_FAULT_PAGES): 2 048 under npm test, 32 768 (128 MiB) under test:stress. */
const pages = stressSize('VM_FAULT_PAGES', { ci: 2_048, full: 32_768 });
/** Rounds of map, protect, move and unmap under another CPU's writes (VM_CHURN_ROUNDS). */
const churnRounds = stressSize('VM_CHURN_ROUNDS', { ci: 200, full: 5_000 });
const withVm = (physicalBytes = 64 << 20) => [...defaultSubsystems, configure(virtualMemory, { physicalBytes })];

describe('vm: the subsystem', () => {
  it('holds physical memory in plain ArrayBuffers when every CPU runs on one thread, and shares SharedArrayBuffers with worker CPUs', () => {
    // V8 collects dropped ArrayBuffers as they add up; dropped SharedArrayBuffers stay committed
    // until something else makes it collect, so kernels booted one after another piled them up.
    for (const threaded of [false, true]) {
      const { buffers } = virtualMemory.prepare!({ physicalBytes: 4 << 20 }, { cpus: 2, threaded });
      for (const buffer of [buffers!.data, buffers!.control]) expect(buffer instanceof SharedArrayBuffer).to.equal(threaded);
    }
  });

  describe('on a simulated kernel', () => {
    let kernel: Kernel;
    afterEach(() => shutdown(kernel));

    it('maps, writes, reads, protects and unmaps through the mapper actor, and shows in status', async () => {
      kernel = await Kernel.boot({ mode: 'simulated', subsystems: withVm() });
      const vm = kernel.subsystem(virtualMemory);
      const address = await kernel.runUntil(vm.mmap(2 * pageBytes));
      vm.memory.writeU32(address, 7);
      expect(vm.memory.readU32(address)).to.equal(7);
      await kernel.runUntil(vm.mprotect(address, pageBytes, 'read'));
      expect(() => vm.memory.writeU32(address, 8)).to.throw(SegmentationFault, /read-only/);
      expect(await kernel.runUntil(vm.dirtyPages(address, 2 * pageBytes))).to.deep.equal([{ address, bytes: pageBytes }]);
      // One page backed, under a table of each level.
      expect(vm.stats().used).to.deep.equal({ tables: 4, pages4k: 1, pages2m: 0, pages1g: 0 });
      expect(vm.stats().freeRuns['2m']).to.be.above(0);
      await kernel.runUntil(vm.munmap(address, 2 * pageBytes));
      expect(() => vm.memory.readU32(address)).to.throw(SegmentationFault, /nothing is mapped/);
      const status = kernel.status() as unknown as { subsystems?: Record<string, unknown> } & Record<string, unknown>;
      const stats = vm.stats();
      expect(stats.mappings).to.equal(0);
      expect(stats.faults4k).to.equal(1);
      expect(stats.freeBytes).to.equal(stats.physicalBytes - pageBytes);
      expect(JSON.stringify(status)).to.include('"faults4k":1');
    });

    it('on simulated CPUs, a TLB shootdown frees the frames, the other CPU faults, and the run replays from its seed', async () => {
      const run = async (seed: number) => {
        kernel = await Kernel.boot({ mode: 'simulated', seed, cpus: 2, modules, subsystems: withVm() });
        const vm = kernel.subsystem(virtualMemory);
        const address = await kernel.runUntil(vm.mmap(4 * pageBytes, { huge: false }));
        const toucher = kernel.spawn(Toucher, { cpu: 1 });
        expect(await kernel.runUntil(toucher.ask({ type: 'touch', address, pages: 4, value: 1 }))).to.equal(4);
        await kernel.runUntil(vm.munmap(address, 4 * pageBytes));
        await kernel.runUntilIdle();
        const after = vm.stats();
        const error = await kernel.runUntil(toucher.ask({ type: 'read', address })).catch((thrown: unknown) => thrown);
        await shutdown(kernel);
        return { retiredAfter: after.retiredBytes, freeBytes: after.freeBytes, shootdowns: after.shootdowns, error: String(error) };
      };
      const first = await run(7);
      expect(first.retiredAfter).to.equal(0);
      expect(first.freeBytes).to.equal((64 << 20) - pageBytes);
      expect(first.error).to.match(/segmentation fault: read at/);
      expect(await run(7)).to.deep.equal(first);
    });

    it('answers a bad request with its typed error, and goes on', async () => {
      kernel = await Kernel.boot({ mode: 'simulated', subsystems: withVm() });
      const vm = kernel.subsystem(virtualMemory);
      let error: unknown;
      await kernel.runUntil(vm.mmap(100)).catch((thrown: unknown) => (error = thrown));
      expect(error).to.be.instanceOf(VmArgumentError);
      expect(await kernel.runUntil(vm.mmap(pageBytes))).to.be.a('number');
    });

    it('a guard-page overrun crashes only the offending actor; its supervisor restarts it', async () => {
      kernel = await Kernel.boot({ mode: 'simulated', subsystems: withVm(), modules });
      const failures = collectFailures(kernel);
      const vm = kernel.subsystem(virtualMemory);
      const length = 2 * pageBytes;
      const address = await kernel.runUntil(vm.mmap(length, { guard: true }));
      kernel.spawn<SupervisorMsg>(supervisor({ children: [{ id: 'user', start: BufferUser, options: { name: 'user' } }] }), { name: 'sup' });
      const bystander = kernel.spawn(Toucher);
      await kernel.settle();
      const first = kernel.lookup<BufferUserMsg>('user')!;
      first.tell({ type: 'overrun', address, length });
      await kernel.settle();
      expect(failures).to.have.length(1);
      const reason = failures[0]!.error as SegmentationFault;
      expect(reason).to.be.instanceOf(SegmentationFault);
      expect(reason.address).to.equal(address + length);
      expect(reason.access).to.equal('write');
      expect(reason.message).to.include(`write at 0x${(address + length).toString(16)}`);
      // Its supervisor restarted it in place: the same pid, a new incarnation, answering again.
      expect(first.cell.incarnation).to.equal(1);
      expect(await kernel.runUntil(first.ask({ type: 'sum' }))).to.equal(-1);
      // Nothing else was harmed: the memory and the other actor work as before.
      expect(await kernel.runUntil(bystander.ask({ type: 'touch', address, pages: 2, value: 3 }))).to.equal(2);
      expect(vm.memory.readU32(address + pageBytes)).to.equal(3);
    });
  });

  it('frames a change freed wait until every other CPU that is up has acknowledged it', () => {
    const buffers = createPhysicalMemory(8 << 20, 3);
    const sent: { cpu: number; generation: number }[] = [];
    const down = new Set<number>();
    const routing = {
      cpus: 3,
      isDown: (cpu: number) => down.has(cpu),
      send: (cpu: number, message: { generation: number }) => sent.push({ cpu, generation: message.generation }),
    };
    const home = new VmCpu(buffers, 0, routing as unknown as FrameRouting);
    const others = [1, 2].map((cpu) => new VmCpu(buffers, cpu, routing as unknown as FrameRouting));
    const mapper = home.mapper!;
    const address = mapper.map(4 * pageBytes);
    others[0]!.memory.access.writeU8(address, 1);
    mapper.unmap(address, 4 * pageBytes);
    expect(home.changed()).to.equal(true, 'frames wait');
    expect(sent.map((s) => s.cpu)).to.deep.equal([1, 2]);
    const retired = mapper.retiredFrames;
    expect(retired).to.be.above(0);
    others[0]!.acknowledge(mapper.generation);
    expect(home.changed()).to.equal(true, 'CPU 2 has not acknowledged');
    expect(mapper.retiredFrames).to.equal(retired);
    // A CPU that went down is not waited for.
    down.add(2);
    expect(home.changed()).to.equal(false);
    expect(mapper.retiredFrames).to.equal(0);
    expect(home.memory.freeFrames()).to.equal(home.memory.physical.framesCount - 1);
  });

  describe('on worker CPUs', function () {
    this.timeout(30_000);
    let kernel: Kernel | null = null;
    afterEach(async () => {
      await kernel?.shutdown();
      kernel = null;
    });

    it(`two CPUs faulting the same ${pages} pages at once end with one frame per page, none leaked`, async () => {
      kernel = await Kernel.boot({ cpus: 3, modules, subsystems: withVm(256 << 20) });
      const vm = kernel.subsystem(virtualMemory);
      const address = await vm.mmap(pages * pageBytes, { huge: false });
      const touchers = [kernel.spawn(Toucher, { cpu: 1 }), kernel.spawn(Toucher, { cpu: 2 })];
      await Promise.all(touchers.map((toucher) => kernel!.spawned(toucher)));
      const counts = await Promise.all(touchers.map((toucher, index) => toucher.ask({ type: 'touch', address, pages, value: index + 1 })));
      expect(counts).to.deep.equal([pages, pages]);
      const memory = new CpuMemory(kernel.subsystems.find((s) => s.name === 'vm')!.options.buffers!, 0);
      const counters = memory.physical.counters();
      expect(counters.faults4k).to.equal(pages);
      // Every page holds the value of whichever CPU wrote it last, and a frame of its own.
      const frames = new Set<number>();
      for (let page = 0; page < pages; page++) {
        expect([1, 2]).to.include(vm.memory.readU32(address + page * pageBytes));
        frames.add(vm.memory.view(address + page * pageBytes, pageBytes).byteOffset);
      }
      expect(frames.size).to.equal(pages);
      expect(memory.freeFrames() + framesHeld(memory.tables)).to.equal(memory.physical.framesCount);
      await vm.munmap(address, pages * pageBytes);
      // The frames come back once both worker CPUs have acknowledged the shootdown.
      await eventually(() => (vm.stats().retiredBytes === 0 ? true : undefined));
      expect(memory.freeFrames()).to.equal(memory.physical.framesCount - 1);
    });

    it(`a CPU writing pages while CPU 0 maps, unmaps, moves and protects them ${churnRounds} times loses no frame`, async () => {
      kernel = await Kernel.boot({ cpus: 2, modules, subsystems: withVm() });
      const vm = kernel.subsystem(virtualMemory);
      // 4 MiB in 4 KiB pages: the mapping's 2 MiB blocks are reserved whole, and the writer's faults
      // split them while CPU 0 unmaps or protects them.
      const pagesAtOnce = 1_024;
      // One place, mapped again and again: the writer's addresses are sometimes mapped, sometimes not.
      const at = await vm.mmap(pagesAtOnce * pageBytes, { huge: false });
      await vm.munmap(at, pagesAtOnce * pageBytes);
      const hammer = await kernel.spawned(kernel.spawn(Hammer, { cpu: 1 }));
      // Short turns, one after another: between two, CPU 1 acknowledges the changes it saw, and the
      // frames they freed come back (a turn that never ended would hold them back, as a long RCU
      // read-side section holds back a grace period).
      let churning = true;
      const hammering = (async () => {
        const totals = { touched: 0, faulted: 0, turns: 0 };
        while (churning) {
          const { touched, faulted } = await hammer.ask({ type: 'hammer', address: at, pages: pagesAtOnce, rounds: 4 });
          totals.touched += touched;
          totals.faulted += faulted;
          totals.turns++;
        }
        return totals;
      })();
      for (let churned = 0; churned < churnRounds; churned++) {
        const address = await vm.mmap(pagesAtOnce * pageBytes, { huge: false, at });
        await vm.mprotect(address + 8 * pageBytes, 8 * pageBytes, churned % 2 === 0 ? 'read' : 'none');
        await vm.mprotect(address + 512 * pageBytes, 512 * pageBytes, 'read');
        const moved = await vm.mremap(address + 32 * pageBytes, 16 * pageBytes);
        await vm.munmap(moved, 16 * pageBytes);
        await vm.munmap(address, 32 * pageBytes);
        await vm.munmap(address + 48 * pageBytes, pagesAtOnce * pageBytes - 48 * pageBytes);
      }
      churning = false;
      const { touched, faulted, turns } = await hammering;
      expect(touched + faulted).to.equal(turns * 4 * pagesAtOnce);
      expect(vm.stats().mappings).to.equal(0);
      // Every frame comes back once CPU 1 has acknowledged the last change.
      await eventually(() => (vm.stats().retiredBytes === 0 ? true : undefined));
      const memory = new CpuMemory(kernel.subsystems.find((s) => s.name === 'vm')!.options.buffers!, 0);
      expect(memory.freeFrames()).to.equal(memory.physical.framesCount - 1);
    });

    it('a CPU faults on an address another CPU unmapped, though its TLB had it', async () => {
      kernel = await Kernel.boot({ cpus: 2, modules, subsystems: withVm() });
      const vm = kernel.subsystem(virtualMemory);
      const address = await vm.mmap(pageBytes);
      const toucher: ActorRef<ToucherMsg> = kernel.spawn(Toucher, { cpu: 1 });
      await toucher.ask({ type: 'touch', address, pages: 1, value: 9 });
      expect(await toucher.ask({ type: 'read', address })).to.equal(9);
      await vm.munmap(address, pageBytes);
      const error = await toucher.ask({ type: 'read', address }).catch((thrown: unknown) => thrown);
      expect(String((error as Error).message)).to.match(/segmentation fault: read at/);
    });

    it('hands a mapped range to an actor on another CPU without copying; the sender loses it', async () => {
      kernel = await Kernel.boot({ cpus: 2, modules, subsystems: withVm() });
      const vm = kernel.subsystem(virtualMemory);
      const length = hugePageBytes;
      const address = await vm.mmap(length);
      const bytes = vm.memory.view(address, length, true);
      for (let i = 0; i < length; i++) bytes[i] = i & 0xff;
      const expected = bytes.reduce((sum, byte) => sum + byte, 0);
      const user = kernel.spawn(BufferUser, { cpu: 1 });
      const range = await vm.handOff(address, length, user, (moved) => ({ type: 'buffer' as const, ...moved }));
      expect(vm.memory.view(range.address, length).byteOffset, 'the same frames').to.equal(bytes.byteOffset);
      expect(await eventually(async () => ((await user.ask({ type: 'sum' })) === expected ? true : undefined))).to.equal(true);
      expect(() => vm.memory.readU8(address)).to.throw(SegmentationFault);
    });
  });
});
