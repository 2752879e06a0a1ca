/**
 * The network-device driver: the only door through which the net subsystem reaches a network.
 *
 * A NIC here is a host's view of reliable byte streams (TCP connections), each a **flow** the driver
 * numbers. Everything the network does to the host is an event handed to the one sink the net
 * subsystem attaches (its interrupt service routine): a connection accepted or opened, data, the
 * peer's end of stream, the write buffer drained, the flow closed. Everything the host does to the
 * network is a call: listen, connect, write, end, destroy, and `credit` for receive flow control.
 *
 * Two implementations: one over Node's `net` (`createRealNic`, real sockets), and one on a virtual
 * wire between simulated hosts with seeded drops, delays, duplicates, reordering and partitions
 * (`createSimulatedNetwork`), whose hosts run their own small TCP so that the wire's faults show
 * only as what TCP lets through: delay, stalls, and, past the retry limit, a reset.
 *
 * Receive flow control is by credit, counted in data events: a flow starts with `receiveCreditChunks`
 * credits, each data event spends one, and the driver stops reading the flow (TCP's window closes)
 * when none are left. The consumer gives credits back with `credit(flow, n)` once it has taken n
 * data events. So at most `receiveCreditChunks` data events of a flow are ever outstanding, and a
 * bounded ring per flow can never overflow: nothing is dropped.
 *
 * Events of one flow come in this order: `accepted` or `connected` first (or `closed` alone, for a
 * connect that failed), then any `data` and `writable`, at most one `ended`, and `closed` last.
 * After `closed` the flow's number is not reused until `release(flow)`.
 *
 * @example
 * ```ts
 * const nic = createRealNic();
 * nic.attach((event) => irq.raise(vector, event)); // the ISR: record and wake, nothing more
 * const { port } = await nic.listen({ host: '127.0.0.1', port: 0 });
 * // … an `accepted` event for each connection, then `data` events; after taking one:
 * nic.credit(flow, 1);
 * nic.write(flow, new TextEncoder().encode('STORED\r\n'));
 * ```
 */

/** A flow's number, unique among the driver's flows until released. */
export type FlowId = number;

/** A listener's number, unique among the driver's listeners. */
export type ListenerId = number;

/** One end of a flow. */
export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

/** Why a flow closed, when it closed on an error (Node's error codes: `ECONNRESET`, `ETIMEDOUT`…). */
export interface NicFault {
  readonly code: string;
  readonly message: string;
}

/** What the network tells the host. */
export type NicEvent =
  /** A connection on `listener` was accepted as `flow`. */
  | { readonly kind: 'accepted'; readonly flow: FlowId; readonly listener: ListenerId; readonly local: Endpoint; readonly remote: Endpoint }
  /** An outgoing connection (`connect`) is established. */
  | { readonly kind: 'connected'; readonly flow: FlowId; readonly local: Endpoint; readonly remote: Endpoint }
  /** Bytes in stream order, at most `dataEventBytesMax`; the receiver owns `bytes`. Spends one receive credit. */
  | { readonly kind: 'data'; readonly flow: FlowId; readonly bytes: Uint8Array }
  /** The write buffer drained below its high-water mark after a `write` returned false. */
  | { readonly kind: 'writable'; readonly flow: FlowId }
  /** The peer ended its side: no more data will come (the flow may still be written to). */
  | { readonly kind: 'ended'; readonly flow: FlowId }
  /** The flow is gone: both sides ended, it was destroyed, or it failed (`fault`). The flow's last event. */
  | { readonly kind: 'closed'; readonly flow: FlowId; readonly fault: NicFault | null };

export type NicEventKind = NicEvent['kind'];

/** The sink events go to: the net subsystem's interrupt service routine. */
export type NicSink = (event: NicEvent) => void;

