/**
 * fast-check arbitraries derived from message schemas: for any descriptor, valid messages built
 * field kind by field kind, so the properties cover whatever schemas exist without hand-written
 * generators drifting from them.
 */
import fc from 'fast-check';
import { defineMessage } from '../../protocols/schema.js';
import type { AnyMessage, AnyMessageDescriptor, FieldEntry, FieldRule } from '../../protocols/schema.js';

/** msgpackr writes -0 as the integer 0, so generated numbers avoid it (documented in field-spec.ts). */
const noNegativeZero = (value: number): number => (Object.is(value, -0) ? 0 : value);

/** Real text, including astral characters, but no lone surrogates (the validator refuses those). */
export const textArbitrary = (maxLength: number): fc.Arbitrary<string> => fc.string({ unit: 'grapheme', maxLength });

const keyArbitrary = fc.string({ unit: 'grapheme-ascii', maxLength: 8 }).filter((key) => key !== '__proto__' && key !== 'toJSON');

const leafArbitrary: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.boolean(),
  fc.integer(),
  fc.maxSafeInteger(),
  fc.double().map(noNegativeZero),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }),
  textArbitrary(20),
  fc.uint8Array({ maxLength: 16 }),
);

/** Plain data as the `any` kind admits it, a few levels deep. */
export const plainValueArbitrary: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown; array: unknown[]; object: Record<string, unknown> }>((tie) => ({
  value: fc.oneof({ maxDepth: 3, depthSize: 'small' }, leafArbitrary, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 4 }),
  object: fc.dictionary(keyArbitrary, tie('value'), { maxKeys: 4, noNullPrototype: true }),
})).value;

/** Values a rule accepts. */
export function arbitraryForRule(rule: FieldRule): fc.Arbitrary<unknown> {
  switch (rule.tag) {
    case 'string':
      return fc.oneof({ weight: 4, arbitrary: textArbitrary(24) }, { weight: 1, arbitrary: textArbitrary(400) });
    case 'number':
      return fc.double({ noNaN: true, noDefaultInfinity: true }).map(noNegativeZero);
    case 'integer':
      return fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.maxSafeInteger()).map(noNegativeZero);
    case 'pid':
      return fc.oneof(fc.constant(0), fc.nat(1000), fc.maxSafeNat());
    case 'boolean':
      return fc.boolean();
    case 'bytes':
      return fc.uint8Array({ maxLength: 64 });
    case 'oneOf':
      return fc.constantFrom(...(rule.literals as readonly string[]));
    case 'array':
      return fc.array(arbitraryForRule(rule.of as FieldRule), { maxLength: 5 });
    case 'object':
      return objectArbitrary(rule.fields as readonly FieldEntry[]);
    case 'any':
      return plainValueArbitrary;
  }
}

function objectArbitrary(fields: readonly FieldEntry[]): fc.Arbitrary<Record<string, unknown>> {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const entry of fields) model[entry.name] = arbitraryForRule(entry.rule);
  const requiredKeys = fields.filter((entry) => !entry.rule.optional).map((entry) => entry.name);
  return fc.record(model, { requiredKeys });
}

/**
 * Valid messages of one descriptor. Most keep declaration order (the pre-agreed record shape);
 * some have their keys reversed, a shape the encoder has to learn and share.
 */
export function messageArbitrary<M extends AnyMessage>(descriptor: AnyMessageDescriptor): fc.Arbitrary<M> {
  return fc.tuple(objectArbitrary(descriptor.rule.fields as readonly FieldEntry[]), fc.nat(9)).map(([message, dice]) => {
    if (dice !== 0) return message as unknown as M;
    return Object.fromEntries(Object.entries(message).reverse()) as unknown as M;
  });
}

/** Valid messages of any descriptor in `descriptors`. */
export function anyMessageArbitrary<M extends AnyMessage>(descriptors: readonly AnyMessageDescriptor[]): fc.Arbitrary<M> {
  return fc.oneof(...descriptors.map((descriptor) => messageArbitrary<M>(descriptor)));
}

/** A schema using every field form, to exercise the kinds the kernel messages do not. */
export const everyKindMessage = defineMessage('test.every-kind', {
  text: 'string',
  ratio: 'number',
  count: 'integer',
  owner: 'pid',
  flag: 'boolean',
  blob: 'bytes',
  extra: 'any',
  note: 'string?',
  limit: { kind: 'integer', optional: true },
  tags: { kind: 'array', of: 'string' },
  grid: { kind: 'array', of: { kind: 'array', of: 'number' } },
  mode: { oneOf: ['normal', 'killed', 'shutdown'] },
  origin: {
    kind: 'object',
    fields: { cpu: 'integer', label: 'string?', points: { kind: 'array', of: { kind: 'object', fields: { x: 'number', y: 'number' } } } },
  },
  status: { oneOf: ['up', 'down'], optional: true },
});
