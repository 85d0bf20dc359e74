// Decoding floe's own column chunks into leaf columns (src/parquet/decode-chunk.ts), the
// RLE/bit-packed hybrid decoder (rle.ts), the Snappy decompressor (snappy.ts), and joining leaf
// columns (src/batch/concat-leaf-columns.ts): every primitive type, nested lists / maps /
// structs, nulls, empty lists, NaN, many row groups, each codec, dictionary and plain strings.
// Each decoded chunk must equal the builder's column for that row group (levels, values,
// dictionary entries), and the joined columns re-encoded must read back (arrow-rs through
// parquet-wasm) as the same rows as the inputs, in order. A seeded random test covers random
// records; pages floe does not write must throw UnsupportedPageError. The footer as the decoder
// reads it (src/parquet/footer-layout.ts) must say what readFooter says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm/node';
import type { ColumnBatch, LeafColumn } from '../../src/batch/column-batch.ts';
import { concatLeafColumns, leafColumnBytes, rowStart, splitRows } from '../../src/batch/concat-leaf-columns.ts';
import { DICT_PROBE } from '../../src/batch/leaf-builder.ts';
import { RecordBatchBuilder } from '../../src/batch/record-batch.ts';
import type { Schema } from '../../src/iceberg/types.ts';
import { ByteWriter } from '../../src/parquet/byte-writer.ts';
import type { Compression } from '../../src/parquet/compress.ts';
import { PageDecodeError, UnsupportedPageError, decodeColumnChunk } from '../../src/parquet/decode-chunk.ts';
import { encodeParquet } from '../../src/parquet/encode.ts';
import type { ParquetFooter } from '../../src/parquet/footer.ts';
import { ParquetFooterError, readFooter } from '../../src/parquet/footer.ts';
import { fieldBytes, scanFileFooter } from '../../src/parquet/footer-layout.ts';
import { decodeRleHybrid, encodeRleHybrid } from '../../src/parquet/rle.ts';
import { snappyCompress, snappyDecompress } from '../../src/parquet/snappy.ts';
import type { ThriftStruct } from '../../src/parquet/thrift-reader.ts';
import { encodeThriftStruct, readThriftStruct } from '../../src/parquet/thrift-reader.ts';

const CODECS: Compression[] = ['uncompressed', 'zstd', 'gzip', 'snappy'];

/** Every primitive type floe writes, and nested ones. */
const SCHEMA: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'b', required: false, type: 'boolean' },
    { id: 3, name: 'i', required: false, type: 'int' },
    { id: 4, name: 'l', required: false, type: 'long' },
    { id: 5, name: 'f', required: false, type: 'float' },
    { id: 6, name: 'd', required: false, type: 'double' },
    { id: 7, name: 'dec9', required: false, type: 'decimal(9, 2)' },
    { id: 8, name: 'dec18', required: false, type: 'decimal(18, 4)' },
    { id: 9, name: 'dec38', required: false, type: 'decimal(38, 10)' },
    { id: 10, name: 'dt', required: false, type: 'date' },
    { id: 11, name: 'tm', required: false, type: 'time' },
    { id: 12, name: 'ts', required: false, type: 'timestamp' },
    { id: 13, name: 'tstz', required: true, type: 'timestamptz' },
    { id: 14, name: 'tsns', required: false, type: 'timestamp_ns' },
    { id: 15, name: 'tstzns', required: false, type: 'timestamptz_ns' },
    { id: 16, name: 's', required: false, type: 'string' },
    { id: 17, name: 'uniq', required: false, type: 'string' },
    { id: 18, name: 'u', required: false, type: 'uuid' },
    { id: 19, name: 'fx', required: false, type: 'fixed[3]' },
    { id: 20, name: 'bin', required: false, type: 'binary' },
    { id: 21, name: 'req_s', required: true, type: 'string' },
    {
      id: 22,
      name: 'st',
      required: false,
      type: {
        type: 'struct',
        fields: [
          { id: 23, name: 'a', required: false, type: 'int' },
          { id: 24, name: 'tags', required: false, type: { type: 'list', 'element-id': 25, element: 'string', 'element-required': true } },
        ],
      },
    },
    {
      id: 26,
      name: 'ls',
      required: false,
      type: {
        type: 'list',
        'element-id': 27,
        'element-required': false,
        element: {
          type: 'struct',
          fields: [
            { id: 28, name: 'x', required: false, type: 'double' },
            { id: 29, name: 'y', required: false, type: { type: 'list', 'element-id': 30, element: 'long', 'element-required': false } },
          ],
        },
      },
    },
    { id: 31, name: 'm', required: false, type: { type: 'map', 'key-id': 32, key: 'string', 'value-id': 33, value: 'float', 'value-required': false } },
  ],
};

