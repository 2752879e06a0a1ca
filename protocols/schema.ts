/**
 * Message schemas: `defineMessage` declares one message type, `createSchemaRegistry` checks
 * untrusted values against a set of them.
 *
 * A message is a plain object with a namespaced string `type` (`'kernel.envelope'`) and the
 * declared fields, nothing else. The declaration is the single source of truth: its TypeScript
 * type comes from `MessageOf`, its validation from the normalized rules, and the codec derives its
 * pre-agreed record structures from the field order.
 */
import { assert } from '../ground/assert.js';
import { InvariantError } from '../ground/errors.js';
import type { FieldRule, FieldSpecs, ObjectValue, Simplify } from './field-spec.js';
import { isWellFormedString, makeRule, normalizeFields } from './field-spec.js';
import { stringLengthMax } from './limits.js';
import { ProtocolError, describeThrown } from './protocol-error.js';
import { checkObject, checkPlainValue, createWalk, describeValueKind, fail, formatPath, isPlainObject, type PortableObjects } from './validate.js';
import type { Failure } from './validate.js';

export type {
  ArrayFieldSpec,
  FieldEntry,
  FieldRule,
  FieldRuleTag,
  FieldSpec,
  FieldSpecs,
  FieldValue,
  ObjectFieldSpec,
  ObjectValue,
  OneOfFieldSpec,
  ScalarFieldSpec,
  ScalarKind,
  ScalarShorthand,
} from './field-spec.js';
export { normalizeField } from './field-spec.js';

/** The least every message has. */
export interface AnyMessage {
  readonly type: string;
}

/** One message type: its `type` string, its declared fields and their normalized rule. */
export interface MessageDescriptor<T extends string = string, F extends FieldSpecs = FieldSpecs> {
  readonly type: T;
  readonly fields: F;
  /** The whole message as an `object` rule; its first field is `type` as a one-literal `oneOf`. */
  readonly rule: FieldRule;
}

export type AnyMessageDescriptor = MessageDescriptor<string, FieldSpecs>;

/** The message type a descriptor declares: `{ readonly type: T; readonly field: … }`. */
export type MessageOf<D> = D extends MessageDescriptor<infer T, infer F> ? Simplify<{ readonly type: T } & ObjectValue<F>> : never;

/**
 * Declares a message type. Field kinds are `'string' | 'number' | 'integer' | 'boolean' | 'pid' |
 * 'bytes' | 'any'` (add `?` for optional), `{ kind, optional }`, `{ kind: 'array', of }`,
 * `{ kind: 'object', fields }` and `{ oneOf: [...] }`. A bad declaration fails an assertion here.
 *
 * @example
 * ```ts
 * const ping = defineMessage('demo.ping', { to: 'pid', seq: 'integer', note: 'string?' });
 * type Ping = MessageOf<typeof ping>; // { readonly type: 'demo.ping'; readonly to: number; readonly seq: number; readonly note?: string }
 * ```
 */
export function defineMessage<const T extends string, const F extends FieldSpecs>(type: T, fields: F): MessageDescriptor<T, F> {
  assert(typeof type === 'string' && type.length > 0, 'a message type must be a non-empty string');
  assert(type.length <= stringLengthMax && isWellFormedString(type), 'a message type must be a short, well-formed string');
  assert(!Object.hasOwn(fields, 'type'), `message '${type}' must not declare a 'type' field: the type is implicit`);
  const typeRule = makeRule('oneOf', false, null, null, Object.freeze([type]));
  const entries = [Object.freeze({ name: 'type', rule: typeRule }), ...normalizeFields(fields)];
  const rule = makeRule('object', false, null, Object.freeze(entries), null);
  return Object.freeze({ type, fields, rule });
}

/** Whether `validate` walks the contents of `any` fields (`'check'`, the default) or takes them as given. */
export type AnyFieldsCheck = 'check' | 'trust';

/** Checks untrusted values against a fixed set of message descriptors. */
export interface SchemaRegistry<M extends AnyMessage = AnyMessage> {
  /**
   * Returns `value` (the same object) typed as a message, or throws `ProtocolError` naming the
   * first failing field, in the object's key order (declaration order for messages built from the
   * schema and for decoded records). Fields are own enumerable properties, exactly what msgpackr
   * packs. No other exception escapes for any value: a throwing getter or proxy trap becomes
   * `malformed`; only a broken invariant of this module would surface, as `InvariantError`.
   *
   * `anyFields: 'trust'` checks everything but the contents of `any` fields, for a message a
   * validating encoder of this process produced: its `any` values were walked before encoding, and
   * walking them again after decoding proves nothing new (see `CodecOptions.decodedAnyFields`).
   */
  validate(value: unknown, anyFields?: AnyFieldsCheck): M;
  /** True when a descriptor for `type` is registered. */
  has(type: string): boolean;
  /** The registered descriptors, in registration order (the codec seeds record structures from it). */
  readonly descriptors: readonly AnyMessageDescriptor[];
}

