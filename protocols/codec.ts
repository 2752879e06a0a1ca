/**
 * The message codec: schema-checked messages ⇄ msgpackr frames.
 *
 * Decoding is the trust boundary. Whatever bytes arrive, `decode` returns a message that passed the
 * registry or throws `ProtocolError`; no other exception escapes for any input (property-tested).
 * Only a codec made with `decodedAnyFields: 'trust'`, for frames of this process's own validating
 * encoders (the CPU interconnect), takes the contents of `any` fields unwalked.
 * Encoding validates first, so a sender fails fast instead of emitting a frame its peer refuses.
 * Message bodies (`encodeData`) are checked and written in one walk by plain-data-writer.ts, in
 * msgpackr's format and through the same structure table; msgpackr's encoder does the rest.
 *
 * msgpackr choices, and why:
 * - `useRecords` with a shared `structures` table when `structures` is on: pre-agreed shapes are
 *   the measured fast path (3.4–3.8 M msg/s vs 2.15 M for maps across a ring, docs/measured-limits.md §3b).
 *   `maxOwnStructures: 0` means msgpackr never writes in-band record definitions: once
 *   `structureCountMax` shapes are shared, new shapes go out as plain maps, never dropped.
 * - The decoder's `getStructures` hook refuses ids it has not imported. Without it msgpackr returns
 *   the unknown id byte as a small integer and reads on: a frame from a peer whose table we lack
 *   would decode to garbage (or, for an empty shape, to a wrong message that validates).
 * - Decoder table entries are marked `isShared`, so a frame that redefines an id in-band (0xd4 0x72)
 *   affects that frame only; msgpackr's untrusted mode already drops ids past the agreed ones.
 * - `mapsAsObjects: true`: plain maps decode to objects, not Maps (records mode defaults to Maps),
 *   non-string keys are stringified or refused, and msgpackr renames `__proto__` keys.
 * - `structuredClone: false` on the decoder: reference extensions (0x69/0x70) throw, so a frame
 *   cannot build cycles or shared sub-objects. `moreTypes` stays off on the encoder.
 * - `copyBuffers: true`: `bytes` fields are copies, never views into the frame, whose memory a ring
 *   will reuse. Frames that are Buffers are re-viewed as plain Uint8Arrays so copies are too.
 * - int64 values decode to bigints (msgpackr's default); `integer` fields refuse them, `any` keeps them.
 * - msgpackr's decoder drops a leading U+FEFF from strings over 64 bytes; leading-bom.ts mends the
 *   frame first, so the string arrives whole.
 *
 * The import is `msgpackr/pack`, which Node resolves to msgpackr's plain entry: the same pack and
 * unpack modules as `msgpackr` (one copy of their state), without the native string addon. For
 * messages this small the addon is no faster than JavaScript, it throws on any view of a
 * SharedArrayBuffer (docs/measured-limits.md §5.2), and loading it costs 10–15 ms of a cold start.
 */
import { Packr, RESERVE_START_SPACE, REUSE_BUFFER_MODE, Unpackr } from 'msgpackr/pack';
import type { Options } from 'msgpackr';
import { assert } from '../ground/assert.js';
import { InvariantError } from '../ground/errors.js';
import { frameBytesMax, msgpackrSharedStructuresMax, structureCountMax as structureCountMaxDefault } from './limits.js';
import { ProtocolError, describeThrown } from './protocol-error.js';
import { validatePlainData, type AnyFieldsCheck, type AnyMessage, type SchemaRegistry } from './schema.js';
import type { PortableObjects } from './validate.js';
import { checkImport, exportTable, extendDecoderTable, seedStructures } from './structure-table.js';
import { mendLeadingBoms } from './leading-bom.js';
import { PlainDataWriter, markEncoding } from './plain-data-writer.js';
import type { MsgpackrTable, StructureList } from './structure-table.js';

