// `npm start` end to end, as a user runs it: npm → scripts/start.sh → `floe quickstart` against
// the stack's broker (started by scripts/stack/start.sh, so the wrapper reuses it from the pid
// file and leaves it running), into a temporary warehouse. The table is judged by PyIceberg:
// one row per produced event with the values that were produced, no (partition, offset) twice;
// a second run appends the next events and the counts add up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { quickstartEvents } from '../../src/cli/quickstart.ts';
import { brokers, kafkaClients, uniqueName } from './helpers.ts';
import { readWithPyIceberg } from '../helpers/readers.ts';
import type { Row } from '../helpers/readers.ts';

const repo = path.resolve(import.meta.dirname, '../..');
const kafka = kafkaClients();
const PARTITIONS = 3;

/** Runs `npm start -- <args>` in the repo; resolves with its exit code and output. */
function npmStart(args: string[], timeoutMs = 90_000): Promise<{ code: number | null; out: string }> {
  const port = brokers()[0]!.split(':').pop()!;
  const child = spawn('npm', ['start', '--silent', '--', ...args], {
    cwd: repo,
    env: { ...process.env, FLOE_STACK_KAFKA_PORT: port },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: a timeout stops npm, bash and node together
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      process.kill(-child.pid!, 'SIGKILL');
      reject(new Error(`npm start ${args.join(' ')} did not finish in ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

/** What a demo event must read back as (read_table.py's canonical forms) for the columns we compare exactly. */
function expectedRow(e: Record<string, unknown>, topic: string, partition: number, offset: bigint): Row {
  const ts = new Date(Number((e.ts as bigint) / 1000n)).toISOString().replace('Z', '000+00:00');
  return {
    event_id: e.event_id as string,
    ts,
    user_id: String(e.user_id),
    session_id: e.session_id as string,
    event_type: e.event_type as string,
    page: e.page as string,
    referrer: e.referrer as string | null,
    country: e.country as string,
    device: e.device as string,
    quantity: e.quantity === null ? null : String(e.quantity),
    is_mobile: String(e.is_mobile),
    tags: e.tags as string[],
    properties: e.properties as Record<string, string>,
    _kafka_topic: topic,
    _kafka_partition: String(partition),
    _kafka_offset: String(offset),
  };
}

/**
 * The events of one run keyed by "partition:offset": event i went to partition
 * (records in the topic before the run + i) mod partitions, in order.
 */
function placeEvents(into: Map<string, { e: Record<string, unknown>; row: Row }>, topic: string, count: number, seed: number, before: Map<number, bigint>): void {
  const next = new Map(before);
  let total = 0n;
  for (const o of before.values()) total += o;
  const first = Number(total % BigInt(PARTITIONS));
  let i = 0;
  for (const chunk of quickstartEvents(count, seed)) {
    for (const e of chunk) {
      const p = (first + i++) % PARTITIONS;
      const offset = next.get(p) ?? 0n;
      next.set(p, offset + 1n);
      into.set(`${p}:${offset}`, { e, row: expectedRow(e, topic, p, offset) });
    }
  }
  assert.equal(i, count);
}

function judge(rows: Row[], expected: Map<string, { e: Record<string, unknown>; row: Row }>): void {
  assert.equal(rows.length, expected.size, 'one row per produced event');
  const seen = new Set<string>();
  for (const r of rows) {
    const key = `${r._kafka_partition}:${r._kafka_offset}`;
    assert.ok(!seen.has(key), `(partition, offset) ${key} landed twice`);
    seen.add(key);
    const want = expected.get(key);
    assert.ok(want, `row ${key} was not produced by this test`);
    const got: Row = {};
    for (const k of Object.keys(want.row)) got[k] = r[k];
    assert.deepEqual(got, want.row, `row ${key}`);
    // doubles: compare as numbers (Python's repr and JSON text differ in form, e.g. "5.0" / 5)
    assert.equal(r.price === null ? null : Number(r.price), want.e.price === null ? null : Number(want.e.price), `row ${key}: price`);
    assert.equal(Number(r.duration_ms), want.e.duration_ms, `row ${key}: duration_ms`);
  }
}

test('npm start: demo events → stack Kafka → floe → local table, exactly once; a second run appends the next events', async () => {
  const topic = uniqueName('quickstart');
  const group = `${topic}-g`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-quickstart-'));
  const reader = {
    catalog: { type: 'sql' as const, uri: `sqlite:///${path.join(dir, 'catalog.db')}`, warehouse: pathToFileURL(dir).href },
    table: 'demo.events',
  };
  const args = (count: number, seed: number) => [
    '--warehouse',
    dir,
    '--topic',
    topic,
    '--group',
    group,
    '--partitions',
    String(PARTITIONS),
    '--count',
    String(count),
    '--seed',
    String(seed),
    '--timeout',
    '60',
  ];
  const expected = new Map<string, { e: Record<string, unknown>; row: Row }>();

  // run 1: a new topic and a new table
  const run1 = await npmStart(args(12001, 11));
  assert.equal(run1.code, 0, run1.out);
  assert.match(run1.out, /using the Kafka broker scripts\/stack started/, 'the running stack broker is reused');
  assert.match(run1.out, /connector stopped/);
  assert.match(run1.out, /table demo\.events .*\n\s+rows: 12001 /);
  placeEvents(expected, topic, 12001, 11, new Map());
  const first = await readWithPyIceberg(reader);
  judge(first.rows, expected);
  const days = new Map<string, number>();
  for (const { e } of expected.values()) {
    const d = new Date(Number((e.ts as bigint) / 1000n)).toISOString().slice(0, 10);
    days.set(d, (days.get(d) ?? 0) + 1);
  }
  assert.deepEqual(new Map((first.partitions ?? []).map((p) => [p.partition.ts_day as string, p.record_count])), days, 'partitioned by day(ts): rows per day as produced');
  const offsets1 = await kafka.admin.endOffsets(topic);
  assert.deepEqual([...offsets1.values()], [4001n, 4000n, 4000n]);

  // run 2: the same table and topic; the next events, from where the table's offsets say
  const run2 = await npmStart(args(6500, 12));
  assert.equal(run2.code, 0, run2.out);
  placeEvents(expected, topic, 6500, 12, offsets1);
  const second = await readWithPyIceberg(reader);
  judge(second.rows, expected);
  assert.equal(second.rows.length, 12001 + 6500);
  const end = await kafka.admin.endOffsets(topic);
  const summary = second.snapshots.find((s) => s.snapshot_id === second.current_snapshot_id)!.summary;
  assert.deepEqual(JSON.parse(summary['floe.kafka-offsets.demo']), { [topic]: Object.fromEntries([...end].map(([p, o]) => [String(p), Number(o)])) });
  assert.ok(second.snapshots.length > first.snapshots.length, 'the second run committed new snapshots');
  let dead = 0n;
  for (const o of (await kafka.admin.endOffsets(`${topic}.dlq`)).values()) dead += o;
  assert.equal(dead, 0n, 'no dead letters');

  // the broker the wrapper found running is still running
  assert.deepEqual(await kafka.admin.endOffsets(topic), end);
  fs.rmSync(dir, { recursive: true, force: true });
});
