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
import type { ChildSpec } from '../../supervisors/child-spec.js';
import type { InterruptController } from '../irq/controller.js';
import { interruptHandler } from '../irq/handler.js';
import type { VectorNumber } from '../irq/vector.js';
import type { SubsystemHost } from '../plugin/subsystem.js';
import type { ActorRef } from '../runtime/ref.js';
import { fromSystem } from '../runtime/system-context.js';
import { type ChannelHost, NetChannel } from './channel.js';
import type { ConnectionFactory } from './connection.js';
import { NetConfigError } from './errors.js';
import { classifierBatchEvents, connectionShutdownMs, nicRingEventsMax } from './limits.js';
import type { Socket } from './socket.js';

/** How to listen: where, and the connection each accepted flow gets. */
export interface ListenSpec extends ListenOptions {
  readonly connection: ConnectionFactory;
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
  /** Data bytes that came for a flow whose owner was gone (the flow was reset). */
  readonly droppedBytes: number;
  readonly driver: NicStats;
}

export class AttachedNic implements ChannelHost {
  private readonly channels = new Map<FlowId, NetChannel>();
  private readonly listeners = new Map<ListenerId, { readonly spec: ListenSpec; readonly listening: Listening }>();
  private readonly connecting = new Map<FlowId, { readonly factory: ConnectionFactory; resolve(socket: Socket): void; reject(error: unknown): void }>();
  private vector: VectorNumber<NicEvent> | null = null;
  private readonly toWake: NetChannel[] = [];
  private eventsClassified = 0;
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
    this.irq.onFree(vector, () => {
      this.vector = null;
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
    const flow = this.driver.connect(host, port);
    return new Promise((resolve, reject) => this.connecting.set(flow, { factory: connection, resolve, reject }));
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
          else this.startOwner(channel, listener.spec.connection);
          break;
        }
        case 'connected': {
          const pending = this.connecting.get(event.flow);
          if (pending === undefined) invariantBroken(`NIC ${this.name} connected flow ${event.flow}, which nobody opened`);
          this.connecting.delete(event.flow);
          this.startOwner(this.open(event.flow, event.local, event.remote), pending.factory).then(pending.resolve, pending.reject);
          break;
        }
        case 'writable': {
          const channel = this.channel(event.flow);
          if (channel.state !== 'aborting' && channel.writable() && channel.inbound.count > 0) this.markForWake(channel);
          break;
        }
        default: {
          const channel = this.channels.get(event.flow);
          if (channel === undefined) {
            this.connectFailed(event);
            break;
          }
          if (channel.state === 'aborting') {
            if (event.kind === 'data') this.countDropped(event.bytes.byteLength);
            else if (event.kind === 'closed') {
              channel.step({ type: 'net.closed' });
              this.forget(channel);
            }
            break;
          }
          channel.push(event);
          this.markForWake(channel);
        }
      }
    }
    for (const channel of toWake) this.wake(channel);
    toWake.length = 0;
  }

  private markForWake(channel: NetChannel): void {
    if (channel.wakeQueued || channel.owner === null) return;
    channel.wakeQueued = true;
    this.toWake.push(channel);
  }

  private wake(channel: NetChannel): void {
    const owner = channel.owner;
    this.wakes++;
    // An owner that is stopping runs no more turns: its `stopped` hook resets the flow.
    if (owner === null || !this.host.kernel.runInTurnOf(owner.ref as ActorRef<never>, (self) => channel.service() && self.stop())) channel.wakeQueued = false;
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

  /** Starts the owner actor of `channel` under the `net` supervisor; resolves with its socket once it runs. */
  private async startOwner(channel: NetChannel, factory: ConnectionFactory): Promise<Socket> {
    try {
      await this.host.supervisor().ask({ type: 'start-child', spec: ownerSpec(this, channel, factory) });
    } catch (error) {
      channel.ownerGone();
      throw error;
    }
    return channel.socket;
  }

  /** @internal The owner of `channel` runs: it takes what queued meanwhile. */
  bound(channel: NetChannel): void {
    channel.step({ type: 'net.bind' });
    if (channel.inbound.count > 0 && !channel.wakeQueued) {
      channel.wakeQueued = true;
      this.wake(channel);
    }
  }

  forget(channel: NetChannel): void {
    if (this.channels.get(channel.flow) !== channel) invariantBroken(`flow ${channel.flow} of NIC ${this.name} is forgotten twice`);
    this.channels.delete(channel.flow);
    this.driver.release(channel.flow);
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
      const cpu = channel.owner?.kernel.cpu;
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
      driver: this.driver.stats(),
    };
  }

  /** Closes the driver (every flow is reset, every listener stops) and frees the vector. */
  async detach(): Promise<void> {
    await this.driver.close();
    if (this.vector !== null) await this.irq.free(this.vector);
  }
}

/** The child spec of a flow's owner actor: temporary (a crashed connection is not restarted: its flow was reset). */
function ownerSpec(nic: AttachedNic, channel: NetChannel, factory: ConnectionFactory): ChildSpec<never> {
  const label = `connection.${nic.name}`;
  return {
    id: `${nic.name}.flow-${channel.flow}`,
    start: fromSystem<never>((ctx) => {
      channel.owner = ctx.cell;
      return {
        receive: (message) => invariantBroken(`${label} takes no mail (got ${JSON.stringify(message)})`),
        started() {
          channel.connection = factory(channel.socket, ctx);
          nic.bound(channel);
        },
        stopped() {
          channel.ownerGone();
        },
      };
    }, label),
    restart: 'temporary',
    shutdown: connectionShutdownMs,
  };
}