/** Deterministic generator (xorshift32). */
function rng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

const WORDS = ['alpha', 'beta', 'gamma', 'δέλτα', '', 'a much longer string value that is well past sixteen bytes', '日本語', 'x'];

function record(i: number, r: () => number): Record<string, unknown> {
  const maybe = <T>(v: T, p = 0.2): T | null => (r() < p ? null : v);
  const pick = <T>(a: T[]): T => a[Math.floor(r() * a.length)];
  const int = (n: number) => Math.floor(r() * n);
  const doubles = [NaN, -0, 0, Infinity, -Infinity, 1.5, -1e300, 5e-324];
  return {
    id: BigInt(i),
    b: maybe(r() < 0.5),
    i: maybe(int(2 ** 31) * (r() < 0.5 ? -1 : 1)),
    l: maybe(BigInt(int(2 ** 31)) * BigInt(int(2 ** 31)) * (r() < 0.5 ? -1n : 1n)),
    f: maybe(r() < 0.2 ? NaN : Math.fround((r() - 0.5) * 1e6)),
    d: maybe(r() < 0.3 ? pick(doubles) : (r() - 0.5) * 1e12),
    dec9: maybe(`${int(1e6) - 5e5}.${String(int(100)).padStart(2, '0')}`),
    dec18: maybe(`${int(1e9) - 5e8}.${String(int(1e4)).padStart(4, '0')}`),
    dec38: maybe(`-${int(1e9)}${int(1e9)}.${String(int(1e9)).padStart(10, '0')}`),
    dt: maybe(int(40000) - 20000),
    tm: maybe(BigInt(int(86_400_000_000))),
    ts: maybe(BigInt(int(2 ** 52)) - 2n ** 51n),
    tstz: BigInt(int(2 ** 52)),
    tsns: maybe(BigInt(int(2 ** 52)) * 1000n + BigInt(int(1000))),
    tstzns: maybe(BigInt(int(2 ** 52)) * 1000n),
    s: maybe(pick(WORDS)),
    uniq: maybe(`unique-${i}-${int(1e6)}`),
    u: maybe(`${int(1e8).toString(16).padStart(8, '0')}-0000-4000-8000-${String(i).padStart(12, '0')}`),
    fx: maybe(Uint8Array.of(int(256), int(256), int(256))),
    bin: maybe(Uint8Array.from({ length: int(20) }, () => int(256))),
    req_s: pick(WORDS),
    st: maybe({ a: maybe(int(100)), tags: maybe(Array.from({ length: int(4) }, () => pick(WORDS))) }),
    ls: maybe(Array.from({ length: int(4) }, () => maybe({ x: maybe(r() < 0.2 ? NaN : r()), y: maybe(Array.from({ length: int(3) }, () => maybe(BigInt(int(1000))))) }))),
    m: maybe(Object.fromEntries(Array.from({ length: int(4) }, (_, k) => [`k${int(6)}-${k}`, maybe(Math.fround(r() * 100))]))),
  };
}

function build(schema: Schema, records: Record<string, unknown>[]): ColumnBatch {
  const b = new RecordBatchBuilder(schema, 't');
  for (const r of records) b.append(r);
  return b.finish();
}

