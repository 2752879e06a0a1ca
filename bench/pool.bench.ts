// The storage pool's file API (actors/zfs/dataset.ts) on a file device, against raw `fs` on the same
// disk, interleaved in one process (issue "Storage", benchmarks):
// 1. sequential write of a 32 MiB file in 1 MiB writes, then fsync (a pool commit), against raw
//    FileHandle writes of the same file and a datasync; checksums (fletcher4) on;
// 2. sequential read of it back, against raw FileHandle reads;
// 3. 4 KiB reads at random places of the file, 16 in flight, against raw FileHandle reads;
// 4. commit latency: a 4 KiB write then fsync, the median of many;
// 5. the scrub rate: every copy of every block read from the device and verified, in MB/s;
// 6. the sequential write of 1. on RAID-Z1 of three device files, against the same baseline.
// Ratios are the pool's rate over raw fs's. Each figure is the median of 5 repetitions. A few seconds.
//
// The pool's device file is written full of zeros first (not timed), as a disk's blocks all exist: a
// pool copies on write, so each commit writes to places it has not written before, and in a sparse
// file those cost the file system an allocation each (about 85 ms per 32 MiB here, against 23 ms to
// overwrite), while raw fs's baseline overwrites one file in place.

import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dataset, createPool, type Pool, storage } from '../actors/zfs/index.js';
import { defaultSubsystems, Kernel } from '../boot/index.js';
import { createFileDevice } from '../drivers/block/index.js';
import { emit, emitRatio, maybeGc, quantile, randomPlacesRate, summary } from './harness.js';

const REPS = 5;
const FILE_BYTES = 32 << 20;
const CHUNK_BYTES = 1 << 20;
const DEVICE_BYTES = 256 << 20;
const RANDOM_READS = 2_000;
const RANDOM_BYTES = 4096;
const IN_FLIGHT = 16;
const COMMITS = 40;

