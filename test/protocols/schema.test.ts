import { expect } from 'chai';
import { InvariantError } from '../../ground/errors.js';
import { arrayCountMax, nestingDepthMax, objectKeyCountMax, stringLengthMax, valueCountMax } from '../../protocols/limits.js';
import { ProtocolError } from '../../protocols/protocol-error.js';
import type { ProtocolErrorCode } from '../../protocols/protocol-error.js';
import { createSchemaRegistry, defineMessage, normalizeField } from '../../protocols/schema.js';
import type { MessageOf } from '../../protocols/schema.js';
import { everyKindMessage } from './arbitraries.js';

const registry = createSchemaRegistry([everyKindMessage]);

/** A valid every-kind message; tests override one field at a time. */
function validMessage(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'test.every-kind',
    text: 'hello',
    ratio: 0.5,
    count: -3,
    owner: 7,
    flag: true,
    blob: new Uint8Array([1, 2, 3]),
    extra: { nested: [1, 'two', null] },
    tags: ['a', 'b'],
    grid: [[1, 2], [3]],
    mode: 'normal',
    origin: { cpu: 1, points: [{ x: 1, y: 2 }] },
    ...overrides,
  };
}

/** Runs `validate` and returns the ProtocolError it throws (failing the test if it does not). */
function rejection(value: unknown): ProtocolError {
  try {
    registry.validate(value);
  } catch (error) {
    expect(error).to.be.instanceOf(ProtocolError);
    return error as ProtocolError;
  }
  throw new Error('validate accepted the value');
}

function expectRejected(value: unknown, code: ProtocolErrorCode, detail: string): void {
  const error = rejection(value);
  expect({ code: error.code, detail: error.detail }, error.message).to.deep.equal({ code, detail });
}

// Compile-time checks of `MessageOf`: each line fails to compile if the inferred type drifts.
type Equals<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type EveryKind = MessageOf<typeof everyKindMessage>;
const inferredFieldTypes: [
  Equals<EveryKind['type'], 'test.every-kind'>,
  Equals<EveryKind['text'], string>,
  Equals<EveryKind['owner'], number>,
  Equals<EveryKind['blob'], Uint8Array>,
  Equals<EveryKind['extra'], unknown>,
  Equals<EveryKind['note'], string | undefined>,
  Equals<EveryKind['limit'], number | undefined>,
  Equals<EveryKind['grid'], readonly (readonly number[])[]>,
  Equals<EveryKind['mode'], 'normal' | 'killed' | 'shutdown'>,
  Equals<EveryKind['origin']['points'][number], { readonly x: number; readonly y: number }>,
  Equals<EveryKind['status'], 'up' | 'down' | undefined>,
] = [true, true, true, true, true, true, true, true, true, true, true];

