import { assert, invariantBroken } from './assert.js';

/**
 * A process id: one number that names an actor, the CPU it lives on and the generation of its slot.
 *
 * Layout (all in one safe integer): `generation · 2^32 + cpu · 2^24 + slot`. When an actor stops its
 * slot is reused by a later actor with the next generation, so a stale pid never reaches the new
 * actor: lookups compare the whole pid, not only the slot. Slot 0 is never handed out, so 0 is never
 * a pid and stands for "no actor" (a message sent from outside any actor).
 *
 * A slot's first actor has generation 0, so its pid is below 2^29: a small integer, which V8 keeps
 * inline, where a larger pid is a 16-byte heap number per actor, made again wherever it is copied
 * into a field that does not hold doubles. Most actors in a system that does not churn are first.
 */
export type Pid = number;

export const noPid: Pid = 0;

const slotSpace = 2 ** 24;
const cpuSpace = 2 ** 8;
const indexSpace = 2 ** 32;
const generationSpace = 2 ** 21;

/** Slots one CPU can hold at once. */
export const slotsPerCpuMax = slotSpace;
/**
 * CPUs one kernel runs. Why 32: each CPU's pending mask (OSv's incoming-wakeups mask) is one Int32
 * word with a bit per source CPU, so a store or a swap covers every source at once.
 */
export const cpusMax = 32;

// A pid must be able to name every CPU.
assert(cpusMax <= cpuSpace, 'cpusMax must fit the cpu field of a pid');
assert(cpusMax <= 32, 'a set of CPUs is one int32 with a bit per CPU (cpuBit)');

/** CPU `cpu`'s bit in a set of CPUs held as one int32. */
export function cpuBit(cpu: number): number {
  return 1 << cpu;
}

export function makePid(cpu: number, slot: number, generation: number): Pid {
  if (!(cpu >= 0 && cpu < cpuSpace)) invariantBroken(`cpu ${cpu} out of range`);
  if (!(slot >= 0 && slot < slotSpace)) invariantBroken(`slot ${slot} out of range`);
  if (!(generation >= 0 && generation < generationSpace)) invariantBroken(`generation ${generation} out of range`);
  return generation * indexSpace + cpu * slotSpace + slot;
}

export function pidSlot(pid: Pid): number {
  return pid % slotSpace;
}

export function pidCpu(pid: Pid): number {
  return Math.floor((pid % indexSpace) / slotSpace);
}

export function pidGeneration(pid: Pid): number {
  return Math.floor(pid / indexSpace);
}

/** The next generation for a slot, wrapping before it leaves the safe-integer range. */
export function nextGeneration(generation: number): number {
  return generation + 1 < generationSpace ? generation + 1 : 1;
}

/** The pid `formatPid` printed as `text`, or undefined when `text` is not one. */
export function parsePid(text: string): Pid | undefined {
  const match = /^<(\d+)\.(\d+)\.(\d+)>$/.exec(text);
  if (match === null) return undefined;
  const [cpu, slot, generation] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return cpu < cpuSpace && slot >= 1 && slot < slotSpace && generation < generationSpace ? makePid(cpu, slot, generation) : undefined;
}

/** `<cpu.slot.generation>`, the way Erlang prints pids. */
export function formatPid(pid: Pid): string {
  return `<${pidCpu(pid)}.${pidSlot(pid)}.${pidGeneration(pid)}>`;
}
