// Apache Spark, the engine floe's users run for table maintenance, on floe's tables: SQL
// statements in one local Spark session (test/helpers/spark_sql.py in the PySpark venv that
// `scripts/stack/setup.sh spark` builds; scripts/test.sh sets it up when a test imports this file).
//
//   const rows = await runSpark(sparkOptionsFor(env), [
//     `SELECT * FROM ${ns}.t ORDER BY id`,
//     `CALL system.rewrite_data_files(table => '${ns}.t', options => map('min-input-files', '2'))`,
//   ]);   // rows[i]: the rows statement i returned, values canonical (readers.ts's forms)
//
// The catalog is the session's default catalog, so statements name tables without it (`ns.t`,
// `CALL system.<procedure>(...)`) on both kinds. Its Spark name, for fully qualified names
// (sparkTable()): `floe` for the REST catalog; for the embedded SQLite catalog the catalog_name
// floe writes (`default` unless configured), because Iceberg's JdbcCatalog reads and writes the
// rows of the name Spark gives it (a `catalog-name` property does not change that).
//
// Values: boolean "true"/"false"; integers decimal strings; float the float32 widened, Python
// repr; double Python repr ("nan", "inf", "-inf", "-0.0"); decimal(p,s) with s digits; date
// "YYYY-MM-DD"; Iceberg timestamp "YYYY-MM-DDTHH:MM:SS.ffffff", timestamptz the same in UTC with
// "+00:00"; string as is (uuid: its lower-case string, Spark has no uuid type); fixed/binary
// lower-case hex; struct {name: value}; list [..]; map [[k, v], ...]; null null. Spark 3.5 cannot
// read Iceberg `time` columns at all.
//
// Each call starts one Spark JVM (local[2], 1 GB heap): about 4-5 s with the class-data-sharing
// archive setup builds, plus the statements. Group statements into few calls.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CanonicalValue, Row } from './readers.ts';

export type { CanonicalValue, Row };

export type SparkCatalog =
  | { type: 'rest'; uri: string; warehouse?: string }
  /** uri: 'sqlite:////abs/path.db' (or jdbc:sqlite:/abs/path.db), warehouse: 'file:///abs/dir'; name = floe's catalog_name (default "default"). */
  | { type: 'sql'; uri: string; warehouse: string; name?: string };

export interface SparkS3 {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  region: string;
}

export interface SparkOptions {
  catalog: SparkCatalog;
  /** S3 for the table files (the REST catalog's warehouse, or a SQL catalog on S3). */
  s3?: SparkS3;
  /** Extra Spark settings (spark.sql.catalog.<name>.* included). */
  conf?: Record<string, string>;
  /** Driver heap, default "1g". */
  driverMemory?: string;
  /** Whole call, default 300 s; the process group is killed after it. */
  timeoutMs?: number;
}

export interface SparkStatementResult {
  columns: string[];
  rows: Row[];
  /** Time the statement took inside the session. */
  seconds: number;
}

export interface SparkRun {
  results: SparkStatementResult[];
  /** Wall time of the call (JVM start and exit included). */
  seconds: number;
  /** spark_sql.py's stderr (its last line has the timings). */
  stderr: string;
}

/** A statement failed, or Spark did not start: the message carries Spark's error and stderr's tail. */
export class SparkError extends Error {
  readonly stderr: string;
  /** Results of the statements before the failing one. */
  readonly results: SparkStatementResult[];
  constructor(message: string, stderr: string, results: SparkStatementResult[]) {
    super(message);
    this.name = 'SparkError';
    this.stderr = stderr;
    this.results = results;
  }
}

export interface SparkEnv {
  /** Python of the PySpark venv. */
  python: string;
  /** Folder of the Iceberg jars (iceberg-spark-runtime, iceberg-aws-bundle, sqlite-jdbc). */
  jars: string;
}

const VARS: Record<keyof SparkEnv, string> = { python: 'FLOE_TEST_SPARK_PYTHON', jars: 'FLOE_TEST_SPARK_JARS' };

/** The Spark part of the stack's environment (scripts/stack/env.sh). Throws naming a missing variable. */
export function sparkEnv(env: NodeJS.ProcessEnv = process.env): SparkEnv {
  const out: Partial<SparkEnv> = {};
  for (const key of Object.keys(VARS) as (keyof SparkEnv)[]) {
    const value = env[VARS[key]];
    if (!value) {
      throw new Error(
        `${VARS[key]} is not set: Spark is not set up. Run the tests with \`npm test\` (scripts/test.sh sets up Spark for tests ` +
          'that use test/helpers/spark.ts), or: scripts/stack/setup.sh spark && source scripts/stack/env.sh',
      );
    }
    out[key] = value;
  }
  return out as SparkEnv;
}

