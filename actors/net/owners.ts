/**
 * A flow's owner actor: started under its CPU's `net` supervisor as a temporary child (a
 * connection whose handler crashed is not restarted: its flow is reset), it runs the connection's
 * hooks in its turns, woken through its system lane.
 */
import { UsageError } from '../../ground/errors.js';
import type { Message } from '../../ground/message.js';
import type { ChildSpec } from '../../supervisors/child-spec.js';
import type { SubsystemHost } from '../plugin/subsystem.js';
import { messageTypeOf } from '../runtime/events.js';
import type { KernelCore } from '../runtime/kernel-core.js';
import type { ActorRef } from '../runtime/ref.js';
import { fromSystem } from '../runtime/system-context.js';
import type { NetChannel } from './channel.js';
import type { ConnectionFactory } from './connection.js';
import { connectionShutdownMs } from './limits.js';
import type { Socket } from './socket.js';

/** Starts the owner of `channel` on this CPU; resolves with its socket once the owner runs, or rejects (the flow is reset). */
export async function startOwner(host: SubsystemHost, channel: NetChannel, factory: ConnectionFactory): Promise<Socket> {
  try {
    await host.supervisor().ask({ type: 'start-child', spec: ownerSpec(host.kernel, channel, factory) });
  } catch (error) {
    channel.ownerGone();
    throw error;
  }
  return channel.socket;
}

/**
 * Queues a service of `channel` in its owner's system lane, unless one is queued; returns whether
 * one was queued now. An owner that is stopping runs no more turns: its `stopped` hook resets the flow.
 */
export function wakeOwner(kernel: KernelCore, channel: NetChannel): boolean {
  const owner = channel.owner;
  if (owner === null || channel.wakeQueued) return false;
  channel.wakeQueued = kernel.runInTurnOf(owner.ref as ActorRef<never>, channel.serviceInTurn);
  return channel.wakeQueued;
}

function ownerSpec(kernel: KernelCore, channel: NetChannel, factory: ConnectionFactory): ChildSpec<never> {
  const label = `connection.${channel.host.name}`;
  return {
    id: `${channel.host.name}.flow-${channel.flow}`,
    start: fromSystem<Message>((ctx) => {
      channel.owner = ctx.cell;
      return {
        receive(message) {
          const connection = channel.connection;
          if (connection?.receive === undefined)
            throw new UsageError(`${label} of flow ${channel.flow} takes no mail (got '${messageTypeOf(message)}'): give its connection a receive hook`);
          connection.receive(message);
        },
        started() {
          channel.connection = factory(channel.socket, ctx);
          channel.step({ type: 'net.bind' });
          // What came while it started waits in the channel.
          if (channel.inbound.count > 0) wakeOwner(kernel, channel);
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
