import { expect } from 'chai';
import fc from 'fast-check';
import { FrameAllocator } from '../../../actors/vm/frame-allocator.js';
import { FrameCache } from '../../../actors/vm/frame-cache.js';
import { frameCacheFramesMax, frameOrdersCount } from '../../../actors/vm/limits.js';
import { allocatePhysicalMemory, PhysicalMemory } from '../../../actors/vm/physical-memory.js';
import { VmArgumentError } from '../../../actors/vm/errors.js';

const memoryBytes = 8 << 20; // 2048 frames: blocks of every order up to 11 exist

function formatted(cpus = 1): { memory: PhysicalMemory; allocator: FrameAllocator } {
  const memory = new PhysicalMemory(allocatePhysicalMemory(memoryBytes, cpus));
  const allocator = new FrameAllocator(memory);
  allocator.format();
  return { memory, allocator };
}

describe('vm: frame allocator (buddy)', () => {
  it('starts with every frame free, in the largest aligned blocks', () => {
    const { memory, allocator } = formatted();
    expect(allocator.freeFrames()).to.equal(memory.framesCount);
    const byOrder = allocator.freeBlocksByOrder();
    expect(byOrder[11]).to.equal(1);
    expect(byOrder.reduce((sum, count, order) => sum + count * 2 ** order, 0)).to.equal(memory.framesCount);
  });

  it('hands out disjoint aligned blocks, and merges everything back (against a model)', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('allocate' as const), order: fc.integer({ min: 0, max: 12 }) }),
      fc.record({ kind: fc.constant('free' as const), pick: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const { memory, allocator } = formatted();
        const held: { frame: number; order: number }[] = [];
        const owner = new Int32Array(memory.framesCount).fill(-1);
        let heldFrames = 0;
        for (const step of ops) {
          if (step.kind === 'allocate') {
            const frame = allocator.allocate(step.order);
            const size = 2 ** step.order;
            if (frame < 0) {
              // Refused only when no free block is large enough.
              expect(
                allocator
                  .freeBlocksByOrder()
                  .slice(step.order)
                  .every((count) => count === 0),
              ).to.equal(true);
              continue;
            }
            expect(frame % size).to.equal(0);
            for (let f = frame; f < frame + size; f++) {
              expect(owner[f], `frame ${f} handed out twice`).to.equal(-1);
              owner[f] = held.length;
            }
            held.push({ frame, order: step.order });
            heldFrames += size;
          } else if (held.length > 0) {
            const [block] = held.splice(step.pick % held.length, 1);
            allocator.free(block!.frame, block!.order);
            owner.fill(-1, block!.frame, block!.frame + 2 ** block!.order);
            heldFrames -= 2 ** block!.order;
          }
          expect(allocator.freeFrames()).to.equal(memory.framesCount - heldFrames);
        }
        for (const block of held) allocator.free(block.frame, block.order);
        expect(allocator.freeBlocksByOrder()[11]).to.equal(1, 'every block merged back into one');
      }),
      { numRuns: 200 },
    );
  });

  it('frees a block piece by piece (a huge page split into 4 KiB pages)', () => {
    const { memory, allocator } = formatted();
    const frame = allocator.allocate(9);
    for (let f = frame; f < frame + 512; f++) allocator.free(f, 0);
    expect(allocator.freeFrames()).to.equal(memory.framesCount);
    expect(allocator.freeBlocksByOrder()[11]).to.equal(1);
  });

  it('refuses an order out of range and a block that was never one', () => {
    const { allocator } = formatted();
    expect(() => allocator.allocate(frameOrdersCount)).to.throw(/order 19/);
    expect(() => allocator.free(3, 1)).to.throw(/does not start a block/);
  });

  it('refuses physical memory that is not whole frames within bounds', () => {
    expect(() => allocatePhysicalMemory(12_345, 1)).to.throw(VmArgumentError);
    expect(() => allocatePhysicalMemory(2 ** 33, 1)).to.throw(VmArgumentError);
  });

  it('a CPU cache takes and gives single frames in batches, and drains back', () => {
    const { memory, allocator } = formatted(2);
    const cache = new FrameCache(memory, allocator, 1);
    const frames = Array.from({ length: 100 }, () => cache.take());
    expect(new Set(frames).size).to.equal(100);
    for (const frame of frames) cache.give(frame);
    expect(cache.count).to.be.at.most(frameCacheFramesMax);
    expect(allocator.freeFrames() + cache.count).to.equal(memory.framesCount);
    cache.drain();
    expect(allocator.freeFrames()).to.equal(memory.framesCount);
  });

  it('a cache finds no frame when memory is exhausted', () => {
    const { memory, allocator } = formatted();
    const cache = new FrameCache(memory, allocator, 0);
    while (allocator.allocate(0) >= 0);
    expect(cache.take()).to.equal(-1);
  });
});
