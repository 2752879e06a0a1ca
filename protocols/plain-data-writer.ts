/**
 * Plain data to MessagePack in one walk: the codec's fast path for `encodeData` (a message body
 * between CPUs) and `encode` (a whole kernel message). It refuses what `validatePlainData` refuses
 * and writes msgpackr's format, records included, reading each value once.
 *
 * Why not msgpackr: the check and `pack` walked the value twice, and `pack`'s record writer walks
 * each object twice more, with an own-property call and a megamorphic keyed load per key. For
 * `{ type: 'ping', seq, payload: { a: 1, b: 'x' } }` the two cost 1770 + 2900 instructions, and a
 * tell to another CPU could not keep up with `postMessage` batched 64 (docs/measured-limits.md §3h).
 *
 * It is a fast path only. Whenever it meets something it does not take (a value that is not plain
 * data, a frame over `frameBytesMax`, a getter that throws, a write begun while another encoder of
 * the thread is mid-write), `write` returns false having shared nothing but, perhaps, new
 * structures, and the caller runs the check and msgpackr as before: the errors a sender sees, and
 * everything msgpackr decides for rare values, stay what they were.
 *
 * The wire format is msgpackr's, so the peer's unchanged decoder reads it:
 * - an object is a record when structures are on: its id byte (0x40 + index into the shared table,
 *   two bytes past the 32nd), then its values in key order; without structures, or of a shape the
 *   full table lacks, a map16 of key and value;
 * - in records mode positive fixints stop at 0x3f, because 0x40–0x7f are record ids;
 * - strings reserve the longest header their UTF-16 length could need (msgpackr moves the bytes to
 *   fit the shortest; a decoder reads either);
 * - `undefined` is msgpackr's fixext 1 of type 0; bigints are int64 or uint64;
 * - a portable object (a ref) travels as a map of its `toJSON()`; bytes are a `Uint8Array` or a
 *   `Buffer` without a `toJSON` of its own (msgpackr would pack that instead), as bin8/16/32;
 *   other typed arrays and subclasses take the slow path.
 *
 * Shapes are looked up in a tree of keys whose nodes remember their last successor, so a stream of
 * same-shaped objects costs one string identity test per key. New shapes are appended to the same
 * table msgpackr's encoder uses, so the codec's sync rule (structure-table.ts) covers both.
 */
import { assert } from '../ground/assert.js';
import { arrayCountMax, frameBytesMax, nestingDepthMax, objectKeyCountMax, shapeNodeCountMax, stringLengthMax, valueCountMax } from './limits.js';
import { isWellFormedString, reservedKeys } from './field-spec.js';
import type { MsgpackrTable } from './structure-table.js';
import { hasEnumerableKey, type PortableObjects } from './validate.js';

/** Most bytes a caller may ask to be left in front of the data (msgpackr's reserve is one byte too). */
export const headroomBytesMax = 0xff;
/** Ids 0x40–0x5f are one byte; msgpackr writes later ones as (0x60 + index % 32, index >> 5). */
const oneByteRecordCount = 32;
const recordIdBase = 0x40;
/** Strings this long or longer are encoded by Node's UTF-8 writer, after a well-formedness check. */
const nativeStringLengthMin = 64;
/** A string's bytes at most: 3 UTF-8 bytes a UTF-16 unit, behind a str32 header. */
const stringBytesMax = stringLengthMax * 3 + 5;
/** The most one scalar write adds: a float64 or an int64 behind its type byte. */
const scalarBytesMax = 9;
/**
 * Every value is written only if the position is still within the frame's end, so one write may
 * pass that end by a string's bytes at most (bytes check their length before they are copied),
 * and each level of two-byte record ids moves what follows by one byte more.
 */
const bufferBytes = headroomBytesMax + frameBytesMax + stringBytesMax + scalarBytesMax + nestingDepthMax;

