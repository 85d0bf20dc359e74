// src/parquet/footer-layout.ts: the footer layout a stitch reads without building a tree, and the
// stitched footer it writes, judged by footer.ts's tree decoder (an independent reading of the
// same bytes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecordBatchBuilder } from '../../src/batch/record-batch.ts';
import type { Schema } from '../../src/iceberg/types.ts';
import { CREATED_BY, encodeParquet } from '../../src/parquet/encode.ts';
import type { EncodeOptions } from '../../src/parquet/encode.ts';
import { decodeFooter, footerLength, readFooter } from '../../src/parquet/footer.ts';
import { fieldBytes, scanFileFooter, writeStitchedFooter } from '../../src/parquet/footer-layout.ts';
import { encodeThriftStruct } from '../../src/parquet/thrift-reader.ts';
import type { ThriftField, ThriftList, ThriftStruct } from '../../src/parquet/thrift-reader.ts';
import { CT } from '../../src/parquet/thrift.ts';

const schema: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 's', required: false, type: 'string' },
    { id: 3, name: 'tags', required: false, type: { type: 'list', 'element-id': 4, element: 'string', 'element-required': true } },
    { id: 5, name: 'st', required: false, type: { type: 'struct', fields: [{ id: 6, name: 'x', required: false, type: 'int' }] } },
  ],
};

function file(n: number, options: EncodeOptions = {}): Uint8Array {
  const b = new RecordBatchBuilder(schema, 't');
  for (let i = 0; i < n; i++) b.append({ id: BigInt(i * 1_000_003), s: i % 4 === 0 ? null : `s${i}`, tags: i % 3 === 0 ? null : [`t${i}`], st: { x: i % 5 === 0 ? null : -i } });
  return encodeParquet(schema, b.finish(), options).bytes;
}

const footerBytes = (bytes: Uint8Array) => {
  const n = footerLength(bytes, bytes.length);
  return bytes.subarray(bytes.length - 8 - n, bytes.length - 8);
};

for (const [name, options] of [
  ['one row group', {}],
  ['many row groups', { rowGroupRows: 7 }],
  ['uncompressed, 20 row groups', { compression: 'uncompressed', rowGroupRows: 5 }],
] as [string, EncodeOptions][]) {
  test(`scanFileFooter reads what the tree decoder reads (${name})`, () => {
    const bytes = file(100, options);
    const tree = readFooter(bytes);
    const layout = scanFileFooter(bytes);
    assert.equal(layout.numRows, tree.numRows);
    assert.equal(layout.createdBy, tree.createdBy);
    assert.equal(layout.encrypted, false);
    assert.equal(layout.unstitchable, undefined);
    assert.equal(layout.rowGroups.length, tree.rowGroups.length);
    layout.rowGroups.forEach((g, i) => {
      const t = tree.rowGroups[i];
      assert.equal(g.numRows, t.numRows);
      assert.deepEqual(
        g.codecs,
        t.columns.map((c) => c.codec),
      );
      assert.equal(
        g.compressedBytes,
        t.columns.reduce((s, c) => s + c.totalCompressedSize, 0),
      );
      assert.equal(g.start, Math.min(t.columns[0].dataPageOffset, t.columns[0].dictionaryPageOffset ?? Infinity));
      assert.equal(g.end, g.start + g.compressedBytes);
    });
    // the schema field's bytes are the tree's schema field, encoded alone
    const schemaField = tree.raw.fields.get(2)!;
    const alone = encodeThriftStruct({ kind: 'struct', fields: new Map([[2, schemaField]]) });
    assert.deepEqual(fieldBytes(layout, 2), alone.subarray(1, alone.length - 1));
  });
}

