// The test stack end to end, and the independent readers themselves: PyIceberg writes a table
// (make_table.py) through the REST catalog onto the S3 server, and through a SqlCatalog onto a
// local folder; readWithPyIceberg and readWithDuckDB must both return exactly the values written,
// in the canonical forms documented in test/helpers/read_table.py, and PyIceberg's view of files,
// metrics and snapshots must match what two appends produce.
// Needs the stack (s3, rest) and FLOE_TEST_PYTHON: run through `npm test`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stackEnv, stackS3, uniqueName } from '../helpers/stack.ts';
import { readWithDuckDB, readWithPyIceberg } from '../helpers/readers.ts';
import type { ReadOptions, Row, PyIcebergRead } from '../helpers/readers.ts';

const MAKE_TABLE = fileURLToPath(new URL('./make_table.py', import.meta.url));

function makeTable(opts: Omit<ReadOptions, 'sort'> & { partitioned?: boolean }): Promise<{ metadata_location: string }> {
  const env = stackEnv();
  return new Promise((resolve, reject) => {
    const child = spawn(env.python, [MAKE_TABLE], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`make_table.py exit ${code}\n${err}`))));
    child.stdin.end(JSON.stringify(opts));
  });
}

// What make_table.py writes, in the canonical forms (written out by hand from the rules, not
// computed by the readers). Keyed by id.
const EXPECTED: Record<string, Row> = {
  '-9223372036854775808': {
    id: '-9223372036854775808',
    flag: 'true',
    i32: '-2147483648',
    f32: '0.10000000149011612', // 0.1 rounded to float32, widened
    f64: '0.1',
    dec: '-12345678.90',
    day: '1970-01-01',
    tod: '00:00:00.000001',
    ts: '2024-02-29T23:59:59.999999',
    tstz: '2024-01-01T00:00:00.123456+00:00',
    name: 'ü€𝄞',
    uid: '0123e456-e89b-12d3-a456-426614174000',
    fix: '0001feff',
    bin: '',
    point: { x: '1', label: 'a' },
    longs: ['9007199254740993', null, '-1'],
    attrs: [
      ['k1', '1'],
      ['k2', null],
    ],
  },
  '9223372036854775807': {
    id: '9223372036854775807',
    flag: 'false',
    i32: '2147483647',
    f32: 'nan',
    f64: '-inf',
    dec: '0.05',
    day: '2024-12-31',
    tod: '23:59:59.999999',
    ts: '1969-12-31T23:59:59.000000',
    tstz: '2024-12-31T23:00:00.000000+00:00',
    name: '',
    uid: 'ffffffff-ffff-ffff-ffff-ffffffffffff',
    fix: '61626364',
    bin: 'deadbeef',
    point: null,
    longs: [],
    attrs: [],
  },
  '0': {
    id: '0',
    flag: null,
    i32: null,
    f32: '-0.0',
    f64: '1e+16',
    dec: null,
    day: null,
    tod: null,
    ts: null,
    tstz: null,
    name: null,
    uid: null,
    fix: null,
    bin: null,
    point: { x: null, label: null },
    longs: null,
    attrs: null,
  },
};

function byId(rows: Row[]): Record<string, Row> {
  const out: Record<string, Row> = {};
  for (const r of rows) {
    assert.equal(typeof r.id, 'string');
    assert.ok(!((r.id as string) in out), `duplicate id ${String(r.id)}`);
    out[r.id as string] = r;
  }
  return out;
}

function int64LE(v: bigint): string {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(v);
  return b.toString('hex');
}

function fieldId(read: PyIcebergRead, name: string): string {
  const f = (read.schema.fields as { id: number; name: string }[]).find((x) => x.name === name);
  assert.ok(f, `no field ${name} in schema`);
  return String(f.id);
}

/** Checks that hold for any table make_table.py wrote, whatever the catalog. */
function checkPyIcebergRead(read: PyIcebergRead, partitioned: boolean): void {
  assert.deepEqual(byId(read.rows), EXPECTED);
  assert.equal(read.format_version, 2);

  // two appends -> two snapshots, the second a child of the first, sequence numbers 1 and 2
  assert.equal(read.snapshots.length, 2);
  const [s1, s2] = read.snapshots;
  assert.ok(s1 && s2);
  assert.match(s1.snapshot_id, /^[1-9][0-9]*$/);
  assert.equal(s1.parent_id, null);
  assert.equal(s2.parent_id, s1.snapshot_id);
  assert.equal(read.current_snapshot_id, s2.snapshot_id);
  assert.deepEqual([s1.sequence_number, s2.sequence_number], [1, 2]);
  assert.equal(s1.summary.operation, 'append');
  assert.equal(s1.summary['added-records'], '2');
  assert.equal(s2.summary['total-records'], '3');

  // files: record counts add up to the rows; the file of the second append has seq 2
  const total = read.files.reduce((n, f) => n + f.record_count, 0);
  assert.equal(total, 3);
  for (const f of read.files) {
    assert.equal(f.content, 0);
    assert.equal(f.file_format, 'PARQUET');
    assert.ok(f.file_size_in_bytes > 0);
    assert.ok(f.snapshot_id === s1.snapshot_id || f.snapshot_id === s2.snapshot_id);
    assert.equal(f.sequence_number, f.snapshot_id === s1.snapshot_id ? 1 : 2);
  }

  // the id column's bounds: raw single-value bytes (8-byte little endian) and decoded value
  const id = fieldId(read, 'id');
  const lowers = read.files.map((f) => f.lower_bounds?.[id]);
  const uppers = read.files.map((f) => f.upper_bounds?.[id]);
  const minFile = read.files.findIndex((_, i) => lowers[i]?.value === '-9223372036854775808');
  assert.ok(minFile >= 0, 'a file has lower bound id = min long');
  assert.equal(lowers[minFile]?.hex, int64LE(-9223372036854775808n));
  const maxFile = read.files.findIndex((_, i) => uppers[i]?.value === '9223372036854775807');
  assert.ok(maxFile >= 0, 'a file has upper bound id = max long');
  assert.equal(uppers[maxFile]?.hex, int64LE(9223372036854775807n));
  // value and null counts of `name` add up to the rows / the one null
  const name = fieldId(read, 'name');
  assert.equal(
    read.files.reduce((n, f) => n + (f.value_counts?.[name] ?? 0), 0),
    3,
  );
  assert.equal(
    read.files.reduce((n, f) => n + (f.null_value_counts?.[name] ?? 0), 0),
    1,
  );

  if (!partitioned) {
    assert.equal(read.files.length, 2);
    assert.equal(read.partitions, undefined);
    for (const f of read.files) assert.deepEqual(f.partition, {});
  } else {
    // partitioned by identity(flag), day(tstz): one file per distinct (flag, day) per append
    const keys = read.files.map((f) => JSON.stringify(f.partition)).sort();
    assert.deepEqual(
      keys,
      [JSON.stringify({ flag: null, tstz_day: null }), JSON.stringify({ flag: 'false', tstz_day: '2024-12-31' }), JSON.stringify({ flag: 'true', tstz_day: '2024-01-01' })].sort(),
    );
    assert.ok(read.partitions);
    assert.equal(read.partitions.length, 3);
    for (const p of read.partitions) {
      assert.equal(p.record_count, 1);
      assert.equal(p.file_count, 1);
    }
  }
}

