import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32, zstdCompressSync } from 'node:zlib';
import { AvroReader, AvroWriter, compileDecoder, compileEncoder, decodeValue, encodeValue, fieldsById, parseSchema, type AvroRecordNode, type AvroSchema } from '../../src/iceberg/avro.ts';
import { readAvroFile, readAvroHeader, snappyDecompress, writeAvroFile } from '../../src/iceberg/avro-file.ts';
import { avroToIceberg, sanitizeAvroName, structToAvro } from '../../src/iceberg/avro-iceberg.ts';
import type { StructType } from '../../src/iceberg/types.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const fromHex = (h: string) => new Uint8Array(Buffer.from(h.replace(/\s+/g, ''), 'hex'));

test('int zig-zag varints match the Avro spec table', () => {
  const node = parseSchema('int');
  const cases: [number, string][] = [
    [0, '00'],
    [-1, '01'],
    [1, '02'],
    [-2, '03'],
    [2, '04'],
    [-64, '7f'],
    [64, '8001'],
    [2147483647, 'feffffff0f'],
    [-2147483648, 'ffffffff0f'],
  ];
  for (const [v, h] of cases) {
    assert.equal(hex(encodeValue(node, v)), h, `encode ${v}`);
    assert.equal(decodeValue(node, fromHex(h)), v, `decode ${h}`);
  }
  assert.throws(() => encodeValue(node, 2147483648), /Avro int/);
  assert.throws(() => encodeValue(node, 1.5), /Avro int/);
});

test('long zig-zag varints: exact at every width, decoded as bigint', () => {
  const node = parseSchema('long');
  const max = (1n << 63n) - 1n;
  const min = -(1n << 63n);
  assert.equal(hex(encodeValue(node, max)), 'feffffffffffffffff01');
  assert.equal(hex(encodeValue(node, min)), 'ffffffffffffffffff01');
  assert.equal(hex(encodeValue(node, -1n)), '01');
  assert.equal(hex(encodeValue(node, -65n)), '8101');
  const values: bigint[] = [0n, 1n, -1n, max, min, max - 1n, min + 1n];
  for (let e = 6n; e < 63n; e += 1n) {
    const p = 1n << e;
    values.push(p, p - 1n, p + 1n, -p, -p - 1n, -p + 1n);
  }
  values.push(9007199254740993n, 1234567890123456789n, -987654321098765432n);
  for (const v of values) {
    const bytes = encodeValue(node, v);
    const back = decodeValue(node, bytes);
    assert.equal(typeof back, 'bigint');
    assert.equal(back, v, `round trip ${v}`);
    // a safe-integer number encodes to the same bytes as the bigint
    if (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) {
      assert.equal(hex(encodeValue(node, Number(v))), hex(bytes), `number ${v}`);
    }
  }
  assert.throws(() => encodeValue(node, 2 ** 60), /not a safe integer/);
  assert.throws(() => encodeValue(node, max + 1n), /outside int64/);
  assert.throws(() => encodeValue(node, 'x'), /expected bigint/);
});

test('long varints longer than 10 bytes and truncated data are rejected', () => {
  assert.throws(() => decodeValue(parseSchema('long'), fromHex('ffffffffffffffffffff01')), /longer than 10/);
  assert.throws(() => decodeValue(parseSchema('long'), fromHex('ff')), /truncated/);
  assert.throws(() => decodeValue(parseSchema('string'), fromHex('0a6162')), /truncated/);
  assert.throws(() => decodeValue(parseSchema('int'), fromHex('0203')), /bytes left/);
});

test('strings: empty, ASCII, multi-byte, and long strings whose length needs several varint bytes', () => {
  const node = parseSchema('string');
  assert.equal(hex(encodeValue(node, '')), '00');
  assert.equal(hex(encodeValue(node, 'foo')), '06666f6f'); // the spec's example
  const samples = [
    'é',
    'x'.repeat(63),
    'x'.repeat(64),
    'a'.repeat(40) + 'é', // short but not ASCII: general path, reserved length bytes shrink
    '日本語テキスト'.repeat(10),
    '😀 emoji and \u0000 nul',
    'ü'.repeat(70_000), // 140 000 bytes: 3-byte length
    'z'.repeat(200_000),
  ];
  for (const s of samples) {
    const bytes = encodeValue(node, s);
    const utf8 = new TextEncoder().encode(s);
    const r = new AvroReader(bytes);
    assert.equal(r.readLongNumber(), utf8.length, `length prefix of ${s.slice(0, 10)}`);
    assert.equal(hex(bytes.subarray(r.pos)), hex(utf8));
    assert.equal(decodeValue(node, bytes), s);
  }
});

