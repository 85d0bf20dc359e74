// Apache Spark (what floe's users run for table maintenance) on a table floe writes, on both
// catalogs: the stack's REST catalog with its S3 warehouse, and floe's embedded SQLite catalog on
// a local folder. floe commits with the exactly-once committer (its offsets and lineage keys in
// each snapshot's summary, the offsets floor as a table property); Spark reads the table value by
// value, then commits to it: rewrite_data_files, rewrite_manifests, ALTER TABLE ADD COLUMN, INSERT,
// rollback_to_snapshot and expire_snapshots (all but the newest snapshot); floe commits between
// and after them. After each Spark session PyIceberg and Spark read the same rows, which are
// the rows written, and floe's catalog sees Spark's snapshots, table properties and offsets as
// stated below. One Spark process per step group (each costs ~5 s of JVM start).
// Needs the test stack with Spark (scripts/test.sh sets it up for this file).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commitBatch, FencedError } from '../../src/commit/exactly-once.ts';
import { floorKey, resolveOffsets } from '../../src/commit/committed-offsets.ts';
import { offsetsKey } from '../../src/commit/offsets-map.ts';
import { PartitionedBatch } from '../../src/batch/partitioned-batch.ts';
import { writeDataFiles } from '../../src/writer/fanout-writer.ts';
import { currentSchema, defaultSpec } from '../../src/iceberg/metadata-updates.ts';
import { fileIOFor } from '../../src/io/resolve-file-io.ts';
import type { Schema, NestedField } from '../../src/iceberg/types.ts';
import type { Snapshot, TableMetadata } from '../../src/iceberg/table-metadata.ts';
import { ALL_TYPES_SCHEMA, CATALOG_KINDS, allTypesRows, diffRows, openTableEnv, pyicebergNullListOfStruct, type Expected, type TableEnv } from '../helpers/table-fixtures.ts';
import { readWithPyIceberg, type Row } from '../helpers/readers.ts';
import { runSparkDetailed, sparkOptionsFor, type SparkOptions } from '../helpers/spark.ts';
import { compactTable } from '../../src/maintenance/compact-table.ts';
import { rewriteManifests } from '../../src/maintenance/rewrite-manifests.ts';

const CONNECTOR = 'spark_it';
const TOPIC = 'events';

// Every type of the conformance tests but `time`, which Spark 3.5 cannot read at all.
const SCHEMA: Schema = { ...ALL_TYPES_SCHEMA, fields: ALL_TYPES_SCHEMA.fields.filter((f) => f.name !== 'tm') };

/** Rows for ids [from, to) (offsets of partition 0 of TOPIC), without the time column, plus `extra` columns. */
function rowsFor(from: number, to: number, extra: Record<string, string> = {}) {
  return allTypesRows(from, to - from, 7000 + from).map(({ record, expected }) => {
    delete record.tm;
    delete expected.tm;
    return { record: { ...record, ...extra }, expected: { ...expected, ...extra } as Record<string, Expected> };
  });
}

/** Writes the rows with floe's writer and commits them with the exactly-once committer. */
async function floeCommit(env: TableEnv, rows: { record: Record<string, unknown> }[], from: number, to: number) {
  const id = env.id('t');
  const table = await env.catalog.loadTable(id);
  const schema = currentSchema(table.metadata);
  const spec = defaultSpec(table.metadata);
  const batch = new PartitionedBatch(env.qualified('t'), schema, spec);
  for (const r of rows) batch.append(r.record);
  const io = fileIOFor(table.metadata.location, table.config);
  const files = await writeDataFiles(table, schema, spec, batch.drain(), { io });
  return commitBatch({ connector: CONNECTOR, catalog: env.catalog, table: id, io, files, ranges: [{ topic: TOPIC, partition: 0, from: BigInt(from), to: BigInt(to) }] });
}

const byId = (a: Row, b: Row) => Number(a.id) - Number(b.id);

