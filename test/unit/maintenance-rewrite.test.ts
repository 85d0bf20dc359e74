// Rewrite compaction (src/maintenance/rewrite-compaction.ts, arrow-records.ts) and the choice
// between stitch and rewrite (compact-table.ts): files decoded by parquet-wasm, projected onto
// the current schema by field id (added column null, int → long and float → double promoted,
// renamed column followed by id), written again by floe's writer; read back by an independent
// reader (arrow-rs through parquet-wasm) row for row; metrics equal to the encoder's for the
// same rows written at once; the sort by a sort order; the choice rule case by case. The column
// path (rewrite-columnar.ts) against the row path: taken for floe files of the current schema,
// the same rows and metrics; left for the row path for files of an older schema (also after it
// began), a sort, or a page it does not take, with nothing of its own outputs left behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm/node';
import type { LoadedTable } from '../../src/catalog/catalog.ts';
import { RecordBatchBuilder } from '../../src/batch/record-batch.ts';
import type { DataFile } from '../../src/iceberg/data-file.ts';
import type { SortOrder } from '../../src/iceberg/table-metadata.ts';
import type { Schema } from '../../src/iceberg/types.ts';
import type { FileIO } from '../../src/io/file-io.ts';
import { NotFoundError } from '../../src/io/file-io.ts';
import { chooseCompaction } from '../../src/maintenance/compact-table.ts';
import { rewriteDataFiles, sortComparator } from '../../src/maintenance/rewrite-compaction.ts';
import { columnarLayout, rewriteColumnar, whyNotColumnar } from '../../src/maintenance/rewrite-columnar.ts';
import { encodeParquet } from '../../src/parquet/encode.ts';
import type { EncodeOptions } from '../../src/parquet/encode.ts';
import { scanFileFooter } from '../../src/parquet/footer-layout.ts';
import { readFooter } from '../../src/parquet/footer.ts';
import { encodeThriftStruct, readThriftStruct } from '../../src/parquet/thrift-reader.ts';
import type { FooterLayout } from '../../src/parquet/footer-layout.ts';
import { ALL_TYPES_SCHEMA, allTypesRows } from '../helpers/table-fixtures.ts';

function memoryIO(): FileIO & { files: Map<string, Uint8Array> } {
  const files = new Map<string, Uint8Array>();
  return {
    files,
    async read(l: string) {
      const b = files.get(l);
      if (!b) throw new NotFoundError(l);
      return b;
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
}

function tableOf(schemas: Schema[], properties: Record<string, string> = {}, sortOrders: SortOrder[] = []): LoadedTable {
  const current = schemas.at(-1)!;
  return {
    identifier: { namespace: ['ns'], name: 't' },
    metadataLocation: 'mem://t/metadata/v1.metadata.json',
    config: {},
    metadata: {
      'format-version': 2,
      'table-uuid': '00000000-0000-0000-0000-000000000001',
      location: 'mem://t',
      'last-sequence-number': 0,
      'last-updated-ms': 0,
      'last-column-id': 100,
      'current-schema-id': current['schema-id']!,
      schemas,
      'default-spec-id': 0,
      'partition-specs': [{ 'spec-id': 0, fields: [] }],
      'last-partition-id': 999,
      'default-sort-order-id': sortOrders[0]?.['order-id'] ?? 0,
      'sort-orders': [{ 'order-id': 0, fields: [] }, ...sortOrders],
      properties,
    },
  };
}

function encodeFile(io: ReturnType<typeof memoryIO>, path: string, schema: Schema, records: Record<string, unknown>[], options: EncodeOptions = {}): DataFile {
  const b = new RecordBatchBuilder(schema, 't');
  for (const r of records) b.append(r);
  const out = encodeParquet(schema, b.finish(), options);
  io.files.set(path, out.bytes);
  return { content: 0, 'file-path': path, 'file-format': 'PARQUET', partition: [], 'file-size-in-bytes': out.bytes.length, ...out.metrics };
}

const json = (v: unknown) =>
  JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : typeof x === 'number' && !Number.isFinite(x) ? String(x) : x instanceof Uint8Array ? Buffer.from(x).toString('hex') : x));

