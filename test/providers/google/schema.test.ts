/** JSON Schema → Gemini's OpenAPI subset: table of rules, then properties with fast-check. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/errors/index.js';
import { GEMINI_SCHEMA_KEYWORDS, toGeminiSchema } from '../../../src/providers/google/schema.js';
import { context, thrown } from './helpers.js';

function reduce(schema: Record<string, unknown>) {
  const ctx = context('google', 'gemini-2.5-flash');
  return { out: toGeminiSchema(schema, 'schema', ctx), warnings: ctx.warnings };
}

const obj = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ type: 'object', properties, ...extra });

describe('toGeminiSchema rules', () => {
  it.each([
    ['nullable type array', obj({ a: { type: ['string', 'null'] } }), obj({ a: { type: 'string', nullable: true } })],
    ['several types → anyOf', obj({ a: { type: ['string', 'integer'] } }), obj({ a: { anyOf: [{ type: 'string' }, { type: 'integer' }] } })],
    ['anyOf with null → nullable, single branch inlined', obj({ a: { description: 'd', anyOf: [{ type: 'number' }, { type: 'null' }] } }), obj({ a: { description: 'd', type: 'number', nullable: true } })],
    [
      'oneOf → anyOf',
      obj({ a: { oneOf: [{ type: 'string' }, { type: 'integer' }, { type: 'null' }] } }),
      obj({ a: { anyOf: [{ type: 'string' }, { type: 'integer' }], nullable: true } }),
    ],
    ['const → enum', obj({ a: { const: 'x' } }), obj({ a: { enum: ['x'], type: 'string' } })],
    ['enum with null → nullable', obj({ a: { type: 'string', enum: ['a', null] } }), obj({ a: { type: 'string', enum: ['a'], nullable: true } })],
    ['unsupported format dropped', obj({ a: { type: 'string', format: 'email' }, b: { type: 'string', format: 'date-time' } }), obj({ a: { type: 'string' }, b: { type: 'string', format: 'date-time' } })],
    [
      'removed keywords',
      {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        $id: 'x',
        $comment: 'c',
        type: 'object',
        title: 'T',
        properties: { a: { type: 'string', default: 'z', examples: ['q'], pattern: '^a', minLength: 1 } },
        additionalProperties: false,
        required: ['a', 'ghost'],
      },
      { type: 'object', title: 'T', properties: { a: { type: 'string' } }, required: ['a'] },
    ],
    [
      '$defs and definitions inlined, sibling keywords win',
      obj({ a: { $ref: '#/$defs/s', description: 'mine' }, b: { $ref: '#/definitions/n' } }, { $defs: { s: { type: 'string', description: 'theirs' } }, definitions: { n: { type: 'integer' } } }),
      obj({ a: { type: 'string', description: 'mine' }, b: { type: 'integer' } }),
    ],
    [
      'allOf merged',
      { allOf: [obj({ a: { type: 'string' } }, { required: ['a'] }), { properties: { b: { type: 'number' } }, required: ['b'] }] },
      obj({ a: { type: 'string' }, b: { type: 'number' } }, { required: ['a', 'b'] }),
    ],
    ['tuple items → anyOf', obj({ a: { type: 'array', items: [{ type: 'string' }, { type: 'integer' }], minItems: 1, maxItems: 2, uniqueItems: true } }), obj({ a: { type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'integer' }] }, minItems: 1, maxItems: 2 } })],
    ['nested free-form object keeps its type only', obj({ meta: { type: 'object', additionalProperties: { type: 'string' } } }), obj({ meta: { type: 'object' } })],
    ['numbers keep bounds', obj({ n: { type: 'number', minimum: 0, maximum: 1, exclusiveMaximum: 1, multipleOf: 0.5 } }), obj({ n: { type: 'number', minimum: 0, maximum: 1 } })],
    ['propertyOrdering filtered', obj({ a: { type: 'string' } }, { propertyOrdering: ['a', 'ghost'] }), obj({ a: { type: 'string' } }, { propertyOrdering: ['a'] })],
  ])('%s', (_, schema, expected) => {
    expect(reduce(schema as Record<string, unknown>).out).toEqual(expected);
  });

  it.each([{}, { type: 'object' }, { type: 'object', properties: {}, additionalProperties: false }, { description: 'nothing' }])('an empty root %j is omitted', (schema) => {
    expect(reduce(schema).out).toBeUndefined();
  });

  it('drops a non-string enum with one warning', () => {
    const { out, warnings } = reduce(obj({ a: { type: 'integer', enum: [1, 2] }, b: { const: 3 } }));
    expect(out).toEqual(obj({ a: { type: 'integer' }, b: {} }));
    expect(warnings).toHaveLength(1);
  });

  it.each([
    [{ $ref: '#' }, 'schema.$ref'],
    [obj({ a: { $ref: '#/$defs/a' } }, { $defs: { a: { type: 'array', items: { $ref: '#/$defs/a' } } } }), 'schema.properties.a.items.$ref'],
    [obj({ a: { $ref: 'other.json#/a' } }), 'schema.properties.a.$ref'],
    [obj({ a: { $ref: '#/$defs/missing' } }), 'schema.properties.a.$ref'],
    [obj({ a: false }), 'schema.properties.a'],
    [{ allOf: [{ $ref: '#/$defs/a' }], $defs: { a: { allOf: [{ $ref: '#/$defs/a' }] } } }, 'schema.allOf.0.allOf.0.$ref'],
  ])('rejects %j naming %s', (schema, field) => {
    const error = thrown(() => reduce(schema as Record<string, unknown>));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe(field);
  });

  it('never mutates its input', () => {
    const schema = obj({ a: { $ref: '#/$defs/s' } }, { $defs: { s: { type: ['string', 'null'] } }, additionalProperties: false });
    const copy = structuredClone(schema);
    reduce(schema);
    expect(schema).toEqual(copy);
  });
});

/** Every JSON Schema keyword a generator may use, the removed ones included. */
const KEYWORDS = [
  'type',
  'format',
  'title',
  'description',
  'nullable',
  'enum',
  'const',
  'default',
  'examples',
  'additionalProperties',
  '$schema',
  '$id',
  '$comment',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'multipleOf',
  'minItems',
  'maxItems',
  'uniqueItems',
  'readOnly',
  'deprecated',
  'not',
] as const;
const REMOVED = ['additionalProperties', '$schema', '$id', '$comment', 'examples', 'default', '$ref', '$defs', 'definitions', 'const', 'oneOf', 'allOf', 'not', 'pattern'];

