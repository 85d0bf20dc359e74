// Partitioned writes judged by PyIceberg's own transforms: one table per transform and source
// type (identity, bucket[N], truncate[W], year/month/day/hour incl. pre-1970, void) plus
// multi-field specs. test/helpers/check_partitions.py reads every data file with pyarrow, applies
// PyIceberg's transform to the source column of every row and compares with the file's partition
// value in the manifest; it also renders the partition path PyIceberg would use, which the file's
// location must contain (e.g. ts_day=2024-01-02). All rows must read back (PyIceberg for every
// table; PyIceberg and DuckDB value by value for a few). The SQL catalog holds every table; the
// REST catalog (S3) a multi-field spec and a bucket(uuid) table. Needs the test stack.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendRecords } from '../../src/writer/fanout-writer.ts';
import { buildPartitionSpec } from '../../src/iceberg/partition-spec.ts';
import type { Schema } from '../../src/iceberg/types.ts';
import { dateString, decimalString, diffRows, fromHex, openTableEnv, readRows, runPythonHelper, timestampString } from '../helpers/table-fixtures.ts';
import { rng } from '../helpers/rng.ts';
import type { Expected, GeneratedRow, TableEnv } from '../helpers/table-fixtures.ts';

const SCHEMA: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 's', required: false, type: 'string' },
    { id: 3, name: 'i', required: false, type: 'int' },
    { id: 4, name: 'l', required: false, type: 'long' },
    { id: 5, name: 'dt', required: false, type: 'date' },
    { id: 6, name: 'b', required: false, type: 'boolean' },
    { id: 7, name: 'dec', required: false, type: 'decimal(10, 2)' },
    { id: 8, name: 'u', required: false, type: 'uuid' },
    { id: 9, name: 'bin', required: false, type: 'binary' },
    { id: 10, name: 'ts', required: false, type: 'timestamp' },
    { id: 11, name: 'tstz', required: false, type: 'timestamptz' },
  ],
};

/** Partition expressions by table name. */
const SPECS: Record<string, string[]> = {
  identity_s: ['s'],
  identity_i: ['i'],
  identity_l: ['l'],
  identity_dt: ['dt'],
  identity_b: ['b'],
  identity_dec: ['dec'],
  bucket_i: ['bucket(16, i)'],
  bucket_l: ['bucket(8, l)'],
  bucket_s: ['bucket(16, s)'],
  bucket_u: ['bucket(4, u)'],
  bucket_bin: ['bucket(8, bin)'],
  bucket_dec: ['bucket(5, dec)'],
  bucket_dt: ['bucket(7, dt)'],
  bucket_ts: ['bucket(16, ts)'],
  truncate_i: ['truncate(10, i)'],
  truncate_l: ['truncate(100, l)'],
  truncate_s: ['truncate(3, s)'],
  truncate_bin: ['truncate(2, bin)'],
  truncate_dec: ['truncate(50, dec)'],
  year_dt: ['year(dt)'],
  month_dt: ['month(dt)'],
  day_dt: ['day(dt)'],
  year_ts: ['year(ts)'],
  month_ts: ['month(ts)'],
  day_ts: ['day(ts)'],
  hour_ts: ['hour(ts)'],
  year_tstz: ['year(tstz)'],
  month_tstz: ['month(tstz)'],
  day_tstz: ['day(tstz)'],
  hour_tstz: ['hour(tstz)'],
  void_s: ['void(s)'],
  multi: ['day(ts)', 'bucket(16, l)', 'truncate(2, s)', 'b', 'month(tstz)'],
};

const STRINGS = ['', 'a', 'abc', 'abcdef', 'héllo', '日本語テキスト', '🎉🎊🎈🎁', 'a b/c=d%e?f&g', 'Ünïcödé', 'x+y', 'null'];

