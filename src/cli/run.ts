// `floe run -c connectors/<name>.yaml`: one connector worker, until SIGTERM/SIGINT (flush,
// commit, leave the group, within a bounded time) or a fatal error (exit code 1). With
// `workers: N` (N > 1) the N group members run on worker threads (workers.ts).
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Catalog } from '../catalog/catalog.ts';
import { RestCatalog } from '../catalog/rest-catalog.ts';
import { SqlCatalog } from '../catalog/sql-catalog.ts';
import type { CatalogConfig, ConnectorConfig, RegistryConfig } from '../config/connector-config.ts';
import { loadConnectorConfig } from '../config/connector-config.ts';
import { ConfluentDecoder, plainJsonFrame } from '../decode/record-decoder.ts';
import { SchemaRegistryClient } from '../decode/schema-registry.ts';
import { KafkaProducer } from '../kafka/producer.ts';
import { DEFAULT_RECONNECT_TIMEOUT_MS } from '../kafka/source.ts';
import { ParquetEncoderPool } from '../parquet/encoder-pool.ts';
import { DeadLetterQueue } from '../pipeline/dead-letters.ts';
import type { DeadLetterMessage } from '../pipeline/dead-letters.ts';
import { KafkaRecordSource } from '../pipeline/kafka-record-source.ts';
import { ConnectorWorker } from '../pipeline/worker.ts';
import type { DeadLetterSink, ValueDecoder, WorkerOptions } from '../pipeline/worker.ts';
import { createRouter } from '../route/router.ts';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { PipelineMetrics } from '../pipeline/metrics.ts';
import { startServer } from '../server/server.ts';
import type { CheckResult } from '../server/server.ts';
import { preflight } from './preflight.ts';
import { kafkaConnection, kafkaSourceOptions } from './kafka-options.ts';
import { loggerFor } from '../log.ts';
import { stopWithin } from './stop-within.ts';
import { kindOf } from '../errors.ts';
import { encoderOnThread, workerCount } from './worker-count.ts';
import { inlineEncoder } from '../writer/data-file-writer.ts';
import { runWorkers } from './workers.ts';

export function catalogFromConfig(c: CatalogConfig, configDir = process.cwd()): Catalog {
  if (c.type === 'rest') {
    const properties = { ...c.properties };
    if (c.token) properties.token = c.token;
    if (c.credential) properties.credential = c.credential;
    return new RestCatalog({ uri: c.uri, warehouse: c.warehouse, properties });
  }
  const warehouse = c.warehouse!.includes('://') ? c.warehouse! : pathToFileURL(path.resolve(configDir, c.warehouse!)).href;
  const uri = c.uri.includes('://') || path.isAbsolute(c.uri) ? c.uri : path.resolve(configDir, c.uri);
  return new SqlCatalog({ uri, warehouse, properties: c.properties });
}

/** The registry client of a connector's schemaRegistry section (bearer token or basic auth). */
export function registryFromConfig(r: RegistryConfig): SchemaRegistryClient {
  const headers: Record<string, string> = {};
  if (r.token) headers.Authorization = `Bearer ${r.token}`;
  return new SchemaRegistryClient({
    url: r.url,
    headers,
    basicAuth: r.username && r.password ? { username: r.username, password: r.password } : undefined,
    tls: r.tls,
  });
}

/** The value decoder of a connector: lazy frames (decode/record-frame.ts) that a batch may take straight from their bytes. */
export function decoderFromConfig(cfg: ConnectorConfig, registry: SchemaRegistryClient | undefined): ValueDecoder {
  if (cfg.format === 'json' || !registry) return plainJsonFrame;
  const decoder = new ConfluentDecoder(registry);
  return (bytes) => decoder.frame(bytes);
}

export interface RunningConnector {
  worker: ConnectorWorker;
  /** The connector's metrics (PipelineMetrics; with the process's default metrics unless options.defaultMetrics is false). */
  registry: Registry;
  /** Liveness: no fatal error in the worker or the Kafka consumer. */
  health(): CheckResult;
  /** Readiness: joined to the group, no error, no table failing. */
  ready(): CheckResult;
  /** Flushes, commits and leaves the group; resolves when everything is closed. */
  stop(): Promise<void>;
  /** Resolves with the fatal error that stopped the worker. */
  failed: Promise<Error>;
}

