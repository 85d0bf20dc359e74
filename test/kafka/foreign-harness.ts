// Shared by the tests where other engines write to floe's tables (foreign-writers*.test.ts):
// `floe run` as a process that can be SIGKILLed and restarted, JSON records produced to a topic,
// a wait until a connector's table offsets cover the topic, and the judge: PyIceberg reads the
// table and every (partition, offset) produced must be in it exactly once.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Catalog } from '../../src/catalog/catalog.ts';
import { parseTableName } from '../../src/catalog/catalog.ts';
import { RestCatalog } from '../../src/catalog/rest-catalog.ts';
import { SqlCatalog } from '../../src/catalog/sql-catalog.ts';
import { tableOffsets } from '../../src/commit/committed-offsets.ts';
import { readWithPyIceberg } from '../helpers/readers.ts';
import type { ReaderCatalog } from '../helpers/readers.ts';
import { stackEnv, stackS3 } from '../helpers/stack.ts';
import { runPythonHelper } from '../helpers/table-fixtures.ts';
import type { ProbeOp } from '../helpers/table-fixtures.ts';
import { brokers, kafkaClients, sleep, uniqueName, waitFor } from './helpers.ts';

const repo = path.resolve(import.meta.dirname, '../..');

export interface Scenario {
  dir: string;
  /** the first connector's topic */
  topic: string;
  /** connector name → the topic it reads (one topic per connector) */
  topics: Map<string, string>;
  partitions: number;
  /** 'namespace.table' */
  table: string;
  catalog: Catalog;
  reader: ReaderCatalog;
  kind: 'sql' | 'rest';
  /** connector name → its connector file */
  files: Map<string, string>;
  kafka: ReturnType<typeof kafkaClients>;
  /** topic → records produced to it so far (the n of the next one) */
  produced: Map<string, number>;
}

