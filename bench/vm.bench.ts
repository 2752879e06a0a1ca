// Virtual memory (actors/vm): what a translated access costs next to a plain typed array, how fast
// pages fault in and mappings come and go, and handing 1 MiB to another CPU by moving its mapping
// against copying it through the ring and against postMessage with the buffer transferred.
//
// Cases:
// 1. reads of 32-bit words, summed, and writes, against the same loops over a plain Uint32Array (the limit):
//    - through a view: a Uint32Array over `memory.view` of a 2 MiB huge page (TLB hits, once);
//    - `memory.readU32`, TLB hits: 1 MiB of 4 KiB pages, 256 pages, all in the TLB;
//    - `memory.readU32`, TLB misses: one word per page over 16 MiB of 4 KiB pages (4 096 pages
//      through a 256-entry TLB: every access walks the tables);
//    - `memory.readU32`, huge pages: the same stride over 16 MiB of 2 MiB pages (misses too, and
//      a walk one level shorter).
// 2. page faults per second: first touches of 64 MiB of 4 KiB pages, and of 2 MiB pages (each
//    zeroed if reused); mmap + munmap per second, through the mapper directly and as asks to the
//    mapper actor of a booted kernel.
// 3. handing 1 MiB to an actor on worker CPU 1 and back, round trips: moving the mapping (mremap,
//    then an ask with the new address; the receiver reads its first and last byte), against copying
//    it through the ring in 32 KiB messages, and against postMessage to a bare worker with the
//    ArrayBuffer transferred there and back. And 16 buffers in flight: 16 mremaps and asks at a time
//    against postMessage of the 16 buffers transferred there and back in one message (reported:
//    one ask per buffer against one message for all 16).
// About 30 s.

import { CpuMemory, createPhysicalMemory } from '../actors/vm/cpu-memory.js';
import { hugePageBytes, pageBytes } from '../actors/vm/limits.js';
import { Mapper } from '../actors/vm/mapper.js';
import { virtualMemory } from '../actors/vm/subsystem.js';
import { configure, defaultSubsystems, Kernel } from '../boot/index.js';
import { emit, emitRatio, measureLatencyAsync, measureRate, measureRateAsync } from './harness.js';
import { startPostWorker } from './post-worker.js';
import { Receiver } from './vm-actors.js';

const REPS = 5;
const READS = 4_000_000;
const HANDOFF_BYTES = 1 << 20;
const CHUNK_BYTES = 32 << 10;
const HANDOFF_SAMPLES = 1_000;
/**
 * Hand-offs across threads warm up slowly: their median falls from 100–200 µs to its floor over the
 * first few thousand (the same each run, for the runtime's and for postMessage's), so each case
 * does that many untimed first: repetitions of HANDOFF_SAMPLES, and of 320 streamed buffers.
 */
const HANDOFF_WARMUP_REPS = 8;
const STREAM_WARMUP_REPS = 20;

let sink = 0;

