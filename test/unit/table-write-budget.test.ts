// The write budget of a table (src/batch/write-budget.ts): with a thousand partitions buffered,
// PartitionedBatch.takeRowGroups hands over the rows, by partition, once the rows in memory
// exceed the budget, and RollingDataFiles finishes the largest open files once they hold more;
// every row still ends in exactly one data file of the commit (read back from the Parquet files'
// record counts and the table after the append), and abort() leaves none of them behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SqlCatalog } from '../../src/catalog/sql-catalog.ts';
import { ConfigError } from '../../src/config/config-reader.ts';
import { parseConnectorConfig } from '../../src/config/connector-config.ts';
import { appendFiles } from '../../src/commit/append.ts';
import { buildPartitionSpec } from '../../src/iceberg/partition-spec.ts';
import { currentSchema, defaultSpec } from '../../src/iceberg/metadata-updates.ts';
import type { Schema } from '../../src/iceberg/types.ts';
import { fileIOFor } from '../../src/io/resolve-file-io.ts';
import { PartitionedBatch } from '../../src/batch/partitioned-batch.ts';
import { RollingDataFiles } from '../../src/writer/fanout-writer.ts';
import { largestUntil, OPEN_FILE_HELD_BYTES, openFileBytes } from '../../src/batch/write-budget.ts';

const schema: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'payload', required: false, type: 'string' },
  ],
};

const row = (i: number) => ({ id: BigInt(i), payload: `payload ${i} ${'x'.repeat(100)}` });

async function bucketTable(buckets: number) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-budget-'));
  const catalog = new SqlCatalog({ uri: path.join(dir, 'catalog.db'), warehouse: pathToFileURL(dir).href });
  await catalog.createNamespace(['b']);
  const id = { namespace: ['b'], name: 't' };
  await catalog.createTable(id, { schema, partitionSpec: buildPartitionSpec(schema, [`bucket(${buckets}, id)`]).spec });
  const table = await catalog.loadTable(id);
  return { dir, catalog, id, table, schema: currentSchema(table.metadata), spec: defaultSpec(table.metadata), io: fileIOFor(table.metadata.location, table.config) };
}

test('table.writeBufferMaxBytes: optional (the writer has its default), a whole number of at least 1 MiB', () => {
  const yaml = (extra: string) => `
name: orders
kafka: { brokers: ["127.0.0.1:9092"], groupId: g }
format: json
catalog: { type: rest, uri: http://127.0.0.1:8181 }
topics: [orders]
table: { name: shop.orders, partitionBy: ["bucket(1000, id)"]${extra} }
`;
  assert.equal(parseConnectorConfig(yaml(''), 'x.yaml', {}).table.writeBufferMaxBytes, undefined);
  assert.equal(parseConnectorConfig(yaml(', writeBufferMaxBytes: 33554432'), 'x.yaml', {}).table.writeBufferMaxBytes, 32 * 1024 * 1024);
  for (const bad of ['1000', '1500000.5', '"lots"']) {
    assert.throws(
      () => parseConnectorConfig(yaml(`, writeBufferMaxBytes: ${bad}`), 'x.yaml', {}),
      (e: unknown) => e instanceof ConfigError && /table\.writeBufferMaxBytes/.test(e.message),
      bad,
    );
  }
});

test('largestUntil: the largest entries whose removal brings the total down to the target', () => {
  const sizes: [string, number][] = [
    ['a', 5],
    ['b', 50],
    ['c', 20],
    ['d', 25],
  ];
  assert.deepEqual(largestUntil(sizes, 100, 100), []);
  assert.deepEqual(largestUntil(sizes, 100, 50), ['b']);
  assert.deepEqual(largestUntil(sizes, 100, 49), ['b', 'd']);
  assert.deepEqual(largestUntil(sizes, 100, 0), ['b', 'd', 'c', 'a']);
  assert.equal(openFileBytes(0) > 0, true, 'an open file costs something before its first byte');
  assert.equal(openFileBytes(1 << 30), openFileBytes(OPEN_FILE_HELD_BYTES), 'a large file is taken to hold at most a part');
});

