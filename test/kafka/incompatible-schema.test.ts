// An incompatible schema change end to end (real broker, registry, embedded catalog, PyIceberg):
// producers move to a registry version that changes a column's type (string → long), which an
// Iceberg table cannot follow. By config (errors.onIncompatibleSchema):
//   dead-letter: those records go to the dead-letter topic with floe.error.* headers naming the
//     field; compatible records (old producers, and a later compatible version) land; rows +
//     dead letters = records produced, each once;
//   stop (the default): the connector stops with one sentence naming the record (topic,
//     partition, offset, schema id), the table, the field and its type change;
//     nothing of the incompatible records is committed; a restart after the fix (here: the
//     operator chooses dead-letter) loses and duplicates nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import avro from 'avsc';
import type { OutgoingRecord } from '../../src/kafka/producer.ts';
import { parseConnectorConfig } from '../../src/config/connector-config.ts';
import type { ConnectorConfig } from '../../src/config/connector-config.ts';
import { catalogFromConfig, startConnector } from '../../src/cli/run.ts';
import { parseTableName } from '../../src/catalog/catalog.ts';
import { tableOffsets } from '../../src/commit/committed-offsets.ts';
import { SchemaRegistryClient } from '../../src/decode/schema-registry.ts';
import { brokers, headerStrings, javaSerializerFrame, kafkaClients, readWholeTopic, uniqueName, waitFor, waitForTableOffsets } from './helpers.ts';
import { stackEnv } from '../helpers/stack.ts';
import { readWithPyIceberg } from '../helpers/readers.ts';
import type { Row } from '../helpers/readers.ts';

const kafka = kafkaClients();

const V1 = {
  type: 'record',
  name: 'Payment',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'name', type: 'string' },
    { name: 'amount', type: 'string' },
  ],
};
/** Incompatible: amount string → long. */
const V2 = { ...V1, fields: [V1.fields[0], V1.fields[1], { name: 'amount', type: 'long' }] };
/** Compatible: the required name is dropped (the column becomes optional), note is added. */
const V3 = { ...V1, fields: [V1.fields[0], V1.fields[2], { name: 'note', type: ['null', 'string'], default: null }] };
const types = { 1: avro.Type.forSchema(V1 as avro.Schema), 2: avro.Type.forSchema(V2 as avro.Schema), 3: avro.Type.forSchema(V3 as avro.Schema) };

/** PUT /config/{subject} compatibility NONE (Apicurio wants the subject to exist first). */
async function allowAnyChange(registryUrl: string, subject: string): Promise<void> {
  const res = await fetch(`${registryUrl}/config/${encodeURIComponent(subject)}`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ compatibility: 'NONE' }),
  });
  assert.ok(res.ok, `setting ${subject}'s compatibility: HTTP ${res.status} ${await res.text()}`);
}

interface Fixture {
  topic: string;
  dlqTopic: string;
  table: string;
  dir: string;
  ids: Record<1 | 2 | 3, number>;
  config(errors: string): ConnectorConfig;
  /** what each produced record is: its version and, for good ones, the row PyIceberg must read */
  produced: Map<string, { version: 1 | 2 | 3; row: Row }>;
  nextOffset: number[];
  record(i: number, partition: number, version: 1 | 2 | 3): OutgoingRecord;
}