// One buffer a thread, as msgpackr has: a frame is valid until the next encode in this thread.
const bytes = new Uint8Array(bufferBytes);
const nodeBytes = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/**
 * Whether an encoder of this thread is mid-write: a writer (they share the buffer), or msgpackr
 * (a getter it calls could share a shape under an id msgpackr is about to give another). A write
 * begun meanwhile, from a getter, takes the slow path, which msgpackr makes re-entrant.
 */
let encoding = false;

/**
 * Marks msgpackr's encoder as mid-write (`true`) or done, and returns what the mark was, to put back
 * after: the codec wraps every `pack` in it.
 */
export function markEncoding(on: boolean): boolean {
  const was = encoding;
  encoding = on;
  return was;
}

/** The `toJSON` bytes have unless given their own, which msgpackr would pack instead of the bytes. */
function bytesToJSON(prototype: unknown): unknown {
  return prototype === Buffer.prototype ? Buffer.prototype.toJSON : undefined;
}

/** Thrown inside a write to abandon it; never escapes `write`. */
const abandon: unique symbol = Symbol('abandon the fast path');

/** One key path of the shape tree: the keys from the root to here are a shape's keys, in order. */
class ShapeNode {
  /** The successor met last, tried first: a stream of one shape costs one identity test a key. */
  lastKey: string | null = null;
  last: ShapeNode | null = null;
  /** Every successor, once there are two (the roots of the levels share one from the start). */
  successors: Map<string, ShapeNode> | null = null;
  /** The record id of the shape ending here; 0 until the shape is shared, -1 when the table was full. */
  recordId = 0;

  constructor(
    readonly parent: ShapeNode | null,
    readonly key: string,
  ) {}

  /** The keys from the root to this node. */
  keys(): string[] {
    const keys: string[] = [];
    for (let node: ShapeNode | null = this; node.parent !== null; node = node.parent) keys.push(node.key);
    return keys.reverse();
  }
}

/**
 * Writes plain data for one codec: its structure table (null without structures) and the objects
 * it lets through although they are not plain (refs).
 *
 * @example
 * ```ts
 * const writer = new PlainDataWriter(table, 32, null);
 * if (writer.write({ type: 'ping', seq: 1 }, 2)) ring.offerRange(writer.bytes, 0, writer.length);
 * else ... // the slow path: validatePlainData, then msgpackr
 * ```
 */
export class PlainDataWriter {
  /** The buffer of the last write: its frame is `bytes[0 .. length)`, headroom first. */
  readonly bytes = bytes;
  /** Bytes of the last successful write, headroom included. */
  length = 0;
  /** How many portable objects the last successful write held. */
  portables = 0;
  /**
   * A root of the shape tree for each level of nesting, sharing one set of successors: each
   * remembers the first key met at its level, so a message and the object inside it do not take
   * turns at one cache. The first stands for all of them: the empty shape's node.
   */
  private readonly levelRoots: ShapeNode[] = [];
  private readonly root: ShapeNode;
  private shapeNodes = 1;
  /** How much of the table the tree holds: the shapes msgpackr shared are taken in before a write. */
  private sharedKnown = 0;
  private readonly records: boolean;
  private readonly reservedKey: string | null;
  private position = 0;
  private end = 0;
  /** True when Object.prototype has enumerable keys (it was polluted): for-in then yields them too. */
  private inheritedKeys = false;
  /** Values the write may still visit, as the check counts them (keys too): `valueCountMax`. */
  private valuesLeft = 0;
  /** Set once an object had to be written again as a map: the rest of the write writes maps (see `record`). */
  private mapsOnly = false;

  constructor(
    private readonly table: MsgpackrTable | null,
    private readonly countMax: number,
    private readonly portable: PortableObjects | null,
  ) {
    this.records = table !== null;
    const successors = new Map<string, ShapeNode>();
    for (let depth = 0; depth <= nestingDepthMax; depth++) {
      const levelRoot = new ShapeNode(null, '');
      levelRoot.successors = successors;
      this.levelRoots.push(levelRoot);
    }
    this.root = this.levelRoots[0] as ShapeNode;
    this.reservedKey = portable === null ? null : portable.reservedKey;
  }

