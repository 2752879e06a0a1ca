/**
 * Net channels (`osprey/net`): NICs whose events are interrupts, a classifier that hands each flow's
 * packets to that flow's own channel and wakes its owner actor once per batch, and sockets for
 * those actors. See docs/net.md.
 */
export { network } from './subsystem.js';
export { NetStack, type NetStatus } from './net-stack.js';
export { AttachedNic, type ListenSpec, type NicStatus, type Placement } from './attached-nic.js';
export type { Connection, ConnectionFactory } from './connection.js';
export { connectionHandler, type ConnectionHandler } from './connection-handler.js';
export { Socket } from './socket.js';
export { channelMachine, type ChannelMachine } from './machine.js';
export { NetConfigError, NetSendOverflowError } from './errors.js';
export * as netLimits from './limits.js';