// ---- comparing leaf columns by what they hold ----

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** The column's values one by one (strings and fixed bytes as hex, whether dictionary or plain). */
function valuesOf(col: LeafColumn): unknown[] {
  const out: unknown[] = [];
  const n = col.valueCount;
  if (col.kind === 'bytes') {
    if (col.dict !== null) {
      const d = col.dict;
      for (let i = 0; i < n; i++) out.push(hex(d.data.subarray(d.offsets[d.indices[i]], d.offsets[d.indices[i] + 1])));
    } else {
      const off = col.offsets!;
      const data = col.values as Uint8Array;
      for (let i = 0; i < n; i++) out.push(hex(data.subarray(off[i], off[i + 1])));
    }
  } else if (col.kind === 'fixed') {
    const v = col.values as Uint8Array;
    for (let i = 0; i < n; i++) out.push(hex(v.subarray(i * col.width, (i + 1) * col.width)));
  } else {
    const v = col.values as ArrayLike<number | bigint>;
    for (let i = 0; i < n; i++) out.push(v[i]);
  }
  return out;
}

function view(col: LeafColumn) {
  return {
    fieldId: col.fieldId,
    kind: col.kind,
    levelCount: col.levelCount,
    valueCount: col.valueCount,
    def: col.def && [...col.def.subarray(0, col.levelCount)],
    rep: col.rep && [...col.rep.subarray(0, col.levelCount)],
    values: valuesOf(col),
  };
}

/** Rows [r0, r1) of a builder's column. */
function rowsOf(col: LeafColumn, r0: number, r1: number): LeafColumn {
  const [, tail] = splitRows([col], r0);
  return splitRows(tail, r1 - r0)[0][0];
}

/** Every chunk of every row group decoded; each checked against the builder's column. */
function decodeAll(bytes: Uint8Array, footer: ParquetFooter, batch: ColumnBatch): LeafColumn[][] {
  const groups: LeafColumn[][] = [];
  let r0 = 0;
  for (const g of footer.rowGroups) {
    const cols = g.columns.map((chunk, c) => decodeColumnChunk(bytes, chunk, batch.columns[c]));
    cols.forEach((col, c) => {
      const want = batch.columns[c];
      assert.deepEqual(view(col), view(rowsOf(want, r0, r0 + g.numRows)), `row group starting at row ${r0}, column ${want.columnPath}`);
      // a string column keeps its dictionary, entry for entry (each row group carries the batch's)
      assert.equal(col.dict !== null, want.dict !== null, want.columnPath);
      if (col.dict && want.dict) {
        const entries = (d: typeof col.dict) => Array.from({ length: d.size }, (_, k) => Buffer.from(d.data.subarray(d.offsets[k], d.offsets[k + 1])).toString('utf8'));
        assert.deepEqual(entries(col.dict), entries(want.dict), want.columnPath);
      }
    });
    groups.push(cols);
    r0 += g.numRows;
  }
  return groups;
}

function joined(groups: LeafColumn[][]): LeafColumn[] {
  return groups[0].map((_, c) => concatLeafColumns(groups.map((g) => g[c])));
}

function rows(bytes: Uint8Array): string[] {
  const t = arrow.tableFromIPC(pw.readParquet(bytes).intoIPCStream());
  return t.toArray().map((r) => JSON.stringify(r.toJSON(), (_k, v) => (typeof v === 'bigint' ? String(v) : typeof v === 'number' && !Number.isFinite(v) ? String(v) : Object.is(v, -0) ? '-0' : v)));
}

test('every chunk of every codec and type decodes to the builder column; joined and re-encoded the rows read back the same', () => {
  const r = rng(7);
  const records = Array.from({ length: 300 }, (_, i) => record(i, r));
  const batch = build(SCHEMA, records);
  assert.ok(batch.columns.some((c) => c.dict !== null) && batch.columns.some((c) => c.kind === 'bytes' && c.dict === null), 'dictionary and plain strings');
  for (const compression of CODECS) {
    const { bytes } = encodeParquet(SCHEMA, batch, { compression, rowGroupRows: 37, pageBytes: 512 });
    const footer = readFooter(bytes);
    assert.equal(footer.rowGroups.length, 9);
    const groups = decodeAll(bytes, footer, batch);
    const all = joined(groups);
    all.forEach((c, i) => assert.deepEqual(view(c), view(batch.columns[i]), `${compression} ${c.columnPath}`));
    const again = encodeParquet(SCHEMA, { tableName: 't', rowCount: records.length, columns: all }, { compression: 'zstd' });
    assert.deepEqual(rows(again.bytes), rows(bytes), compression);
  }
});

