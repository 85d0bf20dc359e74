// Dead letters through the whole connector (`floe run`'s startConnector) on the real broker:
// the dead letter carries the original headers exactly as Kafka had them (an ordered list
// whose keys may repeat), and a partition whose records all went to the dead letters still
// advances, so a restart sends no dead letter twice and the group's lag drains.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { OutgoingRecord } from '../../src/kafka/producer.ts';
import { createKafkaSource } from '../../src/kafka/source.ts';
import type { KafkaRecord } from '../../src/kafka/types.ts';
import { parseConnectorConfig } from '../../src/config/connector-config.ts';
import type { ConnectorConfig } from '../../src/config/connector-config.ts';
import { catalogFromConfig, startConnector } from '../../src/cli/run.ts';
import { parseTableName } from '../../src/catalog/catalog.ts';
import { tableOffsets } from '../../src/commit/committed-offsets.ts';
import { brokers, kafkaClients, uniqueName, waitFor } from './helpers.ts';
import { tableRows } from '../helpers/table-rows.ts';

const kafka = kafkaClients();
const text = new TextDecoder();

/** Every record of a topic, read with a throwaway group once the topic holds `expected`. */
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

function connectorFile(topic: string, dlqTopic: string, extra: string): ConnectorConfig {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-dlq-e2e-'));
  return parseConnectorConfig(
    `
name: ${topic}
kafka: { brokers: ${JSON.stringify(brokers())}, groupId: ${topic}-g, sessionTimeoutMs: 10000 }
format: json
catalog: { type: sql, uri: ${path.join(dir, 'catalog.db')}, warehouse: ${pathToFileURL(dir).href} }
topics: [${topic}]
commit: { intervalMs: 500, maxRows: 1000 }
errors: { tolerance: all, deadLetterTopic: ${dlqTopic} }
metricsPort: 0
${extra}
`,
    'dlq-e2e.yaml',
    {},
  );
}

test('a dead letter carries every original header in order, repeated keys and null values included, then the floe.* headers', async () => {
  const topic = uniqueName('floe-dlq-headers');
  const dlqTopic = `${topic}.dlq`;
  await kafka.admin.createTopic(topic, { partitions: 1 });
  await kafka.admin.createTopic(dlqTopic, { partitions: 1 });
  const cfg = connectorFile(topic, dlqTopic, 'table: { name: dlq.headers }');
  const original: [string, string | null][] = [
    ['trace', 't1'],
    ['hop', 'a'],
    ['trace', 't2'],
    ['empty', null],
    ['hop', 'b'],
    ['trace', 't3'],
  ];
  await kafka.producer.send([
    { topic, key: 'good', value: JSON.stringify({ id: 1 }) },
    { topic, key: 'bad', value: '{"broken json', headers: original },
  ]);
  const running = await startConnector(cfg);
  let dead: KafkaRecord[];
  try {
    dead = await readTopic(dlqTopic, 1);
  } finally {
    await running.stop();
  }
  assert.equal(dead.length, 1);
  const got = dead[0].headers.map(([key, value]): [string, string | null] => [key, value === null ? null : text.decode(value)]);
  assert.deepEqual(got.slice(0, original.length), original, 'the original headers, in order, none merged');
  const floe = new Map(got.slice(original.length));
  assert.ok(
    got.slice(original.length).every(([k]) => k.startsWith('floe.')),
    got.map(([k]) => k).join(', '),
  );
  assert.equal(floe.get('floe.error.class'), 'DecodeError');
  assert.equal(floe.get('floe.original.topic'), topic);
  assert.equal(floe.get('floe.original.partition'), '0');
  assert.equal(floe.get('floe.original.offset'), '1');
  assert.equal(text.decode(dead[0].key!), 'bad');
  assert.equal(text.decode(dead[0].value!), '{"broken json');
});

/** Polls an async condition until it holds (bounded). */
async function waitForAsync(what: string, cond: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('field routing with a partition of only bad records: across a restart each bad record is one dead letter, rows + dead letters = produced, group lag reaches 0', async () => {
  const topic = uniqueName('floe-dlq-route');
  const dlqTopic = `${topic}.dlq`;
  await kafka.admin.createTopic(topic, { partitions: 3 });
  await kafka.admin.createTopic(dlqTopic, { partitions: 1 });
  const cfg = connectorFile(topic, dlqTopic, 'table: { name: "dlqroute.t_{value}" }\nroute: { by: field, field: kind }');
  const groupId = cfg.kafka.groupId;
  let bad = 0;
  let produced = 0;
  const batch = (from: number, to: number): OutgoingRecord[] => {
    const out: OutgoingRecord[] = [];
    for (let i = from; i < to; i++) {
      // partitions 0 and 1: rows for two tables and a few bad records; partition 2: only bad records
      const partition = i % 3;
      let value: string;
      if (partition === 2) value = i % 2 ? '{"broken json' : JSON.stringify({ i, note: 'no kind' });
      else value = i % 11 === 4 ? '{"broken json' : JSON.stringify({ kind: i % 2 ? 'a' : 'b', i });
      if (!value.includes('"kind"')) bad++;
      out.push({ topic, partition, key: `k${i}`, value });
    }
    produced += out.length;
    return out;
  };
  const lagIsZero = async () => {
    const ends = await kafka.admin.endOffsets(topic);
    const committed = (await kafka.admin.committedOffsets(groupId)).get(topic);
    return [...ends].every(([p, end]) => committed?.get(p) === end);
  };

  await kafka.producer.send(batch(0, 300));
  let running = await startConnector(cfg);
  try {
    await waitForAsync('group lag 0 while running', lagIsZero, 60_000);
  } finally {
    await running.stop();
  }
  // the restart reads the tables' offsets: nothing before them is read, nothing dead-lettered again
  await kafka.producer.send(batch(300, 600));
  running = await startConnector(cfg);
  try {
    await waitForAsync('group lag 0 after the restart', lagIsZero, 60_000);
  } finally {
    await running.stop();
  }

  const dlqEnd = [...(await kafka.admin.endOffsets(dlqTopic)).values()].reduce((a, b) => a + b, 0n);
  assert.equal(dlqEnd, BigInt(bad), `the dead-letter topic holds ${dlqEnd} records for ${bad} bad ones`);
  const dead = await readTopic(dlqTopic, bad);
  const deadKeys = dead.map((d) => {
    const h = new Map(d.headers.map(([key, value]) => [key, value ? text.decode(value) : null]));
    return `${h.get('floe.original.partition')}:${h.get('floe.original.offset')}`;
  });
  assert.equal(new Set(deadKeys).size, bad, 'each bad record once');
  assert.equal(deadKeys.filter((k) => k.startsWith('2:')).length, 200, 'every record of the bad-only partition');

  const catalog = catalogFromConfig(cfg.catalog);
  let rows = 0;
  for (const k of ['a', 'b']) {
    const table = await catalog.loadTable(parseTableName(`dlqroute.t_${k}`));
    const got = await tableRows(table);
    const keys = got.map((r) => Number(r.i));
    assert.equal(new Set(keys).size, keys.length, `nothing twice in t_${k}`);
    assert.ok(got.every((r) => r.kind === k));
    rows += got.length;
    const offsets = tableOffsets(table.metadata, cfg.name).get(topic);
    assert.equal(offsets?.get(2), 200n, `t_${k} holds the bad-only partition's offset`);
  }
  assert.equal(rows + bad, produced, 'rows + dead letters = produced');
});
