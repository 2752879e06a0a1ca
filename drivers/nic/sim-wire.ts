/**
 * The simulated wire: carries packets between simulated hosts on virtual time, losing,
 * duplicating, delaying and reordering them as its faults say, and cutting links in partitions.
 *
 * Every choice for packets from host A to host B is drawn from the stream `wire/A>B` of the
 * network's random driver, so adding a host or a flow between other hosts does not change what
 * happens on this link, and a run replays exactly from its seed. A partition is checked twice:
 * when a packet is sent and when it would arrive (a packet on the wire when the link is cut is lost).
 *
 * @example
 * ```ts
 * const wire = new SimulatedWire(clock, random, { dropRate: 0.05 }, 10_000);
 * wire.carry('a', 'b', packet, (delivered) => hostB.receive(delivered));
 * wire.partition('a', 'b'); // from now on nothing passes between a and b, either way
 * wire.stats().dropped;
 * ```
 */
import { assert } from '../../ground/assert.js';
import type { Clock } from '../clock/clock.js';
import type { Random } from '../random/random.js';
import { type ResolvedWireFaults, resolveWireFaults, type WireFaults } from './sim-wire-faults.js';
import { duplicateSegment, type TcpSegment } from './tcp-segment.js';

/** A segment between two addresses: what the wire carries. */
export interface WirePacket {
  readonly sourceAddress: string;
  readonly targetAddress: string;
  readonly segment: TcpSegment;
}

/** What the wire did, in packets. */
export interface WireStats {
  /** Packets handed to the wire. */
  readonly sent: number;
  /** Packets handed to their target host (each copy of a duplicate counts). */
  readonly delivered: number;
  /** Packets lost to the drop rate. */
  readonly dropped: number;
  /** Packets sent twice. */
  readonly duplicated: number;
  /** Packets held back to arrive after later ones. */
  readonly reordered: number;
  /** Packets lost to a partition, at sending or on the way. */
  readonly partitioned: number;
  /** Packets lost because `packetsInFlightMax` were already on the wire. */
  readonly overflowed: number;
  /** Packets to an address no host has. */
  readonly unroutable: number;
}

/** Packets on the wire at once by default; past it the wire drops (a full queue), and TCP recovers. */
export const packetsInFlightMaxDefault = 16_384;

export class SimulatedWire {
  private faultsNow: ResolvedWireFaults;
  private readonly links = new Map<string, Random>();
  /** Cut links, as `a>b` and `b>a` both. */
  private readonly cuts = new Set<string>();
  private inFlight = 0;
  private readonly counters = { sent: 0, delivered: 0, dropped: 0, duplicated: 0, reordered: 0, partitioned: 0, overflowed: 0, unroutable: 0 };

  constructor(
    private readonly clock: Clock,
    private readonly random: Random,
    faults: WireFaults,
    private readonly packetsInFlightMax: number,
  ) {
    if (!(Number.isSafeInteger(packetsInFlightMax) && packetsInFlightMax >= 1)) {
      throw new RangeError(`packetsInFlightMax must be a positive integer, got ${String(packetsInFlightMax)}`);
    }
    this.faultsNow = resolveWireFaults(faults);
  }

  get faults(): ResolvedWireFaults {
    return this.faultsNow;
  }

  /** Changes the faults given (the others stay as they are); packets already on the wire keep their fate. */
  setFaults(faults: WireFaults): void {
    this.faultsNow = resolveWireFaults(faults, this.faultsNow);
  }

  /** Cuts the link between hosts `a` and `b`, both ways. */
  partition(a: string, b: string): void {
    assert(a !== b, 'a host is never cut from itself');
    this.cuts.add(`${a}>${b}`);
    this.cuts.add(`${b}>${a}`);
  }

  heal(a: string, b: string): void {
    this.cuts.delete(`${a}>${b}`);
    this.cuts.delete(`${b}>${a}`);
  }

  healAll(): void {
    this.cuts.clear();
  }

  isPartitioned(a: string, b: string): boolean {
    return this.cuts.has(`${a}>${b}`);
  }

  stats(): WireStats {
    return { ...this.counters };
  }

  /**
   * Carries `packet` from host `source` to host `target` (null: no host has its address) and
   * calls `deliver` with each copy that arrives, on a timer of the clock.
   */
  carry(source: string, target: string | null, packet: WirePacket, deliver: (packet: WirePacket) => void): void {
    this.counters.sent++;
    if (target === null) {
      this.counters.unroutable++;
      return;
    }
    if (source === target) {
      this.launch(source, target, packet, 0, deliver);
      return;
    }
    if (this.isPartitioned(source, target)) {
      this.counters.partitioned++;
      return;
    }
    const link = this.link(source, target);
    const faults = this.faultsNow;
    if (faults.dropRate > 0 && link.next() < faults.dropRate) {
      this.counters.dropped++;
      return;
    }
    const copies = faults.duplicateRate > 0 && link.next() < faults.duplicateRate ? 2 : 1;
    if (copies === 2) this.counters.duplicated++;
    for (let copy = 0; copy < copies; copy++) {
      this.launch(source, target, copy === 0 ? packet : { ...packet, segment: duplicateSegment(packet.segment) }, this.delayOf(link), deliver);
    }
  }

  /** A delay drawn for one packet on `link`: uniform in [min, max], or past max when it is to be reordered. */
  private delayOf(link: Random): number {
    const { min, max } = this.faultsNow.delayMs;
    const delay = min + link.next() * (max - min);
    if (this.faultsNow.reorderRate > 0 && link.next() < this.faultsNow.reorderRate) {
      this.counters.reordered++;
      // Held back past any packet sent within the next millisecond, however their delays fall.
      return max + 1 + link.next() * Math.max(1, max);
    }
    return delay;
  }

  private launch(source: string, target: string, packet: WirePacket, delayMs: number, deliver: (packet: WirePacket) => void): void {
    if (this.inFlight >= this.packetsInFlightMax) {
      this.counters.overflowed++;
      return;
    }
    this.inFlight++;
    this.clock.setTimer(delayMs, () => {
      this.inFlight--;
      assert(this.inFlight >= 0, 'packets in flight never go negative');
      if (source !== target && this.isPartitioned(source, target)) {
        this.counters.partitioned++;
        return;
      }
      this.counters.delivered++;
      deliver(packet);
    });
  }

  /** The random stream of the link from `source` to `target`, made on first use. */
  private link(source: string, target: string): Random {
    const name = `wire/${source}>${target}`;
    let link = this.links.get(name);
    if (link === undefined) this.links.set(name, (link = this.random.stream(name)));
    return link;
  }
}
