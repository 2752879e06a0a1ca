/**
 * One NIC attached to the net stack: its interrupt vector, whose handler is the **classifier**, its
 * listeners, and the channel of each of its flows.
 *
 * The driver's events are interrupts: the ISR only records each in the vector's ring, and the
 * classifier (the vector's handler actor, woken once per burst) hands each to its flow's channel.
 * It then wakes each owner whose channel got something, once per batch however many packets came:
 * OSv's `classifier::post_packet` wakes per packet and carries "FIXME: find a way to batch wakes".
 * Protocol work (parsing, replies) runs in the owner's turn, not in the classifier's.
 *
 * The vector's ring is sized for every event the NIC can have outstanding (`eventsOutstandingMax`:
 * each open flow's receive credits and control events), so it never overruns.
 */
import {
  eventsOutstandingMax,
  type FlowId,
  type Listening,
  type ListenerId,
  type ListenOptions,
  type NicDriver,
  NicError,
  type NicEvent,
  type NicStats,
} from '../../drivers/nic/nic.js';
import { invariantBroken } from '../../ground/assert.js';
import type { ChannelStateName } from '../../protocols/net.js';
import type { InterruptController } from '../irq/controller.js';
import { interruptHandler } from '../irq/handler.js';
import type { VectorNumber } from '../irq/vector.js';
import type { SubsystemHost } from '../plugin/subsystem.js';
import { type ChannelHost, NetChannel } from './channel.js';
import type { ConnectionFactory } from './connection.js';
import type { ConnectionHandler } from './connection-handler.js';
import { NetConfigError, NetSendOverflowError } from './errors.js';
import { type FarEvent, farEventOf } from './far-events.js';
import {
  classifierBatchEvents,
  connectionShutdownMs,
  farFrameDataBytesMax,
  farPieceBytesMax,
  farPiecesPerChunkMax,
  farShippedBytesMax,
  nicRingEventsMax,
} from './limits.js';
import { startOwner, wakeOwner } from './owners.js';
import type { Socket } from './socket.js';
import { NET_EVENTS, NET_OPEN, type NetOps } from '../../protocols/net.js';

/** How to listen: where, the connection each accepted flow gets, and where its owner runs. */
export interface ListenSpec extends ListenOptions {
  /** A factory (its owners run on the NIC's CPU), or a handler a boot module defines (they may run on any). */
  readonly connection: ConnectionFactory | ConnectionHandler;
  /**
   * Where each accepted flow's owner runs: `nic-cpu` (the default), or `spread`, round robin over
   * the machine's CPUs that are up (the NIC's among them), which takes a `connectionHandler`.
   */
  readonly placement?: 'nic-cpu' | 'spread';
}

/** What `kernel.status()` shows of one NIC under `net.nics.<name>`. */
export interface NicStatus {
  readonly kind: NicDriver['kind'];
  readonly listeners: readonly { readonly host: string; readonly port: number }[];
  /** Channels by state. */
  readonly channels: Readonly<Partial<Record<ChannelStateName, number>>>;
  /** Where owner actors are placed: the CPU of each, counted. */
  readonly ownersByCpu: Readonly<Record<number, number>>;
  readonly eventsClassified: number;
  /** Owner wakes: fewer than events, as wakes are batched. */
  readonly wakes: number;
  /** Data bytes dropped: they came for a flow whose owner was gone, or a far owner sent them after its flow closed. */
  readonly droppedBytes: number;
  /** Times a far owner's data waited for its CPU's budget of bytes in flight (`farShippedBytesMax`). */
  readonly budgetWaits: number;
  readonly driver: NicStats;
}

