// The broker goes away mid-stream and comes back: `floe run` (one process, never restarted)
// must ride it out by itself (reconnect, rejoin, go on from the table's offsets), and land every
// record of the topic exactly once.
//
// The broker is this file's own (test/kafka/private-broker.ts: the stack scripts in a temp dir on
// free ports), never the shared one on :9092. Two outages while a producer streams: a clean
// shutdown (SIGTERM) and a crash (SIGKILL), each kept down longer than floe's request timeout
// would need to see errors, then the broker starts again on the same data.
//
// What counts as produced is what is in the topic (its end offsets): a send that failed during
// the outage is sent again, and if the first try did land, the topic holds that record twice at
// two offsets, and both must be in the table. Judges: Kafka's own Java console consumer dumps
// the topic (partition, offset, value); PyIceberg reads the table; they must agree row for row.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SqlCatalog } from '../../src/catalog/sql-catalog.ts';
import { parseTableName } from '../../src/catalog/catalog.ts';
import { tableOffsets } from '../../src/commit/committed-offsets.ts';
import { KafkaAdmin } from '../../src/kafka/admin.ts';
import { KafkaProducer } from '../../src/kafka/producer.ts';
import { readWithPyIceberg } from '../helpers/readers.ts';
import { kafkaLibDir, sleep, waitFor } from './helpers.ts';
import { freePort, PrivateBroker } from './private-broker.ts';

const repo = path.resolve(import.meta.dirname, '../..');
const RECORDS = 40_000;
const PARTITIONS = 6;
const BATCH = 500;
/**
 * how long the broker stays down after its process is gone, before it is started again: past
 * floe's first failed fetches, connects and retries (a dead broker's port refuses at once). A
 * killed broker then waits out its old registration's session (about 9 s) before it listens.
 */
const DOWN_MS = { TERM: Number(process.env.FLOE_TEST_DOWN_MS ?? 6_000), KILL: Number(process.env.FLOE_TEST_DOWN_MS ?? 2_000) };
const TOPIC = 'restart-events';
const DLQ = 'restart-dead-letters';
const SIDE = 'restart-side';
/** a few records are not JSON: they go to the dead-letter topic, through floe's own producer */
const isBad = (seq: number) => seq % 997 === 500;
const BAD = Array.from({ length: RECORDS }, (_, i) => i).filter(isBad).length;
const CONNECTOR = 'restart';

const broker = await PrivateBroker.create();
/** catalogs and warehouses of the connectors run here */
const workDirs: string[] = [];
after(async () => {
  // whatever happened: our broker goes, by its pid file in our own stack dir
  await broker.destroy();
  for (const d of workDirs) fs.rmSync(d, { recursive: true, force: true });
});

interface Produced {
  acked: number;
  failures: number;
  errors: string[];
}

/**
 * Sends RECORDS records in batches; a batch whose send fails is sent again (on a new producer
 * after a failure: a fresh producer id, so the retry never trips over sequence numbers the dead
 * broker may or may not have kept) until it is acknowledged. Only acknowledged batches count.
 */
async function produce(state: Produced, paceMs: number, deadline: number): Promise<void> {
  let producer: KafkaProducer | undefined;
  try {
    for (let from = 0; from < RECORDS; from += BATCH) {
      const records = Array.from({ length: Math.min(BATCH, RECORDS - from) }, (_, k) => {
        const seq = from + k;
        const value = isBad(seq) ? `not json ${seq}` : JSON.stringify({ seq, note: `record ${seq}`, amount: seq + 0.5 });
        return { topic: TOPIC, partition: seq % PARTITIONS, key: `k${seq}`, value };
      });
      for (;;) {
        try {
          producer ??= await KafkaProducer.connect({ brokers: [broker.bootstrap], requestTimeoutMs: 5000, connectTimeoutMs: 2000 });
          await producer.send(records);
          state.acked += records.length;
          break;
        } catch (err) {
          state.failures++;
          if (state.errors.length < 5) state.errors.push((err as Error).message);
          await producer?.close().catch(() => undefined);
          producer = undefined;
          if (Date.now() > deadline) throw new Error(`the test producer could not send records ${from}.. by its deadline: ${(err as Error).message}`, { cause: err });
          await sleep(300);
        }
      }
      await sleep(paceMs);
    }
  } finally {
    await producer?.close().catch(() => undefined);
  }
}

/**
 * every record of a topic as Kafka's Java console consumer reads it: "partition/offset" → the
 * rest of its line (the value; with headers, "headers<TAB>value")
 */
