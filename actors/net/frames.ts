/**
 * The net subsystem's frames between CPUs (protocols/net.ts), registered on every CPU: a flow opened
 * on an owner's CPU, its events shipped there, and its owner's operations shipped back.
 */
import { netEvents, netOpen, netOps } from '../../protocols/net.js';
import { defineFrameType, type FrameRouting } from '../cpu/frame-registry.js';
import type { NetStack } from './net-stack.js';

function stackOf(routing: FrameRouting): NetStack {
  return routing.kernel.subsystemHandle('net') as NetStack;
}

export const netOpenFrame = defineFrameType(netOpen, (message, source, routing) => stackOf(routing).far.open(message, source, routing));
export const netEventsFrame = defineFrameType(netEvents, (message, _source, routing) => stackOf(routing).far.events(message));
export const netOpsFrame = defineFrameType(netOps, (message, _source, routing) => stackOf(routing).farOps(message));
