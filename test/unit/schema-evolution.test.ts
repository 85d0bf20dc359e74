import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evolveSchema, IncompatibleSchemaChangeError } from '../../src/iceberg/schema-evolution.ts';
import type { FieldSpec } from '../../src/iceberg/schema.ts';
import { allFields, schemaFromJson } from '../../src/iceberg/schema.ts';
import type { Schema } from '../../src/iceberg/types.ts';

const current: Schema = {
  type: 'struct',
  'schema-id': 4,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'qty', required: true, type: 'int' },
    { id: 3, name: 'price', required: false, type: 'decimal(9, 2)' },
    { id: 4, name: 'ratio', required: false, type: 'float' },
    { id: 5, name: 'customer', required: false, type: { type: 'struct', fields: [{ id: 8, name: 'zip', required: true, type: 'string' }] } },
    { id: 6, name: 'tags', required: false, type: { type: 'list', 'element-id': 9, element: 'int', 'element-required': true } },
    { id: 7, name: 'attrs', required: false, type: { type: 'map', 'key-id': 10, key: 'string', 'value-id': 11, value: 'int', 'value-required': true } },
  ],
};

/** The incoming schema that says exactly what the table already has (without ids). */
function same(): FieldSpec[] {
  return [
    { name: 'id', type: 'long', required: true },
    { name: 'qty', type: 'int', required: true },
    { name: 'price', type: 'decimal(9,2)' },
    { name: 'ratio', type: 'float' },
    { name: 'customer', type: { type: 'struct', fields: [{ name: 'zip', type: 'string', required: true }] } },
    { name: 'tags', type: { type: 'list', element: 'int', 'element-required': true } },
    { name: 'attrs', type: { type: 'map', key: 'string', value: 'int', 'value-required': true } },
  ];
}

function replace(fields: FieldSpec[], name: string, f: Partial<FieldSpec>): FieldSpec[] {
  return fields.map((x) => (x.name === name ? { ...x, ...f } : x));
}

test('no change: no new schema', () => {
  const r = evolveSchema(current, same(), { lastColumnId: 11 });
  assert.deepEqual(r, { schema: undefined, changes: [], lastColumnId: 11 });
  // The current schema itself (with ids) as incoming is also no change.
  assert.equal(evolveSchema(current, current).schema, undefined);
});

test('adds columns (optional, fresh ids from last-column-id + 1, nested ids as Iceberg assigns them)', () => {
  const incoming: FieldSpec[] = [
    ...same(),
    { name: 'note', type: 'string', required: true },
    {
      name: 'ship',
      type: {
        type: 'struct',
        fields: [
          { name: 'city', type: 'string' },
          { name: 'lines', type: { type: 'list', element: 'long' } },
        ],
      },
    },
  ];
  const r = evolveSchema(current, incoming, { lastColumnId: 20 });
  assert.equal(r.lastColumnId, 25);
  assert.equal(r.schema!['schema-id'], 5);
  assert.deepEqual(r.schema!.fields.slice(0, 7), current.fields, 'existing fields unchanged');
  assert.deepEqual(r.schema!.fields.slice(7), [
    { id: 21, name: 'note', required: false, type: 'string' },
    {
      id: 22,
      name: 'ship',
      required: false,
      type: {
        type: 'struct',
        fields: [
          { id: 23, name: 'city', required: false, type: 'string' },
          { id: 24, name: 'lines', required: false, type: { type: 'list', 'element-id': 25, element: 'long', 'element-required': false } },
        ],
      },
    },
  ]);
  assert.deepEqual(
    r.changes.map((c) => [c.kind, c.path, c.fieldId]),
    [
      ['add-column', 'note', 21],
      ['add-column', 'ship', 22],
    ],
  );
  // The result is a valid schema (unique ids, valid types).
  assert.deepEqual(schemaFromJson(JSON.parse(JSON.stringify(r.schema))), r.schema);
});

