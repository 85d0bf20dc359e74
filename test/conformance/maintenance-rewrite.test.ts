// Rewrite compaction on the real stack (src/maintenance/compact-table.ts, rewrite-compaction.ts):
// a table partitioned by a string, written by floe under schema 0 (n int, x float), then the
// schema evolved (n → long, x → double, a column added), written by floe again (through the
// exactly-once committer, so the table carries a connector's offsets) and once by PyIceberg's
// own writer. No partition's files can be stitched (other schemas, another writer), so each is
// decoded and written again as one file of the current schema. Judged by independent readers:
// PyIceberg and DuckDB read exactly the expected rows before and after, value by value; the
// replace snapshots say "rewrite" and keep the offsets; the new files' manifest metrics (counts
// and bounds per field id, read by PyIceberg) are what the rows say they must be.
// REST catalog (S3) and embedded SQL catalog.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commitBatch } from '../../src/commit/exactly-once.ts';
import { updateSchema } from '../../src/commit/schema-update.ts';
import { buildPartitionSpec } from '../../src/iceberg/partition-spec.ts';
import { currentSchema, defaultSpec } from '../../src/iceberg/metadata-updates.ts';
import type { Schema } from '../../src/iceberg/types.ts';
import { compactTable } from '../../src/maintenance/compact-table.ts';
import { PartitionedBatch } from '../../src/batch/partitioned-batch.ts';
import { appendRecords, writeDataFiles } from '../../src/writer/fanout-writer.ts';
import { CATALOG_KINDS, diffRows, floatString, openTableEnv, probe, readRows } from '../helpers/table-fixtures.ts';
import type { Expected, ProbeFile, ProbeSnapshot } from '../helpers/table-fixtures.ts';

const V1: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'cat', required: false, type: 'string' },
    { id: 3, name: 'n', required: false, type: 'int' },
    { id: 4, name: 'x', required: false, type: 'float' },
    { id: 5, name: 's', required: false, type: 'string' },
  ],
};

/** The evolved columns, by name (updateSchema assigns the new id). */
const V2_INCOMING = {
  type: 'struct' as const,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' as const },
    { id: 2, name: 'cat', required: false, type: 'string' as const },
    { id: 3, name: 'n', required: false, type: 'long' as const },
    { id: 4, name: 'x', required: false, type: 'double' as const },
    { id: 5, name: 's', required: false, type: 'string' as const },
    { id: 6, name: 'note', required: false, type: 'string' as const },
  ],
};

interface Row {
  id: number;
  cat: string;
  n: bigint | null;
  x: number | null;
  s: string | null;
  note?: string | null;
}

const CATS = ['a', 'b'];

function rows(first: number, count: number, evolved: boolean): Row[] {
  return Array.from({ length: count }, (_, k) => {
    const i = first + k;
    const big = evolved && i % 3 === 0;
    return {
      id: i,
      cat: CATS[i % 2],
      n: i % 5 === 0 ? null : big ? 2n ** 40n + BigInt(i) : BigInt(i * 100 - 700),
      x: i % 7 === 0 ? null : evolved && i % 2 === 0 ? i / 3 : i / 4 - 5, // i / 4 is exact in float32
      s: i % 4 === 0 ? null : `s${i % 13}`,
      ...(evolved ? { note: i % 3 === 1 ? null : `n${i % 11}` } : {}),
    };
  });
}

const record = (r: Row) => ({ ...r, id: BigInt(r.id), n: r.n === null ? null : r.n <= 2147483647n && r.n >= -2147483648n && r.note === undefined ? Number(r.n) : r.n });
const forPython = (r: Row) => ({ ...r, id: String(r.id), n: r.n === null ? null : String(r.n) });
const expected = (r: Row): Record<string, Expected> => ({
  id: String(r.id),
  cat: r.cat,
  n: r.n === null ? null : String(r.n),
  x: r.x === null ? null : floatString(r.x),
  s: r.s,
  note: r.note ?? null,
});

// Little-endian single-value bounds (Iceberg's binary single-value serialization), independently.
const longLE = (v: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(v);
  return b.toString('hex');
};
const doubleLE = (v: number) => {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(v);
  return b.toString('hex');
};
const strHex = (s: string) => Buffer.from(s, 'utf8').toString('hex');

