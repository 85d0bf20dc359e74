// The encoder's files, read back by an independent reader (arrow-rs through parquet-wasm),
// and its Iceberg metrics checked against values worked out by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm/node';
import { RecordBatchBuilder } from '../../src/batch/record-batch.ts';
import { encodeParquet } from '../../src/parquet/encode.ts';
import type { EncodeOptions } from '../../src/parquet/encode.ts';
import { ByteWriter } from '../../src/parquet/byte-writer.ts';
import { encodeRleHybrid, bitWidth } from '../../src/parquet/rle.ts';
import { fromSingleValue } from '../../src/iceberg/single-value.ts';
import type { Schema } from '../../src/iceberg/types.ts';

function read(bytes: Uint8Array): arrow.Table {
  return arrow.tableFromIPC(pw.readParquet(bytes).intoIPCStream());
}

function encode(schema: Schema, records: Record<string, unknown>[], options?: EncodeOptions) {
  const b = new RecordBatchBuilder(schema, 't');
  for (const r of records) b.append(r);
  return encodeParquet(schema, b.finish(), options);
}

const flat: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'b', required: false, type: 'boolean' },
    { id: 2, name: 'i', required: false, type: 'int' },
    { id: 3, name: 'l', required: true, type: 'long' },
    { id: 4, name: 'f', required: false, type: 'float' },
    { id: 5, name: 'd', required: false, type: 'double' },
    { id: 6, name: 'dt', required: false, type: 'date' },
    { id: 7, name: 't', required: false, type: 'time' },
    { id: 8, name: 'ts', required: false, type: 'timestamp' },
    { id: 9, name: 'tz', required: false, type: 'timestamptz' },
    { id: 10, name: 's', required: false, type: 'string' },
    { id: 11, name: 'u', required: false, type: 'uuid' },
    { id: 12, name: 'fx', required: false, type: 'fixed[2]' },
    { id: 13, name: 'bin', required: false, type: 'binary' },
    { id: 14, name: 'd9', required: false, type: 'decimal(9, 2)' },
    { id: 15, name: 'd18', required: false, type: 'decimal(18, 2)' },
  ],
};

function flatRecord(i: number): Record<string, unknown> {
  const nul = i % 5 === 4;
  return {
    b: nul ? null : i % 2 === 0,
    i: nul ? null : i * 7 - 100,
    l: BigInt(i) * 1000000007n - 5n,
    f: nul ? null : i / 4,
    d: nul ? null : i === 3 ? NaN : i * 1.5 - 10,
    dt: nul ? null : 19000 + i,
    t: nul ? null : BigInt(i) * 1000n,
    ts: nul ? null : 1700000000000000 + i,
    tz: nul ? null : 1700000000000000 - i,
    s: nul ? null : `s${i % 3}-é`,
    u: nul ? null : `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`,
    fx: nul ? null : Uint8Array.of(i & 255, 7),
    bin: nul ? null : Uint8Array.from({ length: i % 4 }, (_, k) => k + i),
    d9: nul ? null : `${i}.${String(i % 100).padStart(2, '0')}`,
    d18: nul ? null : BigInt(i) * -3n,
  };
}

function column(t: arrow.Table, name: string): unknown[] {
  const v = t.getChild(name)!;
  const out: unknown[] = [];
  for (let i = 0; i < v.length; i++) out.push(v.get(i));
  return out;
}

/** Arrow decimal128 values as unscaled bigints (little-endian 32-bit words). */
function decimals(t: arrow.Table, name: string): (bigint | null)[] {
  const v = t.getChild(name)!;
  const out: (bigint | null)[] = [];
  for (const data of v.data) {
    const words = data.values as Uint32Array;
    for (let i = 0; i < data.length; i++) {
      if (!data.getValid(i)) {
        out.push(null);
        continue;
      }
      let x = 0n;
      for (let w = 3; w >= 0; w--) x = (x << 32n) | BigInt(words[(data.offset + i) * 4 + w]);
      out.push(BigInt.asIntN(128, x));
    }
  }
  return out;
}

