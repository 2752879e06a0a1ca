/**
 * Corruption, within and beyond the redundancy, on a pool of simulated devices:
 * - a mirror with blocks corrupted on one side returns the right data for every read, repairing
 *   what it reads; a scrub repairs the rest, and a second scrub finds nothing left to repair;
 * - a single device keeps two copies of its metadata apart, so a scrub repairs a damaged one;
 * - with both sides of a block corrupted, a read fails with ChecksumError, never data, and a scrub
 *   counts the block as unrecoverable.
 */
import { expect } from 'chai';
import { createPool, Dataset, importPool, type Pool } from '../../../actors/zfs/index.js';
import { ChecksumError } from '../../../actors/zfs/verified-read.js';
import { simulatedStorage } from './helpers/simulated-storage.js';

const booted = (seed: number) => simulatedStorage(seed, [0.1, 1]);

/** Every data block pointer of the pool's files, with the file it belongs to. */
async function dataBlocks(pool: Pool) {
  const found: { offsetBytes: number; allocatedBytes: number }[] = [];
  for (const id of await pool.objects.ids()) {
    const dnode = await pool.objects.stat(id);
    if (dnode.type === 'file' && dnode.levels === 1) found.push(...dnode.root.addresses);
  }
  return found;
}

const fileText = (index: number) => new TextEncoder().encode(`file ${index} `.repeat(300));