test('PartitionedBatch hands its rows over by partition past its write budget; no row lost or doubled', () => {
  const t = { schema, spec: buildPartitionSpec(schema, ['bucket(1000, id)']).spec };
  const budget = 256 * 1024;
  const batch = new PartitionedBatch('b.t', t.schema, t.spec, { writeBufferBytes: budget });
  const unbounded = new PartitionedBatch('b.t', t.schema, t.spec);
  const n = 10_000;
  let taken = 0;
  let takes = 0;
  for (let i = 0; i < n; i++) {
    batch.append(row(i));
    unbounded.append(row(i));
    if (i % 500 === 499) {
      for (const p of batch.takeRowGroups()) {
        taken += p.batch.rowCount;
        takes++;
      }
      assert.ok(batch.memoryBytes <= budget, `after takeRowGroups at most the budget is in memory (${batch.memoryBytes} > ${budget})`);
      assert.equal(unbounded.takeRowGroups().length, 0, 'no budget, no row group size: nothing taken');
    }
  }
  assert.ok(takes > 0 && batch.shedRowGroups === takes, `row groups shed: ${batch.shedRowGroups}`);
  assert.ok(batch.peakMemoryBytes <= budget, `peak ${batch.peakMemoryBytes}`);
  assert.ok(unbounded.memoryBytes > 4 * budget, `the same rows unbounded: ${unbounded.memoryBytes} bytes`);
  assert.equal(batch.rowCount, n, 'rowCount counts taken rows until drain()');
  const rest = batch.drain().reduce((s, p) => s + p.batch.rowCount, 0);
  assert.equal(taken + rest, n);
  assert.equal(batch.rowCount, 0);
  assert.equal(batch.memoryBytes, 0);
});

test('memoryBytes is measured incrementally and agrees with the builders', () => {
  const t = { schema, spec: buildPartitionSpec(schema, ['bucket(50, id)']).spec };
  const batch = new PartitionedBatch('b.t', t.schema, t.spec, { rowGroupBytes: 4096 });
  let taken = 0;
  for (let i = 0; i < 3000; i++) {
    batch.append(row(i));
    if (i % 7 === 0) assert.ok(batch.memoryBytes > 0); // measures, clearing what changed
    if (i % 100 === 99) for (const p of batch.takeRowGroups()) taken += p.batch.rowCount;
  }
  assert.ok(taken > 0, 'partitions that reached the row-group size were taken though memoryBytes measured them first');
  const inMemory = batch.memoryBytes;
  const parts = batch.drain();
  assert.equal(taken + parts.reduce((s, p) => s + p.batch.rowCount, 0), 3000);
  assert.ok(inMemory > 0);
});

test('RollingDataFiles finishes the largest open files past its budget; the commit has every row once', async () => {
  const t = await bucketTable(100);
  try {
    const budget = 512 * 1024;
    const batch = new PartitionedBatch('b.t', t.schema, t.spec, { writeBufferBytes: 256 * 1024 });
    const files = new RollingDataFiles(t.table, t.schema, t.spec, { io: t.io, writeBufferBytes: budget });
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      batch.append(row(i));
      if (i % 1000 === 999) await files.write(batch.takeRowGroups());
    }
    await files.write(batch.drain());
    assert.ok(files.finishedEarly > 0, `files finished early: ${files.finishedEarly}`);
    assert.ok(files.peakOpenBytes <= budget, `open files held at most the budget between writes: ${files.peakOpenBytes}`);
    const written = await files.finish();
    assert.equal(written.length, files.size);
    assert.ok(written.length > 100, `more files than partitions: ${written.length}`);
    assert.equal(
      written.reduce((s, f) => s + Number(f['record-count']), 0),
      n,
    );
    assert.equal(new Set(written.map((f) => f['file-path'])).size, written.length);
    for (const f of written) assert.ok(fs.existsSync(new URL(f['file-path'])), `${f['file-path']} is there`);
    const result = await appendFiles(t.catalog, t.id, written, { io: t.io, specId: t.spec['spec-id'] });
    assert.equal(result.snapshot.summary['added-records'], String(n));
    assert.equal(result.snapshot.summary['added-data-files'], String(written.length));
  } finally {
    fs.rmSync(t.dir, { recursive: true, force: true });
  }
});

test('RollingDataFiles.abort deletes the files it finished early', async () => {
  const t = await bucketTable(100);
  try {
    const batch = new PartitionedBatch('b.t', t.schema, t.spec, { rowGroupBytes: 1 });
    const files = new RollingDataFiles(t.table, t.schema, t.spec, { io: t.io, writeBufferBytes: 1024 * 1024 });
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 2000; i++) batch.append(row(round * 2000 + i));
      await files.write(batch.takeRowGroups());
    }
    assert.ok(files.finishedEarly > 0, `files finished early: ${files.finishedEarly}`);
    batch.append(row(-1));
    await files.abort();
    const left: string[] = [];
    for await (const f of t.io.list(`${t.table.metadata.location}/data`)) left.push(f.location);
    assert.deepEqual(left, []);
    await assert.rejects(files.write(batch.drain()), /already finished or aborted/);
  } finally {
    fs.rmSync(t.dir, { recursive: true, force: true });
  }
});