test('the chunk footer (read without a tree) says what readFooter says of each chunk', () => {
  const r = rng(13);
  const batch = build(
    SCHEMA,
    Array.from({ length: 120 }, (_, i) => record(i, r)),
  );
  for (const compression of CODECS) {
    const { bytes } = encodeParquet(SCHEMA, batch, { compression, rowGroupRows: 50 });
    const full = readFooter(bytes);
    const lean = scanFileFooter(bytes);
    assert.equal(lean.createdBy, full.createdBy);
    assert.equal(lean.encrypted, false);
    assert.ok(fieldBytes(lean, 2)!.length > 0);
    assert.deepEqual(
      lean.rowGroups.map((g) => ({ numRows: g.numRows, columns: g.columns })),
      full.rowGroups.map((g) => ({
        numRows: g.numRows,
        columns: g.columns.map((c) => ({
          type: c.type,
          path: c.path,
          codec: c.codec,
          numValues: c.numValues,
          totalCompressedSize: c.totalCompressedSize,
          dataPageOffset: c.dataPageOffset,
          ...(c.dictionaryPageOffset === undefined ? {} : { dictionaryPageOffset: c.dictionaryPageOffset }),
        })),
      })),
    );
  }
  const { bytes } = encodeParquet(SCHEMA, batch);
  assert.throws(() => scanFileFooter(bytes.subarray(1)), ParquetFooterError);
  const cut = bytes.slice();
  cut.fill(0xff, cut.length - 200, cut.length - 8); // the footer's end overwritten
  assert.throws(() => scanFileFooter(cut), ParquetFooterError);
});

test('files joined: dictionaries merged (only used entries), or plain past the builder limits; rows in order', () => {
  // "uniq": 2 × 3000 distinct values, each file keeps its dictionary, together past DICT_PROBE
  const schema: Schema = {
    type: 'struct',
    'schema-id': 0,
    fields: [
      { id: 1, name: 'c', required: false, type: 'string' },
      { id: 2, name: 'uniq', required: true, type: 'string' },
      { id: 3, name: 'tags', required: false, type: { type: 'list', 'element-id': 4, element: 'string', 'element-required': false } },
    ],
  };
  const cats = ['red', 'green', 'blue', 'cyan'];
  const mk = (from: number, n: number, catFrom: number) =>
    Array.from({ length: n }, (_, k) => ({
      c: k % 7 === 0 ? null : cats[(catFrom + k) % cats.length],
      uniq: `value-${from + k}`,
      tags: k % 5 === 0 ? null : k % 5 === 1 ? [] : [cats[k % 2], null, `t${k % 3}`],
    }));
  const parts = [mk(0, 3000, 0), mk(3000, 3000, 2), mk(100, 50, 1)];
  const batches = parts.map((p) => build(schema, p));
  for (const b of batches)
    assert.ok(
      b.columns.every((c) => c.dict !== null),
      'each file keeps its dictionaries',
    );
  const files = batches.map((b) => encodeParquet(schema, b, { compression: 'snappy', rowGroupRows: 1000 }));
  const groups = files.flatMap((f, i) => decodeAll(f.bytes, readFooter(f.bytes), batches[i]));
  const all = joined(groups);
  const want = build(schema, parts.flat());
  all.forEach((c, i) => assert.deepEqual(view(c), view(want.columns[i]), c.columnPath));
  // c: one dictionary of the 4 colours, each once, in order of first use; uniq: plain, as the builder would have it
  assert.deepEqual(
    Array.from({ length: all[0].dict!.size }, (_, k) => Buffer.from(all[0].dict!.data.subarray(all[0].dict!.offsets[k], all[0].dict!.offsets[k + 1])).toString()),
    ['green', 'blue', 'cyan', 'red'],
  );
  assert.equal(all[1].dict, null);
  assert.equal(want.columns[1].dict, null);
  assert.ok(all[1].valueCount > DICT_PROBE);
  const again = encodeParquet(schema, { tableName: 't', rowCount: want.rowCount, columns: all });
  assert.deepEqual(
    rows(again.bytes),
    files.flatMap((f) => rows(f.bytes)),
  );
  // a row group of a file cut in three carries the file's whole dictionary: the join keeps only what its rows use
  const piece = groups[1][1];
  assert.equal(piece.dict!.size, 3000);
  assert.equal(joined([groups[1]])[1].dict!.size, 1000);
  assert.ok(leafColumnBytes(piece) < piece.valueCount * 4 + piece.dict!.data.length + piece.dict!.size * 4, 'the estimate counts at most one entry per value');
  // a file whose builder gave its dictionary up: plain strings decoded
  assert.equal(want.columns[1].dict, null);
  const big = encodeParquet(schema, want, { compression: 'gzip', rowGroupRows: 2500 });
  const bigGroups = decodeAll(big.bytes, readFooter(big.bytes), want);
  assert.equal(bigGroups[0][1].dict, null);
  assert.ok(bigGroups[0][0].dict !== null);
  // plain pieces and dictionary pieces joined: plain strings, the values in order
  const mixed = joined([groups[0], bigGroups[1], groups[4]]);
  assert.equal(mixed[1].dict, null);
  assert.deepEqual(mixed[1].values && valuesOf(mixed[1]), [...valuesOf(groups[0][1]), ...valuesOf(bigGroups[1][1]), ...valuesOf(groups[4][1])]);
  assert.deepEqual(valuesOf(mixed[2]), [...valuesOf(groups[0][2]), ...valuesOf(bigGroups[1][2]), ...valuesOf(groups[4][2])]);
});