const leafValue = fc.oneof(
  fc.constantFrom('string', 'number', 'integer', 'boolean', 'object', 'array', 'null', 'constructor', '__proto__'),
  fc.array(fc.constantFrom('string', 'null', 'integer'), { minLength: 1, maxLength: 3 }),
  fc.constantFrom('date-time', 'email', 'int32', 'float', 'enum'),
  fc.string({ maxLength: 8 }),
  fc.integer({ min: -5, max: 50 }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), fc.constant(null)), { maxLength: 4 }),
  fc.constant({}),
);
const DEF_NAMES = ['a', 'b', 'c'] as const;

/** Schemas with any keyword, nesting, combinators, and `$ref`s to `$defs` that never point back. */
function schemaArb(refs: readonly string[]) {
  return fc.letrec<{ node: Record<string, unknown> }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.dictionary(fc.constantFrom(...KEYWORDS), leafValue, { maxKeys: 6 }),
      fc.record(
        {
          type: fc.constantFrom('object', ['object', 'null']),
          properties: fc.dictionary(fc.constantFrom('x', 'y', 'default', '$ref', 'examples'), tie('node'), { maxKeys: 4 }),
          required: fc.array(fc.constantFrom('x', 'y', 'default', 'z')),
          additionalProperties: fc.oneof(fc.boolean(), tie('node')),
          default: leafValue,
        },
        { requiredKeys: ['properties'] },
      ),
      fc.record({ type: fc.constant('array'), items: fc.oneof(tie('node'), fc.array(tie('node'), { maxLength: 3 })), examples: fc.array(leafValue) }, { requiredKeys: ['items'] }),
      fc.record({ anyOf: fc.array(fc.oneof(tie('node'), fc.constant({ type: 'null' })), { minLength: 1, maxLength: 3 }), description: fc.string() }, { requiredKeys: ['anyOf'] }),
      fc.record({ oneOf: fc.array(tie('node'), { minLength: 1, maxLength: 3 }) }),
      fc.record({ allOf: fc.array(tie('node'), { minLength: 1, maxLength: 3 }) }),
      ...(refs.length > 0 ? [fc.record({ $ref: fc.constantFrom(...refs.map((name) => `#/$defs/${name}`)), description: fc.string({ maxLength: 5 }) }, { requiredKeys: ['$ref'] })] : []),
    ),
  })).node;
}