test('float and double are IEEE little-endian; NaN and -0 survive', () => {
  const f = parseSchema('float');
  const d = parseSchema('double');
  assert.equal(hex(encodeValue(f, 1)), '0000803f');
  assert.equal(hex(encodeValue(d, 1)), '000000000000f03f');
  assert.equal(decodeValue(f, encodeValue(f, 0.5)), 0.5);
  assert.ok(Object.is(decodeValue(d, encodeValue(d, -0)), -0));
  assert.ok(Number.isNaN(decodeValue(d, encodeValue(d, NaN))));
  assert.equal(decodeValue(d, encodeValue(d, Math.PI)), Math.PI);
  assert.equal(decodeValue(f, encodeValue(f, Math.PI)), Math.fround(Math.PI));
});

test('bytes, fixed, enum, boolean, null', () => {
  const b = parseSchema('bytes');
  assert.equal(hex(encodeValue(b, fromHex('00ff10'))), '0600ff10');
  assert.deepEqual(decodeValue(b, fromHex('0600ff10')), fromHex('00ff10'));
  assert.equal(hex(encodeValue(b, new Uint8Array(0))), '00');
  const fx = parseSchema({ type: 'fixed', name: 'f4', size: 4 });
  assert.equal(hex(encodeValue(fx, fromHex('01020304'))), '01020304');
  assert.throws(() => encodeValue(fx, fromHex('0102')), /fixed f4/);
  const en = parseSchema({ type: 'enum', name: 'E', symbols: ['A', 'B', 'C'] });
  assert.equal(hex(encodeValue(en, 'C')), '04');
  assert.equal(decodeValue(en, fromHex('02')), 'B');
  assert.throws(() => encodeValue(en, 'D'), /unknown symbol/);
  assert.throws(() => decodeValue(en, fromHex('06')), /out of range/);
  const bo = parseSchema('boolean');
  assert.equal(hex(encodeValue(bo, true)), '01');
  assert.equal(decodeValue(bo, fromHex('00')), false);
  assert.equal(hex(encodeValue(parseSchema('null'), null)), '');
});

test('arrays and maps: empty ones are a single 0, negative block counts carry a byte size', () => {
  const arr = parseSchema({ type: 'array', items: 'long' });
  assert.equal(hex(encodeValue(arr, [])), '00');
  assert.equal(hex(encodeValue(arr, [3, 27])), '04063600'); // the spec's example
  assert.deepEqual(decodeValue(arr, fromHex('04063600')), [3n, 27n]);
  // two blocks, the second with a negative count and a byte size: [1, 2] then [3]
  assert.deepEqual(decodeValue(arr, fromHex('04 02 04  01 02 06  00')), [1n, 2n, 3n]);
  const map = parseSchema({ type: 'map', values: 'int' });
  assert.equal(hex(encodeValue(map, new Map())), '00');
  const m = new Map([
    ['a', 1],
    ['bb', -2],
  ]);
  assert.deepEqual(decodeValue(map, encodeValue(map, m)), m);
  assert.deepEqual(decodeValue(map, encodeValue(map, { a: 1, bb: -2 })), m);
});