function checkFlat(bytes: Uint8Array, n: number): void {
  const t = read(bytes);
  assert.equal(t.numRows, n);
  const recs = Array.from({ length: n }, (_, i) => flatRecord(i));
  const pick = (k: string) => recs.map((r) => r[k]);
  assert.deepEqual(column(t, 'b'), pick('b'));
  assert.deepEqual(column(t, 'i'), pick('i'));
  assert.deepEqual(column(t, 'l'), pick('l'));
  assert.deepEqual(column(t, 'f'), pick('f'));
  assert.deepEqual(
    column(t, 'd').map((x) => (typeof x === 'number' && Number.isNaN(x) ? 'NaN' : x)),
    pick('d').map((x) => (typeof x === 'number' && Number.isNaN(x) ? 'NaN' : x)),
  );
  assert.deepEqual(
    column(t, 'dt'),
    pick('dt').map((x) => (x === null ? null : (x as number) * 86400000)),
  );
  assert.deepEqual(column(t, 't'), pick('t'));
  assert.deepEqual(
    column(t, 'ts'),
    pick('ts').map((x) => (x === null ? null : (x as number) / 1000)),
  );
  assert.deepEqual(
    column(t, 'tz'),
    pick('tz').map((x) => (x === null ? null : (x as number) / 1000)),
  );
  assert.deepEqual(column(t, 's'), pick('s'));
  assert.deepEqual(
    column(t, 'u').map((x) => (x === null ? null : Buffer.from(x as Uint8Array).toString('hex'))),
    pick('u').map((x) => (x === null ? null : (x as string).replace(/-/g, ''))),
  );
  assert.deepEqual(
    column(t, 'fx').map((x) => (x === null ? null : Array.from(x as Uint8Array))),
    pick('fx').map((x) => (x === null ? null : Array.from(x as Uint8Array))),
  );
  assert.deepEqual(
    column(t, 'bin').map((x) => (x === null ? null : Array.from(x as Uint8Array))),
    pick('bin').map((x) => (x === null ? null : Array.from(x as Uint8Array))),
  );
  assert.deepEqual(
    decimals(t, 'd9'),
    recs.map((r, i) => (r.d9 === null ? null : BigInt(i) * 100n + BigInt(i % 100))),
  );
  assert.deepEqual(decimals(t, 'd18'), pick('d18'));
}

test('every primitive type round-trips through an independent reader', () => {
  const n = 50;
  const { bytes } = encode(
    flat,
    Array.from({ length: n }, (_, i) => flatRecord(i)),
  );
  checkFlat(bytes, n);
});

test('row groups, small pages and every codec', () => {
  const n = 3000;
  const recs = Array.from({ length: n }, (_, i) => flatRecord(i));
  for (const compression of ['zstd', 'gzip', 'snappy', 'uncompressed'] as const) {
    const { bytes, metrics } = encode(flat, recs, { compression, rowGroupRows: 1000, pageBytes: 2048 });
    assert.equal(metrics['split-offsets']!.length, 3, compression);
    assert.equal(metrics['split-offsets']![0], 4);
    checkFlat(bytes, n);
  }
});

const nested: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'int' },
    {
      id: 2,
      name: 'st',
      required: false,
      type: {
        type: 'struct',
        fields: [
          { id: 3, name: 'x', required: true, type: 'int' },
          { id: 4, name: 'y', required: false, type: 'string' },
        ],
      },
    },
    { id: 5, name: 'tags', required: false, type: { type: 'list', 'element-id': 6, element: 'string', 'element-required': false } },
    { id: 7, name: 'm', required: false, type: { type: 'map', 'key-id': 8, key: 'string', 'value-id': 9, value: 'long', 'value-required': false } },
    {
      id: 10,
      name: 'nest',
      required: false,
      type: { type: 'list', 'element-id': 11, 'element-required': false, element: { type: 'list', 'element-id': 12, element: 'int', 'element-required': true } },
    },
  ],
};

function nestedRecord(i: number): Record<string, unknown> {
  return {
    id: i,
    st: i % 4 === 0 ? null : { x: i, y: i % 3 === 0 ? null : `y${i}` },
    tags: i % 5 === 0 ? null : Array.from({ length: i % 4 }, (_, k) => (k === 1 ? null : `t${k}`)),
    m: i % 6 === 0 ? null : Object.fromEntries(Array.from({ length: i % 3 }, (_, k) => [`k${k}`, k === 1 ? null : BigInt(i * k)])),
    nest: i % 7 === 0 ? null : Array.from({ length: i % 3 }, (_, k) => (k === 1 ? null : Array.from({ length: k + (i % 2) }, (_, j) => j))),
  };
}