function readBack(bytes: Uint8Array): unknown[] {
  const t = arrow.tableFromIPC(pw.readParquet(bytes).intoIPCStream());
  return t.toArray().map((r) => JSON.parse(json(r.toJSON())));
}

const V1: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'n', required: false, type: 'int' },
    { id: 3, name: 'x', required: false, type: 'float' },
    { id: 4, name: 'old_name', required: false, type: 'string' },
    { id: 5, name: 'dropped', required: false, type: 'string' },
    { id: 6, name: 'p', required: false, type: { type: 'struct', fields: [{ id: 7, name: 'a', required: false, type: 'int' }] } },
  ],
};
const V2: Schema = {
  type: 'struct',
  'schema-id': 1,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'n', required: false, type: 'long' },
    { id: 3, name: 'x', required: false, type: 'double' },
    { id: 4, name: 'new_name', required: false, type: 'string' },
    {
      id: 6,
      name: 'p',
      required: false,
      type: {
        type: 'struct',
        fields: [
          { id: 7, name: 'a', required: false, type: 'long' },
          { id: 9, name: 'b', required: false, type: 'string' },
        ],
      },
    },
    { id: 8, name: 'added', required: false, type: 'string' },
  ],
};

test('rewrite projects files of an older schema onto the current one by field id', async () => {
  const io = memoryIO();
  const old = Array.from({ length: 30 }, (_, i) => ({ id: BigInt(i), n: i % 4 === 0 ? null : i * 1000, x: i / 8, old_name: `s${i}`, dropped: 'gone', p: i % 5 === 0 ? null : { a: -i } }));
  const neu = Array.from({ length: 20 }, (_, i) => ({ id: BigInt(100 + i), n: 2n ** 40n + BigInt(i), x: 1 / 3 + i, new_name: null, p: { a: 7n, b: 'b' }, added: `new${i}` }));
  const f1 = encodeFile(io, 'mem://t/data/a.parquet', V1, old.slice(0, 10), { rowGroupRows: 4 });
  const f2 = encodeFile(io, 'mem://t/data/b.parquet', V2, neu, { compression: 'uncompressed' });
  const f3 = encodeFile(io, 'mem://t/data/c.parquet', V1, old.slice(10));
  const table = tableOf([V1, V2]);
  const { outputs, decoded, rowsBecause } = await rewriteDataFiles(table, io, { 'spec-id': 0, fields: [] }, [], [f1, f2, f3]);
  assert.equal(decoded, 'rows');
  assert.match(rowsBecause!, /a\.parquet: .*another schema/);
  assert.equal(outputs.length, 1);
  assert.equal(outputs[0]['record-count'], 50);
  const got = readBack(io.files.get(outputs[0]['file-path'])!);
  const want = [...old.slice(0, 10), ...neu, ...old.slice(10)].map((r) => {
    const o = r as Record<string, unknown>;
    return {
      id: String(o.id),
      n: o.n === null ? null : String(o.n),
      x: o.x === undefined ? null : Math.fround(o.x as number) === o.x || 'added' in o ? o.x : Math.fround(o.x as number),
      new_name: (o.old_name ?? o.new_name ?? null) as string | null,
      p: o.p === null ? null : { a: String((o.p as { a: unknown }).a), b: (o.p as { b?: string }).b ?? null },
      added: (o.added ?? null) as string | null,
    };
  });
  assert.deepEqual(
    got,
    want.map((w) => JSON.parse(json({ ...w, id: BigInt(w.id), n: w.n === null ? null : BigInt(w.n), p: w.p && { a: BigInt(w.p.a), b: w.p.b } }))),
  );
  // the new file's metrics are the encoder's for the same rows in one file
  const direct = encodeFile(
    memoryIO(),
    'mem://direct',
    V2,
    want.map((w) => ({ ...w, id: BigInt(w.id), n: w.n === null ? null : BigInt(w.n), p: w.p && { a: BigInt(w.p.a), b: w.p.b } })),
  );
  for (const k of ['value-counts', 'null-value-counts', 'nan-value-counts', 'lower-bounds', 'upper-bounds'] as const) {
    assert.equal(json(outputs[0][k]), json(direct[k]), k);
  }
});