  /** Nodes of the shape tree, at most `shapeNodeCountMax`. */
  get shapeNodeCount(): number {
    return this.shapeNodes;
  }

  /**
   * Checks and encodes `value` after `headroomBytes` bytes left for the caller's header. Returns true
   * with `bytes[0 .. length)` holding the frame, or false, having written no frame, when the value
   * needs the slow path (see the file's comment). Never throws for any value. `level` is where the
   * value sits as the checks count nesting: 2 for an `any` field's value inside a message, 1 for a
   * whole message.
   */
  write(value: unknown, headroomBytes: number, level = 2): boolean {
    assert(Number.isInteger(headroomBytes) && headroomBytes >= 0 && headroomBytes <= headroomBytesMax, 'headroomBytes must be an integer within 0..255');
    assert(level === 1 || level === 2, 'a written value is a message (level 1) or an any field of one (level 2)');
    // A getter of a value being encoded that sends to another CPU (see `encoding`).
    if (encoding === true) return false;
    encoding = true;
    try {
      this.position = headroomBytes;
      this.end = headroomBytes + frameBytesMax;
      this.inheritedKeys = hasEnumerableKey(Object.prototype);
      this.portables = 0;
      this.valuesLeft = valueCountMax;
      this.mapsOnly = false;
      if (this.table !== null && this.table.sharedLength !== this.sharedKnown) this.learnShared(this.table);
      this.value(value, level);
    } catch {
      // `abandon`, or a getter of the value that threw: the slow path words the error.
      return false;
    } finally {
      encoding = false;
    }
    if (this.position > this.end) return false;
    this.length = this.position;
    return true;
  }

  private value(value: unknown, depth: number): void {
    if (this.position > this.end || --this.valuesLeft < 0) throw abandon;
    // Comparisons with typeof, not a switch on it: V8 turns each into a type test, where a switch
    // makes the type's name first (a call of its own, 0.5 % of a cross-CPU tell's samples).
    if (typeof value === 'number') {
      this.number(value);
    } else if (typeof value === 'string') {
      this.string(value);
    } else if (typeof value === 'object') {
      if (value === null) bytes[this.position++] = 0xc0;
      else this.container(value, depth);
    } else if (typeof value === 'boolean') {
      bytes[this.position++] = value === true ? 0xc3 : 0xc2;
    } else if (value === undefined) {
      bytes[this.position++] = 0xd4;
      bytes[this.position++] = 0;
      bytes[this.position++] = 0;
    } else if (typeof value === 'bigint') {
      this.bigint(value);
    } else {
      throw abandon;
    }
  }

  /** As msgpackr writes a number: the smallest integer form within 32 bits, else a float64. */
  private number(value: number): void {
    let position = this.position;
    if (value >>> 0 === value) {
      if (value < 0x40 || (value < 0x80 && this.records === false)) {
        bytes[position++] = value;
      } else if (value < 0x100) {
        bytes[position++] = 0xcc;
        bytes[position++] = value;
      } else if (value < 0x10000) {
        bytes[position++] = 0xcd;
        bytes[position++] = value >> 8;
        bytes[position++] = value & 0xff;
      } else {
        bytes[position++] = 0xce;
        view.setUint32(position, value);
        position += 4;
      }
    } else if (value >> 0 === value) {
      if (value >= -0x20) {
        bytes[position++] = 0x100 + value;
      } else if (value >= -0x80) {
        bytes[position++] = 0xd0;
        bytes[position++] = value + 0x100;
      } else if (value >= -0x8000) {
        bytes[position++] = 0xd1;
        view.setInt16(position, value);
        position += 2;
      } else {
        bytes[position++] = 0xd2;
        view.setInt32(position, value);
        position += 4;
      }
    } else {
      bytes[position++] = 0xcb;
      view.setFloat64(position, value);
      position += 8;
    }
    this.position = position;
  }

