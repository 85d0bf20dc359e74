import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import avro from 'avsc';
import { parseAvroSchema } from '../../src/decode/avro-schema.ts';
import { compileAvroDecoder } from '../../src/decode/avro-decoder.ts';
import { DecodeError } from '../../src/decode/decode-error.ts';
import { EVENTS_AVRO_SCHEMA, decimalToBytes, encodeEventAvro, sampleEvent } from '../../schemas/events-sample.ts';

// avsc with exact 64-bit longs (its default long type is a lossy JS number)
const BigLong = avro.types.LongType.__with({
  fromBuffer: (b: Buffer) => b.readBigInt64LE(),
  toBuffer: (n: bigint) => {
    const b = Buffer.alloc(8);
    b.writeBigInt64LE(BigInt(n));
    return b;
  },
  fromJSON: (x: unknown) => BigInt(x as string),
  toJSON: (n: bigint) => Number(n),
  isValid: (n: unknown) => typeof n === 'bigint',
  compare: (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0),
});

// logical longs written as plain "long" so that the exact BigLong type is used for them too
function plainLongs(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(plainLongs);
  if (s === null || typeof s !== 'object') return s;
  const o = s as Record<string, unknown>;
  if (o.type === 'long' && 'logicalType' in o) return 'long';
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, plainLongs(v)]));
}

function avscType(schema: unknown, wrapUnions = false): avro.Type {
  return avro.Type.forSchema(plainLongs(schema) as avro.Schema, { registry: { long: BigLong }, wrapUnions } as never);
}

function decoderFor(schema: unknown) {
  return compileAvroDecoder(parseAvroSchema(JSON.stringify(schema)));
}

function reasonOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof DecodeError, `expected DecodeError, got ${e}`);
    return e.reason;
  }
  assert.fail('expected a DecodeError');
}

test('events: 200 records written by avsc decode to exactly the sample values', () => {
  const decode = compileAvroDecoder(parseAvroSchema(EVENTS_AVRO_SCHEMA));
  for (let i = 0; i < 200; i++) {
    const e = sampleEvent(i);
    assert.deepEqual(decode(encodeEventAvro(e)), e, `record ${i}`);
  }
});

