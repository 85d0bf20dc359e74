// Outages of the object store and the catalog, on the real stack, through TCP proxies in front of
// S3 and the REST catalog (test/helpers/tcp-proxy.ts) that the test makes hang or refuse:
//   - ridden out: S3 hanging (requests time out) and then the catalog refusing, each for a few
//     seconds while records keep coming: the connector logs each failed attempt, keeps running,
//     and once the servers are back every record is in the table once (DuckDB);
//   - a budget that runs out: S3 refusing for longer than errors.outageTimeoutMs stops the
//     connector with an error naming the table and what failed; a restart once S3 is back lands
//     every record once (nothing was lost).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConnectorConfig } from '../../src/config/connector-config.ts';
import type { ConnectorConfig } from '../../src/config/connector-config.ts';
import { catalogFromConfig, startConnector } from '../../src/cli/run.ts';
import { brokers, kafkaClients, uniqueName, waitForTableOffsets } from './helpers.ts';
import { readWithDuckDB } from '../helpers/readers.ts';
import { stackEnv } from '../helpers/stack.ts';
import { startTcpProxy } from '../helpers/tcp-proxy.ts';
import type { TcpProxy } from '../helpers/tcp-proxy.ts';

const kafka = kafkaClients();
const env = stackEnv();
const hostPort = (url: string) => {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port) };
};

function connectorFile(topic: string, ns: string, s3: TcpProxy, rest: TcpProxy, outageTimeoutMs: number): ConnectorConfig {
  return parseConnectorConfig(
    `
name: ${topic}
kafka: { brokers: ${JSON.stringify(brokers())}, groupId: ${topic}-g, sessionTimeoutMs: 10000 }
format: json
catalog:
  type: rest
  uri: ${rest.url}
  properties: { s3.endpoint: "${s3.url}", s3.access-key-id: ${env.s3AccessKey}, s3.secret-access-key: ${env.s3SecretKey}, s3.region: ${env.s3Region}, s3.path-style-access: "true", s3.request-timeout-ms: "1500", s3.connect-timeout-ms: "1000", s3.max-attempts: "1" }
topics: [${topic}]
table: { name: ${ns}.events, kafkaMetadataColumns: true }
commit: { intervalMs: 300 }
errors: { tolerance: none, outageTimeoutMs: ${outageTimeoutMs} }
metricsPort: 0
`,
    'outages.yaml',
    {},
  );
}

async function produce(topic: string, from: number, n: number): Promise<void> {
  await kafka.producer.send(Array.from({ length: n }, (_, i) => ({ topic, partition: (from + i) % 2, value: JSON.stringify({ id: from + i }) })));
}