/** Spark's rows and PyIceberg's rows both equal the expected rows, value by value. */
async function assertReads(env: TableEnv, schema: Schema, sparkRows: Row[], expected: Record<string, Expected>[], what: string) {
  const names = schema.fields.map((f) => f.name);
  const asTable = (rows: Row[]) => ({ columns: names, rows: [...rows].sort(byId).map((r) => names.map((n) => r[n])) });
  const want = [...expected].sort((a, b) => Number(a.id) - Number(b.id));
  const py = await readWithPyIceberg({
    catalog: env.reader.type === 'sql' ? env.reader : { type: 'rest', uri: env.reader.uri, warehouse: env.reader.warehouse },
    table: env.qualified('t'),
    s3: env.s3 && { endpoint: env.s3.endpoint, accessKey: env.s3.accessKeyId, secretKey: env.s3.secretAccessKey, region: env.s3.region },
  });
  assert.deepEqual(Object.keys(sparkRows[0] ?? {}), names, `${what}: Spark's columns`);
  const diffs = [...diffRows(`spark (${what})`, schema, asTable(sparkRows), want), ...diffRows(`pyiceberg (${what})`, schema, asTable(py.rows), want, { tolerate: pyicebergNullListOfStruct })];
  assert.deepEqual(diffs, [], `readers disagree with what was written:\n${diffs.join('\n')}`);
  // and with each other, in the canonical forms both print (PyIceberg's null list<struct> aside)
  const listOfStruct = schema.fields.filter((f) => pyicebergNullListOfStruct(f, null, [])).map((f) => f.name);
  const scrub = (rows: Row[]) =>
    [...rows].sort(byId).map((r) => ({ ...r, ...Object.fromEntries(listOfStruct.map((n) => [n, Array.isArray(r[n]) && (r[n] as unknown[]).length === 0 ? null : r[n]])) }));
  assert.deepEqual(scrub(sparkRows), scrub(py.rows), `${what}: Spark and PyIceberg rows differ`);
  return py;
}

const floeKeys = (s: Snapshot) => Object.keys(s.summary).filter((k) => k.startsWith('floe.'));

/** The snapshots added since `before`, oldest first. */
function newSnapshots(before: TableMetadata, after: TableMetadata): Snapshot[] {
  const old = new Set((before.snapshots ?? []).map((s) => s['snapshot-id']));
  return (after.snapshots ?? []).filter((s) => !old.has(s['snapshot-id'])).sort((a, b) => a['sequence-number'] - b['sequence-number']);
}

/** SQL literal of a row Spark inserts: id, b, i, s, u (uuid as string), fx (fixed[4]), req_s; every other column null. */
function insertValues(schema: Schema, v: Record<string, string>): string {
  return schema.fields.map((f: NestedField) => (v[f.name] !== undefined ? `${v[f.name]} AS ${f.name}` : `NULL AS ${f.name}`)).join(', ');
}

