import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inferJsonSchema, isRfc3339DateTime, JsonSchemaInferrer } from '../../src/schema/infer-json.ts';
import { IncompatibleValueError } from '../../src/schema/errors.ts';
import { parseJsonText } from '../../src/decode/json-decoder.ts';
import type { Schema } from '../../src/iceberg/types.ts';

const cols = (s: Schema) => s.fields.map((f) => [f.name, f.type, f.required]);

test('primitives: integers → long, other numbers → double, strings, booleans, RFC 3339 → timestamptz', () => {
  const { schema, rejected } = inferJsonSchema([
    parseJsonText('{"i": 1, "big": 9223372036854775807, "d": 1.5, "s": "x", "b": true, "ts": "2026-01-01T10:00:00.123456Z", "tz": "2026-01-01 10:00:00+02:00"}'),
  ]);
  assert.equal(rejected.length, 0);
  assert.deepEqual(cols(schema), [
    ['i', 'long', false],
    ['big', 'long', false],
    ['d', 'double', false],
    ['s', 'string', false],
    ['b', 'boolean', false],
    ['ts', 'timestamptz', false],
    ['tz', 'timestamptz', false],
  ]);
  assert.deepEqual(
    schema.fields.map((f) => f.id),
    [1, 2, 3, 4, 5, 6, 7],
  );
});

test('RFC 3339 detection needs an offset and valid ranges', () => {
  for (const s of ['2026-01-01T00:00:00Z', '2026-12-31t23:59:60.1+14:00', '1970-01-01T00:00:00.123456789-08:30']) assert.ok(isRfc3339DateTime(s), s);
  for (const s of ['2026-01-01T00:00:00', '2026-01-01', '2026-13-01T00:00:00Z', '2026-01-01T24:00:00Z', '2026-01-01T00:00:00+25:00', 'now', '2026-01-01T00:00Z']) {
    assert.ok(!isRfc3339DateTime(s), s);
  }
});

test('widening across records: long+double → double, timestamptz+string → string; missing keys and nulls', () => {
  const { schema, rejected } = inferJsonSchema([{ a: 1, t: '2026-01-01T00:00:00Z', n: null, e: [] }, { a: 2.5, t: 'not a time', only2: 'x', e: [] }, { a: 3 }]);
  assert.equal(rejected.length, 0);
  // n was only ever null and e only ever empty: no type yet, so no column
  assert.deepEqual(cols(schema), [
    ['a', 'double', false],
    ['t', 'string', false],
    ['only2', 'string', false],
  ]);
});

test('nested objects and arrays: struct fields merge, list elements merge', () => {
  const { schema } = inferJsonSchema([{ user: { id: 1, tags: ['a'] }, pts: [1, 2] }, { user: { name: 'bo', tags: [] }, pts: [0.5], grid: [[1], [2, 3]] }, { objs: [{ x: 1 }, { y: true }] }]);
  assert.deepEqual(schema.fields, [
    {
      id: 1,
      name: 'user',
      required: false,
      type: {
        type: 'struct',
        fields: [
          { id: 5, name: 'id', required: false, type: 'long' },
          { id: 6, name: 'tags', required: false, type: { type: 'list', 'element-id': 8, element: 'string', 'element-required': false } },
          { id: 7, name: 'name', required: false, type: 'string' },
        ],
      },
    },
    { id: 2, name: 'pts', required: false, type: { type: 'list', 'element-id': 9, element: 'double', 'element-required': false } },
    {
      id: 3,
      name: 'grid',
      required: false,
      type: { type: 'list', 'element-id': 10, element: { type: 'list', 'element-id': 11, element: 'long', 'element-required': false }, 'element-required': false },
    },
    {
      id: 4,
      name: 'objs',
      required: false,
      type: {
        type: 'list',
        'element-id': 12,
        element: {
          type: 'struct',
          fields: [
            { id: 13, name: 'x', required: false, type: 'long' },
            { id: 14, name: 'y', required: false, type: 'boolean' },
          ],
        },
        'element-required': false,
      },
    },
  ]);
});

test('conflicts that cannot widen are IncompatibleValueErrors for that record; the schema ignores it', () => {
  const { schema, rejected } = inferJsonSchema([
    { a: 1, o: { x: 1 } },
    { a: 'one' }, // string vs long
    { o: [1] }, // array vs struct
    { a: true }, // boolean vs long
    { o: { x: 'x' }, fresh: 1 }, // nested conflict: the whole record is rejected, "fresh" is not added
    [1, 2], // not a record
    { a: 2, o: { x: 3, y: 'ok' } },
  ]);
  assert.deepEqual(
    rejected.map((r) => [r.index, r.error.path]),
    [
      [1, 'a'],
      [2, 'o'],
      [3, 'a'],
      [4, 'o.x'],
      [5, ''],
    ],
  );
  assert.ok(rejected.every((r) => r.error instanceof IncompatibleValueError));
  assert.equal(rejected[0].error.expected, 'long');
  assert.equal(rejected[0].error.actual, 'string');
  assert.deepEqual(cols(schema), [
    ['a', 'long', false],
    [
      'o',
      {
        type: 'struct',
        fields: [
          { id: 3, name: 'x', required: false, type: 'long' },
          { id: 4, name: 'y', required: false, type: 'string' },
        ],
      },
      false,
    ],
  ]);
});

test('seeded with the table schema: its types are fixed, new keys become columns', () => {
  const table: Schema = {
    type: 'struct',
    'schema-id': 3,
    fields: [
      { id: 1, name: 'id', required: true, type: 'long' },
      { id: 2, name: 'price', required: false, type: 'double' },
      { id: 3, name: 'at', required: false, type: 'timestamptz' },
      { id: 4, name: 'amount', required: false, type: 'decimal(10, 2)' },
    ],
  };
  const inf = new JsonSchemaInferrer(table);
  assert.equal(inf.add({ id: 1, price: 3, at: '2026-01-01T00:00:00Z', amount: '1.50' }), undefined); // integer fits double
  assert.equal(inf.changes, 0);
  assert.equal(inf.add({ id: 1.5 })?.path, 'id'); // a double does not fit a long column
  assert.equal(inf.add({ at: true })?.path, 'at');
  assert.equal(inf.add({ id: 2, note: 'new' }), undefined);
  assert.equal(inf.changes, 1);
  assert.deepEqual(cols(inf.schema()), [
    ['id', 'long', false],
    ['price', 'double', false],
    ['at', 'timestamptz', false],
    ['amount', 'decimal(10, 2)', false],
    ['note', 'string', false],
  ]);
});
