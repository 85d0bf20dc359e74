// Routing to several tables on the real broker: (a) a topic pattern into one table per topic
// ({topic} in the table name), Avro through the registry into the REST catalog on S3; (b) a
// field's value into one table per value ({value} in the table name, plus an explicit
// value → table entry), plain JSON from two topics into the embedded catalog. For every
// table: its rows (read by PyIceberg) and its offsets map; across tables and the dead-letter
// topic: every record produced is in exactly one place, once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import avro from 'avsc';
import type { OutgoingRecord } from '../../src/kafka/producer.ts';
import { parseConnectorConfig } from '../../src/config/connector-config.ts';
import { catalogFromConfig, startConnector } from '../../src/cli/run.ts';
import { NoSuchTableError, parseTableName } from '../../src/catalog/catalog.ts';
import type { Catalog } from '../../src/catalog/catalog.ts';
import { tableOffsets } from '../../src/commit/committed-offsets.ts';
import { SchemaRegistryClient } from '../../src/decode/schema-registry.ts';
import { brokers, headerStrings, javaSerializerFrame, kafkaClients, readWholeTopic, sleep, uniqueName, waitForTableOffsets } from './helpers.ts';
import { stackEnv } from '../helpers/stack.ts';
import { readWithPyIceberg } from '../helpers/readers.ts';
import type { ReaderCatalog, ReaderS3, Row } from '../helpers/readers.ts';

const kafka = kafkaClients();

/** "topic:partition:offset" of every dead letter, with its floe.* headers checked. */
async function deadLetterKeys(dlqTopic: string, expectedClass: (key: string) => string): Promise<Set<string>> {
  const ends = await kafka.admin.endOffsets(dlqTopic);
  const count = [...ends.values()].reduce((n, o) => n + Number(o), 0);
  const dead = await readWholeTopic(dlqTopic, count);
  assert.equal(dead.length, count);
  const keys = new Set<string>();
  for (const d of dead) {
    const h = headerStrings(d);
    const key = `${h.get('floe.original.topic')}:${h.get('floe.original.partition')}:${h.get('floe.original.offset')}`;
    assert.ok(!keys.has(key), `dead letter ${key} twice`);
    keys.add(key);
    assert.equal(h.get('floe.error.class'), expectedClass(key), `error class of dead letter ${key}`);
    assert.ok(h.get('floe.error.message'), `dead letter ${key} has a message`);
  }
  return keys;
}

/** The table's offsets map for this connector, as {topic: {partition: offset}} strings. */
async function offsetsOf(catalog: Catalog, connector: string, table: string): Promise<Record<string, Record<string, string>>> {
  const t = await catalog.loadTable(parseTableName(table));
  const out: Record<string, Record<string, string>> = {};
  for (const [topic, parts] of tableOffsets(t.metadata, connector)) {
    out[topic] = Object.fromEntries([...parts].map(([p, o]) => [String(p), String(o)]));
  }
  return out;
}

const endsRecord = (ends: Map<number, bigint>): Record<string, string> => Object.fromEntries([...ends].map(([p, o]) => [String(p), String(o)]));

