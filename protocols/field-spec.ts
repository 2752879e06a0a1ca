/**
 * The field language of message schemas: how a field is declared (`FieldSpec`), which TypeScript
 * type a declaration means (`FieldValue`), and the normalized `FieldRule` the validator walks.
 *
 * Declarations are plain data so both CPUs can build identical schemas from the same module, and
 * so the TypeScript type of a message is inferred from its declaration instead of written twice.
 */
import { assert } from '../ground/assert.js';
import { nestingDepthMax, objectKeyCountMax, stringLengthMax } from './limits.js';

/**
 * Scalar field kinds:
 * - `string`: well-formed UTF-16 of at most `stringLengthMax` code units;
 * - `number`: a finite number (NaN and ±Infinity are refused: actor code rarely expects them);
 * - `integer`: a safe integer; `pid`: a non-negative safe integer (0 means "no actor");
 * - `boolean`; `bytes`: a `Uint8Array` (decoded as a copy, never a view of the frame);
 * - `any`: plain data (see `validate.ts`: null, undefined, booleans, numbers, int64 bigints,
 *   strings, `Uint8Array`s, arrays and plain objects, within the limits).
 *
 * Note that `-0` travels as `0`: msgpackr writes it as the integer 0.
 */
export type ScalarKind = 'string' | 'number' | 'integer' | 'boolean' | 'pid' | 'bytes' | 'any';

/** `'string'` or its optional shorthand `'string?'`. */
export type ScalarShorthand = ScalarKind | `${ScalarKind}?`;

/** The long form of a scalar field: `{ kind: 'string', optional: true }`. */
export interface ScalarFieldSpec {
  readonly kind: ScalarKind;
  readonly optional?: boolean;
}

/** An array whose elements all match `of`: `{ kind: 'array', of: 'pid' }`. */
export interface ArrayFieldSpec {
  readonly kind: 'array';
  readonly of: FieldSpec;
  readonly optional?: boolean;
}

/** A nested object with its own fields: `{ kind: 'object', fields: { x: 'number' } }`. */
export interface ObjectFieldSpec {
  readonly kind: 'object';
  readonly fields: FieldSpecs;
  readonly optional?: boolean;
}

/** A string literal union: `{ oneOf: ['normal', 'killed'] }`. */
export interface OneOfFieldSpec {
  readonly oneOf: readonly string[];
  readonly optional?: boolean;
}

export type FieldSpec = ScalarShorthand | ScalarFieldSpec | ArrayFieldSpec | ObjectFieldSpec | OneOfFieldSpec;

/** Field name → declaration. */
export interface FieldSpecs {
  readonly [name: string]: FieldSpec;
}

type ScalarValue<K> = K extends 'string'
  ? string
  : K extends 'number' | 'integer' | 'pid'
    ? number
    : K extends 'boolean'
      ? boolean
      : K extends 'bytes'
        ? Uint8Array
        : K extends 'any'
          ? unknown
          : never;

/** The TypeScript type a declaration admits. */
export type FieldValue<S> = S extends `${infer K}?`
  ? ScalarValue<K>
  : S extends ScalarKind
    ? ScalarValue<S>
    : S extends { readonly oneOf: readonly (infer L)[] }
      ? L
      : S extends { readonly kind: 'array'; readonly of: infer T }
        ? readonly FieldValue<T>[]
        : S extends { readonly kind: 'object'; readonly fields: infer F }
          ? ObjectValue<F>
          : S extends { readonly kind: infer K }
            ? ScalarValue<K>
            : never;

type IsOptional<S> = S extends `${string}?` ? true : S extends { readonly optional: true } ? true : false;
type RequiredNames<F> = { [N in keyof F]: IsOptional<F[N]> extends true ? never : N }[keyof F];
type OptionalNames<F> = Exclude<keyof F, RequiredNames<F>>;

/** Flattens an intersection so editors show one object type. */
export type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The readonly object type a field map admits; optional declarations become optional keys. */
export type ObjectValue<F> = Simplify<{ readonly [N in RequiredNames<F>]: FieldValue<F[N]> } & { readonly [N in OptionalNames<F>]?: FieldValue<F[N]> }>;

/** Tags of normalized rules: the scalar kinds plus the three structured forms. */
export type FieldRuleTag = ScalarKind | 'array' | 'object' | 'oneOf';

/**
 * A declaration in normalized form. Every rule has every property (unused ones are `null`), so the
 * validator's hot loop sees one object shape.
 */
