// Chaos: 3 `floe run` workers on 12 partitions, one killed with SIGKILL at a random moment over
// and over (and restarted) while 200k records flow. PyIceberg then counts exactly the records
// produced, with no (topic, partition, offset) twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SqlCatalog } from '../../src/catalog/sql-catalog.ts';
import { parseTableName } from '../../src/catalog/catalog.ts';
import { tableOffsets } from '../../src/commit/offsets-map.ts';
import { brokers, kafkaClients, uniqueName } from './helpers.ts';
import { readWithPyIceberg } from '../helpers/readers.ts';

const repo = path.resolve(import.meta.dirname, '../..');
const RECORDS = 200_000;
const PARTITIONS = 12;
const KILLS = 10;

const kafka = kafkaClients({ compression: 'zstd' });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test(`${KILLS} SIGKILLs of 3 workers over ${RECORDS} records on ${PARTITIONS} partitions: every record once`, { timeout: 600_000 }, async () => {
  const topic = uniqueName('floe-chaos');
  await kafka.admin.createTopic(topic, { partitions: PARTITIONS });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-chaos-'));
  const file = path.join(dir, 'chaos.yaml');
  fs.writeFileSync(file, `
name: chaos
kafka: { brokers: ${JSON.stringify(brokers())}, groupId: ${topic}-g, sessionTimeoutMs: 6000 }
format: json
catalog: { type: sql, uri: catalog.db, warehouse: wh }
topics: [${topic}]
table: { name: chaos.events, kafkaMetadataColumns: true }
commit: { intervalMs: 700, maxRows: 20000 }
metricsPort: 0
`);
  const workers: (ChildProcess | undefined)[] = [undefined, undefined, undefined];
  const logs: string[] = ['', '', ''];
  const launch = (i: number) => {
    const child = spawn(process.execPath, [path.join(repo, 'bin/floe.ts'), 'run', '-c', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => (logs[i] = (logs[i] + d).slice(-4000)));
    child.stderr!.on('data', (d) => (logs[i] = (logs[i] + d).slice(-4000)));
    workers[i] = child;
  };
  const producing = (async () => {
    const batch = 5000;
    for (let from = 0; from < RECORDS; from += batch) {
      await kafka.producer.send(Array.from({ length: batch }, (_, k) => {
        const i = from + k;
        return { topic, partition: i % PARTITIONS, value: JSON.stringify({ i, user: i % 977, note: `event ${i}`, amount: i + 0.25 }) };
      }));
    }
  })();
  let kills = 0;
  try {
    for (let i = 0; i < 3; i++) launch(i);
    // kill a random worker at a random moment, restart it, again and again
    while (kills < KILLS) {
      await sleep(800 + Math.floor(Math.random() * 2200));
      const i = Math.floor(Math.random() * 3);
      workers[i]!.kill('SIGKILL');
      await new Promise((r) => workers[i]!.once('exit', r));
      kills++;
      launch(i);
    }
    await producing;
    const ends = await kafka.admin.endOffsets(topic);
    const catalog = new SqlCatalog({ uri: path.join(dir, 'catalog.db'), warehouse: pathToFileURL(path.join(dir, 'wh')).href });
    const deadline = Date.now() + 240_000;
    for (;;) {
      let m: Map<number, bigint> | undefined;
      try {
        m = tableOffsets((await catalog.loadTable(parseTableName('chaos.events'))).metadata, 'chaos').get(topic);
      } catch {
        // not created yet
      }
      if (m && [...ends].every(([p, end]) => m.get(p) === end)) break;
      if (Date.now() > deadline) throw new Error(`the workers did not catch up: table offsets ${JSON.stringify(m && [...m].map(([p, o]) => [p, String(o)]))}\n${logs.join('\n---\n')}`);
      await sleep(500);
    }
  } finally {
    for (const w of workers) if (w && w.exitCode === null) w.kill('SIGTERM');
    await Promise.all(workers.map((w) => (w && w.exitCode === null ? new Promise((r) => w.once('exit', r)) : undefined)));
  }
  assert.equal(kills, KILLS);
  const read = await readWithPyIceberg({ catalog: { type: 'sql', uri: `sqlite:///${path.join(dir, 'catalog.db')}`, warehouse: pathToFileURL(path.join(dir, 'wh')).href }, table: 'chaos.events', sort: false });
  assert.equal(read.rows.length, RECORDS, 'PyIceberg counts exactly the records produced');
  const seen = new Set<string>();
  for (const r of read.rows) seen.add(`${r._kafka_topic}/${r._kafka_partition}/${r._kafka_offset}`);
  assert.equal(seen.size, RECORDS, 'no (topic, partition, offset) twice');
  const values = new Set(read.rows.map((r) => r.i));
  assert.equal(values.size, RECORDS, 'every produced record is there');
});