for (const kind of CATALOG_KINDS) {
  test(`Spark reads and maintains a table floe writes, floe commits on after it (${kind} catalog)`, async () => {
    const env = await openTableEnv(kind, 'spark');
    const spark: SparkOptions = sparkOptionsFor(env);
    const t = env.qualified('t');
    const id = env.id('t');
    const sql = async (statements: string[]) => {
      const run = await runSparkDetailed(spark, statements);
      console.log(`# spark ${kind}: ${statements.length} statements in ${run.seconds.toFixed(1)} s (${run.stderr.trim().split('\n').at(-1)})`);
      return run.results.map((r) => r.rows);
    };
    try {
      // ---- floe creates the table (bucketed by id: Spark must agree on the partition of every row) and commits three batches
      await env.catalog.createTable(id, {
        schema: SCHEMA,
        partitionSpec: { 'spec-id': 0, fields: [{ 'source-id': 1, 'field-id': 1000, name: 'id_bucket', transform: 'bucket[4]' }] },
        properties: { 'write.parquet.compression-codec': 'zstd', 'floe.test.note': 'set at creation' },
      });
      const expected: Record<string, Expected>[] = [];
      for (const [from, to] of [
        [0, 30],
        [30, 60],
        [60, 90],
      ]) {
        const rows = rowsFor(from, to);
        await floeCommit(env, rows, from, to);
        expected.push(...rows.map((r) => r.expected));
      }
      const m0 = (await env.catalog.loadTable(id)).metadata;
      const floeSnapshots = m0.snapshots!;
      assert.equal(floeSnapshots.length, 3);
      for (const s of floeSnapshots) assert.ok(s.summary[offsetsKey(CONNECTOR)], 'floe writes its offsets into every snapshot');
      const floor0 = m0.properties?.[floorKey(CONNECTOR)];
      assert.ok(floor0, 'floe writes the offsets floor as a table property');

      // ---- A: Spark reads floe's table: every value, and floe's snapshots
      const [readA, snapsA, filesA] = await sql([
        `SELECT * FROM ${t} ORDER BY id`,
        `SELECT snapshot_id, parent_id, operation, summary FROM ${t}.snapshots ORDER BY committed_at`,
        `SELECT count(*) AS files FROM ${t}.files`,
      ]);
      await assertReads(env, SCHEMA, readA, expected, "A: floe's commits");
      assert.deepEqual(
        snapsA.map((s) => s.snapshot_id),
        floeSnapshots.map((s) => String(s['snapshot-id'])),
      );
      assert.deepEqual(
        snapsA.map((s) => s.operation),
        ['append', 'append', 'append'],
      );
      assert.equal((snapsA[2].summary as [string, string][]).find(([k]) => k === offsetsKey(CONNECTOR))?.[1], floeSnapshots[2].summary[offsetsKey(CONNECTOR)], 'Spark sees the summary floe wrote');
      const filesBefore = Number(filesA[0].files);
      assert.ok(filesBefore >= 6, `floe's three commits wrote one file per bucket touched (${filesBefore})`);

      // ---- B: compaction and manifest rewrite. Neither changes a row: Spark reads after each;
      // PyIceberg reads the result.
      const [rewrite, afterRewrite, manifests, afterManifests, filesB] = await sql([
        `CALL system.rewrite_data_files(table => '${t}', options => map('min-input-files', '2'))`,
        `SELECT * FROM ${t} ORDER BY id`,
        `CALL system.rewrite_manifests('${t}')`,
        `SELECT * FROM ${t} ORDER BY id`,
        `SELECT count(*) AS files FROM ${t}.files`,
      ]);
      assert.equal(Number(rewrite[0].rewritten_data_files_count), filesBefore, 'every small file was rewritten');
      assert.ok(Number(rewrite[0].added_data_files_count) <= 4, 'into at most one file per bucket');
      assert.equal(Number(filesB[0].files), Number(rewrite[0].added_data_files_count));
      assert.ok(Number(manifests[0].rewritten_manifests_count) >= 1);
      await assertReads(env, SCHEMA, afterRewrite, expected, 'B: after rewrite_data_files (Spark)');
      await assertReads(env, SCHEMA, afterManifests, expected, 'B: after rewrite_manifests');
      const m1 = (await env.catalog.loadTable(id)).metadata;
      const [compaction, manifestRewrite] = newSnapshots(m0, m1);
      assert.equal(newSnapshots(m0, m1).length, 2);
      assert.equal(compaction.summary.operation, 'replace');
      assert.equal(manifestRewrite.summary.operation, 'replace');
      assert.equal(m1['current-snapshot-id'], manifestRewrite['snapshot-id']);
      for (const s of [compaction, manifestRewrite]) {
        // Spark starts each summary afresh: none of floe's keys (offsets, lineage) is carried
        // over from the parent. Its own keys name the engine.
        assert.deepEqual(floeKeys(s), [], `Spark's ${s.summary.operation} snapshot carries no floe key`);
        assert.equal(s.summary['engine-name'], 'spark');
        assert.equal(s.summary['total-records'], '90', "totals continue from floe's summaries");
      }
      // Table properties are untouched by Spark's commits: floe's floor and the custom property stay.
      assert.deepEqual(m1.properties, m0.properties);
      // floe finds its offsets by walking main's ancestry past Spark's snapshots
      const resolved1 = resolveOffsets(m1, CONNECTOR);
      assert.equal(resolved1.source, 'ancestry');
      assert.equal(resolved1.snapshotId, floeSnapshots[2]['snapshot-id']);
      assert.deepEqual([...resolved1.offsets.get(TOPIC)!], [[0, 90n]]);

      // ---- C: schema change and an INSERT by Spark
      const [, , readC] = await sql([
        `ALTER TABLE ${t} ADD COLUMN note string`,
        `INSERT INTO ${t} SELECT ${insertValues(
          { ...SCHEMA, fields: [...SCHEMA.fields, { id: 0, name: 'note', required: false, type: 'string' }] },
          {
            id: '1000L',
            b: 'true',
            i: '7',
            s: "'from spark'",
            u: "'0a0b0c0d-0e0f-1011-1213-141516171819'",
            fx: "X'01020304'",
            req_s: "'spark'",
            note: "'spark'",
          },
        )}`,
        `SELECT * FROM ${t} ORDER BY id`,
      ]);
      const m2 = (await env.catalog.loadTable(id)).metadata;
      const schema2 = currentSchema(m2);
      assert.deepEqual(
        schema2.fields.map((f) => f.name),
        [...SCHEMA.fields.map((f) => f.name), 'note'],
      );
      assert.equal(schema2.fields.at(-1)!.id, m1['last-column-id'] + 1, 'Spark gives the new column the next field id');
      for (const e of expected) e.note = null;
      const sparkRow: Record<string, Expected> = Object.fromEntries(schema2.fields.map((f) => [f.name, null]));
      Object.assign(sparkRow, { id: '1000', b: 'true', i: '7', s: 'from spark', u: '0a0b0c0d-0e0f-1011-1213-141516171819', fx: '01020304', req_s: 'spark', note: 'spark' });
      expected.push(sparkRow);
      await assertReads(env, schema2, readC, expected, 'C: after ALTER TABLE and INSERT');
      const [insertC] = newSnapshots(m1, m2);
      assert.equal(newSnapshots(m1, m2).length, 1, 'ALTER TABLE adds no snapshot, INSERT one');
      assert.equal(insertC.summary.operation, 'append');
      assert.deepEqual(floeKeys(insertC), []);
      assert.equal(insertC.summary['added-records'], '1');
      assert.equal(insertC.summary['total-records'], '91');
      assert.deepEqual(m2.properties, m0.properties, 'ALTER TABLE ADD COLUMN leaves the properties as they were');

      // ---- floe commits on top of Spark's snapshots, with Spark's new column: not fenced (its
      // offsets come from the ancestry), and a zombie starting where floe was before is fenced.
      const floeRows = rowsFor(90, 100, { note: 'floe' });
      const f = await floeCommit(env, floeRows, 90, 100);
      expected.push(...floeRows.map((r) => r.expected));
      await assert.rejects(floeCommit(env, rowsFor(60, 70), 60, 70), FencedError);
      const fId = f.snapshot['snapshot-id'];
      const floorF = (await env.catalog.loadTable(id)).metadata.properties?.[floorKey(CONNECTOR)];
      assert.notEqual(floorF, floor0, 'floe moved its floor');

      // ---- D: an INSERT rolled back to floe's snapshot, another INSERT, then expire every
      // snapshot but the newest (Spark's).
      const rowAt = (idv: string) => insertValues({ ...schema2 }, { id: `${idv}L`, s: `'row ${idv}'`, req_s: "'spark'" });
      const [, readD1, , readD2, , expire, readD3, snapsD] = await sql([
        `INSERT INTO ${t} SELECT ${rowAt('1001')}`,
        `SELECT id FROM ${t} WHERE id >= 1000 ORDER BY id`,
        `CALL system.rollback_to_snapshot('${t}', ${fId})`,
        `SELECT id FROM ${t} WHERE id >= 1000 ORDER BY id`,
        `INSERT INTO ${t} SELECT ${rowAt('1002')}`,
        `CALL system.expire_snapshots(table => '${t}', older_than => TIMESTAMP '2999-12-31 00:00:00', retain_last => 1)`,
        `SELECT * FROM ${t} ORDER BY id`,
        `SELECT snapshot_id, parent_id, operation FROM ${t}.snapshots`,
      ]);
      assert.deepEqual(
        readD1.map((r) => r.id),
        ['1000', '1001'],
      );
      assert.deepEqual(
        readD2.map((r) => r.id),
        ['1000'],
        'rollback_to_snapshot drops the rolled-back INSERT',
      );
      assert.ok(Number(expire[0].deleted_data_files_count) >= filesBefore, 'expiry deletes the compacted files and the rolled-back one');
      assert.equal(snapsD.length, 1);
      expected.push({ ...Object.fromEntries(schema2.fields.map((fl) => [fl.name, null])), id: '1002', s: 'row 1002', req_s: 'spark' });
      await assertReads(env, schema2, readD3, expected, 'D: after rollback, INSERT and expire_snapshots');
      const m3 = (await env.catalog.loadTable(id)).metadata;
      assert.equal(m3.snapshots!.length, 1);
      const [last] = m3.snapshots!;
      assert.equal(String(last['snapshot-id']), snapsD[0].snapshot_id);
      assert.equal(last['parent-snapshot-id'], fId, "Java's expiry keeps the parent id of the snapshot it keeps");
      assert.equal(last.summary.operation, 'append');
      assert.deepEqual(floeKeys(last), []);
      assert.deepEqual(m3.properties, { ...m0.properties, [floorKey(CONNECTOR)]: floorF }, 'expire_snapshots leaves the properties alone');
      // The snapshots holding floe's offsets are gone; the floor (a table property) still has them.
      const resolved = resolveOffsets(m3, CONNECTOR);
      assert.equal(resolved.source, 'floor');
      assert.equal(resolved.snapshotId, fId);
      assert.deepEqual([...resolved.offsets.get(TOPIC)!], [[0, 100n]]);

      // ---- floe resumes after Spark's maintenance from the floor
      const tailRows = rowsFor(100, 110, { note: 'after expiry' });
      await floeCommit(env, tailRows, 100, 110);
      expected.push(...tailRows.map((r) => r.expected));
      const py = await readWithPyIceberg({
        catalog: env.reader.type === 'sql' ? env.reader : { type: 'rest', uri: env.reader.uri, warehouse: env.reader.warehouse },
        table: t,
        s3: env.s3 && { endpoint: env.s3.endpoint, accessKey: env.s3.accessKeyId, secretKey: env.s3.secretAccessKey, region: env.s3.region },
      });
      const names = schema2.fields.map((fl) => fl.name);
      const diffs = diffRows(
        'pyiceberg (final)',
        schema2,
        { columns: names, rows: [...py.rows].sort(byId).map((r) => names.map((n) => r[n])) },
        [...expected].sort((a, b) => Number(a.id) - Number(b.id)),
        { tolerate: pyicebergNullListOfStruct },
      );
      assert.deepEqual(diffs, [], diffs.join('\n'));
    } finally {
      await env.close();
    }
  });
}