test('splitRows and rowStart cut nested columns at record boundaries', () => {
  const r = rng(11);
  const records = Array.from({ length: 50 }, (_, i) => record(i, r));
  const batch = build(SCHEMA, records);
  for (const at of [0, 1, 17, 49, 50]) {
    const [head, tail] = splitRows(batch.columns, at);
    const back = head.map((h, c) => concatLeafColumns([h, tail[c]]));
    back.forEach((c, i) => assert.deepEqual(view(c), view(batch.columns[i])));
    const again = encodeParquet(SCHEMA, { tableName: 't', rowCount: at, columns: head.map((h) => concatLeafColumns([h])) });
    assert.deepEqual(rows(again.bytes), rows(encodeParquet(SCHEMA, build(SCHEMA, records.slice(0, at))).bytes));
  }
  const ls = batch.columns.find((c) => c.columnPath === 'ls.element.y.element')!;
  assert.deepEqual(rowStart(ls, 50), { level: ls.levelCount, value: ls.valueCount });
});

test('random records, random row groups, codecs and page sizes (seeded)', () => {
  const r = rng(20240611);
  for (let round = 0; round < 12; round++) {
    const n = 1 + Math.floor(r() * 400);
    const records = Array.from({ length: n }, (_, i) => record(i, r));
    const files: { bytes: Uint8Array; batch: ColumnBatch }[] = [];
    for (let at = 0; at < n;) {
      const k = Math.min(n - at, 1 + Math.floor(r() * 150));
      const batch = build(SCHEMA, records.slice(at, at + k));
      const compression = CODECS[Math.floor(r() * CODECS.length)];
      const { bytes } = encodeParquet(SCHEMA, batch, { compression, rowGroupRows: 1 + Math.floor(r() * 60), pageBytes: 64 + Math.floor(r() * 4096) });
      files.push({ bytes, batch });
      at += k;
    }
    const groups = files.flatMap((f) => decodeAll(f.bytes, readFooter(f.bytes), f.batch));
    const all = joined(groups);
    const want = build(SCHEMA, records);
    all.forEach((c, i) => assert.deepEqual(view(c), view(want.columns[i]), `round ${round} ${c.columnPath}`));
    if (round % 4 === 0) {
      const again = encodeParquet(SCHEMA, { tableName: 't', rowCount: n, columns: all });
      assert.deepEqual(
        rows(again.bytes),
        files.flatMap((f) => rows(f.bytes)),
      );
    }
  }
});

