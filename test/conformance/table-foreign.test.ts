// A table that another writer owns: PyIceberg creates it and appends (its snapshot ids are
// random 63-bit numbers, most of them above 2^53), floe appends twice, PyIceberg appends once
// more. Every reader sees every row, the snapshot parent chain is unbroken, sequence numbers
// climb by one, and the summary totals add up across writers. Both catalogs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendRecords } from '../../src/writer/fanout-writer.ts';
import { currentSchema } from '../../src/iceberg/metadata-updates.ts';
import { CATALOG_KINDS, diffRows, openTableEnv, probe, readRows, timestampString } from '../helpers/table-fixtures.ts';
import type { Expected, ProbeSnapshot } from '../helpers/table-fixtures.ts';

const SCHEMA_JSON = {
  type: 'struct',
  'schema-id': 0,
  'identifier-field-ids': [],
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'name', required: false, type: 'string' },
    { id: 3, name: 'ts', required: false, type: 'timestamptz' },
    { id: 4, name: 'score', required: false, type: 'double' },
  ],
};

type Row = {
  id: bigint;
  name: string | null;
  ts: bigint | null;
  score: number | null;
};

function makeRows(first: number, n: number): Row[] {
  return Array.from({ length: n }, (_, k) => {
    const id = BigInt(first + k);
    return {
      id,
      name: k % 5 === 0 ? null : `row-${id % 4n}`, // plain ASCII: pyarrow's S3 client gets HTTP 400 from versitygw for keys with %XX or +
      ts: k % 7 === 0 ? null : 1_704_067_200_000_000n + id * 1_000_001n - 10n ** 15n * BigInt(k % 3),
      score: k % 4 === 0 ? null : Number(id) / 8,
    };
  });
}

const expectedOf = (r: Row): Record<string, Expected> => ({
  id: String(r.id),
  name: r.name,
  ts: r.ts === null ? null : timestampString(r.ts) + '+00:00',
  score: r.score === null ? null : String(r.score),
});

/** Rows for table_probe.py's append (longs and micros as strings). */
const forPython = (rows: Row[]) => rows.map((r) => ({ id: String(r.id), name: r.name, ts: r.ts === null ? null : String(r.ts), score: r.score }));

for (const kind of CATALOG_KINDS) {
  test(`PyIceberg, floe, floe, PyIceberg append to one table (${kind} catalog)`, async () => {
    const env = await openTableEnv(kind, 'foreign');
    try {
      const batches = [makeRows(0, 20), makeRows(100, 15), makeRows(200, 12), makeRows(300, 9)];
      await probe(env, 'shared', [
        { op: 'create', schema: SCHEMA_JSON, partition_by: [{ source: 'name', transform: 'identity', name: 'name' }], properties: { 'format-version': '2' } },
        { op: 'append', rows: forPython(batches[0]) },
      ]);
      const id = env.id('shared');
      const loaded = await env.catalog.loadTable(id);
      const pySnapshotId = loaded.metadata['current-snapshot-id'];
      assert.equal(typeof pySnapshotId, 'bigint', 'snapshot ids are read losslessly (bigint)');
      await appendRecords(env.catalog, id, batches[1]);
      await appendRecords(env.catalog, id, batches[2]);
      const [, snaps] = (await probe(env, 'shared', [{ op: 'append', rows: forPython(batches[3]) }, { op: 'snapshots' }])) as [unknown, { current: string; snapshots: ProbeSnapshot[] }];

      const all = batches.flat();
      const t = await env.catalog.loadTable(id);
      const read = await readRows(env, 'shared');
      const expected = all.map(expectedOf);
      const schema = currentSchema(t.metadata);
      const diffs = [...diffRows('pyiceberg', schema, read.pyiceberg, expected), ...diffRows('duckdb', schema, read.duckdb, expected)];
      assert.deepEqual(diffs, [], diffs.join('\n'));

      assert.equal(snaps.snapshots.length, 4);
      // The chain: each snapshot's parent is the one before; PyIceberg's first id survived floe's commits exactly.
      assert.equal(snaps.snapshots[0].snapshot_id, String(pySnapshotId));
      assert.equal(snaps.snapshots[0].parent_id, null);
      let total = 0;
      let totalFiles = 0;
      snaps.snapshots.forEach((s, i) => {
        if (i > 0) assert.equal(s.parent_id, snaps.snapshots[i - 1].snapshot_id, `snapshot ${i} parent`);
        assert.equal(s.sequence_number, String(i + 1), `snapshot ${i} sequence number`);
        assert.equal(s.operation, 'append');
        assert.equal(s.summary['added-records'], String(batches[i].length), `snapshot ${i} added-records`);
        total += batches[i].length;
        totalFiles += Number(s.summary['added-data-files']);
        assert.equal(s.summary['total-records'], String(total), `snapshot ${i} total-records`);
        assert.equal(s.summary['total-data-files'], String(totalFiles), `snapshot ${i} total-data-files`);
      });
      assert.equal(snaps.current, snaps.snapshots[3].snapshot_id);
      // floe's view agrees with PyIceberg's.
      assert.equal(String(t.metadata['current-snapshot-id']), snaps.current);
      assert.equal(t.metadata['last-sequence-number'], 4);
    } finally {
      await env.close();
    }
  });
}
