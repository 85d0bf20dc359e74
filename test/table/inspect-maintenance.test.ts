// `floe inspect` on a table maintenance works on: per partition its files and how many are small
// (under a quarter of the table's target file size, which it names), and a maintenance snapshot
// shown as such (its floe.maintenance.* entries), not as the connector commit whose lineage it carries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SqlCatalog } from '../../src/catalog/sql-catalog.ts';
import { commitBatch } from '../../src/commit/exactly-once.ts';
import type { Schema } from '../../src/iceberg/types.ts';
import { appendRecords } from '../../src/writer/fanout-writer.ts';

const schema: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'k', required: true, type: 'string' },
  ],
};

const floe = (...args: string[]) => spawnSync(process.execPath, [fileURLToPath(new URL('../../bin/floe.ts', import.meta.url)), ...args], { encoding: 'utf8' });

test('floe inspect: files and small files per partition (threshold named), maintenance snapshots with their files and bytes in and out', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-inspect-maint-'));
  const catalog = new SqlCatalog({ uri: path.join(dir, 'catalog.db'), warehouse: pathToFileURL(dir).href });
  const id = { namespace: ['i'], name: 't' };
  await catalog.createNamespace(['i']);
  // a 4 MiB target: small means under 1 MiB
  await catalog.createTable(id, {
    schema,
    partitionSpec: { 'spec-id': 0, fields: [{ 'source-id': 2, 'field-id': 1000, name: 'k', transform: 'identity' }] },
    properties: { 'write.target-file-size-bytes': String(4 * 1024 * 1024) },
  });
  let n = 0;
  for (let c = 0; c < 4; c++)
    await appendRecords(
      catalog,
      id,
      Array.from({ length: 20 }, () => ({ id: BigInt(n), k: `k${n++ % 2}` })),
    );
  await commitBatch({ connector: 'c1', catalog, table: id, files: [], ranges: [{ topic: 'orders', partition: 0, from: 0n, to: 80n }] });
  await catalog.close?.();

  const before = floe('inspect', 'i.t', '--warehouse', dir);
  assert.equal(before.status, 0, before.stderr);
  assert.match(before.stdout, /small files: 8 of 8 \(under 1\.0 MiB, a quarter of the target file size 4\.0 MiB\)/);
  assert.match(before.stdout, /k=k0 {2}4 files \(4 small\) {2}40 rows {2}[\d.]+ KiB/);
  assert.match(before.stdout, /k=k1 {2}4 files \(4 small\) {2}40 rows/);
  assert.doesNotMatch(before.stdout, /maintenance /);

  const pass = floe('maintain', 'i.t', '--warehouse', dir);
  assert.equal(pass.status, 0, pass.stderr + pass.stdout);

  const after = floe('inspect', 'i.t', '--warehouse', dir);
  assert.equal(after.status, 0, after.stderr);
  assert.match(after.stdout, /small files: 2 of 2/);
  assert.match(after.stdout, /k=k0 {2}1 files \(1 small\) {2}40 rows/);
  const lines = after.stdout.split('\n');
  // the pass committed both partitions' groups in one replace snapshot
  const stitches = lines.filter((l) => /^ {6}maintenance stitch: 2 groups, 8 files → 2, [\d.]+ KiB → [\d.]+ KiB \(run [0-9a-f-]{36}\)$/.test(l));
  assert.equal(stitches.length, 1, after.stdout);
  // the replace snapshot's own line says "replace", and the maintenance line stands where a connector's lineage would be
  for (const l of stitches) assert.match(lines[lines.indexOf(l) - 1], / replace {2}\+80 rows/);
  assert.match(after.stdout, /by connector c1 \(floe [\d.]+\): orders\[0\] 0\.\.79/, "the connector's own commit still shows its lineage");
  assert.equal((after.stdout.match(/by connector c1/g) ?? []).length, 1, 'the maintenance snapshots are not shown as connector commits');
});
