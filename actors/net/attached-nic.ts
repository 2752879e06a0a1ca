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
import { classifierBatchEvents, connectionShutdownMs, nicRingEventsMax } from './limits.js';
import { startOwner, wakeOwner } from './owners.js';
import { PacketBuffers, packetVm } from './packet-buffers.js';
import type { Socket } from './socket.js';
import { NET_EVENTS, NET_OPEN, type NetOps } from '../../protocols/net.js';

/** Where a listener's flows get their owners (see `ListenSpec.placement`). */
export type Placement = 'nic-cpu' | 'spread' | 'workers';

/** How to listen: where, the connection each accepted flow gets, and where its owner runs. */
export interface ListenSpec extends ListenOptions {
  /** A factory (its owners run on the NIC's CPU), or a handler a boot module defines (they may run on any). */
  readonly connection: ConnectionFactory | ConnectionHandler;
  /**
   * Where each accepted flow's owner runs: `nic-cpu` (the default); `spread`, round robin over the
   * machine's CPUs that are up, the NIC's among them; or `workers`, round robin over the CPUs
   * other than the NIC's, which it leaves to the sockets (memcached's worker threads), or on the
   * NIC's CPU when no other is up. The last two take a `connectionHandler`.
   */
  readonly placement?: Placement;
}

