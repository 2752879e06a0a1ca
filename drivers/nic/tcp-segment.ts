/**
 * A simulated TCP segment: what one packet on the virtual wire carries between two ports.
 *
 * Sequence numbers are plain numbers that start at a random initial sequence number below 2^32 and
 * only grow; a simulated flow never sends 2^53 bytes, so unlike real TCP nothing wraps and
 * comparisons are ordinary `<`. The SYN and the FIN each take one sequence number, as in RFC 9293.
 *
 * @example
 * ```ts
 * const syn: TcpSegment = { sourcePort: 49152, targetPort: 80, seq: 1000, ack: 0, window: 65_536,
 *   syn: true, hasAck: false, fin: false, rst: false, payload: emptyPayload };
 * segmentSpan(syn); // 1
 * ```
 */

export interface TcpSegment {
  readonly sourcePort: number;
  readonly targetPort: number;
  /** The sequence number of the first thing the segment carries (the SYN, else its first byte, else its FIN). */
  readonly seq: number;
  /** The next sequence number the sender expects from its peer; meaningful when `hasAck`. */
  readonly ack: number;
  /** Receive window in bytes, from `ack` on: the receiver's promise of buffer space. */
  readonly window: number;
  readonly syn: boolean;
  readonly hasAck: boolean;
  readonly fin: boolean;
  readonly rst: boolean;
  /** The bytes carried (the receiver may keep them: a segment's payload is its own memory). */
  readonly payload: Uint8Array;
}

/** The payload of a segment that carries no bytes (shared: nothing ever writes to it). */
export const emptyPayload = new Uint8Array(0);

/** Sequence numbers the segment takes: its bytes, plus one each for a SYN and a FIN. */
export function segmentSpan(segment: TcpSegment): number {
  return segment.payload.byteLength + (segment.syn ? 1 : 0) + (segment.fin ? 1 : 0);
}

/** A copy of `segment` with a payload of its own, for a wire that delivers a packet twice. */
export function duplicateSegment(segment: TcpSegment): TcpSegment {
  return { ...segment, payload: segment.payload.byteLength === 0 ? emptyPayload : new Uint8Array(segment.payload) };
}

/** A one-line description for traces and failure messages, like tcpdump's: `S 1000 A 2001 W 65536 [12 B]`. */
export function describeSegment(segment: TcpSegment): string {
  const flags = `${segment.syn ? 'S' : ''}${segment.fin ? 'F' : ''}${segment.rst ? 'R' : ''}${segment.hasAck ? 'A' : ''}` || '.';
  return `${segment.sourcePort}>${segment.targetPort} ${flags} seq ${segment.seq} ack ${segment.ack} win ${segment.window} [${segment.payload.byteLength} B]`;
}

/**
 * The reset that answers `segment` when no connection takes it (RFC 9293 §3.10.7.1): its sequence
 * number is the acknowledgement the segment carried, or it acknowledges the segment when it carried
 * none (a SYN to a closed port: the connecting side checks that acknowledgement). Null for a reset,
 * which is never answered.
 */
export function resetAnswering(segment: TcpSegment): TcpSegment | null {
  if (segment.rst) return null;
  return {
    sourcePort: segment.targetPort,
    targetPort: segment.sourcePort,
    seq: segment.hasAck ? segment.ack : 0,
    ack: segment.hasAck ? 0 : segment.seq + segmentSpan(segment),
    hasAck: !segment.hasAck,
    window: 0,
    syn: false,
    fin: false,
    rst: true,
    payload: emptyPayload,
  };
}