test('adds nested fields inside existing structs and list/map structs', () => {
  const base: Schema = {
    type: 'struct',
    'schema-id': 0,
    fields: [
      { id: 1, name: 's', required: false, type: { type: 'struct', fields: [{ id: 3, name: 'a', required: false, type: 'int' }] } },
      {
        id: 2,
        name: 'l',
        required: false,
        type: { type: 'list', 'element-id': 4, element: { type: 'struct', fields: [{ id: 5, name: 'x', required: false, type: 'int' }] }, 'element-required': false },
      },
    ],
  };
  const r = evolveSchema(base, [
    {
      name: 's',
      type: {
        type: 'struct',
        fields: [
          { name: 'a', type: 'int' },
          { name: 'b', type: 'string', required: true },
        ],
      },
    },
    {
      name: 'l',
      type: {
        type: 'list',
        element: {
          type: 'struct',
          fields: [
            { name: 'x', type: 'long' },
            { name: 'y', type: 'double' },
          ],
        },
      },
    },
  ]);
  assert.equal(r.lastColumnId, 7);
  assert.deepEqual(r.changes, [
    { kind: 'add-column', path: 's.b', fieldId: 6, type: 'string' },
    { kind: 'widen-type', path: 'l.element.x', fieldId: 5, from: 'int', to: 'long' },
    { kind: 'add-column', path: 'l.element.y', fieldId: 7, type: 'double' },
  ]);
  const byName = new Map(allFields(r.schema!).map((e) => [e.name, e.field]));
  assert.deepEqual(byName.get('s.b'), { id: 6, name: 'b', required: false, type: 'string' });
  assert.equal(byName.get('l.element.x')!.type, 'long');
});

test('widens int→long, float→double, decimal precision; makes required optional', () => {
  let incoming = replace(same(), 'qty', { type: 'long', required: false });
  incoming = replace(incoming, 'ratio', { type: 'double' });
  incoming = replace(incoming, 'price', { type: 'decimal(12,2)' });
  incoming = replace(incoming, 'customer', { type: { type: 'struct', fields: [{ name: 'zip', type: 'string' }] } });
  incoming = replace(incoming, 'tags', { type: { type: 'list', element: 'long' } });
  incoming = replace(incoming, 'attrs', { type: { type: 'map', key: 'string', value: 'long' } });
  const r = evolveSchema(current, incoming);
  assert.deepEqual(r.changes, [
    { kind: 'make-optional', path: 'qty', fieldId: 2 },
    { kind: 'widen-type', path: 'qty', fieldId: 2, from: 'int', to: 'long' },
    { kind: 'widen-type', path: 'price', fieldId: 3, from: 'decimal(9, 2)', to: 'decimal(12, 2)' },
    { kind: 'widen-type', path: 'ratio', fieldId: 4, from: 'float', to: 'double' },
    { kind: 'make-optional', path: 'customer.zip', fieldId: 8 },
    { kind: 'make-optional', path: 'tags.element', fieldId: 9 },
    { kind: 'widen-type', path: 'tags.element', fieldId: 9, from: 'int', to: 'long' },
    { kind: 'make-optional', path: 'attrs.value', fieldId: 11 },
    { kind: 'widen-type', path: 'attrs.value', fieldId: 11, from: 'int', to: 'long' },
  ]);
  const s = r.schema!;
  assert.equal(r.lastColumnId, 11, 'no new ids');
  assert.deepEqual(s.fields[1], { id: 2, name: 'qty', required: false, type: 'long' });
  assert.equal(s.fields[2].type, 'decimal(12, 2)');
  assert.equal(s.fields[3].type, 'double');
  assert.deepEqual(s.fields[5].type, { type: 'list', 'element-id': 9, element: 'long', 'element-required': false });
  assert.deepEqual(s.fields[6].type, { type: 'map', 'key-id': 10, key: 'string', 'value-id': 11, value: 'long', 'value-required': false });
  assert.equal(s['schema-id'], 5);
  assert.equal(evolveSchema(current, incoming, { schemaId: 9 }).schema!['schema-id'], 9);
  // The input schema object is not modified.
  assert.equal(current.fields[1].type, 'int');
});

