// The decoders' output is what the batch builder takes: every format's events, and the
// Avro all-types record, append to a RecordBatchBuilder built from the schema our mapping
// derives for that same writer schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecordBatchBuilder } from '../../src/batch/index.ts';
import { ConfluentDecoder, decodePlainJson } from '../../src/decode/record-decoder.ts';
import type { ResolvedSchema, SchemaLookup } from '../../src/decode/schema-registry.ts';
import { encodeFrame } from '../../src/decode/wire-format.ts';
import { inferJsonSchema } from '../../src/schema/infer-json.ts';
import { withKafkaMetadataColumns, kafkaMetadataValues } from '../../src/schema/kafka-metadata.ts';
import { EVENTS_AVRO_SCHEMA, EVENTS_JSON_SCHEMA, EVENTS_PROTO_SCHEMA, decimalToBytes, encodeEventAvro, encodeEventProtobuf, eventToJson, sampleEvent } from '../../schemas/events-sample.ts';
import avro from 'avsc';

const ALL_AVRO = {
  type: 'record',
  name: 'All',
  fields: [
    { name: 'b', type: 'boolean' },
    { name: 'i', type: 'int' },
    { name: 'l', type: 'long' },
    { name: 'f', type: 'float' },
    { name: 'd', type: 'double' },
    { name: 'by', type: 'bytes' },
    { name: 's', type: 'string' },
    { name: 'fx', type: { type: 'fixed', name: 'F3', size: 3 } },
    { name: 'date', type: { type: 'int', logicalType: 'date' } },
    { name: 'tm', type: { type: 'int', logicalType: 'time-millis' } },
    { name: 'tsm', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'lts', type: { type: 'long', logicalType: 'local-timestamp-micros' } },
    { name: 'dec', type: { type: 'bytes', logicalType: 'decimal', precision: 9, scale: 2 } },
    { name: 'ufx', type: { type: 'fixed', name: 'U', size: 16, logicalType: 'uuid' } },
    { name: 'e', type: { type: 'enum', name: 'E', symbols: ['A', 'B'] } },
    { name: 'u', type: ['null', 'int', 'string'] },
    { name: 'm', type: { type: 'map', values: ['null', { type: 'array', items: 'long' }] } },
  ],
};

const schemas: Record<number, Omit<ResolvedSchema, 'id'>> = {
  1: { schema: EVENTS_AVRO_SCHEMA, schemaType: 'AVRO', references: [], dependencies: [] },
  2: { schema: EVENTS_PROTO_SCHEMA, schemaType: 'PROTOBUF', references: [], dependencies: [] },
  3: { schema: EVENTS_JSON_SCHEMA, schemaType: 'JSON', references: [], dependencies: [] },
  4: { schema: JSON.stringify(ALL_AVRO), schemaType: 'AVRO', references: [], dependencies: [] },
};
const lookup: SchemaLookup = { resolve: async (id) => ({ id, ...schemas[id] }) };

test('events in Avro, Protobuf, JSON Schema: decoded values append to a batch of the derived schema', async () => {
  const dec = new ConfluentDecoder(lookup);
  const enc = new TextEncoder();
  const cases: [string, (i: number) => Uint8Array][] = [
    ['avro', (i) => encodeFrame(1, encodeEventAvro(sampleEvent(i)))],
    ['protobuf', (i) => encodeFrame(2, encodeEventProtobuf(sampleEvent(i)), [0])],
    ['json-schema', (i) => encodeFrame(3, enc.encode(eventToJson(sampleEvent(i))))],
  ];
  for (const [name, frame] of cases) {
    const first = await dec.decode(frame(0));
    const schema = withKafkaMetadataColumns(first.schema, { key: 'binary', headers: true });
    const batch = new RecordBatchBuilder(schema, `t_${name}`);
    for (let i = 0; i < 100; i++) {
      const r = await dec.decode(frame(i));
      assert.equal(r.schema, first.schema);
      batch.append({
        ...r.value,
        ...kafkaMetadataValues({ topic: 'events', partition: 0, offset: BigInt(i), timestampMs: 1_700_000_000_000 + i, key: null, headers: [] }, { key: 'binary', headers: true }),
      });
    }
    assert.equal(batch.finish().rowCount, 100, name);
  }
});

test('every Avro type decoded appends to a batch of the derived schema', async () => {
  const dec = new ConfluentDecoder(lookup);
  const t = avro.Type.forSchema(ALL_AVRO as avro.Schema, { wrapUnions: true });
  const bytes = t.toBuffer({
    b: false,
    i: 7,
    l: 12,
    f: 0.5,
    d: 2.5,
    by: Buffer.from([1]),
    s: 's',
    fx: Buffer.from([1, 2, 3]),
    date: 19000,
    tm: 1000,
    tsm: 1_700_000_000_000,
    lts: 5,
    dec: decimalToBytes('-12.30', 2),
    ufx: Buffer.alloc(16, 0xab),
    e: 'B',
    u: { string: 'x' },
    m: { a: { array: [1, 2] }, b: null },
  });
  const r = await dec.decode(encodeFrame(4, bytes));
  const batch = new RecordBatchBuilder(r.schema, 'all');
  batch.append(r.value);
  assert.equal(batch.finish().rowCount, 1);
});

test('plain JSON: inferred schema takes the decoded records', () => {
  const enc = new TextEncoder();
  const values = Array.from({ length: 50 }, (_, i) => decodePlainJson(enc.encode(eventToJson(sampleEvent(i)))));
  const { schema, rejected } = inferJsonSchema(values);
  assert.deepEqual(rejected, []);
  assert.equal(schema.fields.find((f) => f.name === 'ts')?.type, 'timestamptz');
  const batch = new RecordBatchBuilder(schema, 'plain');
  for (const v of values) batch.append(v);
  assert.equal(batch.finish().rowCount, 50);
});
