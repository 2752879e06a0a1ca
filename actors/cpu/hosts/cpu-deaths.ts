/**
 * A CPU's death and its restart, as a host tells them to the CPUs that live: the same steps on
 * worker threads (a worker that exited) and on simulated CPUs (an injected crash). Each host only
 * says how it reaches a live CPU (its routing core in this thread, or a message to its worker).
 *
 * @example
 * ```ts
 * announceCpuDown(memory, 2, 'its worker exited with code 3', [first.node, ...workersAsLiveCpus]);
 * // … later, before the new incarnation boots:
 * announceCpuRestart(memory, 2, ringBytes, [first.node, ...workersAsLiveCpus]);
 * bootCpu({ cpu: 2, memory, catalog, firstGeneration: firstGenerationOf(1), incarnation: 1 });
 * ```
 */
import { type InterconnectMemory, recordCpuDeath, replaceRingsOf } from '../interconnect.js';

/** Pid generations each restart of a CPU skips, so refs to its dead actors never resolve again. */
const generationsPerIncarnation = 4_096;
const generationSpan = 2 ** 21 - generationsPerIncarnation;

/** What a CPU that lives is told of another's death and restart (CpuNode implements it). */
export interface LiveCpu {
  /** CPU `cpu` died: asks on its actors fail, what waited for it is a dead letter (see CpuNode.cpuDown). */
  cpuDown(cpu: number, why: string): void;
  /** CPU `cpu` is back on fresh rings: map them, and respawn what was placed there (see CpuNode.cpuUp). */
  cpuUp(cpu: number): void;
}

/** Where the pid generations of incarnation `incarnation` of a CPU start (0: its first boot). */
export function firstGenerationOf(incarnation: number): number {
  return (incarnation * generationsPerIncarnation) % generationSpan;
}

/**
 * CPU `cpu` died: count it in shared memory first (a CPU in the middle of a turn reads that at once,
 * see CpuPort.peerDown), then tell each live CPU, in CPU order.
 */
export function announceCpuDown(memory: InterconnectMemory, cpu: number, why: string, live: Iterable<LiveCpu>): void {
  recordCpuDeath(memory, cpu);
  for (const other of live) other.cpuDown(cpu, why);
}

/**
 * CPU `cpu` is about to boot again: fresh rings for every pair it is in (a dead producer may have
 * left a frame half written), a doorbell with nothing pending, and each live CPU maps them at once.
 */
export function announceCpuRestart(memory: InterconnectMemory, cpu: number, ringBytes: number, live: Iterable<LiveCpu>): void {
  replaceRingsOf(memory, cpu, ringBytes);
  new Int32Array(memory.doorbells[cpu]!).fill(0);
  for (const other of live) other.cpuUp(cpu);
}
