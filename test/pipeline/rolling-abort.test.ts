// Rows dropped by the pipeline worker after their row groups were already written to an open
// data file (write.parquet.row-group-size-bytes tiny: every fetched batch is a row group):
// a zombie fenced at commit, and a worker that crashes while row groups of several partitions
// are being encoded. Nothing may be left in the table's data folder but the files the table
// references (no orphan data file, no temporary file of an open one), and every record lands
// exactly once. Embedded SQL catalog on a local warehouse, in-memory source.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SqlCatalog } from '../../src/catalog/sql-catalog.ts';
import { parseTableName } from '../../src/catalog/catalog.ts';
import { parseConnectorConfig } from '../../src/config/connector-config.ts';
import type { ConnectorConfig } from '../../src/config/connector-config.ts';
import { decodePlainJson } from '../../src/decode/record-decoder.ts';
import { localPath } from '../../src/io/local-file-io.ts';
import { ConnectorWorker } from '../../src/pipeline/worker.ts';
import type { DeadLetterSink } from '../../src/pipeline/worker.ts';
import { createRouter } from '../../src/route/router.ts';
import { inspectTable } from '../../src/table/inspect.ts';
import { inlineEncoder } from '../../src/writer/data-file-writer.ts';
import type { ParquetEncoder } from '../../src/writer/data-file-writer.ts';
import { MemorySource } from '../helpers/memory-source.ts';
import { tableRows } from '../helpers/table-rows.ts';

const enc = new TextEncoder();
const json = (v: unknown) => enc.encode(JSON.stringify(v));
const TABLE = 'lake.events';

function setup(partitionBy = '', maxRows = 40) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-rolling-abort-'));
  const config = parseConnectorConfig(
    `
name: c1
kafka: { brokers: ["127.0.0.1:9"] }
format: json
catalog: { type: sql, uri: ${path.join(dir, 'catalog.db')}, warehouse: ${pathToFileURL(dir).href} }
topics: [events]
table:
  name: ${TABLE}
  kafkaMetadataColumns: true
  properties: { write.parquet.row-group-size-bytes: "1" }
  ${partitionBy ? `partitionBy: [${partitionBy}]` : ''}
commit: { intervalMs: 600000, maxRows: ${maxRows} }
errors: { tolerance: none }
`,
    'test.yaml',
    {},
  );
  const catalog = () => new SqlCatalog({ uri: path.join(dir, 'catalog.db'), warehouse: pathToFileURL(dir).href });
  return { dir, config, catalog };
}

const noDeadLetters: DeadLetterSink = {
  add: (rec, err) => {
    throw new Error(`unexpected dead letter at offset ${rec.offset}: ${err.message}`);
  },
  flush: async () => undefined,
};

function worker(config: ConnectorConfig, catalog: SqlCatalog, source: MemorySource, encoder?: ParquetEncoder) {
  const stats = { fenced: 0, commits: 0 };
  const w = new ConnectorWorker({
    config,
    catalog,
    source,
    encoder,
    decode: (b) => ({ value: decodePlainJson(b) }),
    router: createRouter(config.table.name, config.route),
    deadLetters: noDeadLetters,
    events: { fenced: () => stats.fenced++, committed: () => stats.commits++ },
  });
  return { w, stats };
}

/** Every file under the folder, temporary (dot) files included, as absolute paths. */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

const isTemp = (f: string) => path.basename(f).startsWith('.') || f.endsWith('.tmp');

/** The table's data folder holds exactly the data files its current snapshot references. */
async function assertDataFolderClean(catalog: SqlCatalog): Promise<void> {
  const table = await catalog.loadTable(parseTableName(TABLE));
  const dataDir = localPath(`${table.metadata.location}/data`);
  const present = filesUnder(dataDir);
  assert.deepEqual(present.filter(isTemp), [], 'no temporary file of an open data file is left');
  const referenced = (await inspectTable(table)).files.map((f) => localPath(f.path)).sort();
  assert.deepEqual(present, referenced, 'the data folder holds only the files the table references (no orphans)');
}

async function assertEachOnce(catalog: SqlCatalog, expected: number): Promise<void> {
  const rows = await tableRows(await catalog.loadTable(parseTableName(TABLE)));
  const keys = rows.map((r) => `${r._kafka_partition}:${r._kafka_offset}`);
  assert.equal(new Set(keys).size, keys.length, 'no record twice');
  assert.equal(rows.length, expected, 'every record once');
  for (const r of rows) assert.equal(Number(r.id) % 1000, Number(r._kafka_offset), 'the row holds its record');
}

