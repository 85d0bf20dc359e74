// The registry client and the decoders against a real Confluent-compatible registry
// (Apicurio Registry 3, /apis/ccompat/v7), started by `scripts/stack/start.sh registry`.
//   FLOE_TEST_REGISTRY_URL=http://127.0.0.1:8081/apis/ccompat/v7 node --test test/conformance/registry-ccompat.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import avro from 'avsc';
import protobuf from 'protobufjs';
import { SchemaRegistryClient } from '../../src/decode/schema-registry.ts';
import { ConfluentDecoder } from '../../src/decode/record-decoder.ts';
import { DecodeError, encodeFrame } from '../../src/decode/wire-format.ts';
import { EVENTS_AVRO_SCHEMA, EVENTS_JSON_SCHEMA, EVENTS_PROTO_SCHEMA, encodeEventAvro, encodeEventProtobuf, eventToJson, sampleEvent } from '../../schemas/events-sample.ts';

const URL_ENV = process.env.FLOE_TEST_REGISTRY_URL;
const run = `${Date.now().toString(36)}-${process.pid}`;
const subject = (name: string) => `floe-conf-${run}-${name}`;

function client(): SchemaRegistryClient {
  if (!URL_ENV) {
    throw new Error('FLOE_TEST_REGISTRY_URL is not set: start the registry with `scripts/stack/start.sh registry` and export ' + 'FLOE_TEST_REGISTRY_URL=http://127.0.0.1:8081/apis/ccompat/v7');
  }
  // generous timeout: the registry shares a small machine with the rest of the stack
  return new SchemaRegistryClient({ url: URL_ENV, timeoutMs: 60_000 });
}

test('Avro: register events, fetch by id and subject version, decode a framed record', async () => {
  const c = client();
  const id = await c.register(subject('events-avro'), { schema: EVENTS_AVRO_SCHEMA });
  assert.ok(Number.isInteger(id) && id > 0);
  const s = await c.getSchemaById(id);
  assert.equal(s.schemaType, 'AVRO');
  assert.deepEqual(
    JSON.parse(s.schema).fields.map((f: { name: string }) => f.name),
    JSON.parse(EVENTS_AVRO_SCHEMA).fields.map((f: { name: string }) => f.name),
  );
  const sv = await c.getSubjectVersion(subject('events-avro'), 1);
  assert.equal(sv.id, id);
  assert.equal(sv.version, 1);
  const dec = new ConfluentDecoder(c);
  for (let i = 0; i < 20; i++) {
    const e = sampleEvent(i);
    assert.deepEqual((await dec.decode(encodeFrame(id, encodeEventAvro(e)))).value, e);
  }
});

test('Avro: a named type from another subject resolves through references', async () => {
  const c = client();
  const money = JSON.stringify({
    type: 'record',
    name: 'Money',
    namespace: 'floe.conf',
    fields: [
      { name: 'units', type: 'long' },
      { name: 'currency', type: 'string' },
    ],
  });
  await c.register(subject('money-avro'), { schema: money });
  const order = JSON.stringify({
    type: 'record',
    name: 'Order',
    namespace: 'floe.conf',
    fields: [
      { name: 'id', type: 'string' },
      { name: 'total', type: 'floe.conf.Money' },
    ],
  });
  const id = await c.register(subject('order-avro'), { schema: order, references: [{ name: 'floe.conf.Money', subject: subject('money-avro'), version: 1 }] });
  const r = await c.resolve(id);
  assert.deepEqual(r.references, [{ name: 'floe.conf.Money', subject: subject('money-avro'), version: 1 }]);
  assert.equal(r.dependencies.length, 1);
  const writer = avro.Type.forSchema({
    type: 'record',
    name: 'Order',
    namespace: 'floe.conf',
    fields: [
      { name: 'id', type: 'string' },
      { name: 'total', type: JSON.parse(money) },
    ],
  });
  const out = await new ConfluentDecoder(c).decode(encodeFrame(id, writer.toBuffer({ id: 'o-1', total: { units: 1999, currency: 'EUR' } })));
  assert.deepEqual(out.value, { id: 'o-1', total: { units: 1999, currency: 'EUR' } });
  assert.deepEqual(
    out.schema.fields.map((f) => f.name),
    ['id', 'total'],
  );
});