export class AttachedNic implements ChannelHost {
  private readonly channels = new Map<FlowId, NetChannel>();
  private readonly listeners = new Map<ListenerId, { readonly spec: ListenSpec; readonly listening: Listening }>();
  private readonly connecting = new Map<FlowId, { readonly factory: ConnectionFactory; resolve(socket: Socket): void; reject(error: unknown): void }>();
  private vector: VectorNumber<NicEvent> | null = null;
  private readonly toWake: NetChannel[] = [];
  /** Channels whose owner runs on another CPU and that have something to send it (see `ship`). */
  private readonly toShip: NetChannel[] = [];
  /** What each such channel sends its owner besides its queued events: `blocked` and `writable`. */
  private readonly signals = new Map<NetChannel, FarEvent[]>();
  /** The CPU the next spread owner goes to. */
  private nextCpu = 0;
  /** Data bytes shipped to each other CPU and not given back yet (at most `farShippedBytesMax`). */
  private readonly shippedBytes = new Map<number, number>();
  /** Far channels with data that waits for their CPU's budget. */
  private readonly awaitingBudget = new Set<NetChannel>();
  /** Inside `shipAll`. */
  private shipping = false;
  private eventsClassified = 0;
  private budgetWaits = 0;
  /** Set while `detach` waits for the last channel to go. */
  private drained: (() => void) | null = null;
  private wakes = 0;
  private droppedBytes = 0;

  constructor(
    readonly name: string,
    readonly driver: NicDriver,
    private readonly host: SubsystemHost,
    private readonly irq: InterruptController,
  ) {}

  /** Allocates the vector, with the classifier as its handler, and attaches the driver's ISR to it. */
  async start(): Promise<void> {
    const outstanding = eventsOutstandingMax(this.driver.flowsMax, this.driver.receiveCreditChunks);
    if (outstanding > nicRingEventsMax) {
      throw new NetConfigError(
        `NIC ${this.name}: ${this.driver.flowsMax} flows × ${this.driver.receiveCreditChunks} credits need a ring of ${outstanding} events; the most is ${nicRingEventsMax}`,
      );
    }
    const vector = await this.irq.allocate<NicEvent>({
      name: `nic.${this.name}`,
      handler: interruptHandler<NicEvent>((events) => this.classify(events), { label: `classifier.${this.name}` }),
      ringCapacity: 2 ** Math.ceil(Math.log2(outstanding)),
      batchEvents: classifierBatchEvents,
    });
    this.vector = vector;
    // An owner's CPU that dies takes its flows with it: each is reset now, busy or idle.
    const stopWatching = this.host.routing?.onCpuDown((cpu) => {
      for (const channel of [...this.channels.values()]) if (channel.farCpu === cpu) channel.ownerGone();
    });
    this.irq.onFree(vector, () => {
      this.vector = null;
      stopWatching?.();
      this.driver.close().catch(() => undefined);
    });
    this.driver.attach((event) => {
      // The ISR: record and wake, nothing more. A vector freed under a live driver (the kernel is
      // stopping) resets what comes: the peers see the reset, nothing is silently lost.
      if (this.vector === null || !this.irq.raise(this.vector, event)) {
        if (event.kind !== 'closed') this.driver.destroy(event.flow);
      }
    });
  }

  /** Listens; each connection accepted gets an owner actor running `spec.connection`. */
  async listen(spec: ListenSpec): Promise<Listening> {
    if (spec.placement === 'spread' && typeof spec.connection === 'function') {
      throw new NetConfigError(
        `NIC ${this.name}: owners spread over CPUs run a connection handler a boot module defines (connectionHandler(name, factory)), not a bare factory`,
      );
    }
    const listening = await this.driver.listen(spec);
    this.listeners.set(listening.listener, { spec, listening });
    return listening;
  }

  /** Stops listening; connections accepted go on. */
  async unlisten(listener: ListenerId): Promise<void> {
    this.listeners.delete(listener);
    await this.driver.unlisten(listener);
  }

  /** Connects out; resolves with the socket once its owner actor runs `connection`, or rejects with the NIC's fault. */
  connect(host: string, port: number, connection: ConnectionFactory): Promise<Socket> {
    return new Promise((resolve, reject) => {
      // A driver that refuses at once (no flow left, a closed NIC) rejects the promise, as a failed connection does.
      const flow = this.driver.connect(host, port);
      this.connecting.set(flow, { factory: connection, resolve, reject });
    });
  }

