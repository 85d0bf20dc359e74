// Tombstones (records with a null value: deletes on a compacted topic) end to end on the real
// broker. An append-only table has no row for them, and every offset read must be in the table
// or the dead-letter topic, so errors.tombstones says which:
//   dead-letter: the tombstone goes to the dead-letter topic (null value, its key, floe.*
//     headers), also under errors.tolerance none; the connector goes on; rows + dead letters =
//     records produced, each once (DuckDB reads the table);
//   fail (the default under tolerance none): the connector stops at the first tombstone, naming
//     it and the setting; the table's offsets stop before it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { OutgoingRecord } from '../../src/kafka/producer.ts';
import { parseConnectorConfig } from '../../src/config/connector-config.ts';
import { catalogFromConfig, startConnector } from '../../src/cli/run.ts';
import { parseTableName } from '../../src/catalog/catalog.ts';
import { tableOffsets } from '../../src/commit/committed-offsets.ts';
import { brokers, headerStrings, kafkaClients, readWholeTopic, uniqueName, waitFor, waitForTableOffsets } from './helpers.ts';
import { readWithDuckDB } from '../helpers/readers.ts';

const kafka = kafkaClients();

/** A compacted-topic style stream on one partition: upserts by key, every third record a delete. */
function stream(topic: string, count: number): { records: OutgoingRecord[]; tombstones: Set<number> } {
  const records: OutgoingRecord[] = [];
  const tombstones = new Set<number>();
  for (let i = 0; i < count; i++) {
    const key = `user-${i % 4}`;
    if (i % 3 === 2) {
      tombstones.add(i);
      records.push({ topic, partition: 0, key, value: null });
    } else records.push({ topic, partition: 0, key, value: JSON.stringify({ user: key, version: i }) });
  }
  return { records, tombstones };
}

function config(topic: string, dir: string, errors: string) {
  return parseConnectorConfig(
    `
name: ${topic}
kafka: { brokers: ${JSON.stringify(brokers())}, groupId: ${topic}-g, sessionTimeoutMs: 10000 }
format: json
catalog: { type: sql, uri: ${path.join(dir, 'catalog.db')}, warehouse: ${pathToFileURL(path.join(dir, 'wh')).href} }
topics: [${topic}]
table: { name: e2e.users, kafkaMetadataColumns: true }
commit: { intervalMs: 500 }
errors: ${errors}
metricsPort: 0
`,
    'tombstones.yaml',
    {},
  );
}

test('errors.tombstones dead-letter under tolerance none: tombstones are dead letters, the rest lands, rows + dead letters = produced', async () => {
  const topic = uniqueName('floe-e2e-tombstones-dlq');
  const dlqTopic = `${topic}.dlq`;
  await kafka.admin.createTopic(topic, { partitions: 1 });
  await kafka.admin.createTopic(dlqTopic, { partitions: 1 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-e2e-tombstones-'));
  const cfg = config(topic, dir, `{ tolerance: none, deadLetterTopic: ${dlqTopic}, tombstones: dead-letter }`);
  const { records, tombstones } = stream(topic, 30);
  await kafka.producer.send(records);
  const catalog = catalogFromConfig(cfg.catalog);
  const running = await startConnector(cfg);
  try {
    await waitForTableOffsets(catalog, cfg.name, 'e2e.users', topic, new Map([[0, BigInt(records.length)]]), { failed: running.failed });
  } finally {
    await running.stop();
  }
  const read = await readWithDuckDB({
    catalog: { type: 'sql', uri: `sqlite:///${path.join(dir, 'catalog.db')}`, warehouse: pathToFileURL(path.join(dir, 'wh')).href },
    table: 'e2e.users',
    sort: false,
  });
  const landed = read.rows.map((r) => Number(r._kafka_offset)).sort((a, b) => a - b);
  const values = [...records.keys()].filter((i) => !tombstones.has(i));
  assert.deepEqual(landed, values, 'every value is a row, once');
  for (const r of read.rows) assert.deepEqual([r.user, r.version], [`user-${Number(r._kafka_offset) % 4}`, String(r._kafka_offset)]);
  const dead = await readWholeTopic(dlqTopic, tombstones.size);
  assert.equal(dead.length, tombstones.size);
  const deadOffsets = dead.map((d) => {
    const h = headerStrings(d);
    assert.equal(h.get('floe.original.topic'), topic);
    assert.match(h.get('floe.error.message') ?? '', /tombstone/);
    assert.equal(d.value, null, 'the dead letter keeps the null value');
    const offset = Number(h.get('floe.original.offset'));
    assert.equal(d.key?.toString(), `user-${offset % 4}`, 'and the key');
    return offset;
  });
  assert.deepEqual(
    deadOffsets.sort((a, b) => a - b),
    [...tombstones],
    'every tombstone is a dead letter, once',
  );
});

test('errors.tombstones fail (the default under tolerance none): the connector stops at the first tombstone, naming it; offsets stop before it', async () => {
  const topic = uniqueName('floe-e2e-tombstones-fail');
  await kafka.admin.createTopic(topic, { partitions: 1 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-e2e-tombstones-'));
  const cfg = config(topic, dir, '{ tolerance: none }');
  assert.equal(cfg.errors.tombstones, 'fail');
  const { records } = stream(topic, 10); // the first tombstone is offset 2
  const catalog = catalogFromConfig(cfg.catalog);
  await kafka.producer.send(records.slice(0, 2));
  const running = await startConnector(cfg);
  let failure: Error | undefined;
  void running.failed.then((e) => (failure = e));
  try {
    await waitForTableOffsets(catalog, cfg.name, 'e2e.users', topic, new Map([[0, 2n]]), { failed: running.failed });
    await kafka.producer.send(records.slice(2));
    await waitFor('the connector to stop at the tombstone', () => failure !== undefined, 30_000);
  } finally {
    await running.stop().catch(() => undefined);
  }
  assert.equal(
    failure!.message,
    `connector ${cfg.name} stopped at ${topic}[0] offset 2: RouteError: record has no value (a tombstone) [errors.tombstones is fail]`,
    'said once, naming the record and the setting',
  );
  const t = await catalog.loadTable(parseTableName('e2e.users'));
  assert.equal(tableOffsets(t.metadata, cfg.name).get(topic)?.get(0), 2n, 'nothing at or after the tombstone is committed');
});