export interface CodecOptions<M extends AnyMessage> {
  /** The schemas every encoded and decoded message must satisfy. */
  readonly registry: SchemaRegistry<M>;
  /** Share record structures with the peer (default `true`); both peers must agree. */
  readonly structures?: boolean;
  /** How many shapes the encoder may share (default `structureCountMax` from limits.ts, at most 8160). */
  readonly structureCountMax?: number;
  /**
   * What decoding checks inside `any` fields: `'check'` (the default) walks them, for frames from
   * anywhere; `'trust'` takes them as the plain data they were, and is only for frames that a
   * codec with the same registry encoded in this process, so that nothing but this process's
   * threads could have written them. The encoder validated every value before packing it, and the
   * decoder still checks the message's declared fields; walking `any` values twice proved nothing
   * new and cost a third of a small message's decode (measured).
   */
  readonly decodedAnyFields?: AnyFieldsCheck;
  /**
   * Objects `encodeData` lets through although they are not plain data (refs, between CPUs); each
   * travels as its `toJSON()`. Decoding leaves them in that form: the receiver turns them back.
   */
  readonly portableObjects?: PortableObjects;
}

/**
 * Encoded bytes that stay where the encoder wrote them: `bytes[offset .. offset + length)` of
 * the encoder's own buffer, valid until the next encode in this thread (copy them or send them at once).
 * The codec hands out one such object and overwrites it at every `encodeData`.
 */
export interface EncodedBytes {
  readonly bytes: Uint8Array;
  readonly offset: number;
  readonly length: number;
}

/** Encodes and decodes one registry's messages; one codec per peer and thread. */
export interface Codec<M extends AnyMessage> {
  /**
   * Validates and encodes; throws ProtocolError for an invalid message or a frame over `frameBytesMax`.
   * Written by the body encoder where it takes the message (see `encodeData`), so it overwrites a
   * frame `encodeData` handed out: encode between a frame's encode and its staging with `encodeAside`.
   */
  encode(message: M): Uint8Array;
  /**
   * As `encode`, in msgpackr's buffer rather than the body encoder's: a frame `encodeData` handed out
   * stays whole. For what goes between a frame's encode and its staging, as the shapes it taught the
   * encoder, which must go ahead of it.
   *
   * @example
   * ```ts
   * const frame = codec.encodeData(body, 'body', 2);
   * const sync = codec.encodeAside(structuresMessage); // frame.bytes still holds the frame
   * ```
   */
  encodeAside(message: M): Uint8Array;
  /**
   * Encodes into `target` at `offset` and returns the bytes written, or 0 when the frame does not
   * fit (the caller decides whether to wait for room or drop). Copies; it never points msgpackr at
   * `target`, because msgpackr's write buffer is module-global and shared by every Packr in the thread.
   */
  encodeInto(message: M, target: Uint8Array, offset: number): number;
  /** Decodes one whole frame; throws ProtocolError, and only ProtocolError, for any bad input. */
  decode(bytes: Uint8Array): M;
  /**
   * Decodes the frame `bytes[start .. end)`, as `decode` does. Reading in place, with no view per
   * frame, matters when one buffer holds frame after frame (a ring's scratch copy): msgpackr keeps
   * its DataView on the buffer, so only the first frame pays for making one.
   */
  decodeRange(bytes: Uint8Array, start: number, end: number): M;
  /**
   * Checks `value` as plain data (what an `any` field holds) and encodes it alone, for a frame whose
   * header the caller lays out itself; `field` names it in errors. Shares the encoder's structures,
   * so the sync rule applies as to `encode`. Throws ProtocolError as `encode` does.
   *
   * The encoded range starts with `headroomBytes` (at most 255) bytes left for that header,
   * followed by the data, so the frame is whole without a copy, and is handed out as a range of
   * the encoder's buffer (see `EncodedBytes`) rather than a view: a view per frame cost 70 ns of the
   * 320 ns a small body took (measured). The check and the encoding are one walk
   * (plain-data-writer.ts); msgpackr encodes only what that walk leaves to it.
   *
   * @example
   * ```ts
   * const frame = codec.encodeData(body, 'body', 2);
   * frame.bytes[frame.offset] = 0xc1; frame.bytes[frame.offset + 1] = kind; // the header; the body follows
   * ring.offerRange(frame.bytes, frame.offset, frame.length);
   * ```
   */
  encodeData(value: unknown, field: string, headroomBytes?: number): EncodedBytes;
  /** How many portable objects (see `CodecOptions.portableObjects`) the last `encodeData` value held. */
  readonly portablesInLastData: number;
  /**
   * Decodes what `encodeData` encoded, from `bytes[start .. end)`, and checks it as
   * `decodedAnyFields` says. Throws ProtocolError, and only ProtocolError, for any bad input.
   */
  decodeDataRange(bytes: Uint8Array, start: number, end: number, field: string): unknown;
  /** Whether record structures are in use. */
  readonly structures: boolean;
  /** Shapes the encoder shares (seeds plus learned); grows when an encode met a new shape. */
  readonly structureCount: number;
  /** Shapes the decoder knows (seeds plus imported). */
  readonly importedStructureCount: number;
  /** The encoder's shared shapes, to post to the peer's decoder before frames that use new ones. */
  exportStructures(): StructureList;
  /** Accepts a peer encoder's `exportStructures()`; throws ProtocolError if it is malformed or conflicts. */
  importStructures(list: StructureList): void;
}