async function dumpTopic(topic: string, expected: number, headers = false): Promise<Map<string, string>> {
  const args = [
    '-Xmx256m',
    '-XX:TieredStopAtLevel=1',
    '-cp',
    `${kafkaLibDir()}/*`,
    'org.apache.kafka.tools.consumer.ConsoleConsumer',
    '--bootstrap-server',
    broker.bootstrap,
    '--topic',
    topic,
    '--from-beginning',
    '--max-messages',
    String(expected),
    '--timeout-ms',
    '30000',
    '--property',
    'print.partition=true',
    '--property',
    'print.offset=true',
    '--property',
    `print.headers=${headers}`,
  ];
  const out = await new Promise<string>((resolve, reject) => {
    const p = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let err = '';
    p.stdout.on('data', (d: Buffer) => chunks.push(d));
    p.stderr.on('data', (d) => (err = (err + d).slice(-4000)));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(Buffer.concat(chunks).toString('utf8')) : reject(new Error(`ConsoleConsumer exited ${code}: ${err}`))));
  });
  const m = new Map<string, string>();
  for (const line of out.split('\n')) {
    if (line === '') continue;
    const g = /^Partition:(\d+)\tOffset:(\d+)\t(.*)$/.exec(line);
    if (!g) throw new Error(`unexpected console consumer line: ${line.slice(0, 200)}`);
    m.set(`${g[1]}/${g[2]}`, g[3]!);
  }
  return m;
}

