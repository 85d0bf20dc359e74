// Manifest rewrite on the real stack (src/maintenance/rewrite-manifests.ts): a table with
// manifest merging off, written by 150 small floe commits (one manifest each), then its data
// manifests rewritten, clustered by partition. Judged by PyIceberg and DuckDB: the same rows
// before and after; every data file still live exactly once; each entry keeps its snapshot id
// and sequence numbers (PyIceberg's inspect.entries); the snapshot is a `replace` without data
// change that keeps the offsets. Then again with a small target: several manifests whose
// entries, in manifest-list order, run through the partitions in order (clustered).
// REST catalog (S3) and embedded SQL catalog.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPartitionSpec } from '../../src/iceberg/partition-spec.ts';
import { currentSnapshot } from '../../src/iceberg/metadata-updates.ts';
import type { Schema } from '../../src/iceberg/types.ts';
import { fileIOFor } from '../../src/io/resolve-file-io.ts';
import { comparePartitions, rewriteManifests } from '../../src/maintenance/rewrite-manifests.ts';
import { readSnapshotFiles } from '../../src/maintenance/table-files.ts';
import { appendRecords } from '../../src/writer/fanout-writer.ts';
import { commitBatch } from '../../src/commit/exactly-once.ts';
import { CATALOG_KINDS, openTableEnv, probe, readRows } from '../helpers/table-fixtures.ts';
import type { ProbeEntry, ProbeManifest, ProbeSnapshot } from '../helpers/table-fixtures.ts';

const SCHEMA: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'p', required: false, type: 'int' },
    { id: 3, name: 's', required: false, type: 'string' },
  ],
};

const COMMITS = 150;

for (const kind of CATALOG_KINDS) {
  test(`${kind}: 150 small commits' manifests rewritten into few, clustered, every file and sequence number kept`, async () => {
    const env = await openTableEnv(kind, 'rwmanifests');
    try {
      const id = env.id('events');
      const { spec } = buildPartitionSpec(SCHEMA, ['p']);
      await env.catalog.createTable(id, { schema: SCHEMA, partitionSpec: spec, properties: { 'commit.manifest-merge.enabled': 'false' } });
      for (let c = 0; c < COMMITS; c++) {
        const rows = [0, 1].map((k) => ({ id: BigInt(c * 2 + k), p: (c * 7 + k) % 5, s: `c${c}` }));
        if (c === COMMITS - 1) {
          const { PartitionedBatch } = await import('../../src/batch/partitioned-batch.ts');
          const { writeDataFiles } = await import('../../src/writer/fanout-writer.ts');
          const table = await env.catalog.loadTable(id);
          const batch = new PartitionedBatch('events', SCHEMA, table.metadata['partition-specs'][0]);
          for (const r of rows) batch.append(r);
          const files = await writeDataFiles(table, SCHEMA, table.metadata['partition-specs'][0], batch.drain());
          await commitBatch({ connector: 'x', catalog: env.catalog, table: id, files, ranges: [{ topic: 't', partition: 0, from: 0n, to: 2n }] });
        } else {
          await appendRecords(env.catalog, id, rows);
        }
      }
      const before = await readRows(env, 'events');
      const [manifestsBefore, entriesBefore, snapsBefore] = (await probe(env, 'events', [{ op: 'manifests' }, { op: 'entries' }, { op: 'snapshots' }])) as [
        ProbeManifest[],
        ProbeEntry[],
        { snapshots: ProbeSnapshot[] },
      ];
      assert.equal(manifestsBefore.length, COMMITS, 'one manifest per commit');
      assert.equal(before.pyiceberg?.rows.length, COMMITS * 2);
      const offsets = snapsBefore.snapshots.at(-1)!.summary['floe.kafka-offsets.x'];
      assert.ok(offsets);

      const result = await rewriteManifests(env.catalog, id, { runId: 'rm-1' });
      assert.equal(result.status, 'committed', JSON.stringify((result as { reason?: string }).reason ?? String((result as { error?: unknown }).error)));
      assert.equal((result as { replaced: number }).replaced, COMMITS);

      const after = await readRows(env, 'events');
      assert.deepEqual(after.pyiceberg?.rows, before.pyiceberg?.rows);
      assert.deepEqual(after.duckdb?.rows, before.duckdb?.rows);
      assert.equal(after.duckdb?.rows.length, COMMITS * 2);

      const [manifestsAfter, entriesAfter, snapsAfter] = (await probe(env, 'events', [{ op: 'manifests' }, { op: 'entries' }, { op: 'snapshots' }])) as [
        ProbeManifest[],
        ProbeEntry[],
        { snapshots: ProbeSnapshot[] },
      ];
      assert.equal(manifestsAfter.length, 1, 'all entries fit one manifest of the default 8 MiB');
      assert.equal(manifestsAfter[0].existing_files, entriesBefore.length);
      assert.equal(manifestsAfter[0].added_files, 0);
      const key = (e: ProbeEntry) => e.file_path;
      const was = new Map(entriesBefore.map((e) => [key(e), e]));
      assert.equal(entriesAfter.length, was.size, 'every data file once');
      assert.equal(new Set(entriesAfter.map(key)).size, entriesAfter.length);
      for (const e of entriesAfter) {
        const b = was.get(key(e));
        assert.ok(b, `${e.file_path} was live before`);
        assert.equal(e.status, 0, 'EXISTING');
        assert.equal(e.snapshot_id, b.snapshot_id, 'snapshot id kept');
        assert.equal(e.sequence_number, b.sequence_number, 'data sequence number kept');
        assert.equal(e.file_sequence_number, b.file_sequence_number, 'file sequence number kept');
      }
      const snap = snapsAfter.snapshots.at(-1)!;
      assert.equal(snap.operation, 'replace');
      assert.equal(snap.summary['floe.maintenance.action'], 'rewrite-manifests');
      assert.equal(snap.summary['floe.maintenance.run-id'], 'rm-1');
      assert.equal(snap.summary['floe.kafka-offsets.x'], offsets);
      assert.equal(snap.summary['total-records'], String(COMMITS * 2));
      assert.equal(snap.summary['total-data-files'], String(entriesBefore.length));
      assert.equal(snap.summary['added-data-files'], undefined);
      assert.equal(snap.summary['manifests-replaced'], String(COMMITS));

      // Not piled up any more: nothing to do.
      assert.equal((await rewriteManifests(env.catalog, id)).status, 'skipped');

      // Forced, with a small target: several manifests, clustered by partition.
      const forced = await rewriteManifests(env.catalog, id, { force: true, targetBytes: 8 * 1024 });
      assert.equal(forced.status, 'committed');
      const table = await env.catalog.loadTable(id);
      const files = await readSnapshotFiles(fileIOFor(table.metadata.location, table.config), currentSnapshot(table.metadata));
      assert.ok(files.manifests.length >= 3, `${files.manifests.length} manifests`);
      const parts = files.manifests.flatMap((m) => m.entries.map((e) => e.dataFile.partition));
      for (let i = 1; i < parts.length; i++) assert.ok(comparePartitions(parts[i - 1], parts[i]) <= 0, 'entries ordered by partition across manifests');
      const perManifest = files.manifests.map((m) => new Set(m.entries.map((e) => String(e.dataFile.partition[0]))).size);
      assert.ok(
        perManifest.every((n) => n <= 2),
        `partitions per manifest ${perManifest}`,
      );
      const again = await readRows(env, 'events');
      assert.deepEqual(again.pyiceberg?.rows, before.pyiceberg?.rows);
      assert.deepEqual(again.duckdb?.rows, before.duckdb?.rows);
    } finally {
      await env.close();
    }
  });
}
