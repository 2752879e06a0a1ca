/**
 * The shared memory of a multi-CPU kernel: one SPSC ring per (source, target) pair of CPUs and one
 * doorbell per CPU, as in OSv's incoming-wakeups design. It is plain data (buffers and numbers), so
 * the host posts it to each worker as it is; each thread maps its own views with `CpuPort`.
 */
import { invariantBroken } from '../../ground/assert.js';
import { SpscRing } from '../ring/spsc-ring.js';
import { Doorbell } from './doorbell.js';
import { cpusMax } from '../../ground/pid.js';

export interface InterconnectMemory {
  readonly cpus: number;
  /** `rings[source * cpus + target]`, null on the diagonal. */
  readonly rings: (ArrayBufferLike | null)[];
  /** `doorbells[cpu]`. */
  readonly doorbells: ArrayBufferLike[];
  /** One Int32 per CPU: its runnable actors, published for the load balancers (see FairDispatcher.loads). */
  readonly loads: ArrayBufferLike;
  /**
   * One Int32 per CPU: how many times it has died (its worker exited), counted by the host. Shared
   * memory, so a CPU in the middle of a long turn that sends to it learns of its death at once, not
   * when the host's message is taken after the turn; a count rather than a flag, because the host may
   * have restarted the CPU on fresh rings before the sender looks (see CpuPort.peerDown).
   */
  readonly deaths: ArrayBufferLike;
}

/**
 * Allocates the rings and doorbells of `cpus` CPUs: SharedArrayBuffers for worker threads, plain
 * ArrayBuffers for simulated CPUs that share one thread.
 *
 * @example
 * ```ts
 * const memory = createInterconnect(4, 256 * 1024, true);
 * new Worker(url, { workerData: { cpu: 1, memory } });
 * ```
 */
export function createInterconnect(cpus: number, ringBytes: number, shared: boolean): InterconnectMemory {
  if (!(Number.isInteger(cpus) && cpus >= 1 && cpus <= cpusMax)) invariantBroken(`cpus must be an integer within 1..${cpusMax}, got ${cpus}`);
  const rings: (ArrayBufferLike | null)[] = [];
  for (let source = 0; source < cpus; source++) {
    for (let target = 0; target < cpus; target++) rings.push(source === target ? null : SpscRing.create(ringBytes, { shared }).buffer);
  }
  const doorbells = Array.from({ length: cpus }, () => Doorbell.allocate(shared).buffer);
  const loads = shared ? new SharedArrayBuffer(4 * cpus) : new ArrayBuffer(4 * cpus);
  const deaths = shared ? new SharedArrayBuffer(4 * cpus) : new ArrayBuffer(4 * cpus);
  return { cpus, rings, doorbells, loads, deaths };
}

/** Counts a death of `cpu` where every CPU reads it (see `InterconnectMemory.deaths`). */
export function recordCpuDeath(memory: InterconnectMemory, cpu: number): void {
  Atomics.add(new Int32Array(memory.deaths), cpu, 1);
}

/** The ring buffer from `source` to `target`. */
export function ringBetween(memory: InterconnectMemory, source: number, target: number): ArrayBufferLike {
  const buffer = memory.rings[source * memory.cpus + target];
  if (!(buffer != null)) invariantBroken(`no ring from cpu ${source} to cpu ${target}`);
  return buffer;
}

/**
 * Fresh rings for every pair that involves `cpu`, for a restarted CPU: frames left in the old rings
 * were for actors that died with it, and a dead producer may have left a frame half written.
 */
export function replaceRingsOf(memory: InterconnectMemory, cpu: number, ringBytes: number): void {
  const shared = memory.doorbells[0] instanceof SharedArrayBuffer;
  for (let other = 0; other < memory.cpus; other++) {
    if (other === cpu) continue;
    memory.rings[cpu * memory.cpus + other] = SpscRing.create(ringBytes, { shared }).buffer;
    memory.rings[other * memory.cpus + cpu] = SpscRing.create(ringBytes, { shared }).buffer;
  }
}
