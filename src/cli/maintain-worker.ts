// `floe maintain -c maintenance.yaml`: the maintenance worker, until SIGTERM/SIGINT.
//
// Tables come from the file's `tables:` entries: a name, or a pattern matched against every
// table the catalog lists (again every `every` of that entry, so new tables join and dropped
// ones leave). A table matched by several entries is maintained by a name entry first, else by
// the first pattern entry in the file. One pass at a time (maintain.ts, the same pass as
// `floe maintain NS.TABLE`): the table whose turn is nearest runs next, and its next turn is
// `every` after the pass ended, ±10 % so tables with the same schedule drift apart; the first
// turn comes within a tenth of `every` (at most 30 s) of the start.
//
// One log line per pass with its summary. A pass that fails (or whose compaction groups fail) is
// logged and counted, and runs again at its next turn; the worker itself goes on. On SIGTERM or
// SIGINT no new pass starts, the running one finishes its current step (or compaction group)
// and releases the table's lease, the metrics server closes, and the process exits 0; if that
// takes longer than the stop bound (30 s), it exits 1 (the lease then expires by itself and
// what a cut-off write left is an unfinished write for orphan cleanup).
//
// Metrics (maintenance-metrics.ts) on /metrics, liveness on /healthz, readiness (the catalog
// answers) on /readyz, through src/server/server.ts.
import path from 'node:path';
import { loggerFor } from '../log.ts';
import { stopWithin } from './stop-within.ts';
import { lowerPriority } from './background-priority.ts';
import { Registry } from 'prom-client';
import type { Catalog } from '../catalog/catalog.ts';
import type { MaintenanceConfig, MaintenanceTableEntry } from '../config/maintenance-config.ts';
import { loadMaintenanceConfig } from '../config/maintenance-config.ts';
import type { LeaseOptions } from '../maintenance/lease.ts';
import type { CheckResult } from '../server/server.ts';
import { startServer } from '../server/server.ts';
import { MaintainError, maintain } from './maintain.ts';
import type { MaintainSummary } from './maintain.ts';
import { MaintenanceMetrics } from './maintenance-metrics.ts';
import type { PassOutcome } from './maintenance-metrics.ts';
import { formatBytes } from './inspect.ts';
import { catalogFromConfig } from './run.ts';

export const DEFAULT_STOP_TIMEOUT_MS = 30_000;

export interface WorkerLog {
  info(message: string): void;
  warn(message: string): void;
}

export interface MaintenanceWorkerOptions {
  config: MaintenanceConfig;
  catalog: Catalog;
  metrics: MaintenanceMetrics;
  log?: WorkerLog;
  /** In [0, 1); for the jitter. */
  random?: () => number;
  /** The lease's timing (tests). */
  lease?: Pick<LeaseOptions, 'ttlMs' | 'graceMs'>;
}

interface TableState {
  name: string;
  entryIndex: number;
  entry: MaintenanceTableEntry;
  nextAt: number;
  failures: number;
}

const mb = formatBytes;

/** 1500 → "1.5s", 600000 → "10m". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(1))}s`;
  if (ms < 3_600_000) return `${Number((ms / 60_000).toFixed(1))}m`;
  return `${Number((ms / 3_600_000).toFixed(1))}h`;
}

/** The one log line of a pass. */
export function passLine(table: string, outcome: PassOutcome, ms: number, s: MaintainSummary | undefined, error: unknown, nextInMs: number, failures: number): string {
  const head = `${table}: ${outcome} in ${formatDuration(ms)}`;
  const next = `next in ~${formatDuration(nextInMs)}`;
  if (!s) return `${head}${failures > 1 ? ` (${failures} in a row)` : ''}: ${(error as Error)?.message ?? String(error)}; ${next}`;
  if (s.skipped) return `${head}: ${s.skipped}; ${next}`;
  const g = s.groups;
  const parts = [g.committed > 0 ? `compacted ${g.committed} group(s), ${g.filesIn} → ${g.filesOut} files, ${mb(g.bytesIn)} → ${mb(g.bytesOut)}` : `compacted nothing (${g.planned} group(s) planned)`];
  if (g.gaveUp > 0) parts.push(`${g.gaveUp} group(s) given up`);
  if (g.failed > 0) parts.push(`${g.failed} group(s) failed`);
  parts.push(`expired ${s.expired.snapshots} snapshot(s), ${s.expired.files} file(s) (${mb(s.expired.bytes)})`);
  parts.push(`orphans ${s.orphans.files} file(s) (${mb(s.orphans.bytes)}), ${s.orphans.unfinished} unfinished`);
  const problems = s.problems.length > 0 ? `; problems: ${s.problems.slice(0, 3).join(' | ')}${s.problems.length > 3 ? ` | and ${s.problems.length - 3} more` : ''}` : '';
  const failed = error !== undefined ? `; failed: ${(error as Error)?.message ?? String(error)}${failures > 1 ? ` (${failures} in a row)` : ''}` : '';
  return `${head}: ${parts.join('; ')}${failed}${problems}${s.aborted ? '; stopped early (the worker is stopping)' : ''}; ${next}`;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal.addEventListener('abort', done, { once: true });
  });
}

