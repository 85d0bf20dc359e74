// Stitch (src/maintenance/stitch.ts): files floe's encoder wrote, joined by copying row groups
// under a new footer; the result read by an independent reader (arrow-rs through parquet-wasm)
// row for row, its footer's offsets checked, and the merged Iceberg metrics (merge-metrics.ts)
// against the metrics the encoder gives for the same rows in one file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm/node';
import { RecordBatchBuilder } from '../../src/batch/record-batch.ts';
import type { DataFile, DataFileMetrics } from '../../src/iceberg/data-file.ts';
import { toSingleValue } from '../../src/iceberg/single-value.ts';
import type { Schema } from '../../src/iceberg/types.ts';
import type { FileIO } from '../../src/io/file-io.ts';
import { NotFoundError } from '../../src/io/file-io.ts';
import { compareBounds, mergeMetrics } from '../../src/maintenance/merge-metrics.ts';
import { NotStitchableError, stitchDataFiles, stitchParquet } from '../../src/maintenance/stitch.ts';
import { CREATED_BY, encodeParquet } from '../../src/parquet/encode.ts';
import type { EncodeOptions } from '../../src/parquet/encode.ts';
import { readFooter } from '../../src/parquet/footer.ts';

const schema: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 's', required: false, type: 'string' },
    { id: 3, name: 'd', required: false, type: 'double' },
    { id: 4, name: 'dec', required: false, type: 'decimal(9, 2)' },
    { id: 5, name: 'tags', required: false, type: { type: 'list', 'element-id': 6, element: 'string', 'element-required': true } },
    { id: 7, name: 'st', required: false, type: { type: 'struct', fields: [{ id: 8, name: 'x', required: false, type: 'int' }] } },
  ],
};

function record(i: number): Record<string, unknown> {
  return {
    id: BigInt(i),
    s: i % 5 === 0 ? null : `value-${i}-${'é'.repeat(i % 20)}`,
    d: i % 7 === 0 ? NaN : i % 11 === 0 ? null : (i - 40) / 3,
    dec: `${i - 30}.${String(i % 100).padStart(2, '0')}`,
    tags: i % 6 === 0 ? null : Array.from({ length: i % 3 }, (_, k) => `t${k}`),
    st: i % 9 === 0 ? null : { x: i % 4 === 0 ? null : -i },
  };
}

function encode(ids: number[], options: EncodeOptions = {}) {
  const b = new RecordBatchBuilder(schema, 't');
  for (const i of ids) b.append(record(i));
  return encodeParquet(schema, b.finish(), options);
}

const range = (a: number, n: number) => Array.from({ length: n }, (_, k) => a + k);

function rows(bytes: Uint8Array): unknown[] {
  const t = arrow.tableFromIPC(pw.readParquet(bytes).intoIPCStream());
  return t.toArray().map((r) => JSON.stringify(r.toJSON(), (_k, v) => (typeof v === 'bigint' ? String(v) : typeof v === 'number' && Number.isNaN(v) ? 'NaN' : v)));
}

/** A FileIO in memory (no create(): openOutput collects the pieces). */
function memoryIO(): FileIO & { files: Map<string, Uint8Array>; ranged: number; whole: number } {
  const files = new Map<string, Uint8Array>();
  const io = {
    files,
    ranged: 0,
    whole: 0,
    async read(l: string) {
      io.whole++;
      return io.get(l);
    },
    get(l: string) {
      const b = files.get(l);
      if (!b) throw new NotFoundError(l);
      return b;
    },
    async readRange(l: string, off: number, len: number) {
      io.ranged++;
      const b = io.get(l);
      const start = off < 0 ? b.length + off : off;
      return b.subarray(start, start + len);
    },
    async write(l: string, d: Uint8Array) {
      files.set(l, d.slice());
    },
    async exists(l: string) {
      return files.has(l);
    },
    async delete(l: string) {
      files.delete(l);
    },
    async *list() {},
  };
  return io;
}

