/**
 * The simulated TCP's limits and tunables: every bound of a connection in one place, units last.
 *
 * The defaults are scaled to a simulated wire (one-way delays of a few milliseconds, virtual time),
 * not to the Internet: a 200 ms first retransmission timeout instead of RFC 6298's 1 s keeps a
 * simulated stall short, and the retry limit is small enough that a test can outlast it.
 *
 * @example
 * ```ts
 * const tcp = resolveTcpOptions({ retriesMax: 3 }); // a flow gives up after 3 timeouts in a row
 * tcp.retransmitTimeoutMsMax; // 2000
 * ```
 */
import { assert } from '../../ground/assert.js';

/** The most payload a segment carries (Ethernet's MSS). */
export const segmentPayloadBytesMax = 1460;
/** Retransmission timeout before any round trip was measured. */
export const retransmitTimeoutMsInitialDefault = 200;
/** The floor of the measured retransmission timeout: spurious retransmissions cost duplicates, not safety. */
export const retransmitTimeoutMsMin = 50;
/** The cap of the doubled (backed-off) retransmission timeout. */
export const retransmitTimeoutMsMaxDefault = 2_000;
/** Timeouts in a row without progress after which a flow fails with ETIMEDOUT. */
export const retriesMaxDefault = 6;
/** The most a configuration may allow: beyond it a dead peer would hold a flow for hours. */
export const retriesMaxLimit = 64;
/** Receive buffer per flow: the most bytes a receiver holds (in order awaiting credit, or out of order). */
export const receiveWindowBytesDefault = 65_536;
/** Write-buffer level above which `write` returns false (Node's default highWaterMark is 16 KiB; a NIC's socket buffer, more). */
export const sendHighWaterBytesDefault = 65_536;
/** Write-buffer size past which `write` throws ENOBUFS: the hard bound on a flow's queued bytes. */
export const sendBufferBytesMaxDefault = 1_048_576;
/** Out-of-order segments a receiver keeps at most; more are dropped (the sender retransmits them). */
export const reorderSegmentsMax = 64;
/** Segments a sender may have in flight at first, and again growing after a timeout reset it to one. */
export const congestionWindowSegmentsInitial = 10;
/** Segments a sender may have in flight at most (the receive window bounds it too). */
export const congestionWindowSegmentsMax = 64;
/** Closed connections kept in TIME_WAIT at most per host; the oldest is forgotten first. */
export const timeWaitConnectionsMax = 4_096;

assert(sendHighWaterBytesDefault <= sendBufferBytesMaxDefault, 'the high-water mark lies below the hard cap');
assert(retransmitTimeoutMsMin <= retransmitTimeoutMsInitialDefault, 'the first timeout is within the measured range');
assert(retransmitTimeoutMsInitialDefault <= retransmitTimeoutMsMaxDefault, 'the first timeout lies below the cap');
assert(congestionWindowSegmentsInitial <= congestionWindowSegmentsMax, 'the initial window lies below the cap');
assert(segmentPayloadBytesMax <= receiveWindowBytesDefault, 'a full segment fits an empty receive window');

/** What a network or a host may tune of its TCP. Every field has the default named after it. */
export interface TcpOptions {
  /** Timeouts in a row without progress before a flow fails with ETIMEDOUT (default 6). */
  readonly retriesMax?: number;
  /** The first retransmission timeout, before a round trip is measured (default 200 ms). */
  readonly retransmitTimeoutMsInitial?: number;
  /** The backed-off retransmission timeout's cap (default 2000 ms). */
  readonly retransmitTimeoutMsMax?: number;
  /** Receive buffer per flow, in bytes (default 64 KiB). */
  readonly receiveWindowBytes?: number;
  /** Write-buffer level above which `write` returns false (default 64 KiB). */
  readonly sendHighWaterBytes?: number;
  /** Write-buffer size past which `write` throws ENOBUFS (default 1 MiB). */
  readonly sendBufferBytesMax?: number;
}

/** {@link TcpOptions} with every default filled in and checked. */
export type TcpSettings = Required<TcpOptions>;

/** Fills in the defaults of `options` and checks them; throws RangeError for a value no TCP here takes. */
export function resolveTcpOptions(options: TcpOptions = {}): TcpSettings {
  const settings: TcpSettings = {
    retriesMax: options.retriesMax ?? retriesMaxDefault,
    retransmitTimeoutMsInitial: options.retransmitTimeoutMsInitial ?? retransmitTimeoutMsInitialDefault,
    retransmitTimeoutMsMax: options.retransmitTimeoutMsMax ?? retransmitTimeoutMsMaxDefault,
    receiveWindowBytes: options.receiveWindowBytes ?? receiveWindowBytesDefault,
    sendHighWaterBytes: options.sendHighWaterBytes ?? sendHighWaterBytesDefault,
    sendBufferBytesMax: options.sendBufferBytesMax ?? sendBufferBytesMaxDefault,
  };
  checkInteger('retriesMax', settings.retriesMax, 0, retriesMaxLimit);
  checkInteger('retransmitTimeoutMsMax', settings.retransmitTimeoutMsMax, retransmitTimeoutMsMin, 600_000);
  checkInteger('retransmitTimeoutMsInitial', settings.retransmitTimeoutMsInitial, retransmitTimeoutMsMin, settings.retransmitTimeoutMsMax);
  checkInteger('receiveWindowBytes', settings.receiveWindowBytes, segmentPayloadBytesMax, 1 << 30);
  checkInteger('sendBufferBytesMax', settings.sendBufferBytesMax, 1, 1 << 30);
  checkInteger('sendHighWaterBytes', settings.sendHighWaterBytes, 1, settings.sendBufferBytesMax);
  return settings;
}

/**
 * How long a closed connection lingers in TIME_WAIT to acknowledge its peer's retransmitted FIN:
 * the peer's whole retry budget, restarted on each FIN, so a lost last ACK never turns a clean
 * close into a reset.
 */
export function timeWaitMs(settings: TcpSettings): number {
  return (settings.retriesMax + 1) * settings.retransmitTimeoutMsMax;
}

function checkInteger(name: string, value: number, min: number, max: number): void {
  if (!(Number.isSafeInteger(value) && value >= min && value <= max)) {
    throw new RangeError(`tcp option ${name} must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
}
