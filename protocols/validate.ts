/**
 * The validator: walks a value against normalized rules and reports the first failure.
 *
 * Input is untrusted: it may come from msgpackr decoding arbitrary bytes (Dates, Sets, Errors,
 * RegExps, typed arrays, bigints, the 0xC1 marker object) or from local code (getters, proxies,
 * cycles, class instances). So the walker
 * - accepts only plain data: prototypes must be exactly `Object.prototype`/`null` or `Array.prototype`,
 *   which rules out every exotic object without listing them;
 * - counts only own enumerable keys as fields (what msgpackr packs), reads each once, and never
 *   calls a method of the value;
 * - bounds depth, array and key counts, string lengths and the total number of values visited, so
 *   cycles and DAGs end in a `too-large` failure instead of a stack overflow or an exponential walk.
 * A getter or proxy trap can still throw; `SchemaRegistry.validate` turns that into a ProtocolError.
 *
 * Objects are walked with for-in, in the object's own key order: V8 serves for-in and the keyed
 * loads inside it from the enum cache without allocating, about 4× faster per field than
 * `Object.hasOwn` plus a lookup by name (measured). Keys of records arrive in declaration order,
 * so the next expected field is tried first and the name → index map only handles the rest.
 * Success allocates nothing but the walk state; a failure's path is collected while unwinding.
 */
import type { FieldEntry, FieldRule } from './field-spec.js';
import { isWellFormedString } from './field-spec.js';
import { arrayCountMax, frameBytesMax, nestingDepthMax, objectKeyCountMax, stringLengthMax, valueCountMax } from './limits.js';
import type { ProtocolErrorCode } from './protocol-error.js';

/** Where and why a value failed; `path` is innermost-first while the recursion unwinds. */
export interface Failure {
  readonly code: ProtocolErrorCode;
  readonly path: (string | number)[];
  readonly reason: string;
}

/** State of one validation; per call, so re-entrant calls (from a getter) cannot share it. */
export interface Walk {
  /** Values the walk may still visit. */
  valuesLeft: number;
  /**
   * True when Object.prototype has enumerable properties (it was polluted): for-in then also
   * yields inherited keys, and each key must be checked with `Object.hasOwn`.
   */
  readonly inheritedKeys: boolean;
  /**
   * True when `any` fields are taken as the plain data they are, unwalked: only for values a
   * validating encoder in this process produced (see `SchemaRegistry.validate`).
   */
  readonly trustAny: boolean;
  /** Objects other than plain data that may travel in `any` values (see PortableObjects), or null. */
  readonly portable: PortableObjects | null;
  /** How many portable objects the walk met. */
  portables: number;
}

/**
 * Objects that may travel inside plain data although they are not plain: msgpackr packs each by
 * its `toJSON()`, a plain object whose only key is `reservedKey`, and the receiver turns such
 * objects back (an ActorRef, for instance: see actors/cpu/wire-refs.ts).
 */
export interface PortableObjects {
  /** True for a value that travels by its `toJSON()`, false for other objects, or why this one cannot travel. */
  accepts(value: object): boolean | string;
  /** The key of the objects portable values pack to; plain data may not use it. */
  readonly reservedKey: string;
}

export function createWalk(trustAny = false, portable: PortableObjects | null = null): Walk {
  return { valuesLeft: valueCountMax, inheritedKeys: hasEnumerableKey(Object.prototype), trustAny, portable, portables: 0 };
}

const int64Min = -(2n ** 63n);
const uint64End = 2n ** 64n;

/**
 * Checks a plain object against an `object` rule; `depth` is the object's own level. Keys the
 * schema does not declare are refused: a peer runs the same schemas, so an extra key means a bug
 * or a forged frame, and silently carrying it would hide both.
 */
export function checkObject(rule: FieldRule, value: unknown, depth: number, walk: Walk): Failure | undefined {
  if (!isPlainObject(value)) return fail('wrong-field-type', `expected an object, got ${describeValueKind(value)}`);
  if (depth > nestingDepthMax) return tooDeep();
  if (--walk.valuesLeft < 0) return overBudget();
  const fields = rule.fields as readonly FieldEntry[];
  let cursor = 0;
  let requiredSeen = 0;
  for (const key in value) {
    if (walk.inheritedKeys && !Object.hasOwn(value, key)) continue;
    let entry = fields[cursor];
    if (entry !== undefined && entry.name === key) {
      cursor++;
    } else {
      const index = (rule.fieldIndex as ReadonlyMap<string, number>).get(key);
      if (index === undefined) return withPath(fail('malformed', 'field is not declared by the schema'), key);
      entry = fields[index] as FieldEntry;
      cursor = index + 1;
    }
    if (!entry.rule.optional) requiredSeen++;
    const field: unknown = (value as Record<string, unknown>)[key];
    // An optional field that is present but undefined means "absent", as in TypeScript.
    if (field === undefined && entry.rule.optional) continue;
    const failure = checkRule(entry.rule, field, depth, walk);
    if (failure !== undefined) return withPath(failure, key);
  }
  if (requiredSeen !== rule.requiredCount) return missingField(fields, value);
  return undefined;
}