/**
 * Creates a codec for `registry`. With structures on, the encoder and decoder start from the same
 * seeds (one shape per message type), so top-level messages built in declaration order are records
 * from the first frame; shapes learned later must be exported to the peer before it decodes them.
 *
 * @example
 * ```ts
 * const sender = createCodec({ registry });
 * const receiver = createCodec({ registry });
 * const before = sender.structureCount;
 * const frame = sender.encode({ type: 'demo.ping', to: 7, seq: 1 });
 * if (sender.structureCount !== before) receiver.importStructures(sender.exportStructures());
 * receiver.decode(frame); // { type: 'demo.ping', to: 7, seq: 1 }
 * ```
 */
export function createCodec<M extends AnyMessage>(options: CodecOptions<M>): Codec<M> {
  const { registry } = options;
  const structures = options.structures ?? true;
  const countMax = options.structureCountMax ?? structureCountMaxDefault;
  assert(Number.isInteger(countMax) && countMax >= 0 && countMax <= msgpackrSharedStructuresMax, 'structureCountMax must be an integer within 0..8160');

  const seeds = structures ? seedStructures(registry.descriptors, countMax) : [];
  // Separate copies: msgpackr hangs its own state (transitions, compiled readers) on the arrays.
  const outbound: MsgpackrTable = seeds.map((keys) => [...keys]);
  let inbound: MsgpackrTable = extendDecoderTable([], seeds);
  const packr = new Packr(encoderOptions(structures, outbound, countMax));
  // The fast path of encodeData; it shares shapes through the same table as packr.
  const writer = new PlainDataWriter(structures ? outbound : null, countMax, options.portableObjects ?? null);
  const unpackr = new Unpackr(decoderOptions(structures, inbound));
  const anyFields = options.decodedAnyFields ?? 'check';
  assert(anyFields === 'check' || anyFields === 'trust', "decodedAnyFields must be 'check' or 'trust'");
  // One options object for every ranged unpack: it is read before unpack returns.
  const range = { start: 0, end: 0 };
  const portable = options.portableObjects ?? null;
  const encoded: { bytes: Uint8Array; offset: number; length: number } = { bytes: new Uint8Array(0), offset: 0, length: 0 };

  function encode(message: M): Uint8Array {
    registry.validate(message);
    // msgpackr's record writer walks an object's keys, then its values: one whose keys change in
    // between (a getter, a proxy) came out as a frame that does not decode, and was lost. The body
    // encoder writes such an object again as a map.
    if (writer.write(message, 0, 1)) {
      codec.structureCount = outbound.sharedLength ?? 0;
      return writer.bytes.slice(0, writer.length);
    }
    return pack(message);
  }

  function encodeAside(message: M): Uint8Array {
    registry.validate(message);
    return pack(message);
  }

  function pack(value: unknown): Uint8Array {
    const bytes = packWhileMarked(value, 0);
    checkPacked(bytes.byteLength);
    return bytes;
  }

  /**
   * Packs with `headroomBytes` reserved in front, so the caller writes its header in place instead
   * of copying the data after one. REUSE_BUFFER_MODE hands back msgpackr's whole buffer with the
   * range set on it, so no view is made; when the encode shared a new structure, msgpackr returns a
   * fresh view of the range instead, which has no `end`.
   */
  function packAfter(value: unknown, headroomBytes: number): EncodedBytes {
    const packed = packWhileMarked(value, REUSE_BUFFER_MODE | RESERVE_START_SPACE | headroomBytes) as Uint8Array & { start?: number; end?: number };
    encoded.bytes = packed;
    if (packed.end === undefined) {
      encoded.offset = 0;
      encoded.length = packed.length;
    } else {
      encoded.offset = packed.start!;
      encoded.length = packed.end - packed.start!;
    }
    checkPacked(encoded.length - headroomBytes);
    return encoded;
  }

  /**
   * msgpackr's pack, marked as an encoder of the thread mid-write (see plain-data-writer.ts); the
   * shapes it shared, even in a pack that threw, count at once.
   */
  function packWhileMarked(value: unknown, flags: number): Uint8Array {
    const was = markEncoding(true);
    try {
      return packr.pack(value, flags);
    } finally {
      markEncoding(was);
      codec.structureCount = outbound.sharedLength ?? 0;
    }
  }

  function checkPacked(dataBytes: number): void {
    assert((outbound.sharedLength ?? 0) <= countMax, 'the encoder shared more structures than its bound');
    if (dataBytes > frameBytesMax) {
      throw new ProtocolError('too-large', 'frame', `${dataBytes} bytes exceed frameBytesMax (${frameBytesMax})`);
    }
  }

  function decodeRange(frame: Uint8Array, start: number, end: number): M {
    try {
      return registry.validate(unpackRange(frame, start, end), anyFields);
    } catch (thrown) {
      throw asDecodeError(thrown);
    }
  }

  function unpackRange(frame: Uint8Array, start: number, end: number): unknown {
    const length = end - start;
    if (length === 0) throw new ProtocolError('truncated', 'frame', 'the frame is empty');
    if (length > frameBytesMax) throw new ProtocolError('too-large', 'frame', `${length} bytes exceed frameBytesMax (${frameBytesMax})`);
    const mended = mendLeadingBoms(frame, start, end, inbound);
    if (mended !== null) return unpackr.unpack(mended);
    range.start = start;
    range.end = end;
    return unpackr.unpack(frame, range);
  }

  let lastPlainFrame: Uint8Array | null = null;

  function checkedRange(bytes: Uint8Array, start: number, end: number): Uint8Array {
    // A port decodes frame after frame from one scratch copy: its prototype, a call into the
    // runtime to read, is checked once.
    const frame = bytes === lastPlainFrame ? bytes : asPlainView(bytes);
    lastPlainFrame = frame;
    assert(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end && end <= frame.length, 'the range must lie within bytes');
    return frame;
  }

  // Counts and the last write's portables are data properties, kept up to date by the methods: an
  // object literal with getters is made in dictionary mode, and every call of one of its methods
  // was then a lookup by name (3.7 % of a cross-CPU tell's samples went to such loads).
  const codec = {
    encode,
    encodeAside,
    encodeInto(message: M, target: Uint8Array, offset: number): number {
      assert(Number.isInteger(offset) && offset >= 0 && offset <= target.byteLength, 'offset must lie within target');
      const bytes = encode(message);
      if (bytes.byteLength > target.byteLength - offset) return 0;
      target.set(bytes, offset);
      return bytes.byteLength;
    },
    decode(bytes: Uint8Array): M {
      const frame = asPlainView(bytes);
      return decodeRange(frame, 0, frame.byteLength);
    },
    decodeRange(bytes: Uint8Array, start: number, end: number): M {
      return decodeRange(checkedRange(bytes, start, end), start, end);
    },
    encodeData(value: unknown, field: string, headroomBytes = 0): EncodedBytes {
      if (writer.write(value, headroomBytes)) {
        codec.portablesInLastData = writer.portables;
        codec.structureCount = outbound.sharedLength ?? 0;
        encoded.bytes = writer.bytes;
        encoded.offset = 0;
        encoded.length = writer.length;
        return encoded;
      }
      // What the writer does not take: the check words the error, or msgpackr encodes a rare value.
      codec.portablesInLastData = validatePlainData(value, field, portable);
      return packAfter(value, headroomBytes);
    },
    portablesInLastData: 0,
    decodeDataRange(bytes: Uint8Array, start: number, end: number, field: string): unknown {
      const frame = checkedRange(bytes, start, end);
      try {
        const value = unpackRange(frame, start, end);
        if (anyFields === 'check') validatePlainData(value, field);
        return value;
      } catch (thrown) {
        throw asDecodeError(thrown);
      }
    },
    structures,
    structureCount: outbound.sharedLength ?? 0,
    importedStructureCount: inbound.sharedLength ?? 0,
    exportStructures(): StructureList {
      return exportTable(outbound);
    },
    importStructures(list: StructureList): void {
      if (!structures) {
        if (Array.isArray(list) && list.length === 0) return;
        throw new ProtocolError('malformed', 'structures', 'this codec runs without record structures; both peers must agree');
      }
      const accepted = checkImport(list, inbound, countMax);
      inbound = extendDecoderTable(inbound, accepted);
      // msgpackr reads `structures` from the instance at every unpack, so swapping it is enough.
      (unpackr as Unpackr & { structures: MsgpackrTable }).structures = inbound;
      codec.importedStructureCount = inbound.sharedLength ?? 0;
      assert(codec.importedStructureCount <= countMax, 'the decoder imported more structures than its bound');
    },
  };
  return codec;
}

