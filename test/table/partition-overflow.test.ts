// A partition value that does not fit its partition field (truncate of a decimal rounds
// towards negative infinity, so it can need one digit more than the column has): the real
// table writer on a local warehouse refuses the record before writing any data file, names
// the table, column and partition field, and leaves no file behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SqlCatalog } from '../../src/catalog/sql-catalog.ts';
import type { TableIdentifier } from '../../src/catalog/catalog.ts';
import { appendRecords } from '../../src/writer/fanout-writer.ts';
import { ValueError } from '../../src/batch/errors.ts';
import { buildPartitionSpec } from '../../src/iceberg/partition-spec.ts';
import type { Schema } from '../../src/iceberg/types.ts';
import { tableRows } from '../helpers/table-rows.ts';

const schema: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'amount', required: false, type: 'decimal(4,2)' },
  ],
};

/** Every file under a folder (recursively), relative to it. */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile());
}

async function setup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-part-overflow-'));
  const catalog = new SqlCatalog({ uri: path.join(dir, 'catalog.db'), warehouse: pathToFileURL(dir).href });
  const id: TableIdentifier = { namespace: ['t'], name: 'payments' };
  await catalog.createNamespace(['t']);
  const created = await catalog.createTable(id, { schema, partitionSpec: buildPartitionSpec(schema, ['truncate(10, amount)']).spec });
  const dataDir = new URL(`${created.metadata.location}/data`).pathname;
  return { catalog, id, dataDir };
}

test('a decimal truncate partition value past the precision fails the append before any data file is written', async () => {
  const { catalog, id, dataDir } = await setup();
  // -99.99 truncates (width 10 on the unscaled value) to -100.00: five digits in a decimal(4,2)
  const records = [
    { id: 1, amount: '12.34' },
    { id: 2, amount: '-99.99' },
    { id: 3, amount: '-0.05' },
  ];
  await assert.rejects(appendRecords(catalog, id, records), (e: unknown) => {
    assert.ok(e instanceof ValueError, `a ValueError, got ${String(e)}`);
    assert.match(e.message, /table t\.payments, column "amount"/);
    assert.match(e.message, /does not fit its partition/);
    assert.match(e.message, /-100\.00/);
    assert.match(e.message, /amount_trunc/);
    return true;
  });
  assert.deepEqual(filesUnder(dataDir), [], 'no data file left behind');
  const table = await catalog.loadTable(id);
  assert.equal(table.metadata['current-snapshot-id'] ?? null, null, 'nothing committed');

  // the same table takes the records that fit, at the edges of the range included
  await appendRecords(catalog, id, [
    { id: 1, amount: '12.34' },
    { id: 3, amount: '-0.05' },
    { id: 4, amount: '-99.90' },
    { id: 5, amount: '99.99' },
  ]);
  const rows = await tableRows(await catalog.loadTable(id));
  assert.deepEqual(rows.map((r) => Number(r.id)).sort(), [1, 3, 4, 5]);
  assert.equal(filesUnder(dataDir).length, 4, 'one file per partition value');
});