function dataFile(path: string, size: number, m: DataFileMetrics): DataFile {
  return { content: 0, 'file-path': path, 'file-format': 'PARQUET', partition: [], 'file-size-in-bytes': size, ...m };
}

const PARTS = [range(0, 37), range(37, 50), range(87, 13)];

test('stitch of 3 files: every row group copied, offsets shifted, rows read back the same', async () => {
  const inputs = PARTS.map((ids) => encode(ids, { rowGroupRows: 16 }));
  const io = memoryIO();
  const out = await stitchParquet(
    io,
    inputs.map((x) => ({ bytes: x.bytes })),
    'mem://out.parquet',
  );
  const bytes = io.files.get('mem://out.parquet')!;
  assert.equal(out.size, bytes.length);
  assert.equal(out.numRows, 100);
  const footer = readFooter(bytes);
  assert.equal(footer.numRows, 100);
  assert.equal(footer.createdBy, CREATED_BY);
  const inFooters = inputs.map((x) => readFooter(x.bytes));
  assert.equal(
    footer.rowGroups.length,
    inFooters.reduce((n, f) => n + f.rowGroups.length, 0),
  );
  assert.deepEqual(
    footer.rowGroups.map((g) => g.numRows),
    inFooters.flatMap((f) => f.rowGroups.map((g) => g.numRows)),
  );
  assert.deepEqual(footer.schema, inFooters[0].schema);
  assert.deepEqual(footer.keyValueMetadata, inFooters[0].keyValueMetadata);
  // Row groups back to back from byte 4; each chunk's pages are the input's, byte for byte.
  let at = 4;
  const inGroups = inFooters.flatMap((f, i) => f.rowGroups.map((g) => ({ g, bytes: inputs[i].bytes })));
  footer.rowGroups.forEach((g, k) => {
    assert.equal(g.fileOffset, at);
    assert.equal(out.rowGroupOffsets[k], at);
    const src = inGroups[k];
    g.columns.forEach((c, j) => {
      const o = src.g.columns[j];
      const delta = at - src.g.fileOffset!;
      assert.equal(c.fileOffset, o.fileOffset + delta);
      assert.equal(c.dataPageOffset, o.dataPageOffset + delta);
      assert.equal(c.dictionaryPageOffset, o.dictionaryPageOffset === undefined ? undefined : o.dictionaryPageOffset + delta);
      assert.deepEqual(c.statistics, o.statistics);
      assert.equal(c.totalCompressedSize, o.totalCompressedSize);
      const start = Math.min(c.dataPageOffset, c.dictionaryPageOffset ?? Infinity);
      const ostart = Math.min(o.dataPageOffset, o.dictionaryPageOffset ?? Infinity);
      assert.deepEqual(bytes.subarray(start, start + c.totalCompressedSize), src.bytes.subarray(ostart, ostart + o.totalCompressedSize));
    });
    at += g.totalCompressedSize!;
  });
  // An independent reader sees the rows of the three files, in order.
  assert.deepEqual(rows(bytes), [...inputs.flatMap((x) => rows(x.bytes))]);
  assert.deepEqual(rows(bytes), rows(encode(range(0, 100)).bytes));
});

for (const how of ['ranged', 'whole'] as const) {
  test(`stitchDataFiles: from FileIO locations, ${how} reads, metrics merged like one file of all rows`, async () => {
    const io = memoryIO();
    const inputs = PARTS.map((ids, i) => {
      const r = encode(ids, { rowGroupRows: 20 });
      io.files.set(`mem://in${i}.parquet`, r.bytes);
      return dataFile(`mem://in${i}.parquet`, r.bytes.length, r.metrics);
    });
    // small inputs are read whole, once each; larger ones (here: a threshold of 0) by ranges
    const { dataFile: out, stitched } = await stitchDataFiles(io, schema, inputs, 'mem://out.parquet', how === 'ranged' ? { wholeReadBytes: 0 } : {});
    if (how === 'ranged') assert.ok(io.ranged > 0 && io.whole === 0, `read by ranges (${io.ranged} ranged, ${io.whole} whole)`);
    else assert.ok(io.ranged === 0 && io.whole === inputs.length, `one whole read per input (${io.ranged} ranged, ${io.whole} whole)`);
    const all = encode(range(0, 100)).metrics;
    assert.equal(out['record-count'], 100);
    assert.equal(out['file-size-in-bytes'], io.files.get('mem://out.parquet')!.length);
    assert.deepEqual(out['split-offsets'], stitched.rowGroupOffsets);
    assert.deepEqual(
      out['split-offsets'],
      readFooter(io.files.get('mem://out.parquet')!).rowGroups.map((g) => g.fileOffset),
    );
    for (const k of ['value-counts', 'null-value-counts', 'nan-value-counts', 'lower-bounds', 'upper-bounds'] as const) {
      assert.deepEqual(out[k], all[k], k);
    }
    const sizes = new Map<number, number>();
    for (const f of inputs) for (const [id, v] of f['column-sizes']!) sizes.set(id, (sizes.get(id) ?? 0) + v);
    assert.deepEqual(out['column-sizes'], sizes);
  });
}

