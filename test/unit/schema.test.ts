import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allFields, assignFreshIds, columnName, findField, findFieldByName, highestFieldId, schemaFromJson, SchemaValidationError } from '../../src/iceberg/schema.ts';
import type { Schema } from '../../src/iceberg/types.ts';
import { parseJson } from '../../src/iceberg/json.ts';

const nested: Schema = {
  type: 'struct',
  'schema-id': 3,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    {
      id: 2,
      name: 'customer',
      required: false,
      type: {
        type: 'struct',
        fields: [
          { id: 5, name: 'zip', required: false, type: 'string' },
          { id: 6, name: 'geo', required: false, type: { type: 'struct', fields: [{ id: 9, name: 'lat', required: true, type: 'double' }] } },
        ],
      },
    },
    { id: 3, name: 'tags', required: false, type: { type: 'list', 'element-id': 7, element: 'string', 'element-required': false } },
    {
      id: 4,
      name: 'attrs',
      required: false,
      type: { type: 'map', 'key-id': 10, key: 'string', 'value-id': 11, value: { type: 'struct', fields: [{ id: 12, name: 'v', required: false, type: 'int' }] }, 'value-required': true },
    },
    { id: 8, name: 'a.b', required: false, type: 'int' },
  ],
};

test('allFields walks structs, list elements and map keys/values with their ids', () => {
  const entries = allFields(nested);
  assert.deepEqual(
    entries.map((e) => [e.name, e.field.id]),
    [
      ['id', 1],
      ['customer', 2],
      ['customer.zip', 5],
      ['customer.geo', 6],
      ['customer.geo.lat', 9],
      ['tags', 3],
      ['tags.element', 7],
      ['attrs', 4],
      ['attrs.key', 10],
      ['attrs.value', 11],
      ['attrs.value.v', 12],
      ['a.b', 8],
    ],
  );
  const byName = new Map(entries.map((e) => [e.name, e]));
  assert.equal(byName.get('customer.geo.lat')!.parentId, 6);
  assert.equal(byName.get('customer.geo.lat')!.inRepeated, false);
  assert.equal(byName.get('tags.element')!.inRepeated, true);
  assert.equal(byName.get('attrs.value.v')!.inRepeated, true);
  assert.equal(byName.get('attrs.key')!.field.required, true);
  assert.equal(byName.get('attrs.value')!.field.required, true);
  assert.equal(byName.get('tags.element')!.field.required, false);
});

test('findField, findFieldByName, columnName, highestFieldId', () => {
  assert.equal(findField(nested, 9)!.name, 'lat');
  assert.equal(findField(nested, 7)!.type, 'string');
  assert.equal(findField(nested, 11)!.name, 'value');
  assert.equal(findField(nested, 99), undefined);
  assert.equal(findFieldByName(nested, 'customer.geo.lat')!.id, 9);
  assert.equal(findFieldByName(nested, 'tags.element')!.id, 7);
  assert.equal(findFieldByName(nested, 'attrs.value.v')!.id, 12);
  assert.equal(findFieldByName(nested, 'a.b')!.id, 8, 'a name with a dot is found by its full name');
  assert.equal(findFieldByName(nested, 'CUSTOMER.Zip'), undefined);
  assert.equal(findFieldByName(nested, 'CUSTOMER.Zip', false)!.id, 5);
  assert.equal(findFieldByName(nested, 'customer.nope'), undefined);
  assert.equal(columnName(nested, 12), 'attrs.value.v');
  assert.equal(highestFieldId(nested), 12);
  assert.equal(highestFieldId({ type: 'struct', fields: [] }), 0);
});

test("assignFreshIds numbers a struct's own fields before descending, as Iceberg does", () => {
  // Expected ids are what PyIceberg's assign_fresh_schema_ids (and Java's TypeUtil) give.
  const { schema, lastColumnId } = assignFreshIds([
    {
      name: 'a',
      type: {
        type: 'struct',
        fields: [
          { name: 'x', type: 'int' },
          { name: 'y', type: 'string' },
        ],
      },
    },
    { name: 'b', type: { type: 'list', element: { type: 'struct', fields: [{ name: 'z', type: 'long' }] } } },
    { name: 'c', type: { type: 'map', key: 'string', value: { type: 'struct', fields: [{ name: 'w', type: 'int' }] } } },
    { name: 'd', type: 'int', required: true, doc: 'the d' },
  ]);
  assert.equal(lastColumnId, 11);
  assert.deepEqual(schema, {
    type: 'struct',
    'schema-id': 0,
    fields: [
      {
        id: 1,
        name: 'a',
        required: false,
        type: {
          type: 'struct',
          fields: [
            { id: 5, name: 'x', required: false, type: 'int' },
            { id: 6, name: 'y', required: false, type: 'string' },
          ],
        },
      },
      {
        id: 2,
        name: 'b',
        required: false,
        type: { type: 'list', 'element-id': 7, element: { type: 'struct', fields: [{ id: 8, name: 'z', required: false, type: 'long' }] }, 'element-required': false },
      },
      {
        id: 3,
        name: 'c',
        required: false,
        type: { type: 'map', 'key-id': 9, key: 'string', 'value-id': 10, value: { type: 'struct', fields: [{ id: 11, name: 'w', required: false, type: 'int' }] }, 'value-required': false },
      },
      { id: 4, name: 'd', required: true, type: 'int', doc: 'the d' },
    ],
  });
  // Existing ids are ignored; numbering may continue after a given id.
  const again = assignFreshIds(nested, { lastColumnId: 100, schemaId: 7 });
  assert.equal(again.schema['schema-id'], 7);
  assert.deepEqual(
    again.schema.fields.map((f) => f.id),
    [101, 102, 103, 104, 105],
  );
  assert.equal(again.lastColumnId, 112);
  const withIdent = assignFreshIds(
    [
      { name: 'k', type: 'long', required: true },
      { name: 'v', type: 'string' },
    ],
    { identifierFieldNames: ['k'] },
  );
  assert.deepEqual(withIdent.schema['identifier-field-ids'], [1]);
  assert.throws(() => assignFreshIds([{ name: 'v', type: 'string' }], { identifierFieldNames: ['v'] }), /identifier field v must be required/);
});

