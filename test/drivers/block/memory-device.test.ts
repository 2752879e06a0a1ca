import { expect } from 'chai';
import fc from 'fast-check';
import { createSimulatedClock } from '../../../drivers/clock/simulated.js';
import { createSeededRandom } from '../../../drivers/random/seeded.js';
import {
  BlockIoError,
  BlockQueueFullError,
  BlockRangeError,
  createMemoryDevice,
  FaultAtlas,
  type MemoryDevice,
  type MemoryDeviceFaults,
} from '../../../drivers/block/index.js';
import { ClosedError } from '../../../ground/errors.js';
import { drivenBy } from '../../helpers/driven.js';

const sizeBytes = 4 << 20;
const sector = 512;

function device(seed: number, faults: MemoryDeviceFaults = {}, name = 'sim0') {
  const clock = createSimulatedClock();
  const disk = createMemoryDevice({ name, sizeBytes, clock, random: createSeededRandom(seed).stream(name), faults });
  /** Runs the request to completion on the device's clock. */
  const done = <T>(request: Promise<T>): Promise<T> => drivenBy(clock, request);
  return { clock, disk, done };
}

/** Random sequences of operations: sectors written or read at a place, flushes and crashes. */
const ops = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant('write' as const), sector: fc.nat(63), sectors: fc.integer({ min: 1, max: 8 }), fill: fc.integer({ min: 1, max: 255 }) }),
    fc.record({ kind: fc.constant('read' as const), sector: fc.nat(63), sectors: fc.integer({ min: 1, max: 8 }) }),
    fc.record({ kind: fc.constant('flush' as const) }),
    fc.record({ kind: fc.constant('crash' as const) }),
  ),
  { maxLength: 40 },
);

