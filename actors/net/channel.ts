/**
 * A net channel (OSv's `net_channel`): one flow's bounded queue of NIC events from the classifier to
 * the flow's owner actor, the owner's socket, and the flow's life (machine.ts). The classifier
 * pushes and wakes; the owner's turn drains (`service`). The queue holds a flow's receive credits
 * plus its control events, which is every event the NIC can have outstanding for one flow, so a push
 * never fails: backpressure is the credits the owner has not given back yet.
 */
import type { AnyMachineSnapshot } from 'xstate';
import type { Endpoint, FlowId, NicDriver, NicEvent, NicFault } from '../../drivers/nic/nic.js';
import { controlEventsPerFlowMax, NicError } from '../../drivers/nic/nic.js';
import type { ChannelEvent, ChannelStateName } from '../../protocols/net.js';
import { BoundedQueue } from '../../ground/bounded-queue.js';
import { invariantBroken } from '../../ground/assert.js';
import { NetSendOverflowError } from './errors.js';
import type { Cell } from '../runtime/cell.js';
import type { ActorContext } from '../runtime/context.js';
import { xstate } from '../runtime/lazy-packages.js';
import type { Connection } from './connection.js';
import { sendQueueBytesMax } from './limits.js';
import { channelMachine, sendsAllowed } from './machine.js';
import { Socket } from './socket.js';

/** What a channel calls of its NIC: the driver itself, or, on an owner's CPU, a stand-in (far-nic.ts). */
export type ChannelDriver = Pick<NicDriver, 'receiveCreditChunks' | 'write' | 'end' | 'destroy' | 'credit'>;

/**
 * A chunk of a flow's data that waits in a packet buffer of the VM (packet-buffers.ts): what an
 * owner on another CPU than its NIC's finds in its channel. Its bytes are read in the owner's turn.
 */
export interface PacketEvent {
  readonly kind: 'packet';
  readonly flow: FlowId;
  readonly address: number;
  readonly length: number;
}

/** What a channel queues for its owner. */
export type InboundEvent = NicEvent | PacketEvent;

/** The bytes of data an event carries (0 for the others). */
function dataBytesOf(event: InboundEvent): number {
  return event.kind === 'data' ? event.bytes.byteLength : event.kind === 'packet' ? event.length : 0;
}

/** What a channel needs of the NIC it belongs to. */
export interface ChannelHost {
  readonly driver: ChannelDriver;
  readonly name: string;
  /** A copy of a packet buffer's bytes, for the owner to keep (channels of far owners only). */
  readonly packetBytes?: (address: number, length: number) => Uint8Array;

  /** The channel is closed: forget it and free its flow. */
  forget(channel: NetChannel): void;
  /** Bytes of data dropped because the flow's owner was gone. */
  countDropped(bytes: number): void;
}

export class NetChannel {
  state: ChannelStateName = 'accepting';
  private snapshot: AnyMachineSnapshot | null = null;
  readonly inbound: BoundedQueue<InboundEvent>;
  readonly socket = new Socket(this);
  /** The owner actor, once started, when it runs on this CPU; null before and after. */
  owner: Cell | null = null;
  /** On the NIC's CPU: the CPU the owner runs on, when not this one (see far-channels.ts). */
  farCpu: number | null = null;
  /**
   * On the NIC's CPU, for a far owner: the packet buffers shipped to it that its CPU has not copied
   * out yet, oldest first, and how many it has copied out since the flow opened. Chunks are copied
   * out in the order they came (taken by the owner, or spilled while it is blocked), so a count
   * names exactly which buffers are free.
   */
  readonly farBuffers: number[] = [];
  farBuffersCopied = 0;
  connection: Connection | null = null;
  /** A service of the queue is queued in the owner's system lane. */
  wakeQueued = false;
  /** The NIC's write buffer is over its mark: sends queue here until its `writable`. */
  sendBlocked = false;
  private readonly pendingSends: Uint8Array[] = [];
  private pendingBytes = 0;
  /** The owner ended its side while sends were queued: end once they are out. */
  private endWhenFlushed = false;
  bytesIn = 0;
  bytesOut = 0;