  /** The classifier: each event to its flow's channel, then one wake per channel that got something. */
  private classify(events: readonly NicEvent[]): void {
    const toWake = this.toWake;
    for (const event of events) {
      this.eventsClassified++;
      switch (event.kind) {
        case 'accepted': {
          const listener = this.listeners.get(event.listener);
          const channel = this.open(event.flow, event.local, event.remote);
          if (listener === undefined) channel.ownerGone();
          else this.place(channel, listener.spec);
          break;
        }
        case 'connected': {
          const pending = this.connecting.get(event.flow);
          if (pending === undefined) invariantBroken(`NIC ${this.name} connected flow ${event.flow}, which nobody opened`);
          this.connecting.delete(event.flow);
          startOwner(this.host, this.open(event.flow, event.local, event.remote), pending.factory).then(pending.resolve, pending.reject);
          break;
        }
        case 'writable': {
          const channel = this.channel(event.flow);
          if (channel.state === 'aborting' || !channel.writable()) break;
          if (channel.farCpu !== null) this.signal(channel, ['writable']);
          else if (channel.inbound.count > 0) this.markForWake(channel);
          break;
        }
        default: {
          const channel = this.channels.get(event.flow);
          if (channel === undefined) this.connectFailed(event);
          else if (channel.take(event)) this.markForWake(channel);
        }
      }
    }
    for (const channel of toWake) if (wakeOwner(this.host.kernel, channel)) this.wakes++;
    toWake.length = 0;
    this.shipAll();
  }

  /** After a batch, each channel that got something has its owner woken once (or its batch shipped, for a far owner). */
  private markForWake(channel: NetChannel): void {
    if (channel.farCpu !== null) {
      if (!this.signals.has(channel)) {
        this.signals.set(channel, []);
        this.toShip.push(channel);
      }
    } else if (channel.owner !== null && !channel.wakeQueued) {
      this.toWake.push(channel);
    }
  }

  /** Queues `event` for the far owner of `channel`, with its next batch. */
  private signal(channel: NetChannel, event: FarEvent): void {
    this.markForWake(channel);
    this.signals.get(channel)!.push(event);
  }

  /**
   * Sends each far owner its channel's queued events and signals, one frame per channel: a burst
   * of packets for a flow crosses as one batch, however many came.
   */
  private shipAll(): void {
    // Shipping forgets closed channels, which frees budget, which marks waiting channels: those join
    // this loop (see unship) rather than start another.
    if (this.shipping) return;
    this.shipping = true;
    try {
      this.shipEach();
    } finally {
      this.shipping = false;
    }
  }

  private shipEach(): void {
    const routing = this.host.routing!;
    for (const channel of this.toShip) {
      const signals = this.signals.get(channel)!;
      this.signals.delete(channel);
      const cpu = channel.farCpu!;
      if (routing.isDown(cpu)) {
        // Its owner went with its CPU: the flow is reset.
        channel.ownerGone();
        continue;
      }
      let events: FarEvent[] = [];
      let dataBytes = 0;
      const send = () => {
        this.wakes++;
        routing.send(cpu, { type: NET_EVENTS, nic: this.name, flow: channel.flow, events });
        events = [];
        dataBytes = 0;
      };
      // The signals first: `closed` stays the last event the far owner gets. (Before the data is as
      // good as after: the far channel holds its data back while blocked either way.)
      events.push(...signals);
      let closed = false;
      while (channel.inbound.count > 0) {
        const event = channel.inbound.peek();
        if (event.kind === 'data') {
          // Past its CPU's budget the rest waits here, in order, until credits come back (see farShippedBytesMax).
          const shipped = this.shippedBytes.get(cpu) ?? 0;
          if (shipped > 0 && shipped + event.bytes.byteLength > farShippedBytesMax) {
            this.awaitingBudget.add(channel);
            this.budgetWaits++;
            break;
          }
          this.shippedBytes.set(cpu, shipped + event.bytes.byteLength);
          channel.farShippedBytes += event.bytes.byteLength;
          channel.farChunkBytes.push(event.bytes.byteLength);
        }
        channel.inbound.shift();
        closed ||= event.kind === 'closed';
        // This side of the channel follows the flow's life as the owner's side does.
        if (event.kind === 'ended') channel.step({ type: 'net.peer-end' });
        if (event.kind !== 'data') {
          events.push(farEventOf(event));
          continue;
        }
        // A frame between CPUs holds 64 KiB: a chunk crosses in pieces, each a data event there.
        const bytes = event.bytes;
        const pieces = Math.max(1, Math.ceil(bytes.byteLength / farPieceBytesMax));
        if (pieces > farPiecesPerChunkMax)
          invariantBroken(`NIC ${this.name} gave flow ${channel.flow} a chunk of ${bytes.byteLength} bytes, past what crosses CPUs`);
        channel.farPieces.push(pieces);
        for (let offset = 0, piece = 0; piece < pieces; piece++, offset += farPieceBytesMax) {
          const part = bytes.subarray(offset, offset + farPieceBytesMax);
          if (dataBytes + part.byteLength > farFrameDataBytesMax) send();
          events.push(['data', part]);
          dataBytes += part.byteLength;
        }
      }
      if (events.length > 0) send();
      if (closed) {
        channel.step({ type: 'net.closed' });
        this.forget(channel);
      }
    }
    this.toShip.length = 0;
  }