test('rewrite of every Iceberg type reads back the same rows; outputs roll at the target size', async () => {
  const io = memoryIO();
  const rows = allTypesRows(0, 120, 42).map((r) => r.record);
  const inputs = [0, 40, 80].map((a, k) => encodeFile(io, `mem://t/data/in${k}.parquet`, ALL_TYPES_SCHEMA, rows.slice(a, a + 40), { rowGroupRows: 7 }));
  const table = tableOf([ALL_TYPES_SCHEMA]);
  const whole = encodeParquet(
    ALL_TYPES_SCHEMA,
    (() => {
      const b = new RecordBatchBuilder(ALL_TYPES_SCHEMA, 't');
      for (const r of rows) b.append(r);
      return b.finish();
    })(),
  );
  const one = await rewriteDataFiles(table, io, { 'spec-id': 0, fields: [] }, [], inputs);
  assert.equal(one.outputs.length, 1);
  assert.deepEqual(readBack(io.files.get(one.outputs[0]['file-path'])!), readBack(whole.bytes));
  for (const k of ['value-counts', 'null-value-counts', 'nan-value-counts', 'lower-bounds', 'upper-bounds'] as const) {
    assert.equal(json(one.outputs[0][k]), json(whole.metrics[k]), k);
  }
  // a target of about two inputs: two files, the rows in order across them
  const two = await rewriteDataFiles(table, io, { 'spec-id': 0, fields: [] }, [], inputs, { targetBytes: inputs[0]['file-size-in-bytes'] + inputs[1]['file-size-in-bytes'] });
  assert.equal(two.outputs.length, 2);
  assert.deepEqual(
    two.outputs.map((f) => f['record-count']),
    [80, 40],
  );
  assert.deepEqual(
    two.outputs.flatMap((f) => readBack(io.files.get(f['file-path'])!)),
    readBack(whole.bytes),
  );
});

test('a failed rewrite leaves no output behind', async () => {
  const io = memoryIO();
  const f1 = encodeFile(io, 'mem://t/data/a.parquet', V1, [{ id: 1n, n: 1 }]);
  const before = new Set(io.files.keys());
  const lying = { ...f1, 'record-count': 2 };
  await assert.rejects(rewriteDataFiles(tableOf([V1, V2]), io, { 'spec-id': 0, fields: [] }, [], [f1, lying]), /rows/);
  assert.deepEqual(new Set(io.files.keys()), before);
  // a narrowing (long in the file, int in the table) is refused
  const wide = encodeFile(io, 'mem://t/data/w.parquet', V2, [{ id: 1n, n: 5n }]);
  await assert.rejects(rewriteDataFiles(tableOf([V2, { ...V1, 'schema-id': 2 }]), io, { 'spec-id': 0, fields: [] }, [], [wide]), /ProjectionError|n: the file holds/);
});

test('rewrite with sort: rows ordered by the sort order (transform, direction, nulls)', async () => {
  const io = memoryIO();
  const recs = Array.from({ length: 40 }, (_, i) => ({ id: BigInt((i * 17) % 40), n: i % 5 === 0 ? null : (i * 7) % 3, x: 0, p: null }));
  const f = encodeFile(io, 'mem://t/data/a.parquet', V1, recs);
  const order: SortOrder = {
    'order-id': 1,
    fields: [
      { transform: 'identity', 'source-id': 2, direction: 'desc', 'null-order': 'nulls-first' },
      { transform: 'identity', 'source-id': 1, direction: 'asc', 'null-order': 'nulls-last' },
    ],
  };
  const table = tableOf([V1], {}, [order]);
  const { outputs, sortOrderId, decoded, rowsBecause } = await rewriteDataFiles(table, io, { 'spec-id': 0, fields: [] }, [], [f], { sort: true });
  assert.equal(decoded, 'rows');
  assert.equal(rowsBecause, 'sorting');
  assert.equal(sortOrderId, 1);
  assert.equal(outputs[0]['sort-order-id'], 1);
  const got = readBack(io.files.get(outputs[0]['file-path'])!) as { id: string; n: number | null }[];
  const want = [...recs].sort(sortComparator(order, V1)).map((r) => [`${r.id}n`, r.n]);
  assert.deepEqual(
    got.map((r) => [r.id, r.n]),
    want,
  );
  assert.deepEqual(
    got.slice(0, 8).map((r) => r.n),
    Array(8).fill(null),
  );
  assert.equal(got[8].n, 2);
});

