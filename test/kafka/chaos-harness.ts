// The chaos run shared by test/kafka/chaos*.test.ts: 3 `floe run` workers (separate processes
// (`processes`), each with `workersPerProcess` group members on worker threads when given; one
// connector, embedded SQL catalog in a fresh folder) read one topic while the test
// produces into it; a random worker is killed with SIGKILL at a random moment and restarted,
// again and again. Then it waits until the table's offsets map reaches the topic's end offsets
// and hands back how to read the table (test/helpers/readers.ts); the caller judges the rows.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SqlCatalog } from '../../src/catalog/sql-catalog.ts';
import { parseTableName } from '../../src/catalog/catalog.ts';
import { tableOffsets } from '../../src/commit/committed-offsets.ts';
import { brokers, kafkaClients, sleep, uniqueName } from './helpers.ts';
import type { ReadOptions } from '../helpers/readers.ts';

const repo = path.resolve(import.meta.dirname, '../..');

/** The connector's name: its offsets map in the table is floe.kafka-offsets.chaos. */
export const CHAOS_CONNECTOR = 'chaos';

export interface ChaosOptions {
  /** The test file's clients (kafkaClients(), created at its top level). */
  kafka: ReturnType<typeof kafkaClients>;
  /** Topic and folder name prefix. */
  prefix: string;
  partitions: number;
  kills: number;
  /** 'namespace.table' the connector writes. */
  table: string;
  /**
   * The connector file's lines besides name, kafka, catalog, topics and metricsPort (format,
   * schemaRegistry, table, commit, ...), given the topic.
   */
  connectorYaml: (topic: string) => string;
  /** Produces every record into the topic (runs while the workers run and get killed). */
  produce: (topic: string) => Promise<void>;
  /** `floe run` processes (default 3). */
  processes?: number;
  /** The connector file's `workers`: group members per process, on worker threads (default: the key is left out, 1). */
  workersPerProcess?: number;
  /**
   * Kill a process only once its current launch has logged `running:` (every member joined the
   * group), then after a random 0.3-2.5 s: each kill lands while members read and commit, not
   * during a start (default false: any moment).
   */
  killRunning?: boolean;
  /** Bound on the wait for the workers to commit the topic's end offsets after the last kill. */
  catchUpMs?: number;
}

export interface ChaosResult {
  topic: string;
  /** The run's folder (connector file, catalog.db, warehouse wh/). */
  dir: string;
  kills: number;
  /** Seconds from the first launch until the table reached the end offsets. */
  seconds: number;
  /** The table for readWithPyIceberg / readWithDuckDB (rows unsorted). */
  reader: ReadOptions;
}

export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  const kafka = o.kafka;
  const topic = uniqueName(o.prefix);
  await kafka.admin.createTopic(topic, { partitions: o.partitions });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${o.prefix}-`));
  const file = path.join(dir, 'chaos.yaml');
  fs.writeFileSync(
    file,
    `
name: ${CHAOS_CONNECTOR}
kafka: { brokers: ${JSON.stringify(brokers())}, groupId: ${topic}-g, sessionTimeoutMs: 6000 }
catalog: { type: sql, uri: catalog.db, warehouse: wh }
topics: [${topic}]
metricsPort: 0
${o.workersPerProcess === undefined ? '' : `workers: ${o.workersPerProcess}`}
${o.connectorYaml(topic)}
`,
  );
  const processes = o.processes ?? 3;
  const workers: (ChildProcess | undefined)[] = Array.from({ length: processes }, () => undefined);
  const logs: string[] = Array.from({ length: processes }, () => '');
  const running: boolean[] = Array.from({ length: processes }, () => false);
  const launch = (i: number) => {
    const child = spawn(process.execPath, [path.join(repo, 'bin/floe.ts'), 'run', '-c', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    // every run of worker i is appended to worker-<i>.log in the run's folder (kept when a check fails)
    const log = path.join(dir, `worker-${i}.log`);
    fs.appendFileSync(log, `=== launch pid ${child.pid} at ${new Date().toISOString()}\n`);
    running[i] = false;
    let launchLog = '';
    const keep = (d: Buffer) => {
      logs[i] = (logs[i] + d).slice(-4000);
      launchLog = (launchLog + d).slice(-4000);
      if (/running: /.test(launchLog)) running[i] = true;
      fs.appendFileSync(log, d);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    workers[i] = child;
  };
  const started = Date.now();
  const producing = o.produce(topic);
  producing.catch(() => {}); // awaited below; a failure must not go unhandled while we kill
  let kills = 0;
  let seconds: number;
  try {
    for (let i = 0; i < processes; i++) launch(i);
    // kill a random worker at a random moment, restart it, again and again
    while (kills < o.kills) {
      const i = Math.floor(Math.random() * processes);
      if (o.killRunning) {
        const until = Date.now() + 90_000;
        while (!running[i]) {
          if (Date.now() > until) throw new Error(`worker ${i} did not start within 90 s (${dir}):\n${logs[i]}`);
          await sleep(100);
        }
        await sleep(300 + Math.floor(Math.random() * 2200));
      } else {
        await sleep(800 + Math.floor(Math.random() * 2200));
      }
      workers[i]!.kill('SIGKILL');
      fs.appendFileSync(path.join(dir, `worker-${i}.log`), `=== SIGKILL at ${new Date().toISOString()}\n`);
      await new Promise((r) => workers[i]!.once('exit', r));
      kills++;
      launch(i);
    }
    await producing;
    const ends = await kafka.admin.endOffsets(topic);
    const catalog = new SqlCatalog({ uri: path.join(dir, 'catalog.db'), warehouse: pathToFileURL(path.join(dir, 'wh')).href });
    const deadline = Date.now() + (o.catchUpMs ?? 240_000);
    for (;;) {
      let m: Map<number, bigint> | undefined;
      try {
        m = tableOffsets((await catalog.loadTable(parseTableName(o.table))).metadata, CHAOS_CONNECTOR).get(topic);
      } catch {
        // not created yet
      }
      if (m && [...ends].every(([p, end]) => m.get(p) === end)) break;
      if (Date.now() > deadline) throw new Error(`the workers did not catch up (${dir}): table offsets ${JSON.stringify(m && [...m].map(([p, off]) => [p, String(off)]))}\n${logs.join('\n---\n')}`);
      await sleep(500);
    }
    seconds = (Date.now() - started) / 1000;
  } finally {
    for (const w of workers) if (w && w.exitCode === null) w.kill('SIGTERM');
    await Promise.all(workers.map((w) => (w && w.exitCode === null ? new Promise((r) => w.once('exit', r)) : undefined)));
  }
  const reader: ReadOptions = {
    catalog: { type: 'sql', uri: `sqlite:///${path.join(dir, 'catalog.db')}`, warehouse: pathToFileURL(path.join(dir, 'wh')).href },
    table: o.table,
    sort: false,
    timeoutMs: 180_000,
  };
  return { topic, dir, kills, seconds, reader };
}