test('a topic pattern routes each matching topic to its own table ({topic}); other topics are not read', async () => {
  const env = stackEnv();
  const base = uniqueName('floe-e2e-pat');
  const names = ['orders', 'Clicks.v2', 'users'];
  const topics = names.map((n) => `${base}-${n}`);
  const other = `${base}-ignored-x`; // does not match the pattern
  const dlqTopic = `${base}.dlq`;
  for (const t of [...topics, other]) await kafka.admin.createTopic(t, { partitions: 2 });
  await kafka.admin.createTopic(dlqTopic, { partitions: 1 });
  const registry = new SchemaRegistryClient({ url: env.registryUrl });
  const schemas = [
    {
      type: 'record',
      name: 'Order',
      fields: [
        { name: 'id', type: 'long' },
        { name: 'customer', type: 'string' },
        { name: 'amount', type: 'double' },
      ],
    },
    {
      type: 'record',
      name: 'Click',
      fields: [
        { name: 'id', type: 'long' },
        { name: 'x', type: 'int' },
        { name: 'tags', type: { type: 'array', items: 'string' } },
      ],
    },
    {
      type: 'record',
      name: 'User',
      fields: [
        { name: 'id', type: 'long' },
        { name: 'active', type: 'boolean' },
        { name: 'nick', type: ['null', 'string'], default: null },
      ],
    },
  ];
  const types = schemas.map((s) => avro.Type.forSchema(s as avro.Schema));
  const ids: number[] = [];
  for (let k = 0; k < topics.length; k++) ids.push(await registry.register(`${topics[k]}-value`, { schema: JSON.stringify(schemas[k]) }));
  const ns = base.replace(/-/g, '_');
  const tableOf = (topic: string) => `${ns}.${topic.replace(/[^A-Za-z0-9_]/g, '_').toLowerCase()}`;
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const cfg = parseConnectorConfig(
    `
name: ${base}
kafka: { brokers: ${JSON.stringify(brokers())}, groupId: ${base}-g, sessionTimeoutMs: 10000 }
schemaRegistry: { url: "${env.registryUrl}" }
format: avro
catalog:
  type: rest
  uri: ${env.restUri}
  properties: { s3.endpoint: "${env.s3Endpoint}", s3.access-key-id: ${env.s3AccessKey}, s3.secret-access-key: ${env.s3SecretKey}, s3.region: ${env.s3Region}, s3.path-style-access: "true" }
topicPattern: '${escape(base)}-(orders|Clicks\\.v2|users)'
table: { name: "${ns}.{topic}", kafkaMetadataColumns: true }
commit: { intervalMs: 500, maxRows: 200 }
errors: { tolerance: all, deadLetterTopic: ${dlqTopic} }
metricsPort: 0
`,
    'routing-pattern.yaml',
    {},
  );

  const expected = new Map<string, Row>(); // topic:partition:offset → row
  const bad = new Set<string>();
  const records: OutgoingRecord[] = [];
  for (let k = 0; k < topics.length; k++) {
    const next = [0, 0];
    for (let i = 0; i < 300; i++) {
      const partition = i % 2;
      const key = `${topics[k]}:${partition}:${next[partition]++}`;
      if (i % 53 === 7) {
        bad.add(key);
        records.push({ topic: topics[k], partition, value: Buffer.from(`not avro ${i}`) }); // no magic byte
        continue;
      }
      const id = k * 1000 + i;
      const meta = { _kafka_topic: topics[k], _kafka_partition: String(partition), _kafka_offset: key.split(':')[2] };
      let v: Record<string, unknown>;
      if (k === 0) {
        v = { id, customer: `c${i % 9}`, amount: i / 4 };
        expected.set(key, { id: String(id), customer: `c${i % 9}`, amount: Number.isInteger(i / 4) ? `${i / 4}.0` : String(i / 4), ...meta });
      } else if (k === 1) {
        v = { id, x: i - 150, tags: i % 3 ? ['a', `t${i}`] : [] };
        expected.set(key, { id: String(id), x: String(i - 150), tags: v.tags as string[], ...meta });
      } else {
        v = { id, active: i % 2 === 0, nick: i % 5 ? `n${i}` : null };
        expected.set(key, { id: String(id), active: String(i % 2 === 0), nick: i % 5 ? `n${i}` : null, ...meta });
      }
      records.push({ topic: topics[k], partition, value: javaSerializerFrame(ids[k], types[k].toBuffer(v)) });
    }
  }
  for (let i = 0; i < 40; i++) records.push({ topic: other, partition: i % 2, value: javaSerializerFrame(ids[0], types[0].toBuffer({ id: 99_000 + i, customer: 'x', amount: 0 })) });
  await kafka.producer.send(records.slice(0, 500));
  const catalog = catalogFromConfig(cfg.catalog);
  const running = await startConnector(cfg);
  try {
    await kafka.producer.send(records.slice(500));
    for (const t of topics) await waitForTableOffsets(catalog, cfg.name, tableOf(t), t, await kafka.admin.endOffsets(t), { failed: running.failed });
  } finally {
    await running.stop();
  }

  const reader: { catalog: ReaderCatalog; s3: ReaderS3 } = {
    catalog: { type: 'rest', uri: env.restUri },
    s3: { endpoint: env.s3Endpoint, accessKey: env.s3AccessKey, secretKey: env.s3SecretKey, region: env.s3Region },
  };
  const landed = new Set<string>();
  for (let k = 0; k < topics.length; k++) {
    const table = tableOf(topics[k]);
    assert.deepEqual(await offsetsOf(catalog, cfg.name, table), { [topics[k]]: endsRecord(await kafka.admin.endOffsets(topics[k])) }, `${table}: offsets map holds exactly its own topic, at its end`);
    const read = await readWithPyIceberg({ ...reader, table });
    assert.deepEqual(
      (read.schema.fields as { name: string }[]).map((f) => f.name).filter((n) => !n.startsWith('_kafka_')),
      schemas[k].fields.map((f) => f.name),
      `${table} has its own topic's columns`,
    );
    for (const r of read.rows) {
      const key = `${r._kafka_topic}:${r._kafka_partition}:${r._kafka_offset}`;
      assert.equal(r._kafka_topic, topics[k], `${table} holds only ${topics[k]}`);
      assert.ok(!landed.has(key), `${key} landed twice`);
      landed.add(key);
      const { _kafka_timestamp, ...rest } = r;
      assert.ok(_kafka_timestamp);
      assert.deepEqual(rest, expected.get(key), `${table} row ${key}`);
    }
  }
  const tablesNow = await catalog.listTables([ns]);
  assert.deepEqual(tablesNow.map((t) => t.name).sort(), topics.map((t) => tableOf(t).split('.')[1]).sort(), 'one table per matching topic, none for the others');
  const dead = await deadLetterKeys(dlqTopic, () => 'DecodeError');
  assert.deepEqual(dead, bad, 'exactly the undecodable records are dead letters');
  for (const key of dead) assert.ok(!landed.has(key), `${key} both landed and dead-lettered`);
  assert.equal(landed.size, expected.size, 'every good record landed');
  assert.equal(landed.size + dead.size, 900, 'rows + dead letters = records produced to matching topics');
});