async function fixture(prefix: string, partitions: number): Promise<Fixture> {
  const env = stackEnv();
  const topic = uniqueName(prefix);
  const dlqTopic = `${topic}.dlq`;
  await kafka.admin.createTopic(topic, { partitions });
  await kafka.admin.createTopic(dlqTopic, { partitions: 1 });
  const registry = new SchemaRegistryClient({ url: env.registryUrl });
  const subject = `${topic}-value`;
  // all three versions under one subject; the subject accepts any change (a registry whose
  // default is BACKWARD, as Confluent's is, would refuse the incompatible one)
  const v1 = await registry.register(subject, { schema: JSON.stringify(V1) });
  await allowAnyChange(env.registryUrl, subject);
  const ids = { 1: v1, 2: await registry.register(subject, { schema: JSON.stringify(V2) }), 3: await registry.register(subject, { schema: JSON.stringify(V3) }) };
  assert.equal(new Set(Object.values(ids)).size, 3);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  const table = 'e2e.payments';
  const f: Fixture = {
    topic,
    dlqTopic,
    table,
    dir,
    ids,
    produced: new Map(),
    nextOffset: new Array<number>(partitions).fill(0),
    config: (errors) =>
      parseConnectorConfig(
        `
name: ${topic}
kafka: { brokers: ${JSON.stringify(brokers())}, groupId: ${topic}-g, sessionTimeoutMs: 10000 }
schemaRegistry: { url: "${env.registryUrl}" }
format: avro
catalog: { type: sql, uri: ${path.join(dir, 'catalog.db')}, warehouse: ${pathToFileURL(path.join(dir, 'wh')).href} }
topics: [${topic}]
table: { name: ${table}, kafkaMetadataColumns: true }
commit: { intervalMs: 500, maxRows: 100 }
errors: ${errors}
metricsPort: 0
`,
        'incompatible-schema.yaml',
        {},
      ),
    record(i, partition, version) {
      const offset = f.nextOffset[partition]++;
      const meta = { _kafka_topic: topic, _kafka_partition: String(partition), _kafka_offset: String(offset) };
      let value: Record<string, unknown>;
      let row: Row;
      if (version === 1) {
        value = { id: i, name: `n${i}`, amount: `${i}.50` };
        row = { id: String(i), name: `n${i}`, amount: `${i}.50`, note: null, ...meta };
      } else if (version === 2) {
        value = { id: i, name: `n${i}`, amount: i * 100 };
        row = {};
      } else {
        value = { id: i, amount: `${i}.75`, note: i % 2 ? `note ${i}` : null };
        row = { id: String(i), name: null, amount: `${i}.75`, note: i % 2 ? `note ${i}` : null, ...meta };
      }
      f.produced.set(`${partition}:${offset}`, { version, row });
      return { topic, partition, value: javaSerializerFrame(ids[version], types[version].toBuffer(value)) };
    },
  };
  return f;
}

async function readTable(f: Fixture): Promise<Row[]> {
  const read = await readWithPyIceberg({ catalog: { type: 'sql', uri: `sqlite:///${path.join(f.dir, 'catalog.db')}`, warehouse: pathToFileURL(path.join(f.dir, 'wh')).href }, table: f.table });
  // rows written before note existed have no note column value: PyIceberg reads null
  return read.rows.map((r) => ({ note: null, ...r }));
}

/** Dead letters of the fixture's topic: "partition:offset" → headers. */
async function deadLetters(f: Fixture): Promise<Map<string, Map<string, string | null>>> {
  const ends = await kafka.admin.endOffsets(f.dlqTopic);
  const count = [...ends.values()].reduce((n, o) => n + Number(o), 0);
  const out = new Map<string, Map<string, string | null>>();
  for (const d of await readWholeTopic(f.dlqTopic, count)) {
    const h = headerStrings(d);
    assert.equal(h.get('floe.original.topic'), f.topic);
    const key = `${h.get('floe.original.partition')}:${h.get('floe.original.offset')}`;
    assert.ok(!out.has(key), `dead letter ${key} twice`);
    out.set(key, h);
  }
  return out;
}