  private bigint(value: bigint): void {
    // msgpack integers are 64-bit; anything wider takes the slow path, which refuses it.
    if (value >= -0x8000000000000000n && value < 0x8000000000000000n) {
      bytes[this.position] = 0xd3;
      view.setBigInt64(this.position + 1, value);
    } else if (value >= 0n && value < 0x10000000000000000n) {
      bytes[this.position] = 0xcf;
      view.setBigUint64(this.position + 1, value);
    } else {
      throw abandon;
    }
    this.position += 9;
  }

  /**
   * A string behind the longest header its UTF-16 length could need. Short strings are encoded
   * here, which also finds lone surrogates (they have no UTF-8 form); longer ones by Node.
   */
  private string(text: string): void {
    const length = text.length;
    if (length > stringLengthMax) throw abandon;
    const start = this.position;
    const header = length < 11 ? 1 : length < 86 ? 2 : length < 21846 ? 3 : 5;
    let position = start + header;
    if (length < nativeStringLengthMin) {
      for (let index = 0; index < length; index++) {
        const unit = text.charCodeAt(index);
        if (unit < 0x80) {
          bytes[position++] = unit;
        } else if (unit < 0x800) {
          bytes[position++] = 0xc0 | (unit >> 6);
          bytes[position++] = 0x80 | (unit & 0x3f);
        } else if (unit < 0xd800 || unit > 0xdfff) {
          bytes[position++] = 0xe0 | (unit >> 12);
          bytes[position++] = 0x80 | ((unit >> 6) & 0x3f);
          bytes[position++] = 0x80 | (unit & 0x3f);
        } else {
          const low = unit < 0xdc00 ? text.charCodeAt(index + 1) : Number.NaN;
          if (!(low >= 0xdc00 && low <= 0xdfff)) throw abandon;
          const point = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
          bytes[position++] = 0xf0 | (point >> 18);
          bytes[position++] = 0x80 | ((point >> 12) & 0x3f);
          bytes[position++] = 0x80 | ((point >> 6) & 0x3f);
          bytes[position++] = 0x80 | (point & 0x3f);
          index++;
        }
      }
    } else {
      if (!isWellFormedString(text)) throw abandon;
      position += nodeBytes.write(text, position, 'utf8');
    }
    const byteLength = position - start - header;
    if (header === 1) {
      bytes[start] = 0xa0 | byteLength;
    } else if (header === 2) {
      bytes[start] = 0xd9;
      bytes[start + 1] = byteLength;
    } else if (header === 3) {
      bytes[start] = 0xda;
      bytes[start + 1] = byteLength >> 8;
      bytes[start + 2] = byteLength & 0xff;
    } else {
      bytes[start] = 0xdb;
      view.setUint32(start + 1, byteLength);
    }
    this.position = position;
  }

  private container(value: object, depth: number): void {
    // One prototype read sorts the containers, plain objects (most values) first, as the check does.
    const prototype: unknown = Object.getPrototypeOf(value);
    if (prototype === Object.prototype || prototype === null) {
      if (this.records === true) this.record(value, depth);
      else this.map(value, depth, this.reservedKey);
    } else if (prototype === Array.prototype && Array.isArray(value)) {
      this.array(value as readonly unknown[], depth);
    } else if ((prototype === Uint8Array.prototype || prototype === Buffer.prototype) && (value as { toJSON?: unknown }).toJSON === bytesToJSON(prototype)) {
      this.binary(value as Uint8Array);
    } else {
      this.portableObject(value, depth);
    }
  }

