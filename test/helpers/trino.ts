// Trino, the SQL engine floe's users query tables with, as a judge: a minimal client of Trino's
// HTTP protocol against the stack's server (`scripts/stack/start.sh trino`; scripts/test.sh sets
// it up and starts it when a test imports this file). Its catalog `floe` is the stack's REST
// catalog on the stack's S3; openTrinoSqlCatalog() adds one on floe's embedded SQLite catalog.
//
//   const rows = await trino(`SELECT * FROM floe.${ns}.t ORDER BY id`);   // values canonical
//   const { columns, rows } = await trinoQuery('EXPLAIN ...', { schema: ns });
//
// A statement is POSTed to /v1/statement, then nextUri is followed until Trino sends none;
// columns and data are collected on the way. Values come back in readers.ts's canonical forms
// (trino-values.ts). The session's time zone is UTC and the client declares parametric datetime
// types, so timestamps keep their 6 fraction digits. A failed statement throws TrinoError with
// the statement and Trino's message; every statement is bounded by a timeout (then cancelled).
import { canonicalTrinoValue, parseDataLossless, type LosslessJson, type TypeSignature } from './trino-values.ts';
import type { CanonicalValue, Row } from './readers.ts';

export type { CanonicalValue, Row };

export interface TrinoOptions {
  /** Server, default FLOE_TEST_TRINO_URL. */
  url?: string;
  /** X-Trino-Catalog, default "floe". */
  catalog?: string;
  /** X-Trino-Schema (the Iceberg namespace), none by default. */
  schema?: string;
  /** Session properties (X-Trino-Session), e.g. { 'floe.expire_snapshots_min_retention': '0s' }. */
  session?: Record<string, string>;
  /** Whole statement, default 120 s. */
  timeoutMs?: number;
}

export interface TrinoColumn {
  name: string;
  type: string;
  typeSignature: TypeSignature;
}

export interface TrinoResult {
  queryId: string;
  columns: TrinoColumn[];
  /** Rows keyed by column name, values canonical. */
  rows: Row[];
  /** e.g. "INSERT", "ALTER TABLE EXECUTE" for statements that change something. */
  updateType?: string;
  updateCount?: number;
  /** The query's final statistics (processedRows: rows the scans read, after file and row-group pruning). */
  stats?: TrinoStats;
}

export interface TrinoStats {
  state: string;
  processedRows: number;
  processedBytes: number;
  physicalInputBytes: number;
  completedSplits: number;
}

/** A statement failed (or timed out): the message names the statement and carries Trino's error. */
export class TrinoError extends Error {
  readonly sql: string;
  /** Trino's error object (message, errorName, errorType, failureInfo), when it sent one. */
  readonly trino?: { message?: string; errorName?: string; errorType?: string; errorCode?: number };
  constructor(message: string, sql: string, trino?: TrinoError['trino']) {
    super(message);
    this.name = 'TrinoError';
    this.sql = sql;
    this.trino = trino;
  }
}

/** The stack's Trino server (FLOE_TEST_TRINO_URL from scripts/stack/env.sh). Throws when unset. */
export function trinoUrl(env: NodeJS.ProcessEnv = process.env): string {
  const url = env.FLOE_TEST_TRINO_URL;
  if (!url) {
    throw new Error(
      'FLOE_TEST_TRINO_URL is not set: Trino is not running. Run the tests with `npm test` (scripts/test.sh starts Trino for tests ' +
        'that use test/helpers/trino.ts), or: scripts/stack/setup.sh trino && scripts/stack/start.sh trino && source scripts/stack/env.sh',
    );
  }
  return url;
}

interface Page {
  id: string;
  nextUri?: string;
  columns?: TrinoColumn[];
  error?: { message?: string; errorName?: string; errorType?: string; errorCode?: number };
  updateType?: string;
  updateCount?: number;
  stats?: TrinoStats;
}