/**
 * Builds a registry over `descriptors`; duplicate types fail an assertion.
 *
 * @example
 * ```ts
 * const registry = createSchemaRegistry([ping, pong]);
 * const message = registry.validate(untrusted); // Ping | Pong, or throws ProtocolError
 * if (message.type === 'demo.ping') reply(message.to);
 * ```
 */
export function createSchemaRegistry<const D extends readonly AnyMessageDescriptor[]>(descriptors: D): SchemaRegistry<MessageOf<D[number]>> {
  assert(descriptors.length >= 1, 'a schema registry needs at least one descriptor');
  // A Map, not an object: a hostile `type` such as '__proto__' or 'constructor' must miss.
  const byType = new Map<string, AnyMessageDescriptor>();
  for (const descriptor of descriptors) {
    assert(!byType.has(descriptor.type), `message type '${descriptor.type}' is registered twice`);
    byType.set(descriptor.type, descriptor);
  }
  const frozen = Object.freeze([...descriptors]);
  return Object.freeze({
    validate(value: unknown, anyFields: AnyFieldsCheck = 'check'): MessageOf<D[number]> {
      let failure: Failure | undefined;
      try {
        failure = checkMessage(byType, value, anyFields === 'trust');
      } catch (thrown) {
        // Our own broken invariants must surface as bugs, not as bad input.
        if (thrown instanceof InvariantError) throw thrown;
        throw new ProtocolError('malformed', '', `validation aborted by the value itself: ${describeThrown(thrown)}`, { cause: thrown });
      }
      if (failure !== undefined) throw new ProtocolError(failure.code, formatPath(failure.path), failure.reason);
      return value as MessageOf<D[number]>;
    },
    has(type: string): boolean {
      return byType.has(type);
    },
    descriptors: frozen,
  });
}

/**
 * Checks `value` as plain data, what an `any` field of a message may hold (see validate.ts), with
 * the same limits as such a field; throws ProtocolError whose path starts at `field`. For values
 * that travel alone, behind a header their sender lays out itself. With `portable`, objects it
 * accepts may appear too; returns how many did.
 *
 * @example
 * ```ts
 * validatePlainData({ seq: 1, tags: ['a'] }, 'body'); // passes
 * validatePlainData({ when: new Date() }, 'body');    // throws ProtocolError at body.when
 * ```
 */
export function validatePlainData(value: unknown, field: string, portable: PortableObjects | null = null): number {
  let failure: Failure | undefined;
  const walk = createWalk(false, portable);
  try {
    // Level 2: where an `any` field's value sits inside a message.
    failure = checkPlainValue(value, 2, walk);
  } catch (thrown) {
    if (thrown instanceof InvariantError) throw thrown;
    throw new ProtocolError('malformed', field, `validation aborted by the value itself: ${describeThrown(thrown)}`, { cause: thrown });
  }
  if (failure === undefined) return walk.portables;
  failure.path.push(field);
  throw new ProtocolError(failure.code, formatPath(failure.path), failure.reason);
}

function checkMessage(byType: ReadonlyMap<string, AnyMessageDescriptor>, value: unknown, trustAny: boolean): Failure | undefined {
  if (!isPlainObject(value)) return fail('not-a-message', `expected a plain object, got ${describeValueKind(value)}`);
  const walk = createWalk(trustAny);
  // A plain object can only inherit `type` from a polluted Object.prototype, so the own-property
  // check is needed only then (and on the failure path, to word the error).
  const type: unknown = (value as { type?: unknown }).type;
  if (typeof type !== 'string' || (walk.inheritedKeys && !Object.hasOwn(value, 'type'))) {
    if (!Object.hasOwn(value, 'type')) return fail('not-a-message', 'the object has no type field');
    return atPath(fail('not-a-message', `type must be a string, got ${describeValueKind(type)}`), 'type');
  }
  const descriptor = byType.get(type);
  if (descriptor === undefined) return atPath(fail('unknown-type', `no descriptor for message type ${JSON.stringify(type)}`), 'type');
  return checkObject(descriptor.rule, value, 1, walk);
}

function atPath(failure: Failure, segment: string): Failure {
  failure.path.push(segment);
  return failure;
}