function seconds(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** A file device written full of zeros first (not timed), as a disk's blocks all exist (see the top). */
async function preallocatedDevice(path: string, sizeBytes: number) {
  const zeros = new Uint8Array(CHUNK_BYTES);
  const file = await open(path, 'wx');
  for (let at = 0; at < sizeBytes; at += CHUNK_BYTES) await file.write(zeros, 0, CHUNK_BYTES, at);
  await file.close();
  return createFileDevice(path);
}

/** Runs `reads` reads of `RANDOM_BYTES` at pseudo-random aligned places, `IN_FLIGHT` at a time; returns reads per second. */
async function randomReadRate(read: (offset: number) => Promise<unknown>): Promise<number> {
  return randomPlacesRate(RANDOM_READS, IN_FLIGHT, FILE_BYTES, RANDOM_BYTES, read);
}

export async function run(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'osprey-pool-bench-'));
  const kernel = await Kernel.boot({ subsystems: [...defaultSubsystems, storage] });
  const chunk = new Uint8Array(CHUNK_BYTES).map((_, index) => (index * 31) & 0xff);
  let pool: Pool | null = null;
  try {
    const device = await preallocatedDevice(join(home, 'pool.img'), DEVICE_BYTES);
    pool = await createPool(kernel.subsystem(storage), { name: 'bench', layout: 'single', devices: [device] });
    const fs = await Dataset.open(pool);
    const raw = await open(join(home, 'raw'), 'w+');
    const readBuffer = new Uint8Array(CHUNK_BYTES);
    const writes = { pool: [] as number[], raw: [] as number[] };
    const reads = { pool: [] as number[], raw: [] as number[] };
    const randomReads = { pool: [] as number[], raw: [] as number[] };
    for (let rep = 0; rep <= REPS; rep++) {
      // Rep 0 warms up and is not counted.
      const keep = rep > 0;
      maybeGc();
      let t0 = process.hrtime.bigint();
      const file = await fs.open('/seq', { create: true, truncate: true });
      for (let at = 0; at < FILE_BYTES; at += CHUNK_BYTES) await fs.write(file, at, chunk);
      await fs.fsync();
      if (keep) writes.pool.push(FILE_BYTES / 2 ** 20 / seconds(t0));
      maybeGc();
      t0 = process.hrtime.bigint();
      for (let at = 0; at < FILE_BYTES; at += CHUNK_BYTES) await raw.write(chunk, 0, CHUNK_BYTES, at);
      await raw.datasync();
      if (keep) writes.raw.push(FILE_BYTES / 2 ** 20 / seconds(t0));

      maybeGc();
      t0 = process.hrtime.bigint();
      // Into one buffer, reused, as raw fs's baseline reads.
      for (let at = 0; at < FILE_BYTES; at += CHUNK_BYTES) await fs.read(file, at, CHUNK_BYTES, readBuffer);
      if (keep) reads.pool.push(FILE_BYTES / 2 ** 20 / seconds(t0));
      const buffer = new Uint8Array(CHUNK_BYTES);
      maybeGc();
      t0 = process.hrtime.bigint();
      for (let at = 0; at < FILE_BYTES; at += CHUNK_BYTES) await raw.read(buffer, 0, CHUNK_BYTES, at);
      if (keep) reads.raw.push(FILE_BYTES / 2 ** 20 / seconds(t0));

      const small = new Uint8Array(RANDOM_BYTES);
      const poolRate = await randomReadRate((offset) => fs.read(file, offset, RANDOM_BYTES));
      const rawRate = await randomReadRate((offset) => raw.read(new Uint8Array(RANDOM_BYTES), 0, RANDOM_BYTES, offset));
      small.fill(0);
      if (keep) {
        randomReads.pool.push(poolRate);
        randomReads.raw.push(rawRate);
      }
    }

    const commitMs: number[] = [];
    const note = await fs.open('/commits', { create: true });
    for (let commit = 0; commit < COMMITS; commit++) {
      await fs.write(note, (commit % 64) * RANDOM_BYTES, new Uint8Array(RANDOM_BYTES).fill(commit));
      const t0 = process.hrtime.bigint();
      await fs.fsync();
      commitMs.push(seconds(t0) * 1000);
    }

    const scrubRates: number[] = [];
    for (let rep = 0; rep < REPS; rep++) {
      const result = await pool.scrub();
      scrubRates.push(result.examinedBytes / 2 ** 20 / (result.durationMs / 1000));
    }

    const cases = [
      ['sequential write through the file API, then fsync (32 MiB in 1 MiB writes)', 'raw fs: FileHandle.write, then datasync', writes, 'MB/s'],
      ['sequential read through the file API (32 MiB in 1 MiB reads)', 'raw fs: FileHandle.read', reads, 'MB/s'],
      ['4 KiB random reads through the file API, 16 in flight', 'raw fs: FileHandle.read', randomReads, 'reads/s'],
    ] as const;
    for (const [name, baseline, values, unit] of cases) {
      const pooled = summary(`pool: ${name}`, unit, values.pool);
      const raws = summary(`baseline: ${baseline} (${name})`, unit, values.raw);
      emit(pooled);
      emit(raws);
      emitRatio({ name: `pool / raw fs: ${name}`, numerator: pooled, denominator: raws, ...(unit === 'MB/s' ? { goal: 0.5 } : {}), goalKind: 'min' });
    }
    emit(summary('pool: scrub rate (every copy read and verified)', 'MB/s', scrubRates), { examinedBytes: pool.status().usedBytes });
    await pool.export();
    pool = null;

    // The same sequential write on RAID-Z1 of three devices (on one disk here: a third more bytes
    // written, for the parity), against the same raw baseline, interleaved.
    const children = await Promise.all([0, 1, 2].map((index) => preallocatedDevice(join(home, `raidz${index}.img`), DEVICE_BYTES / 2)));
    pool = await createPool(kernel.subsystem(storage), { name: 'benchz', layout: 'raidz1', devices: children });
    const raidzFs = await Dataset.open(pool);
    const raidzWrites = { pool: [] as number[], raw: [] as number[] };
    for (let rep = 0; rep <= REPS; rep++) {
      maybeGc();
      let t0 = process.hrtime.bigint();
      const file = await raidzFs.open('/seq', { create: true, truncate: true });
      for (let at = 0; at < FILE_BYTES; at += CHUNK_BYTES) await raidzFs.write(file, at, chunk);
      await raidzFs.fsync();
      if (rep > 0) raidzWrites.pool.push(FILE_BYTES / 2 ** 20 / seconds(t0));
      maybeGc();
      t0 = process.hrtime.bigint();
      for (let at = 0; at < FILE_BYTES; at += CHUNK_BYTES) await raw.write(chunk, 0, CHUNK_BYTES, at);
      await raw.datasync();
      if (rep > 0) raidzWrites.raw.push(FILE_BYTES / 2 ** 20 / seconds(t0));
    }
    const raidzName = 'sequential write through the file API on RAID-Z1 of three, then fsync (32 MiB in 1 MiB writes)';
    const raidzPooled = summary(`pool: ${raidzName}`, 'MB/s', raidzWrites.pool);
    const raidzRaw = summary(`baseline: raw fs: FileHandle.write, then datasync (${raidzName})`, 'MB/s', raidzWrites.raw);
    emit(raidzPooled);
    emit(raidzRaw);
    emitRatio({ name: `pool / raw fs: ${raidzName}`, numerator: raidzPooled, denominator: raidzRaw, goalKind: 'min' });
    await raw.close();
    const sorted = [...commitMs].sort((a, b) => a - b);
    emit(summary('pool: commit latency (fsync after a 4 KiB write), ms', 'ms', [quantile(sorted, 0.5)]), { p90: quantile(sorted, 0.9), commits: COMMITS });
  } finally {
    await pool?.export().catch(() => undefined);
    await kernel.shutdown();
    rmSync(home, { recursive: true, force: true });
  }
}
