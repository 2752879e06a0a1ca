import { expect } from 'chai';
import { blockChecksum } from '../../../actors/zfs/checksum.js';
import { storage } from '../../../actors/zfs/subsystem.js';
import { ChecksumError, readVerified, writeCopies, type BlockCopy } from '../../../actors/zfs/verified-read.js';
import { defaultSubsystems, Kernel } from '../../../boot/index.js';
import { createMemoryDevice, FaultAtlas, type MemoryDeviceFaults } from '../../../drivers/block/index.js';

const blockBytes = 4096;
const blocks = 160;

/** A simulated kernel with a two-way mirror of memory devices, faulted as `faults` says, bounded by `atlas`. */
async function mirror(seed: number, faults: MemoryDeviceFaults, atlas: FaultAtlas | undefined) {
  const kernel = await Kernel.boot({ mode: 'simulated', seed, subsystems: [...defaultSubsystems, storage] });
  const sides = await kernel.runUntil(
    Promise.all(
      [0, 1].map((index) =>
        kernel.subsystem(storage).openDevice(
          createMemoryDevice({
            name: `side${index}`,
            sizeBytes: 4 << 20,
            clock: kernel.clock,
            random: kernel.random.stream(`side${index}`),
            faults: { ...faults, latencyMs: [0.1, 1] },
            ...(atlas === undefined ? {} : { atlas: { atlas, device: index } }),
          }),
          { name: `side${index}` },
        ),
      ),
    ),
  );
  // A block every other place: each write is its own request (the device actor joins neighbours), so
  // the fault rates, per request, fall on each block.
  const copiesOf = (block: number): BlockCopy[] => sides.map((side) => ({ device: side.ref, offsetBytes: block * 2 * blockBytes }));
  const contentOf = (block: number) => Uint8Array.from({ length: blockBytes }, (_, at) => (block * 7 + at * 13) & 0xff);
  await kernel.runUntil(Promise.all(Array.from({ length: blocks }, (_, block) => writeCopies(copiesOf(block), contentOf(block)))));
  const read = (block: number) => readVerified(copiesOf(block), blockBytes, 'fletcher4', blockChecksum('fletcher4', contentOf(block)));
  return { kernel, sides, read, contentOf };
}

describe('zfs: reads verified against their checksum, healed from another copy', function () {
  this.timeout(60_000);

  it('a mirror damaged on one side at a time returns the right data for every read, and repairs what it read bad', async () => {
    const atlas = new FaultAtlas({ devices: 2, tolerance: 1, zoneBytes: 16 << 10 });
    const { kernel, sides, read, contentOf } = await mirror(
      3,
      { writeCorruption: 0.2, readCorruption: 0.05, latentSector: 0.05, misdirectedWrite: 0.02 },
      atlas,
    );
    let repaired = 0;
    for (const pass of [1, 2]) {
      const reads = await kernel.runUntil(Promise.all(Array.from({ length: blocks }, (_, block) => read(block))));
      reads.forEach((result, block) => expect(result.data, `pass ${pass}, block ${block}`).to.deep.equal(contentOf(block)));
      const passRepairs = reads.reduce((sum, result) => sum + result.repaired, 0);
      if (pass === 1) {
        repaired = passRepairs;
        expect(repaired, 'the first pass found bad copies to repair').to.be.above(5);
      } else {
        // What was stored bad was rewritten: only transient read faults are left to repair.
        expect(passRepairs, 'the second pass repairs less').to.be.below(repaired);
      }
    }
    const checksumErrors = sides.reduce((sum, side) => sum + side.status().checksumErrors, 0);
    expect(checksumErrors, 'the devices that returned bad bytes were told').to.be.above(0);
    await kernel.runUntil(kernel.shutdown());
  });

  it('counts as repaired only the copies whose device took the rewrite', async () => {
    const { kernel, sides, read, contentOf } = await mirror(6, {}, undefined);
    // Side 0's copy of block 1 rots where it lies, and side 0 goes offline: a read must use side 1
    // and cannot repair side 0.
    await kernel.runUntil(sides[0]!.ref.ask({ type: 'write', offsetBytes: 1 * 2 * blockBytes, data: new Uint8Array(blockBytes).fill(0xee) }));
    await kernel.runUntil(sides[0]!.ref.ask({ type: 'offline' }));
    const result = await kernel.runUntil(read(1));
    expect(result.data).to.deep.equal(contentOf(1));
    expect(result.repaired).to.equal(0);
    await kernel.runUntil(sides[0]!.ref.ask({ type: 'online' }));
    const healed = await kernel.runUntil(read(1));
    expect(healed.repaired, 'online again, its copy is rewritten').to.equal(1);
    await kernel.runUntil(kernel.shutdown());
  });

  it('corruption past the redundancy is a ChecksumError, never data', async () => {
    const { kernel, read, contentOf } = await mirror(5, { writeCorruption: 0.6 }, undefined);
    let failures = 0;
    let successes = 0;
    for (let block = 0; block < blocks; block++) {
      const outcome = await kernel.runUntil(read(block).catch((error: unknown) => error));
      if (outcome instanceof ChecksumError) {
        failures++;
        expect(outcome.problems).to.have.length(2);
      } else {
        expect((outcome as { data: Uint8Array }).data, `block ${block}`).to.deep.equal(contentOf(block));
        successes++;
      }
    }
    expect(failures, 'some blocks are bad on both sides').to.be.above(0);
    expect(successes, 'and the others read right').to.be.above(0);
    await kernel.runUntil(kernel.shutdown());
  });
});