// ---- the column path ----

const METRICS = ['record-count', 'value-counts', 'null-value-counts', 'nan-value-counts', 'lower-bounds', 'upper-bounds'] as const;

test('column path: floe files of the current schema give the rows and metrics of the row path', async () => {
  const io = memoryIO();
  const rows = allTypesRows(0, 300, 9).map((r) => r.record);
  const inputs = [
    encodeFile(io, 'mem://t/data/a.parquet', ALL_TYPES_SCHEMA, rows.slice(0, 100), { rowGroupRows: 7 }),
    encodeFile(io, 'mem://t/data/b.parquet', ALL_TYPES_SCHEMA, rows.slice(100, 130), { compression: 'snappy' }),
    encodeFile(io, 'mem://t/data/c.parquet', ALL_TYPES_SCHEMA, rows.slice(130), { compression: 'gzip', rowGroupRows: 50 }),
  ];
  const spec = { 'spec-id': 0, fields: [] };
  // row groups of ~4 KB in memory: the column path cuts decoded row groups to fill them
  for (const properties of [{}, { 'write.parquet.row-group-size-bytes': '4096' }] as Record<string, string>[]) {
    const table = tableOf([ALL_TYPES_SCHEMA], properties);
    const cols = await rewriteDataFiles(table, io, spec, [], inputs);
    const byRows = await rewriteDataFiles(table, io, spec, [], inputs, { rows: true });
    assert.equal(cols.decoded, 'columns');
    assert.equal(cols.rowsBecause, undefined);
    assert.equal(byRows.decoded, 'rows');
    assert.equal(cols.outputs.length, 1);
    const a = cols.outputs[0];
    const b = byRows.outputs[0];
    assert.deepEqual(readBack(io.files.get(a['file-path'])!), readBack(io.files.get(b['file-path'])!));
    for (const k of METRICS) assert.equal(json(a[k]), json(b[k]), k);
    // row groups: about the row path's (the same size rule); one when the size is the default
    const groups = (f: DataFile) => readFooter(io.files.get(f['file-path'])!).rowGroups.map((g) => g.numRows);
    const ga = groups(a);
    const gb = groups(b);
    if (!('write.parquet.row-group-size-bytes' in properties)) assert.deepEqual(ga, [300]);
    else {
      assert.ok(ga.length > 3, `${ga}`);
      assert.ok(Math.abs(ga.length - gb.length) <= Math.ceil(gb.length / 4), `column path ${ga}, row path ${gb}`);
    }
  }
  // outputs roll at the target size, rows in order across them
  const table = tableOf([ALL_TYPES_SCHEMA]);
  const two = await rewriteDataFiles(table, io, spec, [], inputs, { targetBytes: inputs[0]['file-size-in-bytes'] + 1 });
  assert.equal(two.decoded, 'columns');
  assert.deepEqual(
    two.outputs.map((f) => f['record-count']),
    [130, 170],
  );
  assert.deepEqual(
    two.outputs.flatMap((f) => readBack(io.files.get(f['file-path'])!)),
    inputs.flatMap((f) => readBack(io.files.get(f['file-path'])!)),
  );
});

test('column path: an input of another schema found midway sends the whole rewrite to the row path, its own files dropped', async () => {
  const io = memoryIO();
  const neu = Array.from({ length: 40 }, (_, i) => ({ id: BigInt(i), n: BigInt(i * 3), x: i / 4, new_name: `n${i}`, p: { a: BigInt(i), b: null }, added: i % 2 ? 'x' : null }));
  const old = Array.from({ length: 10 }, (_, i) => ({ id: BigInt(100 + i), n: i, x: i, old_name: `o${i}`, p: null }));
  const f1 = encodeFile(io, 'mem://t/data/new1.parquet', V2, neu.slice(0, 20));
  const f2 = encodeFile(io, 'mem://t/data/new2.parquet', V2, neu.slice(20));
  const f3 = encodeFile(io, 'mem://t/data/old.parquet', V1, old);
  const inputs = new Set(io.files.keys());
  // a target of one input: the column path finishes files before it meets the old one
  const { outputs, decoded, rowsBecause } = await rewriteDataFiles(tableOf([V1, V2]), io, { 'spec-id': 0, fields: [] }, [], [f1, f2, f3], { targetBytes: 1 });
  assert.equal(decoded, 'rows');
  assert.match(rowsBecause!, /old\.parquet: /);
  assert.deepEqual(
    outputs.map((f) => f['record-count']),
    [20, 20, 10],
  );
  assert.deepEqual(new Set(io.files.keys()), new Set([...inputs, ...outputs.map((f) => f['file-path'])]));
  const got = outputs.flatMap((f) => readBack(io.files.get(f['file-path'])!)) as { id: string; new_name: string | null }[];
  assert.deepEqual(
    got.map((r) => [r.id, r.new_name]),
    [...neu.map((r) => [`${r.id}n`, r.new_name]), ...old.map((r) => [`${r.id}n`, r.old_name])],
  );
});