// ---- pages floe does not write ----

/** The file with the first page header of column `c` (row group 0) changed by `edit` (to the same length). */
function patchPage(bytes: Uint8Array, c: number, edit: (h: ThriftStruct) => void): Uint8Array {
  const footer = readFooter(bytes);
  const chunk = footer.rowGroups[0].columns[c];
  const at = chunk.dictionaryPageOffset ?? chunk.dataPageOffset;
  const { struct, end } = readThriftStruct(bytes, at);
  edit(struct);
  const header = encodeThriftStruct(struct);
  assert.equal(header.length, end - at);
  const out = bytes.slice();
  out.set(header, at);
  return out;
}

test('pages, encodings and codecs floe does not write throw UnsupportedPageError; bad bytes PageDecodeError', () => {
  const schema: Schema = {
    type: 'struct',
    'schema-id': 0,
    fields: [
      { id: 1, name: 'n', required: false, type: 'int' },
      { id: 2, name: 's', required: false, type: 'string' },
    ],
  };
  const batch = build(
    schema,
    Array.from({ length: 20 }, (_, i) => ({ n: i, s: `s${i % 3}` })),
  );
  const { bytes } = encodeParquet(schema, batch, { compression: 'uncompressed' });
  const footer = readFooter(bytes);
  const [n, s] = footer.rowGroups[0].columns;
  assert.deepEqual(valuesOf(decodeColumnChunk(bytes, n, batch.columns[0])), valuesOf(batch.columns[0]));

  const field = (h: ThriftStruct, id: number) => h.fields.get(id)!;
  const v2 = patchPage(bytes, 0, (h) => (field(h, 1).value = 3)); // DATA_PAGE_V2
  assert.throws(
    () => decodeColumnChunk(v2, n, batch.columns[0]),
    (e) => e instanceof UnsupportedPageError && /page type 3/.test(e.message),
  );
  const delta = patchPage(bytes, 0, (h) => ((field(h, 5).value as ThriftStruct).fields.get(2)!.value = 5)); // DELTA_BINARY_PACKED
  assert.throws(
    () => decodeColumnChunk(delta, n, batch.columns[0]),
    (e) => e instanceof UnsupportedPageError && /encoding 5/.test(e.message),
  );
  const bitPacked = patchPage(bytes, 0, (h) => ((field(h, 5).value as ThriftStruct).fields.get(3)!.value = 4)); // BIT_PACKED levels
  assert.throws(() => decodeColumnChunk(bitPacked, n, batch.columns[0]), UnsupportedPageError);
  const dictDelta = patchPage(bytes, 1, (h) => ((field(h, 7).value as ThriftStruct).fields.get(2)!.value = 6)); // dictionary page not PLAIN
  assert.throws(() => decodeColumnChunk(dictDelta, s, batch.columns[1]), UnsupportedPageError);
  // PLAIN_DICTIONARY (2), the old name of a dictionary encoding, is taken
  const oldDict = patchPage(bytes, 1, (h) => ((field(h, 7).value as ThriftStruct).fields.get(2)!.value = 2));
  assert.deepEqual(valuesOf(decodeColumnChunk(oldDict, s, batch.columns[1])), valuesOf(batch.columns[1]));
  assert.throws(
    () => decodeColumnChunk(bytes, { ...n, codec: 4 }, batch.columns[0]),
    (e) => e instanceof UnsupportedPageError && /codec 4/.test(e.message),
  );
  assert.throws(() => decodeColumnChunk(bytes, { ...n, filePath: 'other.parquet' }, batch.columns[0]), UnsupportedPageError);
  // malformed: sizes that do not add up
  assert.throws(() => decodeColumnChunk(bytes, { ...n, numValues: 21 }, batch.columns[0]), PageDecodeError);
  assert.throws(() => decodeColumnChunk(bytes, { ...n, totalCompressedSize: bytes.length }, batch.columns[0]), PageDecodeError);
  assert.throws(() => decodeColumnChunk(bytes, { ...n, codec: 6 }, batch.columns[0]), PageDecodeError);
  // a chunk of other rows than its row group's
  assert.equal(decodeColumnChunk(bytes, n, batch.columns[0], 20).levelCount, 20);
  assert.throws(() => decodeColumnChunk(bytes, n, batch.columns[0], 19), /holds 20 rows, its row group 19/);
});