/** Rows with repeats (so partitions hold several rows), nulls, negatives and pre-1970 instants. */
function rows(count: number, seed: number): GeneratedRow[] {
  const r = rng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
  const out: GeneratedRow[] = [];
  for (let k = 0; k < count; k++) {
    const nul = () => r() < 0.1;
    const record: Record<string, unknown> = { id: BigInt(k) };
    const expected: Record<string, Expected> = { id: String(k) };
    const put = (name: string, v: unknown, e: Expected) => {
      record[name] = v;
      expected[name] = e;
    };
    if (nul()) put('s', null, null);
    else {
      const s = pick(STRINGS);
      put('s', s, s);
    }
    // The most negative ints/longs are left out: truncate(W) of them is below the type's range,
    // where Java wraps around (truncate(10, -2^31) = 2147483646, which floe follows) and
    // PyIceberg returns an out-of-range Python int; the judge cannot agree with Java there.
    if (nul()) put('i', null, null);
    else {
      const i = pick([0, -1, 1, 9, 10, -10, -11, 2147483647, -2147483640, Math.floor((r() - 0.5) * 1000)]);
      put('i', i, String(i));
    }
    if (nul()) put('l', null, null);
    else {
      const l = pick([0n, -1n, 99n, 100n, -100n, -101n, 2n ** 63n - 1n, -(2n ** 63n) + 8n, BigInt(Math.floor((r() - 0.5) * 1e6))]);
      put('l', l, String(l));
    }
    if (nul()) put('dt', null, null);
    else {
      const d = pick([0, -1, -365, -366, 19723, 19724, 31, -719162, Math.floor((r() - 0.5) * 40000)]);
      put('dt', d, dateString(d));
    }
    if (nul()) put('b', null, null);
    else {
      const b = r() < 0.5;
      put('b', b, String(b));
    }
    // (-99999999.99 would truncate(50) to -100000000.00, which decimal(10,2) cannot hold: Java's
    // manifest writer refuses it too, so it is left out.)
    if (nul()) put('dec', null, null);
    else {
      const u = pick([0n, -1n, 1n, 49n, 50n, -50n, -51n, 9999999999n, -9999999950n, BigInt(Math.floor((r() - 0.5) * 1e7))]);
      put('dec', decimalString(u, 2), decimalString(u, 2));
    }
    if (nul()) put('u', null, null);
    else {
      const u = pick(['00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', 'f79c3e09-677c-4bbd-a479-3f349cb785e7', '123e4567-e89b-12d3-a456-426614174000']);
      put('u', u, u);
    }
    if (nul()) put('bin', null, null);
    else {
      const h = pick(['', '00', '0001', 'ff', 'ffff00', '00010203040506', 'deadbeef']);
      put('bin', fromHex(h), h);
    }
    if (nul()) put('ts', null, null);
    else {
      const base = pick([0n, -1n, 1n, -3_600_000_000n, 1_704_153_845_123_456n, -86_400_000_001n, -2_208_988_800_000_000n, 1_704_067_200_000_000n]);
      const ts = base + (r() < 0.3 ? BigInt(Math.floor(r() * 3.6e9)) : 0n);
      put('ts', ts, timestampString(ts));
    }
    if (nul()) put('tstz', null, null);
    else {
      const base = pick([0n, -1n, 1_704_153_845_123_456n, -62_135_596_800_000_000n, -1_000_000_000_000_001n]);
      const ts = base + (r() < 0.3 ? BigInt(Math.floor(r() * 8.64e10)) : 0n);
      put('tstz', ts, timestampString(ts) + '+00:00');
    }
    out.push({ record, expected });
  }
  return out;
}

interface PartitionReport {
  tables: Record<
    string,
    {
      files: { path: string; spec_id: number; rows: number; partition: (string | null)[]; expected_dir: string; mismatches: unknown[] }[];
      checked: number;
      ids: string[];
    }
  >;
}

