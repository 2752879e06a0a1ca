import { assert, invariantBroken } from '../../ground/assert.js';
import { makePid, nextGeneration, pidSlot, slotsPerCpuMax, type Pid } from '../../ground/pid.js';

/** Slots per page (a power of two): the table grows a page at a time, never copying what it holds. */
const pageShift = 8;
const pageSlots = 1 << pageShift;
const pageMask = pageSlots - 1;

/**
 * The slot table of one CPU: slot → live actor, with a generation per slot so that a pid names one
 * actor forever (see pid.ts). Freed slots are reused last-in first-out to keep the table dense.
 * It grows a page of 256 slots at a time: doubling one array copied every slot at each growth, and
 * the copies, large arrays the collector moves, were a tenth of the time of 200 000 spawns.
 */
export class SlotTable<T> {
  private readonly entries: (T | undefined)[][] = [];
  private readonly generations: Uint32Array[] = [];
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
    this.addPage();
  }

  /** Reserves a slot and returns the pid it will carry. */
  allocate(): Pid {
    let slot: number;
    if (this.free.length > 0) {
      slot = this.free.pop()!;
    } else {
      slot = this.used++;
      if (!(slot < slotsPerCpuMax)) invariantBroken(`more than ${slotsPerCpuMax} live actors on one CPU`);
      if (slot >>> pageShift === this.entries.length) this.addPage();
    }
    this.size++;
    return makePid(this.cpu, slot, this.generations[slot >>> pageShift]![slot & pageMask]!);
  }

  set(pid: Pid, value: T): void {
    const slot = pidSlot(pid);
    this.entries[slot >>> pageShift]![slot & pageMask] = value;
  }

  /** The live entry for exactly this pid (same slot and generation), else undefined. */
  get(pid: Pid, pidOf: (value: T) => Pid): T | undefined {
    const slot = pidSlot(pid);
    if (slot >= this.used) return undefined;
    const entry = this.entries[slot >>> pageShift]![slot & pageMask];
    return entry !== undefined && pidOf(entry) === pid ? entry : undefined;
  }

  /** Frees the slot of `pid` and bumps its generation, so the old pid never resolves again. */
  release(pid: Pid): void {
    const slot = pidSlot(pid);
    if (!(slot > 0 && slot < this.used)) invariantBroken(`release of unknown slot ${slot}`);
    const page = slot >>> pageShift;
    const at = slot & pageMask;
    this.entries[page]![at] = undefined;
    this.generations[page]![at] = nextGeneration(this.generations[page]![at]!);
    this.free.push(slot);
    this.size--;
  }

  private addPage(): void {
    this.entries.push(new Array<T | undefined>(pageSlots).fill(undefined));
    this.generations.push(new Uint32Array(pageSlots).fill(this.firstGeneration));
  }
}