test('column path: files not written by floe or of another layout are not taken; a page it does not decode stops it', async () => {
  const io = memoryIO();
  const f = encodeFile(io, 'mem://t/data/a.parquet', V1, [{ id: 1n, n: 1, x: 0.5, old_name: 'a', dropped: 'd', p: { a: 1 } }]);
  const bytes = io.files.get(f['file-path'])!;
  const layout = columnarLayout(V1, 't');
  const footer = scanFileFooter(bytes);
  assert.equal(whyNotColumnar(footer, layout), undefined);
  assert.match(whyNotColumnar({ ...footer, createdBy: 'parquet-mr version 1.13.1' }, layout)!, /not written by floe/);
  assert.match(whyNotColumnar({ ...footer, encrypted: true }, layout)!, /encrypted/);
  assert.match(whyNotColumnar(footer, columnarLayout(V2, 't'))!, /another schema/);
  // a rename is another schema too (the Parquet paths change)
  const renamed = { ...V1, fields: V1.fields.map((x) => (x.id === 4 ? { ...x, name: 'renamed' } : x)) };
  assert.match(whyNotColumnar(footer, columnarLayout(renamed, 't'))!, /another schema/);
  const group = footer.rowGroups[0];
  const chunks = (columns: typeof group.columns) => ({ ...footer, rowGroups: [{ ...group, columns }] });
  assert.match(whyNotColumnar(chunks(group.columns.slice(1)), layout)!, /row group 0 has 5 column chunks, the schema 6 leaves/);
  assert.match(whyNotColumnar(chunks(group.columns.map((c, i) => (i === 1 ? { ...c, path: ['x'] } : c))), layout)!, /row group 0 column 1 \(x\) is not leaf n/);
  assert.match(whyNotColumnar(chunks(group.columns.map((c, i) => (i === 1 ? { ...c, type: 2 } : c))), layout)!, /column 1 \(n\) is not leaf n/);
  // a timestamp written as another unit is another schema
  const tsSchema = (type: 'timestamp' | 'timestamp_ns' | 'timestamptz'): Schema => ({ type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 't', required: false, type }] });
  const ts = encodeParquet(tsSchema('timestamp'), { tableName: 't', rowCount: 0, columns: new RecordBatchBuilder(tsSchema('timestamp'), 't').finish().columns }).bytes;
  assert.equal(whyNotColumnar(scanFileFooter(ts), columnarLayout(tsSchema('timestamp'), 't')), undefined);
  assert.match(whyNotColumnar(scanFileFooter(ts), columnarLayout(tsSchema('timestamp_ns'), 't'))!, /another schema/);
  assert.match(whyNotColumnar(scanFileFooter(ts), columnarLayout(tsSchema('timestamptz'), 't'))!, /another schema/);

  // the first page turned into a data page v2: the column path stops there, handing the bytes over
  const chunk = footer.rowGroups[0].columns[0];
  assert.equal(chunk.dataPageOffset, readFooter(bytes).rowGroups[0].columns[0].dataPageOffset);
  const { struct, end } = readThriftStruct(bytes, chunk.dataPageOffset);
  struct.fields.get(1)!.value = 3;
  const patched = bytes.slice();
  patched.set(encodeThriftStruct(struct), chunk.dataPageOffset);
  assert.equal(encodeThriftStruct(struct).length, end - chunk.dataPageOffset);
  const written: unknown[] = [];
  const sink = { write: async (b: unknown) => void written.push(b), finishFile: async () => undefined };
  const stopped = await rewriteColumnar([f], { layout, rowGroupBytes: 1 << 20, targetBytes: 1 << 30, read: async () => patched }, sink);
  assert.equal(stopped?.index, 0);
  assert.equal(stopped?.bytes, patched);
  assert.match(stopped!.reason, /a\.parquet: column id: page type 3/);
  assert.deepEqual(written, []);
});