/** The Spark catalog name statements can qualify tables with. */
export function sparkCatalogName(catalog: SparkCatalog): string {
  return catalog.type === 'sql' ? (catalog.name ?? 'default') : 'floe';
}

/** 'ns.t' → '<catalog>.ns.t' (backquoted when the catalog name is not a plain identifier). */
export function sparkTable(opts: SparkOptions, table: string): string {
  const name = sparkCatalogName(opts.catalog);
  return `${/^[a-z_][a-z0-9_]*$/i.test(name) ? name : `\`${name.replace(/`/g, '``')}\``}.${table}`;
}

/**
 * SparkOptions for a table-fixtures.ts TableEnv (its `reader` and `s3`). A readers.ts ReadOptions'
 * `catalog` and `s3` already have SparkOptions' shapes: `{ catalog: o.catalog, s3: o.s3 }`.
 */
export function sparkOptionsFor(env: {
  reader: { type: 'rest'; uri: string; warehouse?: string } | { type: 'sql'; uri: string; warehouse: string; name?: string };
  s3?: { endpoint: string; accessKeyId: string; secretAccessKey: string; region: string };
}): SparkOptions {
  const c = env.reader;
  const catalog: SparkCatalog = c.type === 'rest' ? { type: 'rest', uri: c.uri, warehouse: c.warehouse } : { type: 'sql', uri: c.uri, warehouse: c.warehouse, name: c.name };
  const s3 = env.s3 && { endpoint: env.s3.endpoint, accessKey: env.s3.accessKeyId, secretKey: env.s3.secretAccessKey, region: env.s3.region };
  return { catalog, s3 };
}

const SCRIPT = fileURLToPath(new URL('./spark_sql.py', import.meta.url));

/** Runs the statements in one Spark session; returns every statement's result with timings. */
export function runSparkDetailed(opts: SparkOptions, statements: string[]): Promise<SparkRun> {
  const { python, jars } = sparkEnv();
  const request = JSON.stringify({
    catalog: opts.catalog,
    s3: opts.s3,
    statements,
    conf: opts.conf,
    driverMemory: opts.driverMemory,
  });
  const started = performance.now();
  return new Promise((resolve, reject) => {
    // its own process group: a timeout kills the JVM with the Python that started it
    const child = spawn(python, [SCRIPT], {
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
      env: { ...process.env, FLOE_TEST_SPARK_JARS: jars },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timeoutMs = opts.timeoutMs ?? 300_000;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new SparkError(`cannot run ${python} ${SCRIPT}: ${e.message}`, '', []));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString('utf8');
      const results: SparkStatementResult[] = [];
      let parseError: string | undefined;
      for (const line of Buffer.concat(out).toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        try {
          results.push(JSON.parse(line) as SparkStatementResult);
        } catch (e) {
          parseError = `a line of output is not JSON (${(e as Error).message}): ${line.slice(0, 200)}`;
          break;
        }
      }
      const tail = stderr.length > 6000 ? `…${stderr.slice(-6000)}` : stderr;
      if (timedOut) {
        reject(new SparkError(`Spark timed out after ${timeoutMs} ms (${results.length} of ${statements.length} statements done)\n${tail}`, stderr, results));
      } else if (code !== 0) {
        // spark_sql.py's own message, else the last line
        const lines = stderr.split('\n');
        const at = lines.findIndex((l) => l.startsWith('spark_sql.py: statement ') || l.startsWith('spark_sql.py: cannot'));
        const what = at >= 0 ? lines.slice(at, at + 3).join('\n') : (lines.filter((l) => l.trim()).at(-1) ?? '');
        reject(new SparkError(`Spark failed (${signal ? `signal ${signal}` : `exit ${code}`}): ${what}\n--- stderr ---\n${tail}`, stderr, results));
      } else if (parseError || results.length !== statements.length) {
        reject(new SparkError(`Spark printed ${results.length} results for ${statements.length} statements${parseError ? `; ${parseError}` : ''}\n${tail}`, stderr, results));
      } else {
        resolve({ results, seconds: (performance.now() - started) / 1000, stderr });
      }
    });
    child.stdin.end(request);
  });
}

/** Runs the statements in one Spark session; returns the rows each statement returned. */
export async function runSpark(opts: SparkOptions, statements: string[]): Promise<Row[][]> {
  return (await runSparkDetailed(opts, statements)).results.map((r) => r.rows);
}
