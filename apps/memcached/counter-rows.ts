/**
 * The command counters of a memcached server on several CPUs: a row per CPU in the VM's shared
 * memory, and a baseline row that `stats reset` writes. Each CPU writes only its own row and
 * `stats` on any CPU sums them all, as memcached sums its threads' stats; a sum read while another
 * CPU counts may miss that one count, as memcached's may.
 *
 * Each row is read through a view held for the server's life, not for one turn as the VM's views
 * usually are: the rows are mapped here, populated, and never unmapped while the kernel runs, so no
 * CPU can see a row's frame change under it.
 *
 * @example
 * ```ts
 * const address = await mapCounterRows(vm, cpus);            // on CPU 0
 * const counters = countersAt(vm.memory, address, cpus, cpu); // on each CPU
 * counters.cmd_get++;
 * ```
 */
import { assert } from '../../ground/assert.js';
import { pageBytes } from '../../actors/vm/limits.js';
import type { MemoryAccess } from '../../actors/vm/memory-access.js';
import type { VirtualMemory } from '../../actors/vm/virtual-memory.js';
import { CommandCounters, counterRowLength } from './stats.js';
import { cpusMax } from '../../ground/pid.js';

/** Bytes a row takes: a power of two, so that rows tile a page and none straddles two. */
const rowBytes = 2 ** Math.ceil(Math.log2(counterRowLength * Float64Array.BYTES_PER_ELEMENT));
assert(rowBytes <= pageBytes, 'a row fits in a page, whose bytes are one frame');

/** Bytes of the rows of `cpus` CPUs and the baseline row, in whole pages. */
function rowsBytes(cpus: number): number {
  return Math.ceil(((cpus + 1) * rowBytes) / pageBytes) * pageBytes;
}

/** Maps the rows for `cpus` CPUs, zeroed; resolves with their address. */
export async function mapCounterRows(vm: VirtualMemory, cpus: number): Promise<number> {
  assert(Number.isInteger(cpus) && cpus >= 1 && cpus <= cpusMax, 'a row per CPU');
  return vm.mmap(rowsBytes(cpus), { protection: 'read-write', populate: true, huge: false });
}

/** The counters of CPU `cpu` over the rows at `address`, through this CPU's `memory`. */
export function countersAt(memory: MemoryAccess, address: number, cpus: number, cpu: number): CommandCounters {
  const rows = Array.from({ length: cpus + 1 }, (_, row) => {
    const bytes = memory.view(address + row * rowBytes, counterRowLength * Float64Array.BYTES_PER_ELEMENT, true);
    return new Float64Array(bytes.buffer, bytes.byteOffset, counterRowLength);
  });
  return new CommandCounters(rows, cpu);
}
