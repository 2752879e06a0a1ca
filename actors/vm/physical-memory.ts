/**
 * Physical memory: the frames every CPU shares, and the control words beside them. Two buffers
 * travel to every CPU in the VM subsystem's options (SharedArrayBuffers when the CPUs are threads,
 * see `allocatePhysicalMemory`); each CPU maps typed views over them. Nothing here is per thread:
 * what one CPU writes, the others read without messaging.
 *
 * The control buffer, in 32-bit words:
 * ```
 * 0                 allocator lock (0 free, 1 held)
 * 1                 generation: bumped by every change that takes a translation away (TLB shootdown)
 * 2                 free frames in the allocator's lists
 * 3                 frame of the root page table (level 3)
 * 4                 frames in physical memory
 * 5                 pressure flag: 1 while the reclaimer has been woken and not yet looked
 * 6 .. 6+19         head of the free list of each order (a frame, or -1)
 * counters          faults by page size, faults that lost the race to another CPU, segmentation
 *                   faults, tables allocated, shootdowns, splits
 * per CPU           the generation it last acknowledged; its frame cache (a count and 64 frames)
 * per frame         next and prev in a free list, and a tag (order + 1 when it heads a free block)
 * per frame, bytes  touched: whether the frame was ever handed out (and so may hold old data)
 * ```
 *
 * @example
 * ```ts
 * const buffers = allocatePhysicalMemory(64 << 20, 2); // plain data: send it to every CPU
 * const memory = new PhysicalMemory(buffers);          // on each CPU
 * memory.bytes[0];                                     // frame 0's first byte
 * ```
 */
import { assert, invariantBroken } from '../../ground/assert.js';
import { markRewritable } from '../../ground/rewritable-memory.js';
import { VmArgumentError } from './errors.js';
import { frameCacheFramesMax, frameOrdersCount, pageBytes, physicalBytesMax, physicalBytesMin } from './limits.js';

/**
 * What every CPU maps: plain data that postMessage shares, not copies, when the buffers are
 * SharedArrayBuffers; CPUs that all run on one thread share plain ArrayBuffers.
 */
export interface PhysicalMemoryBuffers {
  readonly data: SharedArrayBuffer | ArrayBuffer;
  readonly control: SharedArrayBuffer | ArrayBuffer;
  readonly cpus: number;
}

export const lockWord = 0;
export const generationWord = 1;
export const freeFramesWord = 2;
export const rootTableWord = 3;
export const framesCountWord = 4;
export const pressureFlagWord = 5;
export const freeHeadsWord = 6;
const countersWord = freeHeadsWord + frameOrdersCount;

/** The shared counters, by name: each a word of the control buffer. */
export const counterNames = ['faults4k', 'faults2m', 'faults1g', 'faultRacesLost', 'segfaults', 'tablesAllocated', 'shootdowns', 'splits'] as const;
export type CounterName = (typeof counterNames)[number];
const perCpuWord = countersWord + counterNames.length;
/** Words of one CPU's area: its acknowledged generation, its cache's count, then the cached frames. */
const perCpuWords = 2 + frameCacheFramesMax;
const frameMetaWords = 3;

/**
 * Allocates the buffers of `bytes` of physical memory for `cpus` CPUs, and lays out its free lists.
 * `shared`: SharedArrayBuffers, for CPUs on threads of their own; false: ArrayBuffers, for CPUs that
 * all run on one thread, which V8 collects as they add up (see `Subsystem.prepare`).
 * Throws VmArgumentError for a size that is not whole huge pages within the bounds.
 */
export function allocatePhysicalMemory(bytes: number, cpus: number, shared = true): PhysicalMemoryBuffers {
  if (!Number.isInteger(bytes) || bytes < physicalBytesMin || bytes > physicalBytesMax || bytes % pageBytes !== 0) {
    throw new VmArgumentError(`physical memory must be a whole number of 4 KiB frames within ${physicalBytesMin}..${physicalBytesMax} bytes, got ${bytes}`);
  }
  assert(Number.isInteger(cpus) && cpus >= 1, 'a VM serves at least one CPU');
  const frames = bytes / pageBytes;
  const controlWords = perCpuWord + cpus * perCpuWords + frames * frameMetaWords;
  const controlBytes = controlWords * 4 + frames;
  const buffers = shared
    ? { data: new SharedArrayBuffer(bytes), control: new SharedArrayBuffer(controlBytes), cpus }
    : { data: new ArrayBuffer(bytes), control: new ArrayBuffer(controlBytes), cpus };
  // Its frames are handed out again: a driver that keeps a view of them past its call copies it.
  markRewritable(buffers.data);
  const words = new Int32Array(buffers.control, 0, controlWords);
  words[framesCountWord] = frames;
  words[rootTableWord] = -1;
  words.fill(-1, freeHeadsWord, freeHeadsWord + frameOrdersCount);
  return buffers;
}

/** A CPU's views of physical memory. */
export class PhysicalMemory {
  /** All of physical memory, byte by byte. */
  readonly bytes: Uint8Array;
  /** The control words (layout in the module doc). */
  readonly words: Int32Array;
  /** Per frame: was it ever handed out (1), or is it still as the buffer was born, zero (0). */
  readonly touched: Uint8Array;
  readonly framesCount: number;
  readonly cpus: number;

  constructor(readonly buffers: PhysicalMemoryBuffers) {
    this.bytes = new Uint8Array(buffers.data);
    this.framesCount = buffers.data.byteLength / pageBytes;
    this.cpus = buffers.cpus;
    const controlWords = perCpuWord + this.cpus * perCpuWords + this.framesCount * frameMetaWords;
    assert(buffers.control.byteLength === controlWords * 4 + this.framesCount, 'the control buffer fits the layout of its physical memory');
    this.words = new Int32Array(buffers.control, 0, controlWords);
    this.touched = new Uint8Array(buffers.control, controlWords * 4, this.framesCount);
    assert(this.words[framesCountWord] === this.framesCount, 'the control buffer belongs to this memory');
  }

  /** The byte address of frame `frame`. */
  frameAddress(frame: number): number {
    return frame * pageBytes;
  }

  /** Word of frame `frame`'s metadata field `field` (0 next, 1 prev, 2 tag). */
  metaWord(frame: number, field: 0 | 1 | 2): number {
    return perCpuWord + this.cpus * perCpuWords + frame * frameMetaWords + field;
  }

  /** First word of CPU `cpu`'s area. */
  cpuWord(cpu: number): number {
    if (!(cpu >= 0 && cpu < this.cpus)) invariantBroken(`cpu ${cpu} is not one of the VM's ${this.cpus}`);
    return perCpuWord + cpu * perCpuWords;
  }

  /** Word of the count of CPU `cpu`'s frame cache, after its acknowledged generation; the frames follow it. */
  frameCacheWord(cpu: number): number {
    return this.cpuWord(cpu) + 1;
  }

  /** Adds `n` to a shared counter. */
  count(name: CounterName, n = 1): void {
    Atomics.add(this.words, countersWord + counterNames.indexOf(name), n);
  }

  /** The shared counters, read now. */
  counters(): Record<CounterName, number> {
    return Object.fromEntries(counterNames.map((name, index) => [name, Atomics.load(this.words, countersWord + index)])) as Record<CounterName, number>;
  }

  /** The current generation of translations (see address-space.ts). */
  generation(): number {
    return Atomics.load(this.words, generationWord);
  }
}