const placements: readonly Placement[] = ['nic-cpu', 'spread', 'workers'];

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
  /**
   * Data bytes dropped: they came for a flow whose owner was gone, its owner sent them after the
   * flow ended or closed, or they waited to be sent when it closed.
   */
  readonly droppedBytes: number;
  /** Times a far owner's data waited for a packet buffer (the pool was full: `packetPoolBytes`). */
  readonly bufferWaits: number;
  /** Bytes of packet buffers holding data for far owners now. */
  readonly packetBytesInUse: number;
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
  /** The packet buffers far owners' data crosses in: mapped at the first listen that spreads. */
  private packets: PacketBuffers | null = null;
  /** Far channels with data that waits for a packet buffer. */
  private readonly awaitingBuffers = new Set<NetChannel>();
  /** Inside `shipAll`. */
  private shipping = false;
  private eventsClassified = 0;
  private bufferWaits = 0;
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
      for (const channel of [...this.channels.values()]) {
        if (channel.farCpu !== cpu) continue;
        // A closed flow waited for its buffers only: nobody will read them now.
        if (channel.state === 'closed') this.forget(channel);
        else channel.ownerGone();
      }
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
    const placement = spec.placement ?? 'nic-cpu';
    if (!placements.includes(placement)) throw new NetConfigError(`NIC ${this.name}: placement is one of ${placements.join(', ')}, not '${String(placement)}'`);
    if (placement !== 'nic-cpu' && typeof spec.connection === 'function') {
      throw new NetConfigError(
        `NIC ${this.name}: owners placed on other CPUs run a connection handler a boot module defines (connectionHandler(name, factory)), not a bare factory`,
      );
    }
    if (placement !== 'nic-cpu' && this.packets === null) {
      const packets = await PacketBuffers.create(packetVm(this.host.kernel));
      if (this.packets === null) this.packets = packets;
      else await packets.unmap();
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
    // Shipping forgets closed channels, which frees buffers, which marks waiting channels: those
    // join this loop (see buffersFreed) rather than start another.
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
    const packets = this.packets!;
    for (const channel of this.toShip) {
      const signals = this.signals.get(channel)!;
      this.signals.delete(channel);
      const cpu = channel.farCpu!;
      if (routing.isDown(cpu)) {
        // Its owner went with its CPU: the flow is reset.
        channel.ownerGone();
        continue;
      }
      const events: FarEvent[] = [];
      // The signals first: `closed` stays the last event the far owner gets. (Before the data is as
      // good as after: the far channel holds its data back while blocked either way.)
      events.push(...signals);
      let closed = false;
      while (channel.inbound.count > 0) {
        const event = channel.inbound.peek();
        if (event.kind === 'data') {
          // Copied once into a packet buffer; only its address crosses. A full pool keeps the
          // rest here, in order, until buffers come back.
          const address = packets.allocate(event.bytes.byteLength);
          if (address === null) {
            this.awaitingBuffers.add(channel);
            this.bufferWaits++;
            break;
          }
          packets.memory.write(address, event.bytes);
          channel.farBuffers.push(address);
          events.push(['data', address, event.bytes.byteLength]);
        } else if (event.kind === 'ended' || event.kind === 'closed') {
          events.push(farEventOf(event));
          // This side of the channel follows the flow's life as the owner's side does.
          if (event.kind === 'ended') channel.step({ type: 'net.peer-end' });
          closed ||= event.kind === 'closed';
        } else {
          invariantBroken(`a ${event.kind} event in the channel of flow ${channel.flow}, whose owner is far`);
        }
        channel.inbound.shift();
      }
      if (events.length > 0) {
        // A wake of the owner there, unless the frame only carries the NIC CPU's word on its sends.
        if (events.length > signals.length) this.wakes++;
        routing.send(cpu, { type: NET_EVENTS, nic: this.name, flow: channel.flow, events });
      }
      if (closed) {
        channel.step({ type: 'net.closed' });
        // The owner still reads the buffers it was sent: the flow is forgotten once it gave them all back.
        if (channel.farBuffers.length === 0) this.forget(channel);
      }
    }
    this.toShip.length = 0;
  }

  /** Starts the owner of a flow accepted on a listener: here, or on the CPU its turn in the round robin names. */
  private place(channel: NetChannel, spec: ListenSpec): void {
    const connection = spec.connection;
    const placement = spec.placement ?? 'nic-cpu';
    const cpu = placement === 'nic-cpu' ? this.host.kernel.cpu : this.nextCpuUp(placement === 'workers');
    if (cpu === this.host.kernel.cpu) {
      startOwner(this.host, channel, typeof connection === 'function' ? connection : connection.factory).catch(() => undefined);
      return;
    }
    channel.farCpu = cpu;
    channel.step({ type: 'net.bind' });
    const handler = (connection as ConnectionHandler).name;
    const { local, remote, flow } = channel;
    const credits = this.driver.receiveCreditChunks;
    this.host.routing!.send(cpu, { type: NET_OPEN, nic: this.name, flow, handler, local, remote, credits });
  }

  /**
   * The far owner's CPU has copied out `copied` chunks since the flow opened (a running count):
   * the buffers of those not counted before are free, oldest first, and data that waited for
   * buffers ships. A closed flow goes once its owner's CPU has given every buffer back.
   */
  private buffersCopied(channel: NetChannel, copied: number): void {
    const newly = copied - channel.farBuffersCopied;
    if (newly < 0 || newly > channel.farBuffers.length)
      invariantBroken(
        `the far owner of flow ${channel.flow} copied ${copied} chunks, against ${channel.farBuffersCopied} before and ${channel.farBuffers.length} out`,
      );
    if (newly === 0) return;
    channel.farBuffersCopied = copied;
    for (let chunk = 0; chunk < newly; chunk++) this.packets!.free(channel.farBuffers.shift()!);
    if (channel.state === 'closed' && channel.farBuffers.length === 0) this.forget(channel);
    this.buffersFreed();
  }

  /** Packet buffers came back: every channel that waited for one tries again. */
  private buffersFreed(): void {
    for (const waiting of this.awaitingBuffers) this.markForWake(waiting);
    this.awaitingBuffers.clear();
    this.shipAll();
  }

  /** The next CPU that is up, round robin, skipping the NIC's own when `othersOnly` (the NIC's if none other is up). */
  private nextCpuUp(othersOnly: boolean): number {
    const routing = this.host.routing;
    const home = this.host.kernel.cpu;
    if (routing === null) return home;
    for (let tries = 0; tries < routing.cpus; tries++) {
      const cpu = this.nextCpu;
      this.nextCpu = (cpu + 1) % routing.cpus;
      if (cpu === home ? !othersOnly : !routing.isDown(cpu)) return cpu;
    }
    return home;
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
    // Credits are the NIC's (chunks taken); buffers come back as they are copied out, which a
    // blocked owner does before it takes them.
    if (ops.credits > 0 && channel.state !== 'closed') this.driver.credit(channel.flow, ops.credits);
    this.buffersCopied(channel, ops.copied);
    // The last buffers of a closed flow came back: it is forgotten, and what else came is moot.
    if (this.channels.get(ops.flow) !== channel) return;
    const wasBlocked = channel.sendBlocked;
    let taken = 0;
    try {
      for (const bytes of ops.sends) {
        // Refused (the flow ended or closed meanwhile): counted, and taken all the same for the budget.
        if (!channel.send(bytes)) this.countDropped(bytes.byteLength);
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
    this.awaitingBuffers.delete(channel);
    // What it had out is free again.
    if (channel.farBuffers.length > 0) {
      for (const address of channel.farBuffers) this.packets!.free(address);
      channel.farBuffers.length = 0;
      this.buffersFreed();
    }
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
      bufferWaits: this.bufferWaits,
      packetBytesInUse: this.packets?.bytesInUse ?? 0,
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
    // Buffers still out (an owner that did not stop in time) keep the pool mapped: unmapping it
    // under a reader would fault there.
    if (this.packets?.bytesInUse === 0) await this.packets.unmap();
    this.packets = null;
  }
}