async function rowsOf(ns: string): Promise<number[]> {
  const reader = {
    catalog: { type: 'rest' as const, uri: env.restUri },
    table: `${ns}.events`,
    s3: { endpoint: env.s3Endpoint, accessKey: env.s3AccessKey, secretKey: env.s3SecretKey, region: env.s3Region },
  };
  return (await readWithDuckDB(reader)).rows.map((r) => Number(r.id)).sort((a, b) => a - b);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('an object store that hangs and a catalog that refuses, for seconds each, are ridden out: every record lands once', async () => {
  const topic = uniqueName('floe-outage-ride');
  const ns = topic.replace(/[^A-Za-z0-9_]/g, '_');
  await kafka.admin.createTopic(topic, { partitions: 2 });
  const s3 = await startTcpProxy(hostPort(env.s3Endpoint));
  const rest = await startTcpProxy(hostPort(env.restUri));
  const cfg = connectorFile(topic, ns, s3, rest, 120_000);
  const warnings: string[] = [];
  const catalog = catalogFromConfig({ ...cfg.catalog, uri: env.restUri });
  const debug = process.env.FLOE_TEST_DEBUG ? (m: string) => console.error(m) : () => undefined;
  const running = await startConnector(cfg, { log: { info: debug, warn: (m) => (warnings.push(m), debug(m)) } });
  try {
    await produce(topic, 0, 40);
    await waitForTableOffsets(catalog, cfg.name, `${ns}.events`, topic, await kafka.admin.endOffsets(topic), { failed: running.failed });
    s3.set('hang');
    await produce(topic, 40, 40);
    await sleep(6000);
    s3.set('pass');
    rest.set('refuse');
    await produce(topic, 80, 40);
    await sleep(5000);
    rest.set('pass');
    await produce(topic, 120, 40);
    await waitForTableOffsets(catalog, cfg.name, `${ns}.events`, topic, await kafka.admin.endOffsets(topic), { failed: running.failed, timeoutMs: 90_000 });
  } finally {
    await running.stop().catch(() => undefined);
    await s3.close();
    await rest.close();
  }
  assert.ok(
    warnings.some((w) => /writing a data file failed \(attempt \d+/.test(w)),
    `a log line per failed write:\n${warnings.join('\n')}`,
  );
  assert.ok(
    warnings.some((w) => /committing to the catalog failed \(attempt \d+/.test(w)),
    `a log line per failed commit:\n${warnings.join('\n')}`,
  );
  assert.deepEqual(
    await rowsOf(ns),
    Array.from({ length: 160 }, (_, i) => i),
    'every record once',
  );
});

test('an object store down for longer than errors.outageTimeoutMs stops the connector with a clear error; a restart lands everything once', async () => {
  const topic = uniqueName('floe-outage-budget');
  const ns = topic.replace(/[^A-Za-z0-9_]/g, '_');
  await kafka.admin.createTopic(topic, { partitions: 2 });
  const s3 = await startTcpProxy(hostPort(env.s3Endpoint));
  const rest = await startTcpProxy(hostPort(env.restUri));
  const cfg = connectorFile(topic, ns, s3, rest, 3000);
  const catalog = catalogFromConfig({ ...cfg.catalog, uri: env.restUri });
  try {
    const first = await startConnector(cfg, { log: { info: () => undefined, warn: () => undefined } });
    let error: Error | undefined;
    try {
      await produce(topic, 0, 30);
      await waitForTableOffsets(catalog, cfg.name, `${ns}.events`, topic, await kafka.admin.endOffsets(topic), { failed: first.failed });
      s3.set('refuse');
      const t0 = Date.now();
      await produce(topic, 30, 30);
      error = await Promise.race([first.failed, sleep(30_000).then(() => undefined)]);
      assert.ok(error, 'the connector stopped');
      assert.ok(Date.now() - t0 < 30_000);
    } finally {
      await first.stop().catch(() => undefined);
    }
    assert.match(error!.message, new RegExp(`table ${ns}\\.events: writing a data file has failed for \\d+ s \\(\\d+ attempts; errors\\.outageTimeoutMs is 3000\\)`));
    s3.set('pass');
    const second = await startConnector(cfg, { log: { info: () => undefined, warn: () => undefined } });
    try {
      await waitForTableOffsets(catalog, cfg.name, `${ns}.events`, topic, await kafka.admin.endOffsets(topic), { failed: second.failed });
    } finally {
      await second.stop();
    }
  } finally {
    await s3.close();
    await rest.close();
  }
  assert.deepEqual(
    await rowsOf(ns),
    Array.from({ length: 60 }, (_, i) => i),
    'every record once',
  );
});

test('a catalog that refuses while the connector loads its table is retried within the budget: it starts once the catalog is back, every record once', async () => {
  const topic = uniqueName('floe-outage-load');
  const ns = topic.replace(/[^A-Za-z0-9_]/g, '_');
  await kafka.admin.createTopic(topic, { partitions: 2 });
  const s3 = await startTcpProxy(hostPort(env.s3Endpoint));
  const rest = await startTcpProxy(hostPort(env.restUri));
  const cfg = connectorFile(topic, ns, s3, rest, 120_000);
  const catalog = catalogFromConfig({ ...cfg.catalog, uri: env.restUri });
  const warnings: string[] = [];
  rest.set('refuse');
  await produce(topic, 0, 30);
  const starting = startConnector(cfg, { log: { info: () => undefined, warn: (m) => warnings.push(m) } });
  let running: Awaited<typeof starting> | undefined;
  try {
    await sleep(5000);
    assert.ok(
      warnings.some((w) => /failed \(attempt \d+, failing for \d+ s of 120 s\)/.test(w)),
      `a log line per failed catalog request:\n${warnings.join('\n')}`,
    );
    rest.set('pass');
    running = await starting;
    await produce(topic, 30, 30);
    await waitForTableOffsets(catalog, cfg.name, `${ns}.events`, topic, await kafka.admin.endOffsets(topic), { failed: running.failed, timeoutMs: 60_000 });
  } finally {
    rest.set('pass');
    running ??= await starting.catch(() => undefined);
    await running?.stop().catch(() => undefined);
    await s3.close();
    await rest.close();
  }
  assert.deepEqual(
    await rowsOf(ns),
    Array.from({ length: 60 }, (_, i) => i),
    'every record once',
  );
});
