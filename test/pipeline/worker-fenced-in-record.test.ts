// A flush that runs in the middle of handling one record (a new schema: the rows buffered under
// the old one are committed first) can be fenced: another worker moved the table. The fence
// reloads the table's offsets and may rewind partitions; the record in hand must then follow
// them: not appended when the table already holds it (it would land twice), and not taken
// before the rows it was rewound to re-read (the rewound rows would be skipped and lost).
// Found by test/kafka chaos with Avro (a second writer schema during a rebalance).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SqlCatalog } from '../../src/catalog/sql-catalog.ts';
import { parseConnectorConfig } from '../../src/config/connector-config.ts';
import type { ConnectorConfig } from '../../src/config/connector-config.ts';
import { ConnectorWorker } from '../../src/pipeline/worker.ts';
import type { SourceRecord } from '../../src/pipeline/source.ts';
import { createRouter } from '../../src/route/router.ts';
import { decodePlainJson } from '../../src/decode/record-decoder.ts';
import { parseTableName } from '../../src/catalog/catalog.ts';
import { MemorySource } from '../helpers/memory-source.ts';
import { tableRows } from '../helpers/table-rows.ts';

const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const parts = [0, 1].map((partition) => ({ topic: 'events', partition }));

function setup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-fenced-in-record-'));
  const config = parseConnectorConfig(
    `
name: c1
kafka: { brokers: ["127.0.0.1:9"] }
format: json
catalog: { type: sql, uri: ${path.join(dir, 'catalog.db')}, warehouse: ${pathToFileURL(dir).href} }
topics: [events]
table: { name: lake.events, kafkaMetadataColumns: true }
commit: { intervalMs: 60000, maxRows: 1000 }
errors: { tolerance: none }
`,
    'test.yaml',
    {},
  );
  const catalog = () => new SqlCatalog({ uri: path.join(dir, 'catalog.db'), warehouse: pathToFileURL(dir).href });
  return { config, catalog };
}

function worker(config: ConnectorConfig, catalog: SqlCatalog, source: MemorySource) {
  const stats = { fenced: 0 };
  const w = new ConnectorWorker({
    config,
    catalog,
    source,
    decode: (b) => ({ value: decodePlainJson(b) }),
    router: createRouter(config.table.name, config.route),
    deadLetters: { add: () => assert.fail('no dead letters expected'), flush: async () => {} },
    events: { fenced: () => stats.fenced++ },
  });
  return { w, stats };
}

/** Two sources over one log: two workers owning both partitions at once (a rebalance overlap). */
function twoSources(fill: (s: MemorySource) => void): [MemorySource, MemorySource] {
  const a = new MemorySource(10);
  fill(a);
  const z = new MemorySource(10);
  for (const [k, v] of a.log) z.log.set(k, v as SourceRecord[]);
  return [a, z];
}

async function rowsOf(catalog: SqlCatalog): Promise<string[]> {
  const rows = await tableRows(await catalog.loadTable(parseTableName('lake.events')));
  return rows.map((r) => `${r._kafka_partition}:${r._kafka_offset}`).sort();
}

const all = (n: number) => [0, 1].flatMap((p) => Array.from({ length: n }, (_, o) => `${p}:${o}`)).sort();

test('fenced while a new schema commits the old rows: a record the other worker already committed is not appended again', async () => {
  const { config, catalog } = setup();
  const [source, zombie] = twoSources((s) => {
    for (let i = 0; i < 20; i++) s.produce('events', 0, json({ id: i }));
    for (let i = 0; i < 20; i++) s.produce('events', 1, json({ id: 100 + i, color: `c${i}` })); // a column the table does not have yet
  });
  const a = worker(config, catalog(), source);
  const z = worker(config, catalog(), zombie);
  await a.w.start();
  await z.w.start();
  await source.assign(parts);
  await zombie.assign(parts);
  await source.pump(1); // A buffers partition 0 (offsets 0..9)
  await zombie.pump(); // Z lands everything
  await z.w.stop();
  assert.deepEqual(await rowsOf(catalog()), all(20), 'the other worker landed every record');
  await source.pump(); // A: partition 1's new column commits A's partition 0 rows first: fenced
  await a.w.stop();
  assert.ok(a.stats.fenced >= 1, 'A was fenced');
  assert.deepEqual(await rowsOf(catalog()), all(20), 'every record once');
});

test('fenced while a new schema commits the old rows: a partition rewound by the fence re-reads its dropped rows before the record in hand', async () => {
  const { config, catalog } = setup();
  const [source, zombie] = twoSources((s) => {
    for (let i = 0; i < 20; i++) s.produce('events', 0, json({ id: i }));
    for (let i = 0; i < 10; i++) s.produce('events', 1, json({ id: 100 + i }));
    for (let i = 10; i < 20; i++) s.produce('events', 1, json({ id: 100 + i, color: `c${i}` })); // from offset 10: a new column
  });
  const a = worker(config, catalog(), source);
  const z = worker(config, catalog(), zombie);
  await a.w.start();
  await z.w.start();
  await source.assign(parts);
  await zombie.assign(parts);
  await source.pump(2); // A buffers partition 0 (0..9) and partition 1 (0..9)
  await zombie.assign([parts[0]]); // Z owns partition 0 only now
  await zombie.pump(); // and lands it: the table has partition 0 at 20, partition 1 not at all
  await z.w.stop();
  // A: partition 0 (10..19) is skipped or buffered; partition 1's record 10 brings the new column:
  // committing the old rows is fenced on partition 0, the fence drops partition 1's rows 0..9
  // and rewinds it to 0; they must be read again, not skipped past record 10.
  await source.pump();
  await a.w.stop();
  assert.ok(a.stats.fenced >= 1, 'A was fenced');
  assert.deepEqual(await rowsOf(catalog()), all(20), 'every record once');
});