test('primitives and logical types come out in the batch representation', () => {
  const schema = {
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
      { name: 'tmillis', type: { type: 'int', logicalType: 'time-millis' } },
      { name: 'tmicros', type: { type: 'long', logicalType: 'time-micros' } },
      { name: 'tsmillis', type: { type: 'long', logicalType: 'timestamp-millis' } },
      { name: 'tsmicros', type: { type: 'long', logicalType: 'timestamp-micros' } },
      { name: 'ltsmillis', type: { type: 'long', logicalType: 'local-timestamp-millis' } },
      { name: 'ltsmicros', type: { type: 'long', logicalType: 'local-timestamp-micros' } },
      { name: 'tsnanos', type: { type: 'long', logicalType: 'timestamp-nanos' } },
      { name: 'dec', type: { type: 'bytes', logicalType: 'decimal', precision: 9, scale: 2 } },
      { name: 'decbig', type: { type: 'bytes', logicalType: 'decimal', precision: 38, scale: 10 } },
      { name: 'decfixed', type: { type: 'fixed', name: 'D8', size: 8, logicalType: 'decimal', precision: 18, scale: 3 } },
      { name: 'u', type: { type: 'string', logicalType: 'uuid' } },
      { name: 'ufixed', type: { type: 'fixed', name: 'U16', size: 16, logicalType: 'uuid' } },
      { name: 'e', type: { type: 'enum', name: 'Color', symbols: ['RED', 'GREEN', 'BLUE'] } },
      { name: 'unicode', type: 'string' },
      { name: 'longstr', type: 'string' },
    ],
  };
  const fixedDec = Buffer.alloc(8);
  fixedDec.writeBigInt64BE(-1234567n);
  const uuidBytes = Buffer.from('0123456789abcdef0123456789abcdef', 'hex');
  const input = {
    b: true,
    i: -2147483648,
    l: 9007199254740993n,
    f: 1.5,
    d: -0.1,
    by: Buffer.from([0, 255, 7]),
    s: 'héllo',
    fx: Buffer.from([1, 2, 3]),
    date: -1,
    tmillis: 45_296_789,
    tmicros: 45_296_789_012n,
    tsmillis: 1_700_000_000_123n,
    tsmicros: -1n,
    ltsmillis: 86_400_000n,
    ltsmicros: 1_700_000_000_123_456n,
    tsnanos: 1_700_000_000_123_456_789n,
    dec: decimalToBytes('-12.30', 2),
    decbig: decimalToBytes('-1234567890123456789012345678.0123456789', 10),
    decfixed: fixedDec,
    u: 'F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6',
    ufixed: uuidBytes,
    e: 'BLUE',
    unicode: '日本語 ✓',
    longstr: 'x'.repeat(100) + 'ü',
  };
  const bytes = avscType(schema).toBuffer(input);
  const out = decoderFor(schema)(bytes) as Record<string, unknown>;
  assert.deepEqual(out, {
    b: true,
    i: -2147483648,
    l: 9007199254740993n,
    f: 1.5,
    d: -0.1,
    by: new Uint8Array([0, 255, 7]),
    s: 'héllo',
    fx: new Uint8Array([1, 2, 3]),
    date: -1,
    tmillis: 45_296_789_000n,
    tmicros: 45_296_789_012n,
    tsmillis: 1_700_000_000_123_000n,
    tsmicros: -1n,
    ltsmillis: 86_400_000_000n,
    ltsmicros: 1_700_000_000_123_456n,
    tsnanos: 1_700_000_000_123_456_789n,
    dec: '-12.30',
    decbig: '-1234567890123456789012345678.0123456789',
    decfixed: '-1234.567',
    u: 'f81d4fae-7dec-11d0-a765-00a0c91e6bf6',
    ufixed: '01234567-89ab-cdef-0123-456789abcdef',
    e: 'BLUE',
    unicode: '日本語 ✓',
    longstr: 'x'.repeat(100) + 'ü',
  });
  assert.ok(!(out.by instanceof Buffer), 'bytes are a plain Uint8Array copy');
  // the copy does not alias the input
  bytes.fill(0);
  assert.deepEqual(out.fx, new Uint8Array([1, 2, 3]));
});

test('longs: safe values are numbers, others bigint, at every varint length', () => {
  const schema = { type: 'record', name: 'L', fields: [{ name: 'v', type: 'long' }] };
  const t = avscType(schema);
  const decode = decoderFor(schema);
  const values = [
    0n,
    1n,
    -1n,
    63n,
    -64n,
    64n,
    2n ** 31n,
    -(2n ** 31n) - 1n,
    2n ** 48n - 1n,
    -(2n ** 48n),
    2n ** 48n,
    2n ** 53n - 1n,
    -(2n ** 53n) + 1n,
    2n ** 53n,
    2n ** 53n + 1n,
    -(2n ** 53n) - 1n,
    2n ** 62n,
    2n ** 63n - 1n,
    -(2n ** 63n),
  ];
  for (const v of values) {
    const out = (decode(t.toBuffer({ v })) as { v: number | bigint }).v;
    if (v >= -(2n ** 53n) + 1n && v <= 2n ** 53n - 1n) assert.equal(out, Number(v), `value ${v}`);
    else assert.equal(out, v, `value ${v}`);
  }
});

test('ints at every varint length', () => {
  const schema = { type: 'record', name: 'I', fields: [{ name: 'v', type: 'int' }] };
  const t = avscType(schema);
  const decode = decoderFor(schema);
  for (const v of [0, -1, 1, 63, -64, 64, 8191, -8192, 1 << 20, -(1 << 27), 1 << 27, 2147483647, -2147483648]) {
    assert.equal((decode(t.toBuffer({ v })) as { v: number }).v, v);
  }
});