test('column path: a failed rewrite leaves no output behind', async () => {
  const io = memoryIO();
  const recs = Array.from({ length: 30 }, (_, i) => ({ id: BigInt(i), n: BigInt(i), x: i, new_name: null, p: null, added: 'a' }));
  const f1 = encodeFile(io, 'mem://t/data/a.parquet', V2, recs);
  const before = new Set(io.files.keys());
  const lying = { ...f1, 'record-count': 31 };
  await assert.rejects(rewriteDataFiles(tableOf([V1, V2]), io, { 'spec-id': 0, fields: [] }, [], [f1, lying], { targetBytes: 1 }), /rewrite read 60 rows, the inputs' manifest entries say 61/);
  assert.deepEqual(new Set(io.files.keys()), before);
});

// ---- the choice ----

function footerOf(schema: Schema, n: number, options: EncodeOptions = {}): FooterLayout {
  const b = new RecordBatchBuilder(schema, 't');
  for (let i = 0; i < n; i++) b.append({ id: BigInt(i), n: i, x: i, old_name: 'é'.repeat(i % 50) });
  return scanFileFooter(encodeParquet(schema, b.finish(), options).bytes);
}

test('choice: stitch floe files of one schema, rewrite what stitching cannot take', () => {
  const a = footerOf(V1, 50);
  const b = footerOf(V1, 70);
  const names = ['a', 'b'];
  assert.deepEqual(chooseCompaction([a, b], names), { method: 'stitch' });

  // another schema (after evolution)
  const c = chooseCompaction([a, footerOf(V2, 10)], names);
  assert.equal(c.method, 'rewrite');
  assert.match(c.reason!, /schema elements/);
  // another codec
  const z = chooseCompaction([a, footerOf(V1, 10, { compression: 'uncompressed' })], names);
  assert.equal(z.method, 'rewrite');
  // another writer
  const spark = { ...b, createdBy: 'parquet-mr version 1.13.1 (build db4183109d5b734ec5930d870cdae161e408ddba)' };
  const s = chooseCompaction([a, spark], names);
  assert.equal(s.method, 'rewrite');
  assert.match(s.reason!, /not written by floe/);
  // mode "stitch" reports instead of rewriting; mode "rewrite" always rewrites
  assert.deepEqual(chooseCompaction([a, spark], names, { mode: 'stitch' }), { method: 'stitch', reason: s.reason });
  assert.equal(chooseCompaction([a, b], names, { mode: 'rewrite' }).method, 'rewrite');
  // sorting asked on a table with a sort order; not without one
  assert.equal(chooseCompaction([a, b], names, { sort: true, sortOrder: true }).method, 'rewrite');
  assert.equal(chooseCompaction([a, b], names, { sort: true, sortOrder: false }).method, 'stitch');
});

test('choice: many tiny row groups are rewritten, few or large ones stitched', () => {
  const tiny = footerOf(V1, 40, { rowGroupRows: 4 }); // 10 row groups of a few hundred bytes
  const names = (n: number) => Array.from({ length: n }, (_, i) => `f${i}`);
  assert.equal(chooseCompaction(Array(6).fill(tiny), names(6)).method, 'stitch', '60 row groups');
  const many = chooseCompaction(Array(7).fill(tiny), names(7));
  assert.equal(many.method, 'rewrite', '70 row groups');
  assert.match(many.reason!, /70 row groups averaging \d+ bytes/);
  assert.equal(chooseCompaction(Array(7).fill(tiny), names(7), { maxRowGroups: 100 }).method, 'stitch');
  assert.equal(chooseCompaction(Array(7).fill(tiny), names(7), { minRowGroupBytes: 100 }).method, 'stitch', 'row groups above the minimum size');
});