function accessCases(): void {
  const memory = new CpuMemory(createPhysicalMemory(256 << 20, 1), 0);
  const mapper = new Mapper(memory.tables, memory.cache, memory.access);
  const access = memory.access;

  const plain = new Uint32Array(hugePageBytes / 4);
  const direct = measureRate({
    name: 'plain Uint32Array reads (2 MiB, sequential)',
    unit: 'reads/s',
    reps: REPS,
    run: () => {
      let sum = 0;
      for (let n = 0; n < READS; n += plain.length) for (let i = 0; i < plain.length; i++) sum = (sum + plain[i]!) | 0;
      sink ^= sum;
      return READS;
    },
  });

  const huge = mapper.map(hugePageBytes, { populate: true });
  const view = access.view(huge, hugePageBytes);
  const words = new Uint32Array(view.buffer, view.byteOffset, hugePageBytes / 4);
  const throughView = measureRate({
    name: 'VM reads through a view of a 2 MiB huge page (sequential)',
    unit: 'reads/s',
    reps: REPS,
    run: () => {
      let sum = 0;
      for (let n = 0; n < READS; n += words.length) for (let i = 0; i < words.length; i++) sum = (sum + words[i]!) | 0;
      sink ^= sum;
      return READS;
    },
  });

  const small = mapper.map(1 << 20, { populate: true, huge: false });
  const hits = measureRate({
    name: 'VM readU32, TLB hits (1 MiB of 4 KiB pages, sequential)',
    unit: 'reads/s',
    reps: REPS,
    run: () => {
      let sum = 0;
      for (let n = 0; n < READS; n += 1 << 18) for (let at = small; at < small + (1 << 20); at += 4) sum = (sum + access.readU32(at)) | 0;
      sink ^= sum;
      return READS;
    },
  });

  const viewWrites = measureRate({
    name: 'VM writes through a view of a 2 MiB huge page (sequential)',
    unit: 'writes/s',
    reps: REPS,
    run: () => {
      for (let n = 0; n < READS; n += words.length) for (let i = 0; i < words.length; i++) words[i] = i;
      return READS;
    },
  });
  const plainWrites = measureRate({
    name: 'plain Uint32Array writes (2 MiB, sequential)',
    unit: 'writes/s',
    reps: REPS,
    run: () => {
      for (let n = 0; n < READS; n += plain.length) for (let i = 0; i < plain.length; i++) plain[i] = i;
      return READS;
    },
  });
  const writeHits = measureRate({
    name: 'VM writeU32, TLB hits (1 MiB of 4 KiB pages, sequential)',
    unit: 'writes/s',
    reps: REPS,
    run: () => {
      for (let n = 0; n < READS; n += 1 << 18) for (let at = small; at < small + (1 << 20); at += 4) access.writeU32(at, at);
      return READS;
    },
  });

  const strided = (name: string, address: number, bytes: number) =>
    measureRate({
      name,
      unit: 'reads/s',
      reps: REPS,
      run: () => {
        let sum = 0;
        const reads = READS / 8;
        for (let n = 0; n < reads; n += bytes / pageBytes) for (let at = address; at < address + bytes; at += pageBytes) sum = (sum + access.readU32(at)) | 0;
        sink ^= sum;
        return reads;
      },
    });
  const misses = strided('VM readU32, TLB misses (one word per 4 KiB page over 16 MiB)', mapper.map(16 << 20, { populate: true, huge: false }), 16 << 20);
  const hugeMisses = strided('VM readU32, huge pages (one word per 4 KiB over 16 MiB of 2 MiB pages)', mapper.map(16 << 20, { populate: true }), 16 << 20);

  for (const result of [direct, throughView, hits, misses, hugeMisses, plainWrites, viewWrites, writeHits]) emit(result);
  emitRatio({ name: 'VM view writes / plain typed array', numerator: viewWrites, denominator: plainWrites, goal: 0.5, goalKind: 'min' });
  emitRatio({ name: 'VM writeU32 TLB hit / plain typed array', numerator: writeHits, denominator: plainWrites, goalKind: 'min' });
  emitRatio({ name: 'VM view reads / plain typed array (TLB hits through views)', numerator: throughView, denominator: direct, goal: 0.5, goalKind: 'min' });
  emitRatio({ name: 'VM readU32 TLB hit / plain typed array', numerator: hits, denominator: direct, goalKind: 'min' });
  emitRatio({ name: 'VM readU32 TLB miss / plain typed array', numerator: misses, denominator: direct, goalKind: 'min' });
  emitRatio({ name: 'VM readU32 huge page / plain typed array', numerator: hugeMisses, denominator: direct, goalKind: 'min' });

  const faultBytes = 64 << 20;
  const faults = (name: string, huge: boolean) =>
    measureRate({
      name,
      unit: 'faults/s',
      reps: REPS,
      run: () => {
        const address = mapper.map(faultBytes, { huge });
        const step = huge ? hugePageBytes : pageBytes;
        for (let at = address; at < address + faultBytes; at += step) access.writeU8(at, 1);
        mapper.unmap(address, faultBytes);
        mapper.release(mapper.generation);
        return faultBytes / step;
      },
    });
  emit(faults('page faults, 4 KiB pages (first write; frame zeroed if reused)', false));
  emit(faults('page faults, 2 MiB pages (first write; 2 MiB zeroed if reused)', true));
  emit(
    measureRate({
      name: 'mmap + munmap of 64 KiB, through the mapper',
      unit: 'pairs/s',
      reps: REPS,
      run: () => {
        for (let i = 0; i < 20_000; i++) mapper.unmap(mapper.map(64 << 10), 64 << 10);
        mapper.release(mapper.generation);
        return 20_000;
      },
    }),
  );
  sink ^= view[0]!;
}

