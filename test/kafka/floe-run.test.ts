// `floe run` as a process: it consumes, commits, and on SIGTERM flushes what it holds, commits,
// leaves the group and exits 0 within its bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SqlCatalog } from '../../src/catalog/sql-catalog.ts';
import { parseTableName } from '../../src/catalog/catalog.ts';
import { tableOffsets } from '../../src/commit/committed-offsets.ts';
import { brokers, kafkaClients, uniqueName, waitFor } from './helpers.ts';
import { tableRows } from '../helpers/table-rows.ts';

const repo = path.resolve(import.meta.dirname, '../..');
const kafka = kafkaClients();

test('SIGTERM: what is buffered is committed, the group is left, exit code 0', async () => {
  const topic = uniqueName('floe-run');
  await kafka.admin.createTopic(topic, { partitions: 2 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-run-'));
  const file = path.join(dir, 'c.yaml');
  // a commit interval far longer than the test: only the SIGTERM flush can commit the rows
  fs.writeFileSync(
    file,
    `
name: run-test
kafka: { brokers: ${JSON.stringify(brokers())}, groupId: ${topic}-g, sessionTimeoutMs: 10000 }
format: json
catalog: { type: sql, uri: catalog.db, warehouse: wh }
topics: [${topic}]
table: { name: t.events, kafkaMetadataColumns: true }
commit: { intervalMs: 600000, maxRows: 1000000 }
metricsPort: 0
`,
  );
  await kafka.producer.send(Array.from({ length: 300 }, (_, i) => ({ topic, partition: i % 2, value: JSON.stringify({ i }) })));
  const child = spawn(process.execPath, [path.join(repo, 'bin/floe.ts'), 'run', '-c', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    await waitFor('the connector to be assigned its partitions', () => /assigned/.test(out), 60_000);
    const catalog = new SqlCatalog({ uri: path.join(dir, 'catalog.db'), warehouse: pathToFileURL(path.join(dir, 'wh')).href });
    // wait until the worker has read everything: the group's lag is not committed yet, so poll the table after SIGTERM instead
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(await catalog.tableExists(parseTableName('t.events')), true, 'the table was created from the first records');
    assert.equal((await catalog.loadTable(parseTableName('t.events'))).metadata.snapshots?.length ?? 0, 0, 'nothing committed before SIGTERM');
    const t0 = Date.now();
    child.kill('SIGTERM');
    const code = await exited;
    assert.equal(code, 0, out);
    assert.ok(Date.now() - t0 < 30_000, 'stopped within its bound');
    assert.match(out, /SIGTERM: flushing, committing and leaving the group/);
    const table = await catalog.loadTable(parseTableName('t.events'));
    const rows = await tableRows(table);
    assert.equal(rows.length, 300);
    assert.equal(new Set(rows.map((r) => `${r._kafka_partition}:${r._kafka_offset}`)).size, 300);
    const offsets = tableOffsets(table.metadata, 'run-test').get(topic)!;
    assert.deepEqual([offsets.get(0), offsets.get(1)], [150n, 150n]);
    const group = await kafka.admin.describeGroup(`${topic}-g`);
    assert.equal(group.members.length, 0, 'the member left the group');
    const committed = (await kafka.admin.committedOffsets(`${topic}-g`)).get(topic);
    assert.deepEqual([committed?.get(0), committed?.get(1)], [150n, 150n], 'group offsets follow the table (for lag tools)');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

test('SIGTERM while the connector is still starting: it starts, stops cleanly and exits 0', async () => {
  const topic = uniqueName('floe-run-early');
  await kafka.admin.createTopic(topic, { partitions: 1 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-run-early-'));
  const file = path.join(dir, 'c.yaml');
  fs.writeFileSync(
    file,
    `
name: run-early
kafka: { brokers: ${JSON.stringify(brokers())}, groupId: ${topic}-g, sessionTimeoutMs: 10000 }
format: json
catalog: { type: sql, uri: catalog.db, warehouse: wh }
topics: [${topic}]
table: { name: t.events }
metricsPort: 0
`,
  );
  const child = spawn(process.execPath, [path.join(repo, 'bin/floe.ts'), 'run', '-c', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  // the signal goes the moment "starting" is read (a poll could come after the assignment too)
  let atSignal: string | undefined;
  const read = (d: Buffer) => {
    out += d;
    if (atSignal === undefined && /starting/.test(out)) {
      atSignal = out;
      child.kill('SIGTERM');
    }
  };
  child.stdout.on('data', read);
  child.stderr.on('data', read);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    await waitFor('the connector to say it is starting', () => atSignal !== undefined, 60_000);
    assert.doesNotMatch(atSignal!, /assigned/, 'still starting');
    assert.equal(await exited, 0, out);
    assert.match(out, /SIGTERM: flushing, committing and leaving the group/);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