  /** Starts the owner of a flow accepted on a listener: here, or on the CPU its turn in the round robin names. */
  private place(channel: NetChannel, spec: ListenSpec): void {
    const connection = spec.connection;
    const cpu = spec.placement === 'spread' ? this.spreadCpu() : this.host.kernel.cpu;
    if (cpu === this.host.kernel.cpu) {
      startOwner(this.host, channel, typeof connection === 'function' ? connection : connection.factory).catch(() => undefined);
      return;
    }
    channel.farCpu = cpu;
    channel.step({ type: 'net.bind' });
    const handler = (connection as ConnectionHandler).name;
    const { local, remote, flow } = channel;
    // The far queue holds every piece the flow's credits can bring.
    const credits = this.driver.receiveCreditChunks * farPiecesPerChunkMax;
    this.host.routing!.send(cpu, { type: NET_OPEN, nic: this.name, flow, handler, local, remote, credits });
  }

  /** Pieces given back by a far owner, turned into the chunks the NIC counts. */
  private creditPieces(channel: NetChannel, pieces: number): void {
    let returned = channel.farPiecesReturned + pieces;
    let chunks = 0;
    let bytes = 0;
    const shipped = channel.farPieces;
    while (shipped.length > 0 && returned >= shipped[0]!) {
      returned -= shipped.shift()!;
      bytes += channel.farChunkBytes.shift()!;
      chunks++;
    }
    if (shipped.length === 0 && returned > 0) invariantBroken(`the far owner of flow ${channel.flow} gave back more pieces than it was sent`);
    channel.farPiecesReturned = returned;
    if (chunks === 0) return;
    this.driver.credit(channel.flow, chunks);
    this.unship(channel, bytes);
  }

  /** `bytes` of `channel`'s shipped data are given back (or gone with the flow): channels that waited for the budget ship. */
  private unship(channel: NetChannel, bytes: number): void {
    const cpu = channel.farCpu!;
    channel.farShippedBytes -= bytes;
    this.shippedBytes.set(cpu, (this.shippedBytes.get(cpu) ?? 0) - bytes);
    for (const waiting of this.awaitingBudget) {
      if (waiting.farCpu !== cpu) continue;
      this.awaitingBudget.delete(waiting);
      this.markForWake(waiting);
    }
    this.shipAll();
  }

  /** The next CPU that is up, round robin. */
  private spreadCpu(): number {
    const routing = this.host.routing;
    if (routing === null) return this.host.kernel.cpu;
    for (let tries = 0; tries < routing.cpus; tries++) {
      const cpu = this.nextCpu;
      this.nextCpu = (cpu + 1) % routing.cpus;
      if (cpu === this.host.kernel.cpu || !routing.isDown(cpu)) return cpu;
    }
    return this.host.kernel.cpu;
  }