/** The scheduler: passes on each table in turn until the signal fires. */
export class MaintenanceWorker {
  readonly #config: MaintenanceConfig;
  readonly #catalog: Catalog;
  readonly #metrics: MaintenanceMetrics;
  readonly #log: WorkerLog;
  readonly #random: () => number;
  readonly #lease: MaintenanceWorkerOptions['lease'];
  readonly #tables = new Map<string, TableState>();
  /** Per pattern entry (by index): when its tables are listed again. */
  readonly #discoverAt = new Map<number, number>();
  /** Pattern entries that matched nothing at their last listing (said once). */
  readonly #saidEmpty = new Set<number>();
  #crashed: Error | undefined;
  #ready: { at: number; result: CheckResult } | undefined;
  #passes = 0;
  #running: string | undefined;

  constructor(o: MaintenanceWorkerOptions) {
    this.#config = o.config;
    this.#catalog = o.catalog;
    this.#metrics = o.metrics;
    this.#log = o.log ?? loggerFor('maintain');
    this.#random = o.random ?? Math.random;
    this.#lease = o.lease;
  }

  /** The tables maintained now (names), for tests and /healthz. */
  tables(): string[] {
    return [...this.#tables.keys()].sort();
  }

  health(): CheckResult {
    return {
      ok: this.#crashed === undefined,
      details: { tables: this.#tables.size, passes: this.#passes, running: this.#running ?? null, ...(this.#crashed ? { error: this.#crashed.message } : {}) },
    };
  }

  /** Ready when the catalog answers (a namespace listing, at most every 5 s). */
  async ready(): Promise<CheckResult> {
    const now = Date.now();
    if (this.#ready && now - this.#ready.at < 5000) return this.#ready.result;
    let result: CheckResult;
    try {
      await this.#catalog.listNamespaces();
      result = { ok: true, details: { catalog: 'reached' } };
    } catch (err) {
      result = { ok: false, details: { catalog: `not reached: ${(err as Error).message}` } };
    }
    this.#ready = { at: Date.now(), result };
    return result;
  }

  #jittered(everyMs: number): number {
    return Math.round(everyMs * (0.9 + 0.2 * this.#random()));
  }

  #firstTurn(now: number, everyMs: number): number {
    return now + Math.round(Math.min(everyMs * 0.1, 30_000) * this.#random());
  }

  /** Runs until `signal` fires (then after the running pass has stopped). */
  async run(signal: AbortSignal): Promise<void> {
    try {
      await this.#loop(signal);
    } catch (err) {
      this.#crashed = err as Error;
      throw err;
    }
  }

  async #loop(signal: AbortSignal): Promise<void> {
    const start = Date.now();
    this.#config.tables.forEach((entry, i) => {
      if (entry.name !== undefined) this.#tables.set(entry.name, { name: entry.name, entryIndex: i, entry, nextAt: this.#firstTurn(start, entry.everyMs), failures: 0 });
      else this.#discoverAt.set(i, start);
    });
    this.#metrics.tables.set(this.#tables.size);
    while (!signal.aborted) {
      const now = Date.now();
      for (const [i, at] of [...this.#discoverAt].sort((a, b) => a[0] - b[0])) {
        if (at > now || signal.aborted) continue;
        const entry = this.#config.tables[i];
        await this.#discover(i, entry);
        this.#discoverAt.set(i, Date.now() + this.#jittered(entry.everyMs));
      }
      if (signal.aborted) break;
      let next: TableState | undefined;
      for (const t of this.#tables.values()) if (!next || t.nextAt < next.nextAt) next = t;
      const wake = Math.min(next?.nextAt ?? Infinity, ...this.#discoverAt.values());
      if (wake > Date.now()) {
        await sleep(wake === Infinity ? 60_000 : wake - Date.now(), signal);
        continue;
      }
      if (next && next.nextAt <= Date.now()) await this.#pass(next, signal);
    }
  }

  /** Every namespace of the catalog (nested ones too). */
  async #namespaces(): Promise<string[][]> {
    const out: string[][] = [];
    const queue: string[][] = await this.#catalog.listNamespaces();
    while (queue.length > 0) {
      const ns = queue.shift()!;
      out.push(ns);
      for (const child of await this.#catalog.listNamespaces(ns)) if (child.length > ns.length) queue.push(child);
    }
    return out;
  }

  async #discover(index: number, entry: MaintenanceTableEntry): Promise<void> {
    if (entry.pattern === undefined) return;
    let names: string[];
    try {
      const namespaces = entry.namespace ? [entry.namespace] : await this.#namespaces();
      names = [];
      for (const ns of namespaces) for (const id of await this.#catalog.listTables(ns)) names.push([...id.namespace, id.name].join('.'));
    } catch (err) {
      this.#metrics.catalogErrors.inc();
      this.#log.warn(`${entry.key} pattern /${entry.pattern}/: listing the catalog's tables failed (tried again in ~${formatDuration(entry.everyMs)}): ${(err as Error).message}`);
      return;
    }
    const matched = new Set(names.filter((n) => entry.regex.test(n)));
    const added: string[] = [];
    const now = Date.now();
    for (const name of matched) {
      const t = this.#tables.get(name);
      if (!t) {
        this.#tables.set(name, { name, entryIndex: index, entry, nextAt: this.#firstTurn(now, entry.everyMs), failures: 0 });
        added.push(name);
      } else if (t.entry.pattern !== undefined && t.entryIndex > index) {
        t.entryIndex = index;
        t.entry = entry;
      }
    }
    const gone: string[] = [];
    for (const [name, t] of this.#tables) {
      if (t.entryIndex === index && !matched.has(name)) {
        this.#tables.delete(name);
        gone.push(name);
      }
    }
    if (added.length > 0) this.#log.info(`${entry.key} pattern /${entry.pattern}/: maintaining ${added.sort().join(', ')}`);
    if (gone.length > 0) this.#log.info(`${entry.key} pattern /${entry.pattern}/: no longer listed: ${gone.sort().join(', ')}`);
    if (matched.size === 0 && !this.#saidEmpty.has(index)) this.#log.info(`${entry.key} pattern /${entry.pattern}/: no table matches (yet)`);
    if (matched.size === 0) this.#saidEmpty.add(index);
    else this.#saidEmpty.delete(index);
    this.#metrics.tables.set(this.#tables.size);
  }

  async #pass(t: TableState, signal: AbortSignal): Promise<void> {
    const e = t.entry;
    const started = performance.now();
    this.#running = t.name;
    let summary: MaintainSummary | undefined;
    let error: unknown;
    try {
      summary = await maintain(this.#catalog, t.name, {
        printPlan: false,
        compact: e.compact !== undefined,
        targetBytes: e.compact?.targetBytes,
        commitGroups: e.compact?.commitGroups,
        expire: e.expire !== undefined,
        maxSnapshotAgeMs: e.expire?.maxSnapshotAgeMs,
        minSnapshotsToKeep: e.expire?.minSnapshotsToKeep,
        orphans: e.orphans !== undefined,
        orphanWindowMs: e.orphans?.olderThanMs,
        ioProperties: this.#config.catalog.properties,
        signal,
        lease: this.#lease,
        out: () => undefined,
      });
    } catch (err) {
      error = err;
      if (err instanceof MaintainError) summary = err.summary;
    } finally {
      this.#running = undefined;
    }
    const outcome: PassOutcome =
      error !== undefined || (summary?.groups.failed ?? 0) > 0
        ? 'failed'
        : summary?.skippedBy === 'lease'
          ? 'skipped-lease'
          : summary?.skippedBy === 'empty-table'
            ? 'skipped-empty'
            : summary?.aborted
              ? 'aborted'
              : 'ok';
    const ms = performance.now() - started;
    this.#passes++;
    t.failures = outcome === 'failed' ? t.failures + 1 : 0;
    this.#metrics.pass(t.name, outcome, ms / 1000, summary);
    const nextIn = this.#jittered(e.everyMs);
    t.nextAt = Date.now() + nextIn;
    const line = passLine(t.name, outcome, ms, error instanceof MaintainError ? summary : error === undefined ? summary : undefined, error, nextIn, t.failures);
    if (outcome === 'failed') this.#log.warn(line);
    else this.#log.info(line);
  }
}

/** The CLI command: the worker until SIGTERM/SIGINT. Returns the process exit code. */
export async function maintainWorker(configFile: string, options: { stopTimeoutMs?: number; lease?: MaintenanceWorkerOptions['lease'] } = {}): Promise<number> {
  const stopTimeoutMs = options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
  const cfg = loadMaintenanceConfig(configFile);
  const catalog = catalogFromConfig(cfg.catalog, path.dirname(path.resolve(configFile)));
  const registry = new Registry();
  const metrics = new MaintenanceMetrics(registry);
  const log = loggerFor('maintain');
  if (cfg.nice > 0) log.info(`running at nice ${cfg.nice} (${lowerPriority(cfg.nice)} threads lowered): ingestion on the same cores goes first`);
  const worker = new MaintenanceWorker({ config: cfg, catalog, metrics, log, lease: options.lease });
  const controller = new AbortController();
  let stopSignal: (name: string) => void = () => undefined;
  const stopping = new Promise<string>((resolve) => (stopSignal = resolve));
  const onSignal = (name: string) => () => {
    if (controller.signal.aborted) return log.info(`${name}: already stopping`);
    controller.abort();
    stopSignal(name);
  };
  const onTerm = onSignal('SIGTERM');
  const onInt = onSignal('SIGINT');
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);
  const server =
    cfg.metricsPort !== 0
      ? await startServer({
          port: cfg.metricsPort === 'auto' ? 0 : cfg.metricsPort,
          host: cfg.metricsHost,
          registry,
          health: () => worker.health(),
          ready: () => worker.ready(),
        }).catch(async (err: Error) => {
          process.off('SIGTERM', onTerm);
          process.off('SIGINT', onInt);
          await catalog.close?.();
          throw new Error(`the metrics server cannot listen on ${cfg.metricsHost}:${cfg.metricsPort}: ${err.message}`);
        })
      : undefined;
  const entries = cfg.tables.map((e) => `${e.name ?? `/${e.pattern}/`} every ${formatDuration(e.everyMs)}`).join(', ');
  log.info(`running (${cfg.catalog.type} catalog ${cfg.catalog.uri}): ${entries}${server ? `; metrics on ${server.url}/metrics` : '; no metrics server'}`);

  const running = worker.run(controller.signal);
  const closeAll = async () => {
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onInt);
    await server?.close().catch(() => undefined);
    await catalog.close?.();
  };
  const first = await Promise.race([
    running.then(
      () => ({ crashed: new Error('the scheduler ended') }),
      (e: Error) => ({ crashed: e }),
    ),
    stopping.then((signal) => ({ signal })),
  ]);
  if ('crashed' in first) {
    log.error(`stopped: ${first.crashed.message}`);
    controller.abort();
    await closeAll();
    return 1;
  }
  log.info(`${first.signal}: no new pass starts; the running one finishes its step and releases its lease`);
  const outcome = await stopWithin(running, stopTimeoutMs);
  await closeAll();
  if (outcome === 'stopped') {
    log.info('stopped');
    return 0;
  }
  log.error(
    `${outcome === 'timeout' ? `did not stop within ${formatDuration(stopTimeoutMs)}` : `stop failed: ${outcome.message}`}; a lease still held expires by itself, a cut-off write is left for orphan cleanup`,
  );
  // the pass still running must not keep the process alive past the bound
  setTimeout(() => process.exit(1), 1000).unref();
  return 1;
}