test('writeStitchedFooter: row groups of several files moved and renumbered, every other field as it was', () => {
  const inputs = [file(30, { rowGroupRows: 8 }), file(50), file(12, { rowGroupRows: 5 })];
  const layouts = inputs.map((f) => scanFileFooter(f));
  let at = 4;
  const placed = layouts.flatMap((layout) =>
    layout.rowGroups.map((group) => {
      const p = { layout, group, at };
      at += group.end - group.start;
      return p;
    }),
  );
  const out = decodeFooter(writeStitchedFooter(layouts[0], placed, 92, CREATED_BY));
  const trees = inputs.map(readFooter);
  assert.equal(out.numRows, 92);
  assert.equal(out.createdBy, CREATED_BY);
  assert.deepEqual(out.schema, trees[0].schema);
  assert.deepEqual(out.keyValueMetadata, trees[0].keyValueMetadata);
  assert.equal(out.version, trees[0].version);
  const want = trees.flatMap((t) => t.rowGroups);
  assert.equal(out.rowGroups.length, want.length);
  out.rowGroups.forEach((g, k) => {
    const w = want[k];
    const delta = placed[k].at - placed[k].group.start;
    assert.equal(g.numRows, w.numRows);
    assert.equal(g.totalByteSize, w.totalByteSize);
    if (w.fileOffset !== undefined) assert.equal(g.fileOffset, w.fileOffset + delta);
    if (w.ordinal !== undefined) assert.equal(g.ordinal, k);
    g.columns.forEach((c, j) => {
      const o = w.columns[j];
      assert.deepEqual(
        { ...c, fileOffset: c.fileOffset - delta, dataPageOffset: c.dataPageOffset - delta, dictionaryPageOffset: c.dictionaryPageOffset === undefined ? undefined : c.dictionaryPageOffset - delta },
        { ...o, dictionaryPageOffset: o.dictionaryPageOffset },
        `row group ${k} column ${j}`,
      );
    });
  });
  // one input at its own offsets: the very same footer bytes back
  const one = scanFileFooter(inputs[1]);
  const same = writeStitchedFooter(
    one,
    one.rowGroups.map((group) => ({ layout: one, group, at: group.start })),
    one.numRows,
    one.createdBy!,
  );
  assert.deepEqual(same, footerBytes(inputs[1]));
});

test('scanFileFooter without columns: the same row groups (ranges, codecs, sizes), no column chunk kept', () => {
  for (const bytes of [file(30, { rowGroupRows: 8 }), file(12, { compression: 'uncompressed', rowGroupRows: 5 })]) {
    const full = scanFileFooter(bytes);
    const light = scanFileFooter(bytes, { columns: false });
    assert.ok(full.rowGroups.every((g) => g.columns.length > 0));
    assert.deepEqual(
      light.rowGroups,
      full.rowGroups.map((g) => ({ ...g, columns: [] })),
    );
    assert.deepEqual({ ...light, rowGroups: [] }, { ...full, rowGroups: [] });
  }
});

test('writeStitchedFooter drops page-index and bloom-filter references (what other writers add), the rest as it was', () => {
  const bytes = file(30, { rowGroupRows: 8 });
  const plain = footerBytes(bytes);
  const raw = decodeFooter(plain).raw;
  const sorted = (m: Map<number, ThriftField>) => new Map([...m].sort((a, b) => a[0] - b[0]));
  const groups = (raw.fields.get(4)!.value as ThriftList).items as ThriftStruct[];
  for (const g of groups) {
    for (const c of (g.fields.get(1)!.value as ThriftList).items as ThriftStruct[]) {
      const meta = c.fields.get(3)!.value as ThriftStruct;
      meta.fields.set(14, { type: CT.I64, value: 123_456 });
      meta.fields.set(15, { type: CT.I32, value: 77 });
      c.fields.set(4, { type: CT.I64, value: 999_999 });
      c.fields.set(5, { type: CT.I32, value: 11 });
      c.fields.set(6, { type: CT.I64, value: 888_888 });
      c.fields.set(7, { type: CT.I32, value: 22 });
      meta.fields = sorted(meta.fields);
      c.fields = sorted(c.fields);
    }
  }
  const footer = encodeThriftStruct(raw);
  assert.ok(footer.length > plain.length + groups.length * 20, 'the references were added');
  const body = bytes.subarray(0, bytes.length - 8 - plain.length);
  const withRefs = new Uint8Array(body.length + footer.length + 8);
  withRefs.set(body, 0);
  withRefs.set(footer, body.length);
  new DataView(withRefs.buffer).setUint32(body.length + footer.length, footer.length, true);
  withRefs.set(new TextEncoder().encode('PAR1'), body.length + footer.length + 4);
  const layout = scanFileFooter(withRefs);
  const out = writeStitchedFooter(
    layout,
    layout.rowGroups.map((group) => ({ layout, group, at: group.start })),
    layout.numRows,
    layout.createdBy!,
  );
  assert.deepEqual(out, plain);
});

test('scanFileFooter: a footer cut short or not Parquet is a ParquetFooterError', () => {
  const bytes = file(10);
  const f = footerBytes(bytes);
  const cut = new Uint8Array(bytes.length - 5);
  cut.set(bytes.subarray(0, 4));
  cut.set(f.subarray(0, f.length - 5), 4);
  new DataView(cut.buffer).setUint32(cut.length - 8, f.length - 5, true);
  cut.set(bytes.subarray(bytes.length - 4), cut.length - 4);
  assert.throws(() => scanFileFooter(cut), /bad Parquet footer/);
  assert.throws(() => scanFileFooter(new Uint8Array(20)), /not a Parquet file/);
});