describe('protocols/schema', () => {
  describe('defineMessage', () => {
    it('infers a readonly message type with required and optional fields', () => {
      expect(inferredFieldTypes.every(Boolean)).to.equal(true);
      const ping = defineMessage('demo.ping', { to: 'pid', note: 'string?' });
      const message: MessageOf<typeof ping> = { type: 'demo.ping', to: 1 };
      // @ts-expect-error: `to` is required
      const missing: MessageOf<typeof ping> = { type: 'demo.ping' };
      // @ts-expect-error: the type literal is checked
      const wrongType: MessageOf<typeof ping> = { type: 'demo.pong', to: 1 };
      expect([message, missing, wrongType]).to.have.length(3);
    });

    it('normalizes shorthand and long forms to the same rule', () => {
      expect(normalizeField('string?')).to.deep.equal(normalizeField({ kind: 'string', optional: true }));
      expect(normalizeField('pid').optional).to.equal(false);
    });

    it('refuses bad declarations with an InvariantError at definition time', () => {
      expect(() => defineMessage('x.a', { type: 'string' })).to.throw(InvariantError, /type/);
      expect(() => defineMessage('x.b', { ['__proto__']: 'string' })).to.throw(InvariantError, /__proto__/);
      expect(() => defineMessage('x.c', { toJSON: 'string' })).to.throw(InvariantError, /toJSON/);
      expect(() => defineMessage('x.d', { a: 'text' as never })).to.throw(InvariantError, /unknown field kind/);
      expect(() => defineMessage('x.e', { a: { oneOf: [] } })).to.throw(InvariantError, /oneOf/);
      expect(() => defineMessage('', {})).to.throw(InvariantError);
      let deep: Record<string, unknown> = { kind: 'object', fields: { leaf: 'string' } };
      for (let level = 0; level < nestingDepthMax; level++) deep = { kind: 'object', fields: { inner: deep } };
      expect(() => defineMessage('x.f', { deep: deep as never })).to.throw(InvariantError, /nestingDepthMax/);
      const first = defineMessage('x.same', {});
      expect(() => createSchemaRegistry([first, defineMessage('x.same', { a: 'string' })])).to.throw(InvariantError, /twice/);
    });
  });

  describe('validate', () => {
    it('accepts a valid message and returns it unchanged', () => {
      const message = validMessage({ note: 'n', limit: 3, status: 'up' });
      expect(registry.validate(message)).to.equal(message);
      expect(registry.has('test.every-kind')).to.equal(true);
      expect(registry.has('test.nope')).to.equal(false);
    });

    it('treats an optional field that is present but undefined as absent', () => {
      expect(() => registry.validate(validMessage({ note: undefined }))).not.to.throw();
    });

    it('reports wrong field types with the path of the first failing field', () => {
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ text: 1 }, 'text'],
        [{ ratio: Number.NaN }, 'ratio'],
        [{ ratio: Number.POSITIVE_INFINITY }, 'ratio'],
        [{ count: 1.5 }, 'count'],
        [{ count: 2 ** 53 }, 'count'],
        [{ count: 5n }, 'count'],
        [{ owner: -1 }, 'owner'],
        [{ flag: 0 }, 'flag'],
        [{ blob: [1, 2] }, 'blob'],
        [{ mode: 'paused' }, 'mode'],
        [{ tags: 'a' }, 'tags'],
        [{ tags: ['a', 2] }, 'tags[1]'],
        [{ grid: [[1], [2, 'x']] }, 'grid[1][1]'],
        [{ origin: { cpu: '1', points: [] } }, 'origin.cpu'],
        [{ origin: { cpu: 1, points: [{ x: 1, y: null }] } }, 'origin.points[0].y'],
        [{ origin: [] }, 'origin'],
        [{ note: 5 }, 'note'],
        [{ extra: new Date(0) }, 'extra'],
        [{ extra: { when: new Map() } }, 'extra.when'],
        [{ extra: [new Set()] }, 'extra[0]'],
        [{ extra: () => 1 }, 'extra'],
        [{ extra: Symbol('s') }, 'extra'],
        [{ extra: new Uint16Array(2) }, 'extra'],
        [{ extra: new (class Point {})() }, 'extra'],
      ];
      for (const [overrides, detail] of cases) expectRejected(validMessage(overrides), 'wrong-field-type', detail);
    });

    it('reports a missing required field, at the top level and nested', () => {
      const top = validMessage();
      delete top.text;
      expectRejected(top, 'missing-field', 'text');
      expectRejected(validMessage({ origin: { cpu: 1 } }), 'missing-field', 'origin.points');
    });

    it('reports unknown types, including keys of Object.prototype', () => {
      for (const type of ['test.nope', '__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
        expectRejected(validMessage({ type }), 'unknown-type', 'type');
      }
    });

    it('reports values that are not messages', () => {
      for (const value of [
        null,
        undefined,
        1,
        'test.every-kind',
        [],
        new Date(),
        new Map([['type', 'x']]),
        new (class Message {
          type = 'test.every-kind';
        })(),
      ]) {
        expect(rejection(value).code).to.equal('not-a-message');
      }
      expectRejected({}, 'not-a-message', '');
      expectRejected({ type: 1 }, 'not-a-message', 'type');
      // An inherited `type` does not count: only own properties are fields.
      expectRejected(Object.create({ type: 'test.every-kind' }), 'not-a-message', '');
    });

    it('accepts fields in any key order', () => {
      const reversed = Object.fromEntries(Object.entries(validMessage({ note: 'n' })).reverse());
      expect(() => registry.validate(reversed)).not.to.throw();
    });

    it('counts only own enumerable properties as fields, as msgpackr packs them', () => {
      const hidden = validMessage();
      Object.defineProperty(hidden, 'text', { value: 'hello', enumerable: false });
      expectRejected(hidden, 'missing-field', 'text');
    });

    it('stays exact when Object.prototype is polluted with an enumerable key', () => {
      const prototype = Object.prototype as Record<string, unknown>;
      prototype.text = 'inherited';
      try {
        const message = validMessage();
        expect(() => registry.validate(message)).not.to.throw();
        delete message.text;
        expectRejected(message, 'missing-field', 'text');
        expect(() => registry.validate(validMessage({ extra: { own: 1 } }))).not.to.throw();
      } finally {
        delete prototype.text;
      }
    });

    it('refuses fields the schema does not declare', () => {
      expectRejected(validMessage({ surprise: 1 }), 'malformed', 'surprise');
      expectRejected(validMessage({ origin: { cpu: 1, points: [], z: 0 } }), 'malformed', 'origin.z');
    });

    it('enforces the limits with too-large', () => {
      expectRejected(validMessage({ text: 'x'.repeat(stringLengthMax + 1) }), 'too-large', 'text');
      expectRejected(validMessage({ tags: new Array<string>(arrayCountMax + 1).fill('t') }), 'too-large', 'tags');
      const wide = Object.fromEntries(Array.from({ length: objectKeyCountMax + 1 }, (_, index) => [`k${index}`, index]));
      expectRejected(validMessage({ extra: wide }), 'too-large', 'extra');
      expectRejected(validMessage({ extra: 2n ** 64n }), 'too-large', 'extra');
      let deep: unknown = 1;
      for (let level = 0; level < nestingDepthMax; level++) deep = [deep];
      expect(rejection(validMessage({ extra: deep })).code).to.equal('too-large');
      expect(() => registry.validate(validMessage({ text: 'x'.repeat(stringLengthMax) }))).not.to.throw();
    });

    it('ends cycles and exponential DAGs with too-large once the value budget is spent', () => {
      const cycle: Record<string, unknown> = {};
      cycle.self = cycle;
      expect(rejection(validMessage({ extra: cycle })).code).to.equal('too-large');
      // 12 levels of 200 references to the level below: 200^12 paths, refused by the value budget.
      // Each level is an array behind a proxy that counts the elements the walk reads: the walk
      // must stop within valueCountMax values instead of following the paths (past that, the
      // proxy throws, which ends the walk as malformed instead of running for ever).
      let reads = 0;
      const counted = (array: unknown[]): unknown[] =>
        new Proxy(array, {
          get(target, key, receiver) {
            if (typeof key === 'string' && /^\d+$/.test(key) && ++reads > valueCountMax) throw new RangeError('the walk went past the value budget');
            return Reflect.get(target, key, receiver);
          },
        });
      let dag: unknown = 'leaf';
      for (let level = 0; level < 12; level++) dag = counted(new Array(200).fill(dag));
      const { code } = rejection(validMessage({ extra: dag }));
      expect(reads, 'elements read').to.be.above(0).and.at.most(valueCountMax);
      expect(code).to.equal('too-large');
    });

    it('refuses strings that cannot travel as UTF-8 and keys msgpackr rewrites', () => {
      expectRejected(validMessage({ text: 'a\ud800b' }), 'malformed', 'text');
      expectRejected(validMessage({ extra: { '\udc00': 1 } }), 'malformed', 'extra["\\udc00"]');
      expectRejected(validMessage({ extra: JSON.parse('{"__proto__": {"polluted": true}}') }), 'malformed', 'extra.__proto__');
      expectRejected(validMessage({ extra: { toJSON: 1 } }), 'malformed', 'extra.toJSON');
    });

    it('turns throwing getters and proxy traps into ProtocolError', () => {
      // A proxy without traps over plain data is plain data, and is accepted as such.
      expect(() => registry.validate(validMessage({ extra: new Proxy({ a: 1 }, {}) }))).not.to.throw();
      const getter = validMessage();
      Object.defineProperty(getter, 'text', {
        enumerable: true,
        get: () => {
          throw new TypeError('boom');
        },
      });
      expect(rejection(getter).code).to.equal('malformed');
      const trap = (): never => {
        throw new RangeError('trap');
      };
      const hostile = [
        new Proxy(validMessage(), { getPrototypeOf: trap }),
        new Proxy(validMessage(), { getOwnPropertyDescriptor: trap }),
        new Proxy(validMessage(), { ownKeys: trap }),
        validMessage({ extra: new Proxy({}, { ownKeys: trap }) }),
      ];
      const revocable = Proxy.revocable({}, {});
      revocable.revoke();
      hostile.push(validMessage({ extra: revocable.proxy }));
      for (const value of hostile) expect(rejection(value).code).to.be.oneOf(['malformed', 'wrong-field-type']);
    });

    it('never lets an error quote unbounded input', () => {
      const error = rejection(validMessage({ type: 'x'.repeat(50_000) }));
      expect(error.code).to.equal('unknown-type');
      expect(error.message.length).to.be.below(400);
      expect(error.name).to.equal('ProtocolError');
      expect(error).to.be.instanceOf(Error);
    });
  });
});
