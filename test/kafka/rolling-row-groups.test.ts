// The whole connector (startConnector) against the real broker, on a table whose
// write.parquet.row-group-size-bytes (set through the connector file's table.properties) is
// far below a commit's rows: the worker hands each partition's rows to the encoder as row
// groups while they arrive and appends them to the commit's open data file. Every commit's file
// must then hold several row groups (PyArrow reads the files' footers), and PyIceberg and DuckDB
// must read every record exactly once, value by value. Embedded SQL catalog, local warehouse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { OutgoingRecord } from '../../src/kafka/producer.ts';
import { parseConnectorConfig } from '../../src/config/connector-config.ts';
import { catalogFromConfig, startConnector } from '../../src/cli/run.ts';
import { localPath } from '../../src/io/local-file-io.ts';
import { brokers, kafkaClients, uniqueName, waitForTableOffsets } from './helpers.ts';
import { stackEnv } from '../helpers/stack.ts';
import { readWithDuckDB, readWithPyIceberg } from '../helpers/readers.ts';
import type { Row } from '../helpers/readers.ts';

const kafka = kafkaClients();

const PARTITIONS = 2;
const PER_PARTITION = 2500;
/** ~1 KB a record: a fetch (1 MiB per partition) holds under 1000, a commit (maxRows) 2500. */
const PAD = 1000;
const MAX_ROWS = 2500;
const ROW_GROUP_BYTES = 64 * 1024;

/** Row counts of each row group of each Parquet file, from its footer (PyArrow). */
function rowGroupsOf(files: string[]): Record<string, number[]> {
  const script = `
import json, sys
import pyarrow.parquet as pq
out = {}
for f in json.load(sys.stdin):
    md = pq.ParquetFile(f).metadata
    out[f] = [md.row_group(i).num_rows for i in range(md.num_row_groups)]
print(json.dumps(out))
`;
  const r = spawnSync(stackEnv().python, ['-c', script], { input: JSON.stringify(files), encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`pyarrow footer read failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const rowKey = (r: Row) => `${r._kafka_partition}:${r._kafka_offset}:${r.id}:${r.pad}`;

test('rows rolled into row groups while they arrive: each commit file has several, PyIceberg and DuckDB read every record once', async () => {
  const topic = uniqueName('floe-rolling-rg');
  await kafka.admin.createTopic(topic, { partitions: PARTITIONS });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-rolling-rg-'));
  const db = path.join(dir, 'catalog.db');
  const warehouse = pathToFileURL(path.join(dir, 'wh')).href;
  const table = 'rolling.events';
  const cfg = parseConnectorConfig(
    `
name: ${topic}
kafka: { brokers: ${JSON.stringify(brokers())}, groupId: ${topic}-g, sessionTimeoutMs: 10000 }
format: json
catalog: { type: sql, uri: ${db}, warehouse: ${warehouse} }
topics: [${topic}]
table:
  name: ${table}
  kafkaMetadataColumns: true
  properties: { write.parquet.row-group-size-bytes: "${ROW_GROUP_BYTES}" }
commit: { intervalMs: 2000, maxRows: ${MAX_ROWS} }
errors: { tolerance: none }
metricsPort: 0
`,
    'rolling.yaml',
    {},
  );

  const expected: string[] = [];
  const records: OutgoingRecord[] = [];
  for (let i = 0; i < PARTITIONS * PER_PARTITION; i++) {
    const partition = i % PARTITIONS;
    const pad = randomBytes(PAD / 2).toString('hex');
    records.push({ topic, partition, key: null, value: JSON.stringify({ id: i, pad }), headers: {} });
    expected.push(`${partition}:${Math.floor(i / PARTITIONS)}:${i}:${pad}`);
  }
  // in sends of 200 (a Kafka batch stays well under the broker's message size limit)
  for (let at = 0; at < records.length; at += 200) await kafka.producer.send(records.slice(at, at + 200));

  const running = await startConnector(cfg);
  try {
    await waitForTableOffsets(catalogFromConfig(cfg.catalog), cfg.name, table, topic, await kafka.admin.endOffsets(topic), { timeoutMs: 60_000, failed: running.failed });
  } finally {
    await running.stop();
  }

  const reader = { catalog: { type: 'sql' as const, uri: `sqlite:///${db}`, warehouse }, table };
  const py = await readWithPyIceberg(reader);
  assert.deepEqual(py.rows.map(rowKey).sort(), [...expected].sort(), 'PyIceberg: every record once, value by value');
  const duck = await readWithDuckDB(reader);
  assert.deepEqual(duck.rows.map(rowKey).sort(), [...expected].sort(), 'DuckDB: every record once, value by value');

  const groups = rowGroupsOf(py.files.map((f) => localPath(f.file_path)));
  const full = py.files.filter((f) => f.record_count >= MAX_ROWS);
  assert.ok(full.length >= 1, `a commit reached maxRows (files: ${py.files.map((f) => f.record_count).join(', ')})`);
  for (const f of py.files) {
    const g = groups[localPath(f.file_path)];
    assert.equal(
      g.reduce((a, b) => a + b, 0),
      f.record_count,
      `${f.file_path}: row groups hold the file's rows`,
    );
    assert.equal(f.split_offsets?.length, g.length, `${f.file_path}: the manifest lists every row group`);
    if (f.record_count >= MAX_ROWS) assert.ok(g.length >= 2, `${f.file_path}: a commit of ${f.record_count} rows in several row groups (${g.join(', ')})`);
  }
});
