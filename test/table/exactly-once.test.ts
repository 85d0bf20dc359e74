// The exactly-once committer on the embedded catalog: offsets carried in every snapshot,
// commits only from the offset the table holds, zombies fenced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SqlCatalog } from '../../src/catalog/sql-catalog.ts';
import { appendFiles } from '../../src/commit/append.ts';
import { floorKey, parseFloor } from '../../src/commit/committed-offsets.ts';
import { snapshotLineage } from '../../src/commit/lineage.ts';
import { commitBatch, FencedError } from '../../src/commit/exactly-once.ts';
import { formatOffsets } from '../../src/commit/offsets-map.ts';
import { tableOffsets } from '../../src/commit/committed-offsets.ts';
import { PartitionedBatch } from '../../src/batch/partitioned-batch.ts';
import { writeDataFiles } from '../../src/writer/fanout-writer.ts';
import { inspectTable } from '../../src/table/inspect.ts';
import { currentSchema, defaultSpec } from '../../src/iceberg/metadata-updates.ts';
import type { Schema } from '../../src/iceberg/types.ts';
import type { Catalog, TableIdentifier } from '../../src/catalog/catalog.ts';

const schema: Schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'offset', required: true, type: 'long' }] };
const id: TableIdentifier = { namespace: ['k'], name: 't' };

async function setup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-eo-'));
  const mk = () => new SqlCatalog({ uri: path.join(dir, 'catalog.db'), warehouse: pathToFileURL(dir).href });
  const catalog = mk();
  await catalog.createNamespace(['k']);
  await catalog.createTable(id, { schema });
  return { dir, catalog, mk };
}

async function files(catalog: Catalog, from: number, to: number) {
  const table = await catalog.loadTable(id);
  const batch = new PartitionedBatch('k.t', currentSchema(table.metadata), defaultSpec(table.metadata));
  for (let o = from; o < to; o++) batch.append({ offset: BigInt(o) });
  return writeDataFiles(table, currentSchema(table.metadata), defaultSpec(table.metadata), batch.drain());
}

const range = (partition: number, from: number, to: number) => ({ topic: 'orders', partition, from: BigInt(from), to: BigInt(to) });

test('offsets move with each commit and the whole map is carried forward', async () => {
  const { catalog } = await setup();
  await commitBatch({ connector: 'c1', catalog, table: id, files: await files(catalog, 0, 100), ranges: [range(0, 0, 100)] });
  await commitBatch({ connector: 'c1', catalog, table: id, files: await files(catalog, 1000, 1010), ranges: [range(1, 1000, 1010)] });
  const r = await commitBatch({ connector: 'c1', catalog, table: id, files: await files(catalog, 100, 150), ranges: [range(0, 100, 150)] });
  assert.equal(r.snapshot.summary['floe.kafka-offsets.c1'], '{"orders":{"0":150,"1":1010}}');
  const m = tableOffsets((await catalog.loadTable(id)).metadata, 'c1');
  assert.equal(formatOffsets(m), '{"orders":{"0":150,"1":1010}}');
  // another connector's map is separate
  assert.equal(tableOffsets((await catalog.loadTable(id)).metadata, 'c2').size, 0);
});

test('a batch that does not start where the table is gets fenced and commits nothing', async () => {
  const { catalog } = await setup();
  await commitBatch({ connector: 'c1', catalog, table: id, files: await files(catalog, 0, 100), ranges: [range(0, 0, 100)] });
  const zombie = await files(catalog, 50, 120);
  await assert.rejects(
    commitBatch({ connector: 'c1', catalog, table: id, files: zombie, ranges: [range(0, 50, 120)] }),
    (e: unknown) => e instanceof FencedError && e.moved[0].actual === 100n && e.moved[0].expected === 50n,
  );
  const t = await catalog.loadTable(id);
  assert.equal(t.metadata.snapshots!.length, 1);
  assert.equal((await inspectTable(t)).rows, 100);
  for (const f of zombie) assert.equal(fs.existsSync(new URL(f['file-path'])), false, "the fenced batch's files are deleted");
});

test('two workers racing with the same range: exactly one lands', async () => {
  const { catalog, mk } = await setup();
  await commitBatch({ connector: 'c1', catalog, table: id, files: await files(catalog, 0, 10), ranges: [range(0, 0, 10)] });
  const others = [mk(), mk(), mk()];
  const outcomes = await Promise.allSettled([catalog, ...others].map(async (c) => commitBatch({ connector: 'c1', catalog: c, table: id, files: await files(c, 10, 20), ranges: [range(0, 10, 20)] })));
  assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
  for (const o of outcomes) if (o.status === 'rejected') assert.ok(o.reason instanceof FencedError, String(o.reason));
  const t = await catalog.loadTable(id);
  assert.equal((await inspectTable(t)).rows, 20);
  assert.equal(formatOffsets(tableOffsets(t.metadata, 'c1')), '{"orders":{"0":20}}');
});