test('broker stopped (SIGTERM) and killed (SIGKILL) mid-stream: floe recovers by itself, every record of the topic once', { timeout: 240_000 + DOWN_MS.TERM + DOWN_MS.KILL }, async () => {
  await broker.start();
  const admin = await KafkaAdmin.connect({ brokers: [broker.bootstrap] });
  let floe: ChildProcess | undefined;
  let retrying: KafkaProducer | undefined;
  let log = '';
  try {
    await admin.createTopic(TOPIC, { partitions: PARTITIONS });
    await admin.createTopic(DLQ, { partitions: 1 });
    await admin.createTopic(SIDE, { partitions: 1 });
    // floe's own producer (the dead-letter one's class) with a reconnect bound: a send made while
    // the broker is down waits for it and lands once
    const retryLog: string[] = [];
    retrying = await KafkaProducer.connect({ brokers: [broker.bootstrap], reconnectTimeoutMs: 120_000, log: (m) => retryLog.push(m) });
    let sideSend: Promise<unknown> | undefined;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-restart-'));
    workDirs.push(dir);
    const file = path.join(dir, 'restart.yaml');
    const metricsPort = await freePort();
    fs.writeFileSync(
      file,
      `
name: ${CONNECTOR}
kafka: { brokers: ["${broker.bootstrap}"], groupId: restart-g, sessionTimeoutMs: 10000 }
format: json
catalog: { type: sql, uri: catalog.db, warehouse: wh }
topics: [${TOPIC}]
table: { name: restart.events, kafkaMetadataColumns: true }
commit: { intervalMs: 500, maxRows: 10000 }
errors: { tolerance: all, deadLetterTopic: ${DLQ} }
metricsPort: ${metricsPort}
`,
    );
    floe = spawn(process.execPath, [path.join(repo, 'bin/floe.ts'), 'run', '-c', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    floe.stdout!.on('data', (d) => (log += d));
    floe.stderr!.on('data', (d) => (log += d));
    const floeExit = new Promise<number | null>((resolve) => floe!.once('exit', (code) => resolve(code)));
    await waitFor('floe to be assigned its partitions', () => /assigned/.test(log) || floe!.exitCode !== null, 60_000);
    assert.equal(floe.exitCode, null, `floe exited before the stream began:\n${log}`);

    const produced: Produced = { acked: 0, failures: 0, errors: [] };
    const producing = produce(produced, 40, Date.now() + 150_000);
    producing.catch(() => undefined);

    const outages: { signal: 'TERM' | 'KILL'; at: number; producerFailures: number; stopMs: number; startMs: number; downMs: number }[] = [];
    for (const [signal, fraction] of [
      ['TERM', 0.25],
      ['KILL', 0.6],
    ] as const) {
      await waitFor(`${fraction * 100}% of the records acknowledged`, () => produced.acked >= RECORDS * fraction, 60_000);
      const failuresBefore = produced.failures;
      const t0 = Date.now();
      await broker.stop(signal);
      const t1 = Date.now();
      const at = produced.acked;
      if (signal === 'TERM') {
        sideSend = retrying!.send([{ topic: SIDE, value: 'sent while the broker was down' }]);
        sideSend.catch(() => undefined); // awaited below
      }
      assert.equal(broker.pid(), undefined, 'the broker is down');
      await sleep(DOWN_MS[signal]); // the outage itself
      const t2 = Date.now();
      await broker.start();
      outages.push({ signal, at, producerFailures: produced.failures - failuresBefore, stopMs: t1 - t0, startMs: Date.now() - t2, downMs: Date.now() - t1 });
    }
    await producing;
    await sideSend;
    await retrying.close();
    retrying = undefined;
    assert.ok(retryLog.length > 0 && retryLog.every((m) => m.includes(broker.bootstrap)), `the producer retried, naming the broker: ${retryLog.join('\n')}`);
    assert.equal((await admin.endOffsets(SIDE)).get(0), 1n, 'the send made during the outage landed once');
    assert.ok(
      outages.every((o) => o.at < RECORDS && o.producerFailures > 0),
      `both outages hit the stream mid-way: ${JSON.stringify(outages)}`,
    );

    // what is in the topic is what counts
    const ends = await admin.endOffsets(TOPIC);
    const starts = await admin.startOffsets(TOPIC);
    let inTopic = 0;
    for (const [p, end] of ends) inTopic += Number(end - (starts.get(p) ?? 0n));
    assert.ok(inTopic >= RECORDS, `the topic holds at least every acknowledged record (${inTopic})`);

    const catalog = new SqlCatalog({ uri: path.join(dir, 'catalog.db'), warehouse: pathToFileURL(path.join(dir, 'wh')).href });
    let offsets: Map<number, bigint> | undefined;
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        offsets = tableOffsets((await catalog.loadTable(parseTableName('restart.events'))).metadata, CONNECTOR).get(TOPIC);
      } catch {
        // no table yet
      }
      if (offsets && [...ends].every(([p, end]) => offsets!.get(p) === end)) break;
      if (floe.exitCode !== null || Date.now() > deadline) {
        throw new Error(
          `floe did not catch up (exit code ${floe.exitCode}): topic ends ${JSON.stringify([...ends].map(([p, o]) => [p, String(o)]))}, table offsets ${JSON.stringify(offsets && [...offsets].map(([p, o]) => [p, String(o)]))}\n${log.slice(-6000)}`,
        );
      }
      await sleep(250);
    }
    await catalog.close?.();
    assert.equal(floe.exitCode, null, 'the same floe process did it: never restarted');
    const b = broker.bootstrap.replace(/\./g, '\\.');
    // the fetch loop sees the outage, unless it was held back the whole time by a commit waiting
    // for its dead letters to be sent: then the dead-letter producer saw it
    assert.match(log, new RegExp(`(fetching from broker ${b}|dead letters: kafka: sending \\d+ records to ${DLQ} on ${b}) failed \\(\\d+.*ECONNREFUSED`), 'floe logged the outage, naming the broker');
    assert.match(log, new RegExp(`fetching again from broker ${b} after \\d+ failures|dead letters: kafka: sent \\d+ records to ${DLQ} on ${b} after \\d+ failures`), 'and that it recovered');
    const health = await fetch(`http://127.0.0.1:${metricsPort}/healthz`);
    assert.equal(health.status, 200, 'floe reports itself healthy after the outages');

    floe.kill('SIGTERM');
    assert.equal(await floeExit, 0, `floe stops cleanly:\n${log.slice(-4000)}`);

    const topic = await dumpTopic(TOPIC, inTopic);
    assert.equal(topic.size, inTopic, 'the console consumer read the whole topic');
    const badInTopic = [...topic].filter(([, v]) => v.startsWith('not json ')).map(([at]) => at);
    const dlqEnd = (await admin.endOffsets(DLQ)).get(0)!;
    const dlq = await dumpTopic(DLQ, Number(dlqEnd), true);
    // floe.original.partition / floe.original.offset of each dead letter (at least once: a
    // dead letter may be there twice, never missing)
    const dead = new Set<string>();
    for (const [, line] of dlq) {
      const p = /floe\.original\.partition:(\d+)/.exec(line)?.[1];
      const o = /floe\.original\.offset:(\d+)/.exec(line)?.[1];
      assert.ok(p !== undefined && o !== undefined, `a dead letter without its origin: ${line.slice(0, 300)}`);
      assert.ok(topic.get(`${p}/${o}`)?.startsWith('not json '), `dead letter ${p}/${o} is a bad record of the topic`);
      dead.add(`${p}/${o}`);
    }
    assert.deepEqual([...dead].sort(), badInTopic.sort(), 'every bad record of the topic is in the dead-letter topic');
    const read = await readWithPyIceberg({
      catalog: { type: 'sql', uri: `sqlite:///${path.join(dir, 'catalog.db')}`, warehouse: pathToFileURL(path.join(dir, 'wh')).href },
      table: 'restart.events',
      sort: false,
    });
    assert.equal(read.rows.length, inTopic - badInTopic.length, 'PyIceberg counts exactly the good records in the topic');
    const seen = new Set<string>();
    for (const r of read.rows) {
      const at = `${r._kafka_partition}/${r._kafka_offset}`;
      assert.equal(r._kafka_topic, TOPIC);
      assert.ok(!seen.has(at), `(partition, offset) ${at} is in the table twice`);
      assert.ok(!dead.has(at), `${at} is in the table and in the dead-letter topic`);
      seen.add(at);
      const raw = topic.get(at);
      assert.ok(raw !== undefined, `${at} is in the table but not in the topic`);
      const v = JSON.parse(raw) as { seq: number; note: string; amount: number };
      assert.deepEqual({ seq: r.seq, note: r.note, amount: r.amount }, { seq: String(v.seq), note: v.note, amount: String(v.amount) }, `the row at ${at} holds the record Kafka has there`);
    }
    const seqs = new Set(read.rows.map((r) => r.seq));
    assert.equal(seqs.size, RECORDS - BAD, 'every good sequence number sent is in the table');
    if (process.env.FLOE_TEST_DUMP_LOG) fs.writeFileSync(process.env.FLOE_TEST_DUMP_LOG, log);
    console.log(
      `broker-restart: ${inTopic} records in the topic (${inTopic - RECORDS} sent twice), ${badInTopic.length} bad ones, ${dlq.size} dead letters; producer failures ${produced.failures}, outages ${JSON.stringify(outages)}`,
    );
  } finally {
    if (floe && floe.exitCode === null) floe.kill('SIGKILL');
    await retrying?.close().catch(() => undefined);
    await admin.close().catch(() => undefined);
  }
});