/** Every produced record is a row (good) or a dead letter (incompatible), exactly once, with the right values. */
function assertAccountedFor(f: Fixture, rows: Row[], dead: Map<string, Map<string, string | null>>): void {
  const landed = new Set<string>();
  for (const r of rows) {
    const { _kafka_timestamp, ...rest } = r;
    assert.ok(_kafka_timestamp);
    const key = `${r._kafka_partition}:${r._kafka_offset}`;
    assert.ok(!landed.has(key), `${key} is in the table twice`);
    landed.add(key);
    const p = f.produced.get(key);
    assert.ok(p, `${key} was never produced`);
    assert.notEqual(p.version, 2, `${key} (incompatible version) is in the table`);
    assert.deepEqual(rest, p.row, `row ${key}`);
  }
  for (const [key, h] of dead) {
    assert.equal(f.produced.get(key)?.version, 2, `dead letter ${key} is a record of the incompatible version`);
    assert.ok(!landed.has(key), `${key} both landed and dead-lettered`);
    assert.equal(h.get('floe.error.class'), 'IncompatibleSchemaChangeError');
    assert.match(h.get('floe.error.message') ?? '', /amount: string → long/, 'the reason names the field and both types');
  }
  const bad = [...f.produced.values()].filter((p) => p.version === 2).length;
  assert.equal(dead.size, bad, 'every incompatible record is a dead letter');
  assert.equal(landed.size + dead.size, f.produced.size, 'rows + dead letters = records produced');
}

test('errors.onIncompatibleSchema dead-letter: string → long records are dead letters naming the field; compatible ones land; rows + dead letters = produced', async () => {
  const f = await fixture('floe-e2e-incompat-dlq', 3);
  const cfg = f.config('{ tolerance: all, deadLetterTopic: DLQ, onIncompatibleSchema: dead-letter }'.replace('DLQ', f.dlqTopic));
  const first: OutgoingRecord[] = [];
  for (let i = 0; i < 300; i++) first.push(f.record(i, i % 3, 1));
  await kafka.producer.send(first);
  const catalog = catalogFromConfig(cfg.catalog);
  const running = await startConnector(cfg);
  try {
    await waitForTableOffsets(catalog, cfg.name, f.table, f.topic, await kafka.admin.endOffsets(f.topic), { failed: running.failed });
    // partition 2 only gets the incompatible version from now on (its offsets must still move);
    // on 0 and 1 old producers (v1), the incompatible version and then a compatible v3 interleave
    const second: OutgoingRecord[] = [];
    for (let i = 300; i < 900; i++) {
      const partition = i % 3;
      const version = partition === 2 ? 2 : i < 600 ? (i % 2 ? 2 : 1) : ([1, 2, 3] as const)[(i >> 1) % 3];
      second.push(f.record(i, partition, version));
    }
    await kafka.producer.send(second);
    await waitForTableOffsets(catalog, cfg.name, f.table, f.topic, await kafka.admin.endOffsets(f.topic), { failed: running.failed });
  } finally {
    await running.stop();
  }
  const t = await catalog.loadTable(parseTableName(f.table));
  const schema = t.metadata.schemas.find((s) => s['schema-id'] === t.metadata['current-schema-id'])!;
  const byName = new Map(schema.fields.map((fl) => [fl.name, fl]));
  assert.equal(byName.get('amount')!.type, 'string', 'the table kept its type');
  assert.equal(byName.get('name')!.required, false, 'v3 dropped name: the column became optional');
  assert.ok(byName.has('note'), 'v3 added note');
  assertAccountedFor(f, await readTable(f), await deadLetters(f));
});