test('structs, lists, maps and lists of lists round-trip, across row groups', () => {
  const n = 500;
  const recs = Array.from({ length: n }, (_, i) => nestedRecord(i));
  const { bytes, metrics } = encode(nested, recs, { rowGroupRows: 128, pageBytes: 64 });
  assert.equal(metrics['split-offsets']!.length, 4);
  const t = read(bytes);
  assert.equal(t.numRows, n);
  const got = t.toArray().map((row) => {
    const j = row.toJSON() as Record<string, unknown>;
    const st = j.st as arrow.StructRowProxy | null;
    const tags = j.tags as arrow.Vector | null;
    const m = j.m as arrow.MapRow | null;
    const nest = j.nest as arrow.Vector | null;
    return {
      id: j.id,
      st: st === null ? null : st.toJSON(),
      tags: tags === null ? null : tags.toArray().length === 0 ? [] : [...tags],
      m: m === null ? null : Object.fromEntries([...m]),
      nest: nest === null ? null : [...nest].map((v) => (v === null ? null : Array.from(v as arrow.Vector))),
    };
  });
  assert.deepEqual(got, recs);
});

test('field ids at every level, logical types', () => {
  const { bytes } = encode(nested, [nestedRecord(1)]);
  const t = read(bytes);
  const id = (f: arrow.Field) => f.metadata.get('PARQUET:field_id');
  const fields = t.schema.fields;
  assert.deepEqual(fields.map(id), ['1', '2', '5', '7', '10']);
  const st = fields[1].type as arrow.Struct;
  assert.deepEqual(st.children.map(id), ['3', '4']);
  assert.equal(id((fields[2].type as arrow.List).children[0]), '6');
  const entries = (fields[3].type as arrow.Map_).children[0].type as arrow.Struct;
  assert.deepEqual(entries.children.map(id), ['8', '9']);
  const outer = fields[4].type as arrow.List;
  assert.equal(id(outer.children[0]), '11');
  assert.equal(id((outer.children[0].type as arrow.List).children[0]), '12');

  const ft = read(encode(flat, [flatRecord(1)]).bytes).schema.fields;
  const typeOf = (name: string) => String(ft.find((f) => f.name === name)!.type);
  assert.equal(typeOf('ts'), 'Timestamp<MICROSECOND>');
  assert.equal(typeOf('tz'), 'Timestamp<MICROSECOND, UTC>');
  assert.equal(typeOf('t'), 'Time64<MICROSECOND>');
  assert.equal(typeOf('dt'), 'Date32<DAY>');
  assert.equal(typeOf('d18'), 'Decimal[18e+2]');
});

