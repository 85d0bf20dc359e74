import { test } from 'node:test';
import assert from 'node:assert/strict';
import { icebergSchemaFromAvro } from '../../src/schema/from-avro.ts';
import { SchemaConversionError } from '../../src/schema/errors.ts';
import { parseAvroSchema } from '../../src/decode/avro-schema.ts';
import { EVENTS_AVRO_SCHEMA } from '../../schemas/events-sample.ts';

const rec = (fields: unknown[]) => JSON.stringify({ type: 'record', name: 'R', fields });

test('events.avsc → Iceberg schema with fresh ids (struct fields first, then nested)', () => {
  const s = icebergSchemaFromAvro(EVENTS_AVRO_SCHEMA);
  assert.deepEqual(s, {
    type: 'struct',
    'schema-id': 0,
    fields: [
      { id: 1, name: 'id', required: true, type: 'uuid' },
      { id: 2, name: 'ts', required: true, type: 'timestamptz' },
      { id: 3, name: 'user_id', required: true, type: 'long' },
      { id: 4, name: 'session_id', required: true, type: 'string' },
      { id: 5, name: 'event_type', required: true, type: 'string' },
      { id: 6, name: 'page_url', required: true, type: 'string' },
      { id: 7, name: 'referrer', required: false, type: 'string' },
      { id: 8, name: 'user_agent', required: true, type: 'string' },
      { id: 9, name: 'country', required: true, type: 'string' },
      { id: 10, name: 'city', required: false, type: 'string' },
      { id: 11, name: 'amount', required: false, type: 'decimal(12, 2)' },
      { id: 12, name: 'score', required: true, type: 'double' },
      { id: 13, name: 'is_mobile', required: true, type: 'boolean' },
      { id: 14, name: 'event_date', required: true, type: 'date' },
      { id: 15, name: 'tags', required: true, type: { type: 'list', 'element-id': 17, element: 'string', 'element-required': true } },
      {
        id: 16,
        name: 'properties',
        required: true,
        type: { type: 'map', 'key-id': 18, key: 'string', 'value-id': 19, value: 'string', 'value-required': true },
      },
    ],
  });
});

test('every primitive and logical type', () => {
  const s = icebergSchemaFromAvro(
    rec([
      { name: 'b', type: 'boolean' },
      { name: 'i', type: 'int' },
      { name: 'l', type: 'long' },
      { name: 'f', type: 'float' },
      { name: 'd', type: 'double' },
      { name: 'by', type: 'bytes' },
      { name: 's', type: 'string' },
      { name: 'fx', type: { type: 'fixed', name: 'F', size: 7 } },
      { name: 'date', type: { type: 'int', logicalType: 'date' } },
      { name: 'tm', type: { type: 'int', logicalType: 'time-millis' } },
      { name: 'tu', type: { type: 'long', logicalType: 'time-micros' } },
      { name: 'tsm', type: { type: 'long', logicalType: 'timestamp-millis' } },
      { name: 'tsu', type: { type: 'long', logicalType: 'timestamp-micros' } },
      { name: 'ltsm', type: { type: 'long', logicalType: 'local-timestamp-millis' } },
      { name: 'ltsu', type: { type: 'long', logicalType: 'local-timestamp-micros' } },
      { name: 'tsn', type: { type: 'long', logicalType: 'timestamp-nanos' } },
      { name: 'ltsn', type: { type: 'long', logicalType: 'local-timestamp-nanos' } },
      { name: 'dec', type: { type: 'bytes', logicalType: 'decimal', precision: 38, scale: 9 } },
      { name: 'decf', type: { type: 'fixed', name: 'D', size: 5, logicalType: 'decimal', precision: 11, scale: 0 } },
      { name: 'u', type: { type: 'string', logicalType: 'uuid' } },
      { name: 'uf', type: { type: 'fixed', name: 'U', size: 16, logicalType: 'uuid' } },
      { name: 'e', type: { type: 'enum', name: 'E', symbols: ['A'] } },
    ]),
  );
  assert.deepEqual(
    s.fields.map((f) => [f.name, f.type, f.required]),
    [
      ['b', 'boolean', true],
      ['i', 'int', true],
      ['l', 'long', true],
      ['f', 'float', true],
      ['d', 'double', true],
      ['by', 'binary', true],
      ['s', 'string', true],
      ['fx', 'fixed[7]', true],
      ['date', 'date', true],
      ['tm', 'time', true],
      ['tu', 'time', true],
      ['tsm', 'timestamptz', true],
      ['tsu', 'timestamptz', true],
      ['ltsm', 'timestamp', true],
      ['ltsu', 'timestamp', true],
      ['tsn', 'timestamptz_ns', true],
      ['ltsn', 'timestamp_ns', true],
      ['dec', 'decimal(38, 9)', true],
      ['decf', 'decimal(11, 0)', true],
      ['u', 'uuid', true],
      ['uf', 'uuid', true],
      ['e', 'string', true],
    ],
  );
});