test('errors.onIncompatibleSchema stop (default): the connector stops naming table and field, commits none of it; a restart with dead-letter loses and doubles nothing', async () => {
  const f = await fixture('floe-e2e-incompat-stop', 2);
  const stopCfg = f.config('{ tolerance: none }');
  const first: OutgoingRecord[] = [];
  for (let i = 0; i < 200; i++) first.push(f.record(i, i % 2, 1));
  await kafka.producer.send(first);
  const catalog = catalogFromConfig(stopCfg.catalog);
  const running = await startConnector(stopCfg);
  let failure: Error | undefined;
  void running.failed.then((e) => (failure = e));
  const firstBad = new Map<number, number>(); // partition → offset of its first incompatible record
  try {
    await waitForTableOffsets(catalog, stopCfg.name, f.table, f.topic, await kafka.admin.endOffsets(f.topic), { failed: running.failed });
    const second: OutgoingRecord[] = [];
    for (let i = 200; i < 500; i++) {
      const partition = i % 2;
      const version = i >= 260 && i % 7 === 0 ? 2 : 1;
      if (version === 2 && !firstBad.has(partition)) firstBad.set(partition, f.nextOffset[partition]);
      second.push(f.record(i, partition, version));
    }
    await kafka.producer.send(second);
    await waitFor('the connector to stop on the incompatible change', () => failure !== undefined, 60_000);
  } finally {
    await running.stop().catch(() => undefined);
  }
  // one sentence naming the record (topic, partition, offset: the first incompatible one of its
  // partition), its schema id, the table, the column and the type change
  const stoppedAt = /stopped at (.+)\[(\d+)\] offset (\d+):/.exec(failure!.message);
  assert.ok(stoppedAt, `the error names the record: ${failure!.message}`);
  const [, stopTopic, stopPartition, stopOffset] = stoppedAt;
  assert.equal(stopTopic, f.topic);
  assert.equal(Number(stopOffset), firstBad.get(Number(stopPartition)), 'the first incompatible record of its partition');
  assert.ok(
    failure!.message.endsWith(
      `connector ${stopCfg.name} stopped at ${f.topic}[${stopPartition}] offset ${stopOffset}: table ${f.table} cannot change column amount from string to long` +
        ` (Iceberg only widens int → long, float → double and decimal precision) (schema id ${f.ids[2]}) [errors.onIncompatibleSchema is stop]`,
    ),
    `the error says it once and whole: ${failure!.message}`,
  );
  assert.equal(failure!.message.match(/incompatible|cannot change/g)?.length, 1, `nothing is repeated: ${failure!.message}`);

  // nothing of the incompatible records was committed; everything below the offsets is a row
  const t = await catalog.loadTable(parseTableName(f.table));
  const offsets = tableOffsets(t.metadata, stopCfg.name).get(f.topic)!;
  for (const [p, first] of firstBad) assert.ok(offsets.get(p)! <= BigInt(first), `partition ${p}: offsets (${offsets.get(p)}) stop at or before the first incompatible record (${first})`);
  const rowsAfterStop = await readTable(f);
  const covered = new Set<string>();
  for (const [p, o] of offsets) for (let i = 0n; i < o; i++) covered.add(`${p}:${i}`);
  assert.deepEqual(new Set(rowsAfterStop.map((r) => `${r._kafka_partition}:${r._kafka_offset}`)), covered, 'the table holds exactly the records its offsets cover');
  assert.equal(rowsAfterStop.length, covered.size, 'each once');
  assert.equal((await deadLetters(f)).size, 0, 'nothing was dead-lettered');

  // the fix: the operator sends incompatible records to the dead letters; the restart resumes
  // from the table's offsets
  const fixedCfg = f.config('{ tolerance: none, deadLetterTopic: DLQ, onIncompatibleSchema: dead-letter }'.replace('DLQ', f.dlqTopic));
  const restarted = await startConnector(fixedCfg);
  try {
    await waitForTableOffsets(catalog, fixedCfg.name, f.table, f.topic, await kafka.admin.endOffsets(f.topic), { failed: restarted.failed });
  } finally {
    await restarted.stop();
  }
  assertAccountedFor(f, await readTable(f), await deadLetters(f));
});

