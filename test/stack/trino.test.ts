// Trino (what floe's users query tables with) reads tables floe writes, on both catalogs: the
// stack's REST catalog with its S3 warehouse (Trino's catalog `floe`) and floe's embedded SQLite
// catalog on a local folder (a catalog the test creates in Trino). Every type value by value,
// counts, time travel to floe's older snapshots, `$snapshots` with floe's summary entries, a
// column floe adds (old rows null, new rows the value), and filters on partition columns that
// read only the matching partitions' files. floe commits with the exactly-once committer.
// Needs the test stack with Trino (scripts/test.sh starts it for this file).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commitBatch } from '../../src/commit/exactly-once.ts';
import { offsetsKey } from '../../src/commit/offsets-map.ts';
import { updateSchema } from '../../src/commit/schema-update.ts';
import { PartitionedBatch } from '../../src/batch/partitioned-batch.ts';
import { writeDataFiles, appendRecords } from '../../src/writer/fanout-writer.ts';
import { currentSchema, defaultSpec } from '../../src/iceberg/metadata-updates.ts';
import { fileIOFor } from '../../src/io/resolve-file-io.ts';
import type { Schema } from '../../src/iceberg/types.ts';
import { ALL_TYPES_SCHEMA, CATALOG_KINDS, allTypesRows, diffRows, openTableEnv, type CatalogKind, type Expected, type TableEnv } from '../helpers/table-fixtures.ts';
import { openTrinoSqlCatalog, trino, trinoQuery, trinoTable, type Row, type TrinoCatalog } from '../helpers/trino.ts';

const CONNECTOR = 'trino_it';
const TOPIC = 'events';

/** Writes the records with floe's writer and commits them as offsets [from, to) of TOPIC partition 0. */
async function floeCommit(env: TableEnv, records: Record<string, unknown>[], from: number, to: number) {
  const id = env.id('t');
  const table = await env.catalog.loadTable(id);
  const schema = currentSchema(table.metadata);
  const spec = defaultSpec(table.metadata);
  const batch = new PartitionedBatch(env.qualified('t'), schema, spec);
  for (const r of records) batch.append(r);
  const io = fileIOFor(table.metadata.location, table.config);
  const files = await writeDataFiles(table, schema, spec, batch.drain(), { io });
  return commitBatch({ connector: CONNECTOR, catalog: env.catalog, table: id, io, files, ranges: [{ topic: TOPIC, partition: 0, from: BigInt(from), to: BigInt(to) }] });
}

/** Trino's rows equal the expected rows (both in id order), value by value. */
function assertRows(schema: Schema, rows: Row[], expected: Record<string, Expected>[], what: string) {
  const names = schema.fields.map((f) => f.name);
  assert.deepEqual(Object.keys(rows[0] ?? {}), names, `${what}: Trino's columns`);
  const want = [...expected].sort((a, b) => Number(a.id) - Number(b.id));
  const diffs = diffRows(`trino (${what})`, schema, { columns: names, rows: rows.map((r) => names.map((n) => r[n])) }, want);
  assert.deepEqual(diffs, [], `Trino disagrees with what was written:\n${diffs.join('\n')}`);
}

const summaryOf = (row: Row) => Object.fromEntries(row.summary as [string, string][]);

/** A table env and Trino's catalog on it: `floe` for the REST catalog, a new one on floe's SQLite file. */
async function openEnv(kind: CatalogKind, prefix: string): Promise<{ env: TableEnv; catalog: TrinoCatalog; close(): Promise<void> }> {
  const env = await openTableEnv(kind, prefix);
  const catalog =
    env.reader.type === 'rest'
      ? { name: 'floe', drop: async () => {} }
      : await openTrinoSqlCatalog(env.reader).catch(async (e) => {
          await env.close();
          throw e;
        });
  const close = async () => {
    await catalog.drop().catch(() => {});
    await env.close();
  };
  return { env, catalog, close };
}

