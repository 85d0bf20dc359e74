// A schema registry that cannot serve floe makes floe stop within seconds with an error naming
// the registry's URL and the status, on the real broker and registry: credentials refused (401,
// from a tiny HTTP server here) at start and mid-stream, and a URL without its API path (404 on
// the real registry). `floe run` and `floe validate --connect` say so, and never print the
// password, whether it is in its key or (refused) in the URL.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../src/config/config-reader.ts';
import { parseConnectorConfig } from '../../src/config/connector-config.ts';
import { startConnector } from '../../src/cli/run.ts';
import { brokers, javaSerializerFrame, kafkaClients, uniqueName } from './helpers.ts';

const kafka = kafkaClients();
const repo = path.resolve(import.meta.dirname, '../..');
const PASSWORD = 'hunter2-not-printed';
const BASIC = Buffer.from(`floe:${PASSWORD}`).toString('base64');

function registryUrl(): string {
  const v = process.env.FLOE_TEST_REGISTRY_URL;
  if (!v) throw new Error('FLOE_TEST_REGISTRY_URL is not set: start the stack and `source scripts/stack/env.sh`');
  return v;
}

/** A fake registry on 127.0.0.1: `schemaTypes` answers GET /schemas/types with 200, everything else gets 401. */
async function refusingRegistry(schemaTypes: boolean): Promise<{ url: string; requests: string[] }> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.writeHead(req.url?.endsWith('/schemas/types') && schemaTypes ? 200 : 401, { 'Content-Type': 'application/json' });
    res.end(req.url?.endsWith('/schemas/types') && schemaTypes ? '["AVRO"]' : JSON.stringify({ error_code: 40101, message: 'Unauthorized' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  after(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/apis/ccompat/v7`, requests };
}

function connectorYaml(topic: string, registry: string, extra = ''): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-registry-checks-'));
  return `
name: ${topic}
kafka: { brokers: ${JSON.stringify(brokers())}, groupId: ${topic}-g, sessionTimeoutMs: 10000 }
schemaRegistry: { url: "${registry}", username: floe, password: ${PASSWORD} }
format: avro
catalog: { type: sql, uri: ${path.join(dir, 'catalog.db')}, warehouse: ${dir} }
topics: [${topic}]
table: { name: reg.events }
commit: { intervalMs: 500 }
metricsPort: 0
${extra}`;
}

/** Runs bin/floe.ts with the args; resolves with its exit code, output and how long it took. */
async function floe(args: string[], timeoutMs = 30_000): Promise<{ code: number | null; out: string; ms: number }> {
  const t0 = Date.now();
  const child = spawn(process.execPath, [path.join(repo, 'bin/floe.ts'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, out, ms: Date.now() - t0 };
}

function writeFile(text: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'floe-registry-checks-')), 'c.yaml');
  fs.writeFileSync(file, text);
  return file;
}

function assertNoSecret(out: string): void {
  assert.doesNotMatch(out, new RegExp(PASSWORD), out);
  assert.doesNotMatch(out, new RegExp(BASIC), out);
}

test('401 at start: floe run and floe validate --connect refuse within seconds, naming the URL and the status, not the password', async () => {
  const registry = await refusingRegistry(false);
  const topic = uniqueName('floe-registry-401');
  await kafka.admin.createTopic(topic, { partitions: 1 });
  const file = writeFile(connectorYaml(topic, registry.url));
  const said = new RegExp(`schemaRegistry: schema registry ${registry.url.replace(/[./]/g, '\\$&')} did not accept the credentials \\(HTTP 401\\)`);
  for (const args of [
    ['run', '-c', file],
    ['validate', '-c', file, '--connect'],
  ]) {
    const r = await floe(args);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, said);
    assert.ok(r.ms < 15_000, `${args[0]} took ${r.ms} ms`);
    assertNoSecret(r.out);
  }
  assert.ok(registry.requests.length >= 2 && registry.requests.every((q) => q === 'GET /apis/ccompat/v7/schemas/types'), registry.requests.join(', '));
});

test('401 mid-stream: the connector stops within seconds on the first record, no dead letter, no retry loop', async () => {
  const registry = await refusingRegistry(true);
  const topic = uniqueName('floe-registry-401-later');
  const dlqTopic = `${topic}.dlq`;
  await kafka.admin.createTopic(topic, { partitions: 1 });
  await kafka.admin.createTopic(dlqTopic, { partitions: 1 });
  await kafka.producer.send([{ topic, value: javaSerializerFrame(7, Buffer.from([2])) }]);
  const cfg = parseConnectorConfig(connectorYaml(topic, registry.url, `errors: { tolerance: all, deadLetterTopic: ${dlqTopic} }`), 'registry-401.yaml', {});
  const t0 = Date.now();
  const running = await startConnector(cfg);
  try {
    let timer: NodeJS.Timeout | undefined;
    const failed = await Promise.race([running.failed, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), 20_000)))]).finally(() => clearTimeout(timer));
    assert.ok(failed, 'the connector did not stop within 20 s');
    assert.ok(Date.now() - t0 < 15_000, `stopped after ${Date.now() - t0} ms`);
    assert.match(failed.message, new RegExp(`schema registry ${registry.url.replace(/[./]/g, '\\$&')} did not accept the credentials \\(HTTP 401\\) on GET /schemas/ids/7`));
    assertNoSecret(failed.message);
  } finally {
    await running.stop().catch(() => undefined);
  }
  assert.deepEqual(
    registry.requests.filter((q) => q.includes('/schemas/ids/')),
    ['GET /apis/ccompat/v7/schemas/ids/7'],
    'asked once: no retry loop',
  );
  assert.equal((await kafka.admin.endOffsets(dlqTopic)).get(0), 0n, 'no dead letter: the record is not at fault');
});

test('a registry URL without its API path (404 on the real registry) is refused at start with a hint', async () => {
  const root = registryUrl().replace(/\/apis\/ccompat\/v7\/?$/, '');
  assert.notEqual(root, registryUrl());
  const topic = uniqueName('floe-registry-404');
  await kafka.admin.createTopic(topic, { partitions: 1 });
  const yaml = connectorYaml(topic, root);
  const t0 = Date.now();
  await assert.rejects(startConnector(parseConnectorConfig(yaml, 'registry-404.yaml', {})), (e) => {
    assert.ok(e instanceof ConfigError, String(e));
    assert.equal(e.key, 'schemaRegistry.url');
    assert.match(e.message, new RegExp(`schema registry ${root.replace(/[./]/g, '\\$&')}: GET /schemas/types answered HTTP 404.*is the URL missing its API path, e\\.g\\. /apis/ccompat/v7`));
    return true;
  });
  assert.ok(Date.now() - t0 < 10_000);
  const r = await floe(['validate', '-c', writeFile(yaml), '--connect']);
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /is the URL missing its API path/);
  // the right URL passes, and says what it checked
  const good = await floe(['validate', '-c', writeFile(connectorYaml(topic, registryUrl())), '--connect']);
  assert.equal(good.code, 0, good.out);
  assert.match(good.out, new RegExp(`checked: schema registry ${registryUrl().replace(/[./]/g, '\\$&')} answers`));
  assert.match(good.out, /checked: brokers .* answer/);
  assertNoSecret(good.out);
});

test('credentials in the registry URL: floe validate and floe run refuse the file and never print the password', async () => {
  const topic = uniqueName('floe-registry-userinfo');
  const yaml = connectorYaml(topic, `http://floe:${PASSWORD}@127.0.0.1:9/apis/ccompat/v7`).replace(`, username: floe, password: ${PASSWORD}`, '');
  const file = writeFile(yaml);
  for (const args of [
    ['validate', '-c', file],
    ['validate', '-c', file, '--connect'],
    ['run', '-c', file],
  ]) {
    const r = await floe(args);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /schemaRegistry\.url: credentials in a URL are refused.*schemaRegistry\.username and schemaRegistry\.password/);
    assertNoSecret(r.out);
  }
});
