import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfluentDecoder, decodePlainJson } from '../../src/decode/record-decoder.ts';
import type { ResolvedSchema, SchemaLookup } from '../../src/decode/schema-registry.ts';
import { DecodeError, encodeFrame } from '../../src/decode/wire-format.ts';
import { EVENTS_AVRO_SCHEMA, EVENTS_JSON_SCHEMA, EVENTS_PROTO_SCHEMA, encodeEventAvro, encodeEventProtobuf, eventToJson, sampleEvent } from '../../schemas/events-sample.ts';
import avro from 'avsc';

class FakeLookup implements SchemaLookup {
  calls: number[] = [];
  readonly schemas: Map<number, Omit<ResolvedSchema, 'id'>>;
  constructor(schemas: [number, Omit<ResolvedSchema, 'id'>][]) {
    this.schemas = new Map(schemas);
  }
  async resolve(id: number): Promise<ResolvedSchema> {
    this.calls.push(id);
    const s = this.schemas.get(id);
    if (!s) throw new DecodeError('unknown-schema', `schema id ${id} is not in the registry`, { schemaId: id });
    return { id, ...s };
  }
}

const NESTED_PROTO = 'syntax = "proto3"; package n; message A { int32 a = 1; } message B { message C { string c = 1; } int64 b = 1; }';

function lookup(): FakeLookup {
  return new FakeLookup([
    [1, { schema: EVENTS_AVRO_SCHEMA, schemaType: 'AVRO', references: [], dependencies: [] }],
    [2, { schema: EVENTS_PROTO_SCHEMA, schemaType: 'PROTOBUF', references: [], dependencies: [] }],
    [3, { schema: EVENTS_JSON_SCHEMA, schemaType: 'JSON', references: [], dependencies: [] }],
    [4, { schema: NESTED_PROTO, schemaType: 'PROTOBUF', references: [], dependencies: [] }],
    [5, { schema: '"string"', schemaType: 'AVRO', references: [], dependencies: [] }],
    [
      6,
      {
        schema: '{"type":"record","name":"O","fields":[{"name":"m","type":"com.x.Money"}]}',
        schemaType: 'AVRO',
        references: [{ name: 'com.x.Money', subject: 'money', version: 1 }],
        dependencies: [
          { name: 'com.x.Money', subject: 'money', version: 1, schemaType: 'AVRO', schema: '{"type":"record","name":"Money","namespace":"com.x","fields":[{"name":"units","type":"long"}]}' },
        ],
      },
    ],
    [7, { schema: '{"type":"record","name":"R","fields":[{"name":"n","type":"null"}]}', schemaType: 'AVRO', references: [], dependencies: [] }],
    [8, { schema: '{"type":"array","items":{"type":"integer"}}', schemaType: 'JSON', references: [], dependencies: [] }],
  ]);
}

async function reasonOf(p: () => unknown): Promise<string> {
  try {
    await p();
  } catch (e) {
    assert.ok(e instanceof DecodeError, `expected DecodeError, got ${e}`);
    return e.reason;
  }
  assert.fail('expected a DecodeError');
}

test('Avro, Protobuf and JSON Schema frames decode; the first record of an id is async, the rest sync', async () => {
  const reg = lookup();
  const dec = new ConfluentDecoder(reg);
  const e = sampleEvent(7);
  const frames: [number, Uint8Array][] = [
    [1, encodeFrame(1, encodeEventAvro(e))],
    [2, encodeFrame(2, encodeEventProtobuf(e), [0])],
  ];
  for (const [id, frame] of frames) {
    const first = dec.decode(frame);
    assert.ok(first instanceof Promise);
    const r = await first;
    assert.equal(r.schemaId, id);
    assert.deepEqual(r.value, e);
    const again = dec.decode(frame);
    assert.ok(!(again instanceof Promise), 'cached: synchronous');
    assert.equal(again.schema, r.schema, 'the same schema object per id');
  }
  const json = await dec.decode(encodeFrame(3, new TextEncoder().encode(eventToJson(e))));
  assert.deepEqual(json.value, JSON.parse(eventToJson(e)));
  assert.equal(json.schema.fields.find((f) => f.name === 'ts')?.type, 'timestamptz');
  assert.deepEqual(reg.calls, [1, 2, 3]);
});

test('concurrent first records of one id share one registry lookup', async () => {
  const reg = lookup();
  const dec = new ConfluentDecoder(reg);
  const frame = encodeFrame(1, encodeEventAvro(sampleEvent(1)));
  const results = await Promise.all([dec.decode(frame), dec.decode(frame), dec.decode(frame)]);
  assert.equal(results.length, 3);
  assert.deepEqual(reg.calls, [1]);
});

