import { test } from 'node:test';
import assert from 'node:assert/strict';
import { icebergSchemaFromJsonSchema } from '../../src/schema/from-json-schema.ts';
import { SchemaConversionError } from '../../src/schema/errors.ts';
import { EVENTS_JSON_SCHEMA } from '../../schemas/events-sample.ts';

test('events.schema.json → Iceberg (amount is double: JSON Schema has no decimal)', () => {
  const s = icebergSchemaFromJsonSchema(JSON.parse(EVENTS_JSON_SCHEMA));
  assert.deepEqual(
    s.fields.map((x) => [x.id, x.name, x.type, x.required]),
    [
      [1, 'id', 'uuid', true],
      [2, 'ts', 'timestamptz', true],
      [3, 'user_id', 'long', true],
      [4, 'session_id', 'string', true],
      [5, 'event_type', 'string', true],
      [6, 'page_url', 'string', true],
      [7, 'referrer', 'string', false],
      [8, 'user_agent', 'string', true],
      [9, 'country', 'string', true],
      [10, 'city', 'string', false],
      [11, 'amount', 'double', false],
      [12, 'score', 'double', true],
      [13, 'is_mobile', 'boolean', true],
      [14, 'event_date', 'date', true],
      [15, 'tags', { type: 'list', 'element-id': 17, element: 'string', 'element-required': true }, true],
      [16, 'properties', { type: 'map', 'key-id': 18, key: 'string', 'value-id': 19, value: 'string', 'value-required': true }, true],
    ],
  );
});

test('types, formats, nullability, nested objects, descriptions', () => {
  const s = icebergSchemaFromJsonSchema({
    type: 'object',
    required: ['a', 'n', 'o'],
    properties: {
      a: { type: 'integer', description: 'the a' },
      n: { type: ['number', 'null'] },
      in: { type: ['integer', 'number'] },
      b: { type: 'boolean' },
      dt: { type: 'string', format: 'date-time' },
      d: { type: 'string', format: 'date' },
      u: { type: 'string', format: 'uuid' },
      e: { enum: ['x', 'y'] },
      c: { const: 3 },
      o: { type: 'object', properties: { z: { type: 'string' } }, required: ['z'] },
      l: { type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'null' }] } },
      opt: { oneOf: [{ type: 'null' }, { type: 'integer' }] },
    },
  });
  assert.deepEqual(s.fields, [
    { id: 1, name: 'a', required: true, type: 'long', doc: 'the a' },
    { id: 2, name: 'n', required: false, type: 'double' },
    { id: 3, name: 'in', required: false, type: 'double' },
    { id: 4, name: 'b', required: false, type: 'boolean' },
    { id: 5, name: 'dt', required: false, type: 'timestamptz' },
    { id: 6, name: 'd', required: false, type: 'date' },
    { id: 7, name: 'u', required: false, type: 'uuid' },
    { id: 8, name: 'e', required: false, type: 'string' },
    { id: 9, name: 'c', required: false, type: 'long' },
    { id: 10, name: 'o', required: true, type: { type: 'struct', fields: [{ id: 13, name: 'z', required: true, type: 'string' }] } },
    { id: 11, name: 'l', required: false, type: { type: 'list', 'element-id': 14, element: 'string', 'element-required': false } },
    { id: 12, name: 'opt', required: false, type: 'long' },
  ]);
});

test('$ref to definitions, $defs and referenced schemas', () => {
  const s = icebergSchemaFromJsonSchema(
    {
      type: 'object',
      properties: { p: { $ref: '#/definitions/P' }, q: { $ref: '#/$defs/Q' }, r: { $ref: 'other.json' }, t: { $ref: 'other.json#/definitions/T' } },
      definitions: { P: { type: 'integer' } },
      $defs: { Q: { type: 'string', format: 'date' } },
    },
    new Map([['other.json', { type: 'object', properties: { x: { $ref: '#/definitions/T' } }, definitions: { T: { type: 'boolean' } } }]]),
  );
  assert.deepEqual(
    s.fields.map((f) => [f.name, f.type]),
    [
      ['p', 'long'],
      ['q', 'date'],
      ['r', { type: 'struct', fields: [{ id: 5, name: 'x', required: false, type: 'boolean' }] }],
      ['t', 'boolean'],
    ],
  );
});

test('a non-object top-level schema becomes one column "value"', () => {
  assert.deepEqual(icebergSchemaFromJsonSchema({ type: 'string' }).fields, [{ id: 1, name: 'value', required: true, type: 'string' }]);
});

test('errors: free-form objects, tuples, mixed types, recursion, unknown refs', () => {
  const bad: unknown[] = [
    { type: 'object', properties: { a: { type: 'object' } } },
    { type: 'object', properties: { a: { type: 'array', items: [{ type: 'string' }] } } },
    { type: 'object', properties: { a: { type: ['string', 'integer'] } } },
    { type: 'object', properties: { a: { anyOf: [{ type: 'string' }, { type: 'integer' }] } } },
    { type: 'object', properties: { self: { $ref: '#' } } },
    { type: 'object', properties: { a: { $ref: 'nope.json' } } },
    { type: 'object', properties: { a: {} } },
  ];
  for (const s of bad) assert.throws(() => icebergSchemaFromJsonSchema(s), SchemaConversionError, JSON.stringify(s));
  assert.throws(
    () => icebergSchemaFromJsonSchema({ type: 'object', properties: { a: { type: 'object' } } }),
    (e) => (e as SchemaConversionError).path === 'a',
  );
});
