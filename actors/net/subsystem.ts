/**
 * Net channels as a plug-in (`Kernel.boot({ subsystems: [...defaultSubsystems, network] })`): its
 * supervisor `kernel.net` keeps the owner actor of each flow; its status lists the NICs attached.
 * It needs the interrupt subsystem (booted by default): each NIC's events are interrupts.
 * See net-stack.ts and docs/net.md.
 */
import { defineSubsystem, type Subsystem } from '../plugin/subsystem.js';
import { netEventsFrame, netOpenFrame, netOpsFrame } from './frames.js';
import { NetStack } from './net-stack.js';

export const network: Subsystem<NetStack> = defineSubsystem<NetStack, undefined>({
  name: 'net',
  module: import.meta.url,
  frames: [netOpenFrame, netEventsFrame, netOpsFrame],
  start(host) {
    const stack = new NetStack(host);
    return { handle: () => stack, status: () => stack.status() };
  },
});
