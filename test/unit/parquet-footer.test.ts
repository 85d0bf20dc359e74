// The thrift compact reader (src/parquet/thrift-reader.ts) against what thrift.ts writes, and the
// footer reader (src/parquet/footer.ts) against files floe's encoder writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecordBatchBuilder } from '../../src/batch/record-batch.ts';
import { CREATED_BY, encodeParquet } from '../../src/parquet/encode.ts';
import type { EncodeOptions } from '../../src/parquet/encode.ts';
import { decodeFooter, encodeFooter, readFooter, readFooterFrom } from '../../src/parquet/footer.ts';
import { CT, CompactWriter } from '../../src/parquet/thrift.ts';
import type { ThriftList, ThriftStruct } from '../../src/parquet/thrift-reader.ts';
import { CompactReader, encodeThriftStruct, readThriftStruct } from '../../src/parquet/thrift-reader.ts';
import type { Schema } from '../../src/iceberg/types.ts';
import type { FileIO } from '../../src/io/file-io.ts';

const text = (v: unknown) => new TextDecoder().decode(v as Uint8Array);

test('thrift writer: strings written again (kept as UTF-8) and long ones (not kept) are the same bytes every time', () => {
  const long = 'ü'.repeat(300);
  const write = () => {
    const w = new CompactWriter();
    w.binary(1, 'colonne_é').binary(2, long).list(3, CT.BINARY, 3).elemBinary('a').elemBinary('colonne_é').elemBinary(long);
    return w.finish().slice();
  };
  const first = write();
  const second = write();
  assert.deepEqual(second, first);
  const { struct } = readThriftStruct(first);
  assert.equal(text(struct.fields.get(1)?.value), 'colonne_é');
  assert.equal(text(struct.fields.get(2)?.value), long);
  const list = struct.fields.get(3)?.value as ThriftList;
  assert.deepEqual(
    list.items.map((v) => text(v)),
    ['a', 'colonne_é', long],
  );
});

test('thrift reader: reads back what CompactWriter writes', () => {
  const w = new CompactWriter();
  w.i32(1, -7)
    .i64(2, 2 ** 40 + 3)
    .bool(3, true)
    .bool(4, false)
    .binary(5, 'héllo')
    .i32(40, 123456) // long field-id jump: the type byte and a zigzag id
    .struct(41)
    .i32(1, 1)
    .struct(2)
    .end()
    .end();
  w.list(42, CT.I32, 3).elemI32(-1).elemI32(0).elemI32(1);
  w.list(43, CT.BINARY, 20);
  for (let i = 0; i < 20; i++) w.elemBinary(`s${i}`);
  w.list(44, CT.STRUCT, 2);
  w.beginElem().i64(1, -5).end();
  w.beginElem().bool(7, true).end();
  const bytes = w.finish().slice();

  const { struct, end } = readThriftStruct(bytes);
  assert.equal(end, bytes.length);
  const f = (id: number) => struct.fields.get(id)?.value;
  assert.equal(f(1), -7);
  assert.equal(f(2), 2 ** 40 + 3); // an i64 that is a safe integer reads as a number
  assert.equal(f(3), true);
  assert.equal(f(4), false);
  assert.equal(text(f(5)), 'héllo');
  assert.equal(f(40), 123456);
  const inner = f(41) as ThriftStruct;
  assert.equal(inner.fields.get(1)?.value, 1);
  assert.equal((inner.fields.get(2)?.value as ThriftStruct).fields.size, 0);
  assert.deepEqual((f(42) as ThriftList).items, [-1, 0, 1]);
  assert.deepEqual(
    (f(43) as ThriftList).items.map(text),
    Array.from({ length: 20 }, (_, i) => `s${i}`),
  );
  const elems = (f(44) as ThriftList).items as ThriftStruct[];
  assert.equal(elems[0].fields.get(1)?.value, -5);
  assert.equal(elems[1].fields.get(7)?.value, true);

  // and the tree encodes back to the very same bytes
  assert.deepEqual(encodeThriftStruct(struct), bytes);
});