// ---- the hybrid and Snappy ----

test('RLE/bit-packed hybrid: what encodeRleHybrid writes decodes back, every width', () => {
  const r = rng(3);
  for (let width = 0; width <= 24; width++) {
    for (const n of [0, 1, 7, 8, 9, 100, 1000]) {
      const max = width === 0 ? 0 : 2 ** width - 1;
      const values = new Int32Array(n);
      for (let i = 0; i < n;) {
        // runs and noise
        const run = r() < 0.3 ? 1 + Math.floor(r() * 40) : 1;
        const v = Math.floor(r() * (max + 1));
        for (let k = 0; k < run && i < n; k++) values[i++] = v;
      }
      const w = new ByteWriter(16);
      w.u8(0xee); // decoding starts at an offset
      encodeRleHybrid(values, 0, n, width, w);
      const bytes = w.result();
      const out = new Int32Array(n + 2);
      const end = decodeRleHybrid(bytes, 1, bytes.length, width, n, out, 1);
      assert.equal(end, bytes.length, `width ${width} n ${n}`);
      assert.deepEqual([...out.subarray(1, n + 1)], [...values], `width ${width} n ${n}`);
      if (width <= 8) {
        const levels = new Uint8Array(n);
        decodeRleHybrid(bytes, 1, bytes.length, width, n, levels, 0);
        assert.deepEqual([...levels], [...values]);
      }
    }
  }
  // 32 bits (the encoder packs up to 24): one bit-packed group by hand
  const wide = [0xffffffff, 0, 1, 0x80000000, 0x12345678, 7, 0xdeadbeef, 42];
  const packed = new Uint8Array(1 + 32);
  packed[0] = 3;
  wide.forEach((v, i) => new DataView(packed.buffer).setUint32(1 + 4 * i, v, true));
  const out32 = new Int32Array(8);
  decodeRleHybrid(packed, 0, packed.length, 32, 8, out32, 0);
  assert.deepEqual(
    [...out32],
    wide.map((v) => v | 0),
  );
  assert.throws(() => decodeRleHybrid(Uint8Array.of(0x03), 0, 1, 3, 8, new Int32Array(8), 0), /beyond the end/);
  assert.throws(() => decodeRleHybrid(new Uint8Array(0), 0, 0, 1, 1, new Int32Array(1), 0), /ends after 0 of 1/);
});

test('Snappy: what snappyCompress writes decodes back; copies of 1 and 4 byte offsets, overlapping copies', () => {
  const r = rng(5);
  for (const n of [0, 1, 5, 60, 61, 300, 70_000, 200_000]) {
    const src = new Uint8Array(n);
    for (let i = 0; i < n; i++) src[i] = r() < 0.7 && i > 8 ? src[i - 1 - Math.floor(r() * 8)] : Math.floor(r() * 256);
    assert.deepEqual(snappyDecompress(snappyCompress(src)), src, `${n} bytes`);
  }
  // "abcd" then copy1 (len 8, offset 4) then copy4 (len 3, offset 2): overlapping copies repeat
  const block = Uint8Array.of(15, 3 << 2, 97, 98, 99, 100, ((8 - 4) << 2) | 1, 4, ((3 - 1) << 2) | 3, 2, 0, 0, 0);
  assert.equal(Buffer.from(snappyDecompress(block)).toString(), 'abcdabcdabcdcdc');
  assert.throws(() => snappyDecompress(Uint8Array.of(10, 0, 97)), /header says 10|beyond/);
  assert.throws(() => snappyDecompress(Uint8Array.of(4, ((4 - 4) << 2) | 1, 1)), /bad copy/);
});