test('metrics of a small batch', () => {
  const schema: Schema = {
    type: 'struct',
    'schema-id': 0,
    fields: [
      { id: 1, name: 'n', required: false, type: 'int' },
      { id: 2, name: 'x', required: false, type: 'double' },
      { id: 3, name: 's', required: false, type: 'string' },
      { id: 4, name: 'p', required: false, type: 'decimal(10, 2)' },
      { id: 5, name: 'u', required: false, type: 'uuid' },
      { id: 6, name: 'st', required: false, type: { type: 'struct', fields: [{ id: 7, name: 'b', required: false, type: 'binary' }] } },
      { id: 8, name: 'tags', required: false, type: { type: 'list', 'element-id': 9, element: 'float', 'element-required': false } },
    ],
  };
  const records = [
    { n: 5, x: 1.5, s: 'b', p: '14.20', u: '00000000-0000-0000-0000-000000000001', st: { b: Uint8Array.of(9, 9) }, tags: [1, NaN] },
    { n: -3, x: NaN, s: 'a'.repeat(20), p: '-0.01', st: null, tags: [] },
    { n: null, x: -0, s: '\u{10FFFF}'.repeat(17), p: null, st: { b: Uint8Array.from({ length: 20 }, () => 0xff) }, tags: null },
    { n: 7, x: null, s: null, p: '3', st: { b: null }, tags: [null, -2] },
  ];
  const { bytes, metrics } = encode(schema, records);
  assert.equal(metrics['record-count'], 4);
  const m = (k: keyof typeof metrics, id: number) => (metrics[k] as Map<number, unknown>).get(id);
  assert.deepEqual(
    [...metrics['value-counts']].sort((a, b) => a[0] - b[0]),
    [
      [1, 4],
      [2, 4],
      [3, 4],
      [4, 4],
      [5, 4],
      [7, 4],
      [9, 6],
    ],
  );
  assert.deepEqual(
    [...metrics['null-value-counts']].sort((a, b) => a[0] - b[0]),
    [
      [1, 1],
      [2, 1],
      [3, 1],
      [4, 1],
      [5, 3],
      [7, 2],
      [9, 3],
    ],
  );
  assert.deepEqual(
    [...metrics['nan-value-counts']].sort((a, b) => a[0] - b[0]),
    [
      [2, 1],
      [9, 1],
    ],
  );
  const lo = (id: number, t: string) => fromSingleValue(t as never, m('lower-bounds', id) as Uint8Array);
  const hi = (id: number, t: string) => fromSingleValue(t as never, m('upper-bounds', id) as Uint8Array);
  assert.equal(lo(1, 'int'), -3);
  assert.equal(hi(1, 'int'), 7);
  assert.ok(Object.is(lo(2, 'double'), -0));
  assert.equal(hi(2, 'double'), 1.5);
  assert.equal(lo(3, 'string'), 'a'.repeat(16));
  // the max string is 17 × U+10FFFF: no code point can be incremented, so no upper bound
  assert.equal(m('upper-bounds', 3), undefined);
  assert.equal(Buffer.from(m('lower-bounds', 4) as Uint8Array).toString('hex'), 'ff');
  assert.equal(Buffer.from(m('upper-bounds', 4) as Uint8Array).toString('hex'), '058c');
  assert.equal(m('lower-bounds', 5), undefined, 'no uuid bounds');
  assert.deepEqual(Array.from(m('lower-bounds', 7) as Uint8Array), [9, 9]);
  // the max is 20 × 0xFF: truncated to 16 bytes it cannot be incremented, so no upper bound
  assert.equal(m('upper-bounds', 7), undefined);
  assert.equal(m('lower-bounds', 9), undefined, 'no bounds inside lists');
  // column sizes add up to the column chunks, which sit between the magic and the footer
  let total = 0;
  for (const v of metrics['column-sizes'].values()) total += v;
  const footerLen = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 8, 4).getInt32(0, true);
  assert.equal(total, bytes.length - 8 - footerLen - 4);
});

test('string upper bound is incremented after truncation', () => {
  const schema: Schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 's', required: true, type: 'string' }] };
  const { metrics } = encode(schema, [{ s: 'abcdefghijklmnopqrstuvwxyz' }, { s: 'abc' }], { metricsTruncateLength: 4 });
  assert.equal(Buffer.from(metrics['lower-bounds'].get(1)!).toString(), 'abc');
  assert.equal(Buffer.from(metrics['upper-bounds'].get(1)!).toString(), 'abce');
});

test('RLE / bit-packing hybrid: known encodings', () => {
  const enc = (vals: number[], width: number) => {
    const w = new ByteWriter();
    encodeRleHybrid(Uint8Array.from(vals), 0, vals.length, width, w);
    return Buffer.from(w.result()).toString('hex');
  };
  // 10 × 1 → one RLE run: header 10<<1 = 0x14, value 0x01
  assert.equal(enc(Array(10).fill(1), 1), '1401');
  // [0..7] at width 3 → one bit-packed group: header (1<<1)|1 = 0x03, then 3 bytes (spec example)
  assert.equal(enc([0, 1, 2, 3, 4, 5, 6, 7], 3), '0388c6fa');
  // 3 values then a run of 13: 5 of the run fill the bit-packed group, 8 go to an RLE run
  assert.equal(enc([1, 0, 1, ...Array(13).fill(1)], 1), '03fd' + '1001');
  assert.equal(bitWidth(0), 0);
  assert.equal(bitWidth(1), 1);
  assert.equal(bitWidth(255), 8);
  assert.equal(bitWidth(256), 9);
});