/** `kafka`: the test file's kafkaClients() (made at module level: it registers before/after hooks). */
export async function newScenario(
  kafka: ReturnType<typeof kafkaClients>,
  prefix: string,
  o: { kind?: 'sql' | 'rest'; partitions?: number; connectors?: string[]; startFrom?: string } = {},
): Promise<Scenario> {
  const kind = o.kind ?? 'sql';
  const partitions = o.partitions ?? 4;
  const topic = uniqueName(prefix);
  const topics = new Map<string, string>();
  for (const [i, name] of (o.connectors ?? ['fw']).entries()) {
    topics.set(name, i === 0 ? topic : `${topic}-${name}`);
    await kafka.admin.createTopic(topics.get(name)!, { partitions });
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  const ns = `fw_${topic.replace(/[^a-z0-9]/gi, '_').toLowerCase()}`;
  const table = `${ns}.events`;
  let catalog: Catalog;
  let reader: ReaderCatalog;
  let catalogYaml: string;
  if (kind === 'sql') {
    const db = path.join(dir, 'catalog.db');
    const warehouse = pathToFileURL(path.join(dir, 'wh')).href;
    catalog = new SqlCatalog({ uri: db, warehouse });
    reader = { type: 'sql', uri: `sqlite:///${db}`, warehouse, name: 'default' };
    catalogYaml = `{ type: sql, uri: catalog.db, warehouse: wh }`;
  } else {
    const env = stackEnv();
    const s3 = stackS3(env);
    const props = { 's3.endpoint': s3.endpoint, 's3.access-key-id': s3.accessKey, 's3.secret-access-key': s3.secretKey, 's3.region': s3.region, 's3.path-style-access': 'true' };
    catalog = new RestCatalog({ uri: env.restUri, properties: props });
    reader = { type: 'rest', uri: env.restUri };
    catalogYaml = `{ type: rest, uri: ${env.restUri}, properties: ${JSON.stringify(props)} }`;
  }
  const files = new Map<string, string>();
  for (const name of o.connectors ?? ['fw']) {
    const file = path.join(dir, `${name}.yaml`);
    fs.writeFileSync(
      file,
      `
name: ${name}
kafka: { brokers: ${JSON.stringify(brokers())}, groupId: ${topics.get(name)}-g, sessionTimeoutMs: 6000, startFrom: ${o.startFrom ?? 'earliest'} }
format: json
catalog: ${catalogYaml}
topics: [${topics.get(name)}]
table: { name: ${table}, kafkaMetadataColumns: true }
commit: { intervalMs: 500 }
metricsPort: 0
`,
    );
    files.set(name, file);
  }
  return { dir, topic, topics, partitions, table, catalog, reader, kind, files, kafka, produced: new Map([...topics.values()].map((t) => [t, 0])) };
}

/** `floe run` for one connector of the scenario, as a child process. */
export class FloeProcess {
  readonly name: string;
  private child: ChildProcess | undefined;
  log = '';
  private readonly s: Scenario;
  private readonly logFile: string;

  constructor(s: Scenario, name = 'fw') {
    this.s = s;
    this.name = name;
    this.logFile = path.join(s.dir, `${name}.log`);
  }

  start(): this {
    const child = spawn(process.execPath, [path.join(repo, 'bin/floe.ts'), 'run', '-c', this.s.files.get(this.name)!], { stdio: ['ignore', 'pipe', 'pipe'] });
    fs.appendFileSync(this.logFile, `=== start pid ${child.pid} at ${new Date().toISOString()}\n`);
    const keep = (d: Buffer) => {
      this.log += d;
      fs.appendFileSync(this.logFile, d);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.child = child;
    return this;
  }

  async kill(): Promise<void> {
    await this.end('SIGKILL');
  }

  /** SIGTERM: flush, commit, leave the group; must exit 0. */
  async stop(): Promise<void> {
    const code = await this.end('SIGTERM');
    assert.equal(code, 0, `floe ${this.name} exit code on SIGTERM\n${this.log.slice(-3000)}`);
  }

  private async end(signal: NodeJS.Signals): Promise<number | null> {
    const c = this.child;
    if (!c) return null;
    this.child = undefined;
    if (c.exitCode !== null) return c.exitCode;
    fs.appendFileSync(this.logFile, `=== ${signal} at ${new Date().toISOString()}\n`);
    const exited = new Promise<number | null>((r) => c.once('exit', (code) => r(code)));
    c.kill(signal);
    return exited;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null;
  }
}

/** Produces `count` JSON records {n, src: "kafka"} round robin over the partitions of the connector's topic (or to `partition` only). */
export async function produce(s: Scenario, count: number, o: { partition?: number; connector?: string } = {}): Promise<void> {
  const topic = s.topics.get(o.connector ?? 'fw') ?? s.topic;
  const first = s.produced.get(topic)!;
  const msgs = Array.from({ length: count }, (_, i) => {
    const n = first + i;
    return { topic, partition: o.partition ?? n % s.partitions, value: JSON.stringify({ n, src: 'kafka' }) };
  });
  s.produced.set(topic, first + count);
  for (let i = 0; i < msgs.length; i += 500) await s.kafka.producer.send(msgs.slice(i, i + 500));
}

/** Waits until the connector's offsets in the table reach the topic's end offsets. */
export async function waitCovered(s: Scenario, procs: FloeProcess[] = [], connector = 'fw', timeoutMs = 90_000): Promise<void> {
  const topic = s.topics.get(connector)!;
  const ends = await s.kafka.admin.endOffsets(topic);
  const deadline = Date.now() + timeoutMs;
  let last: string;
  for (;;) {
    try {
      const m = tableOffsets((await s.catalog.loadTable(parseTableName(s.table))).metadata, connector).get(topic);
      last = JSON.stringify(m && [...m].map(([p, o]) => [p, String(o)]));
      if (m && [...ends].every(([p, end]) => (end === 0n ? true : m.get(p) === end))) return;
    } catch (err) {
      last = (err as Error).message;
    }
    for (const p of procs) if (!p.running) throw new Error(`floe ${p.name} exited while waiting\n${p.log.slice(-3000)}`);
    if (Date.now() > deadline) {
      throw new Error(
        `connector ${connector} did not cover ${topic} (ends ${JSON.stringify([...ends].map(([p, o]) => [p, String(o)]))}): table offsets ${last}\n${procs.map((p) => p.log.slice(-3000)).join('\n---\n')}`,
      );
    }
    await sleep(300);
  }
}

/** The Kafka rows of `topic` the table holds, as "partition:offset" strings (with repeats, if any). */
export async function kafkaRows(s: Scenario, topic = s.topic): Promise<string[]> {
  const r = await readWithPyIceberg({
    catalog: s.reader,
    s3: s.kind === 'rest' ? stackS3() : undefined,
    table: s.table,
    columns: ['_kafka_topic', '_kafka_partition', '_kafka_offset'],
    rowFilter: `_kafka_topic == '${topic}'`,
    sort: false,
    timeoutMs: 120_000,
  });
  return r.rows.map((row) => `${row._kafka_partition}:${row._kafka_offset}`);
}

/**
 * The judge: every record produced so far is in the table exactly once, except `gone` (rows a
 * foreign delete removed), which must not be there at all.
 */
export async function assertExactlyOnce(s: Scenario, gone: Set<string> = new Set(), connector = 'fw'): Promise<void> {
  const topic = s.topics.get(connector)!;
  const rows = await kafkaRows(s, topic);
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r, (counts.get(r) ?? 0) + 1);
  const twice = [...counts].filter(([, c]) => c > 1).map(([k, c]) => `${k}×${c}`);
  const ends = await s.kafka.admin.endOffsets(topic);
  const missing: string[] = [];
  for (const [p, end] of ends) for (let o = 0n; o < end; o++) if (!counts.has(`${p}:${o}`) && !gone.has(`${p}:${o}`)) missing.push(`${p}:${o}`);
  const resurrected = [...gone].filter((k) => counts.has(k));
  assert.deepEqual(
    { duplicates: twice.length, missing: missing.length, resurrected: resurrected.length },
    { duplicates: 0, missing: 0, resurrected: 0 },
    `duplicates ${twice.slice(0, 10).join(' ')}; missing ${missing.slice(0, 10).join(' ')}; deleted rows back ${resurrected.slice(0, 10).join(' ')} (${s.dir})`,
  );
  assert.equal(rows.length, s.produced.get(topic)! - gone.size);
}

/** PyIceberg operations on the scenario's table (test/helpers/table_probe.py). */
export async function pyiceberg(s: Scenario, ops: ProbeOp[]): Promise<any[]> {
  const s3 = stackS3();
  const catalog = s.kind === 'rest' ? { ...s.reader, s3: { endpoint: s3.endpoint, accessKeyId: s3.accessKey, secretAccessKey: s3.secretKey, region: s3.region } } : s.reader;
  const out = await runPythonHelper<{ results: any[] }>('table_probe.py', { catalog, table: s.table, ops });
  return out.results;
}

/** Waits until a log line matching `re` appears. */
export async function waitForLog(p: FloeProcess, re: RegExp, timeoutMs = 60_000): Promise<void> {
  await waitFor(`floe ${p.name} to log ${re}`, () => re.test(p.log), timeoutMs);
}
