/**
 * A simulated host's network device: a `NicDriver` over the simulated wire, running the simulated
 * TCP of `tcp-connection.ts` for each flow. The network (`simulated-network.ts`) creates hosts and
 * routes their packets; this file is one host's side: its listeners, its connections by their pair
 * of endpoints, its flows, and the events it raises.
 *
 * Events are raised as a real NIC raises interrupts: each in a clock callback of its own, never
 * synchronously inside a call to the driver, in the order the host's TCP produced them.
 *
 * Addresses: the host's own (`10.0.0.N`, or as configured) and loopback (`127.0.0.1`, `localhost`).
 * A listener bound to `0.0.0.0` accepts on both; one bound to loopback, only from this host, as a
 * real one. Connecting to a host's name resolves it; to a name no host has fails with ENOTFOUND.
 *
 * @example
 * ```ts
 * const server = network.host('server');
 * server.attach((event) => events.push(event));
 * const { port } = await server.listen({ host: '0.0.0.0', port: 11211 });
 * ```
 */
import { assert } from '../../ground/assert.js';
import { mayBeRewritten } from '../../ground/rewritable-memory.js';
import type { Clock } from '../clock/clock.js';
import type { Random } from '../random/random.js';
import {
  backlogDefault,
  type Endpoint,
  type FlowId,
  type Listening,
  type ListenerId,
  type ListenOptions,
  type NicDriver,
  NicError,
  type NicEvent,
  type NicFault,
  type NicSink,
  type NicStats,
} from './nic.js';
import { SimulatedPorts } from './sim-ports.js';
import type { WirePacket } from './sim-wire.js';
import { type ConnectionPort, TcpConnection } from './tcp-connection.js';
import { type TcpSettings, timeWaitConnectionsMax } from './tcp-limits.js';
import { resetAnswering, type TcpSegment } from './tcp-segment.js';

/** The loopback address every simulated host answers on. */
export const loopbackAddress = '127.0.0.1';
/** The address a listener binds to accept on every address of its host. */
export const anyAddress = '0.0.0.0';
/** Pending handshakes a listener holds by default (Node's backlog). */
/** Initial sequence numbers are drawn below 2^32, as real TCP's. */
const initialSequenceNumbersMax = 2 ** 32;

/** A simulated host's NIC: a {@link NicDriver} with the host's name and address. */
export interface SimulatedNic extends NicDriver {
  readonly kind: 'simulated';
  readonly name: string;
  readonly address: string;
}

/** What a host needs from its network. */
export interface HostWiring {
  readonly name: string;
  readonly address: string;
  readonly clock: Clock;
  /** The host's own stream: initial sequence numbers. */
  readonly random: Random;
  readonly tcp: TcpSettings;
  readonly receiveCreditChunks: number;
  readonly flowsMax: number;
  /** Puts a packet on the wire. */
  readonly send: (packet: WirePacket) => void;
  /** The address of a host name or address, or null when no host has it. */
  readonly resolve: (host: string) => string | null;
}

interface Flow {
  readonly id: FlowId;
  connection: TcpConnection | null;
  /** Credits left: data events raised and not yet given back, subtracted from the start. */
  credits: number;
  writesRefused: boolean;
  closed: boolean;
}

interface Listener {
  readonly id: ListenerId;
  readonly address: string;
  readonly port: number;
  readonly backlog: number;
  /** Handshakes under way on it. */
  pending: number;
}

export class SimulatedHost implements SimulatedNic {
  readonly kind = 'simulated' as const;
  readonly name: string;
  readonly address: string;
  readonly receiveCreditChunks: number;
  readonly flowsMax: number;
  private sink: NicSink | null = null;
  private closing = false;
  private readonly flows = new Map<FlowId, Flow>();
  private readonly listeners = new Map<ListenerId, Listener>();
  /** Live connections by `local|remote` endpoints, TIME_WAIT ones included. */
  private readonly connections = new Map<string, TcpConnection>();
  /** Connections in TIME_WAIT, oldest first: the first forgotten when there are too many. */
  private readonly timeWaits = new Set<string>();
  private readonly ports = new SimulatedPorts();
  private pendingHandshakes = 0;
  private nextFlow = 1;
  private nextListener = 1;
  private readonly counters = { flowsAccepted: 0, flowsConnected: 0, flowsRefused: 0, bytesReceived: 0, bytesSent: 0, receivePauses: 0 };

