// The dead-letter topic is checked at start on the real broker (cli/preflight.ts): a missing
// one stops `floe run` and `floe validate --connect` with an error naming the file, the key
// and the topic (floe creates no topics), instead of dead letters retried for minutes; an
// existing one has its max.message.bytes read, and a dead letter larger than that lands
// without its value, saying so in floe.error.dropped, while the others land whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../src/config/config-reader.ts';
import { parseConnectorConfig } from '../../src/config/connector-config.ts';
import { preflight } from '../../src/cli/preflight.ts';
import { startConnector } from '../../src/cli/run.ts';
import { brokers, headerStrings, kafkaClients, readWholeTopic, uniqueName } from './helpers.ts';

const kafka = kafkaClients();
const repo = path.resolve(import.meta.dirname, '../..');

function connectorYaml(topic: string, dlqTopic: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-dlq-topic-'));
  return `
name: ${topic}
kafka: { brokers: ${JSON.stringify(brokers())}, groupId: ${topic}-g, sessionTimeoutMs: 10000 }
format: json
catalog: { type: sql, uri: ${path.join(dir, 'catalog.db')}, warehouse: ${dir} }
topics: [${topic}]
table: { name: dlqtopic.events }
commit: { intervalMs: 500 }
errors: { tolerance: all, deadLetterTopic: ${dlqTopic} }
metricsPort: 0
`;
}

async function floe(args: string[]): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [path.join(repo, 'bin/floe.ts'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, out };
}

test('a missing dead-letter topic: floe run and floe validate --connect refuse, naming the file, the key and the topic', async () => {
  const topic = uniqueName('floe-dlq-missing');
  const dlqTopic = `${topic}.dlq`;
  await kafka.admin.createTopic(topic, { partitions: 1 });
  const yaml = connectorYaml(topic, dlqTopic);
  const t0 = Date.now();
  await assert.rejects(startConnector(parseConnectorConfig(yaml, 'dlq-missing.yaml', {})), (e) => {
    assert.ok(e instanceof ConfigError, String(e));
    assert.equal(e.key, 'errors.deadLetterTopic');
    assert.match(e.message, new RegExp(`^dlq-missing\\.yaml: errors\\.deadLetterTopic: topic "${dlqTopic}" does not exist on ${brokers()[0]}; floe creates no topics`));
    return true;
  });
  assert.ok(Date.now() - t0 < 10_000, `took ${Date.now() - t0} ms`);
  assert.equal((await kafka.admin.listTopics()).includes(dlqTopic), false, 'the check creates no topic');

  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'floe-dlq-topic-')), 'c.yaml');
  fs.writeFileSync(file, yaml);
  const offline = await floe(['validate', '-c', file]);
  assert.equal(offline.code, 0, offline.out);
  assert.match(offline.out, /servers not contacted \(--connect checks/);
  const online = await floe(['validate', '-c', file, '--connect']);
  assert.equal(online.code, 1, online.out);
  assert.match(online.out, new RegExp(`c\\.yaml: errors\\.deadLetterTopic: topic "${dlqTopic}" does not exist`));
});

test('max.message.bytes of the dead-letter topic is read; a larger dead letter lands without its value, the others whole', async () => {
  const topic = uniqueName('floe-dlq-max-bytes');
  const dlqTopic = `${topic}.dlq`;
  await kafka.admin.createTopic(topic, { partitions: 1 });
  await kafka.admin.createTopic(dlqTopic, { partitions: 1, configs: { 'max.message.bytes': '4000' } });
  const cfg = parseConnectorConfig(connectorYaml(topic, dlqTopic), 'dlq-max-bytes.yaml', {});
  assert.equal((await preflight(cfg, { unreachableRegistry: 'fail' })).deadLetterMaxMessageBytes, 4000);

  const huge = `{"broken json ${'x'.repeat(20_000)}`;
  await kafka.producer.send([
    { topic, key: 'good', value: JSON.stringify({ id: 1 }) },
    { topic, key: 'huge', value: huge },
    { topic, key: 'small', value: '{"broken json' },
  ]);
  const running = await startConnector(cfg);
  let dead;
  try {
    dead = await readWholeTopic(dlqTopic, 2, 30_000);
  } finally {
    await running.stop();
  }
  const byKey = new Map(dead.map((d) => [new TextDecoder().decode(d.key!), d]));
  const big = byKey.get('huge')!;
  assert.equal(big.value, null, 'the value is left out');
  assert.equal(headerStrings(big).get('floe.error.dropped'), `value=${Buffer.byteLength(huge)}`);
  assert.equal(headerStrings(big).get('floe.original.offset'), '1', 'where the record is');
  assert.equal(headerStrings(big).get('floe.error.class'), 'DecodeError');
  const small = byKey.get('small')!;
  assert.equal(new TextDecoder().decode(small.value!), '{"broken json');
  assert.equal(headerStrings(small).has('floe.error.dropped'), false);

  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'floe-dlq-topic-')), 'c.yaml');
  fs.writeFileSync(file, connectorYaml(topic, dlqTopic));
  const validate = await floe(['validate', '-c', file, '--connect']);
  assert.equal(validate.code, 0, validate.out);
  assert.match(validate.out, new RegExp(`checked: dead-letter topic ${dlqTopic} exists \\(max\\.message\\.bytes 4000`));
});
