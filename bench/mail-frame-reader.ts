/**
 * How the benches' bare loops read a mail frame as a CPU's port does: copied out of the ring into a
 * private scratch buffer, then read in place with the port's codec settings (`any` fields trusted).
 *
 * @example
 * ```ts
 * const read = mailFrameReader(structures);
 * ring.drain((bytes, offset, length) => handle(read(bytes, offset, length)), 64);
 * ```
 */
import { envelopeHeaderBytes, readMailFrame } from '../actors/cpu/mail-frames.js';
import { createFrameCodec } from '../protocols/frame-codec.js';
import { frameBytesMax } from '../protocols/limits.js';
import type { StructureList } from '../protocols/structure-table.js';

export type MailFrameReader = (bytes: Uint8Array, offset: number, length: number) => ReturnType<typeof readMailFrame>;

/** A reader of mail frames whose bodies use `structures` (the sender's, as the port's sync hands them over). */
export function mailFrameReader(structures?: StructureList): MailFrameReader {
  const codec = createFrameCodec(undefined, { decodedAnyFields: 'trust' });
  if (structures !== undefined) codec.importStructures(structures);
  const scratch = new Uint8Array(frameBytesMax + envelopeHeaderBytes);
  const view = new DataView(scratch.buffer);
  return (bytes, offset, length) => {
    scratch.set(bytes.subarray(offset, offset + length));
    return readMailFrame(codec, view, scratch, length);
  };
}