test('unions: option unions are optional; other unions are struct<tag, field0..> with optional branches', () => {
  const s = icebergSchemaFromAvro(
    rec([
      { name: 'a', type: ['null', 'string'] },
      { name: 'b', type: ['long', 'null'] },
      { name: 'c', type: ['int', 'string'] },
      { name: 'd', type: ['null', 'int', { type: 'record', name: 'P', fields: [{ name: 'x', type: 'int' }] }] },
      { name: 'e', type: { type: 'array', items: ['null', 'double'] } },
      { name: 'm', type: { type: 'map', values: ['null', { type: 'array', items: 'int' }] } },
    ]),
  );
  assert.deepEqual(s.fields, [
    { id: 1, name: 'a', required: false, type: 'string' },
    { id: 2, name: 'b', required: false, type: 'long' },
    {
      id: 3,
      name: 'c',
      required: true,
      type: {
        type: 'struct',
        fields: [
          { id: 7, name: 'tag', required: true, type: 'int' },
          { id: 8, name: 'field0', required: false, type: 'int' },
          { id: 9, name: 'field1', required: false, type: 'string' },
        ],
      },
    },
    {
      id: 4,
      name: 'd',
      required: false,
      type: {
        type: 'struct',
        fields: [
          { id: 10, name: 'tag', required: true, type: 'int' },
          { id: 11, name: 'field0', required: false, type: 'int' },
          { id: 12, name: 'field1', required: false, type: { type: 'struct', fields: [{ id: 13, name: 'x', required: true, type: 'int' }] } },
        ],
      },
    },
    { id: 5, name: 'e', required: true, type: { type: 'list', 'element-id': 14, element: 'double', 'element-required': false } },
    {
      id: 6,
      name: 'm',
      required: true,
      type: { type: 'map', 'key-id': 15, key: 'string', 'value-id': 16, value: { type: 'list', 'element-id': 17, element: 'int', 'element-required': true }, 'value-required': false },
    },
  ]);
});

test('nested records, docs, named types from references', () => {
  const named = new Map();
  parseAvroSchema('{"type":"record","name":"Addr","namespace":"x","fields":[{"name":"city","type":"string","doc":"City name"}]}', named);
  const s = icebergSchemaFromAvro(
    JSON.stringify({
      type: 'record',
      name: 'P',
      namespace: 'x',
      fields: [
        { name: 'home', type: 'Addr' },
        { name: 'work', type: ['null', 'x.Addr'] },
      ],
    }),
    named,
  );
  assert.deepEqual(s.fields, [
    { id: 1, name: 'home', required: true, type: { type: 'struct', fields: [{ id: 3, name: 'city', required: true, type: 'string', doc: 'City name' }] } },
    { id: 2, name: 'work', required: false, type: { type: 'struct', fields: [{ id: 4, name: 'city', required: true, type: 'string', doc: 'City name' }] } },
  ]);
});

test('a non-record top-level schema becomes one column "value"', () => {
  assert.deepEqual(icebergSchemaFromAvro('"string"').fields, [{ id: 1, name: 'value', required: true, type: 'string' }]);
  assert.deepEqual(icebergSchemaFromAvro('["null","long"]').fields, [{ id: 1, name: 'value', required: false, type: 'long' }]);
});

test('errors: recursive records, null fields, null-only unions', () => {
  const recursive = '{"type":"record","name":"N","fields":[{"name":"next","type":["null","N"]}]}';
  assert.throws(
    () => icebergSchemaFromAvro(recursive),
    (e) => e instanceof SchemaConversionError && /recursive/.test(e.message) && e.path === 'next',
  );
  assert.throws(() => icebergSchemaFromAvro(rec([{ name: 'n', type: 'null' }])), SchemaConversionError);
  assert.throws(() => icebergSchemaFromAvro(rec([{ name: 'n', type: ['null'] }])), /only null/);
});