test('unions: [null, T] and [T, null] are nullable values; other unions are {tag, fieldN}', () => {
  const schema = {
    type: 'record',
    name: 'U',
    fields: [
      { name: 'a', type: ['null', 'string'] },
      { name: 'b', type: ['long', 'null'] },
      { name: 'c', type: ['null', 'int', 'string'] },
      { name: 'd', type: ['int', 'string', { type: 'record', name: 'P', fields: [{ name: 'x', type: 'int' }] }] },
    ],
  };
  const t = avscType(schema, true);
  const decode = decoderFor(schema);
  assert.deepEqual(decode(t.toBuffer({ a: null, b: { long: 5n }, c: null, d: { int: 7 } })), {
    a: null,
    b: 5,
    c: null,
    d: { tag: 0, field0: 7, field1: null, field2: null },
  });
  assert.deepEqual(decode(t.toBuffer({ a: { string: 'x' }, b: null, c: { string: 'y' }, d: { P: { x: 3 } } })), {
    a: 'x',
    b: null,
    c: { tag: 1, field0: null, field1: 'y' },
    d: { tag: 2, field0: null, field1: null, field2: { x: 3 } },
  });
});

test('arrays and maps, including multi-block and negative-count blocks', () => {
  const schema = {
    type: 'record',
    name: 'C',
    fields: [
      { name: 'tags', type: { type: 'array', items: 'string' } },
      { name: 'nested', type: { type: 'array', items: { type: 'array', items: ['null', 'long'] } } },
      { name: 'props', type: { type: 'map', values: 'int' } },
    ],
  };
  const t = avscType(schema, true);
  const decode = decoderFor(schema);
  const bytes = t.toBuffer({ tags: ['a', 'bb'], nested: [[{ long: 1n }, null], []], props: { x: 1, __proto__x: 2 } });
  assert.deepEqual(decode(bytes), {
    tags: ['a', 'bb'],
    nested: [[1, null], []],
    props: new Map([
      ['x', 1],
      ['__proto__x', 2],
    ]),
  });
  // hand-written: array<int> as two blocks, the second with a negative count and a byte size
  const arr = decoderFor({ type: 'array', items: 'int' });
  // block 1: count 2 (zz 4), items 1 (2), 2 (4); block 2: count -1 (zz 1), size 1 (zz 2), item 3 (6); end 0
  assert.deepEqual(arr(Uint8Array.of(4, 2, 4, 1, 2, 6, 0)), [1, 2, 3]);
});

test('a field named __proto__ is an own property, not the prototype', () => {
  const schema = {
    type: 'record',
    name: 'P',
    fields: [
      { name: '__proto__', type: 'int' },
      { name: 'ok', type: 'int' },
    ],
  };
  const out = decoderFor(schema)(Uint8Array.of(2, 4)) as Record<string, unknown>;
  assert.ok(Object.prototype.hasOwnProperty.call(out, '__proto__'));
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
  assert.equal(out.ok, 2);
});

test('recursive records decode (a linked list)', () => {
  const schema = {
    type: 'record',
    name: 'Node',
    fields: [
      { name: 'v', type: 'int' },
      { name: 'next', type: ['null', 'Node'] },
    ],
  };
  const t = avscType(schema, true);
  const bytes = t.toBuffer({ v: 1, next: { Node: { v: 2, next: { Node: { v: 3, next: null } } } } });
  assert.deepEqual(decoderFor(schema)(bytes), { v: 1, next: { v: 2, next: { v: 3, next: null } } });
});

