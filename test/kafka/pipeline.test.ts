// The whole connector (`floe run`'s startConnector) against the real broker, registry, REST
// catalog and S3: every produced record is either in the table exactly once or in the
// dead-letter topic, with a reason; Avro producers moving to a new schema version evolve the
// table mid-stream. PyIceberg judges the REST table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import avro from 'avsc';
import type { OutgoingRecord } from '../../src/kafka/producer.ts';
import { createKafkaSource } from '../../src/kafka/source.ts';
import type { KafkaRecord } from '../../src/kafka/types.ts';
import { parseConnectorConfig } from '../../src/config/connector-config.ts';
import { catalogFromConfig, startConnector } from '../../src/cli/run.ts';
import { parseTableName } from '../../src/catalog/catalog.ts';
import { tableOffsets } from '../../src/commit/committed-offsets.ts';
import { SchemaRegistryClient } from '../../src/decode/schema-registry.ts';
import { encodeFrame } from '../../src/decode/wire-format.ts';
import { brokers, kafkaClients, uniqueName, waitFor } from './helpers.ts';
import { tableRows } from '../helpers/table-rows.ts';
import { stackEnv } from '../helpers/stack.ts';
import { readWithPyIceberg } from '../helpers/readers.ts';

const kafka = kafkaClients();

const text = new TextDecoder();

/** Reads a whole topic (for dead letters) with a throwaway group. */
async function readTopic(topic: string, expected: number): Promise<KafkaRecord[]> {
  const got: KafkaRecord[] = [];
  const src = createKafkaSource(
    { brokers: brokers(), groupId: uniqueName('floe-dlq-reader'), topics: [topic], defaultStart: 'earliest', maxWaitMs: 200, sessionTimeoutMs: 10_000 },
    { onBatch: async (b) => void got.push(...b.records) },
  );
  await src.start();
  await waitFor(`${expected} records in ${topic}`, () => got.length >= expected, 60_000).finally(() => src.stop());
  return got;
}