  /**
   * @internal What the far owner of `flow` did since its last batch (a `net.ops` frame). Ops for a
   * flow closed meanwhile are dropped: their sends are counted, and the owner has the flow's
   * `closed` on its way.
   */
  farOps(ops: NetOps): void {
    const channel = this.channels.get(ops.flow);
    if (channel === undefined || channel.farCpu === null) {
      for (const bytes of ops.sends) this.countDropped(bytes.byteLength);
      return;
    }
    if (ops.credits > 0) this.creditPieces(channel, ops.credits);
    const wasBlocked = channel.sendBlocked;
    let taken = 0;
    try {
      for (const bytes of ops.sends) {
        channel.send(bytes);
        taken += bytes.byteLength;
      }
    } catch (error) {
      // The far owner cannot be thrown at: a flood past the send queue's bound resets the flow.
      if (!(error instanceof NetSendOverflowError)) throw error;
      channel.destroy();
    }
    // Taken (written, or queued behind the NIC's mark): they count no more against the far CPU's budget.
    if (taken > 0) this.signal(channel, ['taken', taken]);
    if (!wasBlocked && channel.sendBlocked) this.signal(channel, ['blocked']);
    if (ops.end) channel.endLocal();
    if (ops.destroy) channel.destroy();
    this.shipAll();
  }

  /** A flow closed before it was ever connected: the connect fails with its fault. */
  private connectFailed(event: NicEvent): void {
    const pending = this.connecting.get(event.flow);
    if (pending === undefined || event.kind !== 'closed') invariantBroken(`NIC ${this.name} sent ${event.kind} for flow ${event.flow}, which it never opened`);
    this.connecting.delete(event.flow);
    this.driver.release(event.flow);
    pending.reject(new NicError(event.fault?.code ?? 'ECONNRESET', event.fault?.message ?? 'the connection closed before it was established'));
  }

  private open(flow: FlowId, local: NetChannel['local'], remote: NetChannel['remote']): NetChannel {
    if (this.channels.has(flow)) invariantBroken(`NIC ${this.name} opened flow ${flow} twice`);
    const channel = new NetChannel(this, flow, local, remote);
    this.channels.set(flow, channel);
    return channel;
  }

  forget(channel: NetChannel): void {
    if (this.channels.get(channel.flow) !== channel) invariantBroken(`flow ${channel.flow} of NIC ${this.name} is forgotten twice`);
    this.channels.delete(channel.flow);
    this.driver.release(channel.flow);
    this.awaitingBudget.delete(channel);
    // What it had out counts no more against its CPU's budget.
    if (channel.farShippedBytes > 0) this.unship(channel, channel.farShippedBytes);
    if (this.channels.size === 0) this.drained?.();
  }

  countDropped(bytes: number): void {
    this.droppedBytes += bytes;
  }

  private channel(flow: FlowId): NetChannel {
    const channel = this.channels.get(flow);
    if (channel === undefined) invariantBroken(`NIC ${this.name} sent an event for flow ${flow}, which has no channel`);
    return channel;
  }

  status(): NicStatus {
    const channels: Partial<Record<ChannelStateName, number>> = {};
    const ownersByCpu: Record<number, number> = {};
    for (const channel of this.channels.values()) {
      channels[channel.state] = (channels[channel.state] ?? 0) + 1;
      const cpu = channel.farCpu ?? channel.owner?.kernel.cpu;
      if (cpu !== undefined) ownersByCpu[cpu] = (ownersByCpu[cpu] ?? 0) + 1;
    }
    return {
      kind: this.driver.kind,
      listeners: [...this.listeners.values()].map(({ listening }) => ({ host: listening.host, port: listening.port })),
      channels,
      ownersByCpu,
      eventsClassified: this.eventsClassified,
      wakes: this.wakes,
      droppedBytes: this.droppedBytes,
      budgetWaits: this.budgetWaits,
      driver: this.driver.stats(),
    };
  }

  /** Closes the driver (every flow is reset, every listener stops) and frees the vector. */
  async detach(): Promise<void> {
    await this.driver.close();
    // The driver's `closed` events come on later ticks: the vector stays until they freed every
    // channel (and told each owner), or the owners' shutdown time passed.
    if (this.channels.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = this.host.kernel.clock.setTimer(connectionShutdownMs, () => resolve());
        this.drained = () => {
          this.host.kernel.clock.cancelTimer(timer);
          resolve();
        };
      });
      this.drained = null;
    }
    if (this.vector !== null) await this.irq.free(this.vector);
  }
}
