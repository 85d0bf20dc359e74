// `floe run` with `workers: 2` as a process: two consumer-group members on worker threads
// split a 4-partition topic, /metrics on the one port sums both members' counts, /healthz and
// /readyz report both, and SIGTERM stops both with everything committed (exit 0). PyIceberg
// then reads every (partition, offset) exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SqlCatalog } from '../../src/catalog/sql-catalog.ts';
import { parseTableName } from '../../src/catalog/catalog.ts';
import { tableOffsets } from '../../src/commit/committed-offsets.ts';
import { brokers, kafkaClients, sleep, uniqueName, waitFor } from './helpers.ts';
import { readWithPyIceberg } from '../helpers/readers.ts';
import { encoderOnThread } from '../../src/cli/worker-count.ts';
import { ENCODER_THREAD_NAME } from '../../src/parquet/encoder-pool.ts';

const repo = path.resolve(import.meta.dirname, '../..');
const kafka = kafkaClients();
const PARTITIONS = 4;
const RECORDS = 2000;

/** A TCP port nobody listens on right now (for the metrics server). */
async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** The sum of a metric's samples (every label set) in Prometheus text. */
function metricSum(text: string, name: string): number {
  return [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'gm'))].reduce((a, m) => a + Number(m[1]), 0);
}

