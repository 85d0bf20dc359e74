// Stitch compaction on the real stack (src/maintenance/): a table of every Iceberg type,
// partitioned, written by several small floe commits (the last ones through the exactly-once
// committer, so the parent carries a floe.kafka-offsets entry), then each partition's files
// stitched into one and committed as a `replace` snapshot. Judged by independent readers:
// PyIceberg and DuckDB read exactly the same rows before and after, value by value; the replace
// snapshots keep the offsets entry and say what they did; PyArrow reads the stitched files'
// footers (field ids at every level); the manifest metrics of each stitched file equal what
// PyIceberg computes from the file's own footer. REST catalog (S3) and embedded SQL catalog.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commitBatch } from '../../src/commit/exactly-once.ts';
import { buildPartitionSpec } from '../../src/iceberg/partition-spec.ts';
import { currentSchema, defaultSpec } from '../../src/iceberg/metadata-updates.ts';
import type { IcebergType } from '../../src/iceberg/types.ts';
import { fileIOFor } from '../../src/io/resolve-file-io.ts';
import { rewriteFiles } from '../../src/maintenance/rewrite-files.ts';
import { stitchSmallFiles } from '../../src/maintenance/stitch-compaction.ts';
import { PartitionedBatch } from '../../src/batch/partitioned-batch.ts';
import { appendRecords, writeDataFiles } from '../../src/writer/fanout-writer.ts';
import { ALL_TYPES_SCHEMA, CATALOG_KINDS, allTypesRows, diffRows, openTableEnv, probe, pyicebergNullListOfStruct, readRows } from '../helpers/table-fixtures.ts';
import type { GeneratedRow, ProbeFile, ProbeSnapshot, TableEnv } from '../helpers/table-fixtures.ts';
import { execFile } from 'node:child_process';
import { readWithPyIceberg } from '../helpers/readers.ts';

function readerOptions(env: TableEnv) {
  return {
    catalog: env.reader.type === 'sql' ? env.reader : { type: 'rest' as const, uri: env.reader.uri, warehouse: env.reader.warehouse },
    table: env.qualified('events'),
    s3: env.s3 && { endpoint: env.s3.endpoint, accessKey: env.s3.accessKeyId, secretKey: env.s3.secretAccessKey, region: env.s3.region },
    columns: ['id'],
  };
}

const BATCHES: [number, number][] = [
  [0, 23],
  [23, 31],
  [54, 17],
  [71, 40],
  [111, 9],
];

/** PyIceberg's metrics for a Parquet file, from its footer, plus PyArrow's view of its field ids. */
const PY_FILE_METRICS = String.raw`
import json, sys
import pyarrow.parquet as pq
from pyiceberg.io.pyarrow import data_file_statistics_from_parquet_metadata, compute_statistics_plan, parquet_path_to_id_mapping
from pyiceberg.schema import Schema
req = json.load(sys.stdin)
schema = Schema.model_validate_json(json.dumps(req["schema"]))
out = []
for path in req["paths"]:
    pf = pq.ParquetFile(path)
    md = pf.metadata
    st = data_file_statistics_from_parquet_metadata(md, compute_statistics_plan(schema, {}), parquet_path_to_id_mapping(schema)).to_serialized_dict()
    ids = []
    def walk(field, prefix):
        meta = field.metadata or {}
        ids.append([prefix + field.name, int(meta[b"PARQUET:field_id"]) if b"PARQUET:field_id" in meta else None])
        t = field.type
        import pyarrow as pa
        if pa.types.is_struct(t):
            for i in range(t.num_fields):
                walk(t.field(i), prefix + field.name + ".")
        elif pa.types.is_list(t) or pa.types.is_large_list(t):
            walk(t.value_field, prefix + field.name + ".")
        elif pa.types.is_map(t):
            walk(t.key_field, prefix + field.name + ".")
            walk(t.item_field, prefix + field.name + ".")
    for f in pf.schema_arrow:
        walk(f, "")
    out.append({
        "num_rows": md.num_rows,
        "num_row_groups": md.num_row_groups,
        "created_by": md.created_by,
        "field_ids": ids,
        "record_count": str(st["record_count"]),
        "column_sizes": {str(k): str(v) for k, v in st["column_sizes"].items()},
        "value_counts": {str(k): str(v) for k, v in st["value_counts"].items()},
        "null_value_counts": {str(k): str(v) for k, v in st["null_value_counts"].items()},
        "lower_bounds": {str(k): v.hex() for k, v in st["lower_bounds"].items()},
        "upper_bounds": {str(k): v.hex() for k, v in st["upper_bounds"].items()},
        "split_offsets": [str(x) for x in (st["split_offsets"] or [])],
    })
print(json.dumps(out))
`;