test('thrift reader: i64 extremes, doubles, maps, sets and errors', () => {
  const tree: ThriftStruct = {
    kind: 'struct',
    fields: new Map<number, { type: number; value: ThriftStruct['fields'] extends Map<number, infer F> ? (F extends { value: infer V } ? V : never) : never }>([
      [1, { type: CT.I64, value: -(2n ** 63n) }],
      [2, { type: CT.I64, value: 2n ** 63n - 1n }],
      [3, { type: CT.DOUBLE, value: -1.5 }],
      [4, { type: CT.BYTE, value: -3 }],
      [5, { type: CT.I16, value: 300 }],
      [6, { type: CT.MAP, value: { kind: 'map', keyType: CT.I32, valueType: CT.BINARY, entries: [[1, new Uint8Array([97])]] } }],
      [7, { type: CT.SET, value: { kind: 'list', type: CT.SET, elemType: CT.TRUE, items: [true, false] } }],
      [8, { type: CT.MAP, value: { kind: 'map', keyType: 0, valueType: 0, entries: [] } }],
    ]),
  } as ThriftStruct;
  const bytes = encodeThriftStruct(tree);
  const back = readThriftStruct(bytes).struct;
  assert.deepEqual(back, tree);
  assert.throws(() => readThriftStruct(bytes.subarray(0, bytes.length - 1)), /unexpected end/);
  assert.throws(() => new CompactReader(Uint8Array.of(0x1d)).struct(), /unknown wire type 13/);
});

test('thrift reader: i64 reads as a number up to 2^53 - 1 and as a bigint beyond; both encode alike', () => {
  const edges = [0, -1, 2 ** 52 - 1, 2 ** 52, -(2 ** 52), 2 ** 53 - 1, -(2 ** 53 - 1)];
  for (const v of edges) {
    const asNumber = encodeThriftStruct({ kind: 'struct', fields: new Map([[1, { type: CT.I64, value: v }]]) });
    const asBigint = encodeThriftStruct({ kind: 'struct', fields: new Map([[1, { type: CT.I64, value: BigInt(v) }]]) });
    assert.deepEqual(asNumber, asBigint, `encoding of ${v}`);
    assert.equal(readThriftStruct(asNumber).struct.fields.get(1)?.value, v);
  }
  for (const v of [2n ** 53n, -(2n ** 53n), 2n ** 62n + 7n]) {
    const bytes = encodeThriftStruct({ kind: 'struct', fields: new Map([[1, { type: CT.I64, value: v }]]) });
    assert.equal(readThriftStruct(bytes).struct.fields.get(1)?.value, v);
  }
});

const schema: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 's', required: false, type: 'string' },
    { id: 3, name: 'dec', required: false, type: 'decimal(9, 2)' },
    { id: 4, name: 'ts', required: false, type: 'timestamptz' },
    { id: 5, name: 'tags', required: false, type: { type: 'list', 'element-id': 6, element: 'string', 'element-required': true } },
    {
      id: 7,
      name: 'm',
      required: false,
      type: { type: 'map', 'key-id': 8, key: 'string', 'value-id': 9, value: 'double', 'value-required': false },
    },
  ],
};

export function encodeRows(first: number, n: number, options: EncodeOptions = {}) {
  const b = new RecordBatchBuilder(schema, 't');
  for (let i = first; i < first + n; i++) {
    b.append({ id: BigInt(i), s: i % 4 === 0 ? null : `v${i}`, dec: `${i}.25`, ts: 1_700_000_000_000_000 + i, tags: [`t${i % 3}`], m: new Map([[`k${i}`, i / 2]]) });
  }
  return encodeParquet(schema, b.finish(), options);
}

