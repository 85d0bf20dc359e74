// `floe serve [-c ingest.yaml]`: the HTTP append API (src/ingest/) until SIGTERM/SIGINT. Without a
// file it runs on the embedded catalog in ./warehouse. On a signal it answers new requests 503,
// commits what it accepted, answers those requests, and exits 0 (1 if that failed).
import path from 'node:path';
import { Registry } from 'prom-client';
import type { Catalog } from '../catalog/catalog.ts';
import type { IngestConfig } from '../config/ingest-config.ts';
import { defaultIngestConfig, loadIngestConfig } from '../config/ingest-config.ts';
import { startAppendServer } from '../ingest/append-server.ts';
import { BearerAuth } from '../ingest/bearer-auth.ts';
import { IngestMetrics } from '../ingest/ingest-metrics.ts';
import { loggerFor } from '../log.ts';
import { stopWithin } from './stop-within.ts';
import type { Logger } from '../log.ts';
import { RequestGate } from '../ingest/request-gate.ts';
import { TableBuffers } from '../ingest/table-buffers.ts';
import { closeSharedFileIO } from '../io/resolve-file-io.ts';
import { ParquetEncoderPool } from '../parquet/encoder-pool.ts';
import { startServer } from '../server/server.ts';
import { embeddedCatalog } from './embedded.ts';
import { catalogFromConfig } from './run.ts';

export interface RunningServe {
  url: string;
  metricsUrl: string | undefined;
  /** Refuses new requests, commits what was accepted, closes everything. */
  stop(): Promise<void>;
}

export async function startServe(config: IngestConfig, log: Logger = loggerFor('serve')): Promise<RunningServe> {
  const catalog: Catalog = config.catalog
    ? catalogFromConfig(config.catalog, path.dirname(path.resolve(config.source.startsWith('<') ? '.' : config.source)))
    : embeddedCatalog(config.warehouse).catalog;
  const pool = new ParquetEncoderPool({ size: 1 });
  const registry = new Registry();
  let metrics: IngestMetrics | undefined = undefined;
  const buffers = new TableBuffers(config, catalog, {
    encoder: pool,
    onCommitted: (e) => {
      metrics?.commits.inc({ table: e.table });
      log.info('committed', {
        table: e.table,
        rows: e.rows,
        requests: e.requests,
        files: e.files,
        ms: e.ms,
        builtOnArrival: e.builtOnArrival,
        buildMs: e.buildMs,
        writeMs: e.writeMs,
        commitMs: e.commitMs,
      });
    },
  });
  metrics = new IngestMetrics(registry, { rows: () => buffers.bufferedRows, bytes: () => buffers.buffered.bytes });
  const gate = new RequestGate(config.limits.maxConcurrentRequests, config.limits.maxBufferedBytes, buffers.buffered);
  let accepting = true;
  const closeRest = async () => {
    await pool.close();
    await catalog.close?.();
    await closeSharedFileIO();
  };
  let server;
  try {
    server = await startAppendServer({
      host: config.host,
      port: config.port,
      tls: config.tls,
      buffers,
      auth: new BearerAuth(config.tokens),
      gate,
      limits: config.limits,
      metrics,
      log,
    });
  } catch (err) {
    await closeRest();
    throw err;
  }
  const metricsServer =
    config.metricsPort === 0
      ? undefined
      : await startServer({
          port: config.metricsPort === 'auto' ? 0 : config.metricsPort,
          host: config.metricsHost,
          registry,
          health: () => ({ ok: true }),
          ready: () => ({ ok: accepting, details: { bufferedRows: buffers.bufferedRows, requestsInProgress: gate.inProgress } }),
        }).catch(async (err: unknown) => {
          await server.close();
          await closeRest();
          throw err;
        });
  const where = config.catalog ? `${config.catalog.type} catalog at ${config.catalog.uri}` : `embedded catalog in ${config.warehouse}`;
  log.info('listening', { url: server.url, metricsUrl: metricsServer?.url, catalog: where, auth: config.tokens.length > 0, tls: config.tls !== undefined });
  let stopped: Promise<void> | undefined;
  return {
    url: server.url,
    metricsUrl: metricsServer?.url,
    stop: () =>
      (stopped ??= (async () => {
        accepting = false;
        server.stopAccepting();
        try {
          await buffers.flushAll();
          await server.close();
        } finally {
          await metricsServer?.close();
          await closeRest();
        }
      })()),
  };
}

/** The CLI command: runs until a signal. Returns the process exit code. */
export async function serve(configFile: string | undefined, overrides: { port?: number; warehouse?: string } = {}, stopTimeoutMs = 30_000): Promise<number> {
  const config = configFile ? loadIngestConfig(configFile) : defaultIngestConfig();
  if (overrides.port !== undefined) config.port = overrides.port;
  if (overrides.warehouse !== undefined) {
    if (config.catalog) throw new Error('--warehouse is the embedded catalog folder; the ingest file names a catalog');
    config.warehouse = path.resolve(overrides.warehouse);
  }
  const log = loggerFor('serve');
  const signal = new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  const running = await startServe(config, log);
  const sig = await signal;
  log.info(`${sig}: refusing new requests, committing what was accepted`);
  const outcome = await stopWithin(running.stop(), stopTimeoutMs);
  if (outcome === 'stopped') {
    log.info('stopped');
    return 0;
  }
  log.error(outcome === 'timeout' ? `did not stop within ${stopTimeoutMs} ms` : `stop failed: ${outcome.message}`);
  return 1;
}
