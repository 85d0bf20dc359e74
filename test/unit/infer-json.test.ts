import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inferJsonSchema, isRfc3339DateTime, JsonSchemaInferrer } from '../../src/schema/infer-json.ts';
import { IncompatibleValueError, SchemaRuleError } from '../../src/schema/errors.ts';
import type { SchemaRule } from '../../src/schema/errors.ts';
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
  assert.equal((rejected[0].error as IncompatibleValueError).expected, 'long');
  assert.equal((rejected[0].error as IncompatibleValueError).actual, 'string');
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

// ---- schema rules (schema-rules.ts): refused before any file or catalog request ----

const nested = (levels: number, leaf: unknown = 1): unknown => {
  let v: unknown = leaf;
  for (let i = 0; i < levels; i++) v = { n: v };
  return v;
};

test('rules: names equal ignoring case, empty names and full-name collisions are refused, the schema unchanged', () => {
  const inf = new JsonSchemaInferrer();
  assert.equal(inf.add({ x: 1, a: { b: 1 } }), undefined);
  const before = inf.schema();
  const cases: [unknown, SchemaRule, string][] = [
    [{ X: 2 }, 'case-duplicate', 'X'],
    [{ '': 1 }, 'empty-name', ''],
    [{ 'a.b': 1 }, 'name-collision', 'a.b'],
    [{ 'A.b': 1 }, 'name-collision', 'A.b'],
    [{ a: { B: 2 } }, 'case-duplicate', 'a.B'],
    [{ q: { '': 1 } }, 'empty-name', 'q.'],
  ];
  for (const [record, rule, path] of cases) {
    const e = inf.add(record);
    assert.ok(e instanceof SchemaRuleError, `${JSON.stringify(record)}: ${String(e)}`);
    assert.equal(e.reason, rule, JSON.stringify(record));
    assert.equal(e.path, path, JSON.stringify(record));
    assert.deepEqual(inf.schema(), before, 'unchanged');
  }
  // the same names within one record
  assert.equal((new JsonSchemaInferrer().add({ k: 1, K: 2 }) as SchemaRuleError).reason, 'case-duplicate');
  assert.equal((new JsonSchemaInferrer().add({ 'a.b': 1, a: { b: 2 } }) as SchemaRuleError).reason, 'name-collision');
  // a key that is only ever null adds no column and breaks nothing yet
  assert.equal(new JsonSchemaInferrer().add({ k: 1, K: null }), undefined);
});

test('rules: nesting up to the limit is taken, one level more is refused; 100,000 levels cost no stack', () => {
  const limits = { maxDepth: 32, maxColumns: 2000 };
  assert.equal(new JsonSchemaInferrer(undefined, { limits }).add({ top: nested(32) }), undefined, '32 levels below a top-level field');
  const deep = new JsonSchemaInferrer(undefined, { limits }).add({ top: nested(33) });
  assert.ok(deep instanceof SchemaRuleError && deep.reason === 'too-deep', String(deep));
  for (const huge of [{ top: nested(100_000) }, { top: JSON.parse('['.repeat(50_000) + ']'.repeat(50_000)) }]) {
    const e = new JsonSchemaInferrer(undefined, { limits }).add(huge);
    assert.ok(e instanceof SchemaRuleError && e.reason === 'too-deep', String(e));
    assert.ok(e.message.length < 1000, 'a short message');
  }
  // lists and maps count as levels too
  const lists = new JsonSchemaInferrer(undefined, { limits: { maxDepth: 2, maxColumns: 10 } });
  assert.equal(lists.add({ l: [[1]] }), undefined);
  assert.equal((lists.add({ m: [[[1]]] }) as SchemaRuleError).reason, 'too-deep');
});

test('rules: more columns than the limit are refused; a table made elsewhere keeps its own columns', () => {
  const inf = new JsonSchemaInferrer(undefined, { limits: { maxDepth: 32, maxColumns: 5 } });
  assert.equal(inf.add({ a: 1, b: 2, c: 3, d: { e: 4, f: 5 } }), undefined);
  const e = inf.add({ g: 1 });
  assert.ok(e instanceof SchemaRuleError && e.reason === 'too-many-columns', String(e));
  // a base schema over the limits (made by another engine) is not held against new records
  const base = new JsonSchemaInferrer();
  base.add({ A: 1, 'a.b': 2, deep: nested(3) });
  const seeded = new JsonSchemaInferrer(base.schema(), { limits: { maxDepth: 1, maxColumns: 2 } });
  assert.equal(seeded.add({ A: 5, deep: nested(3, 7) }), undefined, 'existing columns stay writable');
  assert.equal((seeded.add({ z: 1 }) as SchemaRuleError).reason, 'too-many-columns');
});

test('rules: a top-level key named like a Kafka metadata column is refused, nested ones are fine', () => {
  const inf = new JsonSchemaInferrer(undefined, { reserved: new Set(['_kafka_offset', '_kafka_topic']) });
  const e = inf.add({ id: 1, _kafka_offset: 5 });
  assert.ok(e instanceof SchemaRuleError && e.reason === 'reserved-name' && e.path === '_kafka_offset', String(e));
  assert.equal((inf.add({ _kafka_topic: 'x' }) as SchemaRuleError).reason, 'reserved-name');
  assert.equal(inf.add({ inner: { _kafka_offset: 1 } }), undefined);
});

test('rules hold against the columns of the table too (the inferrer seeded with its schema)', () => {
  const first = new JsonSchemaInferrer();
  first.add({ x: 1, a: { b: 1 }, deep: nested(32) });
  const table = first.schema();
  const inf = new JsonSchemaInferrer(table);
  assert.equal((inf.add({ 'a.b': 1 }) as SchemaRuleError).reason, 'name-collision', 'a dotted name next to the struct a');
  assert.equal((inf.add({ X: 1 }) as SchemaRuleError).reason, 'case-duplicate');
  assert.equal((inf.add({ other: nested(33) }) as SchemaRuleError).reason, 'too-deep');
  assert.equal(inf.add({ other: nested(32), deep: nested(32, 5), a: { c: 2 } }), undefined, 'at the limit, and the existing columns');
});