test('named types from referenced schemas and namespaces resolve', () => {
  const named = new Map();
  parseAvroSchema(
    JSON.stringify({
      type: 'record',
      name: 'Money',
      namespace: 'com.acme',
      fields: [
        { name: 'units', type: 'long' },
        { name: 'currency', type: { type: 'enum', name: 'Currency', symbols: ['EUR', 'USD'] } },
      ],
    }),
    named,
  );
  const main = parseAvroSchema(
    JSON.stringify({
      type: 'record',
      name: 'Order',
      namespace: 'com.acme',
      fields: [
        { name: 'price', type: 'Money' },
        { name: 'alt', type: 'com.acme.Currency' },
      ],
    }),
    named,
  );
  const writer = avscType({
    type: 'record',
    name: 'Order',
    namespace: 'com.acme',
    fields: [
      {
        name: 'price',
        type: {
          type: 'record',
          name: 'Money',
          fields: [
            { name: 'units', type: 'long' },
            { name: 'currency', type: { type: 'enum', name: 'Currency', symbols: ['EUR', 'USD'] } },
          ],
        },
      },
      { name: 'alt', type: 'Currency' },
    ],
  });
  const out = compileAvroDecoder(main)(writer.toBuffer({ price: { units: 250n, currency: 'USD' }, alt: 'EUR' }));
  assert.deepEqual(out, { price: { units: 250, currency: 'USD' }, alt: 'EUR' });
  assert.throws(() => parseAvroSchema('{"type":"record","name":"X","fields":[{"name":"a","type":"Nope"}]}'), /unknown type name "Nope"/);
});

test('invalid logical types fall back to the underlying type (Avro spec)', () => {
  const t = parseAvroSchema(JSON.stringify({ type: 'bytes', logicalType: 'decimal', precision: 0 }));
  assert.deepEqual(t, { kind: 'bytes' });
  const f = parseAvroSchema(JSON.stringify({ type: 'fixed', name: 'Small', size: 2, logicalType: 'decimal', precision: 9 }));
  assert.equal((f as { decimal?: unknown }).decimal, undefined);
  assert.deepEqual(parseAvroSchema('{"type":"string","logicalType":"unknown-thing"}'), { kind: 'string' });
});

test('bad payloads: truncated, trailing bytes, bad union index, bad enum index, bad uuid, bad boolean', () => {
  const decode = compileAvroDecoder(parseAvroSchema(EVENTS_AVRO_SCHEMA));
  const good = encodeEventAvro(sampleEvent(1));
  for (const cut of [1, 10, 60, good.length - 1])
    assert.equal(
      reasonOf(() => decode(good.subarray(0, cut))),
      'truncated',
      `cut ${cut}`,
    );
  assert.equal(
    reasonOf(() => decode(new Uint8Array(0))),
    'truncated',
  );
  assert.equal(
    reasonOf(() => decode(Buffer.concat([good, Buffer.from([0])]))),
    'invalid-payload',
  );
  const u = decoderFor({ type: 'record', name: 'X', fields: [{ name: 'a', type: ['null', 'int'] }] });
  assert.equal(
    reasonOf(() => u(Uint8Array.of(4, 2))),
    'invalid-payload',
  ); // union index 2
  const en = decoderFor({ type: 'enum', name: 'E', symbols: ['A'] });
  assert.equal(
    reasonOf(() => en(Uint8Array.of(2))),
    'invalid-payload',
  );
  const uu = decoderFor({ type: 'string', logicalType: 'uuid' });
  assert.equal(
    reasonOf(() => uu(Uint8Array.of(6, 0x61, 0x62, 0x63))),
    'invalid-payload',
  );
  const bo = decoderFor({ type: 'boolean' });
  assert.equal(
    reasonOf(() => bo(Uint8Array.of(2))),
    'invalid-payload',
  );
  // a string length that points past the end
  const s = decoderFor({ type: 'string' });
  assert.equal(
    reasonOf(() => s(Uint8Array.of(0x7e, 0x61))),
    'truncated',
  );
  // a varint that never ends
  const l = decoderFor({ type: 'long' });
  assert.equal(
    reasonOf(() => l(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01))),
    'invalid-payload',
  );
  // an array with a huge count and no items
  const a = decoderFor({ type: 'array', items: 'int' });
  assert.equal(
    reasonOf(() => a(Uint8Array.of(0xfe, 0xff, 0xff, 0xff, 0x0f))),
    'invalid-payload',
  );
});