export interface StartOptions {
  /** Register prom-client's process and Node.js metrics too (default true; a worker thread leaves them to the main thread). */
  defaultMetrics?: boolean;
  /**
   * Group members the process runs, this one included (default: the config's `workers`, which a
   * member's own config sets to 1): whether a core is left for an encoder thread (worker-count.ts).
   */
  membersInProcess?: number;
  /**
   * Awaited once everything but the group join is ready, connected to the brokers (`workers: N`:
   * the members join together, so a broker that starts a new group at once,
   * group.initial.rebalance.delay.ms 0, rarely hands the first member every partition only to
   * take half back a heartbeat later).
   */
  beforeJoin?: () => Promise<void>;
}

/**
 * Starts a connector from its config; resolves once it has joined the group. The start-up
 * checks (cli/preflight.ts: registry API and credentials, dead-letter topic) run first.
 */
export async function startConnector(cfg: ConnectorConfig, extra: Partial<WorkerOptions> = {}, options: StartOptions = {}): Promise<RunningConnector> {
  const registryClient = cfg.format === 'json' ? undefined : registryFromConfig(cfg.schemaRegistry!);
  const checked = await preflight(cfg, { registry: registryClient, unreachableRegistry: 'warn', warn: (m) => loggerFor(cfg.name).warn(m) });
  const catalog = catalogFromConfig(cfg.catalog, path.dirname(path.resolve(cfg.source)));
  const kafka = kafkaConnection(cfg.kafka);
  const source = new KafkaRecordSource({ ...kafkaSourceOptions(cfg, (level, m) => loggerFor(cfg.name)[level === 'warn' ? 'warn' : 'info'](m)), beforeJoin: options.beforeJoin });
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const metrics = new PipelineMetrics(registry);
  source.onLag = (tp, lag) => metrics.setLag(tp.topic, tp.partition, lag);
  const producer = cfg.errors.deadLetterTopic
    ? await KafkaProducer.connect({
        ...kafka,
        clientId: `${cfg.kafka.clientId}-dlq`,
        // a broker restart while dead letters wait must not stop the connector
        reconnectTimeoutMs: cfg.kafka.reconnectTimeoutMs ?? DEFAULT_RECONNECT_TIMEOUT_MS,
        log: (m) => loggerFor(cfg.name).warn(`dead letters: ${m}`),
      })
    : undefined;
  const dlq = new DeadLetterQueue({
    connector: cfg.name,
    tolerance: cfg.errors.tolerance,
    onIncompatibleSchema: cfg.errors.onIncompatibleSchema,
    tombstones: cfg.errors.tombstones,
    topic: cfg.errors.deadLetterTopic,
    maxMessageBytes: checked.deadLetterMaxMessageBytes,
    counter: metrics.deadLetters,
    producer: producer && {
      send: async (topic: string, messages: DeadLetterMessage[]) => {
        await producer.send(messages.map((m) => ({ topic, partition: m.partition, key: m.key, value: m.value, headers: m.headers })));
      },
    },
  });
  const deadLetters: DeadLetterSink = {
    add: (record, error) => dlq.add({ ...record, timestampMs: record.timestamp }, error),
    flush: () => dlq.flush(),
  };
  // Parquet encoding on a thread of its own when a core is to spare, else inline (worker-count.ts)
  const pool = encoderOnThread(options.membersInProcess ?? workerCount(cfg.workers)) ? new ParquetEncoderPool({ size: 1 }) : undefined;
  const worker = new ConnectorWorker({
    config: cfg,
    catalog,
    source,
    decode: decoderFromConfig(cfg, registryClient),
    router: createRouter(cfg.table.name, cfg.route),
    deadLetters,
    encoder: pool ?? inlineEncoder,
    log: loggerFor(cfg.name),
    events: {
      consumed: ({ topic, count }) => metrics.consumed(topic, count),
      committed: (c) => {
        if (c.attempts > 1) metrics.commits.inc({ table: c.table, outcome: 'conflict-retried' }, c.attempts - 1);
        metrics.commitAttempt(c.table, 'ok', c.ms / 1000);
        metrics.flushed(c.table, c.rows);
        metrics.committed(c.table, { rows: c.rows, bytes: c.bytes, files: c.files, commitTimeMs: c.commitTimeMs, timestampsMs: c.timestampsMs });
      },
      fenced: ({ table }) => metrics.commitAttempt(table, 'fenced', 0),
      commitFailed: ({ table }) => metrics.commitAttempt(table, 'failed', 0),
      error: ({ kind }) => metrics.errors.inc({ kind }),
      rebalanced: ({ change }) => metrics.rebalances.inc({ change }),
    },
    ...extra,
  });
  metrics.measureBufferedBytes(() => worker.bufferedBytes());
  const health = (): CheckResult => {
    const error = worker.error ?? source.error;
    return { ok: error === undefined, details: error ? { error: error.message } : undefined };
  };
  // joined to the group (started) and the catalog and object store reached (no table failing)
  const ready = (): CheckResult => {
    const failing = worker.failingTables();
    return { ok: started && worker.error === undefined && failing.length === 0, details: failing.length > 0 ? { failing } : undefined };
  };
  const server = cfg.metricsPort > 0 ? await startServer({ port: cfg.metricsPort, host: cfg.metricsHost, registry, health, ready }) : undefined;
  let started = false;
  const closeAll = async () => {
    await server?.close();
    await pool?.close();
    await producer?.close();
    await catalog.close?.();
  };
  try {
    await worker.start();
    started = true;
  } catch (err) {
    await closeAll();
    throw err;
  }
  let stopped: Promise<void> | undefined;
  return {
    worker,
    registry,
    health,
    ready,
    // the consumer can stop by itself (brokers unreachable past kafka.reconnectTimeoutMs)
    failed: Promise.race([worker.whenFailed(), source.failed]),
    stop: () => (stopped ??= worker.stop().finally(closeAll)),
  };
}