  constructor(
    readonly host: ChannelHost,
    readonly flow: FlowId,
    public local: Endpoint,
    public remote: Endpoint,
  ) {
    // Room for every event the NIC may have outstanding for one flow; it grows from 8 slots as needed.
    this.inbound = new BoundedQueue(host.driver.receiveCreditChunks + controlEventsPerFlowMax, 8);
  }

  /** Steps the life machine; returns whether the state changed. */
  step(event: ChannelEvent): boolean {
    const machine = channelMachine();
    const before = (this.snapshot ??= machine.resolveState({ value: this.state }));
    const [after] = xstate().transition(machine, before as never, event);
    this.snapshot = after;
    const next = after.value as ChannelStateName;
    if (next === this.state) return false;
    this.state = next;
    return true;
  }

  /**
   * Takes an event of the flow: queued for the owner (the queue has room by the credit rule, or the
   * NIC broke its contract), or, once the owner is gone, dropped and counted until the flow closes.
   * Returns whether it was queued.
   */
  take(event: InboundEvent): boolean {
    if (this.state === 'aborting') {
      if (event.kind === 'closed') {
        this.step({ type: 'net.closed' });
        this.host.forget(this);
      } else {
        this.host.countDropped(dataBytesOf(event));
      }
      return false;
    }
    // Data waits while sends are blocked, but a closed flow will never drain: what waits is
    // delivered (its sends are refused now), then `closed`. What the owner had queued is dropped.
    if (event.kind === 'closed' && this.sendBlocked) {
      this.sendBlocked = false;
      this.endWhenFlushed = false;
      this.host.countDropped(this.pendingBytes);
      this.pendingSends.length = 0;
      this.pendingBytes = 0;
    }
    if (!this.inbound.push(event)) invariantBroken(`flow ${this.flow} of ${this.host.name} brought more events than its credits allow`);
    if (event.kind === 'packet' && this.sendBlocked) this.spillPackets();
    return true;
  }

  /**
   * A far owner that cannot send takes no data, and what waits for it would hold packet buffers
   * that other flows need: each waiting chunk is copied into this CPU's heap and its buffer goes
   * back at once (its credit still waits for the owner to take it, so the flow stays bounded).
   */
  spillPackets(): void {
    const packetBytes = this.host.packetBytes;
    if (packetBytes === undefined) return;
    const queue = this.inbound;
    for (let index = queue.count; index > 0; index--) {
      const event = queue.shift();
      queue.push(event.kind === 'packet' ? { kind: 'data', flow: event.flow, bytes: packetBytes(event.address, event.length) } : event);
    }
  }

  send(bytes: Uint8Array): boolean {
    if (!sendsAllowed(this.state) || this.endWhenFlushed) return false;
    // One send past the queue's bound could never queue: the same error as a queue run over.
    if (bytes.byteLength > sendQueueBytesMax) throw new NetSendOverflowError(this.flow, sendQueueBytesMax);
    if (this.sendBlocked) {
      if (this.pendingBytes + bytes.byteLength > sendQueueBytesMax) throw new NetSendOverflowError(this.flow, sendQueueBytesMax);
      this.pendingSends.push(bytes);
      this.pendingBytes += bytes.byteLength;
      return true;
    }
    return this.write(bytes);
  }

  endLocal(): void {
    if (!sendsAllowed(this.state) || this.endWhenFlushed) return;
    if (this.sendBlocked) {
      this.endWhenFlushed = true;
      return;
    }
    this.host.driver.end(this.flow);
    this.step({ type: 'net.local-end' });
  }

  destroy(): void {
    if (this.state === 'closed') return;
    this.pendingSends.length = 0;
    this.pendingBytes = 0;
    this.host.driver.destroy(this.flow);
  }