test('a zombie fenced after its open file got row groups leaves no file behind; nothing lands twice', async () => {
  const { config, catalog } = setup();
  const source = new MemorySource(10);
  for (let i = 0; i < 100; i++) source.produce('events', 0, json({ id: i, name: `n${i}` }));
  const zombieSource = new MemorySource(10);
  zombieSource.log.set([...source.log.keys()][0], source.log.values().next().value!);
  const a = worker(config, catalog(), source);
  const z = worker(config, catalog(), zombieSource);
  await a.w.start();
  await z.w.start();
  await source.assign([{ topic: 'events', partition: 0 }]);
  await zombieSource.assign([{ topic: 'events', partition: 0 }]); // both own p0, both start at 0

  await source.pump(3); // A: 30 rows, written as 3 row groups of its open file
  const table = await catalog().loadTable(parseTableName(TABLE));
  const dataDir = localPath(`${table.metadata.location}/data`);
  // A's open data file is not on disk yet: LocalFileIO gathers its bytes in memory and opens its
  // temporary file only when a chunk of 1 MiB fills, or at close
  assert.deepEqual(filesUnder(dataDir).filter(isTemp), [], "A's open data file holds no temporary file yet");

  await zombieSource.pump(5); // Z commits 40 rows (the table moves past A's batch start)
  assert.equal(z.stats.commits, 1);
  await source.pump(1); // A reaches 40 rows: finishes its file, commits, is fenced, seeks to 40
  assert.equal(a.stats.fenced, 1, 'A was fenced');
  // A's fenced file was finished and then deleted: only the files the table references are in
  // the folder
  const afterFence = filesUnder(dataDir);
  assert.deepEqual(afterFence.filter(isTemp), [], "no temporary file (Z's open file is in memory too)");
  const referenced = (await inspectTable(await catalog().loadTable(parseTableName(TABLE)))).files.map((f) => localPath(f.path)).sort();
  assert.deepEqual(
    afterFence.filter((f) => !isTemp(f)),
    referenced,
    'no data file of the fenced batch is left',
  );

  await zombieSource.pump();
  await source.pump();
  await z.w.stop();
  await a.w.stop();
  await assertDataFolderClean(catalog());
  await assertEachOnce(catalog(), 100);
});

test('a worker crashing while row groups of several partitions are being encoded leaves no temporary file; a restart lands every record once', async () => {
  const { config, catalog } = setup('"k"');
  const source = new MemorySource(30);
  for (let i = 0; i < 90; i++) source.produce('events', 0, json({ id: i, k: i % 3 }));
  // an encoder that holds every row group until released: the crash comes mid-write
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let waiting = 0;
  const gated: ParquetEncoder = {
    encode: inlineEncoder.encode,
    encodeRowGroups: async (schema, batch, options) => {
      waiting++;
      await gate;
      return inlineEncoder.encodeRowGroups!(schema, batch, options);
    },
  };
  const a = worker(config, catalog(), source, gated);
  await a.w.start();
  await source.assign([{ topic: 'events', partition: 0 }]);
  const pumping = source.pump(1).catch(() => undefined); // 30 rows over partitions k=0,1,2: three row groups
  const deadline = Date.now() + 10_000;
  while (waiting < 2) {
    if (Date.now() > deadline) throw new Error(`the worker did not start encoding row groups (${waiting} waiting)`);
    await new Promise((r) => setTimeout(r, 10));
  }
  a.w.abort(); // crash: the rows will not be committed
  release();
  await pumping;
  assert.equal(a.stats.commits, 0);

  // restart: the table has no offsets, everything is read again
  const b = worker(config, catalog(), source);
  await b.w.start();
  await source.assign([{ topic: 'events', partition: 0 }]);
  await source.pump();
  await b.w.stop();
  await assertDataFolderClean(catalog());
  const rows = await tableRows(await catalog().loadTable(parseTableName(TABLE)));
  assert.deepEqual(
    rows.map((r) => Number(r.id)).sort((x, y) => x - y),
    Array.from({ length: 90 }, (_, i) => i),
    'every record once',
  );
});

test('a worker crashing while a batch is being decoded opens no data file afterwards; a restart lands every record once', async () => {
  const { config, catalog } = setup('', 1000); // no commit: the batch's rows stay in open files
  const source = new MemorySource(30);
  for (let i = 0; i < 90; i++) source.produce('events', 0, json({ id: i }));
  // the decoder answers asynchronously, and holds the second batch's records until released
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let held = 0;
  const stats = { commits: 0 };
  const a = new ConnectorWorker({
    config,
    catalog: catalog(),
    source,
    router: createRouter(config.table.name, config.route),
    deadLetters: noDeadLetters,
    decode: async (b) => {
      const value = decodePlainJson(b) as { id: number };
      if (value.id >= 30) {
        held++;
        await gate;
      }
      return { value };
    },
    events: { committed: () => stats.commits++ },
  });
  await a.start();
  await source.assign([{ topic: 'events', partition: 0 }]);
  await source.pump(1); // 30 rows: a row group in the open data file
  const pumping = source.pump(1).catch(() => undefined);
  const deadline = Date.now() + 10_000;
  while (held === 0) {
    if (Date.now() > deadline) throw new Error('the second batch was not decoded');
    await new Promise((r) => setTimeout(r, 10));
  }
  a.abort(); // crash mid-batch: the open file is dropped; the rest of the batch must not open another
  release();
  await pumping;
  assert.equal(stats.commits, 0);

  const b = worker(config, catalog(), source);
  await b.w.start();
  await source.assign([{ topic: 'events', partition: 0 }]);
  await source.pump();
  await b.w.stop();
  await assertDataFolderClean(catalog());
  const rows = await tableRows(await catalog().loadTable(parseTableName(TABLE)));
  assert.deepEqual(
    rows.map((r) => Number(r.id)).sort((x, y) => x - y),
    Array.from({ length: 90 }, (_, i) => i),
    'every record once',
  );
});