function encoderOptions(structures: boolean, outbound: MsgpackrTable, countMax: number): Options {
  if (!structures) return { useRecords: false, mapsAsObjects: true, moreTypes: false, structuredClone: false };
  return {
    useRecords: true,
    structures: outbound,
    maxSharedStructures: countMax,
    maxOwnStructures: 0,
    mapsAsObjects: true,
    moreTypes: false,
    structuredClone: false,
  };
}

function decoderOptions(structures: boolean, inbound: MsgpackrTable): Options {
  if (!structures) return { useRecords: false, mapsAsObjects: true, structuredClone: false, copyBuffers: true };
  return {
    useRecords: true,
    structures: inbound,
    mapsAsObjects: true,
    structuredClone: false,
    copyBuffers: true,
    getStructures: refuseUnknownStructure,
  };
}

/** msgpackr calls this for a record id missing from the table; we never load structures lazily. */
function refuseUnknownStructure(): never {
  throw new ProtocolError('malformed', 'frame', "a record uses a structure this decoder has not imported (import the encoder's exportStructures() first)");
}

function asPlainView(bytes: Uint8Array): Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw new ProtocolError('malformed', 'frame', 'a frame must be a Uint8Array');
  // copyBuffers slices with the source's species: a Buffer frame would yield Buffer `bytes` fields.
  if (Object.getPrototypeOf(bytes) === Uint8Array.prototype) return bytes;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function asDecodeError(thrown: unknown): Error {
  if (thrown instanceof ProtocolError || thrown instanceof InvariantError) return thrown;
  // msgpackr flags errors caused by running out of bytes with `incomplete`.
  const code = isIncomplete(thrown) ? 'truncated' : 'malformed';
  return new ProtocolError(code, 'frame', describeThrown(thrown), { cause: thrown });
}

function isIncomplete(thrown: unknown): boolean {
  try {
    return typeof thrown === 'object' && thrown !== null && (thrown as { incomplete?: unknown }).incomplete === true;
  } catch {
    return false;
  }
}
