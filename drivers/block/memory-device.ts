/**
 * A block device in memory with a seeded fault model, for simulated pools (a storage model at
 * TigerBeetle's level). What the device holds durably and what a crash keeps are modelled apart:
 *
 * - Reads see every completed write. A write is durable once a flush that began after it has
 *   completed; until then it sits in the device's volatile cache.
 * - `crash()` is a power loss: each write not yet durable is kept, lost, or torn (some of its
 *   sectors kept), drawn from the device's random stream; requests in flight fail with `gone`.
 * - Faults, each drawn per request at its rate (`MemoryDeviceFaults`): a read that returns a
 *   flipped bit, a write stored with one, a write that lands elsewhere (misdirected), a read of
 *   another place, a sector that turns unreadable (a latent sector error, until written again), and
 *   a flush that says done and keeps nothing. `fail()` and `vanish()` make every request fail.
 * - With a `FaultAtlas`, a fault happens only where the pool's redundancy can repair it.
 *
 * Completions come after a latency drawn in `latencyMs`, on the device's clock, so a simulated run
 * replays exactly from its seed; completions may come in another order than the requests.
 *
 * @example
 * ```ts
 * const disk = createMemoryDevice({ name: 'sim0', sizeBytes: 8 << 20, clock, random: random.stream('sim0'),
 *   faults: { writeCorruption: 0.01, latencyMs: [0.1, 2] } });
 * await disk.write(0, sector);
 * disk.crash(); // the write was never flushed: kept, lost or torn
 * ```
 */
import { copyOfBytes } from '../../ground/bytes.js';
import type { Clock } from '../clock/clock.js';
import type { Random } from '../random/random.js';
import { ClosedError } from '../../ground/errors.js';
import {
  type BlockDevice,
  type BlockDeviceOptions,
  checkDeviceSize,
  checkTransfer,
  deviceGeometry,
  InFlight,
  type SectorBytes,
  type WriteOptions,
} from './block-device.js';
import { BlockIoError } from './block-errors.js';
import type { FaultAtlas } from './fault-atlas.js';

/** Rates in [0, 1], each the chance per request (per read, write or flush) of one fault of its kind. */
export interface MemoryDeviceFaults {
  /** A read returns one of its sectors with a bit flipped; the medium is fine. */
  readonly readCorruption?: number;
  /** A write stores one of its sectors with a bit flipped. */
  readonly writeCorruption?: number;
  /** A write lands at another place of the device; its own place keeps what it held. */
  readonly misdirectedWrite?: number;
  /** A read returns the bytes of another place. */
  readonly misdirectedRead?: number;
  /** A write leaves one of its sectors unreadable (media errors) until it is written again. */
  readonly latentSector?: number;
  /** A flush completes and keeps nothing: its writes are as volatile as before. */
  readonly lostFlush?: number;
  /** A crash keeps a write not yet durable whole (else it is lost or torn, half each). Default 0.5. */
  readonly crashKeepsWrite?: number;
  /** The latency of each request, drawn uniformly in [min, max] ms (default [0, 0]: the next timer turn). */
  readonly latencyMs?: readonly [number, number];
}

export interface MemoryDeviceOptions extends BlockDeviceOptions {
  readonly name: string;
  readonly sizeBytes: number;
  /** Completions come on it, after their latency. */
  readonly clock: Clock;
  /** Faults, latencies and crashes are drawn from it (give each device a stream of its own). */
  readonly random: Random;
  readonly faults?: MemoryDeviceFaults;
  /** The atlas bounding where faults fall, and this device's number in it. */
  readonly atlas?: { readonly atlas: FaultAtlas; readonly device: number };
}

/** What the device did, by kind of fault, for tests and the simulation's reports. */
export interface MemoryDeviceStats {
  reads: number;
  writes: number;
  flushes: number;
  readCorruptions: number;
  writeCorruptions: number;
  misdirectedWrites: number;
  misdirectedReads: number;
  latentSectors: number;
  lostFlushes: number;
  /** Faults drawn that the atlas refused. */
  faultsRefused: number;
  crashes: number;
}