export interface FieldRule {
  readonly tag: FieldRuleTag;
  readonly optional: boolean;
  /** Element rule of an `array`. */
  readonly of: FieldRule | null;
  /** Fields of an `object`, in declaration order. */
  readonly fields: readonly FieldEntry[] | null;
  /** Field name → index in `fields`, for keys that arrive out of declaration order. */
  readonly fieldIndex: ReadonlyMap<string, number> | null;
  /** How many of `fields` are required. */
  readonly requiredCount: number;
  /** Allowed strings of a `oneOf`. */
  readonly literals: readonly string[] | null;
}

export interface FieldEntry {
  readonly name: string;
  readonly rule: FieldRule;
}

const scalarKinds: ReadonlySet<string> = new Set<ScalarKind>(['string', 'number', 'integer', 'boolean', 'pid', 'bytes', 'any']);

/**
 * Field names msgpackr cannot carry faithfully: it renames `__proto__` to `__proto_` when decoding
 * (prototype-pollution guard), and calls an object's `toJSON` when packing objects that do not come
 * straight from `Object`, so a data field named `toJSON` would crash or rewrite the encoding.
 */
export const reservedKeys: ReadonlySet<string> = new Set(['__proto__', 'toJSON']);

type WellFormedString = string & { isWellFormed(): boolean };

// ES2024, present since Node 20 (V8 11.1); the compiler's ES2022 lib does not declare it.
assert(typeof (String.prototype as Partial<WellFormedString>).isWellFormed === 'function', 'String.prototype.isWellFormed is required');

/** True when `text` has no lone surrogate, i.e. it has a UTF-8 form and survives the wire. */
export function isWellFormedString(text: string): boolean {
  return (text as WellFormedString).isWellFormed();
}

/**
 * Normalizes one declaration. Bad declarations are programmer errors and fail an assertion at
 * definition time, long before a message is validated against them.
 *
 * @example
 * ```ts
 * normalizeField('string?'); // { tag: 'string', optional: true, of: null, fields: null, literals: null }
 * ```
 */
export function normalizeField(spec: FieldSpec, depth = 1): FieldRule {
  assert(depth <= nestingDepthMax, `schema nests deeper than nestingDepthMax (${nestingDepthMax})`);
  if (typeof spec === 'string') {
    const optional = spec.endsWith('?');
    const kind = optional ? spec.slice(0, -1) : spec;
    assert(scalarKinds.has(kind), `unknown field kind '${spec}'`);
    return makeRule(kind as ScalarKind, optional, null, null, null);
  }
  assert(typeof spec === 'object' && spec !== null, 'a field spec must be a kind string or an object');
  const optional = spec.optional === true;
  if ('oneOf' in spec) {
    const literals = spec.oneOf;
    assert(Array.isArray(literals) && literals.length >= 1, 'oneOf needs at least one literal');
    assert(
      literals.every((literal) => typeof literal === 'string' && literal.length <= stringLengthMax && isWellFormedString(literal)),
      'oneOf literals must be well-formed strings within stringLengthMax',
    );
    assert(new Set(literals).size === literals.length, 'oneOf literals must be distinct');
    return makeRule('oneOf', optional, null, null, Object.freeze([...literals]));
  }
  if (spec.kind === 'array') return makeRule('array', optional, normalizeField(spec.of, depth + 1), null, null);
  if (spec.kind === 'object') return makeRule('object', optional, null, normalizeFields(spec.fields, depth + 1), null);
  assert(scalarKinds.has(spec.kind), `unknown field kind '${String(spec.kind)}'`);
  return makeRule(spec.kind, optional, null, null, null);
}

/** Normalizes a field map, keeping declaration order (it is also the wire order of records). */
export function normalizeFields(specs: FieldSpecs, depth = 1): readonly FieldEntry[] {
  assert(typeof specs === 'object' && specs !== null, 'fields must be an object');
  const names = Object.keys(specs);
  assert(names.length <= objectKeyCountMax, `an object declares more than objectKeyCountMax (${objectKeyCountMax}) fields`);
  const entries = names.map((name) => {
    assert(!reservedKeys.has(name), `field name '${name}' cannot travel through msgpackr`);
    assert(name.length <= stringLengthMax && isWellFormedString(name), 'field names must be well-formed and within stringLengthMax');
    return Object.freeze({ name, rule: normalizeField(specs[name] as FieldSpec, depth) });
  });
  return Object.freeze(entries);
}

/** @internal Builds a rule with every property present, in the same order (one hidden class). */
export function makeRule(
  tag: FieldRuleTag,
  optional: boolean,
  of: FieldRule | null,
  fields: readonly FieldEntry[] | null,
  literals: readonly string[] | null,
): FieldRule {
  const fieldIndex = fields === null ? null : new Map(fields.map((entry, index) => [entry.name, index]));
  const requiredCount = fields === null ? 0 : fields.filter((entry) => !entry.rule.optional).length;
  return Object.freeze({ tag, optional, of, fields, fieldIndex, requiredCount, literals });
}