  /** The NIC drained its write buffer: send what queued, end if asked; true if data may flow again. */
  writable(): boolean {
    this.sendBlocked = false;
    while (this.pendingSends.length > 0 && !this.sendBlocked) {
      const bytes = this.pendingSends.shift()!;
      this.pendingBytes -= bytes.byteLength;
      if (!this.write(bytes)) return false;
    }
    if (this.sendBlocked) return false;
    if (this.endWhenFlushed) {
      this.endWhenFlushed = false;
      this.endLocal();
    }
    return true;
  }

  /** `service` as the owner's turn runs it (made once: a wake allocates nothing); the owner stops once the flow closed. */
  readonly serviceInTurn = (self: ActorContext<never>): void => {
    if (this.service()) self.stop();
  };

  /**
   * The owner's turn: hands the queued events to its connection in order, stopping at data while
   * sends are blocked, and gives the data's credits back in one call. Returns true when the flow
   * closed (the owner should stop).
   */
  service(): boolean {
    this.wakeQueued = false;
    const connection = this.connection;
    if (connection === null || this.state === 'aborting' || this.state === 'closed') return false;
    const queue = this.inbound;
    let credits = 0;
    try {
      while (queue.count > 0) {
        const event = queue.peek();
        if (event.kind === 'data' || event.kind === 'packet') {
          if (this.sendBlocked) break;
          queue.shift();
          credits++;
          const bytes = event.kind === 'data' ? event.bytes : this.host.packetBytes!(event.address, event.length);
          this.bytesIn += bytes.byteLength;
          connection.data(bytes);
        } else if (event.kind === 'ended') {
          queue.shift();
          this.step({ type: 'net.peer-end' });
          if (connection.ended !== undefined) connection.ended();
          else this.endLocal();
        } else if (event.kind === 'closed') {
          queue.shift();
          this.close(event.fault);
          return true;
        } else {
          invariantBroken(`a ${event.kind} event in the queue of flow ${this.flow}`);
        }
      }
    } finally {
      // Also when a hook threw. A closed flow was released: it takes no credits. (The cast undoes
      // TypeScript's narrowing, which does not see the hooks change the state.)
      if (credits > 0 && (this.state as ChannelStateName) !== 'closed') this.host.driver.credit(this.flow, credits);
    }
    // Its sends blocked the turn: what waits gives its buffers back meanwhile.
    if (this.sendBlocked && queue.count > 0) this.spillPackets();
    return false;
  }

  /** The flow closed: tell the owner's connection, and free the flow. */
  close(fault: NicFault | null): void {
    this.step({ type: 'net.closed' });
    this.host.forget(this);
    this.connection?.closed?.(fault);
  }

  /**
   * The owner is gone (stopped, crashed, never started): the flow is reset unless it closed, and
   * what it brought is dropped, counted. A `closed` already queued frees the channel now.
   */
  ownerGone(): void {
    this.owner = null;
    if (this.state === 'closed' || this.state === 'aborting') return;
    this.step({ type: 'net.owner-gone' });
    let closed = false;
    while (this.inbound.count > 0) {
      const event = this.inbound.shift();
      if (event.kind === 'closed') closed = true;
      else this.host.countDropped(dataBytesOf(event));
    }
    if (closed) {
      this.step({ type: 'net.closed' });
      this.host.forget(this);
    } else {
      this.destroy();
    }
  }

  private write(bytes: Uint8Array): boolean {
    try {
      if (!this.host.driver.write(this.flow, bytes)) this.sendBlocked = true;
    } catch (error) {
      // The NIC knows the flow is gone before its `closed` reaches the owner: refused, and `closed` says why.
      if (error instanceof NicError && error.code === 'EPIPE') return false;
      throw error;
    }
    this.bytesOut += bytes.byteLength;
    return true;
  }
}
