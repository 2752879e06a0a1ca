import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileDevice, WriteBehind, writeBehindBytesDefault } from '../../../drivers/block/index.js';

/** A datasync the test finishes by hand, counting the calls. */
function manualDatasync() {
  const pending: { resolve: () => void; reject: (error: Error) => void }[] = [];
  const datasync = () =>
    new Promise<void>((resolve, reject) => {
      pending.push({ resolve, reject });
    });
  return { datasync, pending };
}

/** Lets the promise callbacks queued so far run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('drivers: write-behind on a file device', () => {
  it('starts one background flush past the threshold, and none while one runs', async () => {
    const { datasync, pending } = manualDatasync();
    const behind = new WriteBehind(datasync, 100);
    behind.wrote(60);
    expect(pending).to.have.length(0);
    behind.wrote(40);
    expect(pending).to.have.length(1);
    // The count started again when the flush began: 100 more bytes pass the threshold, but one is running.
    behind.wrote(99);
    behind.wrote(1);
    expect(pending).to.have.length(1);
    pending[0]!.resolve();
    await settle();
    // Those bytes are not surely covered by the flush that ran: the next write starts another.
    behind.wrote(1);
    expect(pending).to.have.length(2);
    pending[1]!.resolve();
    await behind.settled();
    behind.wrote(99);
    expect(pending).to.have.length(2);
  });

  it('reports a background flush’s failure to the next flush, once, instead of losing it', async () => {
    const { datasync, pending } = manualDatasync();
    const behind = new WriteBehind(datasync, 10);
    behind.wrote(10);
    pending[0]!.reject(new Error('EIO: write-back failed'));
    await settle();
    let failure: unknown = null;
    await behind.flush().catch((error: unknown) => {
      failure = error;
    });
    expect((failure as Error | null)?.message).to.equal('EIO: write-back failed');
    // The failure was reported without a datasync of the caller's own.
    expect(pending).to.have.length(1);
    const next = behind.flush();
    await settle();
    expect(pending).to.have.length(2);
    pending[1]!.resolve();
    await next;
  });

  it('makes a flush wait for a background flush still running, and fail with its error', async () => {
    const { datasync, pending } = manualDatasync();
    const behind = new WriteBehind(datasync, 10);
    behind.wrote(10);
    let failure: unknown = null;
    const flushed = behind.flush().catch((error: unknown) => {
      failure = error;
    });
    await settle();
    expect(failure).to.equal(null);
    pending[0]!.reject(new Error('EIO'));
    await flushed;
    expect((failure as Error | null)?.message).to.equal('EIO');
  });

  it('starts no background flush while a caller’s flush runs, so the caller’s gets any write-back error', async () => {
    const { datasync, pending } = manualDatasync();
    const behind = new WriteBehind(datasync, 10);
    const flushed = behind.flush();
    await settle();
    expect(pending).to.have.length(1);
    // A write completes meanwhile: past the threshold, but the caller's flush runs.
    behind.wrote(10);
    expect(pending).to.have.length(1);
    pending[0]!.resolve();
    await flushed;
    // Its bytes are not surely covered by the flush that ran: the next write starts one.
    behind.wrote(1);
    expect(pending).to.have.length(2);
    pending[1]!.resolve();
    await behind.settled();
  });

  it('fails every flush that waited for a background flush that failed', async () => {
    const { datasync, pending } = manualDatasync();
    const behind = new WriteBehind(datasync, 10);
    behind.wrote(10);
    const outcomes = await Promise.all(
      [behind.flush(), behind.flush(), (async () => pending[0]!.reject(new Error('EIO')))()].map((each) =>
        each.then(
          () => 'ok',
          (error: Error) => error.message,
        ),
      ),
    );
    expect(outcomes.slice(0, 2)).to.deep.equal(['EIO', 'EIO']);
    // Reported: the next flush runs a datasync of its own.
    const next = behind.flush();
    await settle();
    expect(pending).to.have.length(2);
    pending[1]!.resolve();
    await next;
  });

  it('is off at 0, and refuses thresholds that are no byte count', () => {
    const { datasync, pending } = manualDatasync();
    const behind = new WriteBehind(datasync, 0);
    behind.wrote(1 << 30);
    expect(pending).to.have.length(0);
    for (const bad of [-1, 0.5, Number.NaN, 2 ** 60]) expect(() => new WriteBehind(datasync, bad)).to.throw(RangeError, /writeBehindBytes/);
    expect(writeBehindBytesDefault).to.equal(8 << 20);
  });

  it('leaves a file device’s data whole whatever the threshold, and refuses a bad one before touching the disk', async () => {
    const home = mkdtempSync(join(tmpdir(), 'osprey-write-behind-'));
    try {
      await createFileDevice(join(home, 'bad'), { create: true, sizeBytes: 4 << 20, writeBehindBytes: -5 }).then(
        () => expect.fail('a negative threshold was taken'),
        (error: unknown) => expect(error).to.be.instanceOf(RangeError),
      );
      expect(() => readFileSync(join(home, 'bad'))).to.throw(/ENOENT/);
      const disk = await createFileDevice(join(home, 'disk'), { create: true, sizeBytes: 4 << 20, writeBehindBytes: 4096 });
      // Background flushes start every 4 KiB while writes go on; then the device closes cleanly.
      const writes = Array.from({ length: 64 }, (_, index) => disk.write(index * 8192, new Uint8Array(8192).fill(index + 1)));
      await Promise.all(writes);
      await disk.flush();
      await disk.close();
      const bytes = readFileSync(join(home, 'disk'));
      for (let index = 0; index < 64; index++) expect(bytes[index * 8192 + 100]).to.equal(index + 1);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
