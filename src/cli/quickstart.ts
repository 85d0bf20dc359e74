// `floe quickstart` (what `npm start` runs, through scripts/start.sh): the real job on embedded
// defaults. Produces demo events as plain JSON to a local Kafka topic, runs the connector of
// connectors/demo.yaml in this process until the table's offsets map covers every record in the
// topic, stops it gracefully and prints what landed. Run again, it appends the next batch: the
// table's offsets say where to go on (exactly once).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseTableName } from '../catalog/catalog.ts';
import { NoSuchTableError } from '../catalog/catalog.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { formatOffsets } from '../commit/offsets-map.ts';
import { tableOffsets } from '../commit/committed-offsets.ts';
import type { ConnectorConfig } from '../config/connector-config.ts';
import { loadConnectorConfig } from '../config/connector-config.ts';
import { currentSnapshot } from '../iceberg/metadata-updates.ts';
import { KafkaAdmin } from '../kafka/admin.ts';
import { KafkaProducer } from '../kafka/producer.ts';
import { inspectTable } from '../table/inspect.ts';
import { demoEvents } from './demo-events.ts';
import { embeddedCatalog, DEFAULT_WAREHOUSE_DIR } from './embedded.ts';
import { printReport } from './inspect.ts';
import { startConnector } from './run.ts';
import { FloeError } from '../errors.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEMO_CONNECTOR_FILE = path.join(REPO, 'connectors', 'demo.yaml');

export interface QuickstartOptions {
  /** default: the connector file's kafka.brokers */
  brokers?: string[];
  /** default: the connector file's topic (demo-events) */
  topic?: string;
  /** default: the connector file's kafka.groupId */
  group?: string;
  /** events to produce (default 100,000) */
  count?: number;
  /** partitions of the topic when it is created (default 4; an existing topic keeps its own) */
  partitions?: number;
  /** local warehouse folder with the SQLite catalog (default ./warehouse) */
  warehouse?: string;
  /** seed of the event generator (default: the topic's record count + 1, so each run differs) */
  seed?: number;
  /** how long the connector may take to land everything (default 300 s) */
  timeoutMs?: number;
  config?: string;
  out?: (line: string) => void;
  /** resolves when the user asks to stop (SIGINT/SIGTERM); default: those signals */
  interrupted?: Promise<string>;
}

export const PRODUCE_CHUNK = 5000;

/**
 * The events of one run, produced in this order: chunk k is demoEvents(up to 5000, seed + k), so
 * any count is produced in bounded memory and the default seeds of successive runs never repeat.
 */
export function* quickstartEvents(count: number, seed: number): Generator<Record<string, unknown>[]> {
  for (let k = 0; k * PRODUCE_CHUNK < count; k++) yield demoEvents(Math.min(PRODUCE_CHUNK, count - k * PRODUCE_CHUNK), seed + k);
}

/** A demo event as a JSON producer would send it: timestamps as RFC 3339, numbers as numbers. */
export function demoEventJson(e: Record<string, unknown>): Record<string, unknown> {
  return {
    ...e,
    ts: new Date(Number((e.ts as bigint) / 1000n)).toISOString(),
    user_id: Number(e.user_id as bigint),
    price: e.price === null ? null : Number(e.price as string),
  };
}

/** The table's row count and the next offsets it holds for `topic` (connector `connector`). */
interface Coverage {
  rows: bigint;
  covered: Map<number, bigint>;
}

async function coverage(catalog: Catalog, table: string, connector: string, topic: string): Promise<Coverage> {
  try {
    const t = await catalog.loadTable(parseTableName(table));
    const total = currentSnapshot(t.metadata)?.summary['total-records'];
    return { rows: BigInt(total ?? 0), covered: tableOffsets(t.metadata, connector).get(topic) ?? new Map() };
  } catch (err) {
    if (err instanceof NoSuchTableError) return { rows: 0n, covered: new Map() };
    throw err;
  }
}

function sum(m: Map<number, bigint>): bigint {
  let s = 0n;
  for (const v of m.values()) s += v;
  return s;
}

const fmt = (n: number | bigint) => n.toLocaleString('en-US');

