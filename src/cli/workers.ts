// `floe run` with `workers: N` (N > 1): N consumer-group members in one process, one per worker
// thread (connector-thread.ts), so one pod uses every core it is given. This thread reads no
// records: it serves /metrics (the members' metrics summed, thread-metrics.ts), /healthz (every
// member healthy) and /readyz (every member ready) on the connector's one port, writes the
// members' log lines (each with a `worker` field), and stops them all: on SIGTERM/SIGINT each
// member flushes, commits and leaves the group within the one stop bound (exit 0); when one
// member fails, the others are stopped the same way and the process exits 1. The members join
// the group together, once each has connected and passed its checks: a broker that forms a new
// group at once (group.initial.rebalance.delay.ms 0) would otherwise give the first member every
// partition, then take half back once that member's next heartbeat learns of the others.
// Exactly-once does not depend on where the members run: the table's offsets map decides
// (DESIGN.md).
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { ConnectorConfig } from '../config/connector-config.ts';
import { kindOf } from '../errors.ts';
import { startServer } from '../server/server.ts';
import type { CheckResult } from '../server/server.ts';
import { ConnectorThread } from './connector-thread.ts';
import { loggerFor, LOG_LEVELS } from '../log.ts';
import type { LogFields, LogLevel } from '../log.ts';
import { joinedMetrics } from './thread-metrics.ts';

const CHECK_TIMEOUT_MS = 1500;
const METRICS_TIMEOUT_MS = 5000;

/** Runs `workers` members of the connector until `signal` or a member's failure; returns the exit code. */
export async function runWorkers(cfg: ConnectorConfig, workers: number, signal: Promise<string>, stopTimeoutMs: number): Promise<number> {
  const log = loggerFor(cfg.name);
  log.info(`starting ${workers} workers (one consumer-group member each, on worker threads)`);
  const threads: ConnectorThread[] = [];
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const server = cfg.metricsPort > 0 ? await startServer({ port: cfg.metricsPort, host: cfg.metricsHost, ...endpoints(registry, threads, workers) }) : undefined;
  for (let index = 0; index < workers; index++) threads.push(new ConnectorThread({ configFile: cfg.source, index, workers }, (line) => relayLog(line, index)));
  // the members join the group together: each connects and checks first, then waits for the others
  void Promise.all(threads.map((t) => t.ready)).then(() => {
    log.info(`${workers} members ready: joining the group together`);
    for (const t of threads) t.join();
  });
  Promise.all(threads.map((t) => t.started)).then(
    () => log.info(`running: ${workers} workers, ${cfg.topics?.join(', ') ?? `/${cfg.topicPattern}/`} → ${cfg.table.name} (${cfg.catalog.type} catalog)`),
    () => undefined,
  );
  const failure = Promise.race(threads.map((t) => t.failed.then((error) => ({ error, index: t.index }))));
  const first = await Promise.race([signal.then((s) => ({ signal: s })), failure]);
  if ('error' in first) {
    log.error(`stopped: worker ${first.index}: ${first.error.message}; stopping the other workers`, { kind: kindOf(first.error), worker: first.index });
  } else {
    log.info(`${first.signal}: flushing, committing and leaving the group`);
  }
  const stopped = await stopAll(threads, stopTimeoutMs, log);
  await server?.close();
  return 'error' in first || !stopped ? 1 : 0;
}

/** Stops every member within the one bound; true when all of them flushed, committed and left. */
async function stopAll(threads: ConnectorThread[], stopTimeoutMs: number, log: ReturnType<typeof loggerFor>): Promise<boolean> {
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), stopTimeoutMs).unref());
  const outcomes = await Promise.race([Promise.allSettled(threads.map((t) => t.stop())), timeout]);
  await Promise.all(threads.map((t) => t.terminate()));
  if (outcomes === 'timeout') {
    log.error(`did not stop within ${stopTimeoutMs} ms; uncommitted records are read again on restart`);
    return false;
  }
  let ok = true;
  outcomes.forEach((o, index) => {
    if (o.status === 'fulfilled') return;
    ok = false;
    log.error(`worker ${index}: ${(o.reason as Error).message}; uncommitted records are read again on restart`, { worker: index });
  });
  return ok;
}

function endpoints(registry: Registry, threads: ConnectorThread[], workers: number) {
  const checks = async (which: 'health' | 'ready'): Promise<CheckResult> => {
    const results = await Promise.all(
      threads.map((t) =>
        t.checks(CHECK_TIMEOUT_MS).then(
          (c) => ({ worker: t.index, ...c[which] }),
          (e: Error) => ({ worker: t.index, ok: false, details: { error: e.message } }),
        ),
      ),
    );
    // every member there (a health check during the start counts the ones that exist)
    const all = which === 'health' || threads.length === workers;
    return { ok: all && results.every((r) => r.ok), details: { workers: results } };
  };
  return {
    registry: {
      contentType: registry.contentType,
      metrics: async () => await joinedMetrics(registry, await Promise.all(threads.map((t) => t.metrics(METRICS_TIMEOUT_MS)))),
    },
    health: () => checks('health'),
    ready: () => checks('ready'),
  };
}

/** A member's log line (JSON, log.ts) written in this process's format and level, with its `worker`. */
function relayLog(line: string, worker: number): void {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch {
    process.stderr.write(`${line}\n`);
    return;
  }
  const { time: _time, level, connector, message, ...fields } = o;
  const lvl: LogLevel = (LOG_LEVELS as readonly unknown[]).includes(level) ? (level as LogLevel) : 'info';
  loggerFor(String(connector))[lvl](String(message), { ...(fields as LogFields), worker });
}
