import { expect } from 'chai';
import fc from 'fast-check';
import { packetBlockBytesMax, packetBlockBytesMin } from '../../../actors/net/limits.js';
import { PacketBuffers } from '../../../actors/net/packet-buffers.js';
import type { MemoryAccess } from '../../../actors/vm/memory-access.js';

const base = 0x4000_0000;
const poolBytes = 4 * packetBlockBytesMax;
/** The allocator never touches memory: only the classifier writes into the blocks. */
const noMemory = {} as MemoryAccess;

function blockBytesFor(length: number): number {
  let bytes = packetBlockBytesMin;
  while (bytes < length) bytes *= 2;
  return bytes;
}

type Step = { readonly allocate: number } | { readonly free: number };

const steps = fc.array(
  fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 0, max: packetBlockBytesMax }).map((allocate) => ({ allocate })) },
    { weight: 2, arbitrary: fc.nat().map((free) => ({ free })) },
  ),
  { maxLength: 300 },
);

describe('net: packet buffers (a buddy allocator over VM memory)', () => {
  it('hands out aligned, disjoint blocks large enough, refuses only when no block is free, and merges back to whole blocks', () => {
    fc.assert(
      fc.property(steps, (script: Step[]) => {
        const buffers = new PacketBuffers(noMemory, base, poolBytes);
        const held = new Map<number, number>();
        for (const step of script) {
          if ('allocate' in step) {
            const bytes = blockBytesFor(step.allocate);
            const address = buffers.allocate(step.allocate);
            if (address === null) {
              // Refused only when no free block of that size or larger is left.
              const order = Math.log2(bytes / packetBlockBytesMin);
              expect(
                buffers
                  .freeBlocksByOrder()
                  .slice(order)
                  .every((count) => count === 0),
              ).to.equal(true);
              continue;
            }
            expect(address - base).to.be.within(0, poolBytes - bytes);
            expect((address - base) % bytes).to.equal(0);
            for (const [other, otherBytes] of held) expect(address + bytes <= other || other + otherBytes <= address).to.equal(true);
            held.set(address, bytes);
          } else if (held.size > 0) {
            const address = [...held.keys()][step.free % held.size]!;
            held.delete(address);
            buffers.free(address);
          }
          expect(buffers.bytesInUse).to.equal([...held.values()].reduce((sum, bytes) => sum + bytes, 0));
        }
        for (const address of held.keys()) buffers.free(address);
        expect(buffers.bytesInUse).to.equal(0);
        const whole = buffers.freeBlocksByOrder();
        expect(whole[whole.length - 1]).to.equal(poolBytes / packetBlockBytesMax);
        expect(whole.slice(0, -1).every((count) => count === 0)).to.equal(true);
      }),
      { numRuns: 200 },
    );
  });

  it('fails loudly on a block it never handed out, and on a chunk past the largest block', () => {
    const buffers = new PacketBuffers(noMemory, base, poolBytes);
    const address = buffers.allocate(100)!;
    buffers.free(address);
    expect(() => buffers.free(address)).to.throw(/no packet buffer handed out/);
    expect(() => buffers.allocate(packetBlockBytesMax + 1)).to.throw(/past the largest packet buffer/);
  });

  it('refuses to unmap while buffers are out', async () => {
    const buffers = new PacketBuffers(noMemory, base, poolBytes);
    buffers.allocate(1);
    const refused = await buffers.unmap().catch((error: unknown) => error);
    expect(String(refused)).to.match(/bytes of buffers out/);
  });
});
