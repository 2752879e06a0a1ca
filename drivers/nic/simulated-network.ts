/**
 * The simulated network: hosts, each a `NicDriver` of kind 'simulated', joined by one virtual
 * wire with seeded faults. Each host runs a small TCP (handshake, cumulative acknowledgements,
 * retransmission with backed-off timeouts, a retry limit, in-order exactly-once delivery, FIN and
 * RST, the receive window as the contract's credits), so what the wire does shows to the net
 * subsystem only as TCP shows it: delay, a stall while a partition lasts, recovery once it heals,
 * and past the retry limit a flow closed with ETIMEDOUT.
 *
 * Everything runs on the injected clock and draws from the injected random's named streams (the
 * link from A to B: `wire/A>B`; host A's initial sequence numbers: `host/A`), so a run replays
 * exactly from its seed, and adding a host does not change what happens between the others.
 *
 * @example
 * ```ts
 * const clock = createSimulatedClock();
 * const network = createSimulatedNetwork({ clock, random: createSeededRandom(7), faults: { dropRate: 0.1 } });
 * const server = network.host('server'); // 10.0.0.1
 * const client = network.host('client'); // 10.0.0.2
 * server.attach((event) => serverEvents.push(event));
 * client.attach((event) => clientEvents.push(event));
 * const { port } = await server.listen({ host: '0.0.0.0', port: 11211 });
 * const flow = client.connect('server', port);
 * client.write(flow, new TextEncoder().encode('get k\r\n'));
 * network.partition(server, client); // the flow stalls…
 * await clock.advance(1_000);
 * network.heal(server, client);      // …and recovers
 * await clock.runUntilIdle();
 * ```
 */
import type { Clock } from '../clock/clock.js';
import type { Random } from '../random/random.js';
import { flowsMaxDefault, flowsMaxLimit, receiveCreditChunksDefault } from './nic.js';
import { loopbackAddress, SimulatedHost, type SimulatedNic } from './sim-host.js';
import { packetsInFlightMaxDefault, SimulatedWire, type WirePacket, type WireStats } from './sim-wire.js';
import type { ResolvedWireFaults, WireFaults } from './sim-wire-faults.js';
import { resolveTcpOptions, type TcpOptions } from './tcp-limits.js';

export interface SimulatedNetworkOptions {
  /** Every timer (the wire's delays, TCP's timeouts) and every event goes through it. */
  readonly clock: Clock;
  /** Every choice (faults, delays, initial sequence numbers) comes from its named streams. */
  readonly random: Random;
  /** The wire's faults at the start (default: none, 1 ms each way); `setFaults` changes them. */
  readonly faults?: WireFaults;
  /** TCP tunables of every host (a host's own options override them). */
  readonly tcp?: TcpOptions;
  /** Packets on the wire at once, at most (default 16384); past it packets are dropped and counted. */
  readonly packetsInFlightMax?: number;
}

export interface SimulatedHostOptions {
  /** The host's address (default `10.0.0.N`, N counting hosts from 1). */
  readonly address?: string;
  /** Receive credits per flow (default 32). */
  readonly receiveCreditChunks?: number;
  /** Flows at most, open or not yet released (default 1024); connections past it are refused and counted. */
  readonly flowsMax?: number;
  /** TCP tunables of this host, over the network's. */
  readonly tcp?: TcpOptions;
}

/** A host, or its name. */
export type HostRef = SimulatedNic | string;

export interface SimulatedNetwork {
  /** Creates a host named `name` (unique, not an address) and returns its NIC. */
  host(name: string, options?: SimulatedHostOptions): SimulatedNic;
  /** The wire's faults now. */
  readonly faults: ResolvedWireFaults;
  /** Changes the faults given; the others stay as they are. Packets on the wire keep their fate. */
  setFaults(faults: WireFaults): void;
  /** Cuts the link between two hosts, both ways, until healed. */
  partition(a: HostRef, b: HostRef): void;
  heal(a: HostRef, b: HostRef): void;
  healAll(): void;
  /** What the wire did, in packets. */
  stats(): WireStats;
}

/** Hosts a network holds at most: addresses 10.0.0.1 to 10.0.15.255 and a partition table that stays small. */
export const hostsMax = 4_096;
/** The most receive credits a simulated flow may be configured with (as the real NIC's bound). */
export const simulatedReceiveCreditChunksMax = 4_096;

/**
 * Creates a simulated network on `options.clock` and `options.random`.
 *
 * @example
 * ```ts
 * const network = createSimulatedNetwork({ clock, random: createSeededRandom(1), faults: { dropRate: 0.2, delayMs: { min: 1, max: 30 } } });
 * const a = network.host('a');
 * network.setFaults({ duplicateRate: 0.1 });
 * ```
 */