describe('drivers: the simulated block device', () => {
  it('reads what was written, keeps what was flushed, and a crash leaves each sector flushed or from a write not yet durable (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), ops, async (seed, sequence) => {
        const { disk, done } = device(seed);
        // The reference: what reads see, what is durable, and the fills each sector may hold after a crash.
        const current = new Uint8Array(64 + 8);
        const durable = new Uint8Array(64 + 8);
        let unflushed: { sector: number; sectors: number; fill: number }[] = [];
        for (const op of sequence) {
          if (op.kind === 'write') {
            await done(disk.write(op.sector * sector, new Uint8Array(op.sectors * sector).fill(op.fill)));
            current.fill(op.fill, op.sector, op.sector + op.sectors);
            unflushed.push(op);
          } else if (op.kind === 'read') {
            const data = await done(disk.read(op.sector * sector, op.sectors * sector));
            for (let i = 0; i < op.sectors; i++) expect(data[i * sector], `sector ${op.sector + i}`).to.equal(current[op.sector + i]);
          } else if (op.kind === 'flush') {
            await done(disk.flush());
            durable.set(current);
            unflushed = [];
          } else {
            disk.crash();
            const held = disk.durableCopy();
            for (let s = 0; s < current.length; s++) {
              const allowed = new Set([durable[s], ...unflushed.filter((w) => s >= w.sector && s < w.sector + w.sectors).map((w) => w.fill)]);
              const bytes = held.subarray(s * sector, (s + 1) * sector);
              // Whole sectors: a sector is never half one write and half another.
              expect(
                bytes.every((byte) => byte === bytes[0]),
                `sector ${s} is whole`,
              ).to.equal(true);
              expect(allowed.has(bytes[0]!), `sector ${s} holds ${bytes[0]}`).to.equal(true);
              current[s] = bytes[0]!;
            }
            durable.set(current);
            unflushed = [];
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it('replays exactly from its seed: the same faults, the same bytes', async () => {
    const run = async (seed: number) => {
      const faults = { readCorruption: 0.2, writeCorruption: 0.2, misdirectedWrite: 0.1, latentSector: 0.1, latencyMs: [0, 3] as const };
      const { disk, done } = device(seed, faults);
      const seen: number[] = [];
      for (let i = 0; i < 40; i++) {
        await done(disk.write((i % 16) * 4096, new Uint8Array(4096).fill(i + 1)));
        try {
          seen.push((await done(disk.read((i % 16) * 4096, 4096))).reduce((sum, byte) => sum + byte, 0));
        } catch (error) {
          expect(error).to.be.instanceOf(BlockIoError);
          seen.push(-1);
        }
      }
      return { seen, stats: { ...disk.stats } };
    };
    const first = await run(7);
    expect(await run(7)).to.deep.equal(first);
    expect((await run(8)).seen).to.not.deep.equal(first.seen);
  });

  it('corrupts, misdirects, loses sectors and flushes as its rates say, and fails or vanishes when told', async () => {
    const written = new Uint8Array(sector).fill(9);
    const bitsDiffer = (a: Uint8Array, b: Uint8Array) => a.reduce((bits, byte, i) => bits + popcount(byte ^ b[i]!), 0);

    const corrupting = device(1, { writeCorruption: 1 });
    await corrupting.done(corrupting.disk.write(0, written));
    expect(bitsDiffer(await corrupting.done(corrupting.disk.read(0, sector)), written)).to.equal(1);

    const flaky = device(2, { readCorruption: 1 });
    await flaky.done(flaky.disk.write(0, written));
    const reads = [await flaky.done(flaky.disk.read(0, sector)), await flaky.done(flaky.disk.read(0, sector))];
    expect(reads.map((read) => bitsDiffer(read, written))).to.deep.equal([1, 1]);

    const misdirected = device(3, { misdirectedWrite: 1 });
    await misdirected.done(misdirected.disk.write(sector, written));
    expect((await misdirected.done(misdirected.disk.read(sector, sector)))[0], 'its own place keeps what it held').to.equal(0);
    expect(misdirected.disk.stats.misdirectedWrites).to.equal(1);

    const latent = device(4, { latentSector: 1 });
    await latent.done(latent.disk.write(0, written));
    const failure = await latent.done(latent.disk.read(0, sector)).catch((error: unknown) => error);
    expect(failure).to.be.instanceOf(BlockIoError).and.to.include({ reason: 'media', op: 'read' });

    const lying = device(5, { lostFlush: 1, crashKeepsWrite: 0 });
    await lying.done(lying.disk.write(0, written));
    await lying.done(lying.disk.flush());
    expect(lying.disk.durableCopy()[0], 'a lost flush keeps nothing').to.equal(0);

    const dying = device(6);
    dying.disk.fail();
    expect(await dying.done(dying.disk.read(0, sector)).catch((error: unknown) => error)).to.include({ reason: 'failed' });
    dying.disk.vanish();
    expect(await dying.done(dying.disk.flush()).catch((error: unknown) => error)).to.include({ reason: 'gone' });
    dying.disk.revive();
    expect(await dying.done(dying.disk.read(0, sector))).to.have.length(sector);
  });

  it('keeps its faults within the atlas: a zone is damaged on at most as many devices as the redundancy', async () => {
    const atlas = new FaultAtlas({ devices: 2, tolerance: 1, zoneBytes: 64 << 10 });
    const clock = createSimulatedClock();
    const random = createSeededRandom(11);
    const disks = [0, 1].map((index) =>
      createMemoryDevice({
        name: `mirror-${index}`,
        sizeBytes,
        clock,
        random: random.stream(`mirror-${index}`),
        faults: { writeCorruption: 0.5, latentSector: 0.2 },
        atlas: { atlas, device: index },
      }),
    );
    const block = (i: number) => new Uint8Array(4096).fill((i % 250) + 1);
    // 32 blocks at a time on each device: within its queue depth of 64.
    for (let first = 0; first < 256; first += 32) {
      const writes = [];
      for (let i = first; i < first + 32; i++) for (const disk of disks) writes.push(disk.write(i * 4096, block(i)));
      await clock.runUntilIdle();
      await Promise.all(writes);
    }
    const damaged = (disk: MemoryDevice, i: number) =>
      disk.read(i * 4096, 4096).then(
        (data) => !data.every((byte) => byte === (i % 250) + 1),
        () => true,
      );
    let faultyBlocks = 0;
    for (let first = 0; first < 256; first += 32) {
      const reads: Promise<boolean[]>[] = [];
      for (let i = first; i < first + 32; i++) reads.push(Promise.all(disks.map((disk) => damaged(disk, i))));
      await clock.runUntilIdle();
      for (const [index, both] of (await Promise.all(reads)).entries()) {
        expect(both, `block ${first + index} is damaged on both sides`).to.not.deep.equal([true, true]);
        if (both.includes(true)) faultyBlocks++;
      }
    }
    expect(faultyBlocks, 'faults did happen').to.be.above(10);
    expect(disks[0]!.stats.faultsRefused + disks[1]!.stats.faultsRefused, 'and some were refused').to.be.above(0);
  });

  it('refuses bad requests with typed errors, never at the call: outside, misaligned, too many in flight, closed', async () => {
    const { disk, done } = device(9);
    const refusal = (request: () => Promise<unknown>) => done(request()).catch((error: unknown) => error);
    for (const [offset, length] of [
      [1, sector],
      [0, 100],
      [0, 0],
      [sizeBytes, sector],
      [sizeBytes - sector, 2 * sector],
      [Number.NaN, sector],
    ] as const) {
      let thrown: unknown = null;
      let promise: Promise<unknown> | null = null;
      try {
        promise = disk.read(offset, length);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, `read(${offset}, ${length}) throws at the call`).to.equal(null);
      expect(await refusal(() => promise!), `read(${offset}, ${length})`).to.be.instanceOf(BlockRangeError);
    }
    expect(await refusal(() => disk.write(sector / 2, new Uint8Array(sector)))).to.be.instanceOf(BlockRangeError);
    const full = createMemoryDevice({ name: 'small-queue', sizeBytes, clock: createSimulatedClock(), random: createSeededRandom(1), queueDepth: 2 });
    void full.read(0, sector);
    void full.read(0, sector);
    const third = await full.read(0, sector).catch((error: unknown) => error);
    expect(third).to.be.instanceOf(BlockQueueFullError).and.to.include({ queueDepth: 2 });
    await disk.close();
    expect(await refusal(() => disk.read(0, sector))).to.be.instanceOf(ClosedError);
    expect(() => createMemoryDevice({ name: 'odd', sizeBytes: sizeBytes + 1, clock: createSimulatedClock(), random: createSeededRandom(1) })).to.throw(
      RangeError,
      /whole number of 512-byte sectors/,
    );
    expect(() =>
      createMemoryDevice({ name: 'rates', sizeBytes, clock: createSimulatedClock(), random: createSeededRandom(1), faults: { writeCorruption: 2 } }),
    ).to.throw(RangeError, /writeCorruption/);
    expect(() => new FaultAtlas({ devices: 2, tolerance: 2 })).to.throw(RangeError, /tolerance/);
  });

  it('a flush makes durable only the writes that completed before it began, whatever completes meanwhile', async () => {
    let scenarios = 0;
    // Seeds until a few runs where the first flush outlived a later flush and a later write.
    for (let seed = 0; seed < 400 && scenarios < 3; seed++) {
      const clock = createSimulatedClock();
      const disk = createMemoryDevice({
        name: 'reorder',
        sizeBytes,
        clock,
        random: createSeededRandom(seed),
        faults: { latencyMs: [0, 10], crashKeepsWrite: 0 },
      });
      const settled = new Set<string>();
      const issue = (name: string, request: Promise<unknown>) => void request.then(() => settled.add(name));
      const until = async (name: string) => {
        while (!settled.has(name)) await clock.advance(0.5);
      };
      issue('w1', disk.write(0, new Uint8Array(sector).fill(1)));
      await until('w1');
      issue('A', disk.flush()); // covers w1
      issue('w2', disk.write(sector, new Uint8Array(sector).fill(2)));
      await until('w2');
      if (settled.has('A')) continue;
      issue('B', disk.flush()); // covers w1 and w2
      await until('B');
      if (settled.has('A')) continue;
      issue('w3', disk.write(2 * sector, new Uint8Array(sector).fill(3)));
      await until('w3');
      if (settled.has('A')) continue;
      // A began before w3 was even issued, and completes after it: w3 is not A's to keep.
      await until('A');
      scenarios++;
      disk.crash();
      const held = disk.durableCopy();
      expect([held[0], held[sector], held[2 * sector]], `seed ${seed}`).to.deep.equal([1, 2, 0]);
    }
    expect(scenarios, 'seeds where the first flush outlived a later one and a later write').to.be.above(0);
  });

  it('a crash may land writes not yet acknowledged, whole or torn in any sectors, and a lost write leaves its latent sectors unreadable', async () => {
    const outcomes = new Set<string>();
    for (let seed = 0; seed < 40; seed++) {
      const clock = createSimulatedClock();
      const disk = createMemoryDevice({ name: 'torn', sizeBytes, clock, random: createSeededRandom(seed), faults: { latencyMs: [5, 5] } });
      const inFlight = disk.write(0, new Uint8Array(8 * sector).fill(9)).catch((error: unknown) => error);
      disk.crash();
      await clock.runUntilIdle();
      expect(await inFlight).to.be.instanceOf(BlockIoError);
      const held = disk.durableCopy();
      const landed = Array.from({ length: 8 }, (_, index) => (held[index * sector] === 9 ? '1' : '0')).join('');
      outcomes.add(
        landed === '11111111'
          ? 'whole'
          : landed === '00000000'
            ? 'lost'
            : landed.startsWith('1') && !landed.slice(landed.indexOf('0')).includes('1')
              ? 'prefix'
              : 'scattered',
      );
    }
    expect([...outcomes].sort()).to.include.members(['lost', 'scattered', 'whole']);

    // A write that rewrote an unreadable sector, lost in a crash, leaves it unreadable again.
    let relatent = 0;
    for (let seed = 0; seed < 60 && relatent === 0; seed++) {
      const { disk, done } = device(seed, { latentSector: 0.5, crashKeepsWrite: 0 });
      await done(disk.write(0, new Uint8Array(sector).fill(1)));
      await done(disk.flush());
      if (disk.stats.latentSectors !== 1) continue; // the first write must have left sector 0 unreadable
      await done(disk.write(0, new Uint8Array(sector).fill(2)));
      if (disk.stats.latentSectors !== 1) continue; // and the second must have rewritten it cleanly
      expect((await done(disk.read(0, sector)))[0]).to.equal(2);
      disk.crash();
      expect(await done(disk.read(0, sector)).catch((error: unknown) => error), `seed ${seed}`)
        .to.be.instanceOf(BlockIoError)
        .and.to.include({ reason: 'media' });
      relatent++;
    }
    expect(relatent, 'a seed rewrote a latent sector').to.equal(1);
  });

  it('charges the atlas for every fault kind, and refuses to fail a device whose redundancy is spent', async () => {
    const atlas = new FaultAtlas({ devices: 2, tolerance: 1, zoneBytes: 64 << 10 });
    const clock = createSimulatedClock();
    const random = createSeededRandom(17);
    const faults = { misdirectedWrite: 0.3, misdirectedRead: 0.3, lostFlush: 0.3, readCorruption: 0.3 };
    const disks = [0, 1].map((index) =>
      createMemoryDevice({ name: `m${index}`, sizeBytes, clock, random: random.stream(`m${index}`), faults, atlas: { atlas, device: index } }),
    );
    for (let round = 0; round < 8; round++) {
      const requests: Promise<unknown>[] = [];
      for (let i = 0; i < 16; i++) for (const disk of disks) requests.push(disk.write(((round * 16 + i) % 64) * 4096, new Uint8Array(4096).fill(i + 1)));
      for (const disk of disks) requests.push(disk.flush(), disk.read(round * 4096, 4096));
      await clock.runUntilIdle();
      await Promise.allSettled(requests);
    }
    for (let zone = 0; zone < sizeBytes / (64 << 10); zone++) expect(atlas.faultedAt(zone * (64 << 10)).length, `zone ${zone}`).to.be.at.most(1);
    const charged = disks[0]!.stats.misdirectedWrites + disks[0]!.stats.lostFlushes + disks[1]!.stats.misdirectedWrites + disks[1]!.stats.lostFlushes;
    expect(charged, 'faults did happen').to.be.above(0);
    // One side of a mirror with a fault somewhere: the other may not fail whole, and once one side
    // failed, the other takes no fault anywhere.
    const spent = new FaultAtlas({ devices: 2, tolerance: 1 });
    expect(spent.mayFault(1, 0, 512)).to.equal(true);
    const side = createMemoryDevice({ name: 'side', sizeBytes, clock, random: random.stream('side'), atlas: { atlas: spent, device: 0 } });
    expect(() => side.fail()).to.throw(RangeError, /cannot fail/);
    const whole = new FaultAtlas({ devices: 2, tolerance: 1 });
    expect(whole.mayFailDevice(0)).to.equal(true);
    expect(whole.mayFault(1, 8 << 20, 512)).to.equal(false);
    expect(whole.faultedAt(8 << 20)).to.deep.equal([0]);
  });

  it('keeps no reference to a buffer handed over once the write completes: what a flush makes durable is what was written', async () => {
    const { disk, done } = device(13, { latencyMs: [1, 1] });
    const handed = new Uint8Array(sector).fill(7);
    await done(disk.write(0, handed, { handOver: true }));
    // The caller uses its memory again, as a pool does once its group is durable.
    handed.fill(9);
    await done(disk.flush());
    expect(disk.durableCopy()[0]).to.equal(7);
    expect((await done(disk.read(0, sector)))[0]).to.equal(7);
  });

  it('a crash fails the requests in flight, and the device works on', async () => {
    const { clock, disk, done } = device(12, { latencyMs: [5, 5] });
    const inFlight = disk.write(0, new Uint8Array(sector).fill(1)).catch((error: unknown) => error);
    disk.crash();
    await clock.runUntilIdle();
    expect(await inFlight)
      .to.be.instanceOf(BlockIoError)
      .and.to.include({ reason: 'gone', op: 'write' });
    expect(disk.inFlight).to.equal(0);
    await done(disk.write(0, new Uint8Array(sector).fill(2)));
    expect((await done(disk.read(0, sector)))[0]).to.equal(2);
  });
});

function popcount(byte: number): number {
  let count = 0;
  for (let bits = byte; bits !== 0; bits &= bits - 1) count++;
  return count;
}
