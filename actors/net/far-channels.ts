/**
 * The channels of one CPU whose NIC lives on another CPU: their owners run here (a listener's
 * `placement: 'spread'` or `'workers'`). The NIC's CPU classifies as always, then ships each flow's
 * batch of events here in one `net.events` frame; this CPU queues them in the flow's channel and
 * wakes its owner once, as the classifier would. What the owner does goes back through a `FarNic`, one
 * `net.ops` frame per turn. A chunk of data crosses as the address of its packet buffer in the VM
 * (packet-buffers.ts): the owner's turn copies it out (or this CPU does at once, while the owner
 * is blocked), and the running count of copies, in `net.ops`, gives the buffers back.
 * Receive credits still bound every queue on the way: the NIC's CPU ships no more data than the
 * owner gave credits back for.
 */
import type { NetEvents, NetOpen } from '../../protocols/net.js';
import type { Endpoint } from '../../drivers/nic/nic.js';
import type { FrameRouting } from '../cpu/frame-registry.js';
import type { SubsystemHost } from '../plugin/subsystem.js';
import { type ChannelHost, NetChannel } from './channel.js';
import { connectionHandlerNamed } from './connection-handler.js';
import { type FarBudget, FarNic } from './far-nic.js';
import { type FarEvent, inboundEventOf } from './far-events.js';
import { packetVm } from './packet-buffers.js';
import type { MemoryAccess } from '../vm/memory-access.js';
import { startOwner, wakeOwner } from './owners.js';

export class FarChannels {
  private readonly channels = new Map<string, { readonly channel: NetChannel; readonly nic: FarNic }>();
  /** The send budget toward each NIC's CPU. */
  private readonly budgets = new Map<number, FarBudget>();
  private readonly channelOf = new Map<FarNic, NetChannel>();
  /** Flows opened here whose handler this CPU does not define (no boot module defines it): reset. */
  handlersMissing = 0;
  droppedBytes = 0;
  private packetMemory: MemoryAccess | null = null;

  constructor(private readonly host: SubsystemHost) {}

  /** A `net.open` frame: the channel of the flow, and its owner started here. */
  open(frame: NetOpen, source: number, routing: FrameRouting): void {
    const key = keyOf(frame.nic, frame.flow);
    let budget = this.budgets.get(source);
    if (budget === undefined) this.budgets.set(source, (budget = { unackedBytes: 0, waits: 0, waiting: new Set() }));
    const nic = new FarNic(frame.nic, frame.flow, frame.credits, routing, source, budget);
    const channelHost: ChannelHost = {
      driver: nic,
      name: frame.nic,
      // Only this channel's own entry: a NIC detached and attached again numbers its flows anew.
      forget: (gone) => {
        if (this.channels.get(key)?.channel !== gone) return;
        this.channels.delete(key);
        this.channelOf.delete(nic);
        nic.dispose();
        this.resume(budget);
      },
      countDropped: (bytes) => {
        this.droppedBytes += bytes;
      },
      packetBytes: (address, length) => {
        nic.copied();
        return this.memory().read(address, length);
      },
    };
    const channel = new NetChannel(channelHost, frame.flow, frame.local as Endpoint, frame.remote as Endpoint);
    this.channels.set(key, { channel, nic });
    this.channelOf.set(nic, channel);
    const handler = connectionHandlerNamed(frame.handler);
    if (handler === undefined) {
      this.handlersMissing++;
      channel.ownerGone();
      return;
    }
    startOwner(this.host, channel, handler.factory).catch(() => undefined);
  }

  /** A `net.events` frame: the flow's events into its channel, then one wake of its owner. */
  events(frame: NetEvents): void {
    const entry = this.channels.get(keyOf(frame.nic, frame.flow));
    // Closed here already: only the NIC CPU's signals can still come (`closed` is the last event it
    // ships, and it forgets the flow only once this side gave back every buffer). Data would be a
    // bug there: counted as dropped, not read.
    if (entry === undefined) {
      for (const event of frame.events as readonly FarEvent[]) if (event[0] === 'data') this.droppedBytes += event[2];
      return;
    }
    const { channel, nic } = entry;
    let wake = false;
    for (const event of frame.events as readonly FarEvent[]) {
      switch (event[0]) {
        case 'blocked':
          nic.nicBlocked = true;
          channel.sendBlocked = true;
          channel.spillPackets();
          break;
        case 'writable':
          nic.nicBlocked = false;
          if (!nic.budgetBlocked) wake = channel.writable() || wake;
          break;
        case 'taken':
          nic.taken(event[1]);
          break;
        default:
          if (event[0] === 'data') nic.packetsReceived++;
          wake = channel.take(inboundEventOf(frame.flow, event)) || wake;
      }
    }
    if (wake && channel.inbound.count > 0) wakeOwner(this.host.kernel, channel);
    this.resume(nic.budget);
  }

  /** This CPU's access to the VM, where the packet buffers are. */
  private memory(): MemoryAccess {
    this.packetMemory ??= packetVm(this.host.kernel).memory;
    return this.packetMemory;
  }

  /** Channels whose sends waited for `budget` send again, while it lasts. */
  private resume(budget: FarBudget): void {
    for (const waiting of budget.waiting) {
      if (!waiting.withinBudget) break;
      budget.waiting.delete(waiting);
      waiting.budgetBlocked = false;
      if (waiting.nicBlocked) continue;
      const channel = this.channelOf.get(waiting);
      if (channel?.writable() && channel.inbound.count > 0) wakeOwner(this.host.kernel, channel);
    }
  }

  /** Owners here, and what the status shows of them. `sendBudgetWaits`: times an owner here had its sends wait for its CPU's budget toward the NIC (`farUnackedBytesMax`). */
  status(): { readonly owners: number; readonly handlersMissing: number; readonly droppedBytes: number; readonly sendBudgetWaits: number } {
    let sendBudgetWaits = 0;
    for (const budget of this.budgets.values()) sendBudgetWaits += budget.waits;
    return { owners: this.channels.size, handlersMissing: this.handlersMissing, droppedBytes: this.droppedBytes, sendBudgetWaits };
  }
}

function keyOf(nic: string, flow: number): string {
  return `${nic}/${flow}`;
}
