// topicPattern with kafka.topicRefreshMs on the real broker: a topic created after the
// connector started, matching the pattern, is subscribed at the next refresh and lands in its
// own table ({topic}), judged by DuckDB. With a 1 s refresh it must land well before the default 30 s refresh
// could have picked it up (the wait is bounded at 15 s after the topic is created).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseConnectorConfig } from '../../src/config/connector-config.ts';
import { catalogFromConfig, startConnector } from '../../src/cli/run.ts';
import { brokers, kafkaClients, uniqueName, waitForTableOffsets } from './helpers.ts';
import { readWithDuckDB } from '../helpers/readers.ts';

const kafka = kafkaClients();

test('a topic matching topicPattern created after start is consumed within kafka.topicRefreshMs', async () => {
  const base = uniqueName('floe-e2e-refresh');
  const early = `${base}-early`;
  const late = `${base}-late`;
  await kafka.admin.createTopic(early, { partitions: 1 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-e2e-refresh-'));
  const cfg = parseConnectorConfig(
    `
name: ${base}
kafka: { brokers: ${JSON.stringify(brokers())}, groupId: ${base}-g, sessionTimeoutMs: 10000, topicRefreshMs: 1000 }
format: json
catalog: { type: sql, uri: ${path.join(dir, 'catalog.db')}, warehouse: ${pathToFileURL(path.join(dir, 'wh')).href} }
topicPattern: '${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-.*'
table: { name: "e2e.{topic}", kafkaMetadataColumns: true }
commit: { intervalMs: 500 }
errors: { tolerance: none }
metricsPort: 0
`,
    'topic-pattern.yaml',
    {},
  );
  assert.equal(cfg.kafka.topicRefreshMs, 1000);
  const tableOf = (topic: string) => `e2e.${topic.replace(/[^A-Za-z0-9_]/g, '_')}`;
  const catalog = catalogFromConfig(cfg.catalog);
  await kafka.producer.send([{ topic: early, partition: 0, value: JSON.stringify({ n: 1 }) }]);
  const running = await startConnector(cfg);
  try {
    await waitForTableOffsets(catalog, cfg.name, tableOf(early), early, new Map([[0, 1n]]), { failed: running.failed });
    await kafka.admin.createTopic(late, { partitions: 2 });
    await kafka.producer.send([
      { topic: late, partition: 0, value: JSON.stringify({ n: 2 }) },
      { topic: late, partition: 1, value: JSON.stringify({ n: 3 }) },
    ]);
    await waitForTableOffsets(
      catalog,
      cfg.name,
      tableOf(late),
      late,
      new Map([
        [0, 1n],
        [1, 1n],
      ]),
      { failed: running.failed, timeoutMs: 15_000 },
    );
  } finally {
    await running.stop();
  }
  const read = await readWithDuckDB({ catalog: { type: 'sql', uri: `sqlite:///${path.join(dir, 'catalog.db')}`, warehouse: pathToFileURL(path.join(dir, 'wh')).href }, table: tableOf(late) });
  assert.deepEqual(
    read.rows.map((r) => [r._kafka_topic, r._kafka_partition, r._kafka_offset, r.n]),
    [
      [late, '0', '0', '2'],
      [late, '1', '0', '3'],
    ],
  );
});