/** What a crash did to the writes that were not durable. */
export interface CrashOutcome {
  readonly kept: number;
  readonly lost: number;
  readonly torn: number;
}

export interface MemoryDevice extends BlockDevice {
  readonly kind: 'memory';
  readonly stats: Readonly<MemoryDeviceStats>;
  /** Power loss: see the module's comment. The device works on afterwards, as after a reboot. */
  crash(): CrashOutcome;
  /** Every request fails with `failed` from now on, until `revive`. */
  fail(): void;
  /** Every request fails with `gone` from now on, until `revive`. */
  vanish(): void;
  revive(): void;
  /** A copy of the bytes the device holds durably (what a crash would keep at least). */
  durableCopy(): Uint8Array;
}

/** Creates a memory device; throws RangeError for a size, geometry or rate no device takes. */
export function createMemoryDevice(options: MemoryDeviceOptions): MemoryDevice {
  return new SimulatedDevice(options);
}

/** A write completed and not yet durable. */
interface PendingWrite {
  /** Its place in the order writes completed: a flush covers the writes numbered up to its start. */
  readonly seq: number;
  readonly offsetBytes: number;
  readonly data: Uint8Array;
  /** Latent sectors it cleared by writing them: unreadable again if a crash loses it. */
  readonly cleared: readonly number[];
}

const faultRates = ['readCorruption', 'writeCorruption', 'misdirectedWrite', 'misdirectedRead', 'latentSector', 'lostFlush', 'crashKeepsWrite'] as const;

class SimulatedDevice implements MemoryDevice {
  readonly kind = 'memory';
  readonly name: string;
  readonly sizeBytes: number;
  readonly sectorBytes: SectorBytes;
  readonly queueDepth: number;
  readonly stats: MemoryDeviceStats = {
    reads: 0,
    writes: 0,
    flushes: 0,
    readCorruptions: 0,
    writeCorruptions: 0,
    misdirectedWrites: 0,
    misdirectedReads: 0,
    latentSectors: 0,
    lostFlushes: 0,
    faultsRefused: 0,
    crashes: 0,
  };
  /** What reads see: the durable bytes with every completed write on top. */
  private readonly current: Uint8Array;
  private readonly durable: Uint8Array;
  /** Completed writes not yet durable, oldest first, as they landed (misdirected ones where they went). */
  private pending: PendingWrite[] = [];
  /** The number of the latest write completed. */
  private writesCompleted = 0;
  /** Writes started and not yet completed: a crash may still land them, whole or torn. */
  private readonly writesInFlight = new Set<{ readonly offsetBytes: number; readonly data: Uint8Array }>();
  /** Sectors that fail reads until written again. */
  private readonly latent = new Set<number>();
  private state: 'working' | 'failed' | 'gone' = 'working';
  private readonly requests: InFlight;
  /** What fails each request in flight, which a crash calls. */
  private readonly inFlightRejects = new Set<() => void>();
  private closing: Promise<void> | null = null;
  private readonly faults: Required<Omit<MemoryDeviceFaults, 'latencyMs'>> & { readonly latencyMs: readonly [number, number] };