test('records, nested records, named-type references and recursion', () => {
  const schema: AvroSchema = {
    type: 'record',
    name: 'LinkedList',
    namespace: 'ex',
    fields: [
      { name: 'value', type: 'long' },
      { name: 'tag', type: { type: 'fixed', name: 'Tag', size: 2 } },
      { name: 'tag2', type: 'Tag' },
      { name: 'next', type: ['null', 'LinkedList'] },
    ],
  };
  const node = parseSchema(schema);
  const v = { value: 1n, tag: fromHex('0102'), tag2: fromHex('0304'), next: { value: -2n, tag: fromHex('0506'), tag2: fromHex('0708'), next: null } };
  const bytes = encodeValue(node, v);
  assert.equal(hex(bytes), '02' + '0102' + '0304' + '02' + '03' + '0506' + '0708' + '00');
  assert.deepEqual(decodeValue(node, bytes), v);
  assert.throws(() => parseSchema({ type: 'record', name: 'R', fields: [{ name: 'x', type: 'Nope' }] }), /unknown type "Nope"/);
  assert.throws(
    () =>
      parseSchema({
        type: 'record',
        name: 'R',
        fields: [
          { name: 'a', type: { type: 'fixed', name: 'F', size: 1 } },
          { name: 'b', type: { type: 'fixed', name: 'F', size: 1 } },
        ],
      }),
    /defines "F" twice/,
  );
});

test('unions: ["null", T] fast path and general unions pick the matching branch', () => {
  const opt = parseSchema(['null', 'string']);
  assert.equal(hex(encodeValue(opt, null)), '00');
  assert.equal(hex(encodeValue(opt, undefined)), '00');
  assert.equal(hex(encodeValue(opt, 'a')), '020261');
  assert.equal(decodeValue(opt, fromHex('020261')), 'a');
  const rev = parseSchema(['long', 'null']);
  assert.equal(hex(encodeValue(rev, null)), '02');
  assert.equal(decodeValue(rev, fromHex('0004')), 2n);
  const u = parseSchema(['null', 'int', 'string', 'bytes', { type: 'array', items: 'int' }]);
  assert.equal(hex(encodeValue(u, 5)), '020a');
  assert.equal(hex(encodeValue(u, 'x')), '040278');
  assert.equal(hex(encodeValue(u, fromHex('ff'))), '0602ff');
  assert.equal(hex(encodeValue(u, [1])), '08020200');
  assert.throws(() => encodeValue(u, true), /no branch/);
  assert.throws(() => decodeValue(u, fromHex('0a')), /union index 5/);
});

test('record encoding errors name the field', () => {
  const node = parseSchema({ type: 'record', name: 'R', fields: [{ name: 'x', type: 'int' }] });
  assert.throws(() => encodeValue(node, { x: 'no' }), /^TypeError: x: Avro int: got string no$/);
  const nested = parseSchema({ type: 'record', name: 'O', fields: [{ name: 'inner', type: ['null', { type: 'record', name: 'I', fields: [{ name: 'y', type: 'long' }] }] }] });
  assert.throws(
    () => encodeValue(nested, { inner: { y: 2 ** 60 } }),
    (e: Error) => e instanceof RangeError && /^inner\.y: Avro long: .* not a safe integer/.test(e.message),
  );
});

test('fieldsById finds Iceberg field ids on records', () => {
  const node = parseSchema({
    type: 'record',
    name: 'r',
    fields: [
      { name: 'a', type: 'int', 'field-id': 7 },
      { name: 'b', type: 'int' },
    ],
  }) as AvroRecordNode;
  const m = fieldsById(node);
  assert.equal(m.get(7)?.name, 'a');
  assert.equal(m.size, 1);
});

const iceStruct: StructType = {
  type: 'struct',
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'my-col', required: false, type: 'decimal(38, 4)' },
    { id: 3, name: 'tags', required: false, type: { type: 'list', 'element-id': 4, element: 'string', 'element-required': false } },
    { id: 5, name: 'props', required: false, type: { type: 'map', 'key-id': 6, key: 'string', 'value-id': 7, value: 'int', 'value-required': true } },
    { id: 8, name: 'counts', required: true, type: { type: 'map', 'key-id': 9, key: 'int', 'value-id': 10, value: 'long', 'value-required': false } },
    {
      id: 11,
      name: 'loc',
      required: false,
      type: {
        type: 'struct',
        fields: [
          { id: 12, name: 'u', required: true, type: 'uuid' },
          { id: 13, name: 'u2', required: false, type: 'uuid' },
        ],
      },
    },
    { id: 14, name: 'ts', required: true, type: 'timestamptz' },
    { id: 15, name: 'ts_local', required: true, type: 'timestamp' },
    { id: 16, name: 'd', required: true, type: 'date' },
    { id: 17, name: 'f', required: true, type: 'fixed[3]' },
    { id: 18, name: '1st', required: true, type: 'binary' },
    { id: 19, name: 't', required: true, type: 'time' },
    { id: 20, name: 'ns', required: true, type: 'timestamptz_ns' },
  ],
};

