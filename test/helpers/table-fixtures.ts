// Shared pieces of the table conformance tests (test/conformance/table-*.test.ts): a catalog of
// either kind with what the independent readers need to open the same tables, the Python
// helpers (table_probe.py, check_partitions.py), and value helpers that say, independently of
// floe's code, what a reader must return for a value we wrote.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { randomBytes } from 'node:crypto';
import type { Catalog, TableIdentifier } from '../../src/catalog/catalog.ts';
import { RestCatalog } from '../../src/catalog/rest-catalog.ts';
import { SqlCatalog } from '../../src/catalog/sql-catalog.ts';
import { closeSharedFileIO } from '../../src/io/resolve-file-io.ts';

export type CatalogKind = 'rest' | 'sql';
export const CATALOG_KINDS: readonly CatalogKind[] = ['rest', 'sql'];

export interface S3Settings {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

/** How a Python reader opens the catalog (table_probe.py's and readers.ts's shape). */
export type ReaderCatalog =
  | { type: 'rest'; uri: string; warehouse?: string; s3?: S3Settings }
  | { type: 'sql'; uri: string; warehouse: string; name?: string };

export interface TableEnv {
  kind: CatalogKind;
  catalog: Catalog;
  reader: ReaderCatalog;
  s3?: S3Settings;
  /** A namespace of its own, created. */
  namespace: string[];
  id(name: string): TableIdentifier;
  /** "ns.name" as the readers take it. */
  qualified(name: string): string;
  close(): Promise<void>;
}

function requireEnv(name: string, what: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: ${what} (start the test stack: scripts/stack/start.sh, then eval "$(bash scripts/stack/env.sh)")`);
  return v;
}

export function pythonBin(): string {
  return requireEnv('FLOE_TEST_PYTHON', 'a Python with pyiceberg[pyarrow,sql-sqlite]==0.12.* and duckdb');
}

export function s3Settings(): S3Settings {
  return {
    endpoint: requireEnv('FLOE_TEST_S3_ENDPOINT', 'the S3 endpoint'),
    accessKeyId: requireEnv('FLOE_TEST_S3_ACCESS_KEY', 'the S3 access key'),
    secretAccessKey: requireEnv('FLOE_TEST_S3_SECRET_KEY', 'the S3 secret key'),
    region: process.env.FLOE_TEST_S3_REGION || 'us-east-1',
  };
}

/** FileIO properties in Iceberg's names for the stack's S3. */
export function s3Properties(s3: S3Settings): Record<string, string> {
  const p: Record<string, string> = {
    's3.endpoint': s3.endpoint,
    's3.access-key-id': s3.accessKeyId,
    's3.secret-access-key': s3.secretAccessKey,
    's3.region': s3.region,
    's3.path-style-access': 'true',
  };
  if (process.env.FLOE_TEST_S3_CHECKSUM) p['s3.checksum-calculation'] = process.env.FLOE_TEST_S3_CHECKSUM;
  return p;
}

export function uniqueNamespace(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

/**
 * A catalog of the given kind with a fresh namespace: REST = the stack's Iceberg REST server
 * (its warehouse on the stack's S3); SQL = our embedded SqlCatalog on a SQLite file and a local
 * warehouse folder in a temporary directory (removed by close()).
 */
export async function openTableEnv(kind: CatalogKind, prefix: string): Promise<TableEnv> {
  const nsName = uniqueNamespace(prefix);
  const namespace = [nsName];
  const base = {
    kind,
    namespace,
    id: (name: string): TableIdentifier => ({ namespace, name }),
    qualified: (name: string): string => `${nsName}.${name}`,
  };
  if (kind === 'sql') {
    const dir = await mkdtemp(join(tmpdir(), `floe-${prefix}-`));
    const db = join(dir, 'catalog.db');
    const warehouse = pathToFileURL(join(dir, 'warehouse')).href;
    const catalog = new SqlCatalog({ name: 'default', uri: db, warehouse });
    await catalog.createNamespace(namespace);
    return {
      ...base,
      catalog,
      reader: { type: 'sql', uri: `sqlite:///${db}`, warehouse, name: 'default' },
      async close() {
        await catalog.close?.();
        if (!process.env.FLOE_TEST_KEEP) await rm(dir, { recursive: true, force: true });
      },
    };
  }
  const uri = requireEnv('FLOE_TEST_REST_URI', 'the Iceberg REST catalog');
  const warehouse = process.env.FLOE_TEST_REST_WAREHOUSE || undefined;
  const s3 = s3Settings();
  const catalog = new RestCatalog({ uri, warehouse, properties: s3Properties(s3) });
  await catalog.createNamespace(namespace);
  return {
    ...base,
    catalog,
    s3,
    reader: { type: 'rest', uri, warehouse, s3 },
    async close() {
      for (const t of await catalog.listTables(namespace).catch(() => [])) await catalog.dropTable(t, true).catch(() => {});
      await catalog.close?.();
      await closeSharedFileIO();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Python helpers

const HELPERS = fileURLToPath(new URL('.', import.meta.url));

/** Runs test/helpers/<script> with `request` as JSON on stdin; returns its JSON answer. */
export function runPythonHelper<T = any>(script: string, request: unknown, timeoutMs = 120_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = execFile(pythonBin(), [join(HELPERS, script)], { maxBuffer: 1 << 28, timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`${script} failed: ${err.message}\n${stderr.slice(-4000)}`));
        return;
      }
      try {
        resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as T);
      } catch (e) {
        reject(new Error(`${script} printed no JSON: ${(e as Error).message}\n${stdout.slice(-2000)}\n${stderr.slice(-2000)}`));
      }
    });
    child.stdin!.end(JSON.stringify(request, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
  });
}