test('Protobuf message indexes select the message and its Iceberg schema', async () => {
  const dec = new ConfluentDecoder(lookup());
  const root = (await import('protobufjs')).default.parse(NESTED_PROTO, { keepCase: true }).root;
  const B = root.lookupType('n.B');
  const C = root.lookupType('n.B.C');
  const rb = await dec.decode(encodeFrame(4, B.encode(B.fromObject({ b: 5 })).finish(), [1]));
  assert.deepEqual(rb.value, { b: 5 });
  assert.deepEqual(
    rb.schema.fields.map((f) => f.name),
    ['b'],
  );
  const rc = await dec.decode(encodeFrame(4, C.encode(C.fromObject({ c: 'x' })).finish(), [1, 0]));
  assert.deepEqual(rc.value, { c: 'x' });
  assert.deepEqual(
    rc.schema.fields.map((f) => [f.name, f.type]),
    [['c', 'string']],
  );
  assert.equal(await reasonOf(() => dec.decode(encodeFrame(4, Uint8Array.of(), [3]))), 'unsupported-schema');
});

test('non-record Avro and JSON Schema values are wrapped in the "value" column; references resolve', async () => {
  const dec = new ConfluentDecoder(lookup());
  const r = await dec.decode(encodeFrame(5, avro.Type.forSchema('string').toBuffer('hi')));
  assert.deepEqual(r.value, { value: 'hi' });
  assert.deepEqual(r.schema.fields, [{ id: 1, name: 'value', required: true, type: 'string' }]);
  const writer = avro.Type.forSchema({ type: 'record', name: 'O', fields: [{ name: 'm', type: { type: 'record', name: 'Money', fields: [{ name: 'units', type: 'long' }] } }] });
  const r8 = await dec.decode(encodeFrame(8, new TextEncoder().encode('[1, 9007199254740993]')));
  assert.deepEqual(r8.value, { value: [1, 9007199254740993n] });
  assert.deepEqual(
    r8.schema.fields.map((f) => [f.name, f.required]),
    [['value', true]],
  );
  const r6 = await dec.decode(encodeFrame(6, writer.toBuffer({ m: { units: 12 } })));
  assert.deepEqual(r6.value, { m: { units: 12 } });
});

test('error reasons: bad magic, truncated, unknown schema id, invalid payload, unusable schema (with schema id)', async () => {
  const dec = new ConfluentDecoder(lookup());
  const good = encodeFrame(1, encodeEventAvro(sampleEvent(2)));
  assert.equal(await reasonOf(() => dec.decode(Uint8Array.of(1, 0, 0, 0, 1, 0))), 'bad-magic');
  assert.equal(await reasonOf(() => dec.decode(Uint8Array.of(0, 0, 1))), 'truncated');
  assert.equal(await reasonOf(() => dec.decode(encodeFrame(99, Uint8Array.of(0)))), 'unknown-schema');
  await dec.decode(good);
  assert.equal(await reasonOf(() => dec.decode(good.subarray(0, good.length - 5))), 'truncated');
  assert.equal(await reasonOf(() => dec.decode(encodeFrame(1, Uint8Array.of(0x01)))), 'invalid-payload');
  assert.equal(await reasonOf(() => dec.decode(encodeFrame(3, new TextEncoder().encode('{"id": 1}')))), 'schema-validation');
  assert.equal(await reasonOf(() => dec.decode(encodeFrame(3, new TextEncoder().encode('{nope')))), 'invalid-payload');
  assert.equal(await reasonOf(() => dec.decode(encodeFrame(2, Uint8Array.of()))), 'truncated'); // no message indexes
  assert.equal(await reasonOf(() => dec.decode(encodeFrame(7, Uint8Array.of()))), 'unsupported-schema');
  try {
    await dec.decode(encodeFrame(1, Uint8Array.of(0x01)));
  } catch (e) {
    assert.equal((e as DecodeError).schemaId, 1);
  }
});

test('failed ids are remembered: unusable schemas for good, unknown ids for a while', async () => {
  const reg = lookup();
  const dec = new ConfluentDecoder(reg, { unknownIdRetryMs: 50 });
  for (let i = 0; i < 3; i++) {
    assert.equal(await reasonOf(() => dec.decode(encodeFrame(7, Uint8Array.of()))), 'unsupported-schema');
    assert.equal(await reasonOf(() => dec.decode(encodeFrame(99, Uint8Array.of()))), 'unknown-schema');
  }
  assert.deepEqual(reg.calls, [7, 99]);
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(await reasonOf(() => dec.decode(encodeFrame(99, Uint8Array.of()))), 'unknown-schema');
  assert.deepEqual(reg.calls, [7, 99, 99]);
});

test('plain JSON values: objects as they are, other values in the "value" column', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  assert.deepEqual(decodePlainJson(enc('{"a": 18446744073709551615}')), { a: 18446744073709551615n });
  assert.deepEqual(decodePlainJson(enc('[1]')), { value: [1] });
  assert.deepEqual(decodePlainJson(enc('"s"')), { value: 's' });
});