/** A root whose `$defs.c` may point to `b` and `a`, `b` to `a`, and `a` to nothing: acyclic. */
const acyclicRoot = fc
  .record({ a: schemaArb([]), b: schemaArb(['a']), c: schemaArb(['a', 'b']), root: schemaArb([...DEF_NAMES]) })
  .map(({ a, b, c, root }) => ({ ...root, $defs: { a, b, c } }));

/** Walks schema positions only (property names may be anything) and collects every keyword used. */
function keywords(node: unknown, into: Set<string>): Set<string> {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return into;
  const record = node as Record<string, unknown>;
  for (const key of Object.keys(record)) into.add(key);
  if (record.properties && typeof record.properties === 'object') for (const value of Object.values(record.properties)) keywords(value, into);
  if (record.items !== undefined) keywords(record.items, into);
  if (Array.isArray(record.anyOf)) for (const branch of record.anyOf) keywords(branch, into);
  return into;
}

describe('toGeminiSchema properties', () => {
  it('never emits a removed keyword, only Gemini keywords, and never throws for acyclic schemas', () => {
    fc.assert(
      fc.property(acyclicRoot, (schema) => {
        const out = toGeminiSchema(schema, 'schema', context('google', 'm'));
        const used = keywords(out, new Set());
        for (const key of used) expect(GEMINI_SCHEMA_KEYWORDS.has(key)).toBe(true);
        for (const key of REMOVED) expect(used.has(key)).toBe(false);
        expect(JSON.parse(JSON.stringify(out ?? null))).toEqual(out ?? null);
      }),
      { numRuns: 400 },
    );
  });

  it('only ever throws ValidationError, naming a path under the schema', () => {
    const anyRefs = fc.record({ a: schemaArb(['a', 'b']), b: schemaArb(['a']), root: schemaArb(['a', 'b']) }).map(({ a, b, root }) => ({ ...root, $defs: { a, b } }));
    fc.assert(
      fc.property(anyRefs, (schema) => {
        try {
          toGeminiSchema(schema, 'tools.0.function.parameters', context('google', 'm'));
        } catch (error) {
          expect(error).toBeInstanceOf(ValidationError);
          expect((error as ValidationError).field.startsWith('tools.0.function.parameters')).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keeps string enums and required names that exist', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.oneof(fc.string({ minLength: 1, maxLength: 6 }), fc.constantFrom('__proto__', 'constructor', 'toString')), { minLength: 1, maxLength: 5 }), fc.array(fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('__proto__', 'constructor', 'hasOwnProperty'))), (names, required) => {
        const properties = Object.fromEntries(names.map((name) => [name, { type: 'string', enum: names }]));
        const out = toGeminiSchema({ type: 'object', properties, required }, 's', context('google', 'm'));
        expect(Object.keys((out?.properties as object) ?? {}).sort()).toEqual([...names].sort());
        expect(Object.getPrototypeOf(out?.properties)).toBe(Object.prototype);
        for (const name of (out?.required as string[] | undefined) ?? []) expect(names).toContain(name);
      }),
    );
  });
});
