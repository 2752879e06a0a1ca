/**
 * Network devices: the contract every NIC keeps (nic.ts) and its real implementation over Node's
 * `net`. See docs/net.md.
 */
export {
  controlEventsPerFlowMax,
  type Endpoint,
  eventsOutstandingMax,
  type FlowId,
  flowsMaxDefault,
  flowsMaxLimit,
  type Listening,
  type ListenerId,
  type ListenOptions,
  type NicDriver,
  NicError,
  type NicEvent,
  type NicEventKind,
  type NicFault,
  type NicSink,
  type NicStats,
  receiveCreditChunksDefault,
} from './nic.js';
export { createRealNic, receiveCreditChunksMax, type RealNicOptions } from './real-nic.js';