async function createAndFill(env: TableEnv, names: string[], data: GeneratedRow[]): Promise<void> {
  for (const name of names) {
    const { spec } = buildPartitionSpec(SCHEMA, SPECS[name]);
    await env.catalog.createTable(env.id(name), { schema: SCHEMA, partitionSpec: spec });
    // The multi-field table gets two appends, so partitions span commits too.
    const half = name === 'multi' ? Math.floor(data.length / 2) : data.length;
    await appendRecords(
      env.catalog,
      env.id(name),
      data.slice(0, half).map((r) => r.record),
    );
    if (half < data.length)
      await appendRecords(
        env.catalog,
        env.id(name),
        data.slice(half).map((r) => r.record),
      );
  }
}

function judge(report: PartitionReport, env: TableEnv, names: string[], data: GeneratedRow[]): void {
  const problems: string[] = [];
  for (const name of names) {
    const t = report.tables[env.qualified(name)];
    assert.ok(t, `no report for ${name}`);
    const fields = SPECS[name].length;
    if (t.checked !== data.length * fields) problems.push(`${name}: checked ${t.checked} values, expected ${data.length * fields}`);
    let rowsInFiles = 0;
    for (const f of t.files) {
      rowsInFiles += f.rows;
      for (const m of f.mismatches) problems.push(`${name}: ${f.path}: ${JSON.stringify(m)}`);
      const dir = f.path.slice(0, f.path.lastIndexOf('/'));
      if (!dir.endsWith(`/data/${f.expected_dir}`)) problems.push(`${name}: file ${f.path} is not under data/${f.expected_dir}`);
    }
    if (rowsInFiles !== data.length) problems.push(`${name}: files hold ${rowsInFiles} rows, expected ${data.length}`);
    const ids = data.map((r) => r.expected.id as string);
    if (JSON.stringify(t.ids) !== JSON.stringify(ids)) problems.push(`${name}: PyIceberg read ids ${t.ids.length} ≠ written ${ids.length}`);
  }
  assert.deepEqual(problems, [], problems.join('\n'));
}

test('every transform: partition values equal PyIceberg transforms of each row, paths as PyIceberg renders them (sql catalog)', async () => {
  const env = await openTableEnv('sql', 'parts');
  try {
    const data = rows(60, 42);
    const names = Object.keys(SPECS);
    await createAndFill(env, names, data);
    const report = await runPythonHelper<PartitionReport>('check_partitions.py', { catalog: env.reader, tables: names.map((n) => env.qualified(n)) }, 300_000);
    judge(report, env, names, data);
    // Sanity of the judge itself: the partitions really split the data.
    assert.ok(report.tables[env.qualified('identity_s')].files.length >= STRINGS.length);
    assert.ok(
      report.tables[env.qualified('hour_ts')].files.some((f) => f.partition[0] !== null && Number(f.partition[0]) < 0),
      'no pre-1970 hour partition',
    );
    assert.ok(report.tables[env.qualified('void_s')].files.every((f) => f.partition[0] === null));
    const expected = data.map((r) => r.expected);
    for (const name of ['multi', 'truncate_s', 'bucket_u']) {
      const read = await readRows(env, name);
      const diffs = [...diffRows('pyiceberg', SCHEMA, read.pyiceberg, expected), ...diffRows('duckdb', SCHEMA, read.duckdb, expected)];
      assert.deepEqual(diffs, [], `${name}:\n${diffs.join('\n')}`);
    }
  } finally {
    await env.close();
  }
});

test('multi-field spec and bucket(uuid) on the REST catalog (S3)', async () => {
  const env = await openTableEnv('rest', 'parts');
  try {
    const data = rows(40, 7);
    const names = ['multi', 'bucket_u', 'day_tstz'];
    await createAndFill(env, names, data);
    const report = await runPythonHelper<PartitionReport>('check_partitions.py', { catalog: env.reader, tables: names.map((n) => env.qualified(n)) }, 300_000);
    judge(report, env, names, data);
    const read = await readRows(env, 'multi');
    const expected = data.map((r) => r.expected);
    const diffs = [...diffRows('pyiceberg', SCHEMA, read.pyiceberg, expected), ...diffRows('duckdb', SCHEMA, read.duckdb, expected)];
    assert.deepEqual(diffs, [], diffs.join('\n'));
  } finally {
    await env.close();
  }
});
