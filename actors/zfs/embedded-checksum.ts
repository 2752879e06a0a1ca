/**
 * A checksum kept inside the bytes it covers, for the structures that have no parent to hold theirs
 * (ZFS's labels and uberblocks): the last 40 bytes of the area are a magic number and the SHA-256 of
 * the area with that tail zeroed and the area's offset on the device mixed in. A copy written to the
 * wrong place (a misdirected write) therefore fails to verify where it landed.
 *
 * @example
 * ```ts
 * sealArea(slot, offsetBytes);          // before writing it at offsetBytes
 * areaVerifies(slotReadBack, offsetBytes); // false if it changed, or came from elsewhere
 * ```
 */
import { copyOfBytes } from '../../ground/bytes.js';
import { createHash } from 'node:crypto';

/** Bytes of the tail: an 8-byte magic and a 32-byte checksum. */
export const sealBytes = 40;
/** ZFS's `ZEC_MAGIC`: the tail is an embedded checksum. */
const sealMagic = 0x210da7ab10c7a11n;

/** Seals `area`, which will be written at `offsetBytes`: fills its tail. */
export function sealArea(area: Uint8Array, offsetBytes: number): void {
  const tail = area.byteLength - sealBytes;
  area.fill(0, tail);
  const sum = checksumOf(area, offsetBytes);
  new DataView(area.buffer, area.byteOffset + tail, 8).setBigUint64(0, sealMagic, true);
  area.set(sum, tail + 8);
}

/** Whether `area`, read at `offsetBytes`, is as it was sealed there. */
export function areaVerifies(area: Uint8Array, offsetBytes: number): boolean {
  if (area.byteLength <= sealBytes) return false;
  const tail = area.byteLength - sealBytes;
  if (new DataView(area.buffer, area.byteOffset + tail, 8).getBigUint64(0, true) !== sealMagic) return false;
  const stored = copyOfBytes(area, tail + 8);
  const copy = copyOfBytes(area);
  copy.fill(0, tail);
  const sum = checksumOf(copy, offsetBytes);
  return sum.every((byte, index) => byte === stored[index]);
}

function checksumOf(area: Uint8Array, offsetBytes: number): Uint8Array {
  const verifier = new Uint8Array(8);
  new DataView(verifier.buffer).setBigUint64(0, BigInt(offsetBytes), true);
  return new Uint8Array(createHash('sha256').update(verifier).update(area).digest());
}