/** What the manifest of a file holding `rs` must say, per field id. */
function metricsOf(rs: Row[]) {
  const cols: [string, keyof Row, (v: never) => string][] = [
    ['1', 'id', (v: number) => longLE(BigInt(v))],
    ['2', 'cat', strHex],
    ['3', 'n', longLE],
    ['4', 'x', doubleLE],
    ['5', 's', strHex],
    ['6', 'note', strHex],
  ];
  const value: Record<string, string> = {};
  const nulls: Record<string, string> = {};
  const lower: Record<string, string> = {};
  const upper: Record<string, string> = {};
  for (const [id, name, enc] of cols) {
    const vs = rs.map((r) => r[name] ?? null).filter((v) => v !== null) as (number | bigint | string)[];
    value[id] = String(rs.length);
    nulls[id] = String(rs.length - vs.length);
    if (vs.length === 0) continue;
    const sorted = [...vs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    lower[id] = (enc as (v: unknown) => string)(sorted[0]);
    upper[id] = (enc as (v: unknown) => string)(sorted.at(-1));
  }
  return { value, nulls, lower, upper };
}

for (const kind of CATALOG_KINDS) {
  test(`${kind}: rewriting files of other schemas and another writer keeps every row, the offsets and honest metrics`, async () => {
    const env = await openTableEnv(kind, 'rewrite');
    try {
      const id = env.id('events');
      const { spec } = buildPartitionSpec(V1, ['cat']);
      await env.catalog.createTable(id, { schema: V1, partitionSpec: spec, properties: { 'write.parquet.compression-codec': 'zstd' } });

      // schema 0: two floe commits (two files per partition)
      const all: Row[] = [];
      for (const [first, count] of [
        [0, 20],
        [20, 14],
      ]) {
        const rs = rows(first, count, false);
        all.push(...rs);
        await appendRecords(env.catalog, id, rs.map(record));
      }
      // schema 1: n long, x double, note added
      const { table: evolved, changes } = await updateSchema(env.catalog, id, V2_INCOMING);
      assert.deepEqual(changes.map((c) => `${c.kind} ${c.path}`).sort(), ['add-column note', 'widen-type n', 'widen-type x']);
      const schema = currentSchema(evolved.metadata);
      // a floe commit through the exactly-once committer (the offsets of connector "x")
      {
        const rs = rows(34, 16, true);
        all.push(...rs);
        const batch = new PartitionedBatch('events', schema, defaultSpec(evolved.metadata));
        for (const r of rs) batch.append(record(r));
        const files = await writeDataFiles(evolved, schema, defaultSpec(evolved.metadata), batch.drain());
        await commitBatch({ connector: 'x', catalog: env.catalog, table: id, files, ranges: [{ topic: 'orders', partition: 0, from: 0n, to: 16n }] });
      }
      // PyIceberg's own writer, last (the parent of the rewrite has no floe.* entry)
      {
        const rs = rows(50, 12, true);
        all.push(...rs);
        await probe(env, 'events', [{ op: 'append', rows: rs.map(forPython) }]);
      }
      all.sort((a, b) => a.id - b.id);
      const want = all.map(expected);

      const before = await readRows(env, 'events');
      const [filesBefore, snapsBefore] = (await probe(env, 'events', [{ op: 'files' }, { op: 'snapshots' }])) as [ProbeFile[], { snapshots: ProbeSnapshot[] }];
      assert.equal(filesBefore.length, 8, 'four commits, two partitions');
      const offsets = snapsBefore.snapshots.find((s) => s.summary['floe.kafka-offsets.x'])!.summary['floe.kafka-offsets.x'];
      assert.ok(offsets);

      // one snapshot per group here (commitGroups 1); maintenance-stitch.test.ts commits a run's groups together
      const run = await compactTable(env.catalog, id, { runId: 'rw-1', commitGroups: 1 });
      assert.equal(run.groups.length, 2);
      for (const g of run.groups) {
        assert.equal(g.status, 'committed', `${(g as { reason?: string }).reason ?? ''} ${String((g as { error?: unknown }).error ?? '')}`);
        assert.equal(g.action, 'rewrite');
        assert.match(g.why!, /schema elements|not written by floe/);
        assert.equal(g.outputs!.length, 1);
      }

      const after = await readRows(env, 'events');
      const diffs = [
        ...diffRows('pyiceberg before', schema, before.pyiceberg, want),
        ...diffRows('duckdb before', schema, before.duckdb, want),
        ...diffRows('pyiceberg after', schema, after.pyiceberg, want),
        ...diffRows('duckdb after', schema, after.duckdb, want),
      ];
      assert.deepEqual(diffs, [], diffs.join('\n'));
      assert.deepEqual(after.pyiceberg?.rows, before.pyiceberg?.rows);
      assert.deepEqual(after.duckdb?.rows, before.duckdb?.rows);

      const [filesAfter, snapsAfter] = (await probe(env, 'events', [{ op: 'files' }, { op: 'snapshots' }])) as [ProbeFile[], { snapshots: ProbeSnapshot[] }];
      assert.equal(filesAfter.length, 2, 'one file per partition');
      const replaces = snapsAfter.snapshots.slice(snapsBefore.snapshots.length);
      assert.equal(replaces.length, 2);
      for (const s of replaces) {
        assert.equal(s.operation, 'replace');
        assert.equal(s.summary['floe.maintenance.groups'], '1');
        assert.equal(s.summary['floe.maintenance.action'], 'rewrite');
        assert.equal(s.summary['floe.maintenance.run-id'], 'rw-1');
        assert.equal(s.summary['floe.maintenance.files-in'], '4');
        assert.equal(s.summary['floe.kafka-offsets.x'], offsets, 'the connector offsets carried');
        assert.equal(s.summary['added-records'], s.summary['deleted-records']);
        assert.equal(s.summary['total-records'], String(all.length));
      }

      // the new files' metrics: counts and bounds per field id, from the rows themselves
      for (const f of filesAfter) {
        assert.ok(!filesBefore.some((b) => b.file_path === f.file_path), 'a new file');
        const cat = String(f.partition.cat);
        const rs = all.filter((r) => r.cat === cat);
        const m = metricsOf(rs);
        assert.equal(f.record_count, String(rs.length));
        assert.deepEqual(f.value_counts, m.value, `value counts of ${cat}`);
        assert.deepEqual(f.null_value_counts, m.nulls, `null counts of ${cat}`);
        assert.deepEqual(f.lower_bounds, m.lower, `lower bounds of ${cat}`);
        assert.deepEqual(f.upper_bounds, m.upper, `upper bounds of ${cat}`);
        assert.deepEqual(f.nan_value_counts ?? {}, { '4': '0' }, 'nan counts');
      }
    } finally {
      await env.close();
    }
  });
}
