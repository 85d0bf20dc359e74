// Partitions added to a subscribed topic while floe runs, on the real broker: within about
// kafka.topicRefreshMs the source notices the new partition count, rejoins the group and the
// new partitions are assigned; with startFrom: latest their records produced before the
// assignment are read too (a partition born after the start holds only new records). Rows are
// judged by DuckDB: every record once, the old partition's and the new ones'.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Admin } from '@platformatic/kafka';
import { parseConnectorConfig } from '../../src/config/connector-config.ts';
import { KafkaProducer } from '../../src/kafka/producer.ts';
import { catalogFromConfig, startConnector } from '../../src/cli/run.ts';
import { brokers, kafkaClients, uniqueName, waitForTableOffsets } from './helpers.ts';
import { readWithDuckDB } from '../helpers/readers.ts';

const kafka = kafkaClients();

for (const startFrom of ['earliest', 'latest'] as const) {
  test(`partitions added while running are assigned within the refresh and read whole (startFrom ${startFrom})`, async () => {
    const topic = uniqueName(`floe-grow-${startFrom}`);
    await kafka.admin.createTopic(topic, { partitions: 1 });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-grow-'));
    const table = 'e2e.grow';
    const cfg = parseConnectorConfig(
      `
name: ${topic}
kafka: { brokers: ${JSON.stringify(brokers())}, groupId: ${topic}-g, sessionTimeoutMs: 10000, topicRefreshMs: 1000, startFrom: ${startFrom} }
format: json
catalog: { type: sql, uri: ${path.join(dir, 'catalog.db')}, warehouse: ${pathToFileURL(path.join(dir, 'wh')).href} }
topics: [${topic}]
table: { name: ${table}, kafkaMetadataColumns: true }
commit: { intervalMs: 500 }
errors: { tolerance: none }
metricsPort: 0
`,
      'partitions-added.yaml',
      {},
    );
    const catalog = catalogFromConfig(cfg.catalog);
    const running = await startConnector(cfg);
    const admin = new Admin({ clientId: `${topic}-admin`, bootstrapBrokers: brokers() });
    try {
      await kafka.producer.send([{ topic, partition: 0, value: JSON.stringify({ n: 0 }) }]);
      await waitForTableOffsets(catalog, cfg.name, table, topic, new Map([[0, 1n]]), { failed: running.failed });
      await admin.createPartitions({ topics: [{ name: topic, count: 3 }] });
      // produced right away (by a new producer: the first one's metadata knows one partition),
      // before the connector can have noticed the new partitions
      const fresh = await KafkaProducer.connect({ brokers: brokers() });
      await fresh.send([
        { topic, partition: 1, value: JSON.stringify({ n: 1 }) },
        { topic, partition: 2, value: JSON.stringify({ n: 2 }) },
        { topic, partition: 2, value: JSON.stringify({ n: 3 }) },
      ]);
      await fresh.close();
      const t0 = Date.now();
      await waitForTableOffsets(
        catalog,
        cfg.name,
        table,
        topic,
        new Map([
          [0, 1n],
          [1, 1n],
          [2, 2n],
        ]),
        { failed: running.failed, timeoutMs: 20_000 },
      );
      assert.ok(Date.now() - t0 < 20_000);
    } finally {
      await admin.close();
      await running.stop();
    }
    const reader = { catalog: { type: 'sql' as const, uri: `sqlite:///${path.join(dir, 'catalog.db')}`, warehouse: pathToFileURL(path.join(dir, 'wh')).href }, table };
    const rows = (await readWithDuckDB(reader)).rows.map((r) => `${r._kafka_partition}:${r._kafka_offset}:${r.n}`).sort();
    assert.deepEqual(rows, ['0:0:0', '1:0:1', '2:0:2', '2:1:3']);
  });
}
