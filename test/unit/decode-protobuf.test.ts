import { test } from 'node:test';
import assert from 'node:assert/strict';
import protobuf from 'protobufjs';
import { parseProtobufSchema } from '../../src/decode/protobuf-schema.ts';
import { compileProtobufDecoder } from '../../src/decode/protobuf-decoder.ts';
import { DecodeError } from '../../src/decode/decode-error.ts';
import { EVENTS_PROTO_SCHEMA, encodeEventProtobuf, sampleEvent } from '../../schemas/events-sample.ts';

function reasonOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof DecodeError, `expected DecodeError, got ${e}`);
    return e.reason;
  }
  assert.fail('expected a DecodeError');
}

const ALL = `
syntax = "proto3";
package t;
import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";

message First { int32 a = 1; }

message All {
  enum Kind { K_ZERO = 0; K_ONE = 1; }
  message Inner { string s = 1; repeated int32 xs = 2; }
  double d = 1;
  float f = 2;
  int32 i32 = 3;
  int64 i64 = 4;
  uint32 u32 = 5;
  uint64 u64 = 6;
  sint32 s32 = 7;
  sint64 s64 = 8;
  fixed32 f32 = 9;
  fixed64 f64 = 10;
  sfixed32 sf32 = 11;
  sfixed64 sf64 = 12;
  bool b = 13;
  string s = 14;
  bytes by = 15;
  Kind kind = 16;
  Inner inner = 17;
  repeated Inner inners = 18;
  map<string, int64> smap = 19;
  map<int64, string> lmap = 20;
  map<bool, Inner> bmap = 21;
  optional int32 opt = 22;
  oneof choice { string c_str = 23; int64 c_num = 24; }
  google.protobuf.Timestamp ts = 25;
  google.protobuf.Int64Value w64 = 26;
  google.protobuf.StringValue wstr = 27;
  repeated int64 packed = 28;
  repeated google.protobuf.Timestamp tss = 29;
  message Deep { message Deeper { int32 z = 1; } }
}
`;

function setup() {
  const schema = parseProtobufSchema(ALL);
  const root = new protobuf.Root();
  for (const f of ['google/protobuf/timestamp.proto', 'google/protobuf/wrappers.proto']) {
    root.addJSON((protobuf.common.get(f) as { nested: Record<string, protobuf.AnyNestedObject> }).nested);
  }
  protobuf.parse(ALL, root, { keepCase: true });
  root.resolveAll();
  return { schema, writer: root.lookupType('t.All') };
}

test('events: 200 records written by protobufjs decode to the sample values', () => {
  const decode = compileProtobufDecoder(parseProtobufSchema(EVENTS_PROTO_SCHEMA).messageAt([0]));
  for (let i = 0; i < 200; i++) {
    const e = sampleEvent(i);
    assert.deepEqual(decode(encodeEventProtobuf(e)), e, `record ${i}`);
  }
});

test('message indexes pick top-level and nested messages in declaration order', () => {
  const { schema } = setup();
  assert.deepEqual(
    schema.messages.map((m) => m.name),
    ['First', 'All'],
  );
  assert.equal(schema.messageAt([0]).name, 'First');
  assert.equal(schema.messageAt([1]).name, 'All');
  assert.equal(schema.messageAt([1, 0]).name, 'Inner');
  assert.equal(schema.messageAt([1, 1]).name, 'Deep'); // the enum Kind does not count
  assert.equal(schema.messageAt([1, 1, 0]).name, 'Deeper');
  assert.equal(
    reasonOf(() => schema.messageAt([2])),
    'unsupported-schema',
  );
  assert.equal(
    reasonOf(() => schema.messageAt([0, 0])),
    'unsupported-schema',
  );
});

test('every scalar, enum, nested, map, oneof, optional, Timestamp and wrapper', () => {
  const { schema, writer } = setup();
  const decode = compileProtobufDecoder(schema.messageAt([1]));
  const msg = writer.fromObject({
    d: 1.25,
    f: 0.5,
    i32: -7,
    i64: '-9007199254740993',
    u32: 4294967295,
    u64: '18446744073709551',
    s32: -2147483648,
    s64: '9223372036854775807',
    f32: 4000000000,
    f64: '123',
    sf32: -1,
    sf64: '-9223372036854775808',
    b: true,
    s: 'ß',
    by: Uint8Array.of(1, 2),
    kind: 'K_ONE',
    inner: { s: 'in', xs: [1, 2] },
    inners: [{ s: 'a' }, { xs: [3] }],
    smap: { k: '5' },
    lmap: { '-3': 'neg', '9007199254740993': 'big' },
    bmap: { true: { s: 't' } },
    opt: 0,
    c_num: '42',
    ts: { seconds: '1700000000', nanos: 123456789 },
    w64: { value: '77' },
    wstr: { value: '' },
    packed: ['1', '-1', '9007199254740992'],
    tss: [{ seconds: '-1', nanos: 999999000 }],
  });
  const out = decode(writer.encode(msg).finish());
  assert.deepEqual(out, {
    d: 1.25,
    f: 0.5,
    i32: -7,
    i64: -9007199254740993n,
    u32: 4294967295,
    u64: 18446744073709551n,
    s32: -2147483648,
    s64: 9223372036854775807n,
    f32: 4000000000,
    f64: 123,
    sf32: -1,
    sf64: -9223372036854775808n,
    b: true,
    s: 'ß',
    by: Uint8Array.of(1, 2),
    kind: 'K_ONE',
    inner: { s: 'in', xs: [1, 2] },
    inners: [
      { s: 'a', xs: [] },
      { s: '', xs: [3] },
    ],
    smap: new Map([['k', 5]]),
    lmap: new Map<number | bigint, string>([
      [-3, 'neg'],
      [9007199254740993n, 'big'],
    ]),
    bmap: new Map([[true, { s: 't', xs: [] }]]),
    opt: 0,
    c_str: null,
    c_num: 42,
    ts: 1_700_000_000_123_456n,
    w64: 77,
    wstr: '',
    packed: [1, -1, 9007199254740992n],
    tss: [-1n],
  });
  assert.ok(!(out.by instanceof Buffer), 'bytes are a plain Uint8Array copy');
});

