/**
 * Bad device files at import: a zeroed file, random bytes, a pool's device cut short, another pool's
 * devices. Each gives a clear `PoolError` (or, for a mirror that still has a whole side, an import
 * of what is whole), never a crash or a wrong answer, and a refused import changes no byte of the
 * files.
 */
import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPool, Dataset, importPool, PoolError, storage } from '../../../actors/zfs/index.js';
import { defaultSubsystems, Kernel } from '../../../boot/index.js';
import { createFileDevice } from '../../../drivers/block/index.js';

const deviceBytes = 8 << 20;

function digest(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

describe('zfs: bad device files at import', function () {
  this.timeout(60_000);
  let home: string;
  let kernel: Kernel;
  beforeEach(async () => {
    home = mkdtempSync(join(tmpdir(), 'osprey-bad-devices-'));
    kernel = await Kernel.boot({ subsystems: [...defaultSubsystems, storage] });
  });
  afterEach(async () => {
    await kernel.shutdown();
    rmSync(home, { recursive: true, force: true });
  });

  /** Creates pool `name` on new files with a file in it, and exports it. */
  async function pool(name: string, layout: 'single' | 'mirror', files: readonly string[]): Promise<void> {
    const devices = await Promise.all(files.map((file) => createFileDevice(file, { sizeBytes: deviceBytes, create: true })));
    const created = await createPool(kernel.subsystem(storage), { name, layout, devices });
    await (await Dataset.open(created)).writeFile('/kept', new TextEncoder().encode(`in ${name}`));
    await created.export();
    await Promise.all(devices.map((device) => device.close()));
  }

  /** Imports `name` from `files`; the error it fails with, or what `/kept` holds. */
  async function tryImport(name: string, files: readonly string[]): Promise<unknown> {
    const devices = await Promise.all(files.map((file) => createFileDevice(file)));
    try {
      const imported = await importPool(kernel.subsystem(storage), devices, name);
      const kept = new TextDecoder().decode(await (await Dataset.open(imported)).readFile('/kept'));
      await imported.export();
      return kept;
    } catch (error) {
      return error;
    } finally {
      await Promise.all(devices.map((device) => device.close()));
    }
  }

  it('refuses zeroed and random files, and another pool’s devices, with a PoolError and no change to the files', async () => {
    const zeroed = join(home, 'zeroed.img');
    const noise = join(home, 'noise.img');
    writeFileSync(zeroed, new Uint8Array(deviceBytes));
    writeFileSync(noise, randomBytes(deviceBytes));
    const other = join(home, 'other.img');
    await pool('other', 'single', [other]);
    const before = [zeroed, noise, other].map(digest);
    for (const files of [[zeroed], [noise], [zeroed, noise], [other]]) {
      const outcome = await tryImport('tank', files);
      expect(outcome, files.join(' ')).to.be.instanceOf(PoolError).and.to.include({ reason: 'not-found' });
    }
    expect([zeroed, noise, other].map(digest)).to.deep.equal(before);
  });

  it('imports a mirror from its whole side when the other was cut short, and refuses a single device cut short', async () => {
    const sides = [join(home, 'a.img'), join(home, 'b.img')];
    await pool('tank', 'mirror', sides);
    truncateSync(sides[1]!, deviceBytes / 2);
    // The cut side is no device of that size any more: it is left out, and the whole one imports.
    const whole = await createFileDevice(sides[0]!);
    await whole.close();
    expect(await tryImport('tank', [sides[0]!])).to.equal('in tank');

    const single = join(home, 'single.img');
    await pool('solo', 'single', [single]);
    truncateSync(single, deviceBytes / 2);
    const before = digest(single);
    const outcome = await tryImport('solo', [single]);
    // Its front labels still name the pool, but it is smaller than the pool's data area: no device of it.
    expect(outcome).to.be.instanceOf(PoolError).and.to.include({ reason: 'missing-devices' });
    expect((outcome as Error).message).to.match(/missing or too small/);
    expect(digest(single)).to.equal(before);
  });
});
