// Block devices (drivers/block) and the pool's device actor (actors/zfs/device-actor.ts) against the
// peer users would pick: raw `fs` positional I/O on a FileHandle, measured interleaved in one process.
//
// Cases (each the median of 5 repetitions after a warm-up), 4 KiB writes then reads at random
// sector-aligned places of a 64 MiB file, 32 in flight:
// 1. raw fs: FileHandle.write / read;
// 2. the file device (createFileDevice): the same calls behind its checks and queue;
// 3. the device actor: asks to the actor, which hands them to the file device and answers from the
//    interrupts of their completions.
// Plus fletcher4 and sha256 over 128 KiB blocks, in MB/s. Ratios against raw fs. About 30 s.

import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { interrupts } from '../actors/irq/subsystem.js';
import { fletcher4, sha256 } from '../actors/zfs/checksum.js';
import { openPoolDevice } from '../actors/zfs/device-actor.js';
import { Kernel } from '../boot/index.js';
import { createFileDevice } from '../drivers/block/index.js';
import { emit, emitRatio, randomPlacesRate, summary } from './harness.js';

const REPS = 5;
const DEVICE_BYTES = 64 << 20;
const IO_BYTES = 4096;
const IOS = 4_000;
const IN_FLIGHT = 32;
const CHECKSUM_BLOCK = 128 << 10;
const CHECKSUM_BLOCKS = 400;

/** Runs `IOS` operations, `IN_FLIGHT` at a time, at pseudo-random places; returns operations per second. */
async function ioRate(op: (offset: number) => Promise<unknown>): Promise<number> {
  return randomPlacesRate(IOS, IN_FLIGHT, DEVICE_BYTES, IO_BYTES, op);
}

export async function run(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'osprey-block-bench-'));
  const kernel = await Kernel.boot();
  try {
    const raw = await open(join(home, 'raw'), 'wx+');
    await raw.truncate(DEVICE_BYTES);
    const device = await createFileDevice(join(home, 'device'), { sizeBytes: DEVICE_BYTES, create: true });
    const actorDisk = await createFileDevice(join(home, 'actor'), { sizeBytes: DEVICE_BYTES, create: true });
    const actor = await openPoolDevice(
      { irq: kernel.subsystem(interrupts), spawn: (behavior, options) => kernel.spawn(behavior, options), stop: (ref) => kernel.stop(ref) },
      actorDisk,
      { name: 'bench' },
    );
    const block = new Uint8Array(IO_BYTES).fill(7);
    const cases = {
      write: [
        { name: 'raw fs: FileHandle.write, 4 KiB, 32 in flight', op: (offset: number) => raw.write(block, 0, IO_BYTES, offset) },
        { name: 'file device: write, 4 KiB, 32 in flight', op: (offset: number) => device.write(offset, block) },
        {
          name: 'device actor: write asks answered from interrupts, 4 KiB, 32 in flight',
          op: (offset: number) => actor.ref.ask({ type: 'write', offsetBytes: offset, data: block }),
        },
      ],
      read: [
        { name: 'raw fs: FileHandle.read, 4 KiB, 32 in flight', op: (offset: number) => raw.read(new Uint8Array(IO_BYTES), 0, IO_BYTES, offset) },
        { name: 'file device: read, 4 KiB, 32 in flight', op: (offset: number) => device.read(offset, IO_BYTES) },
        {
          name: 'device actor: read asks answered from interrupts, 4 KiB, 32 in flight',
          op: (offset: number) => actor.ref.ask({ type: 'read', offsetBytes: offset, lengthBytes: IO_BYTES }),
        },
      ],
    };
    for (const [kind, entries] of Object.entries(cases)) {
      const values = entries.map(() => [] as number[]);
      for (let rep = -1; rep < REPS; rep++) {
        // Each rep starts at another case: none always runs first.
        for (let index = 0; index < entries.length; index++) {
          const at = (index + rep + 1) % entries.length;
          const rate = await ioRate(entries[at]!.op);
          if (rep >= 0) values[at]!.push(rate);
        }
      }
      const [rawResult, deviceResult, actorResult] = entries.map((entry, index) => summary(entry.name, 'ops/s', values[index]!));
      for (const result of [rawResult!, deviceResult!, actorResult!]) emit(result);
      emitRatio({ name: `file device / raw fs, ${kind}s`, numerator: deviceResult!, denominator: rawResult!, goalKind: 'min' });
      emitRatio({ name: `device actor / raw fs, ${kind}s`, numerator: actorResult!, denominator: rawResult!, goalKind: 'min' });
    }
    await actor.close();
    await device.close();
    await raw.close();

    const data = new Uint8Array(CHECKSUM_BLOCK).map((_, index) => (index * 31) & 0xff);
    for (const [name, sum] of [
      ['fletcher4, 128 KiB blocks', fletcher4],
      ['sha256, 128 KiB blocks', sha256],
    ] as const) {
      const values: number[] = [];
      for (let rep = -1; rep < REPS; rep++) {
        const t0 = process.hrtime.bigint();
        for (let i = 0; i < CHECKSUM_BLOCKS; i++) sum(data);
        const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
        if (rep >= 0) values.push((CHECKSUM_BLOCKS * CHECKSUM_BLOCK) / seconds / 1e6);
      }
      emit(summary(name, 'MB/s', values));
    }
  } finally {
    await kernel.shutdown();
    rmSync(home, { recursive: true, force: true });
  }
}
