import { expect } from 'chai';
import fc from 'fast-check';
import { CpuMemory, createPhysicalMemory } from '../../../actors/vm/cpu-memory.js';
import { OutOfMemoryError, SegmentationFault, VmArgumentError } from '../../../actors/vm/errors.js';
import { gigaPageBytes, hugePageBytes, pageBytes, regionsCountMax } from '../../../actors/vm/limits.js';
import { generationReached, Mapper } from '../../../actors/vm/mapper.js';
import { frameOf } from '../../../actors/vm/page-entry.js';
import type { Protection } from '../../../actors/vm/regions.js';
import { stressSize } from '../../helpers/stress.js';
import { framesHeld, VmModel } from './vm-model.js';

/** One CPU's VM, on a plain ArrayBuffer: the model test makes a thousand of them at full size. */
function machine(bytes = 64 << 20): { memory: CpuMemory; mapper: Mapper } {
  const memory = new CpuMemory(createPhysicalMemory(bytes, 1, false), 0);
  return { memory, mapper: new Mapper(memory.tables, memory.cache, memory.access) };
}

/** Every frame is free, held by the tables, or retired: none is lost or counted twice. */
function expectFramesAccounted({ memory, mapper }: { memory: CpuMemory; mapper: Mapper }): void {
  expect(memory.freeFrames() + framesHeld(memory.tables) + mapper.retiredFrames).to.equal(memory.physical.framesCount);
}

function expectFault(run: () => unknown, why: string, address?: number): void {
  try {
    run();
  } catch (error) {
    expect(error).to.be.instanceOf(SegmentationFault);
    expect((error as SegmentationFault).why).to.equal(why);
    if (address !== undefined) expect((error as SegmentationFault).address).to.equal(address);
    return;
  }
  expect.fail(`expected a segmentation fault (${why})`);
}

const protections: Protection[] = ['none', 'read', 'read-write'];

type Op =
  | { kind: 'map'; pages: number; protection: Protection; huge: boolean; guard: boolean }
  | { kind: 'unmap'; pick: number; from: number; pages: number }
  | { kind: 'protect'; pick: number; from: number; pages: number; protection: Protection }
  | { kind: 'move'; pick: number; resize: number }
  | { kind: 'write'; pick: number; offset: number; length: number; seed: number }
  | { kind: 'read'; pick: number; offset: number; length: number }
  | { kind: 'dirty'; pick: number };

const pick = fc.nat();
/** Offsets into a mapping: mostly its first pages, where frames are reused, sometimes anywhere in 3 MiB. */
const nearStart = fc.oneof({ arbitrary: fc.nat({ max: 3 * 4096 }), weight: 3 }, { arbitrary: fc.nat({ max: 3 << 20 }), weight: 1 });
const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('map' as const),
    // Up to 3 MiB: 2 MiB blocks and the 4 KiB pages around them.
    pages: fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 500, max: 800 })),
    protection: fc.constantFrom(...protections),
    huge: fc.boolean(),
    guard: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('unmap' as const), pick, from: fc.nat({ max: 800 }), pages: fc.integer({ min: 1, max: 600 }) }),
  fc.record({
    kind: fc.constant('protect' as const),
    pick,
    from: fc.nat({ max: 800 }),
    pages: fc.integer({ min: 1, max: 600 }),
    protection: fc.constantFrom(...protections),
  }),
  fc.record({ kind: fc.constant('move' as const), pick, resize: fc.integer({ min: -3, max: 3 }) }),
  fc.record({ kind: fc.constant('write' as const), pick, offset: nearStart, length: fc.integer({ min: 1, max: 9000 }), seed: fc.nat({ max: 255 }) }),
  fc.record({
    kind: fc.constant('read' as const),
    pick,
    offset: fc.oneof(fc.integer({ min: -8192, max: 0 }), nearStart),
    length: fc.integer({ min: 1, max: 9000 }),
  }),
  fc.record({ kind: fc.constant('dirty' as const), pick }),
);

