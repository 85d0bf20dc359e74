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
import { tableOffsets } from '../../src/commit/offsets-map.ts';
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
  return parseConnectorConfig(`
name: ${topic}
kafka: { brokers: ${JSON.stringify(brokers())}, groupId: ${topic}-g, sessionTimeoutMs: 10000 }
format: json
catalog: { type: sql, uri: ${path.join(dir, 'catalog.db')}, warehouse: ${pathToFileURL(dir).href} }
topics: [${topic}]
commit: { intervalMs: 500, maxRows: 1000 }
errors: { tolerance: all, deadLetterTopic: ${dlqTopic} }
metricsPort: 0
${extra}
`, 'dlq-e2e.yaml', {});
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
  const got = dead[0].headers.map((h): [string, string | null] => [h.key, h.value === null ? null : text.decode(h.value)]);
  assert.deepEqual(got.slice(0, original.length), original, 'the original headers, in order, none merged');
  const floe = new Map(got.slice(original.length));
  assert.ok(got.slice(original.length).every(([k]) => k.startsWith('floe.')), got.map(([k]) => k).join(', '));
  assert.equal(floe.get('floe.error.class'), 'DecodeError');
  assert.equal(floe.get('floe.original.topic'), topic);
  assert.equal(floe.get('floe.original.partition'), '0');
  assert.equal(floe.get('floe.original.offset'), '1');
  assert.equal(text.decode(dead[0].key!), 'bad');
  assert.equal(text.decode(dead[0].value!), '{"broken json');
});