describe('zfs: self-healing reads and scrubs', function () {
  this.timeout(60_000);

  it('heals a mirror side that lost blocks: reads return the right data, a scrub repairs the rest', async () => {
    const { kernel, zfs, disk } = await booted(41);
    const sides = [disk('a'), disk('b')];
    const pool = await kernel.runUntil(createPool(zfs, { name: 'tank', layout: 'mirror', devices: sides }));
    const fs = await kernel.runUntil(Dataset.open(pool, { fileBlockBytes: 4096 }));
    for (let index = 0; index < 20; index++) await kernel.runUntil(fs.writeFile(`/f${index}`, fileText(index)));
    await kernel.runUntil(pool.export());
    // Every data block, on side b only, overwritten with garbage: reads of b would fail their checksum.
    const probe = await kernel.runUntil(importPool(zfs, sides, 'tank'));
    const blocks = await kernel.runUntil(dataBlocks(probe));
    await kernel.runUntil(probe.export());
    expect(blocks.length).to.equal(20);
    for (const block of blocks) await kernel.runUntil(sides[1]!.write(block.offsetBytes, new Uint8Array(block.allocatedBytes).fill(0x5a)));

    const healed = await kernel.runUntil(importPool(zfs, sides, 'tank'));
    const again = await kernel.runUntil(Dataset.open(healed));
    // Half the files are read: each read is right, and repairs what it found bad.
    for (let index = 0; index < 10; index++) expect(Buffer.from(await kernel.runUntil(again.readFile(`/f${index}`))).equals(fileText(index))).to.equal(true);
    const scrub = await kernel.runUntil(healed.scrub());
    expect(scrub.complete).to.equal(true);
    expect(scrub.unrecoverableBlocks).to.equal(0);
    // Reads take side a first, so they found nothing bad: the scrub, which reads every copy, repairs all 20.
    expect(scrub.repairedCopies).to.equal(20);
    // Side b returned 20 bad blocks: past 10 checksum errors it is degraded, as ZFS marks it, and stays in use.
    expect(healed.status().devices.map((device) => ('checksumErrors' in device ? device.checksumErrors : -1))).to.deep.equal([0, 20]);
    expect(healed.status().devices.map((device) => device.state)).to.deep.equal(['online', 'degraded']);
    const second = await kernel.runUntil(healed.scrub());
    expect([second.repairedCopies, second.unrecoverableBlocks, second.blocks]).to.deep.equal([0, 0, scrub.blocks]);
    expect(healed.status().scan).to.deep.include({ state: 'finished', repairedCopies: 0 });
    await kernel.runUntil(healed.export());

    // Side a gone: side b alone has every file right.
    const alone = await kernel.runUntil(importPool(zfs, [sides[1]!], 'tank'));
    const fromB = await kernel.runUntil(Dataset.open(alone));
    for (let index = 0; index < 20; index++) expect(Buffer.from(await kernel.runUntil(fromB.readFile(`/f${index}`))).equals(fileText(index))).to.equal(true);
    await kernel.runUntil(alone.export());
    await kernel.runUntil(kernel.shutdown());
  });

  it('repairs a damaged copy of metadata on a single device from its other copy', async () => {
    const { kernel, zfs, disk } = await booted(42);
    const only = disk('only');
    const pool = await kernel.runUntil(createPool(zfs, { name: 'solo', layout: 'single', devices: [only] }));
    const fs = await kernel.runUntil(Dataset.open(pool, { fileBlockBytes: 4096 }));
    await kernel.runUntil(fs.writeFile('/kept', fileText(1)));
    await kernel.runUntil(pool.commit());
    // The first copy of object 0's top block (the dnodes): metadata has two.
    const metaRoot = (await kernel.runUntil(pool.objects.stat(1))).root;
    expect(metaRoot.addresses.length).to.equal(2);
    await kernel.runUntil(pool.export());
    const first = metaRoot.addresses[0]!;
    await kernel.runUntil(only.write(first.offsetBytes, new Uint8Array(first.allocatedBytes).fill(1)));
    const again = await kernel.runUntil(importPool(zfs, [only], 'solo'));
    expect(new TextDecoder().decode(await kernel.runUntil((await kernel.runUntil(Dataset.open(again))).readFile('/kept')))).to.equal(
      new TextDecoder().decode(fileText(1)),
    );
    const scrub = await kernel.runUntil(again.scrub());
    expect(scrub.unrecoverableBlocks).to.equal(0);
    expect(scrub.repairedCopies + again.status().repaired).to.be.greaterThan(0);
    expect((await kernel.runUntil(again.scrub())).repairedCopies).to.equal(0);
    await kernel.runUntil(again.export());
    await kernel.runUntil(kernel.shutdown());
  });

  it('never returns a block corrupted beyond the redundancy: a ChecksumError, and an unrecoverable block in the scrub', async () => {
    const { kernel, zfs, disk } = await booted(43);
    const sides = [disk('a'), disk('b')];
    const pool = await kernel.runUntil(createPool(zfs, { name: 'tank', layout: 'mirror', devices: sides }));
    const fs = await kernel.runUntil(Dataset.open(pool, { fileBlockBytes: 4096 }));
    await kernel.runUntil(fs.writeFile('/lost', fileText(7)));
    await kernel.runUntil(fs.writeFile('/safe', fileText(8)));
    await kernel.runUntil(pool.commit());
    const lostId = (await kernel.runUntil(fs.stat('/lost'))).objectId;
    const [lost] = (await kernel.runUntil(pool.objects.stat(lostId))).root.addresses;
    await kernel.runUntil(pool.export());
    for (const side of sides) await kernel.runUntil(side.write(lost!.offsetBytes, new Uint8Array(lost!.allocatedBytes).fill(0x33)));

    const damaged = await kernel.runUntil(importPool(zfs, sides, 'tank'));
    const files = await kernel.runUntil(Dataset.open(damaged));
    const error = await kernel.runUntil(files.readFile('/lost').catch((thrown: unknown) => thrown));
    expect(error).to.be.instanceOf(ChecksumError);
    expect(Buffer.from(await kernel.runUntil(files.readFile('/safe'))).equals(fileText(8))).to.equal(true);
    const scrub = await kernel.runUntil(damaged.scrub());
    expect([scrub.unrecoverableBlocks, scrub.repairedCopies, scrub.complete]).to.deep.equal([1, 0, true]);
    await kernel.runUntil(damaged.export());
    await kernel.runUntil(kernel.shutdown());
  });
});