/** The CLI command: runs until a signal or a fatal error. Returns the process exit code. */
export async function run(configFile: string, stopTimeoutMs = 30_000): Promise<number> {
  const cfg = loadConnectorConfig(configFile);
  // listening before the start: a SIGTERM while the connector starts (checks, joining the group)
  // stops it cleanly once it has started, instead of killing the process half way
  const signal = new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  const workers = workerCount(cfg.workers);
  // several group members: one worker thread each, this thread serves /metrics and stops them (workers.ts)
  if (workers > 1) return await runWorkers(cfg, workers, signal, stopTimeoutMs);
  const log = loggerFor(cfg.name);
  log.info('starting');
  let running: RunningConnector;
  try {
    running = await startConnector(cfg);
  } catch (err) {
    // a start that fails (brokers gone past kafka.reconnectTimeoutMs, a refused login) is a stop too
    log.error(`stopped: ${(err as Error).message}`, { kind: kindOf(err) });
    return 1;
  }
  log.info(`running: ${cfg.topics?.join(', ') ?? `/${cfg.topicPattern}/`} → ${cfg.table.name} (${cfg.catalog.type} catalog)`);
  const first = await Promise.race([signal.then((s) => ({ signal: s })), running.failed.then((error) => ({ error }))]);
  if ('error' in first) {
    log.error(`stopped: ${first.error.message}`, { kind: kindOf(first.error) });
    await running.stop().catch(() => undefined);
    return 1;
  }
  log.info(`${first.signal}: flushing, committing and leaving the group`);
  const outcome = await stopWithin(running.stop(), stopTimeoutMs);
  if (outcome === 'stopped') return 0;
  log.error(`${outcome === 'timeout' ? `did not stop within ${stopTimeoutMs} ms` : `stop failed: ${outcome.message}`}; uncommitted records are read again on restart`);
  return 1;
}