test('Protobuf: events (imports google/protobuf/timestamp.proto) register and decode', async () => {
  const c = client();
  const id = await c.register(subject('events-proto'), { schema: EVENTS_PROTO_SCHEMA, schemaType: 'PROTOBUF' });
  const s = await c.getSchemaById(id);
  assert.equal(s.schemaType, 'PROTOBUF');
  const dec = new ConfluentDecoder(c);
  for (let i = 0; i < 20; i++) {
    const e = sampleEvent(i);
    assert.deepEqual((await dec.decode(encodeFrame(id, encodeEventProtobuf(e), [0]))).value, e);
  }
});

test('Protobuf: message indexes and a reference to another subject', async () => {
  const c = client();
  const money = 'syntax = "proto3";\npackage floe.conf;\n\nmessage Money {\n  string currency = 1;\n  int64 units = 2;\n}\n';
  await c.register(subject('money-proto'), { schema: money, schemaType: 'PROTOBUF' });
  const order =
    'syntax = "proto3";\npackage floe.conf;\n\nimport "floe/conf/money.proto";\n\nmessage Header {\n  string source = 1;\n}\n\n' +
    'message Order {\n  message Line {\n    string sku = 1;\n    floe.conf.Money price = 2;\n  }\n  string id = 1;\n  repeated Line lines = 2;\n}\n';
  const id = await c.register(subject('order-proto'), {
    schema: order,
    schemaType: 'PROTOBUF',
    references: [{ name: 'floe/conf/money.proto', subject: subject('money-proto'), version: 1 }],
  });
  const root = new protobuf.Root();
  protobuf.parse(money, root, { keepCase: true });
  protobuf.parse(order, root, { keepCase: true });
  const Order = root.lookupType('floe.conf.Order');
  const Line = root.lookupType('floe.conf.Order.Line');
  const dec = new ConfluentDecoder(c);
  const o = await dec.decode(encodeFrame(id, Order.encode(Order.fromObject({ id: 'o', lines: [{ sku: 'a', price: { currency: 'EUR', units: 3 } }] })).finish(), [1]));
  assert.deepEqual(o.value, { id: 'o', lines: [{ sku: 'a', price: { currency: 'EUR', units: 3 } }] });
  const l = await dec.decode(encodeFrame(id, Line.encode(Line.fromObject({ sku: 'b' })).finish(), [1, 0]));
  assert.deepEqual(l.value, { sku: 'b', price: null });
});

test('JSON Schema: events register, validate and decode', async () => {
  const c = client();
  const id = await c.register(subject('events-json'), { schema: EVENTS_JSON_SCHEMA, schemaType: 'JSON' });
  assert.equal((await c.getSchemaById(id)).schemaType, 'JSON');
  const dec = new ConfluentDecoder(c);
  const text = eventToJson(sampleEvent(3));
  const r = await dec.decode(encodeFrame(id, new TextEncoder().encode(text)));
  assert.deepEqual(r.value, JSON.parse(text));
  await assert.rejects(
    async () => dec.decode(encodeFrame(id, new TextEncoder().encode('{"id": 5}'))),
    (e) => e instanceof DecodeError && e.reason === 'schema-validation',
  );
});

test('an id the registry does not have is unknown-schema', async () => {
  const c = client();
  await assert.rejects(c.getSchemaById(2_000_000_000), (e) => e instanceof DecodeError && e.reason === 'unknown-schema');
  await assert.rejects(c.getSubjectVersion(subject('never-registered'), 1), (e) => e instanceof DecodeError && e.reason === 'unknown-schema');
});
