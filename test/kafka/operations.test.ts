// What an operator sees of a running connector (issue 9, items 2 and 3), on the real broker:
// /metrics, /healthz and /readyz on the configured address (metricsHost), readiness once the
// group is joined, and the metrics an alert needs: rebalances, errors by kind, commit attempts
// by outcome and the Node runtime's default metrics. And the JSON log lines of `floe run`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseConnectorConfig } from '../../src/config/connector-config.ts';
import { catalogFromConfig, startConnector } from '../../src/cli/run.ts';
import { brokers, kafkaClients, uniqueName, waitFor, waitForTableOffsets } from './helpers.ts';

const kafka = kafkaClients();

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

function metricValue(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

function connectorFile(topic: string, dir: string, port: number, host?: string): string {
  return `
name: ${topic}
kafka: { brokers: ${JSON.stringify(brokers())}, groupId: ${topic}-g, sessionTimeoutMs: 10000 }
format: json
catalog: { type: sql, uri: ${path.join(dir, 'catalog.db')}, warehouse: ${pathToFileURL(path.join(dir, 'wh')).href} }
topics: [${topic}]
table: { name: ops.events }
commit: { intervalMs: 300 }
errors: { tolerance: all, deadLetterTopic: ${topic}.dlq }
metricsPort: ${port}
${host ? `metricsHost: ${host}` : ''}
`;
}

test('metrics server on the configured host: ready once joined; rebalances, errors by kind, commits by outcome, runtime metrics', async () => {
  const topic = uniqueName('floe-ops');
  await kafka.admin.createTopic(topic, { partitions: 2 });
  await kafka.admin.createTopic(`${topic}.dlq`, { partitions: 1 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-ops-'));
  const port = await freePort();
  const cfg = parseConnectorConfig(connectorFile(topic, dir, port, '0.0.0.0'), 'ops.yaml', {});
  assert.equal(cfg.metricsHost, '0.0.0.0');
  const running = await startConnector(cfg);
  try {
    const base = `http://127.0.0.1:${port}`;
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.equal((await fetch(`${base}/readyz`)).status, 200, 'ready: the group is joined and no table is failing');
    await kafka.producer.send([
      { topic, partition: 0, value: '{"id": 1}' },
      { topic, partition: 0, value: 'not json' },
      { topic, partition: 1, value: '{"id": 2}' },
    ]);
    await waitForTableOffsets(
      catalogFromConfig(cfg.catalog),
      cfg.name,
      'ops.events',
      topic,
      new Map([
        [0, 2n],
        [1, 1n],
      ]),
      { failed: running.failed },
    );
    const text = await (await fetch(`${base}/metrics`)).text();
    assert.ok((metricValue(text, 'floe_errors_total', 'kind="bad-record"') ?? 0) >= 1, 'the bad record is counted by kind');
    assert.ok((metricValue(text, 'floe_rebalances_total', 'change="assigned"') ?? 0) >= 1, 'the assignment is counted');
    assert.ok((metricValue(text, 'floe_commits_total', 'outcome="ok"') ?? 0) >= 1, 'commit attempts by outcome');
    assert.match(text, /^process_cpu_user_seconds_total /m, "the Node runtime's default metrics");
    assert.match(text, /^nodejs_heap_size_used_bytes /m);
  } finally {
    await running.stop();
  }
});

test('floe run --log-format json: one JSON object per line with time, level, connector and message', async () => {
  const topic = uniqueName('floe-ops-log');
  await kafka.admin.createTopic(topic, { partitions: 1 });
  await kafka.admin.createTopic(`${topic}.dlq`, { partitions: 1 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-ops-log-'));
  const file = path.join(dir, 'c.yaml');
  fs.writeFileSync(file, connectorFile(topic, dir, 0));
  const bin = new URL('../../bin/floe.ts', import.meta.url).pathname;
  const child = spawn(process.execPath, [bin, '--log-format', 'json', 'run', '-c', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  try {
    await waitFor('running', () => out.includes('"message":"running:'), 60_000);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  const lines = out.split('\n').filter((l) => l.trim() !== '');
  assert.ok(lines.length >= 3, out);
  for (const l of lines) {
    const o = JSON.parse(l) as Record<string, unknown>;
    assert.equal(typeof o.time, 'string', l);
    assert.ok(['debug', 'info', 'warn', 'error'].includes(o.level as string), l);
    assert.equal(o.connector, topic, l);
    assert.equal(typeof o.message, 'string', l);
  }
  assert.ok(
    lines.some((l) => (JSON.parse(l) as { message: string }).message.startsWith('SIGTERM')),
    'the stop is logged',
  );
});