const RETRY_STATUSES = new Set([429, 502, 503, 504]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs one statement; returns its columns and canonical rows. */
export async function trinoQuery(sql: string, opts: TrinoOptions = {}): Promise<TrinoResult> {
  const url = opts.url ?? trinoUrl();
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const deadline = Date.now() + timeoutMs;
  const headers: Record<string, string> = {
    'X-Trino-User': 'floe',
    'X-Trino-Source': 'floe-tests',
    'X-Trino-Catalog': opts.catalog ?? 'floe',
    'X-Trino-Time-Zone': 'UTC',
    'X-Trino-Client-Capabilities': 'PARAMETRIC_DATETIME',
  };
  if (opts.schema) headers['X-Trino-Schema'] = opts.schema;
  if (opts.session)
    headers['X-Trino-Session'] = Object.entries(opts.session)
      .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
      .join(',');
  const short = sql.length > 300 ? `${sql.slice(0, 300)}…` : sql;

  let queryId = '';
  let nextUri: string | undefined;
  // one HTTP exchange, bounded by what is left of the deadline; retried on 429/50x
  const exchange = async (method: 'POST' | 'GET', target: string, body?: string): Promise<{ page: Page; data?: LosslessJson[] }> => {
    for (let attempt = 0; ; attempt++) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('deadline');
      const res = await fetch(target, { method, headers, body, signal: AbortSignal.timeout(left) });
      const text = await res.text();
      if (RETRY_STATUSES.has(res.status) && attempt < 50) {
        await sleep(Math.min(50 * 2 ** attempt, 1000));
        continue;
      }
      if (res.status !== 200) throw new TrinoError(`Trino answered HTTP ${res.status} to ${method} ${target} for: ${short}\n${text.slice(0, 2000)}`, sql);
      const page = JSON.parse(text) as Page;
      const data = text.includes('"data"') ? ((parseDataLossless(text) as Map<string, LosslessJson>).get('data') as LosslessJson[] | undefined) : undefined;
      return { page, data };
    }
  };

  const raw: LosslessJson[] = [];
  let last: Page | undefined;
  let columns: TrinoColumn[] = [];
  try {
    let step = await exchange('POST', `${url}/v1/statement`, sql);
    for (let pages = 0; ; pages++) {
      last = step.page;
      queryId = step.page.id;
      columns = step.page.columns ?? columns;
      if (step.data) raw.push(...step.data);
      if (step.page.error) break;
      nextUri = step.page.nextUri;
      if (!nextUri) break;
      if (pages > 100_000) throw new Error('too many pages');
      step = await exchange('GET', nextUri);
    }
  } catch (e) {
    if (e instanceof TrinoError) throw e;
    // cancel what is left of the query, then report
    if (nextUri) await fetch(nextUri, { method: 'DELETE', headers, signal: AbortSignal.timeout(5000) }).catch(() => {});
    const why = (e as Error).message === 'deadline' || (e as Error).name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : `failed: ${(e as Error).message}`;
    throw new TrinoError(`Trino query ${queryId || '(not started)'} ${why}: ${short}`, sql);
  }
  if (last?.error) {
    const err = last.error;
    throw new TrinoError(`Trino query ${queryId} failed (${err.errorName ?? err.errorType ?? 'error'}): ${err.message}\n  statement: ${short}`, sql, err);
  }
  const rows = raw.map((r) => {
    const row: Row = {};
    columns.forEach((c, i) => {
      row[c.name] = canonicalTrinoValue(c.typeSignature, (r as LosslessJson[])[i]);
    });
    return row;
  });
  return { queryId, columns, rows, updateType: last?.updateType, updateCount: last?.updateCount, stats: last?.stats };
}

/** Runs one statement; returns its rows (values canonical). */
export async function trino(sql: string, opts: TrinoOptions = {}): Promise<Row[]> {
  return (await trinoQuery(sql, opts)).rows;
}

/** A Trino catalog a test opened on floe's embedded SQLite catalog; drop() removes it from Trino. */
export interface TrinoCatalog {
  name: string;
  drop(): Promise<void>;
}

let catalogs = 0;

/**
 * Opens floe's embedded SQLite catalog (a SqlCatalog's file and local warehouse) as a new Trino
 * catalog: CREATE CATALOG with Iceberg's JDBC catalog (sqlite-jdbc is in the plugin folder) and
 * Trino's native local file system. `catalogName` is the catalog_name floe writes (default
 * "default"). uri: 'sqlite:////abs/path.db' or 'jdbc:sqlite:/abs/path.db'.
 */
export async function openTrinoSqlCatalog(c: { uri: string; warehouse: string; name?: string }, opts: TrinoOptions = {}): Promise<TrinoCatalog> {
  const jdbc = c.uri.startsWith('jdbc:') ? c.uri : `jdbc:sqlite:${c.uri.replace(/^sqlite:\/\/\//, '')}`;
  const name = `floe_sqlite_${process.pid}_${++catalogs}`;
  const props: Record<string, string> = {
    'iceberg.catalog.type': 'jdbc',
    'iceberg.jdbc-catalog.driver-class': 'org.sqlite.JDBC',
    'iceberg.jdbc-catalog.connection-url': jdbc,
    'iceberg.jdbc-catalog.catalog-name': c.name ?? 'default',
    'iceberg.jdbc-catalog.default-warehouse-dir': c.warehouse,
    'fs.native-local.enabled': 'true',
    'local.location': '/',
  };
  const withProps = Object.entries(props)
    .map(([k, v]) => `${trinoIdent(k)} = '${v.replace(/'/g, "''")}'`)
    .join(', ');
  await trinoQuery(`CREATE CATALOG ${name} USING iceberg WITH (${withProps})`, opts);
  const drop = async () => {
    await trinoQuery(`DROP CATALOG IF EXISTS ${name}`, opts);
  };
  return { name, drop };
}

/** A quoted Trino identifier: "name" with " doubled. */
export function trinoIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** floe.<namespace>.<table> quoted, for 'ns.table' (one-level namespaces). */
export function trinoTable(qualified: string, catalog = 'floe'): string {
  const dot = qualified.lastIndexOf('.');
  return [catalog, qualified.slice(0, dot), qualified.slice(dot + 1)].map(trinoIdent).join('.');
}
