// Snapshot expiry on the real stack (REST catalog + S3), read back by PyIceberg: after floe
// expires a table's old snapshots, PyIceberg time-travels to each kept snapshot (main's head,
// the connector's offsets snapshot, a tag on an old one) and gets exactly its rows; the expired
// snapshot is gone from the catalog and its manifest list from S3.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commitBatch } from '../../src/commit/exactly-once.ts';
import { resolveOffsets } from '../../src/commit/committed-offsets.ts';
import { formatOffsets } from '../../src/commit/offsets-map.ts';
import { currentSchema, defaultSpec } from '../../src/iceberg/metadata-updates.ts';
import type { Snapshot } from '../../src/iceberg/table-metadata.ts';
import { fileIOFor } from '../../src/io/resolve-file-io.ts';
import { expireSnapshots } from '../../src/maintenance/expire-snapshots.ts';
import { appendRecords, writeDataFiles } from '../../src/writer/fanout-writer.ts';
import { PartitionedBatch } from '../../src/batch/partitioned-batch.ts';
import { openTableEnv, runPythonHelper } from '../helpers/table-fixtures.ts';
import type { TableEnv } from '../helpers/table-fixtures.ts';

const DAY = 24 * 60 * 60 * 1000;

async function connectorCommit(env: TableEnv, name: string, from: number, to: number): Promise<Snapshot> {
  const id = env.id(name);
  const table = await env.catalog.loadTable(id);
  const batch = new PartitionedBatch(env.qualified(name), currentSchema(table.metadata), defaultSpec(table.metadata));
  for (let o = from; o < to; o++) batch.append({ id: BigInt(o) });
  const files = await writeDataFiles(table, currentSchema(table.metadata), defaultSpec(table.metadata), batch.drain());
  const r = await commitBatch({ connector: 'c1', catalog: env.catalog, table: id, files, ranges: [{ topic: 'events', partition: 0, from: BigInt(from), to: BigInt(to) }] });
  return r.snapshot;
}

const ids = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => String(from + k));
const sorted = (xs: string[]) => [...xs].sort();

test('PyIceberg time-travels to every snapshot floe kept after expiry and reads its rows (REST + S3)', async () => {
  const env = await openTableEnv('rest', 'expire');
  try {
    const name = 'expiry';
    const id = env.id(name);
    await env.catalog.createTable(id, {
      schema: { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'id', required: true, type: 'long' }] },
      properties: { 'commit.manifest.min-count-to-merge': '2' },
    });
    const s1 = await connectorCommit(env, name, 0, 10);
    const s2 = (
      await appendRecords(
        env.catalog,
        id,
        ids(100, 105).map((x) => ({ id: BigInt(x) })),
      )
    ).snapshot;
    const s3 = await connectorCommit(env, name, 10, 20);
    const s4 = (
      await appendRecords(
        env.catalog,
        id,
        ids(200, 203).map((x) => ({ id: BigInt(x) })),
      )
    ).snapshot;
    await env.catalog.commitTable(id, [], [{ action: 'set-snapshot-ref', 'ref-name': 'old', type: 'tag', 'snapshot-id': s2['snapshot-id'] }]);
    const before = (await env.catalog.loadTable(id)).metadata;

    const report = await expireSnapshots(env.catalog, id, { now: Date.now() + 10 * DAY });
    assert.deepEqual(report.expiredSnapshots, [s1['snapshot-id']], 'kept: main (s4), the path to c1 offsets (s3), the tag (s2)');
    assert.deepEqual(report.failed, []);
    assert.ok(report.deleted.manifestLists === 1 && report.deleted.manifests >= 1, JSON.stringify(report.deleted));

    const table = await env.catalog.loadTable(id);
    const io = fileIOFor(table.metadata.location, table.config);
    assert.equal(await io.exists(s1['manifest-list']), false, "the expired snapshot's manifest list is gone from S3");
    for (const f of report.files.manifests) assert.equal(await io.exists(f.path), false, `deleted: ${f.path}`);
    assert.equal(formatOffsets(resolveOffsets(table.metadata, 'c1').offsets), formatOffsets(resolveOffsets(before, 'c1').offsets));

    const read = await runPythonHelper<{ results: { snapshot_id: string; values?: string[]; error?: string }[] }>('time_travel.py', {
      catalog: env.reader,
      table: env.qualified(name),
      column: 'id',
      snapshot_ids: [s2, s3, s4, s1].map((s) => String(s['snapshot-id'])),
    });
    const [r2, r3, r4, r1] = read.results;
    assert.deepEqual(r2.values, sorted([...ids(0, 10), ...ids(100, 105)]), r2.error);
    assert.deepEqual(r3.values, sorted([...ids(0, 20), ...ids(100, 105)]), r3.error);
    assert.deepEqual(r4.values, sorted([...ids(0, 20), ...ids(100, 105), ...ids(200, 203)]), r4.error);
    assert.ok(r1.error !== undefined, 'the expired snapshot cannot be read');
  } finally {
    await env.close();
  }
});