async function kernelCases(): Promise<void> {
  const kernel = await Kernel.boot({
    cpus: 2,
    modules: [new URL('./vm-actors.js', import.meta.url)],
    subsystems: [...defaultSubsystems, configure(virtualMemory, { physicalBytes: 256 << 20 })],
  });
  const post = await startPostWorker();
  try {
    const vm = kernel.subsystem(virtualMemory);
    emit(
      await measureRateAsync({
        name: 'mmap + munmap of 64 KiB, asks to the mapper actor (2-CPU kernel)',
        unit: 'pairs/s',
        reps: REPS,
        run: async () => {
          for (let i = 0; i < 5_000; i++) await vm.munmap(await vm.mmap(64 << 10), 64 << 10);
          return 5_000;
        },
      }),
    );

    const receiver = await kernel.spawned(kernel.spawn(Receiver, { cpu: 1 }));
    let address = await vm.mmap(HANDOFF_BYTES, { populate: true });
    vm.memory.writeU8(address, 1);
    vm.memory.writeU8(address + HANDOFF_BYTES - 1, 2);
    const remap = await measureLatencyAsync({
      name: 'hand 1 MiB to cpu 1 and back: move the mapping (mremap + ask)',
      samples: HANDOFF_SAMPLES,
      reps: REPS,
      warmup: HANDOFF_WARMUP_REPS,
      sample: async () => {
        address = await vm.mremap(address, HANDOFF_BYTES);
        if ((await receiver.ask({ type: 'take', address, length: HANDOFF_BYTES })) !== 3) throw new Error('the receiver read the wrong bytes');
      },
    });

    const source = new Uint8Array(HANDOFF_BYTES);
    source[0] = 1;
    source[HANDOFF_BYTES - 1] = 2;
    const copy = await measureLatencyAsync({
      name: 'hand 1 MiB to cpu 1 and back: copy through the ring (32 KiB messages)',
      samples: HANDOFF_SAMPLES / 10,
      reps: REPS,
      sample: async () => {
        for (let at = 0; at < HANDOFF_BYTES - CHUNK_BYTES; at += CHUNK_BYTES) receiver.tell({ type: 'chunk', bytes: source.subarray(at, at + CHUNK_BYTES) });
        if ((await receiver.ask({ type: 'last-chunk', bytes: source.subarray(HANDOFF_BYTES - CHUNK_BYTES) })) !== 3)
          throw new Error('the receiver read the wrong bytes');
      },
    });

    let buffer = new ArrayBuffer(HANDOFF_BYTES);
    new Uint8Array(buffer)[0] = 1;
    new Uint8Array(buffer)[HANDOFF_BYTES - 1] = 2;
    const transfer = await measureLatencyAsync({
      name: 'hand 1 MiB to a bare worker and back: postMessage, buffer transferred',
      samples: HANDOFF_SAMPLES,
      reps: REPS,
      warmup: HANDOFF_WARMUP_REPS,
      sample: async () => {
        const answer = post.reply() as Promise<{ buffer: ArrayBuffer; sum: number }>;
        post.worker.postMessage({ type: 'buffer', buffer }, [buffer]);
        const back = await answer;
        if (back.sum !== 3) throw new Error('the worker read the wrong bytes');
        buffer = back.buffer;
      },
    });
    // Streamed: 16 buffers of 1 MiB in flight, handed over and back, as a pipeline would.
    const inFlight = 16;
    const addresses = await Promise.all(Array.from({ length: inFlight }, () => vm.mmap(HANDOFF_BYTES, { populate: true })));
    for (const at of addresses) {
      vm.memory.writeU8(at, 1);
      vm.memory.writeU8(at + HANDOFF_BYTES - 1, 2);
    }
    const remapStream = await measureRateAsync({
      name: 'hand 1 MiB buffers to cpu 1 and back, 16 in flight: move the mapping (mremap + ask)',
      unit: 'buffers/s',
      reps: REPS,
      warmup: STREAM_WARMUP_REPS,
      run: async () => {
        for (let round = 0; round < 20; round++) {
          const moved = await Promise.all(addresses.map((at) => vm.mremap(at, HANDOFF_BYTES)));
          addresses.splice(0, inFlight, ...moved);
          // Each answer says the receiver is done with its buffer: the next round may move it again.
          const sums = await Promise.all(moved.map((at) => receiver.ask({ type: 'take', address: at, length: HANDOFF_BYTES })));
          if (sums.some((sum) => sum !== 3)) throw new Error('the receiver read the wrong bytes');
        }
        return 20 * inFlight;
      },
    });
    let buffers = Array.from({ length: inFlight }, () => {
      const fresh = new ArrayBuffer(HANDOFF_BYTES);
      new Uint8Array(fresh)[0] = 1;
      new Uint8Array(fresh)[HANDOFF_BYTES - 1] = 2;
      return fresh;
    });
    const transferStream = await measureRateAsync({
      name: 'hand 1 MiB buffers to a bare worker, 16 in flight: postMessage, buffers transferred there and back',
      unit: 'buffers/s',
      reps: REPS,
      warmup: STREAM_WARMUP_REPS,
      run: async () => {
        for (let round = 0; round < 20; round++) {
          const answer = post.reply() as Promise<{ buffers: ArrayBuffer[]; sum: number }>;
          post.worker.postMessage({ type: 'buffers', buffers }, buffers);
          const back = await answer;
          if (back.sum !== 3 * inFlight) throw new Error('the worker read the wrong bytes');
          buffers = back.buffers;
        }
        return 20 * inFlight;
      },
    });
    for (const result of [remap, copy, transfer, remapStream, transferStream]) emit(result);
    emitRatio({
      name: 'hand-off 1 MiB, 16 in flight: move the mapping / postMessage transfer',
      numerator: remapStream,
      denominator: transferStream,
      goalKind: 'min',
    });
    emitRatio({ name: 'hand-off 1 MiB: copy through the ring / move the mapping', numerator: copy, denominator: remap, goal: 1, goalKind: 'min' });
    emitRatio({ name: 'hand-off 1 MiB: postMessage transfer / move the mapping', numerator: transfer, denominator: remap, goal: 1, goalKind: 'min' });
  } finally {
    await post.worker.terminate();
    await kernel.shutdown();
  }
}

export async function run(): Promise<void> {
  accessCases();
  await kernelCases();
  if (sink === 0.5) console.log(sink);
}
