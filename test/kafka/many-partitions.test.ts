// Cost flat in partitions and tables (issue 10, item 5), on the real broker:
//   (a) a table partitioned by bucket(1000, id), REST catalog on S3, with a small write budget
//       (table.writeBufferMaxBytes): every record lands once (read back by PyIceberg), the
//       budget acted (commits hold more data files than partitions: open files were finished
//       early) and no data file outgrew it;
//   (b) field routing to 100 tables, embedded catalog: every record in its own table, once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { OutgoingRecord } from '../../src/kafka/producer.ts';
import { parseConnectorConfig } from '../../src/config/connector-config.ts';
import { catalogFromConfig, startConnector } from '../../src/cli/run.ts';
import { brokers, kafkaClients, uniqueName, waitForTableOffsets } from './helpers.ts';
import { stackEnv } from '../helpers/stack.ts';
import { readWithPyIceberg } from '../helpers/readers.ts';
import type { PyIcebergRead, ReaderCatalog } from '../helpers/readers.ts';

const kafka = kafkaClients();

/** PyIceberg reads of several tables in one Python (read_tables.py). */
function readTables(catalog: ReaderCatalog, tables: string[]): Promise<Record<string, PyIcebergRead>> {
  const script = fileURLToPath(new URL('../helpers/read_tables.py', import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(stackEnv().python, [script], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => reject(e));
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`read_tables.py failed (${code}): ${Buffer.concat(err).toString('utf8')}`));
      resolve(JSON.parse(Buffer.concat(out).toString('utf8')) as Record<string, PyIcebergRead>);
    });
    child.stdin.end(JSON.stringify({ reader: 'pyiceberg', catalog, tables, sort: true }));
  });
}

test('bucket(1000, id) with a small write budget: every record once, open files finished early within the budget', async () => {
  const env = stackEnv();
  const topic = uniqueName('floe-e2e-bucket1000');
  await kafka.admin.createTopic(topic, { partitions: 3 });
  const ns = topic.replace(/-/g, '_');
  const table = `${ns}.events`;
  const budget = 4 * 1024 * 1024;
  const cfg = parseConnectorConfig(
    `
name: ${topic}
kafka: { brokers: ${JSON.stringify(brokers())}, groupId: ${topic}-g, sessionTimeoutMs: 10000 }
format: json
catalog:
  type: rest
  uri: ${env.restUri}
  properties: { s3.endpoint: "${env.s3Endpoint}", s3.access-key-id: ${env.s3AccessKey}, s3.secret-access-key: ${env.s3SecretKey}, s3.region: ${env.s3Region}, s3.path-style-access: "true" }
topics: [${topic}]
table: { name: ${table}, kafkaMetadataColumns: true, partitionBy: ["bucket(1000, id)"], writeBufferMaxBytes: ${budget} }
commit: { intervalMs: 4000, maxRows: 1000000 }
errors: { tolerance: none }
metricsPort: 0
`,
    'many-partitions.yaml',
    {},
  );
  assert.equal(cfg.table.writeBufferMaxBytes, budget);

  const n = 12_000;
  const filler = 'x'.repeat(600);
  const records: OutgoingRecord[] = [];
  for (let i = 0; i < n; i++) records.push({ topic, partition: i % 3, value: JSON.stringify({ id: i, note: `${i} ${filler}` }) });
  const catalog = catalogFromConfig(cfg.catalog);
  const running = await startConnector(cfg);
  try {
    for (let i = 0; i < n; i += 2000) await kafka.producer.send(records.slice(i, i + 2000));
    await waitForTableOffsets(catalog, cfg.name, table, topic, await kafka.admin.endOffsets(topic), { failed: running.failed, timeoutMs: 90_000 });
  } finally {
    await running.stop();
  }

  const read = await readWithPyIceberg({
    catalog: { type: 'rest', uri: env.restUri },
    s3: { endpoint: env.s3Endpoint, accessKey: env.s3AccessKey, secretKey: env.s3SecretKey, region: env.s3Region },
    table,
    columns: ['id', 'note', '_kafka_partition', '_kafka_offset'],
  });
  assert.equal(read.rows.length, n, 'as many rows as records');
  const seen = new Set<string>();
  for (const r of read.rows) {
    assert.ok(!seen.has(r.id as string), `id ${r.id} twice`);
    seen.add(r.id as string);
    const i = Number(r.id);
    assert.equal(r.note, `${i} ${filler}`);
    assert.equal(r._kafka_partition, String(i % 3));
    assert.equal(r._kafka_offset, String(Math.floor(i / 3)));
  }
  assert.equal(seen.size, n);

  // the budget acted: some commit holds two or more files of one partition (one finished early)
  const withRows = read.snapshots.filter((s) => Number(s.summary['added-records'] ?? 0) > 0);
  const files = withRows.reduce((k, s) => k + Number(s.summary['added-data-files']), 0);
  const partitions = withRows.reduce((k, s) => k + Number(s.summary['changed-partition-count']), 0);
  assert.ok(files > partitions, `data files (${files}) outnumber the partitions the commits changed (${partitions}): files were finished early`);
  assert.equal(read.files.length, files, 'every file added is live');
  const largest = Math.max(...read.files.map((f) => f.file_size_in_bytes));
  assert.ok(largest <= budget, `no data file larger than the budget (largest ${largest} B)`);
});

