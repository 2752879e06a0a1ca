/**
 * Network devices: the contract every NIC keeps (nic.ts) and its two implementations, the host's
 * network through Node's `net`, and a simulated network of hosts on a faulty wire, each host with
 * its own small TCP. See docs/net.md.
 */
export {
  backlogDefault,
  controlEventsPerFlowMax,
  dataEventBytesMax,
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
export {
  createSimulatedNetwork,
  type HostRef,
  hostsMax,
  type SimulatedHostOptions,
  type SimulatedNetwork,
  type SimulatedNetworkOptions,
  simulatedReceiveCreditChunksMax,
} from './simulated-network.js';
export type { SimulatedNic } from './sim-host.js';
export { type ResolvedWireFaults, type WireFaults, wireDelayMsMax, wireFaultsNone } from './sim-wire-faults.js';
export { packetsInFlightMaxDefault, type WireStats } from './sim-wire.js';
export { resolveTcpOptions, type TcpOptions, type TcpSettings } from './tcp-limits.js';
