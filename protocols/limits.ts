/**
 * Bounds on everything a message can contain. Bytes from another CPU are untrusted, so each bound
 * caps the work (and memory) one frame can cost a receiver; the same bounds apply when sending, so
 * a sender can never produce a frame its peer rejects for size.
 */
import { assert } from '../ground/assert.js';

/** Largest encoded frame, in bytes. A frame will live in a ring buffer slot region between CPUs. */
export const frameBytesMax = 65_536;
/** Longest string (values and object keys), in UTF-16 code units (`string.length`). */
export const stringLengthMax = 16_384;
/** Most elements in one array. */
export const arrayCountMax = 4_096;
/** Most own keys in one plain object inside an `any` value. */
export const objectKeyCountMax = 256;
/** Deepest nesting of objects and arrays; the message object itself is level 1. */
export const nestingDepthMax = 16;
/**
 * Most values (scalars, containers and object keys) one message may hold. It bounds `validate` on
 * local values, where shared sub-objects (a DAG) would otherwise be walked once per path,
 * exponentially; the frame's size does not imply it, because a record sends its keys in the shared
 * table, not in the frame.
 */
export const valueCountMax = frameBytesMax;
/**
 * Record structures (object shapes) a codec shares with its peer. Ids 0x40–0x5f take one byte on
 * the wire; msgpackr allows up to 8160 shared structures, the ones past the 32nd cost two bytes.
 */
export const structureCountMax = 32;
/**
 * Nodes of a codec's shape tree (plain-data-writer.ts): one a distinct key path met. Objects used
 * as dictionaries would grow it without end; past the bound, objects with new key paths take the
 * slow path (msgpackr, as maps once the table is full).
 */
export const shapeNodeCountMax = 4_096;
/** msgpackr refuses a `maxSharedStructures` above this (see its `Packr` constructor). */
export const msgpackrSharedStructuresMax = 8_160;
/** Longest field path or explanation an error message quotes, in characters. */
export const errorDetailLengthMax = 160;

// Why these relations: a frame must be able to carry the largest single value the schema admits,
// or a valid message could be unsendable for reasons the schema does not show.
assert(Number.isInteger(frameBytesMax) && frameBytesMax >= 1_024, 'frameBytesMax must be an integer of at least 1 KiB');
assert(frameBytesMax <= 2 ** 31, 'frameBytesMax must stay far below msgpackr buffer limits');
// A UTF-16 code unit takes at most 3 UTF-8 bytes (a surrogate pair, 2 units, takes 4); 5 is the str32 header.
assert(stringLengthMax * 3 + 5 <= frameBytesMax, 'a string of stringLengthMax must fit in one frame');
assert(stringLengthMax >= 1, 'stringLengthMax must be positive');
// Each element takes at least one byte.
assert(arrayCountMax >= 1 && arrayCountMax <= frameBytesMax, 'arrayCountMax must be within 1..frameBytesMax');
// Each entry takes at least two bytes (key and value); msgpackr's plain maps use a 16-bit size.
assert(objectKeyCountMax >= 1 && objectKeyCountMax * 2 <= frameBytesMax, 'objectKeyCountMax must fit in a frame');
assert(objectKeyCountMax <= 0xffff, 'objectKeyCountMax must fit msgpackr map16 objects');
// Level 1 is the message, level 2 its fields (an envelope body); deep recursion risks the stack.
assert(nestingDepthMax >= 2, 'nestingDepthMax must allow at least a message and one nested level');
assert(nestingDepthMax <= 64, 'nestingDepthMax must keep recursive validation far from the stack limit');
assert(valueCountMax >= arrayCountMax && valueCountMax >= objectKeyCountMax, 'valueCountMax must admit one full array or object');
assert(structureCountMax >= 0 && structureCountMax <= msgpackrSharedStructuresMax, 'structureCountMax must be within msgpackr limits');
// An object of the most keys must fit the tree, or such objects could never be records.
assert(Number.isInteger(shapeNodeCountMax) && shapeNodeCountMax > objectKeyCountMax, 'shapeNodeCountMax must hold an object of objectKeyCountMax keys');
assert(errorDetailLengthMax >= 16, 'errorDetailLengthMax must leave room for a useful path');