for (const kind of CATALOG_KINDS) {
  test(`Trino reads floe's table: every type, counts, time travel, $snapshots with floe's summary, a column floe adds (${kind} catalog)`, async () => {
    const { env, catalog, close } = await openEnv(kind, 'trino');
    const t = trinoTable(env.qualified('t'), catalog.name);
    const tSnapshots = trinoTable(env.qualified('t$snapshots'), catalog.name);
    const id = env.id('t');
    try {
      await env.catalog.createTable(id, {
        schema: ALL_TYPES_SCHEMA,
        partitionSpec: { 'spec-id': 0, fields: [{ 'source-id': 1, 'field-id': 1000, name: 'id_bucket', transform: 'bucket[4]' }] },
      });
      // ---- three commits of 40 rows each (offsets 0..120 of TOPIC partition 0)
      const expected: Record<string, Expected>[] = [];
      const snapshotIds: bigint[] = [];
      for (const from of [0, 40, 80]) {
        const rows = allTypesRows(from, 40, 9100 + from);
        const done = await floeCommit(
          env,
          rows.map((r) => r.record),
          from,
          from + 40,
        );
        snapshotIds.push(done.snapshot['snapshot-id']);
        expected.push(...rows.map((r) => r.expected));
      }
      const m = (await env.catalog.loadTable(id)).metadata;

      // every value of every type, and the count
      assertRows(ALL_TYPES_SCHEMA, await trino(`SELECT * FROM ${t} ORDER BY id`), expected, 'all types');
      assert.deepEqual(await trino(`SELECT count(*) AS n, count(DISTINCT id) AS ids FROM ${t}`), [{ n: '120', ids: '120' }]);

      // time travel: floe's first and second snapshots hold the first 40 and 80 rows
      assertRows(ALL_TYPES_SCHEMA, await trino(`SELECT * FROM ${t} FOR VERSION AS OF ${snapshotIds[0]} ORDER BY id`), expected.slice(0, 40), 'FOR VERSION AS OF the first snapshot');
      assert.deepEqual(await trino(`SELECT count(*) AS n, max(id) AS top FROM ${t} FOR VERSION AS OF ${snapshotIds[1]}`), [{ n: '80', top: '79' }]);

      // $snapshots: floe's snapshots, each with floe's summary entries as floe wrote them
      const snaps = await trino(`SELECT snapshot_id, parent_id, operation, summary FROM ${tSnapshots} ORDER BY committed_at`);
      assert.deepEqual(
        snaps.map((s) => [s.snapshot_id, s.operation]),
        snapshotIds.map((sid) => [String(sid), 'append']),
      );
      assert.deepEqual(
        snaps.map((s) => s.parent_id),
        [null, String(snapshotIds[0]), String(snapshotIds[1])],
      );
      for (const [i, s] of m.snapshots!.entries()) {
        const seen = summaryOf(snaps[i]);
        const floeEntries = Object.entries(s.summary).filter(([k]) => k.startsWith('floe.'));
        assert.ok(floeEntries.length >= 2, `floe writes its offsets and lineage: ${JSON.stringify(s.summary)}`);
        assert.deepEqual(
          floeEntries.map(([k]) => [k, seen[k]]),
          floeEntries,
          `Trino shows floe's entries of snapshot ${i}`,
        );
        assert.equal(seen['added-records'], '40');
      }
      assert.deepEqual(JSON.parse(summaryOf(snaps[2])[offsetsKey(CONNECTOR)]), { [TOPIC]: { '0': 120 } });

      // ---- floe adds a column (schema evolution), then commits rows that carry it
      const { changes } = await updateSchema(env.catalog, id, [...ALL_TYPES_SCHEMA.fields, { name: 'note', type: 'string' }]);
      assert.deepEqual(
        changes.map((c) => `${c.kind} ${c.path}`),
        ['add-column note'],
      );
      const later = allTypesRows(120, 20, 9300).map((r) => ({ record: { ...r.record, note: `note ${r.record.id}` }, expected: { ...r.expected, note: `note ${r.expected.id}` } }));
      await floeCommit(
        env,
        later.map((r) => r.record),
        120,
        140,
      );
      const evolved = currentSchema((await env.catalog.loadTable(id)).metadata);
      const all = [...expected.map((e) => ({ ...e, note: null })), ...later.map((r) => r.expected)];
      assertRows(evolved, await trino(`SELECT * FROM ${t} ORDER BY id`), all, 'after floe added a column');
      assert.deepEqual(await trino(`SELECT count(*) AS n FROM ${t} WHERE note IS NULL`), [{ n: '120' }], 'old rows read the new column as null');
      // an older snapshot reads with its own schema (the snapshot's schema-id floe wrote): no new column
      const before = await trinoQuery(`SELECT * FROM ${t} FOR VERSION AS OF ${snapshotIds[2]} ORDER BY id`);
      assert.deepEqual(
        before.columns.map((c) => c.name),
        ALL_TYPES_SCHEMA.fields.map((f) => f.name),
      );
      assertRows(ALL_TYPES_SCHEMA, before.rows, expected, 'FOR VERSION AS OF the snapshot before the new column');
    } finally {
      await close();
    }
  });
}