function pyFileMetrics(schema: unknown, paths: string[]): Promise<any[]> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.env.FLOE_TEST_PYTHON!, ['-c', PY_FILE_METRICS], { maxBuffer: 1 << 26, timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr.slice(-3000)}`));
      else resolve(JSON.parse(stdout.trim().split('\n').at(-1)!));
    });
    child.stdin!.end(JSON.stringify({ schema, paths }));
  });
}

/** Field ids by dotted name, as PyArrow names nested fields (list "element", map "key"/"value"). */
function idsByName(t: IcebergType, prefix = '', out = new Map<string, number>()): Map<string, number> {
  if (typeof t === 'string') return out;
  if (t.type === 'struct') {
    for (const f of t.fields) {
      out.set(prefix + f.name, f.id);
      idsByName(f.type, `${prefix}${f.name}.`, out);
    }
  } else if (t.type === 'list') {
    out.set(`${prefix}element`, t['element-id']);
    idsByName(t.element, `${prefix}element.`, out);
  } else {
    out.set(`${prefix}key`, t['key-id']);
    out.set(`${prefix}value`, t['value-id']);
    idsByName(t.key, `${prefix}key.`, out);
    idsByName(t.value, `${prefix}value.`, out);
  }
  return out;
}

const byPath = (files: ProbeFile[]) => new Map(files.map((f) => [f.file_path, f]));

for (const kind of CATALOG_KINDS) {
  test(`${kind}: stitching each partition's small files keeps every row, the offsets and honest metrics`, async () => {
    const env = await openTableEnv(kind, 'stitch');
    const tmp = await mkdtemp(join(tmpdir(), 'floe-stitch-'));
    try {
      const id = env.id('events');
      const { spec } = buildPartitionSpec(ALL_TYPES_SCHEMA, ['bucket(3, id)']);
      await env.catalog.createTable(id, { schema: ALL_TYPES_SCHEMA, partitionSpec: spec, properties: { 'write.parquet.compression-codec': 'zstd' } });

      // Small commits: the first two by appendRecords, the others through the exactly-once committer.
      const written: GeneratedRow[] = [];
      let offset = 0n;
      for (const [i, [first, count]] of BATCHES.entries()) {
        const rows = allTypesRows(first, count, 7000 + first);
        written.push(...rows);
        if (i < 2) {
          await appendRecords(
            env.catalog,
            id,
            rows.map((r) => r.record),
          );
          continue;
        }
        const table = await env.catalog.loadTable(id);
        const batch = new PartitionedBatch('events', currentSchema(table.metadata), defaultSpec(table.metadata));
        for (const r of rows) batch.append(r.record);
        const files = await writeDataFiles(table, currentSchema(table.metadata), defaultSpec(table.metadata), batch.drain());
        await commitBatch({ connector: 'x', catalog: env.catalog, table: id, files, ranges: [{ topic: 'orders', partition: 0, from: offset, to: offset + BigInt(count) }] });
        offset += BigInt(count);
      }
      written.sort((a, b) => Number(a.expected.id) - Number(b.expected.id));
      const expected = written.map((r) => r.expected);

      const before = await readRows(env, 'events');
      const [filesBefore, snapsBefore] = (await probe(env, 'events', [{ op: 'files' }, { op: 'snapshots' }])) as [ProbeFile[], { snapshots: ProbeSnapshot[] } | ProbeSnapshot[]];
      const entriesBefore = (await readWithPyIceberg(readerOptions(env))).files;
      const snapListBefore = Array.isArray(snapsBefore) ? snapsBefore : snapsBefore.snapshots;
      const parentSummary = snapListBefore.at(-1)!.summary;
      assert.ok(parentSummary['floe.kafka-offsets.x'], 'the parent carries the connector offsets');
      const partitions = new Set(filesBefore.map((f) => JSON.stringify(f.partition)));
      assert.equal(partitions.size, 3);
      assert.ok(filesBefore.length >= 12, `${filesBefore.length} small files`);

      // Stitch every partition's files (all small against the default 512 MiB target).
      const run = await stitchSmallFiles(env.catalog, id, { runId: 'run-1' });
      assert.equal(run.groups.length, 3, JSON.stringify(run.groups.map((g) => ({ status: g.status, reason: (g as { reason?: string }).reason }))));
      for (const g of run.groups) assert.equal(g.status, 'committed', (g as { reason?: string; error?: Error }).reason ?? String((g as { error?: Error }).error));

      // Readers: the same rows, value by value, before and after.
      const after = await readRows(env, 'events');
      const diffs = [
        ...diffRows('pyiceberg before', ALL_TYPES_SCHEMA, before.pyiceberg, expected, { tolerate: pyicebergNullListOfStruct }),
        ...diffRows('duckdb before', ALL_TYPES_SCHEMA, before.duckdb, expected),
        ...diffRows('pyiceberg after', ALL_TYPES_SCHEMA, after.pyiceberg, expected, { tolerate: pyicebergNullListOfStruct }),
        ...diffRows('duckdb after', ALL_TYPES_SCHEMA, after.duckdb, expected),
      ];
      assert.deepEqual(diffs, [], diffs.join('\n'));
      assert.deepEqual(after.pyiceberg?.rows, before.pyiceberg?.rows);
      assert.deepEqual(after.duckdb?.rows, before.duckdb?.rows);

      const [filesAfter, snapsAfterRaw] = await probe(env, 'events', [{ op: 'files' }, { op: 'snapshots' }]);
      const entries = (await readWithPyIceberg(readerOptions(env))).files;
      const snaps: ProbeSnapshot[] = Array.isArray(snapsAfterRaw) ? snapsAfterRaw : snapsAfterRaw.snapshots;
      assert.equal((filesAfter as ProbeFile[]).length, 3, 'one file per partition');

      // The run's three groups are committed together: one replace snapshot that keeps every
      // floe.* entry and says what it did.
      const replaces = snaps.slice(snapListBefore.length);
      assert.equal(replaces.length, 1);
      assert.ok(run.groups.every((g) => g.status === 'committed' && String(g.snapshot['snapshot-id']) === replaces[0].snapshot_id));
      for (const s of replaces) {
        assert.equal(s.operation, 'replace');
        for (const [k, v] of Object.entries(parentSummary)) if (k.startsWith('floe.')) assert.equal(s.summary[k], v, `${k} kept`);
        assert.equal(s.summary['floe.maintenance.action'], 'stitch');
        assert.equal(s.summary['floe.maintenance.run-id'], 'run-1');
        assert.equal(s.summary['floe.maintenance.groups'], '3');
        assert.equal(s.summary['floe.maintenance.files-out'], '3');
        assert.equal(s.summary['floe.maintenance.files-in'], String(filesBefore.length));
        assert.equal(s.summary['deleted-data-files'], s.summary['floe.maintenance.files-in']);
        assert.equal(s.summary['added-records'], s.summary['deleted-records']);
        assert.equal(s.summary['total-records'], String(written.length));
      }
      assert.equal(replaces.at(-1)!.summary['total-data-files'], '3');

      // The stitched files keep their inputs' largest data sequence number.
      const seqOf = new Map(entriesBefore.map((e) => [e.file_path, Number(e.sequence_number)]));
      for (const g of run.groups) {
        const want = Math.max(...g.group.files.map((f) => seqOf.get(f['file-path'])!));
        assert.equal((g as { dataSequenceNumber: number }).dataSequenceNumber, want);
        const e = entries.find((x) => x.file_path === g.output)!;
        assert.equal(Number(e.sequence_number), want, 'data sequence number of the stitched file');
      }

      // PyArrow reads each stitched file's footer with every field id; PyIceberg computes the
      // same metrics from it as the manifest holds.
      const table = await env.catalog.loadTable(id);
      const io = fileIOFor(table.metadata.location, table.config);
      const tableSchema = currentSchema(table.metadata);
      const local = async (path: string) => {
        const l = join(tmp, `${crypto.randomUUID()}.parquet`);
        await writeFile(l, await io.read(path));
        return l;
      };
      const stitchedFiles = filesAfter as ProbeFile[];
      const py = await pyFileMetrics(tableSchema, await Promise.all(stitchedFiles.map((f) => local(f.file_path))));
      const rowsBefore = byPath(filesBefore);
      // floe's encoder and PyIceberg differ on which columns get bounds (uuid, fields inside
      // structs): those columns must differ the same way for the inputs, and no other way.
      const policy = async (files: ProbeFile[]) => {
        const m = await pyFileMetrics(tableSchema, await Promise.all(files.map((f) => local(f.file_path))));
        const keys = new Set<string>();
        files.forEach((f, i) => {
          for (const k of ['lower_bounds', 'upper_bounds'] as const) {
            const a = Object.keys(f[k] ?? {});
            const b = Object.keys(m[i][k]);
            for (const x of a) if (!b.includes(x)) keys.add(`${k} ${x} floe only`);
            for (const x of b) if (!a.includes(x)) keys.add(`${k} ${x} pyiceberg only`);
          }
        });
        return keys;
      };
      const inputPolicy = await policy(filesBefore);
      const common = (a: Record<string, string | null> | null, b: Record<string, string>) => Object.fromEntries(Object.entries(a ?? {}).filter(([k]) => k in b));
      const commonPy = (a: Record<string, string | null> | null, b: Record<string, string>) => Object.fromEntries(Object.entries(b).filter(([k]) => k in (a ?? {})));
      for (const [i, f] of stitchedFiles.entries()) {
        const m = py[i];
        for (const d of await policy([f])) assert.ok(inputPolicy.has(d), `stitched file only: ${d}`);
        assert.ok(!rowsBefore.has(f.file_path), 'a new file');
        assert.equal(String(m.num_rows), f.record_count);
        assert.ok(m.created_by.startsWith('floe '));
        const ids = new Map<string, number | null>(m.field_ids);
        assert.deepEqual([...ids].sort(), [...idsByName(tableSchema)].sort(), 'every field id, as the table schema has them');
        assert.ok(
          [...ids.values()].every((v) => v !== null),
          `every field has an id: ${JSON.stringify(m.field_ids)}`,
        );
        assert.equal(m.record_count, f.record_count);
        assert.deepEqual(m.value_counts, f.value_counts, 'value counts');
        assert.deepEqual(m.null_value_counts, f.null_value_counts, 'null counts');
        assert.ok(Object.keys(common(f.lower_bounds, m.lower_bounds)).length >= 15, 'most columns have bounds in both');
        assert.deepEqual(commonPy(f.lower_bounds, m.lower_bounds), common(f.lower_bounds, m.lower_bounds), 'lower bounds');
        assert.deepEqual(commonPy(f.upper_bounds, m.upper_bounds), common(f.upper_bounds, m.upper_bounds), 'upper bounds');
        assert.deepEqual(m.split_offsets, (f as unknown as { split_offsets: string[] }).split_offsets, 'split offsets');
        assert.equal(String(m.num_row_groups), String((f as unknown as { split_offsets: string[] }).split_offsets.length));
      }

      // Giving up: the inputs are gone on the head (already stitched): a typed result, the output deleted.
      const stale = run.groups[0];
      const fake = { ...stale.group.files[0], 'file-path': `${stale.output!.slice(0, stale.output!.lastIndexOf('/'))}/never-${crypto.randomUUID()}.parquet` };
      await io.write(fake['file-path'], new Uint8Array([1]));
      const gaveUp = await rewriteFiles({ catalog: env.catalog, table: id, inputs: stale.group.files, outputs: [fake], specId: stale.group.specId, runId: 'run-2', io });
      assert.equal(gaveUp.status, 'gave-up');
      assert.match((gaveUp as { reason: string }).reason, /no longer live/);
      assert.equal(await io.exists(fake['file-path']), false, 'the unreferenced output is deleted');
    } finally {
      await rm(tmp, { recursive: true, force: true });
      await env.close();
    }
  });
}