test('brokers down past kafka.reconnectTimeoutMs: floe stops with an error naming them (exit 1), never hangs', { timeout: 120_000 }, async () => {
  if (!broker.pid()) await broker.start();
  const admin = await KafkaAdmin.connect({ brokers: [broker.bootstrap] });
  const topic = 'bound-events';
  try {
    await admin.createTopic(topic, { partitions: 2 }, true);
  } finally {
    await admin.close();
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-bound-'));
  workDirs.push(dir);
  const file = path.join(dir, 'bound.yaml');
  fs.writeFileSync(
    file,
    `
name: bound
kafka: { brokers: ["${broker.bootstrap}"], groupId: bound-g, sessionTimeoutMs: 10000, reconnectTimeoutMs: 4000 }
format: json
catalog: { type: sql, uri: catalog.db, warehouse: wh }
topics: [${topic}]
table: { name: bound.events }
commit: { intervalMs: 500 }
metricsPort: 0
`,
  );
  const floe = spawn(process.execPath, [path.join(repo, 'bin/floe.ts'), 'run', '-c', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  floe.stdout.on('data', (d) => (log += d));
  floe.stderr.on('data', (d) => (log += d));
  const exited = new Promise<number | null>((resolve) => floe.once('exit', (code) => resolve(code)));
  try {
    await waitFor('floe to be assigned its partitions', () => /assigned/.test(log) || floe.exitCode !== null, 60_000);
    assert.equal(floe.exitCode, null, log);
    await broker.stop('KILL');
    const t0 = Date.now();
    // bounded by the test's own timeout: a floe that hangs fails the test here
    const code = await exited;
    const ms = Date.now() - t0;
    assert.equal(code, 1, log);
    const b = broker.bootstrap.replace(/\./g, '\\.');
    assert.match(
      log,
      new RegExp(`stopped: .*kafka: (fetching|applying the assignment) for group bound-g failed for [\\d.]+ s \\(the bound is reconnectTimeoutMs=4000\\) on broker ${b}: .*ECONNREFUSED`),
      log,
    );
    console.log(`broker-restart: floe stopped ${ms} ms after the broker was killed (reconnectTimeoutMs 4000)`);
  } finally {
    if (floe.exitCode === null) floe.kill('SIGKILL');
  }
});