test('schemaFromJson accepts a schema as table metadata carries it', () => {
  const text = JSON.stringify(nested);
  assert.deepEqual(schemaFromJson(parseJson(text)), nested);
  const v1 = schemaFromJson({
    type: 'struct',
    fields: [
      { id: 1, name: 'x', required: true, type: 'decimal(38,10)' },
      { id: 2, name: 'f', required: false, type: 'fixed[16]' },
    ],
    'identifier-field-ids': [1],
  });
  assert.equal(v1['schema-id'], 0);
  assert.deepEqual(v1['identifier-field-ids'], [1]);
});

test('schemaFromJson errors name the field', () => {
  const bad =
    (fields: unknown[], extra: Record<string, unknown> = {}) =>
    () =>
      schemaFromJson({ type: 'struct', 'schema-id': 0, fields, ...extra });
  assert.throws(() => schemaFromJson(null), SchemaValidationError);
  assert.throws(() => schemaFromJson({ type: 'list' }), /"type" must be "struct"/);
  assert.throws(bad([{ id: 1, name: 'a', required: true, type: 'varchar' }]), /schema: a: unknown or invalid type "varchar"/);
  assert.throws(bad([{ id: 1, name: 'a', required: true, type: 'decimal(39,2)' }]), /invalid type "decimal\(39,2\)"/);
  assert.throws(bad([{ id: 1, name: 'a', required: true, type: 'decimal(5,6)' }]), /invalid type/);
  assert.throws(bad([{ id: 1, name: 'a', type: 'int' }]), /schema: a: "required" must be true or false/);
  assert.throws(bad([{ id: '1', name: 'a', required: true, type: 'int' }]), /schema: a: "id" must be a non-negative integer/);
  assert.throws(
    bad([
      { id: 1, name: 'a', required: true, type: 'int' },
      { id: 1, name: 'b', required: true, type: 'int' },
    ]),
    /schema: b: field id 1 is used twice \(also by a\)/,
  );
  assert.throws(
    bad([
      { id: 1, name: 'a', required: true, type: 'int' },
      { id: 2, name: 'a', required: true, type: 'int' },
    ]),
    /field name "a" appears twice/,
  );
  assert.throws(bad([{ id: 1, name: 's', required: true, type: { type: 'struct', fields: [{ id: 2, name: 'x', required: true, type: 'intt' }] } }]), /schema: s\.x: unknown or invalid type "intt"/);
  assert.throws(bad([{ id: 1, name: 'l', required: true, type: { type: 'list', 'element-id': 1, element: 'int', 'element-required': true } }]), /schema: l\.element: field id 1 is used twice/);
  assert.throws(bad([{ id: 1, name: 'l', required: true, type: { type: 'list', 'element-id': 2, element: 'int' } }]), /schema: l: list "element-required" must be true or false/);
  assert.throws(
    bad([{ id: 1, name: 'm', required: true, type: { type: 'map', 'key-id': 2, key: 'string', 'value-id': 3, value: 'nope', 'value-required': true } }]),
    /schema: m\.value: unknown or invalid type "nope"/,
  );
  assert.throws(bad([{ id: 1, name: 'm', required: true, type: { type: 'set' } }]), /unknown nested type "set"/);
  assert.throws(bad([{ id: 1, name: 'a', required: false, type: 'int' }], { 'identifier-field-ids': [1] }), /identifier field a must be required/);
  assert.throws(bad([{ id: 1, name: 'a', required: true, type: 'int' }], { 'identifier-field-ids': [5] }), /identifier field id 5 is not in the schema/);
  assert.throws(bad([{ id: 1, name: 'a', required: true, type: 'int' }], { 'schema-id': -1 }), /"schema-id" must be a non-negative integer/);
});
