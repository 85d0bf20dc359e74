// A schema change while the table's batch cannot commit (the catalog refuses, for a while): the
// rows buffered under the old schema are read again, not dropped (worker.ts: reconcile).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SqlCatalog } from '../../src/catalog/sql-catalog.ts';
import { parseConnectorConfig } from '../../src/config/connector-config.ts';
import { ConnectorWorker } from '../../src/pipeline/worker.ts';
import { createRouter } from '../../src/route/router.ts';
import { decodePlainJson } from '../../src/decode/record-decoder.ts';
import { parseTableName } from '../../src/catalog/catalog.ts';
import { MemorySource } from '../helpers/memory-source.ts';
import { failingSnapshots } from '../helpers/failing-snapshots.ts';
import { tableRows } from '../helpers/table-rows.ts';

const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

test('a new column while the batch of the old schema cannot commit: every record lands once', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hr-reconcile-'));
  const config = parseConnectorConfig(
    `
name: c1
kafka: { brokers: ["127.0.0.1:9"] }
format: json
catalog: { type: sql, uri: ${path.join(dir, 'catalog.db')}, warehouse: ${pathToFileURL(dir).href} }
topics: [events]
table: { name: lake.events, kafkaMetadataColumns: true }
commit: { intervalMs: 60000, maxRows: 10 }
errors: { tolerance: none }
`,
    'test.yaml',
    {},
  );
  const real = new SqlCatalog({ uri: path.join(dir, 'catalog.db'), warehouse: pathToFileURL(dir).href });
  let failSnapshots = 0;
  const catalog = failingSnapshots(real, () => {
    if (failSnapshots === 0) return false;
    failSnapshots--;
    return true;
  });
  const source = new MemorySource(5);
  for (let i = 0; i < 15; i++) source.produce('events', 0, json({ id: i }));
  for (let i = 15; i < 20; i++) source.produce('events', 0, json({ id: i, color: `c${i}` })); // a new column
  const commits: string[] = [];
  const w = new ConnectorWorker({
    config,
    catalog,
    source,
    decode: (b) => ({ value: decodePlainJson(b) }),
    router: createRouter(config.table.name, config.route),
    deadLetters: { add: () => assert.fail('no dead letters expected'), flush: async () => {} },
    events: { committed: (c) => commits.push(c.ranges.map((r) => `[${r.from},${r.to})`).join(' ') + ` rows ${c.rows}`), commitFailed: () => commits.push('commit failed') },
  });
  await w.start();
  await source.assign([{ topic: 'events', partition: 0 }]);
  // the table is created by its first record; offsets 0..9 reach maxRows: the commit fails (kept, back-off)
  failSnapshots = 2;
  await source.pump(2);
  // 10..14 are buffered beside the cut batch; 15 brings a new column: reconcile retries the cut batch (fails again), evolves, replaces the batch
  await source.pump();
  await w.stop();
  const rows = (await tableRows(await real.loadTable(parseTableName('lake.events')))).map((r) => Number(r._kafka_offset)).sort((a, b) => a - b);
  assert.equal(commits.filter((c) => c === 'commit failed').length, 2, `the injected failures happened: ${commits.join('; ')}`);
  assert.deepEqual(
    rows,
    Array.from({ length: 20 }, (_, i) => i),
    'every record once',
  );
});
