// `floe maintain` as a process on the embedded catalog: the dry run prints the plan and changes
// nothing; the real pass stitches each partition's small files into one, expires snapshots but
// keeps the connector's offsets snapshot (the offsets resolve the same), removes an orphan, and
// PyIceberg and DuckDB read the same rows before and after, value by value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SqlCatalog } from '../../src/catalog/sql-catalog.ts';
import { resolveOffsets } from '../../src/commit/committed-offsets.ts';
import { commitBatch } from '../../src/commit/exactly-once.ts';
import { formatOffsets } from '../../src/commit/offsets-map.ts';
import { currentSnapshot } from '../../src/iceberg/metadata-updates.ts';
import type { Schema } from '../../src/iceberg/types.ts';
import { LEASE_REF } from '../../src/maintenance/lease.ts';
import { readSnapshotFiles } from '../../src/maintenance/table-files.ts';
import { fileIOFor } from '../../src/io/resolve-file-io.ts';
import { appendRecords } from '../../src/writer/fanout-writer.ts';
import { readWithDuckDB, readWithPyIceberg } from '../helpers/readers.ts';
import type { ReadOptions } from '../helpers/readers.ts';

const schema: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'k', required: true, type: 'string' },
    { id: 3, name: 'v', required: false, type: 'double' },
  ],
};

const floe = (...args: string[]) => spawnSync(process.execPath, [fileURLToPath(new URL('../../bin/floe.ts', import.meta.url)), ...args], { encoding: 'utf8' });

test('floe maintain: dry run changes nothing; a pass stitches small files, expires snapshots but the offsets one, removes orphans; readers see the same rows', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-maintain-'));
  const catalog = new SqlCatalog({ uri: path.join(dir, 'catalog.db'), warehouse: pathToFileURL(dir).href });
  const id = { namespace: ['m'], name: 't' };
  await catalog.createNamespace(['m']);
  await catalog.createTable(id, { schema, partitionSpec: { 'spec-id': 0, fields: [{ 'source-id': 2, 'field-id': 1000, name: 'k', transform: 'identity' }] } });
  let n = 0;
  for (let c = 0; c < 8; c++) {
    const rows = Array.from({ length: 25 }, () => ({ id: BigInt(n), k: `k${n % 3}`, v: n++ % 7 === 0 ? null : n / 4 }));
    await appendRecords(catalog, id, rows);
  }
  await commitBatch({ connector: 'c1', catalog, table: id, files: [], ranges: [{ topic: 't', partition: 0, from: 0n, to: 200n }] });
  await appendRecords(catalog, id, [{ id: 999n, k: 'k0', v: 1.5 }]); // a foreign-looking append on top
  const orphan = path.join(dir, 'm', 't', 'data', 'orphan.parquet');
  fs.writeFileSync(orphan, 'x');
  const before = await catalog.loadTable(id);
  const offsetsBefore = formatOffsets(resolveOffsets(before.metadata, 'c1').offsets);
  const reader: ReadOptions = { catalog: { type: 'sql', uri: `sqlite:///${path.join(dir, 'catalog.db')}`, warehouse: pathToFileURL(dir).href }, table: 'm.t' };
  const py0 = await readWithPyIceberg(reader);
  const duck0 = await readWithDuckDB(reader);
  assert.equal(py0.rows.length, 201);
  const io = fileIOFor(before.metadata.location);
  const files0 = (await readSnapshotFiles(io, currentSnapshot(before.metadata))).data.length;
  assert.ok(files0 >= 24, `${files0} small files`);

  const dry = floe('maintain', 'm.t', '--warehouse', dir, '--dry-run', '--max-snapshot-age-ms', '0', '--orphan-window-ms', '0');
  assert.equal(dry.status, 0, dry.stderr + dry.stdout);
  assert.match(dry.stdout, /dry run: nothing changes/);
  assert.match(dry.stdout, /compaction: 3 group\(s\)/);
  assert.match(dry.stdout, /kept for the offsets of c1: snapshot/);
  assert.match(dry.stdout, /orphans: 1 file\(s\)/);
  const afterDry = await catalog.loadTable(id);
  assert.equal(afterDry.metadataLocation, before.metadataLocation, 'the dry run committed nothing');
  assert.ok(fs.existsSync(orphan));

  const run = floe('maintain', 'm.t', '--warehouse', dir, '--max-snapshot-age-ms', '0', '--orphan-window-ms', '0');
  assert.equal(run.status, 0, run.stderr + run.stdout);
  assert.match(run.stdout, /stitched .*: 9 files → 1/);
  assert.match(run.stdout, /removed 1 orphan file/);
  const after = await catalog.loadTable(id);
  const files1 = await readSnapshotFiles(io, currentSnapshot(after.metadata));
  assert.equal(files1.data.length, 3, 'one file per partition');
  assert.equal(formatOffsets(resolveOffsets(after.metadata, 'c1').offsets), offsetsBefore, 'the connector finds the same offsets');
  assert.equal(resolveOffsets(after.metadata, 'c1').source, 'ancestry');
  assert.ok(after.metadata.snapshots!.length < before.metadata.snapshots!.length, 'snapshots expired');
  assert.equal(after.metadata.refs?.[LEASE_REF], undefined, 'the lease is released');
  assert.equal(fs.existsSync(orphan), false);
  const head = currentSnapshot(after.metadata)!;
  assert.equal(
    head.summary['floe.kafka-offsets.c1'],
    before.metadata.snapshots!.find((s) => s.summary['floe.kafka-offsets.c1'])!.summary['floe.kafka-offsets.c1'],
    'the maintenance snapshot carries the offsets map',
  );
  assert.equal(head.summary['floe.maintenance.action'], 'stitch');

  assert.deepEqual((await readWithPyIceberg(reader)).rows, py0.rows);
  assert.deepEqual((await readWithDuckDB(reader)).rows, duck0.rows);
});
