import { test } from 'node:test';
import assert from 'node:assert/strict';
import { icebergSchemaFromProtobuf } from '../../src/schema/from-protobuf.ts';
import { SchemaConversionError } from '../../src/schema/errors.ts';
import { parseProtobufSchema } from '../../src/decode/protobuf-schema.ts';
import { EVENTS_PROTO_SCHEMA } from '../../schemas/events-sample.ts';

const fieldsOf = (proto: string, path = [0]) => icebergSchemaFromProtobuf(parseProtobufSchema(proto).messageAt(path)).fields;

test('events.proto → the same columns as events.avsc (amount as string, ts via Timestamp)', () => {
  const f = fieldsOf(EVENTS_PROTO_SCHEMA);
  assert.deepEqual(
    f.map((x) => [x.id, x.name, x.type, x.required]),
    [
      [1, 'id', 'string', true],
      [2, 'ts', 'timestamptz', false],
      [3, 'user_id', 'long', true],
      [4, 'session_id', 'string', true],
      [5, 'event_type', 'string', true],
      [6, 'page_url', 'string', true],
      [7, 'referrer', 'string', false],
      [8, 'user_agent', 'string', true],
      [9, 'country', 'string', true],
      [10, 'city', 'string', false],
      [11, 'amount', 'string', false],
      [12, 'score', 'double', true],
      [13, 'is_mobile', 'boolean', true],
      [14, 'event_date', 'int', true],
      [15, 'tags', { type: 'list', 'element-id': 17, element: 'string', 'element-required': true }, true],
      [16, 'properties', { type: 'map', 'key-id': 18, key: 'string', 'value-id': 19, value: 'string', 'value-required': true }, true],
    ],
  );
});

test('scalars, enums, nested messages, maps, oneofs, wrappers', () => {
  const proto = `
    syntax = "proto3";
    import "google/protobuf/wrappers.proto";
    import "google/protobuf/timestamp.proto";
    message M {
      enum K { A = 0; }
      message In { int32 x = 1; }
      double d = 1; float f = 2; int32 i32 = 3; sint32 s32 = 4; sfixed32 sf32 = 5; uint32 u32 = 6; fixed32 f32 = 7;
      int64 i64 = 8; uint64 u64 = 9; sint64 s64 = 10; fixed64 f64 = 11; sfixed64 sf64 = 12; bool b = 13;
      string s = 14; bytes by = 15; K k = 16; In in = 17; repeated In ins = 18; map<int64, In> m = 19;
      optional string o = 20; oneof c { int32 c1 = 21; string c2 = 22; }
      google.protobuf.Int64Value w = 23; google.protobuf.BoolValue wb = 24; repeated google.protobuf.Timestamp ts = 25;
    }`;
  const f = fieldsOf(proto);
  assert.deepEqual(
    f.map((x) => [x.name, typeof x.type === 'string' ? x.type : x.type.type, x.required]),
    [
      ['d', 'double', true],
      ['f', 'float', true],
      ['i32', 'int', true],
      ['s32', 'int', true],
      ['sf32', 'int', true],
      ['u32', 'long', true],
      ['f32', 'long', true],
      ['i64', 'long', true],
      ['u64', 'long', true],
      ['s64', 'long', true],
      ['f64', 'long', true],
      ['sf64', 'long', true],
      ['b', 'boolean', true],
      ['s', 'string', true],
      ['by', 'binary', true],
      ['k', 'string', true],
      ['in', 'struct', false],
      ['ins', 'list', true],
      ['m', 'map', true],
      ['o', 'string', false],
      ['c1', 'int', false],
      ['c2', 'string', false],
      ['w', 'long', false],
      ['wb', 'boolean', false],
      ['ts', 'list', true],
    ],
  );
  const byName = new Map(f.map((x) => [x.name, x]));
  assert.deepEqual(byName.get('in')!.type, { type: 'struct', fields: [{ id: 26, name: 'x', required: true, type: 'int' }] });
  assert.deepEqual(byName.get('m')!.type, {
    type: 'map',
    'key-id': 29,
    key: 'long',
    'value-id': 30,
    value: { type: 'struct', fields: [{ id: 31, name: 'x', required: true, type: 'int' }] },
    'value-required': true,
  });
  assert.deepEqual(byName.get('ts')!.type, { type: 'list', 'element-id': 32, element: 'timestamptz', 'element-required': true });
});

test('proto2: required and optional', () => {
  const f = fieldsOf('syntax = "proto2"; message P { required int64 a = 1; optional string b = 2; repeated int32 c = 3; }');
  assert.deepEqual(
    f.map((x) => [x.name, x.required]),
    [
      ['a', true],
      ['b', false],
      ['c', true],
    ],
  );
});

test('nested message picked by index path', () => {
  const f = fieldsOf('syntax = "proto3"; message A { message B { string z = 1; } int32 y = 1; }', [0, 0]);
  assert.deepEqual(f, [{ id: 1, name: 'z', required: true, type: 'string' }]);
});

test('recursive messages and google.protobuf.Struct are errors', () => {
  assert.throws(
    () => fieldsOf('syntax = "proto3"; message T { T child = 1; }'),
    (e) => e instanceof SchemaConversionError && /recursive/.test(e.message),
  );
  assert.throws(() => fieldsOf('syntax = "proto3"; import "google/protobuf/struct.proto"; message S { google.protobuf.Struct s = 1; }'), SchemaConversionError);
});