async function waitForOffsets(cfgYaml: ReturnType<typeof parseConnectorConfig>, table: string, topic: string, ends: Map<number, bigint>) {
  const catalog = catalogFromConfig(cfgYaml.catalog);
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      const t = await catalog.loadTable(parseTableName(table));
      const m = tableOffsets(t.metadata, cfgYaml.name).get(topic);
      if (m && [...ends].every(([p, end]) => (m.get(p) ?? -1n) >= end)) return;
    } catch {
      // not created yet
    }
    if (Date.now() > deadline) throw new Error(`table ${table} did not reach the end offsets in time`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('JSON topic into the embedded catalog: rows + dead letters = records produced, each once', async () => {
  const topic = uniqueName('floe-e2e-json');
  const dlqTopic = `${topic}.dlq`;
  await kafka.admin.createTopic(topic, { partitions: 4 });
  await kafka.admin.createTopic(dlqTopic, { partitions: 1 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-e2e-'));
  const cfg = parseConnectorConfig(
    `
name: ${topic}
kafka: { brokers: ${JSON.stringify(brokers())}, groupId: ${topic}-g, sessionTimeoutMs: 10000 }
format: json
catalog: { type: sql, uri: ${path.join(dir, 'catalog.db')}, warehouse: ${pathToFileURL(dir).href} }
topics: [${topic}]
table: { name: e2e.events, kafkaMetadataColumns: true, kafkaKeyColumn: string, kafkaHeadersColumn: true, partitionBy: ["bucket(4, user)"] }
commit: { intervalMs: 1000, maxRows: 700 }
errors: { tolerance: all, deadLetterTopic: ${dlqTopic} }
metricsPort: 0
`,
    'e2e.yaml',
    {},
  );
  const records: OutgoingRecord[] = [];
  const bad = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const partition = i % 4;
    const idx = Math.floor(i / 4);
    let value: string;
    if (i % 97 === 13) value = '{"broken json';
    else if (i % 101 === 50) value = JSON.stringify({ user: 'not-a-number', i });
    else value = JSON.stringify({ user: i % 37, i, amount: i + 0.5, note: `n${i}` });
    if (value.startsWith('{"broken') || value.includes('not-a-number')) bad.add(`${partition}:${idx}`);
    records.push({ topic, partition, key: `k${i}`, value, headers: i % 3 === 0 ? { trace: `t${i}` } : {} });
  }
  await kafka.producer.send(records.slice(0, 1000));
  const running = await startConnector(cfg);
  try {
    await kafka.producer.send(records.slice(1000));
    await waitForOffsets(cfg, 'e2e.events', topic, await kafka.admin.endOffsets(topic));
  } finally {
    await running.stop();
  }

  const table = await catalogFromConfig(cfg.catalog).loadTable(parseTableName('e2e.events'));
  const rows = await tableRows(table);
  const keys = rows.map((r) => `${r._kafka_partition}:${r._kafka_offset}`);
  assert.equal(new Set(keys).size, keys.length, 'no (partition, offset) twice');
  const dead = await readTopic(dlqTopic, bad.size);
  const deadKeys = dead.map((d) => {
    const h = new Map(d.headers.map(([key, value]) => [key, value ? text.decode(value) : null]));
    assert.equal(h.get('floe.original.topic'), topic);
    assert.ok(h.get('floe.error.class'), 'error class header');
    assert.ok(h.get('floe.error.message'), 'error message header');
    return `${h.get('floe.original.partition')}:${h.get('floe.original.offset')}`;
  });
  assert.deepEqual(new Set(deadKeys), bad, 'exactly the bad records are dead letters');
  assert.equal(rows.length + bad.size, 2000);
  for (const r of rows) {
    assert.equal(Number(r.i) % 4, Number(r._kafka_partition));
    assert.equal(r._kafka_key, `k${r.i}`, 'the record key is kept');
  }
  const fields = table.metadata.schemas.at(-1)!.fields.map((f) => f.name);
  assert.ok(fields.includes('_kafka_headers') && fields.includes('_kafka_key'));
});

test('Avro through the registry into the REST catalog on S3, evolving mid-stream; PyIceberg reads it', async () => {
  const env = stackEnv();
  const topic = uniqueName('floe-e2e-avro');
  await kafka.admin.createTopic(topic, { partitions: 3 });
  const registry = new SchemaRegistryClient({ url: env.registryUrl });
  const v1 = {
    type: 'record',
    name: 'Order',
    fields: [
      { name: 'id', type: 'long' },
      { name: 'customer', type: 'string' },
      { name: 'amount', type: 'float' },
    ],
  };
  const v2 = { ...v1, fields: [...v1.fields.slice(0, 2), { name: 'amount', type: 'double' }, { name: 'coupon', type: ['null', 'string'], default: null }] };
  const subject = `${topic}-value`;
  const id1 = await registry.register(subject, { schema: JSON.stringify(v1) });
  const ns = uniqueName('e2e').replace(/-/g, '_');
  const cfg = parseConnectorConfig(
    `
name: ${topic}
kafka: { brokers: ${JSON.stringify(brokers())}, groupId: ${topic}-g, sessionTimeoutMs: 10000 }
schemaRegistry: { url: "${env.registryUrl}" }
format: avro
catalog:
  type: rest
  uri: ${env.restUri}
  properties: { s3.endpoint: "${env.s3Endpoint}", s3.access-key-id: ${env.s3AccessKey}, s3.secret-access-key: ${env.s3SecretKey}, s3.region: ${env.s3Region}, s3.path-style-access: "true" }
topics: [${topic}]
table: { name: ${ns}.orders, kafkaMetadataColumns: true }
commit: { intervalMs: 1000, maxRows: 400 }
errors: { tolerance: none }
metricsPort: 0
`,
    'e2e.yaml',
    {},
  );
  const t1 = avro.Type.forSchema(v1 as avro.Schema);
  const first: OutgoingRecord[] = [];
  for (let i = 0; i < 600; i++) first.push({ topic, partition: i % 3, value: encodeFrame(id1, t1.toBuffer({ id: i, customer: `c${i % 10}`, amount: i + 0.5 })) });
  await kafka.producer.send(first);
  const running = await startConnector(cfg);
  try {
    await waitForOffsets(cfg, `${ns}.orders`, topic, await kafka.admin.endOffsets(topic));
    const id2 = await registry.register(subject, { schema: JSON.stringify(v2) });
    const t2 = avro.Type.forSchema(v2 as avro.Schema);
    const second: OutgoingRecord[] = [];
    for (let i = 600; i < 1000; i++)
      second.push({ topic, partition: i % 3, value: encodeFrame(id2, t2.toBuffer({ id: i, customer: `c${i % 10}`, amount: i + 0.25, coupon: i % 2 ? `SAVE${i}` : null })) });
    await kafka.producer.send(second);
    await waitForOffsets(cfg, `${ns}.orders`, topic, await kafka.admin.endOffsets(topic));
  } finally {
    await running.stop();
  }

  const read = await readWithPyIceberg({
    catalog: { type: 'rest', uri: env.restUri },
    table: `${ns}.orders`,
    s3: { endpoint: env.s3Endpoint, accessKey: env.s3AccessKey, secretKey: env.s3SecretKey, region: env.s3Region },
  });
  assert.equal(read.rows.length, 1000);
  const byId = new Map(read.rows.map((r) => [Number(r.id), r]));
  assert.equal(byId.size, 1000);
  assert.equal(byId.get(7)!.amount, '7.5');
  assert.equal(byId.get(7)!.coupon, null, 'rows written before the new column read it as null');
  assert.equal(byId.get(601)!.coupon, 'SAVE601');
  assert.equal(byId.get(602)!.coupon, null);
  assert.equal(byId.get(700)!.amount, '700.25', 'float widened to double');
  const offsets = new Set(read.rows.map((r) => `${r._kafka_partition}:${r._kafka_offset}`));
  assert.equal(offsets.size, 1000);
});
