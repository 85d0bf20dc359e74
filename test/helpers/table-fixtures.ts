// Shared pieces of the table conformance tests (test/conformance/table-*.test.ts): a catalog of
// either kind with what the independent readers need to open the same tables, the Python
// helpers (table_probe.py, check_partitions.py), and value helpers that say, independently of
// floe's code, what a reader must return for a value we wrote.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Catalog, TableIdentifier } from '../../src/catalog/catalog.ts';
import { RestCatalog } from '../../src/catalog/rest-catalog.ts';
import { SqlCatalog } from '../../src/catalog/sql-catalog.ts';
import { closeSharedFileIO } from '../../src/io/resolve-file-io.ts';
import { rng } from './rng.ts';
import { uniqueName } from './stack.ts';
import type { IcebergType, NestedField, Schema } from '../../src/iceberg/types.ts';

export type CatalogKind = 'rest' | 'sql';
export const CATALOG_KINDS: readonly CatalogKind[] = ['rest', 'sql'];

export interface S3Settings {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

/** How a Python reader opens the catalog (table_probe.py's and readers.ts's shape). */
export type ReaderCatalog = { type: 'rest'; uri: string; warehouse?: string; s3?: S3Settings } | { type: 'sql'; uri: string; warehouse: string; name?: string };

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

/**
 * A catalog of the given kind with a fresh namespace: REST = the stack's Iceberg REST server
 * (its warehouse on the stack's S3); SQL = our embedded SqlCatalog on a SQLite file and a local
 * warehouse folder in a temporary directory (removed by close()).
 */
export async function openTableEnv(kind: CatalogKind, prefix: string): Promise<TableEnv> {
  const nsName = uniqueName(prefix);
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
    // pyarrow's S3 client (AWS SDK for C++) sends CRC checksums that versitygw refuses on
    // CompleteMultipartUpload (HTTP 400); only PyIceberg's own writes need this.
    const env = { AWS_REQUEST_CHECKSUM_CALCULATION: 'when_required', AWS_RESPONSE_CHECKSUM_VALIDATION: 'when_required', ...process.env };
    const child = execFile(pythonBin(), [join(HELPERS, script)], { env, maxBuffer: 1 << 28, timeout: timeoutMs }, (err, stdout, stderr) => {
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
  | { op: 'append'; rows: Record<string, unknown>[] }
  | { op: 'delete'; row_filter: string }
  | { op: 'expire_all_but_current' }
  | { op: 'rollback'; snapshot_id: string };

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

// ---------------------------------------------------------------------------------------------
// Expected values in a neutral form: null, or a string per primitive (booleans "true"/"false",
// integers and decimals in decimal digits, floats as JS prints them with "NaN", "Infinity",
// "-Infinity", "-0"; dates "YYYY-MM-DD", times "HH:MM:SS.ffffff", timestamps
// "YYYY-MM-DDTHH:MM:SS.ffffff" (+ "+00:00" for timestamptz), uuids lower-case, bytes as hex);
// structs as objects, lists as arrays, maps as arrays of [key, value] pairs in written order.

export type Expected = null | string | Expected[] | { [k: string]: Expected };

export function floatString(x: number): string {
  if (Object.is(x, -0)) return '-0';
  return String(x);
}

// ---------------------------------------------------------------------------------------------
// The every-type table of table-types and table-metrics.

export const ALL_TYPES_SCHEMA: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'b', required: false, type: 'boolean' },
    { id: 3, name: 'i', required: false, type: 'int' },
    { id: 4, name: 'l', required: false, type: 'long' },
    { id: 5, name: 'f', required: false, type: 'float' },
    { id: 6, name: 'd', required: false, type: 'double' },
    { id: 7, name: 'dec9', required: false, type: 'decimal(9, 2)' },
    { id: 8, name: 'dec18', required: false, type: 'decimal(18, 4)' },
    { id: 9, name: 'dec38', required: false, type: 'decimal(38, 10)' },
    { id: 10, name: 'dt', required: false, type: 'date' },
    { id: 11, name: 'tm', required: false, type: 'time' },
    { id: 12, name: 'ts', required: false, type: 'timestamp' },
    { id: 13, name: 'tstz', required: false, type: 'timestamptz' },
    { id: 14, name: 's', required: false, type: 'string' },
    { id: 15, name: 'u', required: false, type: 'uuid' },
    { id: 16, name: 'fx', required: false, type: 'fixed[4]' },
    { id: 17, name: 'bin', required: false, type: 'binary' },
    {
      id: 18,
      name: 'st',
      required: false,
      type: {
        type: 'struct',
        fields: [
          { id: 19, name: 'a', required: false, type: 'int' },
          { id: 20, name: 'b', required: false, type: 'string' },
        ],
      },
    },
    { id: 21, name: 'll', required: false, type: { type: 'list', 'element-id': 22, element: 'long', 'element-required': false } },
    {
      id: 23,
      name: 'ls',
      required: false,
      type: {
        type: 'list',
        'element-id': 24,
        'element-required': false,
        element: {
          type: 'struct',
          fields: [
            { id: 25, name: 'x', required: false, type: 'double' },
            { id: 26, name: 'y', required: false, type: 'string' },
          ],
        },
      },
    },
    { id: 27, name: 'm', required: false, type: { type: 'map', 'key-id': 28, key: 'string', 'value-id': 29, value: 'double', 'value-required': false } },
    {
      id: 30,
      name: 'sl',
      required: false,
      type: {
        type: 'struct',
        fields: [
          { id: 31, name: 'name', required: true, type: 'string' },
          { id: 32, name: 'tags', required: false, type: { type: 'list', 'element-id': 33, element: 'string', 'element-required': true } },
        ],
      },
    },
    { id: 34, name: 'req_s', required: true, type: 'string' },
  ],
};

/** One generated cell: what we hand to appendRecords and what a reader must return. */
interface Cell {
  in: unknown;
  out: Expected;
}
const NULL: Cell = { in: null, out: null };

export interface GeneratedRow {
  record: Record<string, unknown>;
  expected: Record<string, Expected>;
}

const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;

const STRINGS = ['', 'a', 'héllo wörld', '日本語のテキスト', '🎉 party 🎉', '👩‍👩‍👧 family', 'tab\tnew\nline', 'quote " and \\ backslash', 'z'.repeat(40), 'ÿ'.repeat(20), '\u{10FFFF}'.repeat(3)];

function uuidFrom(r: () => number): string {
  const h = Array.from({ length: 32 }, () => Math.floor(r() * 16).toString(16)).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
function bytesFrom(r: () => number, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
}
function bigFrom(r: () => number, bits: number): bigint {
  let v = 0n;
  for (let i = 0; i < Math.ceil(bits / 16); i++) v = (v << 16n) | BigInt(Math.floor(r() * 65536));
  v &= (1n << BigInt(bits)) - 1n;
  return r() < 0.5 ? -v : v;
}

type ColumnGen = { specials: Cell[]; random: (r: () => number) => Cell };

function decimalGen(precision: number, scale: number, specials: Cell[]): ColumnGen {
  return {
    specials,
    random: (r) => {
      const limit = 10n ** BigInt(precision);
      let u = bigFrom(r, Math.min(126, Math.ceil(precision * 3.33))) % limit;
      if (r() < 0.3) u = u % 100000n;
      // Half as strings, half as the unscaled bigint.
      return r() < 0.5 ? { in: decimalString(u, scale), out: decimalString(u, scale) } : { in: u, out: decimalString(u, scale) };
    },
  };
}

function ts(s: string, tz: boolean): Cell {
  const m = /^(.*?)(Z|[+-]\d{2}:\d{2})?$/.exec(s)!;
  let micros = microsOf(m[1]);
  if (m[2] && m[2] !== 'Z') {
    const sign = m[2][0] === '-' ? -1n : 1n;
    const [hh, mm] = m[2].slice(1).split(':').map(BigInt);
    micros -= sign * (hh * 3600n + mm * 60n) * 1_000_000n;
  }
  return { in: s, out: timestampString(micros) + (tz ? '+00:00' : '') };
}

const GENS: Record<string, ColumnGen> = {
  b: { specials: [{ in: true, out: 'true' }, { in: false, out: 'false' }, NULL], random: (r) => (r() < 0.5 ? { in: true, out: 'true' } : { in: false, out: 'false' }) },
  i: {
    specials: [{ in: 0, out: '0' }, { in: -1, out: '-1' }, { in: 2147483647, out: '2147483647' }, { in: -2147483648, out: '-2147483648' }, NULL],
    random: (r) => {
      const v = Math.floor(r() * 4294967296) - 2147483648;
      return { in: v, out: String(v) };
    },
  },
  l: {
    specials: [
      { in: LONG_MAX, out: String(LONG_MAX) },
      { in: LONG_MIN, out: String(LONG_MIN) },
      { in: 2n ** 53n + 1n, out: String(2n ** 53n + 1n) },
      { in: -1, out: '-1' },
      { in: 0n, out: '0' },
      NULL,
    ],
    random: (r) => {
      const v = bigFrom(r, 63);
      return { in: v, out: String(v) };
    },
  },
  f: {
    specials: [
      { in: NaN, out: 'NaN' },
      { in: Infinity, out: 'Infinity' },
      { in: -Infinity, out: '-Infinity' },
      { in: -0, out: '-0' },
      { in: 0, out: '0' },
      { in: 0.1, out: floatString(Math.fround(0.1)) },
      { in: 3.4028234663852886e38, out: '3.4028234663852886e+38' },
      { in: 1.401298464324817e-45, out: '1.401298464324817e-45' },
      { in: -1.5, out: '-1.5' },
      NULL,
    ],
    random: (r) => {
      const v = Math.fround((r() - 0.5) * 2000);
      return { in: v, out: floatString(v) };
    },
  },
  d: {
    specials: [
      { in: NaN, out: 'NaN' },
      { in: Infinity, out: 'Infinity' },
      { in: -Infinity, out: '-Infinity' },
      { in: -0, out: '-0' },
      { in: 0.1, out: '0.1' },
      { in: 5e-324, out: '5e-324' },
      { in: 1.7976931348623157e308, out: '1.7976931348623157e+308' },
      { in: -1e-300, out: '-1e-300' },
      NULL,
    ],
    random: (r) => {
      const v = (r() - 0.5) * 1e6;
      return { in: v, out: floatString(v) };
    },
  },
  dec9: decimalGen(9, 2, [
    { in: '-9999999.99', out: '-9999999.99' },
    { in: '9999999.99', out: '9999999.99' },
    { in: '0', out: '0.00' },
    { in: '-0.01', out: '-0.01' },
    { in: 12.5, out: '12.50' },
    { in: 123n, out: '1.23' },
    NULL,
  ]),
  dec18: decimalGen(18, 4, [{ in: '-99999999999999.9999', out: '-99999999999999.9999' }, { in: '99999999999999.9999', out: '99999999999999.9999' }, { in: '-0.0001', out: '-0.0001' }, NULL]),
  dec38: decimalGen(38, 10, [
    { in: '-9999999999999999999999999999.9999999999', out: '-9999999999999999999999999999.9999999999' },
    { in: '9999999999999999999999999999.9999999999', out: '9999999999999999999999999999.9999999999' },
    { in: '-1234567890123456789.0123456789', out: '-1234567890123456789.0123456789' },
    { in: '0.0000000001', out: '0.0000000001' },
    NULL,
  ]),
  dt: {
    specials: [
      { in: '1970-01-01', out: '1970-01-01' },
      { in: '1969-12-31', out: '1969-12-31' },
      { in: '0001-01-01', out: '0001-01-01' },
      { in: '9999-12-31', out: '9999-12-31' },
      { in: '1900-02-28', out: '1900-02-28' },
      { in: '2024-02-29', out: '2024-02-29' },
      { in: -1000, out: dateString(-1000) },
      NULL,
    ],
    random: (r) => {
      const v = Math.floor((r() - 0.6) * 60000);
      return r() < 0.5 ? { in: v, out: dateString(v) } : { in: dateString(v), out: dateString(v) };
    },
  },
  tm: {
    specials: [{ in: '00:00:00', out: '00:00:00.000000' }, { in: '23:59:59.999999', out: '23:59:59.999999' }, { in: 1n, out: '00:00:00.000001' }, { in: '12:34:56.5', out: '12:34:56.500000' }, NULL],
    random: (r) => {
      const v = BigInt(Math.floor(r() * 86_400_000_000));
      return { in: v, out: timeString(v) };
    },
  },
  ts: {
    specials: [
      ts('1970-01-01T00:00:00', false),
      ts('1969-12-31T23:59:59.999999', false),
      ts('1900-01-01T00:00:00.000001', false),
      ts('0001-01-01T00:00:00', false),
      ts('2024-02-29T12:34:56.789012', false),
      ts('9999-12-31T23:59:59.999999', false),
      { in: -1n, out: timestampString(-1n) },
      NULL,
    ],
    random: (r) => {
      const v = bigFrom(r, 50) + 1_700_000_000_000_000n;
      return { in: v, out: timestampString(v) };
    },
  },
  tstz: {
    specials: [
      ts('2024-01-02T03:04:05.123456Z', true),
      ts('2024-01-02T03:04:05.123456+05:30', true),
      ts('1969-12-31T23:59:59.999999-01:00', true),
      ts('1800-06-15T12:00:00.000007Z', true),
      { in: new Date(Date.UTC(2001, 8, 9, 1, 46, 40, 123)), out: '2001-09-09T01:46:40.123000+00:00' },
      NULL,
    ],
    random: (r) => {
      const v = bigFrom(r, 52);
      return { in: v, out: timestampString(v) + '+00:00' };
    },
  },
  s: {
    specials: [...STRINGS.map((s) => ({ in: s, out: s })), NULL],
    random: (r) => {
      const s = Array.from({ length: Math.floor(r() * 24) }, () => String.fromCodePoint(r() < 0.8 ? 97 + Math.floor(r() * 26) : r() < 0.5 ? 0xe9 : 0x1f600 + Math.floor(r() * 50))).join('');
      return { in: s, out: s };
    },
  },
  u: {
    specials: [
      { in: '00000000-0000-0000-0000-000000000000', out: '00000000-0000-0000-0000-000000000000' },
      { in: 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF', out: 'ffffffff-ffff-ffff-ffff-ffffffffffff' },
      { in: fromHex('0102030405060708090a0b0c0d0e0f10'), out: '01020304-0506-0708-090a-0b0c0d0e0f10' },
      NULL,
    ],
    random: (r) => {
      const u = uuidFrom(r);
      return { in: u, out: u };
    },
  },
  fx: {
    specials: [{ in: fromHex('00000000'), out: '00000000' }, { in: fromHex('ffffffff'), out: 'ffffffff' }, NULL],
    random: (r) => {
      const b = bytesFrom(r, 4);
      return { in: b, out: hex(b) };
    },
  },
  bin: {
    specials: [{ in: new Uint8Array(0), out: '' }, { in: fromHex('00ff00'), out: '00ff00' }, { in: Buffer.from('ff'.repeat(20), 'hex'), out: 'ff'.repeat(20) }, NULL],
    random: (r) => {
      const b = bytesFrom(r, Math.floor(r() * 24));
      return { in: b, out: hex(b) };
    },
  },
  st: {
    specials: [
      { in: { a: 1, b: 'x' }, out: { a: '1', b: 'x' } },
      { in: { a: null, b: null }, out: { a: null, b: null } },
      { in: {}, out: { a: null, b: null } },
      { in: { a: -7, b: '' }, out: { a: '-7', b: '' } },
      NULL,
    ],
    random: (r) => {
      const a = Math.floor((r() - 0.5) * 1000);
      const b = r() < 0.2 ? null : `s${a}é`;
      return { in: { a, b }, out: { a: String(a), b } };
    },
  },
  ll: {
    specials: [{ in: [], out: [] }, { in: [null], out: [null] }, { in: [LONG_MIN, null, LONG_MAX, 0], out: [String(LONG_MIN), null, String(LONG_MAX), '0'] }, NULL],
    random: (r) => {
      const xs = Array.from({ length: Math.floor(r() * 5) }, () => bigFrom(r, 40));
      return { in: xs, out: xs.map(String) };
    },
  },
  ls: {
    specials: [
      { in: [], out: [] },
      { in: [null, { x: NaN, y: null }], out: [null, { x: 'NaN', y: null }] },
      {
        in: [
          { x: -0, y: '🙂' },
          { x: Infinity, y: '' },
        ],
        out: [
          { x: '-0', y: '🙂' },
          { x: 'Infinity', y: '' },
        ],
      },
      NULL,
    ],
    random: (r) => {
      const xs = Array.from({ length: Math.floor(r() * 4) }, (_, k) => ({ x: Math.round(r() * 1e6) / 64, y: `e${k}` }));
      return { in: xs, out: xs.map((e) => ({ x: floatString(e.x), y: e.y })) };
    },
  },
  m: {
    specials: [
      { in: new Map(), out: [] },
      {
        in: new Map([
          ['', 1.5],
          ['ключ', NaN],
          ['🔑', null],
        ]),
        out: [
          ['', '1.5'],
          ['ключ', 'NaN'],
          ['🔑', null],
        ],
      },
      {
        in: { a: -Infinity, b: 0 },
        out: [
          ['a', '-Infinity'],
          ['b', '0'],
        ],
      },
      NULL,
    ],
    random: (r) => {
      const n = Math.floor(r() * 4);
      const entries: [string, number][] = Array.from({ length: n }, (_, k) => [`k${k}`, Math.round(r() * 1e4) / 8]);
      return { in: new Map(entries), out: entries.map(([k, v]) => [k, floatString(v)]) };
    },
  },
  sl: {
    specials: [
      { in: { name: 'n', tags: [] }, out: { name: 'n', tags: [] } },
      { in: { name: '', tags: null }, out: { name: '', tags: null } },
      { in: { name: 'multi', tags: ['a', 'ü', '🎉'] }, out: { name: 'multi', tags: ['a', 'ü', '🎉'] } },
      NULL,
    ],
    random: (r) => {
      const tags = Array.from({ length: Math.floor(r() * 3) }, (_, k) => `t${k}`);
      const name = `n${Math.floor(r() * 100)}`;
      return { in: { name, tags }, out: { name, tags: [...tags] } };
    },
  },
  req_s: {
    specials: [
      { in: '', out: '' },
      { in: 'required ✓', out: 'required ✓' },
    ],
    random: (r) => {
      const s = `r${Math.floor(r() * 1e6)}`;
      return { in: s, out: s };
    },
  },
};

/**
 * Rows of the every-type table, ids from `firstId`. Row k of column c takes the column's
 * special values in turn (spread over the rows: k mod (specials + 3)), otherwise a random value
 * (null one time in six for optional columns).
 */
export function allTypesRows(firstId: number, count: number, seed: number): GeneratedRow[] {
  const r = rng(seed);
  const rows: GeneratedRow[] = [];
  for (let k = 0; k < count; k++) {
    const id = firstId + k;
    const record: Record<string, unknown> = { id: BigInt(id) };
    const expected: Record<string, Expected> = { id: String(id) };
    for (const f of ALL_TYPES_SCHEMA.fields) {
      if (f.name === 'id') continue;
      const g = GENS[f.name];
      const slot = id % (g.specials.length + 3);
      const cell = slot < g.specials.length ? g.specials[slot] : !f.required && r() < 1 / 6 ? NULL : g.random(r);
      if (cell.in === null && f.name !== 'req_s' && id % 2 === 0) {
        // Leave the key out instead of passing null: a missing optional field is null too.
        expected[f.name] = null;
        continue;
      }
      record[f.name] = cell.in;
      expected[f.name] = cell.out;
    }
    rows.push({ record, expected });
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Reading rows back (read_rows.py) and comparing them with what we wrote

export interface ReadResult {
  metadata_location: string;
  pyiceberg?: { columns: string[]; rows: unknown[][] };
  duckdb?: { columns: string[]; rows: unknown[][] };
}

export type Engine = 'pyiceberg' | 'duckdb';

/** Every row of the table as PyIceberg's scan and DuckDB's iceberg_scan return it, ordered by `orderBy`. */
export function readRows(env: TableEnv, table: string, engines: Engine[] = ['pyiceberg', 'duckdb'], orderBy = 'id'): Promise<ReadResult> {
  return runPythonHelper<ReadResult>('read_rows.py', { catalog: env.reader, table: env.qualified(table), order_by: orderBy, engines });
}

function pyFloat(s: string): string {
  if (s === 'nan') return 'NaN';
  if (s === 'inf') return 'Infinity';
  if (s === '-inf') return '-Infinity';
  return floatString(Number(s));
}

/** A value as read_rows.py renders it → the neutral Expected form (floats re-printed as JS prints them). */
export function normalizeRead(type: IcebergType, v: unknown): Expected {
  if (v === null || v === undefined) return null;
  if (typeof type === 'string') {
    if (type === 'float' || type === 'double') return pyFloat(String(v));
    return String(v);
  }
  if (type.type === 'struct') {
    const o = v as Record<string, unknown>;
    const out: Record<string, Expected> = {};
    for (const f of type.fields) out[f.name] = normalizeRead(f.type, o[f.name]);
    return out;
  }
  if (type.type === 'list') return (v as unknown[]).map((x) => normalizeRead(type.element, x));
  return (v as [unknown, unknown][]).map(([k, x]) => [normalizeRead(type.key, k), normalizeRead(type.value, x)]);
}

/**
 * Compares what an engine read with the expected rows (same order), value by value. Returns
 * a list of differences "engine row id=.. column ..: expected .. got ..", empty when equal.
 */
export function diffRows(
  engine: string,
  schema: Schema,
  read: { columns: string[]; rows: unknown[][] } | undefined,
  expected: Record<string, Expected>[],
  options: { max?: number; tolerate?: (field: NestedField, want: Expected, got: Expected) => boolean } = {},
): string[] {
  const max = options.max ?? 30;
  if (!read) return [`${engine}: no result`];
  const out: string[] = [];
  const names = schema.fields.map((f) => f.name);
  if (JSON.stringify(read.columns) !== JSON.stringify(names)) out.push(`${engine}: columns ${JSON.stringify(read.columns)}, expected ${JSON.stringify(names)}`);
  if (read.rows.length !== expected.length) out.push(`${engine}: ${read.rows.length} rows, expected ${expected.length}`);
  const n = Math.min(read.rows.length, expected.length);
  for (let i = 0; i < n && out.length < max; i++) {
    const row = read.rows[i];
    for (const f of schema.fields) {
      const idx = read.columns.indexOf(f.name);
      const got = idx < 0 ? undefined : normalizeRead(f.type, row[idx]);
      const want = expected[i][f.name] ?? null;
      if (JSON.stringify(got) !== JSON.stringify(want) && !options.tolerate?.(f, want, got ?? null)) {
        out.push(`${engine} row ${i} (id=${expected[i].id}) column ${f.name}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
      }
    }
  }
  return out;
}

/**
 * PyIceberg 0.12 reads a null list<struct<...>> as an empty list: its Arrow projection rebuilds
 * the list array without the validity bitmap (apache/iceberg-python#3833, open; the file itself
 * holds the null, which DuckDB and pyarrow read back). Tolerated for PyIceberg only.
 */
export function pyicebergNullListOfStruct(field: NestedField, want: Expected, got: Expected): boolean {
  const t = field.type;
  return typeof t === 'object' && t.type === 'list' && typeof t.element === 'object' && t.element.type === 'struct' && want === null && Array.isArray(got) && got.length === 0;
}
