/**
 * The channels of one CPU whose NIC lives on another CPU: their owners run here (a listener's
 * `placement: 'spread'`). The NIC's CPU classifies as always, then ships each flow's batch of
 * events here in one `net.events` frame; this CPU queues them in the flow's channel and wakes its
 * owner once, as the classifier would. What the owner does goes back through a `FarNic`, one
 * `net.ops` frame per turn. Receive credits still bound every queue on the way: the NIC's CPU ships
 * no more data than the owner gave credits back for.
 */
import type { NetEvents, NetOpen } from '../../protocols/net.js';
import type { Endpoint } from '../../drivers/nic/nic.js';
import type { FrameRouting } from '../cpu/frame-registry.js';
import type { SubsystemHost } from '../plugin/subsystem.js';
import { type ChannelHost, NetChannel } from './channel.js';
import { connectionHandlerNamed } from './connection-handler.js';
import { FarNic } from './far-nic.js';
import { nicEventOf } from './far-events.js';
import { startOwner, wakeOwner } from './owners.js';

export class FarChannels {
  private readonly channels = new Map<string, NetChannel>();
  /** Flows opened here whose handler this CPU does not define (no boot module defines it): reset. */
  handlersMissing = 0;
  droppedBytes = 0;

  constructor(private readonly host: SubsystemHost) {}

  /** A `net.open` frame: the channel of the flow, and its owner started here. */
  open(frame: NetOpen, source: number, routing: FrameRouting): void {
    const key = keyOf(frame.nic, frame.flow);
    const channelHost: ChannelHost = {
      driver: new FarNic(frame.nic, frame.flow, frame.credits, routing, source),
      name: frame.nic,
      forget: () => this.channels.delete(key),
      countDropped: (bytes) => {
        this.droppedBytes += bytes;
      },
    };
    const channel = new NetChannel(channelHost, frame.flow, frame.local as Endpoint, frame.remote as Endpoint);
    this.channels.set(key, channel);
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
    const channel = this.channels.get(keyOf(frame.nic, frame.flow));
    // Closed here already (its owner gone, its close taken): what still came is dropped, counted.
    if (channel === undefined) return;
    let wake = false;
    for (const event of frame.events as readonly (readonly [string, unknown?])[]) {
      if (event[0] === 'blocked') channel.sendBlocked = true;
      else if (event[0] === 'writable') wake = channel.writable() || wake;
      else wake = channel.take(nicEventOf(frame.flow, event as never)) || wake;
    }
    if (wake && channel.inbound.count > 0) wakeOwner(this.host.kernel, channel);
  }

  /** Owners here, and what the status shows of them. */
  status(): { readonly owners: number; readonly handlersMissing: number; readonly droppedBytes: number } {
    return { owners: this.channels.size, handlersMissing: this.handlersMissing, droppedBytes: this.droppedBytes };
  }
}

function keyOf(nic: string, flow: number): string {
  return `${nic}/${flow}`;
}