for (const kind of CATALOG_KINDS) {
  test(`Trino reads only the partitions a filter on partition columns selects: identity and day transforms of a floe table (${kind} catalog)`, async () => {
    const { env, catalog, close } = await openEnv(kind, 'trino-prune');
    const id = env.id('p');
    const p = trinoTable(env.qualified('p'), catalog.name);
    try {
      await env.catalog.createTable(id, {
        schema: {
          type: 'struct',
          'schema-id': 0,
          fields: [
            { id: 1, name: 'id', required: true, type: 'long' },
            { id: 2, name: 'region', required: true, type: 'string' },
            { id: 3, name: 'ts', required: true, type: 'timestamptz' },
          ],
        },
        partitionSpec: {
          'spec-id': 0,
          fields: [
            { 'source-id': 2, 'field-id': 1000, name: 'region', transform: 'identity' },
            { 'source-id': 3, 'field-id': 1001, name: 'ts_day', transform: 'day' },
          ],
        },
      });
      const regions = ['eu', 'us', 'ap', 'sa'];
      // 400 rows: 4 regions × 5 days, 20 rows per (region, day); one file per partition
      const rows = Array.from({ length: 400 }, (_, i) => ({
        id: BigInt(i),
        region: regions[i % 4],
        ts: `2026-03-0${1 + (Math.floor(i / 4) % 5)}T${String(i % 24).padStart(2, '0')}:30:00Z`,
      }));
      await appendRecords(env.catalog, id, rows);

      const parts = await trino(`SELECT partition.region AS region, partition.ts_day AS day, record_count, file_count FROM ${trinoTable(env.qualified('p$partitions'), catalog.name)} ORDER BY 1, 2`);
      assert.equal(parts.length, 20, `20 partitions: ${JSON.stringify(parts)}`);
      assert.ok(
        parts.every((x) => x.record_count === '20' && x.file_count === '1'),
        JSON.stringify(parts),
      );
      assert.deepEqual([...new Set(parts.map((x) => x.day))], ['2026-03-01', '2026-03-02', '2026-03-03', '2026-03-04', '2026-03-05']);

      const all = await trinoQuery(`SELECT id FROM ${p}`);
      assert.equal(all.rows.length, 400);
      assert.equal(all.stats?.processedRows, 400, 'without a filter every row is read');
      const cases: [string, (r: (typeof rows)[number]) => boolean][] = [
        [`region = 'eu'`, (r) => r.region === 'eu'],
        [`ts >= TIMESTAMP '2026-03-03 00:00:00 UTC' AND ts < TIMESTAMP '2026-03-04 00:00:00 UTC'`, (r) => r.ts.startsWith('2026-03-03')],
        [`region IN ('us', 'sa') AND ts >= TIMESTAMP '2026-03-05 00:00:00 UTC'`, (r) => (r.region === 'us' || r.region === 'sa') && r.ts.startsWith('2026-03-05')],
      ];
      for (const [where, keep] of cases) {
        const want = rows.filter(keep).map((r) => String(r.id));
        const got = await trinoQuery(`SELECT id FROM ${p} WHERE ${where} ORDER BY id`);
        assert.deepEqual(
          got.rows.map((r) => r.id),
          want.sort((a, b) => Number(a) - Number(b)),
          `rows of ${where}`,
        );
        // the matching partitions' files only: their rows are exactly the rows that match
        assert.equal(got.stats?.processedRows, want.length, `rows read for ${where}`);
      }
    } finally {
      await close();
    }
  });
}
