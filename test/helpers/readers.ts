// Independent judges: read an Iceberg table with PyIceberg or with DuckDB's iceberg extension,
// through test/helpers/read_table.py in the stack's Python (FLOE_TEST_PYTHON).
//
// Every value comes back in a canonical, lossless string form chosen by its Iceberg type, the same
// for both readers, so tests compare value by value (see read_table.py's docstring for the table):
//   boolean "true"/"false"; int/long decimal string; float -> float32 widened, Python repr;
//   double Python repr ("nan", "inf", "-inf", "-0.0"); decimal(p,s) fixed point with s digits;
//   date "YYYY-MM-DD"; time "HH:MM:SS.ffffff"; timestamp "YYYY-MM-DDTHH:MM:SS.ffffff";
//   timestamptz the same in UTC with "+00:00"; string as is; uuid canonical lower case;
//   fixed/binary lower-case hex; struct {name: value}; list [..]; map [[k, v], ...]; null null.
// Rows are sorted by their canonical JSON text unless `sort: false`.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { stackEnv } from './stack.ts';

export type ReaderCatalog =
  | { type: 'rest'; uri: string; warehouse?: string; name?: string }
  /** uri: 'sqlite:////abs/path.db', warehouse: 'file:///abs/dir'; name = catalog_name (default "default"). */
  | { type: 'sql'; uri: string; warehouse: string; name?: string };

export interface ReaderS3 {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  region: string;
}

export interface ReadOptions {
  catalog: ReaderCatalog;
  /** 'namespace.table' (nested namespaces: 'a.b.table'). */
  table: string;
  s3?: ReaderS3;
  /** Sort rows by canonical JSON (default true). */
  sort?: boolean;
  /** PyIceberg only: read just these columns (scan selected_fields; default all). */
  columns?: string[];
  /** PyIceberg only: read just the rows matching this PyIceberg filter expression, e.g. "_kafka_partition IN (1, 4)". */
  rowFilter?: string;
  /** Python to run; default FLOE_TEST_PYTHON. */
  python?: string;
  timeoutMs?: number;
}

/** A canonical value: string for every primitive, object for struct, array for list, [k, v][] for map. */
export type CanonicalValue = string | null | CanonicalValue[] | { [name: string]: CanonicalValue };
export type Row = Record<string, CanonicalValue>;

export interface Bound {
  /** The raw single-value serialisation, lower-case hex. */
  hex: string;
  /** PyIceberg's decoding of it, canonical. */
  value?: CanonicalValue;
  /** Set when PyIceberg could not decode the bytes. */
  error?: string;
}

export interface FileInfo {
  content: number;
  file_path: string;
  file_format: string;
  spec_id: number;
  record_count: number;
  file_size_in_bytes: number;
  column_sizes: Record<string, number> | null;
  value_counts: Record<string, number> | null;
  null_value_counts: Record<string, number> | null;
  nan_value_counts: Record<string, number> | null;
  lower_bounds: Record<string, Bound> | null;
  upper_bounds: Record<string, Bound> | null;
  partition: Record<string, CanonicalValue>;
  split_offsets: number[] | null;
  sort_order_id: number | null;
  sequence_number: number | null;
  file_sequence_number: number | null;
  snapshot_id: string | null;
}

export interface SnapshotInfo {
  snapshot_id: string;
  parent_id: string | null;
  sequence_number: number | null;
  timestamp_ms: number;
  schema_id: number | null;
  manifest_list: string;
  summary: Record<string, string>;
}

export interface PyIcebergRead {
  metadata_location: string;
  format_version: number;
  table_uuid: string;
  current_snapshot_id: string | null;
  properties: Record<string, string>;
  partition_specs: unknown[];
  sort_orders: unknown[];
  /** The current schema as Iceberg JSON (PyIceberg's serialisation). */
  schema: { type: 'struct'; 'schema-id': number; fields: unknown[]; 'identifier-field-ids'?: number[] };
  rows: Row[];
  files: FileInfo[];
  snapshots: SnapshotInfo[];
  /** Partitioned tables only: live data files grouped by partition. */
  partitions?: { partition: Record<string, CanonicalValue>; spec_id: number; record_count: number; file_count: number }[];
}

export interface DuckDBRead {
  metadata_location: string;
  rows: Row[];
}

const SCRIPT = fileURLToPath(new URL('./read_table.py', import.meta.url));

function run(reader: 'pyiceberg' | 'duckdb', opts: ReadOptions): Promise<unknown> {
  const python = opts.python ?? stackEnv().python;
  const input = JSON.stringify({
    reader,
    catalog: opts.catalog,
    table: opts.table,
    s3: opts.s3,
    sort: opts.sort ?? true,
    columns: opts.columns,
    row_filter: opts.rowFilter,
  });
  return new Promise((resolve, reject) => {
    const child = spawn(python, [SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${python} ${SCRIPT}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString('utf8');
      if (code !== 0) {
        const last = stderr.trim().split('\n').slice(-1)[0] ?? '';
        reject(new Error(`${reader} read of ${opts.table} failed (${signal ? `signal ${signal}` : `exit ${code}`}): ${last}\n${stderr}`));
        return;
      }
      try {
        resolve(JSON.parse(Buffer.concat(out).toString('utf8')));
      } catch (e) {
        reject(new Error(`${reader} read of ${opts.table}: output is not JSON: ${(e as Error).message}\n${stderr}`));
      }
    });
    child.stdin.end(input);
  });
}

/** Reads the table with PyIceberg: rows, schema, live files with metrics, snapshots. */
export function readWithPyIceberg(opts: ReadOptions): Promise<PyIcebergRead> {
  return run('pyiceberg', opts) as Promise<PyIcebergRead>;
}

/** Reads the table's current snapshot with DuckDB's iceberg_scan (metadata location via PyIceberg). */
export function readWithDuckDB(opts: ReadOptions): Promise<DuckDBRead> {
  return run('duckdb', opts) as Promise<DuckDBRead>;
}