/** Checks one field value; `depth` is the level of the object or array holding it. */
function checkRule(rule: FieldRule, value: unknown, depth: number, walk: Walk): Failure | undefined {
  switch (rule.tag) {
    case 'string':
      return typeof value === 'string' ? checkString(value, walk) : wrongType(rule, value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? spend(walk) : wrongType(rule, value);
    case 'integer':
      return Number.isSafeInteger(value) ? spend(walk) : wrongType(rule, value);
    case 'pid':
      return Number.isSafeInteger(value) && (value as number) >= 0 ? spend(walk) : wrongType(rule, value);
    case 'boolean':
      return typeof value === 'boolean' ? spend(walk) : wrongType(rule, value);
    case 'bytes':
      return value instanceof Uint8Array ? checkBytes(value, walk) : wrongType(rule, value);
    case 'oneOf':
      if (typeof value !== 'string' || !(rule.literals as readonly string[]).includes(value)) return wrongType(rule, value);
      return spend(walk);
    case 'array':
      return checkArray(rule.of as FieldRule, value, depth + 1, walk);
    case 'object':
      return checkObject(rule, value, depth + 1, walk);
    case 'any':
      return walk.trustAny ? spend(walk) : checkPlainValue(value, depth + 1, walk);
  }
}

function checkArray(of: FieldRule, value: unknown, depth: number, walk: Walk): Failure | undefined {
  if (!isPlainArray(value)) return fail('wrong-field-type', `expected an array, got ${describeValueKind(value)}`);
  const sizeFailure = checkArraySize(value.length, depth, walk);
  if (sizeFailure !== undefined) return sizeFailure;
  for (let index = 0; index < value.length; index++) {
    const failure = checkRule(of, value[index], depth, walk);
    if (failure !== undefined) return withPath(failure, index);
  }
  return undefined;
}

/**
 * Checks an `any` value: plain data only. `depth` is the level the value would occupy if it is a
 * container. Dates, Maps, Sets, Errors, RegExps and other typed arrays are refused because msgpackr
 * either cannot round-trip them without `moreTypes` or rebuilds them from attacker-chosen parts.
 */
export function checkPlainValue(value: unknown, depth: number, walk: Walk): Failure | undefined {
  if (typeof value === 'object') {
    if (value === null) return spend(walk);
    // One prototype read sorts the containers, plain objects (most values) first, where `instanceof`
    // and `Array.isArray` were asked before it. With the scalars checked in the object loop below,
    // checking { type, seq, payload: { a, b } } took 2112 -> about 1830 instructions (counted).
    const prototype: unknown = Object.getPrototypeOf(value);
    if (prototype === Object.prototype || prototype === null) return checkPlainObject(value, depth, walk);
    if (prototype === Array.prototype && Array.isArray(value)) return checkPlainArray(value as readonly unknown[], depth, walk);
    if (value instanceof Uint8Array) return checkBytes(value, walk);
    return checkPortable(value, walk);
  }
  switch (typeof value) {
    case 'string':
      return checkString(value, walk);
    case 'number':
    case 'boolean':
    case 'undefined':
      return spend(walk);
    case 'bigint':
      // msgpack integers are 64-bit; msgpackr throws on larger bigints unless told to cheat.
      return value >= int64Min && value < uint64End ? spend(walk) : fail('too-large', 'bigint outside the 64-bit integer range');
    default:
      return fail('wrong-field-type', `expected plain data, got ${typeof value}`);
  }
}

function checkPortable(value: object, walk: Walk): Failure | undefined {
  const verdict = walk.portable === null ? false : walk.portable.accepts(value);
  if (verdict === true) {
    walk.portables++;
    return spend(walk);
  }
  if (verdict === false) return fail('wrong-field-type', `expected plain data, got ${describeValueKind(value)}`);
  return fail('malformed', verdict);
}

function checkPlainArray(value: readonly unknown[], depth: number, walk: Walk): Failure | undefined {
  const sizeFailure = checkArraySize(value.length, depth, walk);
  if (sizeFailure !== undefined) return sizeFailure;
  for (let index = 0; index < value.length; index++) {
    const failure = checkPlainValue(value[index], depth + 1, walk);
    if (failure !== undefined) return withPath(failure, index);
  }
  return undefined;
}

function checkPlainObject(value: object, depth: number, walk: Walk): Failure | undefined {
  if (depth > nestingDepthMax) return tooDeep();
  if (--walk.valuesLeft < 0) return overBudget();
  const reservedKey = walk.portable === null ? null : walk.portable.reservedKey;
  let keyCount = 0;
  // The key bound is enforced as the walk goes, so a huge object costs at most objectKeyCountMax + 1 steps.
  for (const key in value) {
    if (walk.inheritedKeys === true && !Object.hasOwn(value, key)) continue;
    if (++keyCount > objectKeyCountMax) return fail('too-large', `more than objectKeyCountMax (${objectKeyCountMax}) keys`);
    // The reservedKeys of field-spec.ts, compared inline on this hot path.
    if (key === '__proto__' || key === 'toJSON') return withPath(fail('malformed', 'this key cannot travel through msgpackr'), key);
    if (key === reservedKey) return withPath(fail('malformed', 'this key is reserved for portable objects such as refs'), key);
    const keyFailure = checkString(key, walk);
    if (keyFailure !== undefined) return withPath(keyFailure, key);
    const field: unknown = (value as Record<string, unknown>)[key];
    // Scalars are checked here rather than in a call: most fields are.
    if (typeof field === 'number' || typeof field === 'boolean') {
      if (--walk.valuesLeft < 0) return overBudget();
      continue;
    }
    const failure = checkPlainValue(field, depth + 1, walk);
    if (failure !== undefined) return withPath(failure, key);
  }
  return undefined;
}

function checkArraySize(count: number, depth: number, walk: Walk): Failure | undefined {
  if (depth > nestingDepthMax) return tooDeep();
  if (count > arrayCountMax) return fail('too-large', `${count} elements exceed arrayCountMax (${arrayCountMax})`);
  // Elements are paid for as they are visited; checking the count up front refuses a huge array
  // before walking any of it.
  walk.valuesLeft -= 1;
  if (walk.valuesLeft - count < 0) return overBudget();
  return undefined;
}

function checkString(value: string, walk: Walk): Failure | undefined {
  if (--walk.valuesLeft < 0) return overBudget();
  if (value.length > stringLengthMax) return fail('too-large', `string longer than stringLengthMax (${stringLengthMax})`);
  // A lone surrogate has no UTF-8 form: msgpackr would send bytes the peer decodes as U+FFFD, so
  // the message would silently change in transit.
  if (!isWellFormedString(value)) return fail('malformed', 'string is not well-formed UTF-16 (lone surrogate)');
  return undefined;
}

function checkBytes(value: Uint8Array, walk: Walk): Failure | undefined {
  if (value.byteLength > frameBytesMax) return fail('too-large', `bytes longer than frameBytesMax (${frameBytesMax})`);
  return spend(walk);
}

function spend(walk: Walk): Failure | undefined {
  return --walk.valuesLeft < 0 ? overBudget() : undefined;
}

/** True for objects whose prototype is exactly `Object.prototype` or `null`. */
export function isPlainObject(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function isPlainArray(value: unknown): value is readonly unknown[] {
  return Array.isArray(value) && Object.getPrototypeOf(value) === Array.prototype;
}

/** True when a for-in over `object` yields a key (for Object.prototype: it was polluted). */
export function hasEnumerableKey(object: object): boolean {
  for (const key in object) if (key !== undefined) return true;
  return false;
}

/** The first required field, in declaration order, that is not an own enumerable property. */
function missingField(fields: readonly FieldEntry[], value: object): Failure {
  const missing = fields.find((entry) => !entry.rule.optional && !Object.prototype.propertyIsEnumerable.call(value, entry.name));
  const name = missing === undefined ? '' : missing.name;
  const what = missing === undefined ? 'field' : describeRule(missing.rule);
  return withPath(fail('missing-field', `required ${what} is missing`), name);
}

function tooDeep(): Failure {
  return fail('too-large', `nesting deeper than nestingDepthMax (${nestingDepthMax})`);
}

function overBudget(): Failure {
  return fail('too-large', `more than valueCountMax (${valueCountMax}) values`);
}

export function fail(code: ProtocolErrorCode, reason: string): Failure {
  return { code, path: [], reason };
}

function withPath(failure: Failure, segment: string | number): Failure {
  failure.path.push(segment);
  return failure;
}

function wrongType(rule: FieldRule, value: unknown): Failure {
  return fail('wrong-field-type', `expected ${describeRule(rule)}, got ${describeValueKind(value)}`);
}

function describeRule(rule: FieldRule): string {
  if (rule.tag === 'oneOf') return `one of ${(rule.literals as readonly string[]).map((literal) => `'${literal}'`).join(', ')}`;
  return rule.tag;
}

/** Names a value's kind without calling into it (no `toString`, no `Symbol.toStringTag`). */
export function describeValueKind(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  if (Array.isArray(value)) return 'an array';
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype === Object.prototype || prototype === null) return 'an object';
  // Built-ins are named by identity, never by reading properties of the hostile value.
  for (const [name, type] of knownClasses) if (value instanceof type) return `a ${name}`;
  return 'a non-plain object';
}

const knownClasses: ReadonlyArray<readonly [string, abstract new (...args: never[]) => unknown]> = [
  ['Date', Date],
  ['Map', Map],
  ['Set', Set],
  ['RegExp', RegExp],
  ['Error', Error],
  ['ArrayBuffer', ArrayBuffer],
  ['DataView', DataView],
  ['typed array', Object.getPrototypeOf(Uint8Array) as abstract new (...args: never[]) => unknown],
];

/** Formats an innermost-first path as `body.items[3].name`. */
export function formatPath(path: readonly (string | number)[]): string {
  let text = '';
  for (let index = path.length - 1; index >= 0; index--) {
    const segment = path[index] as string | number;
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(segment)) text += text === '' ? segment : `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}
