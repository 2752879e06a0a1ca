import { assert } from '../../ground/assert.js';
import { makePid, nextGeneration, pidSlot, slotsPerCpuMax, type Pid } from '../../ground/pid.js';

/** Slots a table starts with; it doubles as more are handed out. */
const slotsInitial = 64;

/**
 * The slot table of one CPU: slot → live actor, with a generation per slot so that a pid names one
 * actor forever (see pid.ts). Freed slots are reused last-in first-out to keep the table dense.
 * Both arrays grow by doubling, done here rather than by `push`: pushing one slot at a time cost
 * about 100 ns a push on this machine, a sixth of a spawn.
 */
export class SlotTable<T> {
  private entries: (T | undefined)[];
  private generations: Uint32Array;
  /** Slots handed out at least once: 1 .. used − 1 (slot 0 is never handed out, so no pid is 0). */
  private used = 1;
  private readonly free: number[] = [];
  /** Live entries. */
  size = 0;

  /**
   * `firstGeneration` is where every slot's generation starts: a CPU restarted after a crash starts
   * past its previous incarnation's, so refs to the dead actors never reach new ones.
   */
  constructor(
    readonly cpu: number,
    private readonly firstGeneration = 0,
  ) {
    assert(Number.isInteger(firstGeneration) && firstGeneration >= 0, 'firstGeneration must be a non-negative integer');
    this.entries = new Array<T | undefined>(slotsInitial).fill(undefined);
    this.generations = new Uint32Array(slotsInitial).fill(firstGeneration);
  }

  /** Reserves a slot and returns the pid it will carry. */
  allocate(): Pid {
    let slot: number;
    if (this.free.length > 0) {
      slot = this.free.pop()!;
    } else {
      slot = this.used++;
      assert(slot < slotsPerCpuMax, () => `more than ${slotsPerCpuMax} live actors on one CPU`);
      if (slot === this.entries.length) this.grow();
    }
    this.size++;
    return makePid(this.cpu, slot, this.generations[slot]!);
  }

  set(pid: Pid, value: T): void {
    this.entries[pidSlot(pid)] = value;
  }

  /** The live entry for exactly this pid (same slot and generation), else undefined. */
  get(pid: Pid, pidOf: (value: T) => Pid): T | undefined {
    const slot = pidSlot(pid);
    if (slot >= this.used) return undefined;
    const entry = this.entries[slot];
    return entry !== undefined && pidOf(entry) === pid ? entry : undefined;
  }

  /** Frees the slot of `pid` and bumps its generation, so the old pid never resolves again. */
  release(pid: Pid): void {
    const slot = pidSlot(pid);
    assert(slot > 0 && slot < this.used, () => `release of unknown slot ${slot}`);
    this.entries[slot] = undefined;
    this.generations[slot] = nextGeneration(this.generations[slot]!);
    this.free.push(slot);
    this.size--;
  }

  private grow(): void {
    const length = Math.min(this.entries.length * 2, slotsPerCpuMax);
    const entries = new Array<T | undefined>(length).fill(undefined);
    for (let slot = 0; slot < this.entries.length; slot++) entries[slot] = this.entries[slot];
    const generations = new Uint32Array(length).fill(this.firstGeneration);
    generations.set(this.generations);
    this.entries = entries;
    this.generations = generations;
  }
}