/** Runs `ops` against the VM and the model side by side; every observation must agree. */
function runAgainstModel(ops: readonly Op[]): void {
  const vm = machine();
  const { memory, mapper } = vm;
  const model = new VmModel();
  /** The ranges handed out by map and move (parts of them may be unmapped since). */
  const mappings: { address: number; length: number }[] = [];
  const modelFaultMatches = (run: () => unknown, expected: { fault: string; at: number } | null) => {
    if (expected === null) return run();
    expectFault(run, expected.fault, expected.at);
  };
  for (const op of ops) {
    const target = mappings.length === 0 ? undefined : mappings[op.kind === 'map' ? 0 : op.pick % mappings.length]!;
    switch (op.kind) {
      case 'map': {
        const length = op.pages * pageBytes;
        const address = mapper.map(length, { protection: op.protection, huge: op.huge, guard: op.guard });
        model.map(address, length, op.protection, op.guard);
        mappings.push({ address, length });
        break;
      }
      case 'unmap':
      case 'protect': {
        if (target === undefined) break;
        const from = target.address + Math.min(op.from, target.length / pageBytes - 1) * pageBytes;
        const length = Math.min(op.pages * pageBytes, target.address + target.length - from);
        if (op.kind === 'unmap') {
          mapper.unmap(from, length);
          model.unmap(from, length);
          break;
        }
        const covered = Array.from({ length: length / pageBytes }, (_, i) => model.pages.get(from / pageBytes + i)).every(
          (page) => page !== undefined && !page.guard,
        );
        if (!covered) {
          expect(() => mapper.protect(from, length, op.protection)).to.throw(VmArgumentError);
          break;
        }
        mapper.protect(from, length, op.protection);
        model.protect(from, length, op.protection);
        break;
      }
      case 'move': {
        if (target === undefined) break;
        const whole = Array.from({ length: target.length / pageBytes }, (_, i) => model.pages.get(target.address / pageBytes + i)).every(
          (page) => page !== undefined && !page.guard,
        );
        if (!whole) {
          expect(() => mapper.move(target.address, target.length)).to.throw(VmArgumentError);
          break;
        }
        // Shrink or grow by up to 3 pages, keeping at least one.
        const newLength = Math.max(pageBytes, target.length + op.resize * pageBytes);
        const kept = Math.min(target.length, newLength);
        const lastProtection = model.pages.get((target.address + kept) / pageBytes - 1)!.protection;
        const moved = mapper.move(target.address, target.length, newLength);
        // Each block keeps its alignment: the largest block the length can hold.
        const alignment = kept >= hugePageBytes ? hugePageBytes : pageBytes;
        expect(moved % alignment).to.equal(target.address % alignment);
        if (newLength < target.length) model.unmap(target.address + newLength, target.length - newLength);
        model.move(target.address, kept, moved);
        if (newLength > target.length) model.map(moved + target.length, newLength - target.length, lastProtection, false);
        target.address = moved;
        target.length = newLength;
        break;
      }
      case 'write': {
        if (target === undefined) break;
        const data = Uint8Array.from({ length: op.length }, (_, i) => (op.seed + i * 7) & 0xff);
        const address = target.address + (op.offset % target.length);
        modelFaultMatches(() => memory.access.write(address, data), model.write(address, data));
        break;
      }
      case 'read': {
        if (target === undefined) break;
        const address = Math.max(0, target.address + (op.offset % (target.length + 8192)));
        const expected = model.read(address, op.length);
        if ('bytes' in expected) expect(memory.access.read(address, op.length)).to.deep.equal(expected.bytes);
        else expectFault(() => memory.access.read(address, op.length), expected.fault, expected.at);
        break;
      }
      case 'dirty': {
        if (target === undefined) break;
        const ranges = mapper.collectDirty(target.address, target.length);
        const written = model.collectDirty(target.address, target.length);
        // Every page written since the last collection is reported (a huge page reports whole).
        for (const page of written) {
          expect(
            ranges.some((range) => range.address <= page * pageBytes && page * pageBytes < range.address + range.bytes),
            `page 0x${(page * pageBytes).toString(16)} written and not reported`,
          ).to.equal(true);
        }
        break;
      }
    }
    // One CPU: nobody to wait for.
    mapper.release(mapper.generation);
    expectFramesAccounted(vm);
  }
  // Everything unmapped, every frame comes back but the root table's.
  for (const region of [...mapper.regions.all]) mapper.unmap(region.start, region.end - region.start);
  mapper.release(mapper.generation);
  expect(mapper.regions.all).to.have.length(0);
  expect(memory.freeFrames()).to.equal(memory.physical.framesCount - 1);
}

