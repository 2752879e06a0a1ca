import { assert } from '../../ground/assert.js';
import { makePid, nextGeneration, pidSlot, slotsPerCpuMax, type Pid } from '../../ground/pid.js';

/**
 * The slot table of one CPU: slot → live actor, with a generation per slot so that a pid names one
 * actor forever (see pid.ts). Freed slots are reused last-in first-out to keep the table dense.
 */
export class SlotTable<T> {
  private readonly entries: (T | undefined)[] = [undefined];
  private readonly generations: number[];
  private readonly free: number[] = [];
  /** Live entries. */
  size = 0;

  /**
   * `firstGeneration` is where every slot's generation starts: a CPU restarted after a crash starts
   * past its previous incarnation's, so refs to the dead actors never reach new ones.
   */
  constructor(
    readonly cpu: number,
    private readonly firstGeneration = 1,
  ) {
    // Slot 0 is never handed out, so no pid is 0 (0 means "no actor").
    assert(Number.isInteger(firstGeneration) && firstGeneration >= 1, 'firstGeneration must be a positive integer');
    this.generations = [firstGeneration];
  }

  /** Reserves a slot and returns the pid it will carry. */
  allocate(): Pid {
    let slot = this.free.pop();
    if (slot === undefined) {
      slot = this.entries.length;
      assert(slot < slotsPerCpuMax, () => `more than ${slotsPerCpuMax} live actors on one CPU`);
      this.entries.push(undefined);
      this.generations.push(this.firstGeneration);
    }
    this.size++;
    return makePid(this.cpu, slot, this.generations[slot]!);
  }

  set(pid: Pid, value: T): void {
    this.entries[pidSlot(pid)] = value;
  }

  /** The live entry for exactly this pid (same slot and generation), else undefined. */
  get(pid: Pid, pidOf: (value: T) => Pid): T | undefined {
    const entry = this.entries[pidSlot(pid)];
    return entry !== undefined && pidOf(entry) === pid ? entry : undefined;
  }

  /** Frees the slot of `pid` and bumps its generation, so the old pid never resolves again. */
  release(pid: Pid): void {
    const slot = pidSlot(pid);
    assert(slot > 0 && slot < this.entries.length, () => `release of unknown slot ${slot}`);
    this.entries[slot] = undefined;
    this.generations[slot] = nextGeneration(this.generations[slot]!);
    this.free.push(slot);
    this.size--;
  }
}