export function createSimulatedNetwork(options: SimulatedNetworkOptions): SimulatedNetwork {
  return new VirtualNetwork(options);
}

class VirtualNetwork implements SimulatedNetwork {
  private readonly wire: SimulatedWire;
  private readonly hostsByName = new Map<string, SimulatedHost>();
  private readonly hostsByAddress = new Map<string, SimulatedHost>();

  constructor(private readonly options: SimulatedNetworkOptions) {
    resolveTcpOptions(options.tcp); // checked now, so a bad option fails at creation, not at the first host
    this.wire = new SimulatedWire(options.clock, options.random, options.faults ?? {}, options.packetsInFlightMax ?? packetsInFlightMaxDefault);
  }

  get faults(): ResolvedWireFaults {
    return this.wire.faults;
  }

  host(name: string, hostOptions: SimulatedHostOptions = {}): SimulatedNic {
    if (typeof name !== 'string' || !/^[A-Za-z][\w.-]*$/.test(name) || name === 'localhost') {
      throw new RangeError(`a host name starts with a letter and holds letters, digits, '.', '-' and '_', and is not 'localhost'; got ${String(name)}`);
    }
    if (this.hostsByName.has(name)) throw new RangeError(`a host named ${name} exists already`);
    if (this.hostsByName.size >= hostsMax) throw new RangeError(`a simulated network holds ${hostsMax} hosts at most`);
    const ordinal = this.hostsByName.size + 1;
    const address = hostOptions.address ?? `10.0.${ordinal >> 8}.${ordinal & 255}`;
    if (address === loopbackAddress || address === '0.0.0.0' || this.hostsByAddress.has(address)) throw new RangeError(`address ${address} is taken`);
    const receiveCreditChunks = hostOptions.receiveCreditChunks ?? receiveCreditChunksDefault;
    const flowsMax = hostOptions.flowsMax ?? flowsMaxDefault;
    checkInteger('receiveCreditChunks', receiveCreditChunks, 1, simulatedReceiveCreditChunksMax);
    checkInteger('flowsMax', flowsMax, 1, flowsMaxLimit);
    const host: SimulatedHost = new SimulatedHost({
      name,
      address,
      clock: this.options.clock,
      random: this.options.random.stream(`host/${name}`),
      tcp: resolveTcpOptions({ ...this.options.tcp, ...hostOptions.tcp }),
      receiveCreditChunks,
      flowsMax,
      send: (packet) => this.route(host, packet),
      resolve: (target) => this.resolve(host, target),
    });
    this.hostsByName.set(name, host);
    this.hostsByAddress.set(address, host);
    return host;
  }

  setFaults(faults: WireFaults): void {
    this.wire.setFaults(faults);
  }

  partition(a: HostRef, b: HostRef): void {
    const [nameA, nameB] = [this.nameOf(a), this.nameOf(b)];
    if (nameA === nameB) throw new RangeError(`a host cannot be cut from itself (${nameA})`);
    this.wire.partition(nameA, nameB);
  }

  heal(a: HostRef, b: HostRef): void {
    this.wire.heal(this.nameOf(a), this.nameOf(b));
  }

  healAll(): void {
    this.wire.healAll();
  }

  stats(): WireStats {
    return this.wire.stats();
  }

  /** Puts `packet` from `source` on the wire, towards the host with its target address. */
  private route(source: SimulatedHost, packet: WirePacket): void {
    const target = packet.targetAddress === loopbackAddress ? source : (this.hostsByAddress.get(packet.targetAddress) ?? null);
    this.wire.carry(source.name, target?.name ?? null, packet, (arrived) => target!.receive(arrived));
  }

  /** The address `target` names for `source`: loopback, a host's name, or an address; null for a name nobody has. */
  private resolve(source: SimulatedHost, target: string): string | null {
    if (target === loopbackAddress || target === 'localhost' || target === source.name) return target === source.name ? source.address : loopbackAddress;
    const named = this.hostsByName.get(target);
    if (named !== undefined) return named.address;
    // An address literal resolves to itself, host or not: packets to nobody are lost, as on a real network.
    return /^\d{1,3}(\.\d{1,3}){3}$/.test(target) ? target : null;
  }

  private nameOf(host: HostRef): string {
    const name = typeof host === 'string' ? host : host.name;
    if (!this.hostsByName.has(name)) throw new RangeError(`no host named ${name} on this network`);
    return name;
  }
}

function checkInteger(name: string, value: number, min: number, max: number): void {
  if (!(Number.isSafeInteger(value) && value >= min && value <= max))
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${String(value)}`);
}