  /**
   * An object as a record: its values are written as its keys lead down the shape tree, and the
   * id of the shape they end at goes in the byte left in front of them.
   */
  private record(object: object, depth: number): void {
    if (depth > nestingDepthMax) throw abandon;
    if (this.mapsOnly === true) {
      this.map(object, depth, this.reservedKey);
      return;
    }
    // With the table full, a shape it lacks goes as a map, as msgpackr sends it: looked up from the
    // keys alone first, so that the object is written once.
    if (((this.table as MsgpackrTable).sharedLength ?? 0) >= this.countMax) {
      const shape = this.sharedShapeOf(object, depth);
      if (shape === null || shape.recordId <= 0) {
        this.map(object, depth, this.reservedKey);
        return;
      }
    }
    const start = this.position++;
    const valuesLeft = this.valuesLeft;
    const portables = this.portables;
    let node = this.levelRoots[depth] as ShapeNode;
    let keyCount = 0;
    for (const key in object) {
      if (this.inheritedKeys === true && !Object.hasOwn(object, key)) continue;
      if (++keyCount > objectKeyCountMax || --this.valuesLeft < 0) throw abandon;
      const next = node.lastKey === key ? node.last : this.successor(node, key);
      if (next === null) throw abandon;
      node = next;
      this.value((object as Record<string, unknown>)[key], depth + 1);
    }
    if (keyCount === 0) node = this.root;
    let recordId = node.recordId;
    if (recordId === 0) recordId = this.share(node);
    if (recordId < 0) {
      // No room for its shape: the table filled up while its values were written, or its keys
      // changed since the lookup (a getter, a proxy). It goes again, as a map, whose every key travels
      // with its value (msgpackr's record writer reads keys and values in two walks, and keys that
      // change between them make a frame that does not decode). So does every object after it in
      // this write: otherwise keys that keep changing would write it again at every level around it.
      this.mapsOnly = true;
      this.position = start;
      this.valuesLeft = valuesLeft;
      this.portables = portables;
      this.map(object, depth, this.reservedKey);
      return;
    }
    if (recordId < recordIdBase + oneByteRecordCount) {
      bytes[start] = recordId;
      return;
    }
    bytes.copyWithin(start + 2, start + 1, this.position);
    this.position++;
    const index = recordId - recordIdBase - oneByteRecordCount;
    bytes[start] = 0x60 + (index & 0x1f);
    bytes[start + 1] = index >> 5;
  }

  /**
   * The node of `object`'s shape if the tree has one, from its keys alone; adds no node (with the
   * table full, a new shape could not be shared, and dictionaries would fill the tree).
   */
  private sharedShapeOf(object: object, depth: number): ShapeNode | null {
    let node = this.levelRoots[depth] as ShapeNode;
    let keyCount = 0;
    for (const key in object) {
      if (this.inheritedKeys === true && !Object.hasOwn(object, key)) continue;
      if (++keyCount > objectKeyCountMax) return null;
      const next = node.lastKey === key ? node.last : node.successors === null ? undefined : node.successors.get(key);
      if (next == null) return null;
      node = next;
    }
    return keyCount === 0 ? this.root : node;
  }

  /**
   * The tree's next node for `key`, or null when the key cannot travel or the tree is at its bound;
   * a key met for the first time is checked here, once.
   */
  private successor(node: ShapeNode, key: string): ShapeNode | null {
    if (node.lastKey === key) return node.last;
    let next = node.successors === null ? undefined : node.successors.get(key);
    if (next === undefined) {
      if (this.shapeNodes >= shapeNodeCountMax || !this.keyTravels(key, this.reservedKey)) return null;
      next = new ShapeNode(node, key);
      this.shapeNodes++;
      if (node.successors !== null) node.successors.set(key, next);
      else if (node.last !== null)
        node.successors = new Map([
          [node.lastKey as string, node.last],
          [key, next],
        ]);
    }
    node.lastKey = key;
    node.last = next;
    return next;
  }

  /**
   * Takes into the tree the shapes shared since it last looked (the seeds, and those msgpackr's
   * encoder shared), so an object of such a shape reuses its id rather than sharing it twice.
   */
  private learnShared(table: MsgpackrTable): void {
    const sharedLength = table.sharedLength ?? 0;
    shapes: for (let index = this.sharedKnown; index < sharedLength; index++) {
      let node: ShapeNode | null = this.root;
      for (const key of table[index] as string[]) {
        node = this.successor(node, key);
        if (node === null) continue shapes;
      }
      if (node.recordId <= 0) node.recordId = recordIdBase + index;
    }
    this.sharedKnown = sharedLength;
  }