test('a writer type the table already holds (int in a long column, float in a double) is no incompatible change: old producers land, also after a restart', async () => {
  const env = stackEnv();
  const topic = uniqueName('floe-e2e-narrower');
  await kafka.admin.createTopic(topic, { partitions: 1 });
  const registry = new SchemaRegistryClient({ url: env.registryUrl });
  const NEW = {
    type: 'record',
    name: 'Reading',
    fields: [
      { name: 'id', type: 'long' },
      { name: 'count', type: 'long' },
      { name: 'ratio', type: 'double' },
    ],
  };
  const OLD = {
    type: 'record',
    name: 'Reading',
    fields: [
      { name: 'id', type: 'long' },
      { name: 'count', type: 'int' },
      { name: 'ratio', type: 'float' },
    ],
  };
  const newId = await registry.register(`${topic}-value`, { schema: JSON.stringify(NEW) });
  await allowAnyChange(env.registryUrl, `${topic}-value`); // old producers re-register their older version
  const oldId = await registry.register(`${topic}-value`, { schema: JSON.stringify(OLD) });
  const types = { new: avro.Type.forSchema(NEW as avro.Schema), old: avro.Type.forSchema(OLD as avro.Schema) };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-e2e-narrower-'));
  const cfg = parseConnectorConfig(
    `
name: ${topic}
kafka: { brokers: ${JSON.stringify(brokers())}, groupId: ${topic}-g, sessionTimeoutMs: 10000 }
schemaRegistry: { url: "${env.registryUrl}" }
format: avro
catalog: { type: sql, uri: ${path.join(dir, 'catalog.db')}, warehouse: ${pathToFileURL(path.join(dir, 'wh')).href} }
topics: [${topic}]
table: { name: e2e.readings, kafkaMetadataColumns: true }
commit: { intervalMs: 500, maxRows: 100 }
errors: { tolerance: none }
metricsPort: 0
`,
    'narrower.yaml',
    {},
  );
  const expected = new Map<string, Row>();
  let offset = 0;
  const record = (i: number, version: 'new' | 'old'): OutgoingRecord => {
    // 0.5-steps are exact in float and double alike
    expected.set(String(offset), { id: String(i), count: String(i * 3), ratio: String(i / 2), _kafka_offset: String(offset) });
    offset++;
    return { topic, partition: 0, value: javaSerializerFrame(version === 'new' ? newId : oldId, types[version].toBuffer({ id: i, count: i * 3, ratio: i / 2 })) };
  };
  const catalog = catalogFromConfig(cfg.catalog);
  // the table is created from the new producers' schema; old producers' records follow
  await kafka.producer.send(Array.from({ length: 150 }, (_, i) => record(i + 1, 'new')));
  let running = await startConnector(cfg);
  try {
    await waitForTableOffsets(catalog, cfg.name, 'e2e.readings', topic, new Map([[0, 150n]]), { failed: running.failed });
    await kafka.producer.send(Array.from({ length: 150 }, (_, i) => record(i + 151, i % 2 ? 'old' : 'new')));
    await waitForTableOffsets(catalog, cfg.name, 'e2e.readings', topic, new Map([[0, 300n]]), { failed: running.failed });
  } finally {
    await running.stop();
  }
  // a fresh worker meets the old schema again
  await kafka.producer.send(Array.from({ length: 50 }, (_, i) => record(i + 301, 'old')));
  running = await startConnector(cfg);
  try {
    await waitForTableOffsets(catalog, cfg.name, 'e2e.readings', topic, new Map([[0, 350n]]), { failed: running.failed });
  } finally {
    await running.stop();
  }
  const read = await readWithPyIceberg({ catalog: { type: 'sql', uri: `sqlite:///${path.join(dir, 'catalog.db')}`, warehouse: pathToFileURL(path.join(dir, 'wh')).href }, table: 'e2e.readings' });
  const types2 = Object.fromEntries((read.schema.fields as { name: string; type: unknown }[]).map((f) => [f.name, f.type]));
  assert.deepEqual([types2.count, types2.ratio], ['long', 'double'], 'the table keeps its wider types');
  assert.equal(read.rows.length, 350);
  for (const r of read.rows) {
    const want = expected.get(r._kafka_offset as string)!;
    const ratio = Number(want.ratio);
    assert.deepEqual(
      { id: r.id, count: r.count, ratio: r.ratio, _kafka_offset: r._kafka_offset },
      { ...want, ratio: Number.isInteger(ratio) ? `${ratio}.0` : String(ratio) },
      `row at offset ${r._kafka_offset}`,
    );
  }
});
