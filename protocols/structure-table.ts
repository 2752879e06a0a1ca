/**
 * Record structures: the object shapes an encoder and a decoder agree on, so a record on the wire
 * is an id byte plus values instead of a map of key strings.
 *
 * Sync rule. A codec's encoder appends a shape to its table the first time it packs an object of
 * that shape (up to the bound) and from then on writes only the id, starting with that very frame.
 * A decoder on another thread therefore has to import the encoder's table before it decodes the
 * first frame that uses a new id; the sender learns that one is due when `structureCount` grows.
 * Tables are append-only: an id never changes meaning, so an import must extend what the decoder
 * already has, and a conflicting one is refused instead of silently re-labelling fields.
 *
 * Both sides also start from the same seeds: one shape per registered message type, with the keys
 * in declaration order. Messages built in that order need no sync at all.
 */
import type { AnyMessageDescriptor } from './schema.js';
import { objectKeyCountMax, stringLengthMax } from './limits.js';
import { ProtocolError } from './protocol-error.js';
import { reservedKeys } from './field-spec.js';

/** The keys of one object shape, in wire order. */
export type Structure = readonly string[];

/** A table as exchanged between threads: plain arrays of strings, structured-clone friendly. */
export type StructureList = readonly Structure[];

/**
 * msgpackr's in-memory form. `sharedLength` marks how many ids are agreed; on decoder entries,
 * `isShared` makes msgpackr restore the entry after a frame that redefines it in-band, and
 * `highByte` tells it that ids past the 32nd are two bytes long.
 */
export type MsgpackrTable = (string[] & { isShared?: boolean; highByte?: number })[] & { sharedLength?: number };

/** Ids 0x40–0x5f are one byte; msgpackr writes later ones as (0x60 + id % 32, high byte). */
const oneByteStructureCount = 32;

/**
 * One shape per descriptor (`['type', ...fields]`), skipping duplicate key lists, at most `countMax`.
 * Deterministic in registration order, so two codecs built from the same registry agree.
 */
export function seedStructures(descriptors: readonly AnyMessageDescriptor[], countMax: number): string[][] {
  const seeds: string[][] = [];
  const seen = new Set<string>();
  for (const descriptor of descriptors) {
    if (seeds.length >= countMax) break;
    const keys = (descriptor.rule.fields ?? []).map((entry) => entry.name);
    const signature = JSON.stringify(keys);
    if (seen.has(signature)) continue;
    seen.add(signature);
    seeds.push(keys);
  }
  return seeds;
}

/** A frozen copy of the agreed part of an encoder table, safe to post to another thread. */
export function exportTable(table: MsgpackrTable): StructureList {
  const count = table.sharedLength ?? 0;
  return Object.freeze(table.slice(0, count).map((keys) => Object.freeze([...keys])));
}

/**
 * Checks an untrusted table from a peer against what this decoder already holds. Returns the list
 * as fresh arrays; throws ProtocolError for a malformed, oversized or conflicting table.
 */
export function checkImport(list: unknown, current: MsgpackrTable, countMax: number): string[][] {
  if (!Array.isArray(list)) throw new ProtocolError('malformed', 'structures', 'expected an array of structures');
  if (list.length > countMax) {
    throw new ProtocolError('too-large', 'structures', `${list.length} structures exceed this codec's bound (${countMax})`);
  }
  const accepted: string[][] = [];
  for (let index = 0; index < list.length; index++) {
    const keys = checkStructure(list[index], `structures[${index}]`);
    const known = current[index];
    if (known !== undefined && !sameKeys(known, keys)) {
      throw new ProtocolError('malformed', `structures[${index}]`, 'conflicts with an imported structure; tables are append-only');
    }
    accepted.push(keys);
  }
  return accepted;
}

function checkStructure(entry: unknown, where: string): string[] {
  if (!Array.isArray(entry)) throw new ProtocolError('malformed', where, 'expected an array of keys');
  if (entry.length > objectKeyCountMax) throw new ProtocolError('too-large', where, `more than objectKeyCountMax (${objectKeyCountMax}) keys`);
  const keys: string[] = [];
  const seen = new Set<string>();
  for (const key of entry as unknown[]) {
    if (typeof key !== 'string' || key.length > stringLengthMax) throw new ProtocolError('malformed', where, 'keys must be strings within stringLengthMax');
    if (reservedKeys.has(key) || seen.has(key)) throw new ProtocolError('malformed', where, `key ${JSON.stringify(key)} is reserved or repeated`);
    seen.add(key);
    keys.push(key);
  }
  return keys;
}

function sameKeys(left: readonly string[], right: readonly string[]): boolean {
  if (left.length !== right.length) return false;
  for (let index = 0; index < left.length; index++) if (left[index] !== right[index]) return false;
  return true;
}

/**
 * A decoder table holding `list`. Entries already in `current` are reused, so the record readers
 * msgpackr compiled for them survive the import.
 */
export function extendDecoderTable(current: MsgpackrTable, list: readonly Structure[]): MsgpackrTable {
  const next: MsgpackrTable = current.slice(0, current.sharedLength ?? 0);
  for (let index = next.length; index < list.length; index++) {
    const keys: MsgpackrTable[number] = [...(list[index] as Structure)];
    keys.isShared = true;
    if (index >= oneByteStructureCount) keys.highByte = (index - oneByteStructureCount) >> 5;
    next.push(keys);
  }
  next.sharedLength = next.length;
  return next;
}