  constructor(private readonly wiring: HostWiring) {
    this.name = wiring.name;
    this.address = wiring.address;
    this.receiveCreditChunks = wiring.receiveCreditChunks;
    this.flowsMax = wiring.flowsMax;
  }

  attach(sink: NicSink): void {
    if (this.sink !== null) throw new NicError('EBUSY', `${this.name}: the NIC already has a sink attached`);
    this.sink = sink;
  }

  listen(options: ListenOptions = {}): Promise<Listening> {
    try {
      this.checkUsable('listen');
      const host = options.host ?? loopbackAddress;
      const address = this.boundAddress(host);
      const backlog = options.backlog ?? backlogDefault;
      if (!(Number.isSafeInteger(backlog) && backlog >= 1)) throw new RangeError(`backlog must be a positive integer, got ${String(backlog)}`);
      const port = this.ports.bind(address, options.port ?? 0);
      const listener: Listener = { id: this.nextListener++, address, port, backlog, pending: 0 };
      this.listeners.set(listener.id, listener);
      return Promise.resolve({ listener: listener.id, host: address, port });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  unlisten(listener: ListenerId): Promise<void> {
    const bound = this.listeners.get(listener);
    if (bound === undefined) return Promise.reject(new NicError('EBADF', `${this.name}: no listener ${listener}`));
    this.listeners.delete(listener);
    this.ports.unbind(bound.address, bound.port);
    return Promise.resolve();
  }

  connect(host: string, port: number): FlowId {
    this.checkUsable('connect');
    if (!(Number.isInteger(port) && port >= 1 && port <= 65_535)) throw new RangeError(`port must be an integer in [1, 65535], got ${String(port)}`);
    if (this.flows.size >= this.flowsMax) {
      this.counters.flowsRefused++;
      throw new NicError('EMFILE', `${this.name}: ${this.flowsMax} flows are open`);
    }
    const flow = this.newFlow();
    const remoteAddress = this.wiring.resolve(host);
    if (remoteAddress === null) {
      this.closeFlow(flow, { code: 'ENOTFOUND', message: `no simulated host is named ${host}` });
      return flow.id;
    }
    const localAddress = remoteAddress === loopbackAddress ? loopbackAddress : this.address;
    const local: Endpoint = { address: localAddress, port: this.ports.ephemeral() };
    const remote: Endpoint = { address: remoteAddress, port };
    const connection = this.newConnection(local, remote, flow, null);
    flow.connection = connection;
    connection.open();
    return flow.id;
  }

  write(flowId: FlowId, bytes: Uint8Array): boolean {
    const flow = this.flow(flowId);
    if (!(bytes instanceof Uint8Array)) throw new TypeError(`${this.name}: write takes a Uint8Array`);
    if (flow.writesRefused || flow.connection === null) throw new NicError('EPIPE', `${this.name}: flow ${flowId} is ended or closed: it takes no more writes`);
    // Memory another CPU or the VM may rewrite is copied: the driver keeps what it was given.
    const owned = mayBeRewritten(bytes) ? new Uint8Array(bytes) : bytes;
    const below = flow.connection.write(owned);
    this.counters.bytesSent += bytes.byteLength;
    return below;
  }

  end(flowId: FlowId): void {
    const flow = this.flow(flowId);
    if (flow.writesRefused) return;
    flow.writesRefused = true;
    flow.connection?.end();
  }

  destroy(flowId: FlowId): void {
    const flow = this.flow(flowId);
    flow.writesRefused = true;
    if (!flow.closed) flow.connection?.destroy();
  }

  credit(flowId: FlowId, chunks: number): void {
    const flow = this.flow(flowId);
    if (!(Number.isInteger(chunks) && chunks >= 1)) throw new RangeError(`credit must be a positive integer of chunks, got ${String(chunks)}`);
    if (flow.credits + chunks > this.receiveCreditChunks)
      throw new NicError('EINVAL', `${this.name}: flow ${flowId} was given back more credits than it spent`);
    flow.credits += chunks;
    if (!flow.closed) flow.connection?.credit(chunks);
  }

  release(flowId: FlowId): void {
    const flow = this.flow(flowId);
    if (!flow.closed) throw new NicError('EBUSY', `${this.name}: flow ${flowId} is still open: release it after its closed event`);
    this.flows.delete(flowId);
  }

  stats(): NicStats {
    let flowsOpen = 0;
    for (const flow of this.flows.values()) if (!flow.closed) flowsOpen++;
    return { flowsOpen, ...this.counters };
  }

  close(): Promise<void> {
    this.closing = true;
    for (const listener of [...this.listeners.keys()]) void this.unlisten(listener);
    for (const flow of this.flows.values()) if (!flow.closed) this.destroy(flow.id);
    // Handshakes under way belong to no flow: reset them too, so nothing of this host lingers.
    for (const connection of [...this.connections.values()]) if (connection.state === 'syn-received') connection.destroy();
    return Promise.resolve();
  }

  /** network: a packet for this host arrived off the wire. */
  receive(packet: WirePacket): void {
    const segment = packet.segment;
    const key = connectionKey({ address: packet.targetAddress, port: segment.targetPort }, { address: packet.sourceAddress, port: segment.sourcePort });
    const connection = this.connections.get(key);
    if (connection !== undefined) {
      connection.receive(segment);
      return;
    }
    if (segment.syn && !segment.hasAck && !segment.rst) {
      this.receiveSyn(packet);
      return;
    }
    this.refuse(packet);
  }

  /** A SYN for no connection: a new passive connection if a listener takes it, else a reset. */
  private receiveSyn(packet: WirePacket): void {
    const segment = packet.segment;
    const listener = this.listenerFor(packet.targetAddress, segment.targetPort);
    if (listener === null || this.closing) {
      this.refuse(packet);
      return;
    }
    if (listener.pending >= listener.backlog) return; // a full backlog ignores the SYN: the peer retries
    if (this.flows.size + this.pendingHandshakes >= this.flowsMax) {
      this.counters.flowsRefused++;
      this.refuse(packet);
      return;
    }
    listener.pending++;
    this.pendingHandshakes++;
    const local: Endpoint = { address: packet.targetAddress, port: segment.targetPort };
    const remote: Endpoint = { address: packet.sourceAddress, port: segment.sourcePort };
    this.ports.hold(local.port);
    this.newConnection(local, remote, null, { listener, syn: segment }).open();
  }

  /** Answers a segment nobody here takes with a reset, unless it is one. */
  private refuse(packet: WirePacket): void {
    const reset = resetAnswering(packet.segment);
    if (reset !== null) this.wiring.send({ sourceAddress: packet.targetAddress, targetAddress: packet.sourceAddress, segment: reset });
  }

  /**
   * A connection between `local` and `remote`, registered under its endpoints: for `flow` (an
   * active open), or for a handshake on `passive.listener` that becomes a flow once it completes.
   */
  private newConnection(local: Endpoint, remote: Endpoint, active: Flow | null, passive: { listener: Listener; syn: TcpSegment } | null): TcpConnection {
    const key = connectionKey(local, remote);
    assert(!this.connections.has(key), 'one connection per pair of endpoints');
    let flow = active;
    let handshaking = passive !== null;
    const endHandshake = (): void => {
      if (!handshaking || passive === null) return;
      handshaking = false;
      passive.listener.pending--;
      this.pendingHandshakes--;
    };
    const port: ConnectionPort = {
      transmit: (segment) => this.wiring.send({ sourceAddress: local.address, targetAddress: remote.address, segment }),
      established: () => {
        if (passive === null) {
          this.counters.flowsConnected++;
          this.raise({ kind: 'connected', flow: flow!.id, local, remote });
          return true;
        }
        endHandshake();
        const listening = this.listeners.get(passive.listener.id) === passive.listener;
        if (!listening || this.closing || this.flows.size >= this.flowsMax) {
          if (listening) this.counters.flowsRefused++;
          return false;
        }
        flow = this.newFlow();
        flow.connection = connection;
        this.counters.flowsAccepted++;
        this.raise({ kind: 'accepted', flow: flow.id, listener: passive.listener.id, local, remote });
        return true;
      },
      data: (bytes) => {
        flow!.credits--;
        assert(flow!.credits >= 0, 'no data event without a credit');
        this.counters.bytesReceived += bytes.byteLength;
        this.raise({ kind: 'data', flow: flow!.id, bytes });
      },
      ended: () => this.raise({ kind: 'ended', flow: flow!.id }),
      writable: () => this.raise({ kind: 'writable', flow: flow!.id }),
      paused: () => this.counters.receivePauses++,
      closed: (fault) => {
        this.closeFlow(flow!, fault);
        if (connection.state === 'time-wait') this.enterTimeWait(key);
      },
      abandoned: endHandshake,
      gone: () => {
        this.connections.delete(key);
        this.timeWaits.delete(key);
        this.ports.release(local.port);
      },
    };
    const connection = new TcpConnection({
      localPort: local.port,
      remotePort: remote.port,
      iss: this.wiring.random.int(initialSequenceNumbersMax),
      settings: this.wiring.tcp,
      clock: this.wiring.clock,
      credits: this.receiveCreditChunks,
      port,
      ...(passive === null ? {} : { peerSyn: passive.syn }),
    });
    this.connections.set(key, connection);
    if (active !== null) this.ports.hold(local.port);
    return connection;
  }

  private enterTimeWait(key: string): void {
    this.timeWaits.add(key);
    if (this.timeWaits.size <= timeWaitConnectionsMax) return;
    // Too many lingering: forget the oldest. A FIN it would have acknowledged now gets a reset, which
    // the peer (in LAST-ACK: both FINs sent) takes as the end of a connection that was over anyway.
    const oldest = this.timeWaits.values().next().value as string;
    this.timeWaits.delete(oldest);
    this.connections.get(oldest)?.forget();
  }

  private newFlow(): Flow {
    const flow: Flow = { id: this.nextFlow++, connection: null, credits: this.receiveCreditChunks, writesRefused: false, closed: false };
    this.flows.set(flow.id, flow);
    return flow;
  }

  private closeFlow(flow: Flow, fault: NicFault | null): void {
    assert(!flow.closed, 'a flow closes once');
    flow.closed = true;
    flow.writesRefused = true;
    this.raise({ kind: 'closed', flow: flow.id, fault });
  }

  private listenerFor(address: string, port: number): Listener | null {
    for (const listener of this.listeners.values()) {
      if (listener.port === port && (listener.address === address || listener.address === anyAddress)) return listener;
    }
    return null;
  }

  /** The address a listener binds for `host`: one of this host's, or EADDRNOTAVAIL. */
  private boundAddress(host: string): string {
    if (host === anyAddress || host === loopbackAddress || host === this.address) return host;
    if (host === 'localhost') return loopbackAddress;
    if (host === this.name) return this.address;
    throw new NicError('EADDRNOTAVAIL', `${this.name} has no address ${host}`);
  }

  /** Raises `event` as an interrupt: in a clock callback of its own, after the current work. */
  private raise(event: NicEvent): void {
    const sink = this.sink;
    if (sink === null) throw new NicError('ENODEV', `${this.name}: a NIC event came before a sink was attached`);
    this.wiring.clock.schedule(() => sink(event));
  }

  private flow(flowId: FlowId): Flow {
    const flow = this.flows.get(flowId);
    if (flow === undefined) throw new NicError('EBADF', `${this.name}: no flow ${flowId}`);
    return flow;
  }

  private checkUsable(operation: string): void {
    if (this.sink === null) throw new NicError('ENODEV', `${this.name}: attach a sink before you ${operation}`);
    if (this.closing) throw new NicError('ESHUTDOWN', `${this.name}: the NIC is closed: cannot ${operation}`);
  }
}

function connectionKey(local: Endpoint, remote: Endpoint): string {
  return `${local.address}:${local.port}|${remote.address}:${remote.port}`;
}
