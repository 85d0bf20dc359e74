// What the append API's tests share: an ingest file for either real catalog (the embedded SQLite
// one on a temp folder, or the stack's REST catalog on its S3), requests, and reading a table
// back with PyIceberg and DuckDB.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { stackEnv, stackS3 } from '../helpers/stack.ts';
import { readWithDuckDB, readWithPyIceberg } from '../helpers/readers.ts';
import type { ReaderCatalog, ReadOptions, Row } from '../helpers/readers.ts';

export type Kind = 'sql' | 'rest';

export interface ServeEnv {
  kind: Kind;
  dir: string;
  /** The ingest file's catalog part (YAML as JSON). */
  catalogYaml: Record<string, unknown>;
  reader: Pick<ReadOptions, 'catalog' | 's3'>;
  close(): Promise<void>;
}

/** A temp folder, and the catalog of that kind: embedded in dir/wh, or the stack's REST + S3. */
export async function serveEnv(kind: Kind): Promise<ServeEnv> {
  const dir = await mkdtemp(join(tmpdir(), `floe-ingest-${kind}-`));
  const close = () => rm(dir, { recursive: true, force: true });
  if (kind === 'sql') {
    const wh = join(dir, 'wh');
    const catalog: ReaderCatalog = { type: 'sql', uri: `sqlite:///${join(wh, 'catalog.db')}`, warehouse: pathToFileURL(wh).href, name: 'default' };
    return { kind, dir, catalogYaml: { warehouse: wh }, reader: { catalog }, close };
  }
  const env = stackEnv();
  const s3 = stackS3(env);
  const warehouse = process.env.FLOE_TEST_REST_WAREHOUSE || undefined;
  const properties = { 's3.endpoint': s3.endpoint, 's3.access-key-id': s3.accessKey, 's3.secret-access-key': s3.secretKey, 's3.region': s3.region, 's3.path-style-access': 'true' };
  return {
    kind,
    dir,
    catalogYaml: { catalog: { type: 'rest', uri: env.restUri, ...(warehouse ? { warehouse } : {}), properties } },
    reader: { catalog: { type: 'rest', uri: env.restUri, warehouse }, s3 },
    close,
  };
}

export interface Answer {
  status: number;
  body: Record<string, any>;
  headers: Headers;
}

/** POSTs rows (JSON text, or objects as a JSON array) to the append route. */
export async function append(url: string, table: string, rows: unknown, headers: Record<string, string> = {}, query = ''): Promise<Answer> {
  const body = typeof rows === 'string' || rows instanceof Uint8Array ? rows : JSON.stringify(rows);
  const res = await fetch(`${url}/v1/tables/${table}/append${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  let parsed: Record<string, any>;
  try {
    parsed = JSON.parse(text) as Record<string, any>;
  } catch {
    parsed = { text };
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** The table's rows as PyIceberg and DuckDB read them (each sorted), with PyIceberg's snapshots. */
export async function readBoth(env: ServeEnv, table: string, columns?: string[]): Promise<{ pyiceberg: Row[]; duckdb: Row[]; snapshots: number; properties: Record<string, string> }> {
  const opts = { ...env.reader, table, columns };
  const py = await readWithPyIceberg(opts);
  const duck = await readWithDuckDB({ ...env.reader, table });
  return { pyiceberg: py.rows, duckdb: duck.rows, snapshots: py.snapshots.length, properties: py.properties };
}