test('a required field the incoming schema lacks becomes optional; an optional one is left alone', () => {
  const r = evolveSchema(
    current,
    same().filter((f) => f.name !== 'qty' && f.name !== 'ratio'),
  );
  assert.deepEqual(r.changes, [{ kind: 'make-optional', path: 'qty', fieldId: 2 }]);
  assert.deepEqual(
    r.schema!.fields.map((f) => f.name),
    current.fields.map((f) => f.name),
    'nothing is dropped',
  );
  // Optional incoming where the table is optional, or required where the table is optional: no change.
  assert.equal(evolveSchema(current, replace(same(), 'price', { required: true })).schema, undefined);
});

test('incompatible changes name the path and both types', () => {
  const expectError = (incoming: FieldSpec[], path: string, from: string, to: string) => {
    assert.throws(
      () => evolveSchema(current, incoming),
      (e: unknown) => {
        assert.ok(e instanceof IncompatibleSchemaChangeError, String(e));
        assert.equal(e.path, path);
        assert.equal(e.from, from);
        assert.equal(e.to, to);
        assert.match(e.message, new RegExp(`at ${path.replace('.', '\\.')}: `));
        return true;
      },
    );
  };
  expectError(replace(same(), 'id', { type: 'int' }), 'id', 'long', 'int');
  expectError(replace(same(), 'qty', { type: 'string' }), 'qty', 'int', 'string');
  expectError(replace(same(), 'ratio', { type: 'long' }), 'ratio', 'float', 'long');
  expectError(replace(same(), 'price', { type: 'decimal(9,3)' }), 'price', 'decimal(9, 2)', 'decimal(9,3)');
  expectError(replace(same(), 'price', { type: 'decimal(5,2)' }), 'price', 'decimal(9, 2)', 'decimal(5,2)');
  expectError(replace(same(), 'customer', { type: 'string' }), 'customer', 'struct<zip: string>', 'string');
  expectError(replace(same(), 'customer', { type: { type: 'struct', fields: [{ name: 'zip', type: 'int' }] } }), 'customer.zip', 'string', 'int');
  expectError(replace(same(), 'tags', { type: { type: 'list', element: 'string' } }), 'tags.element', 'int', 'string');
  expectError(replace(same(), 'attrs', { type: { type: 'map', key: 'long', value: 'int' } }), 'attrs.key', 'string', 'long');
  expectError(replace(same(), 'attrs', { type: { type: 'list', element: 'int' } }), 'attrs', 'map<string, int>', 'list<int>');
  expectError(replace(same(), 'id', { type: 'timestamp' }), 'id', 'long', 'timestamp');
});

test('acceptNarrower treats a type the table already holds as no change', () => {
  const incoming = replace(replace(replace(same(), 'id', { type: 'int' }), 'price', { type: 'decimal(5,2)' }), 'qty', { type: 'long' });
  const r = evolveSchema(current, incoming, { acceptNarrower: true });
  assert.deepEqual(r.changes, [{ kind: 'widen-type', path: 'qty', fieldId: 2, from: 'int', to: 'long' }]);
  assert.equal(r.schema!.fields[0].type, 'long');
  assert.throws(() => evolveSchema(current, replace(same(), 'id', { type: 'string' }), { acceptNarrower: true }), IncompatibleSchemaChangeError);
});

test('identifier fields must stay required', () => {
  const withIdent: Schema = { ...current, 'identifier-field-ids': [1] };
  assert.throws(() => evolveSchema(withIdent, replace(same(), 'id', { required: false })), /at id: required → optional \(an identifier field must stay required\)/);
  const ok = evolveSchema(withIdent, [...same(), { name: 'extra', type: 'int' }]);
  assert.deepEqual(ok.schema!['identifier-field-ids'], [1]);
});

test('last-column-id defaults to the highest id in the schema', () => {
  const r = evolveSchema(current, [...same(), { name: 'n', type: 'int' }]);
  assert.equal(r.schema!.fields[7].id, 12);
  assert.equal(r.lastColumnId, 12);
});
