// A rebalance while a worker holds unflushed data: a second member joins the group, partitions
// move, and every record still lands exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseConnectorConfig } from '../../src/config/connector-config.ts';
import { catalogFromConfig, startConnector } from '../../src/cli/run.ts';
import type { RunningConnector } from '../../src/cli/run.ts';
import { parseTableName } from '../../src/catalog/catalog.ts';
import { tableOffsets } from '../../src/commit/committed-offsets.ts';
import { brokers, kafkaClients, uniqueName } from './helpers.ts';
import { tableRows } from '../helpers/table-rows.ts';

const kafka = kafkaClients();

test('a member joins while the first holds unflushed rows: no record lost or doubled', async () => {
  const topic = uniqueName('floe-rebalance');
  await kafka.admin.createTopic(topic, { partitions: 6 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-rebalance-'));
  const cfg = parseConnectorConfig(
    `
name: rebalance
kafka: { brokers: ${JSON.stringify(brokers())}, groupId: ${topic}-g, sessionTimeoutMs: 10000 }
format: json
catalog: { type: sql, uri: ${path.join(dir, 'catalog.db')}, warehouse: ${pathToFileURL(dir).href} }
topics: [${topic}]
table: { name: r.events, kafkaMetadataColumns: true }
commit: { intervalMs: 600000, maxRows: 1000000 }
metricsPort: 0
`,
    'rebalance.yaml',
    {},
  );
  const send = (from: number, n: number) => kafka.producer.send(Array.from({ length: n }, (_, k) => ({ topic, partition: (from + k) % 6, value: JSON.stringify({ i: from + k }) })));
  const total = 3000;
  await send(0, 1500);
  const running: RunningConnector[] = [];
  try {
    running.push(await startConnector(cfg));
    await new Promise((r) => setTimeout(r, 2000)); // A buffers; its commit interval is far away
    const catalog = catalogFromConfig(cfg.catalog);
    assert.equal((await catalog.loadTable(parseTableName('r.events'))).metadata.snapshots?.length ?? 0, 0, 'A holds everything unflushed');
    running.push(await startConnector(cfg)); // B joins: partitions move while A holds rows
    await send(1500, total - 1500);
    // both stop (flush + commit); then the table must hold every offset exactly once
    await new Promise((r) => setTimeout(r, 3000));
  } finally {
    for (const r of running.reverse()) await r.stop();
  }
  // A batch fenced at the last flush is dropped (the table's offsets stay truthful); a restart
  // of the connector takes those records from the table's offsets.
  const again = await startConnector({ ...cfg, commit: { ...cfg.commit, intervalMs: 500 } });
  try {
    const ends = await kafka.admin.endOffsets(topic);
    const cat = catalogFromConfig(cfg.catalog);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const m = tableOffsets((await cat.loadTable(parseTableName('r.events'))).metadata, 'rebalance').get(topic)!;
      if ([...ends].every(([p, end]) => m.get(p) === end)) break;
      if (Date.now() > deadline) throw new Error(`offsets after the restart: ${JSON.stringify([...m].map(([p, o]) => [p, String(o)]))}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await again.stop();
  }
  const table = await catalogFromConfig(cfg.catalog).loadTable(parseTableName('r.events'));
  const rows = await tableRows(table);
  const keys = rows.map((r) => `${r._kafka_partition}:${r._kafka_offset}`);
  assert.equal(new Set(keys).size, keys.length, 'no (partition, offset) twice');
  assert.equal(rows.length, total, 'every record landed');
  const offsets = tableOffsets(table.metadata, 'rebalance').get(topic)!;
  assert.equal(
    [...offsets.values()].reduce((a, b) => a + b, 0n),
    BigInt(total),
  );
});
