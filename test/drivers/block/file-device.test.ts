import { expect } from 'chai';
import fc from 'fast-check';
import { mkdtempSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlockDeviceError, BlockIoError, BlockQueueFullError, BlockRangeError, createFileDevice } from '../../../drivers/block/index.js';
import { ClosedError } from '../../../ground/errors.js';

const sizeBytes = 4 << 20;
const sector = 512;

describe('drivers: the block device on a real file', function () {
  this.timeout(60_000);
  let home: string;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'osprey-block-'));
  });
  afterEach(() => {
    rmSync(home, { recursive: true, force: true });
  });

  it('reads what was written, and a reopened file holds what was flushed (property)', async () => {
    const ops = fc.array(
      fc.oneof(
        fc.record({
          kind: fc.constant('write' as const),
          sector: fc.nat(255),
          sectors: fc.integer({ min: 1, max: 16 }),
          fill: fc.integer({ min: 1, max: 255 }),
        }),
        fc.record({
          kind: fc.constant('writev' as const),
          sector: fc.nat(240),
          pieces: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }),
          fill: fc.integer({ min: 1, max: 200 }),
        }),
        fc.record({ kind: fc.constant('read' as const), sector: fc.nat(255), sectors: fc.integer({ min: 1, max: 16 }) }),
        fc.record({ kind: fc.constant('reopen' as const) }),
      ),
      { maxLength: 30 },
    );
    let run = 0;
    await fc.assert(
      fc.asyncProperty(ops, async (sequence) => {
        const path = join(home, `disk-${run++}`);
        let disk = await createFileDevice(path, { sizeBytes, create: true });
        const model = new Uint8Array(256 + 16);
        try {
          for (const op of sequence) {
            if (op.kind === 'write') {
              await disk.write(op.sector * sector, new Uint8Array(op.sectors * sector).fill(op.fill));
              model.fill(op.fill, op.sector, op.sector + op.sectors);
            } else if (op.kind === 'writev') {
              // Pieces back to back, each of its own bytes: the same as one write of them joined.
              let at = op.sector;
              const pieces = op.pieces.map((sectors, index) => {
                model.fill(op.fill + index, at, at + sectors);
                at += sectors;
                return new Uint8Array(sectors * sector).fill(op.fill + index);
              });
              await disk.writev(op.sector * sector, pieces);
            } else if (op.kind === 'read') {
              const data = await disk.read(op.sector * sector, op.sectors * sector);
              for (let i = 0; i < op.sectors; i++) {
                const bytes = data.subarray(i * sector, (i + 1) * sector);
                expect(bytes.every((byte) => byte === model[op.sector + i])).to.equal(true);
              }
            } else {
              await disk.flush();
              await disk.close();
              disk = await createFileDevice(path);
              expect(disk.sizeBytes).to.equal(sizeBytes);
            }
          }
        } finally {
          await disk.close();
          rmSync(path, { force: true });
        }
      }),
      { numRuns: 25 },
    );
  });

  it('is created sparse at its size, never over an existing file, and opened only as a device of that size', async () => {
    const path = join(home, 'disk0');
    const disk = await createFileDevice(path, { sizeBytes: 64 << 20, create: true, sectorBytes: 4096 });
    expect([disk.kind, disk.name, disk.sizeBytes, disk.sectorBytes]).to.deep.equal(['file', path, 64 << 20, 4096]);
    expect(statSync(path).size).to.equal(64 << 20);
    expect(statSync(path).blocks * 512, 'sparse').to.be.below(1 << 20);
    await disk.close();
    const again = createFileDevice(path, { sizeBytes: 4 << 20, create: true });
    expect(await again.catch((error: unknown) => error)).to.have.property('code', 'EEXIST');
    expect(await createFileDevice(path, { sizeBytes: 32 << 20 }).catch((error: unknown) => error)).to.be.instanceOf(BlockDeviceError);

    const odd = join(home, 'odd');
    writeFileSync(odd, new Uint8Array((4 << 20) + 100));
    const refused = await createFileDevice(odd).catch((error: unknown) => error);
    expect(refused).to.be.instanceOf(BlockDeviceError);
    expect((refused as Error).message).to.match(/no device of 512-byte sectors/);
    expect(await createFileDevice(join(home, 'missing')).catch((error: unknown) => error)).to.have.property('code', 'ENOENT');
    const badSector = await createFileDevice(join(home, 'x'), { create: true, sizeBytes: 4 << 20, sectorBytes: 1024 as never }).catch(
      (error: unknown) => error,
    );
    expect(badSector)
      .to.be.instanceOf(RangeError)
      .and.to.have.property('message')
      .that.matches(/sectorBytes/);
    expect(await createFileDevice(join(home, 'tiny'), { create: true, sizeBytes: 4096 }).catch((error: unknown) => error)).to.be.instanceOf(RangeError);
  });

  it('writes the bytes the buffers held at the call, whatever the caller does with them after', async () => {
    const disk = await createFileDevice(join(home, 'buffers'), { sizeBytes, create: true });
    const buffer = new Uint8Array(1 << 20).fill(1);
    const written = disk.write(0, buffer);
    buffer.fill(2);
    await written;
    expect((await disk.read(0, 1 << 20)).every((byte) => byte === 1)).to.equal(true);
    expect(await disk.write(0, undefined as never).catch((error: unknown) => error)).to.be.instanceOf(TypeError);
    const pieces = [new Uint8Array(4096).fill(3), new Uint8Array(4096).fill(4)];
    const vectored = disk.writev(0, pieces);
    for (const piece of pieces) piece.fill(9);
    await vectored;
    expect(await disk.read(0, 8192)).to.deep.equal(new Uint8Array(8192).fill(3, 0, 4096).fill(4, 4096));
    expect(await disk.writev(0, [undefined as never]).catch((error: unknown) => error)).to.be.instanceOf(TypeError);
    // A Node Buffer too, whose own slice would be a view of the caller's memory.
    const nodeBuffer = Buffer.alloc(4096, 5);
    const fromBuffer = disk.write(8192, nodeBuffer);
    nodeBuffer.fill(6);
    await fromBuffer;
    expect((await disk.read(8192, 4096)).every((byte) => byte === 5)).to.equal(true);
    await disk.close();
  });

  it('reads into the memory it is given, of the read’s length only', async () => {
    const disk = await createFileDevice(join(home, 'into'), { sizeBytes, create: true });
    await disk.write(sector, new Uint8Array(sector).fill(5));
    const into = new Uint8Array(sector).fill(0xee);
    const read = await disk.read(sector, sector, into);
    expect(read).to.equal(into);
    expect(read.every((byte) => byte === 5)).to.equal(true);
    expect(await disk.read(0, sector, new Uint8Array(sector + 1)).catch((error: unknown) => error)).to.be.instanceOf(TypeError);
    await disk.close();
  });

  it('refuses bad requests with typed errors, and fails a read of a file cut short', async () => {
    const path = join(home, 'disk1');
    const disk = await createFileDevice(path, { sizeBytes, create: true, queueDepth: 1 });
    expect(await disk.read(100, sector).catch((error: unknown) => error)).to.be.instanceOf(BlockRangeError);
    expect(await disk.write(sizeBytes, new Uint8Array(sector)).catch((error: unknown) => error)).to.be.instanceOf(BlockRangeError);
    const first = disk.read(0, sector);
    expect(await disk.read(0, sector).catch((error: unknown) => error)).to.be.instanceOf(BlockQueueFullError);
    await first;
    truncateSync(path, sizeBytes / 2);
    const cut = await disk.read(sizeBytes - sector, sector).catch((error: unknown) => error);
    expect(cut).to.be.instanceOf(BlockIoError).and.to.include({ reason: 'gone', op: 'read' });
    await disk.close();
    expect(await disk.flush().catch((error: unknown) => error)).to.be.instanceOf(ClosedError);
  });
});