test('routing by a field value: one table per value ({value}) and an explicit entry; rows + dead letters = produced, each once', async () => {
  const base = uniqueName('floe-e2e-field');
  const topics = [`${base}-web`, `${base}-app`];
  const dlqTopic = `${base}.dlq`;
  for (const t of topics) await kafka.admin.createTopic(t, { partitions: 2 });
  await kafka.admin.createTopic(dlqTopic, { partitions: 1 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-e2e-field-'));
  const cfg = parseConnectorConfig(
    `
name: ${base}
kafka: { brokers: ${JSON.stringify(brokers())}, groupId: ${base}-g, sessionTimeoutMs: 10000 }
format: json
catalog: { type: sql, uri: ${path.join(dir, 'catalog.db')}, warehouse: ${pathToFileURL(path.join(dir, 'wh')).href} }
topics: ${JSON.stringify(topics)}
table: { name: "routed.events_{value}", kafkaMetadataColumns: true }
route: { by: field, field: meta.kind, tables: { VIP: routed.vip } }
commit: { intervalMs: 500, maxRows: 150 }
errors: { tolerance: all, deadLetterTopic: ${dlqTopic} }
metricsPort: 0
`,
    'routing-field.yaml',
    {},
  );

  // kind → table and that kind's own fields
  const kinds: { kind: string; table: string; body: (i: number) => Record<string, unknown>; row: (i: number) => Row }[] = [
    { kind: 'click', table: 'routed.events_click', body: (i) => ({ x: i, y: -i }), row: (i) => ({ x: String(i), y: String(-i) }) },
    { kind: 'Page-View', table: 'routed.events_page_view', body: (i) => ({ url: `/p/${i}` }), row: (i) => ({ url: `/p/${i}` }) },
    { kind: 'purchase', table: 'routed.events_purchase', body: (i) => ({ amount: i + 0.5, items: [`sku${i}`] }), row: (i) => ({ amount: String(i + 0.5), items: [`sku${i}`] }) },
    { kind: 'VIP', table: 'routed.vip', body: (i) => ({ level: i % 3 }), row: (i) => ({ level: String(i % 3) }) },
  ];
  const expected = new Map<string, { table: string; row: Row }>();
  const bad = new Map<string, string>(); // key → error class
  const records: OutgoingRecord[] = [];
  const next = new Map<string, number>();
  for (let i = 0; i < 1200; i++) {
    const topic = topics[i % 2];
    const partition = Math.floor(i / 2) % 2;
    const tp = `${topic}:${partition}`;
    const offset = next.get(tp) ?? 0;
    next.set(tp, offset + 1);
    const key = `${tp}:${offset}`;
    if (i % 97 === 5) {
      bad.set(key, 'RouteError');
      records.push({ topic, partition, value: JSON.stringify({ meta: {}, i }) }); // no routing value
    } else if (i % 89 === 6) {
      bad.set(key, 'RouteError');
      records.push({ topic, partition, value: JSON.stringify({ meta: { kind: { nested: true } }, i }) }); // not a scalar
    } else if (i % 83 === 7) {
      bad.set(key, 'DecodeError');
      records.push({ topic, partition, value: `{"meta": {"kind": "click"}, "i": ${i}` }); // broken JSON
    } else {
      const k = kinds[(i * 7) % 4];
      records.push({ topic, partition, value: JSON.stringify({ meta: { kind: k.kind, seq: i }, ...k.body(i) }) });
      expected.set(key, {
        table: k.table,
        row: { meta: { kind: k.kind, seq: String(i) }, ...k.row(i), _kafka_topic: topic, _kafka_partition: String(partition), _kafka_offset: String(offset) },
      });
    }
  }
  await kafka.producer.send(records.slice(0, 600));
  const catalog = catalogFromConfig(cfg.catalog);
  const running = await startConnector(cfg);
  try {
    await kafka.producer.send(records.slice(600));
    // each table has every record routed to it: its offsets reach past its last one per partition
    for (const k of kinds) {
      for (const topic of topics) {
        const last = new Map<number, bigint>();
        for (const [key, e] of expected) {
          const [t, p, o] = key.split(':');
          if (t === topic && e.table === k.table) last.set(Number(p), BigInt(o) + 1n);
        }
        await waitForTableOffsets(catalog, cfg.name, k.table, topic, last, { failed: running.failed });
      }
    }
  } finally {
    await running.stop(); // commits every table's offsets up to where the worker read
  }

  const reader = { catalog: { type: 'sql' as const, uri: `sqlite:///${path.join(dir, 'catalog.db')}`, warehouse: pathToFileURL(path.join(dir, 'wh')).href } };
  const ends: Record<string, Record<string, string>> = {};
  for (const t of topics) ends[t] = endsRecord(await kafka.admin.endOffsets(t));
  const landed = new Set<string>();
  for (const k of kinds) {
    assert.deepEqual(await offsetsOf(catalog, cfg.name, k.table), ends, `${k.table}: offsets map covers both topics to their ends after the stop`);
    const read = await readWithPyIceberg({ ...reader, table: k.table });
    const cols = (read.schema.fields as { name: string }[]).map((f) => f.name).filter((n) => !n.startsWith('_kafka_'));
    assert.deepEqual(cols, ['meta', ...Object.keys(k.body(1))], `${k.table} has only its kind's columns`);
    let n = 0;
    for (const r of read.rows) {
      const key = `${r._kafka_topic}:${r._kafka_partition}:${r._kafka_offset}`;
      assert.ok(!landed.has(key), `${key} landed twice (second time in ${k.table})`);
      landed.add(key);
      const want = expected.get(key);
      assert.ok(want, `${k.table}: ${key} was not a good record`);
      assert.equal(want.table, k.table, `${key} routed to ${k.table}, expected ${want.table}`);
      const { _kafka_timestamp, ...rest } = r;
      assert.ok(_kafka_timestamp);
      assert.deepEqual(rest, want.row, `${k.table} row ${key}`);
      n++;
    }
    assert.ok(n > 100, `${k.table} got its share (${n})`);
  }
  const tables = (await catalog.listTables(['routed'])).map((t) => t.name).sort();
  assert.deepEqual(tables, ['events_click', 'events_page_view', 'events_purchase', 'vip'], 'no table for the explicit value under the template name');
  const dead = await deadLetterKeys(dlqTopic, (key) => bad.get(key) ?? 'not a bad record');
  assert.deepEqual(dead, new Set(bad.keys()), 'exactly the unroutable and undecodable records are dead letters');
  assert.equal(landed.size, expected.size, 'every good record landed');
  assert.equal(landed.size + dead.size, 1200, 'rows + dead letters = records produced');
});

test('field routing across a crash (SIGKILL): rows buffered for one table survive another table committing the partition past them', async () => {
  const topic = uniqueName('floe-e2e-field-crash');
  await kafka.admin.createTopic(topic, { partitions: 1 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-e2e-field-crash-'));
  const text = (groupId: string, maxRows: number) => `
name: ${topic}
kafka: { brokers: ${JSON.stringify(brokers())}, groupId: ${groupId}, sessionTimeoutMs: 10000 }
format: json
catalog: { type: sql, uri: ${path.join(dir, 'catalog.db')}, warehouse: ${pathToFileURL(path.join(dir, 'wh')).href} }
topics: [${topic}]
table: { name: "crash.events_{value}", kafkaMetadataColumns: true }
route: { by: field, field: kind, tables: { VIP: crash.vip } }
commit: { intervalMs: 600000, maxRows: ${maxRows} }
metricsPort: 0
`;
  const file = path.join(dir, 'c.yaml');
  fs.writeFileSync(file, text(`${topic}-g`, 100));
  const record = (i: number): OutgoingRecord => ({ topic, partition: 0, value: JSON.stringify({ kind: i < 10 ? 'click' : i < 160 ? 'VIP' : 'marker', i }) });
  // Offsets 0-9 go to the template table (10 rows: never a flush by themselves), 10-109 to the
  // explicit table, whose 100th row flushes it and moves the partition to 110 (the template
  // table commits its rows first). Produced before the start, so all are read at once.
  await kafka.producer.send(Array.from({ length: 110 }, (_, i) => record(i)));
  const catalog = catalogFromConfig(parseConnectorConfig(text('x', 100), file, {}).catalog);
  const repo = path.resolve(import.meta.dirname, '../..');
  const child = spawn(process.execPath, [path.join(repo, 'bin/floe.ts'), 'run', '-c', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  try {
    await waitForTableOffsets(catalog, topic, 'crash.vip', topic, new Map([[0, 110n]]), { timeoutMs: 60_000 });
    // 110-159 go to the explicit table too (50 rows: buffered, no flush), then offset 160 to a
    // new template table: once that table exists, the child has read everything before it.
    await kafka.producer.send(Array.from({ length: 51 }, (_, i) => record(110 + i)));
    const deadline = Date.now() + 60_000;
    while (
      !(await catalog.loadTable(parseTableName('crash.events_marker')).then(
        () => true,
        (err) => (err instanceof NoSuchTableError ? false : Promise.reject(err)),
      ))
    ) {
      if (Date.now() > deadline) throw new Error('the child did not create crash.events_marker within 60 s');
      await sleep(200);
    }
  } catch (err) {
    throw new Error(`${(err as Error).message}\nfloe run output:\n${out}`, { cause: err });
  } finally {
    child.kill('SIGKILL'); // a crash: offsets 110-160 were only buffered
    await exited;
  }
  assert.deepEqual(await offsetsOf(catalog, topic, 'crash.vip'), { [topic]: { '0': '110' } }, 'the crash came with crash.vip rows buffered');
  assert.deepEqual(await offsetsOf(catalog, topic, 'crash.events_click'), { [topic]: { '0': '10' } }, 'the template table committed its rows before crash.vip moved the partition past them');
  // Restart (in a fresh group, so the dead member's session need not expire first: where each
  // partition starts comes from the tables' offsets, not the group's). maxRows 1: a table with
  // rows commits at the end of each batch, so the marker table reaching 161 shows the restarted
  // worker has read through offset 160; the template table is idle (offsets only, whose commit
  // clock is 5 intervals away), so only the graceful stop can move it to 161.
  const cfg = parseConnectorConfig(text(`${topic}-g2`, 1), file, {});
  const running = await startConnector(cfg);
  try {
    await waitForTableOffsets(catalog, cfg.name, 'crash.events_marker', topic, new Map([[0, 161n]]), { failed: running.failed });
  } finally {
    await running.stop();
  }
  const reader = { catalog: { type: 'sql' as const, uri: `sqlite:///${path.join(dir, 'catalog.db')}`, warehouse: pathToFileURL(path.join(dir, 'wh')).href } };
  const offsetsIn = async (table: string) => (await readWithPyIceberg({ ...reader, table })).rows.map((r) => Number(r._kafka_offset)).sort((a, b) => a - b);
  assert.deepEqual(
    await offsetsIn('crash.events_click'),
    Array.from({ length: 10 }, (_, i) => i),
    'the template table kept its 10 rows across the crash',
  );
  assert.deepEqual(
    await offsetsIn('crash.vip'),
    Array.from({ length: 150 }, (_, i) => i + 10),
    'the explicit table has each of its rows once',
  );
  assert.deepEqual(await offsetsIn('crash.events_marker'), [160], 'the marker table has its row once');
  // a graceful stop leaves every table at what the worker read, idle ones included
  for (const table of ['crash.events_click', 'crash.vip', 'crash.events_marker']) {
    assert.deepEqual(await offsetsOf(catalog, cfg.name, table), { [topic]: { '0': '161' } }, `${table} offsets after the stop`);
  }
});