test('stitch refuses files that differ, before writing anything', async () => {
  const io = memoryIO();
  const zstd = encode(range(0, 10), { compression: 'zstd' });
  const snappy = encode(range(10, 10), { compression: 'snappy' });
  await assert.rejects(stitchParquet(io, [{ bytes: zstd.bytes }, { bytes: snappy.bytes }], 'mem://x'), (e: unknown) => e instanceof NotStitchableError && /codecs/.test(e.reason));
  const other: Schema = { ...schema, fields: schema.fields.map((f) => (f.id === 2 ? { ...f, id: 99 } : f)) };
  const b = new RecordBatchBuilder(other, 't');
  b.append(record(1));
  const otherFile = encodeParquet(other, b.finish());
  await assert.rejects(stitchParquet(io, [{ bytes: zstd.bytes }, { bytes: otherFile.bytes }], 'mem://x'), (e: unknown) => e instanceof NotStitchableError && /schema elements/.test(e.reason));
  assert.equal(io.files.size, 0);
});

test('metrics merge: sums, bounds by type, unknown counts and missing bounds', () => {
  const s: Schema = {
    type: 'struct',
    'schema-id': 0,
    fields: [
      { id: 1, name: 'i', required: false, type: 'int' },
      { id: 2, name: 'f', required: false, type: 'float' },
      { id: 3, name: 'dec', required: false, type: 'decimal(38, 2)' },
      { id: 4, name: 's', required: false, type: 'string' },
      { id: 5, name: 'ts', required: false, type: 'timestamp' },
    ],
  };
  const sv = (t: string, v: unknown) => toSingleValue(t as never, v);
  const f = (m: Partial<DataFile>): DataFile => ({ content: 0, 'file-path': 'x', 'file-format': 'PARQUET', partition: [], 'record-count': 0, 'file-size-in-bytes': 0, ...m });
  const a = f({
    'record-count': 3,
    'column-sizes': new Map([
      [1, 10],
      [2, 5],
    ]),
    'value-counts': new Map([
      [1, 3],
      [2, 3],
      [3, 3],
      [4, 3],
      [5, 3],
    ]),
    'null-value-counts': new Map([
      [1, 0],
      [2, 0],
      [3, 0],
      [4, 0],
      [5, 3],
    ]),
    'lower-bounds': new Map([
      [1, sv('int', -5)],
      [2, sv('float', 0)],
      [3, sv('decimal(38, 2)', -200n)],
      [4, sv('string', 'abc')],
    ]),
    'upper-bounds': new Map([
      [1, sv('int', 7)],
      [2, sv('float', 1.5)],
      [3, sv('decimal(38, 2)', 5n)],
      [4, sv('string', 'zz')],
    ]),
  });
  const b = f({
    'record-count': 2,
    'column-sizes': new Map([[1, 4]]),
    'value-counts': new Map([
      [1, 2],
      [2, 2],
      [3, 2],
      [4, 2],
      [5, 2],
    ]),
    'null-value-counts': new Map([
      [1, 0],
      [2, 0],
      [3, 0],
      [4, 0],
      [5, 0],
    ]),
    'lower-bounds': new Map([
      [1, sv('int', 300)],
      [2, sv('float', -0)],
      [3, sv('decimal(38, 2)', -100000n)],
      [4, sv('string', 'ab')], // a truncated lower bound: a prefix, smaller
      [5, sv('timestamp', 10n)],
    ]),
    'upper-bounds': new Map([
      [1, sv('int', 300)],
      [2, sv('float', 0)],
      [3, sv('decimal(38, 2)', 1n)],
      [4, sv('string', 'zz\u{1F600}')], // astral: larger in UTF-8 order
      [5, sv('timestamp', 20n)],
    ]),
  });
  const m = mergeMetrics(s, [a, b], [4, 100]);
  assert.equal(m['record-count'], 5);
  assert.deepEqual(m['column-sizes'], new Map([[1, 14]]), 'a column size missing from one input is unknown');
  assert.deepEqual(m['value-counts'].get(1), 5);
  assert.deepEqual(m['null-value-counts'].get(5), 3);
  assert.deepEqual(m['lower-bounds'].get(1), sv('int', -5));
  assert.deepEqual(m['upper-bounds'].get(1), sv('int', 300), 'ints by value, not bytes');
  assert.deepEqual(m['lower-bounds'].get(2), sv('float', -0), '-0 is below 0');
  assert.deepEqual(m['upper-bounds'].get(2), sv('float', 1.5));
  assert.deepEqual(m['lower-bounds'].get(3), sv('decimal(38, 2)', -100000n));
  assert.deepEqual(m['upper-bounds'].get(3), sv('decimal(38, 2)', 5n));
  assert.deepEqual(m['lower-bounds'].get(4), sv('string', 'ab'));
  assert.deepEqual(m['upper-bounds'].get(4), sv('string', 'zz\u{1F600}'));
  // ts: input a is all nulls (no bound, provably empty): b's bounds stand
  assert.deepEqual(m['lower-bounds'].get(5), sv('timestamp', 10n));
  assert.deepEqual(m['split-offsets'], [4, 100]);
  // an input without a bound that may hold values (its upper bound could not be truncated): no bound
  const c = f({ 'record-count': 1, 'value-counts': new Map([[4, 1]]), 'null-value-counts': new Map([[4, 0]]), 'lower-bounds': new Map([[4, sv('string', 'a')]]) });
  const m2 = mergeMetrics(s, [a, c], []);
  assert.deepEqual(m2['lower-bounds'].get(4), sv('string', 'a'));
  assert.equal(m2['upper-bounds'].has(4), false);
  assert.ok(compareBounds('uuid', sv('uuid', '80000000-0000-0000-0000-000000000000'), sv('uuid', '7fffffff-0000-0000-0000-000000000000')) > 0);
});

test('compareBounds orders int, date, long and timestamp bounds by value, negatives and extremes included', () => {
  const sv = (t: string, v: unknown) => toSingleValue(t as never, v);
  const ints = [-(2 ** 31), -65536, -256, -1, 0, 1, 255, 256, 65535, 2 ** 31 - 1];
  for (const t of ['int', 'date']) for (const x of ints) for (const y of ints) assert.equal(Math.sign(compareBounds(t as never, sv(t, x), sv(t, y))), Math.sign(x - y), `${t} ${x} vs ${y}`);
  const longs = [-(2n ** 63n), -(2n ** 32n) - 1n, -(2n ** 32n), -(2n ** 31n), -1n, 0n, 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 32n + 1n, 2n ** 63n - 1n];
  for (const t of ['long', 'timestamp', 'timestamptz', 'time'])
    for (const x of longs) {
      if (t === 'time' && (x < 0n || x > 86_400_000_000n)) continue;
      for (const y of longs) {
        if (t === 'time' && (y < 0n || y > 86_400_000_000n)) continue;
        assert.equal(compareBounds(t as never, sv(t, x), sv(t, y)), x < y ? -1 : x > y ? 1 : 0, `${t} ${x} vs ${y}`);
      }
    }
});