export interface ListenOptions {
  /** The address to bind (default `127.0.0.1`: loopback only, as a cache should start). */
  readonly host?: string;
  /** The port; 0 picks a free one (default 0). */
  readonly port?: number;
  /** Pending connections the network may hold before accepting (default `backlogDefault`, 511, as Node's). */
  readonly backlog?: number;
}

/** A listener, bound. */
export interface Listening {
  readonly listener: ListenerId;
  readonly host: string;
  readonly port: number;
}

/** Counters of a driver. */
export interface NicStats {
  readonly flowsOpen: number;
  readonly flowsAccepted: number;
  readonly flowsConnected: number;
  /** Connections refused because `flowsMax` flows were open. */
  readonly flowsRefused: number;
  readonly bytesReceived: number;
  readonly bytesSent: number;
  /** Times a flow's reading stopped for lack of credit (backpressure). */
  readonly receivePauses: number;
}

export interface NicDriver {
  /** Which kind of network this is: the host's real one, or a simulated wire. */
  readonly kind: 'real' | 'simulated';
  /** Credits a flow starts with (see the module's comment). */
  readonly receiveCreditChunks: number;
  /** Flows open at most; connections past it are refused and counted. */
  readonly flowsMax: number;
  /** Sets the sink every event goes to; once, before any listen or connect. */
  attach(sink: NicSink): void;
  /** Binds a listener; rejects with a `NicError` (`EADDRINUSE`, `EACCES`…) when it cannot. */
  listen(options?: ListenOptions): Promise<Listening>;
  /** Stops accepting on `listener`; flows already accepted go on. */
  unlisten(listener: ListenerId): Promise<void>;
  /** Opens a connection: a `connected` event follows, or `closed` with the fault. */
  connect(host: string, port: number): FlowId;
  /**
   * Queues `bytes` on `flow` (the driver owns them from now on: do not change them). Returns false
   * when the flow's write buffer is over its high-water mark: the bytes are queued all the same,
   * and a `writable` event says when to write again. Writing to a flow that ended its side or
   * closed throws a `NicError` (`EPIPE`).
   */
  write(flow: FlowId, bytes: Uint8Array): boolean;
  /** Ends this side once queued writes are sent (TCP FIN). */
  end(flow: FlowId): void;
  /** Closes the flow now, dropping queued writes (TCP RST); a `closed` event follows. */
  destroy(flow: FlowId): void;
  /** Gives `chunks` receive credits back to `flow` (data events taken); resumes reading if it had stopped. */
  credit(flow: FlowId, chunks: number): void;
  /** Frees a closed flow's number for reuse, once its `closed` event was taken. */
  release(flow: FlowId): void;
  stats(): NicStats;
  /** Stops every listener and destroys every flow; their `closed` events still come. */
  close(): Promise<void>;
}

/** A network operation failed: `code` is the system's (or the simulated host's) error code. */
export class NicError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.name = 'NicError';
    this.code = code;
  }
}

/** Receive credits a flow starts with by default: 32 data events (Node reads up to 64 KiB each). */
export const receiveCreditChunksDefault = 32;
/**
 * The most bytes one data event carries. Node's sockets read into 64 KiB buffers (libuv's), and a
 * simulated host hands over what it holds in pieces of at most this.
 */
export const dataEventBytesMax = 64 << 10;
/** Pending connections a listener may hold before accepting, by default (Node's). */
export const backlogDefault = 511;
/** Open flows at most by default, per driver. */
export const flowsMaxDefault = 1024;
/** The most open flows a driver may be configured for. */
export const flowsMaxLimit = 65_536;
/** Non-data events a flow raises while open, at most: accepted or connected, writable, ended, closed. */
export const controlEventsPerFlowMax = 4;

/**
 * Events a driver can have outstanding (raised, not yet taken) at most: every open flow's credits
 * plus its control events. An interrupt ring of at least this many events never overruns.
 */
export function eventsOutstandingMax(flowsMax: number, receiveCreditChunks: number): number {
  return flowsMax * (receiveCreditChunks + controlEventsPerFlowMax);
}