export class QuickstartError extends FloeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('fatal', message, options);
  }
}

export async function quickstart(o: QuickstartOptions = {}): Promise<number> {
  const own = o.interrupted ? undefined : signals();
  try {
    return await runJob(o, o.interrupted ?? own!.promise);
  } finally {
    own?.dispose();
  }
}

async function runJob(o: QuickstartOptions, interrupted: Promise<string>): Promise<number> {
  const out = o.out ?? ((l: string) => console.log(l));
  let signal: string | undefined;
  void interrupted.then((s) => (signal = s));
  const cfg = loadConnectorConfig(o.config ?? DEMO_CONNECTOR_FILE);
  const { dir, catalogFile, warehouse } = embeddedCatalog(o.warehouse ?? DEFAULT_WAREHOUSE_DIR);
  const topic = o.topic ?? cfg.topics?.[0];
  if (!topic) throw new QuickstartError(`${cfg.source}: needs one topic in topics`);
  const connector: ConnectorConfig = {
    ...cfg,
    kafka: { ...cfg.kafka, brokers: o.brokers ?? cfg.kafka.brokers, groupId: o.group ?? cfg.kafka.groupId },
    catalog: { ...cfg.catalog, type: 'sql', uri: catalogFile, warehouse },
    topics: [topic],
    topicPattern: undefined,
    errors: { ...cfg.errors, deadLetterTopic: o.topic && cfg.errors.deadLetterTopic ? `${topic}.dlq` : cfg.errors.deadLetterTopic },
  };
  const table = connector.table.name;
  const dlqTopic = connector.errors.deadLetterTopic;
  const count = o.count ?? 100_000;
  const timeoutMs = o.timeoutMs ?? 300_000;
  const brokers = connector.kafka.brokers.join(',');

  let admin: KafkaAdmin;
  try {
    admin = await KafkaAdmin.connect({ brokers: connector.kafka.brokers, clientId: 'floe-quickstart' });
  } catch (err) {
    throw new QuickstartError(`no Kafka broker answers at ${brokers} (${(err as Error).message}); scripts/start.sh (npm start) starts one from scripts/stack`);
  }
  const poll = embeddedCatalog(dir).catalog;
  try {
    // 1. the topics
    await admin.createTopic(topic, { partitions: o.partitions ?? 4 }, true);
    if (dlqTopic) await admin.createTopic(dlqTopic, { partitions: 1 }, true);
    const before = await admin.endOffsets(topic);
    const partitions = before.size;
    const dlqBefore = dlqTopic ? sum(await admin.endOffsets(dlqTopic)) : 0n;

    // 2. produce: event i of this run goes to partition (records so far + i) mod partitions
    const seed = o.seed ?? Number(sum(before) % 2_000_000_000n) + 1;
    out(`producing ${fmt(count)} demo events (plain JSON, seed ${seed}) to topic ${topic} (${partitions} partitions) on ${brokers}`);
    const producer = await KafkaProducer.connect({ brokers: connector.kafka.brokers, clientId: 'floe-quickstart', compression: 'lz4' });
    const t0 = performance.now();
    const first = Number(sum(before) % BigInt(partitions));
    try {
      let i = 0;
      for (const chunk of quickstartEvents(count, seed)) {
        if (signal) {
          out(`${signal}: stopped producing after ${fmt(i)} events`);
          return 130;
        }
        await producer.send(chunk.map((e, j) => ({ topic, partition: (first + i + j) % partitions, key: e.event_id as string, value: JSON.stringify(demoEventJson(e)) })));
        i += chunk.length;
      }
    } finally {
      await producer.close();
    }
    const produceS = (performance.now() - t0) / 1000;
    const target = await admin.endOffsets(topic);
    out(`produced ${fmt(count)} events in ${produceS.toFixed(1)} s; topic ${topic} now holds ${fmt(sum(target))} records`);

    // 3. the connector, in this process, until the table covers every record of the topic
    const start = await coverage(poll, table, connector.name, topic);
    out(`running connector ${connector.name} (${path.relative(process.cwd(), cfg.source) || cfg.source}): ${topic} → ${table} in ${dir}, commit every ${connector.commit.intervalMs} ms`);
    const log = { info: (m: string) => out(`floe[${connector.name}] ${m}`), warn: (m: string) => out(`floe[${connector.name}] ${m}`) };
    const running = await startConnector(connector, { log });
    const t1 = performance.now();
    let stopping = false;
    const failed = running.failed.then((e) => ({ failed: e }));
    const stop = interrupted.then((s) => ({ signal: s }));
    try {
      let lastPrint = performance.now();
      for (;;) {
        const c = await coverage(poll, table, connector.name, topic);
        const behind = [...target].filter(([p, end]) => (c.covered.get(p) ?? 0n) < end);
        const landed = sum(c.covered) - sum(start.covered);
        const s = (performance.now() - t1) / 1000;
        if (behind.length === 0 || performance.now() - lastPrint > 2000) {
          out(`  ${fmt(landed)} records landed in ${s.toFixed(1)} s (${fmt(Math.round(Number(landed) / Math.max(s, 0.001)))} records/s); table rows ${fmt(c.rows)}`);
          lastPrint = performance.now();
        }
        if (behind.length === 0) break;
        if (performance.now() - t1 > timeoutMs) {
          throw new QuickstartError(
            `timed out after ${timeoutMs / 1000} s: table ${table} covers ${fmt(sum(c.covered))} of the ${fmt(sum(target))} records of topic ${topic} ` +
              `(behind on partitions ${behind.map(([p]) => p).join(', ')}; table offsets ${formatOffsets(new Map([[topic, c.covered]]))}); ` +
              `rerun to go on from there, or give more time with --timeout`,
          );
        }
        const next = await Promise.race([new Promise<undefined>((r) => setTimeout(() => r(undefined), 250)), failed, stop]);
        if (next && 'failed' in next) throw new QuickstartError(`connector ${connector.name} stopped: ${next.failed.message}`);
        if (next && 'signal' in next) {
          out(`${next.signal}: stopping the connector (it commits what it holds)`);
          stopping = true;
          await running.stop();
          return 130;
        }
      }
    } finally {
      if (!stopping) {
        const bound = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 30_000).unref());
        const how = await Promise.race([running.stop().then(() => 'stopped' as const), bound]);
        if (how === 'timeout') out(`floe[${connector.name}] did not stop within 30 s`);
      }
    }
    out(`connector stopped`);

    // 4. what landed
    out('');
    const loaded = await poll.loadTable(parseTableName(table));
    printReport(table, await inspectTable(loaded), out);
    if (dlqTopic) {
      const dead = sum(await admin.endOffsets(dlqTopic)) - dlqBefore;
      out(`  dead letters this run: ${fmt(dead)} (topic ${dlqTopic})`);
    }
    out('');
    out(`catalog: ${catalogFile} (SQLite, Iceberg's JdbcCatalog layout); data and metadata under ${dir}`);
    out(`  floe:      node_modules/.bin/node bin/floe.ts inspect ${table} --warehouse ${dir}`);
    out(`  PyIceberg: SqlCatalog("default", uri="sqlite:///${catalogFile}", warehouse="${warehouse}").load_table("${table}").scan().to_arrow()`);
    out(`  DuckDB:    INSTALL iceberg; LOAD iceberg; SELECT count(*) FROM iceberg_scan('${loaded.metadataLocation}');`);
    out(`run it again to append the next ${fmt(count)} events; the table's offsets map says where to go on`);
    return 0;
  } finally {
    await poll.close?.();
    await admin.close();
  }
}

/** SIGINT/SIGTERM as a promise, until `dispose` gives the signals back their default. */
function signals(): { promise: Promise<string>; dispose: () => void } {
  let resolve!: (s: string) => void;
  const promise = new Promise<string>((r) => (resolve = r));
  const int = () => resolve('SIGINT');
  const term = () => resolve('SIGTERM');
  process.on('SIGINT', int);
  process.on('SIGTERM', term);
  return {
    promise,
    dispose: () => {
      process.off('SIGINT', int);
      process.off('SIGTERM', term);
    },
  };
}