test('footer reader: reads a file floe encodes (schema with field ids, row groups, chunks, statistics)', async () => {
  const { bytes } = encodeRows(0, 50, { rowGroupRows: 20, compression: 'zstd' });
  const footer = readFooter(bytes);
  assert.equal(footer.version, 1);
  assert.equal(footer.numRows, 50);
  assert.equal(footer.createdBy, CREATED_BY);
  assert.equal(footer.encrypted, false);
  assert.deepEqual(
    footer.schema.map((e) => [e.name, e.fieldId ?? null]),
    [
      ['table', null],
      ['id', 1],
      ['s', 2],
      ['dec', 3],
      ['ts', 4],
      ['tags', 5],
      ['list', null],
      ['element', 6],
      ['m', 7],
      ['key_value', null],
      ['key', 8],
      ['value', 9],
    ],
  );
  assert.equal(footer.schema.find((e) => e.name === 's')!.logicalType, 1); // STRING
  assert.equal(footer.schema.find((e) => e.name === 'dec')!.scale, 2);
  assert.deepEqual(
    footer.rowGroups.map((g) => g.numRows),
    [20, 20, 10],
  );
  let at = 4;
  for (const g of footer.rowGroups) {
    assert.equal(g.fileOffset, at);
    assert.equal(g.columns.length, 7);
    for (const c of g.columns) {
      assert.equal(c.fileOffset, at);
      assert.equal(c.codec, 6); // ZSTD
      assert.equal(Math.min(c.dataPageOffset, c.dictionaryPageOffset ?? Infinity), at);
      at += c.totalCompressedSize;
    }
    assert.equal(g.totalCompressedSize, at - g.fileOffset!);
  }
  const footerLen = new DataView(bytes.buffer, bytes.byteOffset).getUint32(bytes.length - 8, true);
  assert.equal(at, bytes.length - 8 - footerLen, 'row groups run up to the footer');
  const id = footer.rowGroups[0].columns[0];
  assert.deepEqual(id.path, ['id']);
  assert.equal(id.statistics?.nullCount, 0);
  assert.equal(new DataView(id.statistics!.minValue!.buffer, id.statistics!.minValue!.byteOffset).getBigInt64(0, true), 0n);
  assert.equal(new DataView(id.statistics!.maxValue!.buffer, id.statistics!.maxValue!.byteOffset).getBigInt64(0, true), 19n);
  assert.equal(footer.rowGroups[0].columns[1].statistics?.nullCount, 5);
  assert.deepEqual(footer.rowGroups[0].columns[4].path, ['tags', 'list', 'element']);
  assert.equal(footer.keyValueMetadata[0].key, 'iceberg.schema');
  assert.deepEqual(
    JSON.parse(footer.keyValueMetadata[0].value!).fields.map((f: { id: number }) => f.id),
    [1, 2, 3, 4, 5, 7],
  );

  // The raw tree encodes back to the footer's own bytes.
  assert.deepEqual(encodeFooter(footer.raw), bytes.subarray(bytes.length - 8 - footerLen, bytes.length - 8));
  assert.deepEqual(decodeFooter(encodeFooter(footer.raw)).rowGroups, footer.rowGroups);

  // Through FileIO: two ranged reads, or the whole file.
  const reads: string[] = [];
  const io = {
    read: async () => (reads.push('read'), bytes),
    readRange: async (_l: string, off: number, len: number) => (reads.push(`range ${off}+${len}`), bytes.subarray(off, off + len)),
  } as unknown as FileIO;
  const ranged = await readFooterFrom(io, 'mem://f', bytes.length);
  assert.equal(ranged.footerStart, bytes.length - 8 - footerLen);
  assert.deepEqual(ranged.footer.rowGroups, footer.rowGroups);
  assert.deepEqual(reads, [`range ${bytes.length - 8}+8`, `range ${bytes.length - 8 - footerLen}+${footerLen}`]);
  const whole = await readFooterFrom(io, 'mem://f');
  assert.equal(whole.footer.numRows, 50);

  assert.throws(() => readFooter(bytes.subarray(0, bytes.length - 1)), /not a Parquet file/);
  assert.throws(() => readFooter(new Uint8Array(4)), /at least 12 bytes/);
});