  constructor(private readonly options: MemoryDeviceOptions) {
    const { sectorBytes, queueDepth } = deviceGeometry(options);
    checkDeviceSize(options.sizeBytes, sectorBytes);
    const faults = options.faults ?? {};
    for (const rate of faultRates) {
      const value = faults[rate];
      if (value !== undefined && !(value >= 0 && value <= 1)) throw new RangeError(`fault rate ${rate} must be in [0, 1], got ${value}`);
    }
    const [latencyMin, latencyMax] = faults.latencyMs ?? [0, 0];
    if (!(latencyMin >= 0 && latencyMax >= latencyMin && Number.isFinite(latencyMax)))
      throw new RangeError(`latencyMs must be [min, max] with 0 ≤ min ≤ max, finite, got [${latencyMin}, ${latencyMax}]`);
    this.faults = {
      readCorruption: faults.readCorruption ?? 0,
      writeCorruption: faults.writeCorruption ?? 0,
      misdirectedWrite: faults.misdirectedWrite ?? 0,
      misdirectedRead: faults.misdirectedRead ?? 0,
      latentSector: faults.latentSector ?? 0,
      lostFlush: faults.lostFlush ?? 0,
      crashKeepsWrite: faults.crashKeepsWrite ?? 0.5,
      latencyMs: [latencyMin, latencyMax],
    };
    this.name = options.name;
    this.sizeBytes = options.sizeBytes;
    this.sectorBytes = sectorBytes;
    this.queueDepth = queueDepth;
    this.current = new Uint8Array(options.sizeBytes);
    this.durable = new Uint8Array(options.sizeBytes);
    this.requests = new InFlight(options.name, queueDepth);
  }

  get inFlight(): number {
    return this.requests.count;
  }

  read(offsetBytes: number, lengthBytes: number, into?: Uint8Array): Promise<Uint8Array> {
    if (into !== undefined && !(into instanceof Uint8Array && into.byteLength === lengthBytes))
      return Promise.reject(new TypeError(`${this.name}: a read of ${lengthBytes} bytes goes into a Uint8Array of that length`));
    return this.request('read', offsetBytes, lengthBytes, () => {
      this.stats.reads++;
      let from = offsetBytes;
      if (this.drawn(this.faults.misdirectedRead, offsetBytes, lengthBytes)) {
        from = this.elsewhere(offsetBytes, lengthBytes);
        this.stats.misdirectedReads++;
      }
      for (let sector = from / this.sectorBytes; sector < (from + lengthBytes) / this.sectorBytes; sector++) {
        if (this.latent.has(sector)) throw new BlockIoError(this.name, 'read', 'media', `sector ${sector} cannot be read`);
      }
      const data = into ?? new Uint8Array(lengthBytes);
      data.set(this.current.subarray(from, from + lengthBytes));
      if (this.drawn(this.faults.readCorruption, offsetBytes, lengthBytes)) {
        this.flipBit(data);
        this.stats.readCorruptions++;
      }
      return data;
    });
  }

  /**
   * One write of the pieces joined: its faults (a tear at a crash, a misdirection) take the whole, as
   * a disk's would. The joined bytes are the device's own, handed over or not.
   */
  writev(offsetBytes: number, pieces: readonly Uint8Array[]): Promise<void> {
    if (!pieces.every((piece) => piece instanceof Uint8Array)) return Promise.reject(new TypeError(`${this.name}: a writev takes Uint8Arrays`));
    const joined = new Uint8Array(pieces.reduce((sum, piece) => sum + piece.byteLength, 0));
    let at = 0;
    for (const piece of pieces) {
      joined.set(piece, at);
      at += piece.byteLength;
    }
    return this.submit(offsetBytes, joined, false);
  }

  write(offsetBytes: number, data: Uint8Array, options?: WriteOptions): Promise<void> {
    if (!(data instanceof Uint8Array)) return Promise.reject(new TypeError(`${this.name}: a write takes a Uint8Array`));
    // The caller may reuse its buffer once the call returns, as with a real device's submission; a
    // buffer handed over, once the write completes.
    const handOver = options?.handOver === true;
    return this.submit(offsetBytes, handOver ? data : copyOfBytes(data), handOver);
  }