test('a batch with no files still moves the offsets', async () => {
  const { catalog } = await setup();
  await commitBatch({ connector: 'c1', catalog, table: id, files: await files(catalog, 0, 10), ranges: [range(0, 0, 10)] });
  const r = await commitBatch({ connector: 'c1', catalog, table: id, files: [], ranges: [range(0, 10, 25)] });
  assert.equal(r.snapshot.summary['floe.kafka-offsets.c1'], '{"orders":{"0":25}}');
  assert.equal(r.snapshot.summary['total-records'], '10');
  assert.equal((await inspectTable(await catalog.loadTable(id))).rows, 10);
});

test('each commit writes the floor property in the same commit, and the lineage of what it covers', async () => {
  const { catalog } = await setup();
  await commitBatch({ connector: 'c1', catalog, table: id, files: await files(catalog, 0, 10), ranges: [range(0, 0, 10)] });
  const r = await commitBatch({ connector: 'c1', catalog, table: id, files: await files(catalog, 1000, 1010), ranges: [range(1, 1000, 1010), range(0, 10, 12)], schemaIds: [7, 3, 7] });
  const floor = parseFloor(r.table.metadata.properties?.[floorKey('c1')])!;
  assert.equal(floor.snapshotId, r.snapshot['snapshot-id'], 'the floor names the snapshot committed with it');
  assert.equal(formatOffsets(floor.offsets), '{"orders":{"0":12,"1":1010}}');
  const l = snapshotLineage(r.snapshot)!;
  assert.equal(l.connector, 'c1');
  assert.equal(l.version, JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version);
  assert.deepEqual(l.ranges, [range(0, 10, 12), range(1, 1000, 1010)]);
  assert.deepEqual(l.schemaIds, [3, 7]);
  assert.equal(r.snapshot.summary['floe.kafka-ranges'], '{"orders":{"0":[10,12],"1":[1000,1010]}}');
});

test("a commit on top of another engine's snapshot is fenced by the ancestry, and carries every connector's map forward", async () => {
  const { catalog } = await setup();
  await commitBatch({ connector: 'c1', catalog, table: id, files: await files(catalog, 0, 10), ranges: [range(0, 0, 10)] });
  await commitBatch({ connector: 'c2', catalog, table: id, files: [], ranges: [{ topic: 'other', partition: 0, from: 0n, to: 4n }] });
  // another engine's append: no floe key in its summary
  await appendFiles(catalog, id, await files(catalog, 5000, 5001));
  await assert.rejects(commitBatch({ connector: 'c1', catalog, table: id, files: [], ranges: [range(0, 0, 10)] }), (e: unknown) => e instanceof FencedError && e.moved[0].actual === 10n);
  const r = await commitBatch({ connector: 'c1', catalog, table: id, files: await files(catalog, 10, 20), ranges: [range(0, 10, 20)] });
  assert.equal(r.snapshot.summary['floe.kafka-offsets.c1'], '{"orders":{"0":20}}');
  assert.equal(r.snapshot.summary['floe.kafka-offsets.c2'], '{"other":{"0":4}}', "the other connector's map is carried forward");
  assert.equal(r.table.metadata.properties?.[floorKey('c2')] !== undefined, true, 'and its floor is left as it was');
});

test("floe inspect: lineage per snapshot, each connector's offsets and where from, and which snapshot holds an offset", async () => {
  const { dir, catalog } = await setup();
  await commitBatch({ connector: 'c1', catalog, table: id, files: await files(catalog, 0, 10), ranges: [range(0, 0, 10)], schemaIds: [4] });
  const second = await commitBatch({ connector: 'c1', catalog, table: id, files: await files(catalog, 10, 30), ranges: [range(0, 10, 30)] });
  await appendFiles(catalog, id, await files(catalog, 5000, 5001));
  const floe = (...args: string[]) => spawnSync(process.execPath, [fileURLToPath(new URL('../../bin/floe.ts', import.meta.url)), 'inspect', 'k.t', '--warehouse', dir, ...args], { encoding: 'utf8' });
  const out = floe('--offset', 'orders:0:17');
  assert.equal(out.status, 0, out.stderr);
  assert.match(out.stdout, /by connector c1 \(floe [\d.]+\): orders\[0\] 0\.\.9; schema ids 4/);
  assert.match(out.stdout, /not committed by a floe connector/);
  assert.match(out.stdout, new RegExp(`offsets \\(c1\\) from snapshot ${second.snapshot['snapshot-id']}: \\{"orders":\\{"0":30\\}\\}`));
  assert.match(out.stdout, new RegExp(`orders\\[0\\] offset 17 was committed by connector c1 in snapshot ${second.snapshot['snapshot-id']} \\(range 10\\.\\.29\\), in main's history`));
  assert.match(floe('--offset', 'orders:0:30').stdout, /orders\[0\] offset 30 is not committed to this table \(yet\)/);
  assert.equal(floe('--offset', 'orders-0-30').status, 2, 'a malformed --offset is a usage error');
});