export interface ProbeFile {
  content: number;
  file_path: string;
  spec_id: number;
  partition: Record<string, string | boolean | null>;
  record_count: string;
  file_size_in_bytes: string;
  value_counts: Record<string, string> | null;
  null_value_counts: Record<string, string> | null;
  nan_value_counts: Record<string, string> | null;
  lower_bounds: Record<string, string | null> | null;
  upper_bounds: Record<string, string | null> | null;
}
export interface ProbeEntry {
  status: number;
  snapshot_id: string | null;
  sequence_number: string | null;
  file_sequence_number: string | null;
  file_path: string;
  record_count: string;
}
export interface ProbeSnapshot {
  snapshot_id: string;
  parent_id: string | null;
  sequence_number: string | null;
  timestamp_ms: string;
  operation: string | null;
  summary: Record<string, string>;
  manifest_list: string;
}
export interface ProbeManifest {
  path: string;
  spec_id: number;
  content: number;
  sequence_number: string | null;
  min_sequence_number: string | null;
  added_snapshot_id: string | null;
  added_files: number;
  existing_files: number;
  deleted_files: number;
}

export type ProbeOp =
  | { op: 'files' }
  | { op: 'entries' }
  | { op: 'snapshots' }
  | { op: 'manifests' }
  | { op: 'ids'; row_filter?: string; column: string }
  | { op: 'create'; schema: unknown; partition_by?: { source: string; transform: string; name: string }[]; properties?: Record<string, string> }
  | { op: 'append'; rows: Record<string, unknown>[] };

/** Runs table_probe.py ops against one table; one result per op. */
export async function probe(env: TableEnv, table: string, ops: ProbeOp[]): Promise<any[]> {
  const out = await runPythonHelper<{ results: any[] }>('table_probe.py', { catalog: env.reader, table: env.qualified(table), ops });
  return out.results;
}

// ---------------------------------------------------------------------------------------------
// Independent value helpers (no floe code): what a value we wrote must read back as.

const pad = (n: number | bigint, w: number): string => String(n).padStart(w, '0');

/** Days since 1970-01-01 → "YYYY-MM-DD" (proleptic Gregorian, years 1..9999). */
export function dateString(days: number): string {
  const d = new Date(0);
  d.setUTCFullYear(1970, 0, 1 + days);
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}`;
}

/** "YYYY-MM-DD" → days since 1970-01-01. */
export function daysOf(s: string): number {
  const [y, m, d] = s.split('-').map(Number);
  const t = new Date(0);
  t.setUTCFullYear(y, m - 1, d);
  return Math.round(t.getTime() / 86_400_000);
}

const floorDiv = (a: bigint, b: bigint): bigint => (a >= 0n ? a / b : -((-a + b - 1n) / b));

/** Microseconds since the epoch → "YYYY-MM-DDTHH:MM:SS.ffffff". */
export function timestampString(micros: bigint): string {
  const days = floorDiv(micros, 86_400_000_000n);
  const rest = micros - days * 86_400_000_000n;
  return `${dateString(Number(days))}T${timeString(rest)}`;
}

/** Microseconds since midnight → "HH:MM:SS.ffffff". */
export function timeString(micros: bigint): string {
  const s = micros / 1_000_000n;
  return `${pad(s / 3600n, 2)}:${pad((s / 60n) % 60n, 2)}:${pad(s % 60n, 2)}.${pad(micros % 1_000_000n, 6)}`;
}

/** "YYYY-MM-DDTHH:MM:SS[.ffffff]" (no offset) → micros since the epoch. */
export function microsOf(s: string): bigint {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/.exec(s);
  if (!m) throw new Error(`bad timestamp ${s}`);
  const secs = BigInt(daysOf(m[1])) * 86400n + BigInt(+m[2] * 3600 + +m[3] * 60 + +m[4]);
  return secs * 1_000_000n + BigInt((m[5] ?? '').padEnd(6, '0'));
}

/** An unscaled decimal → its string with exactly `scale` fraction digits. */
export function decimalString(unscaled: bigint, scale: number): string {
  const neg = unscaled < 0n;
  const digits = (neg ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const s = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return neg ? `-${s}` : s;
}

/** "-12.30" with at most `scale` fraction digits → unscaled bigint. */
export function unscaledOf(s: string, scale: number): bigint {
  const neg = s.startsWith('-');
  const [i, f = ''] = (neg ? s.slice(1) : s).split('.');
  const u = BigInt(i + f.padEnd(scale, '0'));
  return neg ? -u : u;
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export function fromHex(h: string): Uint8Array {
  return new Uint8Array(Buffer.from(h, 'hex'));
}

/** Deterministic pseudo-random numbers in [0, 1). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