test('Iceberg struct → Avro schema keeps ids, Java names, and converts back to the same struct', () => {
  const avro = structToAvro(iceStruct, 'row') as Record<string, unknown>;
  const text = JSON.stringify(avro);
  for (const id of [1, 2, 3, 5, 8, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 9, 10]) assert.match(text, new RegExp(`"field-id":${id}[,}]`), `field-id ${id}`);
  assert.match(text, /"element-id":4/);
  assert.match(text, /"key-id":6,"value-id":7/);
  assert.match(text, /"name":"k9_v10"/);
  assert.match(text, /"logicalType":"map"/);
  assert.match(text, /"name":"r11"/);
  assert.match(text, /"name":"my_x2Dcol","type":\["null",\{"type":"fixed","name":"decimal_38_4","size":16/);
  assert.match(text, /"iceberg-field-name":"my-col"/);
  assert.match(text, /"name":"_1st"/);
  // uuid_fixed is defined once, then referenced by name
  assert.equal(text.match(/"name":"uuid_fixed"/g)?.length, 1);
  assert.match(text, /"type":\["null","uuid_fixed"\]/);
  assert.match(text, /"logicalType":"timestamp-micros","adjust-to-utc":true/);
  assert.match(text, /"logicalType":"timestamp-micros","adjust-to-utc":false/);
  const back = avroToIceberg(parseSchema(avro as AvroSchema));
  assert.deepEqual(back, iceStruct);
  assert.equal(sanitizeAvroName('a.b'), 'a_x2Eb');
});

// Build a container file by hand, so that codecs we only read can be tested.
function handMadeFile(schema: AvroSchema, codec: string, blocks: { count: number; data: Uint8Array }[]): Uint8Array {
  const w = new AvroWriter();
  w.writeFixed(fromHex('4f626a01'));
  w.writeLong(2);
  w.writeString('avro.schema');
  w.writeBytes(new TextEncoder().encode(JSON.stringify(schema)));
  w.writeString('avro.codec');
  w.writeBytes(new TextEncoder().encode(codec));
  w.writeLong(0);
  const sync = fromHex('00112233445566778899aabbccddeeff');
  w.writeFixed(sync);
  for (const b of blocks) {
    w.writeLong(b.count);
    w.writeLong(b.data.length);
    w.writeFixed(b.data);
    w.writeFixed(sync);
  }
  return w.toBytes();
}

const recSchema: AvroSchema = {
  type: 'record',
  name: 'rec',
  fields: [
    { name: 'id', type: 'long', 'field-id': 1 },
    { name: 'name', type: ['null', 'string'], default: null, 'field-id': 2 },
    { name: 'vals', type: { type: 'array', items: 'int', 'element-id': 4 }, 'field-id': 3 },
  ],
};

test('container files: deflate and null, many blocks, header keeps custom attributes and metadata', () => {
  const records = Array.from({ length: 5000 }, (_, i) => ({
    id: BigInt(i) * 3_000_000_000_000n - 7n,
    name: i % 3 === 0 ? null : `name-${i}-${'é'.repeat(i % 5)}`,
    vals: Array.from({ length: i % 4 }, (_, j) => j - i),
  }));
  for (const codec of ['deflate', 'null'] as const) {
    const bytes = writeAvroFile(recSchema, records, { codec, blockBytes: 4096, metadata: { 'snapshot-id': '42', bin: fromHex('00ff') } });
    const file = readAvroFile(bytes);
    assert.equal(file.codec, codec);
    assert.ok(file.blockCount > 10, `expected many blocks, got ${file.blockCount}`);
    assert.deepEqual(file.records, records);
    assert.deepEqual(file.schemaJson, recSchema);
    assert.equal(file.metadata['snapshot-id'], '42');
    assert.deepEqual(file.rawMetadata.get('bin'), fromHex('00ff'));
    const header = readAvroHeader(bytes);
    assert.match(header.metadata['avro.schema'], /"field-id":3/);
    assert.match(header.metadata['avro.schema'], /"element-id":4/);
  }
  const deflated = writeAvroFile(recSchema, records, { codec: 'deflate' }).length;
  const plain = writeAvroFile(recSchema, records, { codec: 'null' }).length;
  assert.ok(deflated < plain / 2, `deflate ${deflated} vs null ${plain}`);
});

test('decoding from a Node Buffer gives plain Uint8Array copies, not views into the Buffer', () => {
  const bytes = writeAvroFile({ type: 'record', name: 'b', fields: [{ name: 'x', type: 'bytes' }] }, [{ x: Uint8Array.of(1, 2, 3) }], { codec: 'null' });
  const buf = Buffer.from(bytes);
  const rec = readAvroFile(buf).records[0] as { x: Uint8Array };
  assert.equal(Object.getPrototypeOf(rec.x), Uint8Array.prototype);
  assert.deepEqual(rec.x, Uint8Array.of(1, 2, 3));
  buf.fill(0);
  assert.deepEqual(rec.x, Uint8Array.of(1, 2, 3));
});

test('container files: empty file, fixed sync marker, corruption is detected', () => {
  const sync = fromHex('0102030405060708090a0b0c0d0e0f10');
  const empty = writeAvroFile(recSchema, [], { syncMarker: sync });
  const f = readAvroFile(empty);
  assert.deepEqual(f.records, []);
  assert.equal(f.blockCount, 0);
  assert.deepEqual(f.sync, sync);
  const one = writeAvroFile(recSchema, [{ id: 1n, name: 'x', vals: [] }], { codec: 'null', syncMarker: sync });
  const broken = Uint8Array.from(one);
  broken[broken.length - 1] ^= 0xff;
  assert.throws(() => readAvroFile(broken), /sync marker mismatch/);
  assert.throws(() => readAvroFile(one.subarray(0, one.length - 20)), /truncated/);
  const badMagic = Uint8Array.from(one);
  badMagic[3] = 2;
  assert.throws(() => readAvroFile(badMagic), /bad magic/);
  assert.throws(() => writeAvroFile(recSchema, [], { metadata: { 'avro.codec': 'x' } }), /reserved/);
});

test('snappy blocks (raw snappy + big-endian CRC32) decode; a bad checksum fails', () => {
  // raw snappy by hand: length 12, literal "abcd", copy (1-byte offset form) length 8 offset 4
  const raw = fromHex('0c 0c 61626364 11 04');
  assert.equal(new TextDecoder().decode(snappyDecompress(raw)), 'abcdabcdabcd');
  // two-byte-offset copy: literal "xyz", copy length 6 offset 3 → "xyzxyzxyz"
  assert.equal(new TextDecoder().decode(snappyDecompress(fromHex('09 08 78797a 16 0300'))), 'xyzxyzxyz');
  const payload = new TextEncoder().encode('abcdabcdabcd');
  const data = new Uint8Array(raw.length + 4);
  data.set(raw);
  new DataView(data.buffer).setUint32(raw.length, crc32(payload), false);
  // a file whose one block holds one record of schema fixed(12): the decompressed 12 bytes
  const schema: AvroSchema = { type: 'fixed', name: 'f12', size: 12 };
  const file = handMadeFile(schema, 'snappy', [{ count: 1, data }]);
  assert.deepEqual(readAvroFile(file).records, [payload]);
  data[data.length - 1] ^= 1;
  assert.throws(() => readAvroFile(handMadeFile(schema, 'snappy', [{ count: 1, data }])), /CRC32 mismatch/);
});

test('zstandard blocks decode', () => {
  const records = [
    { id: 5n, name: 'a', vals: [1, 2] },
    { id: -5n, name: null, vals: [] },
  ];
  const w = new AvroWriter();
  const node = parseSchema(recSchema);
  const enc = (v: unknown) => w.writeFixed(encodeValue(node, v));
  records.forEach(enc);
  const file = handMadeFile(recSchema, 'zstandard', [{ count: 2, data: new Uint8Array(zstdCompressSync(w.toBytes())) }]);
  assert.deepEqual(readAvroFile(file).records, records);
  assert.throws(() => readAvroFile(handMadeFile(recSchema, 'bzip2', [{ count: 2, data: w.toBytes() }])), /unsupported Avro codec "bzip2"/);
});

test('longs as "number-if-safe": numbers up to 2^53 - 1, bigints beyond', () => {
  const node = parseSchema({ type: 'array', items: 'long' });
  const values = [0n, -1n, 2n ** 53n - 1n, -(2n ** 53n - 1n), 2n ** 53n, -(2n ** 53n), (1n << 63n) - 1n];
  const back = decodeValue(node, encodeValue(node, values), { longs: 'number-if-safe' }) as unknown[];
  assert.deepEqual(back, [0, -1, 2 ** 53 - 1, -(2 ** 53 - 1), 2n ** 53n, -(2n ** 53n), (1n << 63n) - 1n]);
  // the default mode is unaffected by the other mode's cached decoder
  assert.deepEqual(decodeValue(node, encodeValue(node, values)), values);
});

test('Iceberg map arrays (logicalType "map") decode to a Map and encode from a Map or from records', () => {
  const node = parseSchema({
    type: 'array',
    logicalType: 'map',
    items: {
      type: 'record',
      name: 'k1_v2',
      fields: [
        { name: 'key', type: 'int', 'field-id': 1 },
        { name: 'value', type: ['null', 'bytes'], 'field-id': 2 },
      ],
    },
  });
  const m = new Map<number, Uint8Array | null>([
    [5, Uint8Array.of(1)],
    [-3, null],
  ]);
  const fromMap = encodeValue(node, m);
  const fromRecords = encodeValue(node, [
    { key: 5, value: Uint8Array.of(1) },
    { key: -3, value: null },
  ]);
  assert.equal(hex(fromMap), hex(fromRecords));
  assert.equal(hex(fromMap), '04' + '0a' + '02' + '0201' + '05' + '00' + '00');
  assert.deepEqual(decodeValue(node, fromMap), m);
  assert.equal(hex(encodeValue(node, new Map())), '00');
  // a plain array (no logicalType) of the same records stays an array of records
  const plain = parseSchema({
    type: 'array',
    items: {
      type: 'record',
      name: 'kv',
      fields: [
        { name: 'key', type: 'int' },
        { name: 'value', type: 'int' },
      ],
    },
  });
  assert.deepEqual(decodeValue(plain, encodeValue(plain, [{ key: 1, value: 2 }])), [{ key: 1, value: 2 }]);
});

test('a writer that starts tiny grows correctly through every write path (seeded random values)', () => {
  let seed = 12345;
  const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
  const node = parseSchema({
    type: 'record',
    name: 'r',
    fields: [
      { name: 's', type: 'string' },
      { name: 'l', type: 'long' },
      { name: 'b', type: 'bytes' },
      { name: 'd', type: 'double' },
      { name: 'o', type: ['null', 'int'] },
    ],
  });
  const values = Array.from({ length: 2000 }, () => ({
    s: Array.from({ length: Math.floor(rnd() * 200) }, () => pick(['a', 'é', '日', '😀', 'Z', ' '])).join(''),
    l: BigInt.asIntN(64, BigInt(Math.floor(rnd() * 2 ** 32)) * BigInt(Math.floor(rnd() * 2 ** 32)) - (1n << 62n)),
    b: Uint8Array.from({ length: Math.floor(rnd() * 50) }, () => Math.floor(rnd() * 256)),
    d: (rnd() - 0.5) * 1e6,
    o: rnd() < 0.3 ? null : Math.floor(rnd() * 2 ** 31) - 2 ** 30,
  }));
  const w = new AvroWriter(1);
  const enc = compileEncoder(node);
  const dec = compileDecoder(node);
  for (const v of values) enc(w, v);
  const r = new AvroReader(w.toBytes());
  for (const v of values) assert.deepEqual(dec(r), v);
  assert.equal(r.pos, w.pos);
});
