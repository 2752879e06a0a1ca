/**
 * The frames of the threaded stress tests: `[producer u32][seq u32][checksum u32][payload]`, with a
 * payload length and contents that depend on (producer, seq), and an FNV-1a checksum over
 * producer, seq and the payload as written. A consumer can then tell a lost, duplicated or
 * reordered frame (sequence), a torn frame (checksum over the bytes it actually read) and a frame
 * of the wrong size (length) apart.
 */

/** Bytes before the payload. */
export const stressHeaderBytes = 12;
/** Payload lengths run 0..stressPayloadBytesMax, so frames are 12..72 bytes. */
export const stressPayloadBytesMax = 60;

export function payloadLengthFor(producer: number, seq: number): number {
  return (Math.imul(seq + producer * 7919, 2654435761) >>> 7) % (stressPayloadBytesMax + 1);
}

export function frameLengthFor(producer: number, seq: number): number {
  return stressHeaderBytes + payloadLengthFor(producer, seq);
}

function checksumOf(bytes: Uint8Array, offset: number, producer: number, seq: number, payloadBytes: number): number {
  let hash = Math.imul(2166136261 ^ producer, 16777619);
  hash = Math.imul(hash ^ seq, 16777619);
  const start = offset + stressHeaderBytes;
  for (let i = 0; i < payloadBytes; i++) hash = Math.imul(hash ^ bytes[start + i]!, 16777619);
  return hash >>> 0;
}

function writeU32(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value & 255;
  bytes[offset + 1] = (value >>> 8) & 255;
  bytes[offset + 2] = (value >>> 16) & 255;
  bytes[offset + 3] = value >>> 24;
}

function readU32(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) >>> 0;
}

/** Writes frame (producer, seq) at `bytes[offset..]` and returns its length. */
export function writeStressFrame(bytes: Uint8Array, offset: number, producer: number, seq: number): number {
  const payloadBytes = payloadLengthFor(producer, seq);
  writeU32(bytes, offset, producer);
  writeU32(bytes, offset + 4, seq);
  const start = offset + stressHeaderBytes;
  for (let i = 0; i < payloadBytes; i++) bytes[start + i] = (seq * 31 + i * 7 + producer * 13) & 255;
  writeU32(bytes, offset + 8, checksumOf(bytes, offset, producer, seq, payloadBytes));
  return stressHeaderBytes + payloadBytes;
}

/**
 * Tracks the next expected sequence number of each producer and checks each received frame.
 * Returns null when the frame is right, or a description of what is wrong.
 */
export class StressChecker {
  readonly nextSeq: number[];
  received = 0;

  constructor(producers: number) {
    this.nextSeq = new Array<number>(producers).fill(0);
  }

  check(bytes: Uint8Array, offset: number, length: number): string | null {
    if (length < stressHeaderBytes) return `frame of ${length} bytes is shorter than its header`;
    const producer = readU32(bytes, offset);
    const seq = readU32(bytes, offset + 4);
    if (producer >= this.nextSeq.length) return `unknown producer ${producer} (torn frame?)`;
    const expected = this.nextSeq[producer]!;
    if (seq !== expected) return `producer ${producer}: seq ${seq} where ${expected} was expected (${seq < expected ? 'duplicate' : 'loss or reorder'})`;
    if (length !== frameLengthFor(producer, seq)) return `producer ${producer} seq ${seq}: length ${length}, expected ${frameLengthFor(producer, seq)}`;
    const checksum = checksumOf(bytes, offset, producer, seq, length - stressHeaderBytes);
    if (checksum !== readU32(bytes, offset + 8)) return `producer ${producer} seq ${seq}: checksum mismatch (torn frame)`;
    this.nextSeq[producer] = expected + 1;
    this.received++;
    return null;
  }
}
