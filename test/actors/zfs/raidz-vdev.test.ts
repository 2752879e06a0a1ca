/**
 * RAID-Z as a top-level device: where blocks lie (against a sector-by-sector reading of the address
 * space), and reads that survive as many lost or corrupted columns as the parity covers, return the
 * right bytes, and repair them; past the parity, a ChecksumError, never data.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import type { DataAddress } from '../../../actors/zfs/block-pointer.js';
import { blockChecksum } from '../../../actors/zfs/checksum.js';
import { type RaidzGeometry, raidzAllocatedBytes, raidzMap } from '../../../actors/zfs/raidz-map.js';
import { RaidzVdev } from '../../../actors/zfs/raidz-vdev.js';
import { ChecksumError } from '../../../actors/zfs/verified-read.js';
import { simulatedStorage } from './helpers/simulated-storage.js';

const geometries = fc.record({
  parity: fc.constantFrom(1 as const, 2 as const),
  extra: fc.integer({ min: 1, max: 10 }),
  sectorBytes: fc.constantFrom(512, 4096),
});

describe('zfs: RAID-Z', function () {
  this.timeout(120_000);

  it('lays each block out in columns that fill exactly its allocation, one per child, the data in order', () => {
    fc.assert(
      fc.property(geometries, fc.integer({ min: 1, max: 300 }), fc.integer({ min: 0, max: 100_000 }), ({ parity, extra, sectorBytes }, sectors, at) => {
        const geometry: RaidzGeometry = { children: parity + extra, parity, sectorBytes };
        const { children } = geometry;
        const physicalBytes = sectors * sectorBytes;
        const allocatedBytes = raidzAllocatedBytes(geometry, physicalBytes);
        expect(allocatedBytes % ((parity + 1) * sectorBytes)).to.equal(0);
        const map = raidzMap(geometry, at * sectorBytes, physicalBytes);
        const parityColumns = map.columns.slice(0, parity);
        const dataColumns = map.columns.slice(parity);
        expect(new Set(map.columns.map((column) => column.child)).size, 'one column per child').to.equal(map.columns.length);
        expect(parityColumns.every((column) => column.dataOffsetBytes === -1 && column.bytes === map.parityBytes)).to.equal(true);
        expect(Math.max(...map.columns.map((column) => column.bytes))).to.equal(map.parityBytes);
        // The data columns tile the block in order.
        let next = 0;
        for (const column of dataColumns) {
          expect(column.dataOffsetBytes).to.equal(next);
          next += column.bytes;
        }
        expect(next).to.equal(physicalBytes);
        // Every sector a column takes is one of the allocation's, and none is taken twice: sector
        // j of a column at (child, offset) is sector (offset / sector + j) · N + child of the space.
        const taken = new Set<number>();
        for (const column of map.columns) {
          for (let j = 0; j < column.bytes / sectorBytes; j++) {
            const sector = (column.offsetBytes / sectorBytes + j) * children + column.child;
            expect(sector)
              .to.be.at.least(at)
              .and.below(at + allocatedBytes / sectorBytes);
            expect(taken.has(sector)).to.equal(false);
            taken.add(sector);
          }
        }
        // Parity per row of data: one parity sector (each) for every row the data takes.
        const rows = Math.ceil(sectors / (children - parity));
        expect(taken.size).to.equal(sectors + parity * rows);
      }),
      { numRuns: 500 },
    );
  });

  it('reads every block right with up to its parity in columns lost or corrupted, repairs them, and refuses past it', async () => {
    await fc.assert(
      fc.asyncProperty(
        geometries,
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 2 }),
        fc.integer(),
        async ({ parity, extra, sectorBytes }, blockSectors, missingChildren, seed) => {
          const children = parity + Math.min(extra, 6);
          const missing = Math.min(missingChildren, parity);
          const { kernel, zfs, disk } = await simulatedStorage(Math.abs(seed) % 1000, [0.05, 0.2]);
          const disks = Array.from({ length: children }, (_, index) => disk(`d${index}`, 4 << 20));
          const opened = await kernel.runUntil(Promise.all(disks.map((device, index) => zfs.openDevice(device, { name: `d${index}` }))));
          const area = { sectorBytes, dataStartBytes: 512 << 10, dataEndBytes: 4 << 20 };
          const whole = new RaidzVdev(
            opened.map((device) => device.ref),
            parity,
            area,
          );
          // Blocks back to back from the start of the space, each of its own bytes.
          let at = whole.startBytes;
          const blocks = blockSectors.map((sectors, index) => {
            const data = Uint8Array.from({ length: sectors * sectorBytes }, (_, byte) => (index * 31 + byte * 7 + (byte >> 9)) & 0xff);
            const address: DataAddress = { device: 0, offsetBytes: at, allocatedBytes: whole.allocatedBytesOf(data.byteLength) };
            at += address.allocatedBytes;
            return { data, address, checksum: blockChecksum('fletcher4', data) };
          });
          await kernel.runUntil(Promise.all(blocks.map((block) => whole.write([block.address], block.data))));
          // Children lost (the first `missing`), and on top of that, as many corrupted columns per
          // block as the parity has left, on other children; for the last block, one more.
          const vdev = new RaidzVdev(
            opened.map((device, index) => (index < missing ? undefined : device.ref)),
            parity,
            area,
          );
          const random = kernel.random.stream('columns');
          const corrupted = new Map<number, number[]>();
          for (const [index, block] of blocks.entries()) {
            const map = raidzMap({ children, parity, sectorBytes }, block.address.offsetBytes, block.data.byteLength);
            const candidates = map.columns.flatMap((column, columnIndex) => (column.child < missing ? [] : [columnIndex]));
            const lostHere = map.columns.length - candidates.length;
            const count = Math.min(candidates.length, parity - lostHere + (index === blocks.length - 1 ? 1 : 0));
            const chosen: number[] = [];
            while (chosen.length < count) {
              const pick = candidates[random.int(candidates.length)]!;
              if (!chosen.includes(pick)) chosen.push(pick);
            }
            for (const column of chosen) {
              const { child, offsetBytes, bytes } = map.columns[column]!;
              await kernel.runUntil(disks[child]!.write(offsetBytes, new Uint8Array(bytes).fill(0xa5)));
            }
            corrupted.set(index, chosen);
          }
          for (const [index, block] of blocks.entries()) {
            const map = raidzMap({ children, parity, sectorBytes }, block.address.offsetBytes, block.data.byteLength);
            const lost = map.columns.filter((column) => column.child < missing).length + corrupted.get(index)!.length;
            if (lost > parity) {
              const read = kernel.runUntil(vdev.read([block.address], block.data.byteLength, 'fletcher4', block.checksum));
              // Past the parity (a data column among the damage, since a block has only p parity columns): no data.
              const outcome = await read.then(
                () => 'data',
                (error: unknown) => error,
              );
              expect(outcome).to.be.instanceOf(ChecksumError);
              continue;
            }
            // Every other block is left to the scrub below, which must find all the damage by itself.
            if (index % 2 === 1) continue;
            const { data, repaired } = await kernel.runUntil(vdev.read([block.address], block.data.byteLength, 'fletcher4', block.checksum));
            expect(Buffer.from(data).equals(block.data), `block ${index}`).to.equal(true);
            // What was read to rebuild it was rewritten right: the children hold the block again.
            const corruptData = corrupted.get(index)!.filter((column) => column >= parity).length;
            expect(repaired).to.be.at.least(corruptData);
            const again = await kernel.runUntil(whole.read([block.address], block.data.byteLength, 'fletcher4', block.checksum));
            expect(Buffer.from(again.data).equals(block.data)).to.equal(true);
          }
          // A scrub through every child repairs what the reads left alone: parity, and the blocks not read.
          for (const [index, block] of blocks.entries()) {
            const scrubbed = await kernel.runUntil(whole.scrub([block.address], block.data.byteLength, 'fletcher4', block.checksum));
            if (index === blocks.length - 1) continue;
            expect(scrubbed.unrecoverable).to.equal(false);
            const clean = await kernel.runUntil(whole.scrub([block.address], block.data.byteLength, 'fletcher4', block.checksum));
            expect([clean.badCopies, clean.repaired]).to.deep.equal([0, 0]);
          }
          await kernel.runUntil(kernel.shutdown());
        },
      ),
      { numRuns: 25 },
    );
  });

  it('writes on with a child gone while the parity covers it, and fails a write that would lose data', async () => {
    const { kernel, zfs, disk } = await simulatedStorage(7, [0.05, 0.2]);
    const opened = await kernel.runUntil(Promise.all([0, 1, 2].map((index) => zfs.openDevice(disk(`d${index}`, 4 << 20), { name: `d${index}` }))));
    const area = { sectorBytes: 4096, dataStartBytes: 512 << 10, dataEndBytes: 4 << 20 };
    const degraded = new RaidzVdev([opened[0]!.ref, undefined, opened[2]!.ref], 1, area);
    const data = Uint8Array.from({ length: 64 << 10 }, (_, byte) => (byte * 13) & 0xff);
    const address = { device: 0, offsetBytes: degraded.startBytes, allocatedBytes: degraded.allocatedBytesOf(data.byteLength) };
    await kernel.runUntil(degraded.write([address], data));
    const read = await kernel.runUntil(degraded.read([address], data.byteLength, 'fletcher4', blockChecksum('fletcher4', data)));
    expect(Buffer.from(read.data).equals(data)).to.equal(true);
    // Another child refusing writes as well: two columns lost on RAID-Z1.
    await kernel.runUntil(opened[2]!.ref.ask({ type: 'offline' }));
    const next = { ...address, offsetBytes: address.offsetBytes + address.allocatedBytes };
    const refused = await kernel.runUntil(
      degraded.write([next], data).then(
        () => null,
        (error: unknown) => error,
      ),
    );
    expect(refused).to.be.instanceOf(Error);
    expect([...degraded.staleChildren]).to.deep.equal([2]);
    expect(() => new RaidzVdev([undefined, undefined, opened[2]!.ref], 1, area)).to.throw(RangeError, /2 children missing/);
    await kernel.runUntil(kernel.shutdown());
  });
});