test('field routing to 100 tables: every record in its own table, once; the stop is prompt and leaves the group offsets at the end', async () => {
  const topic = uniqueName('floe-e2e-tables100');
  await kafka.admin.createTopic(topic, { partitions: 4 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-e2e-tables100-'));
  const ns = topic.replace(/-/g, '_');
  const cfg = parseConnectorConfig(
    `
name: ${topic}
kafka: { brokers: ${JSON.stringify(brokers())}, groupId: ${topic}-g, sessionTimeoutMs: 10000 }
format: json
catalog: { type: sql, uri: ${path.join(dir, 'catalog.db')}, warehouse: ${pathToFileURL(path.join(dir, 'wh')).href} }
topics: [${topic}]
table: { name: "${ns}.t_{value}", kafkaMetadataColumns: true }
route: { by: field, field: tenant }
commit: { intervalMs: 1000 }
errors: { tolerance: none }
metricsPort: 0
`,
    'tables100.yaml',
    {},
  );
  const tenants = Array.from({ length: 100 }, (_, k) => `c${String(k).padStart(2, '0')}`);
  const n = 6000;
  const records: OutgoingRecord[] = [];
  const next = [0, 0, 0, 0];
  const where = new Map<string, string>(); // partition:offset → tenant
  for (let i = 0; i < n; i++) {
    const tenant = tenants[(i * 37) % 100];
    const partition = i % 4;
    where.set(`${partition}:${next[partition]++}`, tenant);
    records.push({ topic, partition, value: JSON.stringify({ tenant, seq: i }) });
  }
  const catalog = catalogFromConfig(cfg.catalog);
  const running = await startConnector(cfg);
  try {
    await kafka.producer.send(records);
    // each table: its offsets reach past its last record in every partition
    for (const tenant of tenants) {
      const last = new Map<number, bigint>();
      for (const [key, t] of where) {
        const [p, o] = key.split(':').map(Number);
        if (t === tenant) last.set(p, BigInt(o) + 1n);
      }
      await waitForTableOffsets(catalog, cfg.name, `${ns}.t_${tenant}`, topic, last, { failed: running.failed, timeoutMs: 90_000 });
    }
  } finally {
    // Hundreds of table commits each asked for a group offset commit, which the broker answers
    // only after the fetch in flight (up to its max wait): chained one per table commit, they fell
    // minutes behind and the stop timed out. Coalesced, the stop waits for at most two requests.
    const stopStarted = Date.now();
    await running.stop();
    const stopMs = Date.now() - stopStarted;
    assert.ok(stopMs < 10_000, `stop took ${stopMs} ms`);
  }
  const committed = (await kafka.admin.committedOffsets(`${topic}-g`)).get(topic);
  assert.deepEqual(
    [0, 1, 2, 3].map((p) => committed?.get(p)),
    next.map((o) => BigInt(o)),
    'the group offsets stand at the end of every partition',
  );

  const reads = await readTables(
    { type: 'sql', uri: `sqlite:///${path.join(dir, 'catalog.db')}`, warehouse: pathToFileURL(path.join(dir, 'wh')).href },
    tenants.map((t) => `${ns}.t_${t}`),
  );
  const landed = new Set<string>();
  for (const tenant of tenants) {
    const read = reads[`${ns}.t_${tenant}`];
    for (const r of read.rows) {
      const key = `${r._kafka_partition}:${r._kafka_offset}`;
      assert.ok(!landed.has(key), `${key} landed twice`);
      landed.add(key);
      assert.equal(r.tenant, tenant, `${key} is in its tenant's table`);
      assert.equal(where.get(key), tenant);
      assert.equal(Number(r.seq) % 4, Number(r._kafka_partition));
    }
  }
  assert.equal(landed.size, n, 'every record landed');
  fs.rmSync(dir, { recursive: true, force: true });
});