test('absent fields: presence fields are null, implicit proto3 scalars are their defaults', () => {
  const { schema, writer } = setup();
  const decode = compileProtobufDecoder(schema.messageAt([1]));
  const out = decode(writer.encode(writer.create({})).finish());
  assert.deepEqual(out, {
    d: 0,
    f: 0,
    i32: 0,
    i64: 0,
    u32: 0,
    u64: 0,
    s32: 0,
    s64: 0,
    f32: 0,
    f64: 0,
    sf32: 0,
    sf64: 0,
    b: false,
    s: '',
    by: new Uint8Array(0),
    kind: 'K_ZERO',
    inner: null,
    inners: [],
    smap: new Map(),
    lmap: new Map(),
    bmap: new Map(),
    opt: null,
    c_str: null,
    c_num: null,
    ts: null,
    w64: null,
    wstr: null,
    packed: [],
    tss: [],
  });
});

test('unknown enum numbers come out as their number in a string', () => {
  const { schema } = setup();
  const decode = compileProtobufDecoder(schema.messageAt([1]));
  // field 16 (kind), varint 7: tag = 16 << 3 | 0 = 128 → 0x80 0x01
  assert.equal(decode(Uint8Array.of(0x80, 0x01, 7)).kind, '7');
});

test('uint64 above the largest long is an invalid payload', () => {
  const { schema, writer } = setup();
  const decode = compileProtobufDecoder(schema.messageAt([1]));
  const bytes = writer.encode(writer.fromObject({ u64: '18446744073709551615' })).finish();
  assert.equal(
    reasonOf(() => decode(bytes)),
    'invalid-payload',
  );
});

test('references: a message importing another file', () => {
  const money = 'syntax = "proto3"; package shop.common; message Money { string currency = 1; int64 units = 2; }';
  const order = 'syntax = "proto3"; package shop; import "shop/common/money.proto"; message Order { string id = 1; shop.common.Money total = 2; }';
  const schema = parseProtobufSchema(order, [{ name: 'shop/common/money.proto', schema: money }]);
  assert.deepEqual(
    schema.messages.map((m) => m.fullName),
    ['.shop.Order'],
  );
  const root = new protobuf.Root();
  protobuf.parse(money, root, { keepCase: true });
  protobuf.parse(order, root, { keepCase: true });
  const w = root.lookupType('shop.Order');
  const out = compileProtobufDecoder(schema.messageAt([0]))(w.encode(w.fromObject({ id: 'o1', total: { currency: 'EUR', units: 5 } })).finish());
  assert.deepEqual(out, { id: 'o1', total: { currency: 'EUR', units: 5 } });
  assert.equal(
    reasonOf(() => parseProtobufSchema(order)),
    'unsupported-schema',
  ); // import not given
  assert.equal(
    reasonOf(() => parseProtobufSchema('syntax = "proto3"; message {')),
    'unsupported-schema',
  );
});

test('bad payloads: truncated and malformed', () => {
  const decode = compileProtobufDecoder(parseProtobufSchema(EVENTS_PROTO_SCHEMA).messageAt([0]));
  const good = encodeEventProtobuf(sampleEvent(2));
  assert.equal(
    reasonOf(() => decode(good.subarray(0, good.length - 3))),
    'truncated',
  );
  // wire type 7 does not exist
  assert.equal(
    reasonOf(() => decode(Uint8Array.of(0x0f, 0x00))),
    'invalid-payload',
  );
});

test('a string field with invalid UTF-8 is an invalid payload, not a value with U+FFFD (protobufjs decodes strings strictly)', () => {
  const { schema, writer } = setup();
  const decode = compileProtobufDecoder(schema.messageAt([1]));
  const good = writer.encode(writer.fromObject({ s: 'héllo ☃' })).finish();
  assert.equal(decode(good).s, 'héllo ☃');
  // the same message with the string's bytes broken: "h" then 0xC3 0x28 (a lead byte without its continuation)
  const bad = Uint8Array.from(good);
  const at = Buffer.from(bad).indexOf(Buffer.from('héllo ☃'));
  assert.ok(at > 0);
  bad[at + 1] = 0xc3;
  bad[at + 2] = 0x28;
  assert.throws(
    () => decode(bad),
    (e: unknown) => e instanceof DecodeError && e.reason === 'invalid-payload' && /utf-8/i.test(e.message),
  );
  // and at an offset (after a Confluent frame's header)
  const framed = Uint8Array.from([0, 0, 0, 0, 0, 0, ...bad]);
  assert.throws(() => decode(framed, 6), /utf-8/i);
  assert.equal(decode(Uint8Array.from([9, 9, ...good]), 2).s, 'héllo ☃');
});