  /** Writes `copy`, which is the caller's until the write completes if `callers`, else the device's own. */
  private submit(offsetBytes: number, copy: Uint8Array, callers: boolean): Promise<void> {
    const inFlight = { offsetBytes, data: copy };
    return this.request(
      'write',
      offsetBytes,
      copy.byteLength,
      () => {
        this.writesInFlight.delete(inFlight);
        this.stats.writes++;
        let to = offsetBytes;
        // A misdirected write damages two places: the stale one it missed and the one it hit.
        if (this.faults.misdirectedWrite > 0 && this.random.next() < this.faults.misdirectedWrite) {
          const elsewhere = this.elsewhere(offsetBytes, copy.byteLength);
          const ranges: [number, number][] = [
            [offsetBytes, copy.byteLength],
            [elsewhere, copy.byteLength],
          ];
          if (this.mayFaultAll(ranges)) {
            to = elsewhere;
            this.stats.misdirectedWrites++;
          } else {
            this.stats.faultsRefused++;
          }
        }
        // What the medium got: the bytes written, or (corrupted) a copy with a bit flipped. Never the
        // buffer itself, which may be the caller's (handOver) and so must not change.
        let stored = copy;
        if (this.drawn(this.faults.writeCorruption, to, copy.byteLength)) {
          stored = copyOfBytes(copy);
          this.flipBit(stored);
          this.stats.writeCorruptions++;
        }
        this.current.set(stored, to);
        const firstSector = to / this.sectorBytes;
        const cleared: number[] = [];
        for (let sector = firstSector; sector < firstSector + copy.byteLength / this.sectorBytes; sector++)
          if (this.latent.delete(sector)) cleared.push(sector);
        if (this.drawn(this.faults.latentSector, to, copy.byteLength)) {
          this.latent.add(firstSector + this.random.int(copy.byteLength / this.sectorBytes));
          this.stats.latentSectors++;
        }
        // Kept until a flush, which may never come (a lost flush, a side no commit flushes): never
        // the caller's buffer, which it may use again from now on.
        this.pending.push({ seq: ++this.writesCompleted, offsetBytes: to, data: callers && stored === copy ? copyOfBytes(copy) : stored, cleared });
      },
      () => this.writesInFlight.add(inFlight),
    );
  }

  flush(): Promise<void> {
    // What it makes durable: the writes completed before it began, whatever completes meanwhile.
    const upTo = this.writesCompleted;
    return this.request('flush', 0, 0, () => {
      this.stats.flushes++;
      const flushed = this.pending.filter((write) => write.seq <= upTo);
      const ranges: [number, number][] = flushed.map((write) => [write.offsetBytes, write.data.byteLength]);
      if (flushed.length > 0 && this.drawnFor(this.faults.lostFlush, () => this.mayFaultAll(ranges))) {
        this.stats.lostFlushes++;
        return;
      }
      for (const write of flushed) this.durable.set(write.data, write.offsetBytes);
      this.pending = this.pending.filter((write) => write.seq > upTo);
    });
  }

  close(): Promise<void> {
    this.closing ??= this.requests.drained();
    return this.closing;
  }

  crash(): CrashOutcome {
    this.stats.crashes++;
    const outcome = { kept: 0, lost: 0, torn: 0 };
    // Writes not yet acknowledged may have reached the medium too, as a disk's may.
    const inFlight = [...this.writesInFlight].map((write) => ({ ...write, cleared: [] as readonly number[] }));
    for (const write of [...this.pending, ...inFlight]) {
      const sectors = write.data.byteLength / this.sectorBytes;
      const firstSector = write.offsetBytes / this.sectorBytes;
      let landed: boolean[];
      if (this.random.next() < this.faults.crashKeepsWrite) {
        landed = new Array<boolean>(sectors).fill(true);
        outcome.kept++;
      } else if (sectors === 1 || this.random.next() < 0.5) {
        landed = new Array<boolean>(sectors).fill(false);
        outcome.lost++;
      } else {
        // Torn: some of its sectors reached the medium, in no particular order.
        landed = Array.from({ length: sectors }, () => this.random.next() < 0.5);
        outcome.torn++;
      }
      landed.forEach((reached, index) => {
        const sector = firstSector + index;
        if (reached) this.durable.set(write.data.subarray(index * this.sectorBytes, (index + 1) * this.sectorBytes), sector * this.sectorBytes);
        else if (write.cleared.includes(sector)) this.latent.add(sector);
      });
    }
    this.pending = [];
    this.writesInFlight.clear();
    this.current.set(this.durable);
    for (const crashed of [...this.inFlightRejects]) crashed();
    return outcome;
  }

