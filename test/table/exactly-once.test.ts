// The exactly-once committer on the embedded catalog: offsets carried in every snapshot,
// commits only from the offset the table holds, zombies fenced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SqlCatalog } from '../../src/catalog/sql-catalog.ts';
import { commitBatch, FencedError } from '../../src/commit/exactly-once.ts';
import { formatOffsets } from '../../src/commit/offsets-map.ts';
import { tableOffsets } from '../../src/commit/committed-offsets.ts';
import { PartitionedBatch, writeDataFiles } from '../../src/table/table-writer.ts';
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
  for (const f of zombie) assert.equal(fs.existsSync(new URL(f['file-path'])), false, 'the fenced batch\'s files are deleted');
});

test('two workers racing with the same range: exactly one lands', async () => {
  const { catalog, mk } = await setup();
  await commitBatch({ connector: 'c1', catalog, table: id, files: await files(catalog, 0, 10), ranges: [range(0, 0, 10)] });
  const others = [mk(), mk(), mk()];
  const outcomes = await Promise.allSettled(
    [catalog, ...others].map(async (c) => commitBatch({ connector: 'c1', catalog: c, table: id, files: await files(c, 10, 20), ranges: [range(0, 10, 20)] })),
  );
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
