// Frequent small commits with commit.manifest.min-count-to-merge=4: 25 appends must leave the
// current snapshot with a bounded number of manifests, all rows readable (PyIceberg and DuckDB),
// and every data file's manifest entry (as PyIceberg's inspect.entries() reads it) must keep the
// snapshot id and sequence numbers of the append that added it, merged or not. SQL catalog.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendRecords } from '../../src/writer/fanout-writer.ts';
import type { Schema } from '../../src/iceberg/types.ts';
import { diffRows, openTableEnv, probe, readRows } from '../helpers/table-fixtures.ts';
import type { Expected, ProbeEntry, ProbeManifest, ProbeSnapshot } from '../helpers/table-fixtures.ts';

const SCHEMA: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'batch', required: true, type: 'int' },
    { id: 3, name: 'v', required: false, type: 'string' },
  ],
};

const APPENDS = 25;
const MIN_COUNT = 4;

test(`${APPENDS} appends with min-count-to-merge=${MIN_COUNT}: bounded manifests, rows intact, entries keep their snapshot ids and sequence numbers`, async () => {
  const env = await openTableEnv('sql', 'merge');
  try {
    const id = env.id('merged');
    await env.catalog.createTable(id, { schema: SCHEMA, properties: { 'commit.manifest.min-count-to-merge': String(MIN_COUNT) } });
    const expected: Record<string, Expected>[] = [];
    const snapshotOf: string[] = [];
    let next = 0;
    for (let b = 0; b < APPENDS; b++) {
      // Append b writes b+1 rows: the record count tells the files apart.
      const records = Array.from({ length: b + 1 }, () => {
        const rid = next++;
        const v = rid % 3 === 0 ? null : `b${b}-r${rid}`;
        expected.push({ id: String(rid), batch: String(b), v });
        return { id: BigInt(rid), batch: b, v };
      });
      const r = await appendRecords(env.catalog, id, records);
      snapshotOf.push(String(r.snapshot['snapshot-id']));
      assert.equal(r.snapshot['sequence-number'], b + 1);
    }

    const [manifests, entries, snaps] = (await probe(env, 'merged', [{ op: 'manifests' }, { op: 'entries' }, { op: 'snapshots' }])) as [
      ProbeManifest[],
      ProbeEntry[],
      { current: string; snapshots: ProbeSnapshot[] },
    ];
    // Bounded: merging starts at MIN_COUNT manifests, so the current snapshot never holds more.
    assert.ok(manifests.length >= 1 && manifests.length <= MIN_COUNT, `current snapshot has ${manifests.length} manifests`);
    assert.ok(
      manifests.some((m) => m.existing_files > 0),
      'no merged manifest (with existing entries) in the current snapshot',
    );
    assert.equal(
      manifests.reduce((n, m) => n + m.added_files + m.existing_files, 0),
      APPENDS,
    );

    // Every data file's entry: the snapshot and sequence number of the append that wrote it.
    assert.equal(entries.length, APPENDS);
    const problems: string[] = [];
    for (const e of entries) {
      const b = Number(e.record_count) - 1;
      if (e.snapshot_id !== snapshotOf[b]) problems.push(`append ${b}: snapshot_id ${e.snapshot_id}, expected ${snapshotOf[b]}`);
      if (e.sequence_number !== String(b + 1)) problems.push(`append ${b}: sequence_number ${e.sequence_number}, expected ${b + 1}`);
      if (e.file_sequence_number !== String(b + 1)) problems.push(`append ${b}: file_sequence_number ${e.file_sequence_number}, expected ${b + 1}`);
      const wantStatus = b === APPENDS - 1 ? 1 : null;
      if (wantStatus !== null && e.status !== wantStatus) problems.push(`append ${b}: status ${e.status}, expected ADDED`);
      if (e.status === 2) problems.push(`append ${b}: DELETED entry in an append-only table`);
    }
    assert.deepEqual(problems, [], problems.join('\n'));
    assert.deepEqual(new Set(entries.map((e) => e.record_count)).size, APPENDS, 'each append must appear once');

    // Snapshots: the chain and the totals.
    assert.equal(snaps.snapshots.length, APPENDS);
    assert.equal(snaps.current, snapshotOf.at(-1));
    assert.equal(snaps.snapshots.at(-1)!.summary['total-records'], String(next));
    assert.equal(snaps.snapshots.at(-1)!.summary['total-data-files'], String(APPENDS));

    const read = await readRows(env, 'merged');
    const diffs = [...diffRows('pyiceberg', SCHEMA, read.pyiceberg, expected), ...diffRows('duckdb', SCHEMA, read.duckdb, expected)];
    assert.deepEqual(diffs, [], diffs.join('\n'));
  } finally {
    await env.close();
  }
});