  fail(): void {
    this.down('failed');
  }

  vanish(): void {
    this.down('gone');
  }

  revive(): void {
    this.state = 'working';
  }

  /** A device that fails everything is faulted everywhere: the atlas must allow it. */
  private down(state: 'failed' | 'gone'): void {
    const atlas = this.options.atlas;
    if (atlas !== undefined && !atlas.atlas.mayFailDevice(atlas.device))
      throw new RangeError(`${this.name} cannot fail: some zone of its atlas already has as many faulted devices as the redundancy repairs`);
    this.state = state;
  }

  durableCopy(): Uint8Array {
    return this.durable.slice();
  }

  private get random(): Random {
    return this.options.random;
  }

  /**
   * Runs `run` as the request's effect when it completes, after its latency; a device that failed
   * or vanished fails it instead.
   */
  private request<T>(op: 'read' | 'write' | 'flush', offsetBytes: number, lengthBytes: number, run: () => T, started?: () => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.closing !== null) throw new ClosedError(`device ${this.name}`, op);
      if (op !== 'flush') checkTransfer(this, offsetBytes, lengthBytes);
      this.requests.admit();
      started?.();
      const [latencyMin, latencyMax] = this.faults.latencyMs;
      const delayMs = latencyMax === 0 ? 0 : latencyMin + this.random.next() * (latencyMax - latencyMin);
      let settled = false;
      const finish = (error: Error | null, value?: T) => {
        if (settled) return;
        settled = true;
        this.inFlightRejects.delete(crashed);
        this.requests.done();
        if (error === null) resolve(value as T);
        else reject(error);
      };
      const crashed = () => {
        this.options.clock.cancelTimer(timer);
        finish(new BlockIoError(this.name, op, 'gone', 'the machine crashed while it was in flight'));
      };
      this.inFlightRejects.add(crashed);
      const timer = this.options.clock.setTimer(delayMs, () => {
        if (this.state !== 'working') {
          finish(new BlockIoError(this.name, op, this.state, this.state === 'failed' ? 'the device has failed' : 'the device is not there'));
          return;
        }
        try {
          finish(null, run());
        } catch (error) {
          finish(error as Error);
        }
      });
    });
  }

  /** Draws a fault of `rate` for bytes [offsetBytes, +lengthBytes), as the atlas allows. */
  private drawn(rate: number, offsetBytes: number, lengthBytes: number): boolean {
    return this.drawnFor(rate, () => this.mayFault(offsetBytes, lengthBytes));
  }

  private drawnFor(rate: number, allowed: () => boolean): boolean {
    if (rate === 0 || this.random.next() >= rate) return false;
    if (allowed()) return true;
    this.stats.faultsRefused++;
    return false;
  }

  private mayFault(offsetBytes: number, lengthBytes: number): boolean {
    return this.mayFaultAll([[offsetBytes, lengthBytes]]);
  }

  /** Whether the atlas lets every range be faulted, charging them only if it does. */
  private mayFaultAll(ranges: readonly (readonly [number, number])[]): boolean {
    const atlas = this.options.atlas;
    return atlas === undefined || atlas.atlas.mayFaultAll(atlas.device, ranges);
  }

  /** Another sector-aligned place for a transfer of `lengthBytes` than `offsetBytes`. */
  private elsewhere(offsetBytes: number, lengthBytes: number): number {
    const places = (this.sizeBytes - lengthBytes) / this.sectorBytes + 1;
    if (places === 1) return offsetBytes;
    const place = this.random.int(places - 1);
    const offset = place * this.sectorBytes;
    return offset >= offsetBytes ? offset + this.sectorBytes : offset;
  }

  private flipBit(data: Uint8Array): void {
    const bit = this.random.int(data.byteLength * 8);
    data[bit >> 3]! ^= 1 << (bit & 7);
  }
}
