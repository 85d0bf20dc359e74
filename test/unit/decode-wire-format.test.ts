import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DecodeError, encodeFrame, encodeMessageIndexes, parseFrame, parseProtobufFrame, readMessageIndexes } from '../../src/decode/wire-format.ts';

function reasonOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof DecodeError, `expected DecodeError, got ${e}`);
    return e.reason;
  }
  assert.fail('expected a DecodeError');
}

test('header: magic byte 0, big-endian schema id, payload is the rest', () => {
  const bytes = Uint8Array.of(0, 0x00, 0x01, 0x02, 0x03, 0xaa, 0xbb);
  const f = parseFrame(bytes);
  assert.equal(f.schemaId, 0x010203);
  assert.deepEqual([...f.payload], [0xaa, 0xbb]);
  assert.equal(f.messageIndexes, undefined);
  // a frame with an empty payload is valid (e.g. an Avro record with no fields)
  assert.equal(parseFrame(Uint8Array.of(0, 0, 0, 0, 7)).payload.length, 0);
});

test('schema id uses all four bytes', () => {
  assert.equal(parseFrame(Uint8Array.of(0, 0x7f, 0xff, 0xff, 0xff)).schemaId, 2147483647);
  assert.equal(parseFrame(Uint8Array.of(0, 0x12, 0x34, 0x56, 0x78)).schemaId, 0x12345678);
});

test('errors: bad magic, truncated header, empty value', () => {
  assert.equal(
    reasonOf(() => parseFrame(Uint8Array.of(1, 0, 0, 0, 1, 2))),
    'bad-magic',
  );
  assert.equal(
    reasonOf(() => parseFrame(new TextEncoder().encode('{"a":1}'))),
    'bad-magic',
  );
  assert.equal(
    reasonOf(() => parseFrame(Uint8Array.of(0, 0, 0))),
    'truncated',
  );
  assert.equal(
    reasonOf(() => parseFrame(new Uint8Array(0))),
    'truncated',
  );
  const e = (() => {
    try {
      parseFrame(Uint8Array.of(0x7b));
    } catch (x) {
      return x as Error;
    }
  })();
  assert.match(String(e?.message), /0x7b/);
});

test('protobuf message indexes: single 0 byte means [0]', () => {
  const f = parseProtobufFrame(Uint8Array.of(0, 0, 0, 0, 5, 0, 0x08, 0x01));
  assert.equal(f.schemaId, 5);
  assert.deepEqual(f.messageIndexes, [0]);
  assert.deepEqual([...f.payload], [0x08, 0x01]);
});

test('protobuf message indexes: zig-zag count then zig-zag indexes (as the Java serializer writes)', () => {
  // [1]: count 1 → zigzag 2; index 1 → zigzag 2
  assert.deepEqual(readMessageIndexes(Uint8Array.of(2, 2), 0), { indexes: [1], offset: 2 });
  // [2, 0, 3]: count 3 → 6; 2 → 4; 0 → 0; 3 → 6
  assert.deepEqual(readMessageIndexes(Uint8Array.of(6, 4, 0, 6, 0x99), 0), { indexes: [2, 0, 3], offset: 4 });
  // [70]: 70 → zigzag 140 = 0x8c 0x01 as a varint
  assert.deepEqual(readMessageIndexes(Uint8Array.of(2, 0x8c, 0x01), 0), { indexes: [70], offset: 3 });
  // the encoder writes the same bytes
  assert.deepEqual([...encodeMessageIndexes([0])], [0]);
  assert.deepEqual([...encodeMessageIndexes([2, 0, 3])], [6, 4, 0, 6]);
  assert.deepEqual([...encodeMessageIndexes([70])], [2, 0x8c, 0x01]);
  // [0, 0] is not the short form
  assert.deepEqual([...encodeMessageIndexes([0, 0])], [4, 0, 0]);
  assert.deepEqual(readMessageIndexes(Uint8Array.of(4, 0, 0), 0).indexes, [0, 0]);
});

test('protobuf message indexes: truncated, negative, absurd counts', () => {
  assert.equal(
    reasonOf(() => parseProtobufFrame(Uint8Array.of(0, 0, 0, 0, 1))),
    'truncated',
  );
  assert.equal(
    reasonOf(() => readMessageIndexes(Uint8Array.of(6, 4), 0)),
    'truncated',
  );
  assert.equal(
    reasonOf(() => readMessageIndexes(Uint8Array.of(0x80), 0)),
    'truncated',
  );
  assert.equal(
    reasonOf(() => readMessageIndexes(Uint8Array.of(1), 0)),
    'invalid-payload',
  ); // count -1
  assert.equal(
    reasonOf(() => readMessageIndexes(Uint8Array.of(2, 1), 0)),
    'invalid-payload',
  ); // index -1
  assert.equal(
    reasonOf(() => readMessageIndexes(Uint8Array.of(0xfe, 0x7f), 0)),
    'invalid-payload',
  ); // count 8191
  assert.equal(
    reasonOf(() => readMessageIndexes(Uint8Array.of(2, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), 0)),
    'invalid-payload',
  );
});

test('encodeFrame round-trips through parseFrame / parseProtobufFrame', () => {
  const payload = Uint8Array.of(1, 2, 3);
  const plain = encodeFrame(42, payload);
  assert.deepEqual([...plain], [0, 0, 0, 0, 42, 1, 2, 3]);
  const pb = parseProtobufFrame(encodeFrame(300, payload, [1, 4]));
  assert.equal(pb.schemaId, 300);
  assert.deepEqual(pb.messageIndexes, [1, 4]);
  assert.deepEqual([...pb.payload], [1, 2, 3]);
});