for (const kind of CATALOG_KINDS) {
  test(`Spark reads value by value what floe's maintenance wrote: stitched files, rewritten files, rewritten manifests (${kind} catalog)`, async () => {
    const env = await openTableEnv(kind, 'spark-maint');
    const spark: SparkOptions = sparkOptionsFor(env);
    const t = env.qualified('t');
    const id = env.id('t');
    try {
      await env.catalog.createTable(id, {
        schema: SCHEMA,
        partitionSpec: { 'spec-id': 0, fields: [{ 'source-id': 1, 'field-id': 1000, name: 'id_bucket', transform: 'bucket[4]' }] },
      });
      const expected: Record<string, Expected>[] = [];
      const commitRange = async (from: number, to: number) => {
        const rows = rowsFor(from, to);
        await floeCommit(env, rows, from, to);
        expected.push(...rows.map((r) => r.expected));
      };
      for (let from = 0; from < 100; from += 20) await commitRange(from, from + 20);
      const stitched = await compactTable(env.catalog, id, { mode: 'stitch' });
      assert.ok(stitched.groups.length >= 3 && stitched.groups.every((g) => g.status === 'committed'), JSON.stringify(stitched.groups.map((g) => g.status)));
      for (let from = 100; from < 160; from += 20) await commitRange(from, from + 20);
      const rewritten = await compactTable(env.catalog, id, { mode: 'rewrite' });
      assert.ok(rewritten.groups.length >= 3 && rewritten.groups.every((g) => g.status === 'committed' && g.action === 'rewrite'), JSON.stringify(rewritten.groups.map((g) => g.status)));
      const manifests = await rewriteManifests(env.catalog, id, { force: true });
      assert.equal(manifests.status, 'committed', 'reason' in manifests ? manifests.reason : String((manifests as { error?: unknown }).error));
      const [rows, files] = (await runSparkDetailed(spark, [`SELECT * FROM ${t} ORDER BY id`, `SELECT count(*) AS files FROM ${t}.files`])).results.map((r) => r.rows);
      await assertReads(env, SCHEMA, rows, expected, 'after stitch, rewrite and manifest rewrite');
      assert.ok(Number(files[0].files) <= 4, `one file per bucket: ${files[0].files}`);
      assert.equal(
        resolveOffsets((await env.catalog.loadTable(id)).metadata, CONNECTOR)
          .offsets.get(TOPIC)
          ?.get(0),
        160n,
        'the offsets as floe committed them',
      );
    } finally {
      await env.close();
    }
  });
}