test('workers: 2 — two group members in one process, metrics summed on one port, SIGTERM commits everything, every offset once', { timeout: 240_000 }, async () => {
  const topic = uniqueName('floe-workers');
  await kafka.admin.createTopic(topic, { partitions: PARTITIONS });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-workers-'));
  const file = path.join(dir, 'c.yaml');
  const port = await freePort();
  const groupId = `${topic}-g`;
  // a commit interval far longer than the test: only the SIGTERM flush commits the rows
  fs.writeFileSync(
    file,
    `
name: workers-test
kafka: { brokers: ${JSON.stringify(brokers())}, groupId: ${groupId}, clientId: wt, sessionTimeoutMs: 10000 }
format: json
catalog: { type: sql, uri: catalog.db, warehouse: wh }
topics: [${topic}]
table: { name: t.events, kafkaMetadataColumns: true }
commit: { intervalMs: 600000, maxRows: 1000000 }
metricsPort: ${port}
workers: 2
`,
  );
  const child = spawn(process.execPath, [path.join(repo, 'bin/floe.ts'), 'run', '-c', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const get = async (p: string) => {
    const r = await fetch(`http://127.0.0.1:${port}${p}`, { signal: AbortSignal.timeout(10_000) });
    return { status: r.status, text: await r.text() };
  };
  try {
    await waitFor('both workers to run', () => /running: 2 workers/.test(out), 90_000);
    // both members are in the group, told apart by their client ids, and each was assigned partitions
    const deadline = Date.now() + 60_000;
    let group = await kafka.admin.describeGroup(groupId);
    while (!(group.state === 'Stable' && group.members.length === 2 && /assigned .* worker=0/.test(out) && /assigned .* worker=1/.test(out))) {
      assert.ok(Date.now() < deadline, `the group did not settle with 2 members: ${JSON.stringify(group)}\n${out}`);
      await sleep(250);
      group = await kafka.admin.describeGroup(groupId);
    }
    assert.deepEqual(group.members.map((m) => m.clientId).sort(), ['wt-0', 'wt-1']);
    // neither member joined before both were ready (they join together)
    const together = out.indexOf('2 members ready: joining the group together');
    assert.ok(together >= 0 && together < out.search(/assigned /), `the members joined together:\n${out}`);
    // each member encodes Parquet on a thread of its own only when the process has a core beyond
    // its two members (worker-count.ts); the child has this process's CPUs and quota
    const tasks = `/proc/${child.pid}/task`;
    if (fs.existsSync(tasks)) {
      const encoders = fs.readdirSync(tasks).filter((t) => fs.readFileSync(`${tasks}/${t}/comm`, 'utf8').trim() === ENCODER_THREAD_NAME).length;
      assert.equal(encoders, encoderOnThread(2) ? 2 : 0, `encoder threads with ${os.availableParallelism()} CPUs`);
    }

    await kafka.producer.send(Array.from({ length: RECORDS }, (_, i) => ({ topic, partition: i % PARTITIONS, value: JSON.stringify({ i }) })));
    // each member owns part of the partitions, so only the sum of both reaches every record
    let consumed = 0;
    await waitFor(
      'both members to have read every record (per /metrics)',
      () => {
        void get('/metrics').then(
          (r) => (consumed = metricSum(r.text, 'floe_records_consumed_total')),
          () => undefined,
        );
        return consumed >= RECORDS;
      },
      60_000,
    );
    const metrics = await get('/metrics');
    assert.equal(metrics.status, 200);
    assert.equal(metricSum(metrics.text, 'floe_records_consumed_total'), RECORDS, 'records consumed, summed over both members');
    assert.equal(metricSum(metrics.text, 'floe_consumer_lag_records'), 0, 'lag of all 4 partitions, from both members');
    assert.match(metrics.text, /^process_cpu_seconds_total /m, 'the process metrics once, from the main thread');
    assert.equal(metrics.text.match(/^# TYPE floe_records_consumed_total /gm)?.length, 1, 'one metric family, not one per thread');
    for (const p of ['/healthz', '/readyz']) {
      const r = await get(p);
      assert.equal(r.status, 200, `${p}: ${r.text}`);
      assert.deepEqual(
        (JSON.parse(r.text) as { details: { workers: { worker: number; ok: boolean }[] } }).details.workers.map((w) => [w.worker, w.ok]),
        [
          [0, true],
          [1, true],
        ],
      );
    }
    const catalog = new SqlCatalog({ uri: path.join(dir, 'catalog.db'), warehouse: pathToFileURL(path.join(dir, 'wh')).href });
    assert.equal((await catalog.loadTable(parseTableName('t.events'))).metadata.snapshots?.length ?? 0, 0, 'nothing committed before SIGTERM');

    const t0 = Date.now();
    child.kill('SIGTERM');
    const code = await exited;
    assert.equal(code, 0, out);
    assert.ok(Date.now() - t0 < 30_000, 'stopped within its bound');
    assert.match(out, /SIGTERM: flushing, committing and leaving the group/);
    const table = await catalog.loadTable(parseTableName('t.events'));
    const offsets = tableOffsets(table.metadata, 'workers-test').get(topic)!;
    assert.deepEqual(
      Array.from({ length: PARTITIONS }, (_, p) => offsets.get(p)),
      Array.from({ length: PARTITIONS }, () => BigInt(RECORDS / PARTITIONS)),
      'every partition committed to its end',
    );
    await catalog.close?.();
    const read = await readWithPyIceberg({
      catalog: { type: 'sql', uri: `sqlite:///${path.join(dir, 'catalog.db')}`, warehouse: pathToFileURL(path.join(dir, 'wh')).href },
      table: 't.events',
      columns: ['_kafka_partition', '_kafka_offset', 'i'],
      sort: false,
    });
    assert.equal(read.rows.length, RECORDS);
    assert.equal(new Set(read.rows.map((r) => `${r._kafka_partition}/${r._kafka_offset}`)).size, RECORDS, 'no (partition, offset) twice');
    assert.equal(new Set(read.rows.map((r) => r.i)).size, RECORDS, 'every record there');
    assert.equal((await kafka.admin.describeGroup(groupId)).members.length, 0, 'both members left the group');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

/** Starts `floe run` on a connector file with `workers: 2`; its output so far and its exit code. */
function runTwo(name: string, topic: string, extra: string, metricsPort = 0) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-workers-'));
  const file = path.join(dir, 'c.yaml');
  fs.writeFileSync(
    file,
    `
name: ${name}
kafka: { brokers: ${JSON.stringify(brokers())}, groupId: ${topic}-g, sessionTimeoutMs: 10000 }
format: json
catalog: { type: sql, uri: catalog.db, warehouse: wh }
topics: [${topic}]
table: { name: t.events }
metricsPort: ${metricsPort}
workers: 2
${extra}
`,
  );
  const child = spawn(process.execPath, [path.join(repo, 'bin/floe.ts'), 'run', '-c', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  const state = { dir, out: '', child, exited: new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code))) };
  child.stdout.on('data', (d) => (state.out += d));
  child.stderr.on('data', (d) => (state.out += d));
  return state;
}

test('workers: 2 — SIGTERM while the members are still starting: they start, stop cleanly, exit 0', { timeout: 120_000 }, async () => {
  const topic = uniqueName('floe-workers-early');
  await kafka.admin.createTopic(topic, { partitions: 2 });
  const run = runTwo('workers-early', topic, '');
  try {
    await waitFor('the process to start its workers', () => /starting 2 workers/.test(run.out), 60_000);
    assert.doesNotMatch(run.out, /running:/, 'still starting');
    run.child.kill('SIGTERM');
    assert.equal(await run.exited, 0, run.out);
    assert.match(run.out, /SIGTERM: flushing, committing and leaving the group/);
    assert.equal((await kafka.admin.describeGroup(`${topic}-g`)).members.length, 0, 'no member left behind in the group');
  } finally {
    if (run.child.exitCode === null) run.child.kill('SIGKILL');
  }
});

test('workers: 2 — a member that fails stops the process with exit code 1, naming the worker and the reason', { timeout: 120_000 }, async () => {
  const topic = uniqueName('floe-workers-fail');
  await kafka.admin.createTopic(topic, { partitions: 2 });
  // the start-up checks refuse a dead-letter topic that does not exist: each member's start fails
  const run = runTwo('workers-fail', topic, `errors: { tolerance: all, deadLetterTopic: ${topic}-missing-dlq }`);
  try {
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([run.exited, new Promise((resolve) => (timer = setTimeout(() => resolve('timeout'), 90_000)))]);
    clearTimeout(timer);
    assert.equal(code, 1, run.out);
    assert.match(run.out, /stopped: worker [01]: .*deadLetterTopic/);
    assert.doesNotMatch(run.out, /running:/);
  } finally {
    if (run.child.exitCode === null) run.child.kill('SIGKILL');
  }
});

test('workers: 2 — one member stops on a bad record: the other is stopped gracefully (its records committed), exit code 1', { timeout: 180_000 }, async () => {
  const topic = uniqueName('floe-workers-bad');
  await kafka.admin.createTopic(topic, { partitions: 2 });
  const port = await freePort();
  // tolerance none: a record that is not JSON stops the member that reads it; only a stop commits (long interval)
  const run = runTwo('workers-bad', topic, 'errors: { tolerance: none }\ncommit: { intervalMs: 600000 }', port);
  try {
    await waitFor('both members to be assigned a partition', () => /assigned .* worker=0/.test(run.out) && /assigned .* worker=1/.test(run.out), 90_000);
    await kafka.producer.send(Array.from({ length: 200 }, (_, i) => ({ topic, partition: i % 2, value: JSON.stringify({ i }) })));
    let consumed = 0;
    await waitFor(
      'both members to have read the good records',
      () => {
        void fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) })
          .then((r) => r.text())
          .then(
            (t) => (consumed = metricSum(t, 'floe_records_consumed_total')),
            () => undefined,
          );
        return consumed >= 200;
      },
      60_000,
    );
    await kafka.producer.send([{ topic, partition: 1, value: 'not json' }]);
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([run.exited, new Promise((resolve) => (timer = setTimeout(() => resolve('timeout'), 90_000)))]);
    clearTimeout(timer);
    assert.equal(code, 1, run.out);
    assert.match(run.out, /stopped: worker [01]: .*errors\.tolerance is none.*; stopping the other workers/);
    const catalog = new SqlCatalog({ uri: path.join(run.dir, 'catalog.db'), warehouse: pathToFileURL(path.join(run.dir, 'wh')).href });
    const offsets = tableOffsets((await catalog.loadTable(parseTableName('t.events'))).metadata, 'workers-bad').get(topic)!;
    await catalog.close?.();
    assert.equal(offsets.get(0), 100n, 'the healthy member flushed and committed its partition when it was stopped');
    assert.ok((offsets.get(1) ?? 0n) <= 100n, 'nothing at or past the bad record is committed');
    assert.equal((await kafka.admin.describeGroup(`${topic}-g`)).members.length, 0, 'both members left the group');
  } finally {
    if (run.child.exitCode === null) run.child.kill('SIGKILL');
  }
});