describe('vm: address space (one CPU)', () => {
  it('agrees with a plain model over random map, unmap, protect, move, write, read and dirty collection', function () {
    this.timeout(120_000);
    fc.assert(
      fc.property(fc.array(opArbitrary, { minLength: 1, maxLength: 40 }), (ops) => runAgainstModel(ops)),
      { numRuns: stressSize('VM_MODEL_RUNS', { ci: 60, full: 1_000 }) },
    );
  });

  it('reads anonymous memory as zero until it is written', () => {
    const { memory, mapper } = machine();
    const address = mapper.map(3 * pageBytes);
    expect(memory.access.readU32(address + pageBytes)).to.equal(0);
    memory.access.writeU32(address + pageBytes, 0xdeadbeef);
    expect(memory.access.readU32(address + pageBytes)).to.equal(0xdeadbeef);
    mapper.unmap(address, 3 * pageBytes);
    mapper.release(mapper.generation);
    // The frame comes back dirty; the next mapping that gets it still reads zero.
    const again = mapper.map(3 * pageBytes);
    expect(memory.access.readU32(again + pageBytes)).to.equal(0);
  });

  it('backs an aligned 2 MiB block with one huge page, and splits it on a partial unmap', () => {
    const vm = machine();
    const { memory, mapper } = vm;
    const address = mapper.map(2 * hugePageBytes);
    expect(address % hugePageBytes).to.equal(0);
    memory.access.writeU8(address + 5, 1);
    memory.access.writeU8(address + hugePageBytes + 5, 2);
    expect(memory.physical.counters().faults2m).to.equal(2);
    expect(memory.physical.counters().faults4k).to.equal(0);
    // A huge page is physically contiguous: one view spans it.
    expect(memory.access.view(address, hugePageBytes)[5]).to.equal(1);
    mapper.unmap(address + pageBytes, pageBytes);
    expect(memory.physical.counters().splits).to.equal(1);
    expect(memory.access.readU8(address + 5)).to.equal(1);
    expectFault(() => memory.access.readU8(address + pageBytes), 'unmapped');
    mapper.release(mapper.generation);
    expectFramesAccounted(vm);
  });

  it('uses 4 KiB pages where huge pages are not wanted', () => {
    const { memory, mapper } = machine();
    const address = mapper.map(hugePageBytes, { huge: false });
    memory.access.writeU8(address, 1);
    expect(memory.physical.counters().faults2m).to.equal(0);
    expect(memory.physical.counters().faults4k).to.equal(1);
  });

  it('maps 1 GiB over a large sparse physical memory with one 1 GiB page', function () {
    this.timeout(20_000);
    // 2 GiB of physical memory: a SharedArrayBuffer commits only what is touched.
    const vm = machine(2 * gigaPageBytes);
    const { memory, mapper } = vm;
    const address = mapper.map(gigaPageBytes);
    expect(address % gigaPageBytes).to.equal(0);
    memory.access.writeF64(address + gigaPageBytes - 8, 1.5);
    expect(memory.physical.counters().faults1g).to.equal(1);
    expect(memory.access.readF64(address + gigaPageBytes - 8)).to.equal(1.5);
    expect(memory.access.readU8(address)).to.equal(0);
    mapper.unmap(address, gigaPageBytes);
    mapper.release(mapper.generation);
    expectFramesAccounted(vm);
  });

  it('falls back to 2 MiB pages when no 1 GiB block is free', () => {
    const { memory, mapper } = machine(64 << 20);
    const address = mapper.map(gigaPageBytes);
    memory.access.writeU8(address, 1);
    expect(memory.physical.counters().faults1g).to.equal(0);
    expect(memory.physical.counters().faults2m).to.equal(1);
  });

  it('faults on guard pages, on unmapped addresses and on writes to read-only pages', () => {
    const { memory, mapper } = machine();
    const address = mapper.map(2 * pageBytes, { guard: true });
    expectFault(() => memory.access.writeU8(address + 2 * pageBytes, 1), 'no-access', address + 2 * pageBytes);
    expectFault(() => memory.access.readU8(address - 1), 'no-access', address - 1);
    mapper.protect(address, pageBytes, 'read');
    expectFault(() => memory.access.writeU8(address, 1), 'read-only');
    expect(memory.access.readU8(address)).to.equal(0);
    expectFault(() => memory.access.readU8(0x1000), 'unmapped');
    expect(memory.physical.counters().segfaults).to.equal(4);
  });

  it('a TLB forgets a translation the VM took away', () => {
    const { memory, mapper } = machine();
    const address = mapper.map(pageBytes);
    memory.access.writeU8(address, 1);
    memory.access.readU8(address);
    const hits = memory.access.tlb.hits;
    memory.access.readU8(address);
    expect(memory.access.tlb.hits).to.equal(hits + 1);
    mapper.protect(address, pageBytes, 'read');
    expectFault(() => memory.access.writeU8(address, 2), 'read-only');
    mapper.unmap(address, pageBytes);
    expectFault(() => memory.access.readU8(address), 'unmapped');
  });

  it('moves a mapping without copying: the same frames, at the new address only', () => {
    const { memory, mapper } = machine();
    const address = mapper.map(hugePageBytes);
    memory.access.writeU32(address + 64, 77);
    const before = memory.access.view(address, 4096);
    const moved = mapper.move(address, hugePageBytes);
    const after = memory.access.view(moved, 4096);
    expect(after.byteOffset).to.equal(before.byteOffset);
    expect(memory.access.readU32(moved + 64)).to.equal(77);
    expectFault(() => memory.access.readU32(address + 64), 'unmapped');
    // The page was written before the move: it is still dirty where it went.
    expect(mapper.collectDirty(moved, hugePageBytes)).to.deep.equal([{ address: moved, bytes: hugePageBytes }]);
  });

  it('moves and grows a mapping: the new tail reads as zero', () => {
    const { memory, mapper } = machine();
    const address = mapper.map(2 * pageBytes);
    memory.access.writeU8(address + pageBytes, 7);
    const moved = mapper.move(address, 2 * pageBytes, 5 * pageBytes);
    expect(memory.access.readU8(moved + pageBytes)).to.equal(7);
    memory.access.writeU8(moved + 4 * pageBytes, 9);
    expect(memory.access.readU8(moved + 3 * pageBytes)).to.equal(0);
    const shrunk = mapper.move(moved, 5 * pageBytes, pageBytes);
    expectFault(() => memory.access.readU8(shrunk + pageBytes), 'unmapped');
  });

  it('collects the dirty pages of a range and clears them', () => {
    const { memory, mapper } = machine();
    const address = mapper.map(8 * pageBytes, { huge: false });
    memory.access.writeU8(address + 3 * pageBytes, 1);
    memory.access.writeU8(address + 4 * pageBytes, 1);
    memory.access.readU8(address + 6 * pageBytes);
    expect(mapper.collectDirty(address, 8 * pageBytes)).to.deep.equal([{ address: address + 3 * pageBytes, bytes: 2 * pageBytes }]);
    expect(mapper.collectDirty(address, 8 * pageBytes)).to.deep.equal([]);
    memory.access.writeU8(address + 4 * pageBytes, 2);
    expect(mapper.collectDirty(address, 8 * pageBytes)).to.deep.equal([{ address: address + 4 * pageBytes, bytes: pageBytes }]);
  });

  it('refuses bad arguments with typed errors and changes nothing', () => {
    const vm = machine();
    const { memory, mapper } = vm;
    expect(() => mapper.map(100)).to.throw(VmArgumentError, /multiple of 4 KiB/);
    expect(() => mapper.map(-4096)).to.throw(VmArgumentError);
    expect(() => mapper.map(4096, { protection: 'rwx' as Protection })).to.throw(VmArgumentError, /protection/);
    const address = mapper.map(4 * pageBytes);
    expect(() => mapper.map(pageBytes, { at: address + pageBytes })).to.throw(VmArgumentError, /overlaps/);
    expect(() => mapper.map(pageBytes, { at: address + 1 })).to.throw(VmArgumentError);
    expect(() => mapper.protect(address, 8 * pageBytes, 'read')).to.throw(VmArgumentError, /not all mapped/);
    expect(() => memory.access.readU32(address + 2)).to.throw(VmArgumentError, /multiple of 4/);
    expect(() => memory.access.readU8(-1)).to.throw(VmArgumentError);
    expect(() => memory.access.readU8(0.5)).to.throw(VmArgumentError);
    expect(() => memory.access.read(address, -1)).to.throw(VmArgumentError);
    // Two separate 4 KiB pages need not be contiguous frames.
    memory.access.writeU8(address, 1);
    memory.access.writeU8(address + 3 * pageBytes, 1);
    memory.access.writeU8(address + pageBytes, 1);
    expect(() => memory.access.view(address, 4 * pageBytes)).to.throw(VmArgumentError, /contiguous/);
    mapper.release(mapper.generation);
    expectFramesAccounted(vm);
  });

  it('a populated mapping that runs out of frames half way is taken back whole', () => {
    const vm = machine(4 << 20);
    const { memory, mapper } = vm;
    expect(() => mapper.map(8 << 20, { populate: true, huge: false, guard: true })).to.throw(OutOfMemoryError);
    expect(mapper.regions.all).to.have.length(0);
    mapper.release(mapper.generation);
    expect(memory.freeFrames()).to.equal(memory.physical.framesCount - 1);
  });

  it('refuses a change past the bound on regions, as Linux past vm.max_map_count', () => {
    const { mapper } = machine();
    const address = mapper.map(2 * pageBytes);
    // Filled behind the mapper's back, far above the mapping: 65 536 real mappings would take a
    // while through the list's linear searches, and the bound is what is under test.
    const list = (mapper.regions as unknown as { list: object[] }).list;
    for (let i = list.length; i < regionsCountMax - 1; i++) list.push({ start: 2 ** 47 + i * pageBytes, end: 2 ** 47 + (i + 1) * pageBytes, guard: false });
    expect(() => mapper.protect(address, pageBytes, 'read')).to.throw(VmArgumentError, /at most 65536 regions/);
    expect(() => mapper.map(pageBytes, { guard: true })).to.throw(VmArgumentError, /at most 65536 regions/);
  });

  it('moves a mapping whose 1 GiB table it shares with another: only 2 MiB tables move whole', () => {
    const vm = machine();
    const { memory, mapper } = vm;
    const big = mapper.map(gigaPageBytes - pageBytes, { huge: false });
    const small = mapper.map(pageBytes);
    memory.access.writeU8(small, 5);
    memory.access.writeU8(big + (gigaPageBytes >> 1), 6);
    const moved = mapper.move(big, gigaPageBytes - pageBytes);
    expect(memory.access.readU8(moved + (gigaPageBytes >> 1))).to.equal(6);
    expect(memory.access.readU8(small)).to.equal(5);
    mapper.release(mapper.generation);
    expectFramesAccounted(vm);
  });

  it('an unmap, protect or move that needs a frame and finds none changes nothing', () => {
    const vm = machine(4 << 20);
    const { memory, mapper } = vm;
    const address = mapper.map(hugePageBytes, { populate: true });
    // Take every free frame, so that splitting the huge page has none.
    const cache = memory.cache;
    const taken: number[] = [];
    for (let frame = cache.take(); frame >= 0; frame = cache.take()) taken.push(frame);
    for (let frame = memory.allocator.allocate(0); frame >= 0; frame = memory.allocator.allocate(0)) taken.push(frame);
    memory.access.writeU8(address + pageBytes, 3);
    expect(() => mapper.unmap(address + pageBytes, pageBytes)).to.throw(OutOfMemoryError);
    expect(() => mapper.protect(address + pageBytes, pageBytes, 'read')).to.throw(OutOfMemoryError);
    expect(memory.access.readU8(address + pageBytes)).to.equal(3);
    memory.access.writeU8(address + pageBytes, 4);
    expect(mapper.regions.all.map((region) => [region.start, region.end, region.protection])).to.deep.equal([[address, address + hugePageBytes, 'read-write']]);
    for (const frame of taken) memory.allocator.free(frame, 0);
    mapper.unmap(address + pageBytes, pageBytes);
    expectFault(() => memory.access.readU8(address + pageBytes), 'unmapped');
    mapper.release(mapper.generation);
    expectFramesAccounted(vm);
  });

  it('stamps reserved entries, so one unmapped and reserved again differs from what a slow CPU read (ABA)', () => {
    const { memory, mapper } = machine();
    const address = mapper.map(pageBytes, { huge: false });
    const entryWord = () => {
      let table = memory.tables.root;
      for (let level = 3; level > 0; level--) table = frameOf(memory.tables.words[memory.tables.entryWord(table, memory.tables.indexAt(address, level))]!);
      return memory.tables.entryWord(table, memory.tables.indexAt(address, 0));
    };
    const before = memory.tables.words[entryWord()]!;
    mapper.unmap(address, pageBytes);
    expect(mapper.map(pageBytes, { at: address, huge: false })).to.equal(address);
    const after = memory.tables.words[entryWord()]!;
    expect(after & 0xff).to.equal(before & 0xff, 'the same protection');
    expect(after).to.not.equal(before);
  });

  it('compares generations across their wrap at 2^31', () => {
    expect(generationReached(5, 5)).to.equal(true);
    expect(generationReached(4, 5)).to.equal(false);
    expect(generationReached(-(2 ** 31), 2 ** 31 - 1)).to.equal(true, 'one past the largest is later');
    expect(generationReached(2 ** 31 - 1, -(2 ** 31))).to.equal(false);
  });

  it('a fault with no frame left is a typed out-of-memory error', () => {
    const { memory, mapper } = machine(4 << 20);
    const address = mapper.map(8 << 20, { huge: false });
    expect(() => {
      for (let at = address; at < address + (8 << 20); at += pageBytes) memory.access.writeU8(at, 1);
    }).to.throw(OutOfMemoryError);
  });
});