  /** Appends the shape ending at `node` to the table; returns its record id, or -1 when the table is full. */
  private share(node: ShapeNode): number {
    const table = this.table as MsgpackrTable;
    const index = table.sharedLength ?? 0;
    if (index >= this.countMax) {
      node.recordId = -1;
      return -1;
    }
    table[index] = node.keys();
    table.sharedLength = index + 1;
    // Shapes msgpackr shared during this write (from a getter) are still to be learned.
    if (this.sharedKnown === index) this.sharedKnown = index + 1;
    // msgpackr rebuilds its own lookup from the table at its next pack.
    (table as MsgpackrTable & { transitions?: unknown }).transitions = undefined;
    node.recordId = recordIdBase + index;
    return node.recordId;
  }

  /** An object as a map16 of keys and values; `reservedKey`, when not null, may not be one of the keys. */
  private map(object: object, depth: number, reservedKey: string | null): void {
    if (depth > nestingDepthMax) throw abandon;
    const start = this.position;
    this.position += 3;
    let keyCount = 0;
    for (const key in object) {
      if (this.inheritedKeys === true && !Object.hasOwn(object, key)) continue;
      if (++keyCount > objectKeyCountMax || --this.valuesLeft < 0 || !this.keyTravels(key, reservedKey) || this.position > this.end) throw abandon;
      this.string(key);
      this.value((object as Record<string, unknown>)[key], depth + 1);
    }
    bytes[start] = 0xde;
    bytes[start + 1] = keyCount >> 8;
    bytes[start + 2] = keyCount & 0xff;
  }

  /** The keys that can travel: not field-spec's reserved ones, nor the one refs own (`reservedKey`). */
  private keyTravels(key: string, reservedKey: string | null): boolean {
    if (reservedKeys.has(key) || key === reservedKey) return false;
    return key.length <= stringLengthMax && isWellFormedString(key);
  }

  private array(array: readonly unknown[], depth: number): void {
    const count = array.length;
    if (depth > nestingDepthMax || count > arrayCountMax) throw abandon;
    if (count < 0x10) {
      bytes[this.position++] = 0x90 | count;
    } else {
      bytes[this.position++] = 0xdc;
      bytes[this.position++] = count >> 8;
      bytes[this.position++] = count & 0xff;
    }
    for (let index = 0; index < count; index++) this.value(array[index], depth + 1);
  }

  private binary(value: Uint8Array): void {
    const length = value.byteLength;
    if (this.position + 5 + length > this.end) throw abandon;
    if (length < 0x100) {
      bytes[this.position++] = 0xc4;
      bytes[this.position++] = length;
    } else if (length < 0x10000) {
      bytes[this.position++] = 0xc5;
      bytes[this.position++] = length >> 8;
      bytes[this.position++] = length & 0xff;
    } else {
      bytes[this.position++] = 0xc6;
      view.setUint32(this.position, length);
      this.position += 4;
    }
    bytes.set(value, this.position);
    this.position += length;
  }

  /** An object the codec lets through (a ref) travels as a map of its `toJSON()`, the reserved key allowed. */
  private portableObject(value: object, depth: number): void {
    if (this.portable === null || this.portable.accepts(value) !== true) throw abandon;
    this.portables++;
    const json: unknown = (value as { toJSON(): unknown }).toJSON();
    if (typeof json !== 'object' || json === null || Object.getPrototypeOf(json) !== Object.prototype) throw abandon;
    // The check counts a portable object as one value, whatever its form on the wire.
    const valuesLeft = this.valuesLeft;
    this.map(json, depth, null);
    this.valuesLeft = valuesLeft;
  }
}