test('readers: PyIceberg-written table via the REST catalog on S3', async () => {
  const env = stackEnv();
  const table = `${uniqueName('stack')}.rest_types`;
  const opts = { catalog: { type: 'rest' as const, uri: env.restUri }, s3: stackS3(env), table };
  const made = await makeTable(opts);
  assert.match(made.metadata_location, new RegExp(`^s3://${env.s3Bucket}/`));

  const py = await readWithPyIceberg(opts);
  assert.equal(py.metadata_location, made.metadata_location);
  checkPyIcebergRead(py, false);
  for (const f of py.files) assert.ok(f.file_path.startsWith(`s3://${env.s3Bucket}/`), f.file_path);

  const duck = await readWithDuckDB(opts);
  assert.equal(duck.metadata_location, made.metadata_location);
  assert.deepEqual(duck.rows, py.rows);
});

test('readers: partitioned table via the REST catalog on S3', async () => {
  const env = stackEnv();
  const table = `${uniqueName('stack')}.rest_part`;
  const opts = { catalog: { type: 'rest' as const, uri: env.restUri }, s3: stackS3(env), table };
  await makeTable({ ...opts, partitioned: true });
  const py = await readWithPyIceberg(opts);
  checkPyIcebergRead(py, true);
  const duck = await readWithDuckDB(opts);
  assert.deepEqual(duck.rows, py.rows);
});

test('readers: PyIceberg-written table via a SqlCatalog on a local folder', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'floe-stack-sql-'));
  try {
    const opts = {
      catalog: { type: 'sql' as const, uri: `sqlite:///${join(dir, 'catalog.db')}`, warehouse: `file://${join(dir, 'wh')}` },
      table: `${uniqueName('stack')}.sql_types`,
    };
    const made = await makeTable(opts);
    assert.ok(made.metadata_location.startsWith(`file://${dir}/wh/`), made.metadata_location);
    const py = await readWithPyIceberg(opts);
    checkPyIcebergRead(py, false);
    const duck = await readWithDuckDB(opts);
    assert.deepEqual(duck.rows, py.rows);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('readers: a missing table is an error that names it', async () => {
  const env = stackEnv();
  const table = `${uniqueName('stack')}.absent`;
  await assert.rejects(
    readWithPyIceberg({ catalog: { type: 'rest', uri: env.restUri }, s3: stackS3(env), table }),
    (e: Error) => e.message.includes(table) && /NoSuch|does not exist|not found/i.test(e.message),
  );
});

test("stack: S3 server takes the AWS SDK's default (checksummed) writes and rejects a wrong secret", async () => {
  const env = stackEnv();
  const { S3Client, ListBucketsCommand, PutObjectCommand, GetObjectCommand, DeleteObjectCommand } = await import('@aws-sdk/client-s3');
  const good = new S3Client({
    endpoint: env.s3Endpoint,
    region: env.s3Region,
    forcePathStyle: true,
    credentials: { accessKeyId: env.s3AccessKey, secretAccessKey: env.s3SecretKey },
  });
  const list = await good.send(new ListBucketsCommand({}));
  assert.ok(list.Buckets?.some((b) => b.Name === env.s3Bucket));
  const key = `${uniqueName('stack')}/object.bin`;
  const body = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) & 0xff));
  await good.send(new PutObjectCommand({ Bucket: env.s3Bucket, Key: key, Body: body }));
  const got = await good.send(new GetObjectCommand({ Bucket: env.s3Bucket, Key: key }));
  assert.ok(got.Body);
  assert.deepEqual(Buffer.from(await got.Body.transformToByteArray()), body);
  await good.send(new DeleteObjectCommand({ Bucket: env.s3Bucket, Key: key }));
  const bad = new S3Client({
    endpoint: env.s3Endpoint,
    region: env.s3Region,
    forcePathStyle: true,
    credentials: { accessKeyId: env.s3AccessKey, secretAccessKey: `${env.s3SecretKey}-wrong` },
  });
  await assert.rejects(bad.send(new ListBucketsCommand({})));
});
