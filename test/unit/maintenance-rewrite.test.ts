// Rewrite compaction (src/maintenance/rewrite-compaction.ts, arrow-records.ts) and the choice
// between stitch and rewrite (compact-table.ts): files decoded by parquet-wasm, projected onto
// the current schema by field id (added column null, int → long and float → double promoted,
// renamed column followed by id), written again by floe's writer; read back by an independent
// reader (arrow-rs through parquet-wasm) row for row; metrics equal to the encoder's for the
// same rows written at once; the sort by a sort order; the choice rule case by case.
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
import { encodeParquet } from '../../src/parquet/encode.ts';
import type { EncodeOptions } from '../../src/parquet/encode.ts';
import { scanFileFooter } from '../../src/parquet/footer-layout.ts';
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
  const { outputs } = await rewriteDataFiles(table, io, { 'spec-id': 0, fields: [] }, [], [f1, f2, f3]);
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
  const { outputs, sortOrderId } = await rewriteDataFiles(table, io, { 'spec-id': 0, fields: [] }, [], [f], { sort: true });
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
