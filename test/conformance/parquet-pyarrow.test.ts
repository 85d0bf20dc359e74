// Files our Parquet encoder writes, judged by PyArrow:
//  - the values read back equal what we appended, value by value, for every Iceberg type
//    (flat and nested, nulls, empty lists and maps, NaN);
//  - Iceberg field ids sit on every field of the Parquet schema, list elements and map
//    keys/values included;
//  - logical types are the spec's (timestamp with and without UTC adjustment, time not
//    adjusted, UUID, decimal precision/scale on INT32/INT64/FIXED, date, string);
//  - our metrics (column sizes, value counts, null counts) agree with the footer as PyArrow
//    reads it, and split offsets are the row groups' starting positions.
// Needs FLOE_TEST_PYTHON: a Python with pyarrow (scripts/stack/setup.sh makes one).
// Fails, not skips, when it is missing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordBatchBuilder } from '../../src/batch/record-batch.ts';
import { encodeParquet } from '../../src/parquet/encode.ts';
import type { EncodeOptions } from '../../src/parquet/encode.ts';
import type { Schema } from '../../src/iceberg/types.ts';

const python = process.env.FLOE_TEST_PYTHON;
if (!python) throw new Error('FLOE_TEST_PYTHON is not set: point it at a python with pyarrow (scripts/stack/setup.sh creates one)');

const PY = String.raw`
import json, sys, math, datetime, decimal, uuid
import pyarrow as pa
import pyarrow.parquet as pq

def enc(v):
    if v is None or isinstance(v, (bool, str)): return v
    if isinstance(v, int): return v if abs(v) <= 2**53 else {"int": str(v)}
    if isinstance(v, float): return "NaN" if v != v else ("Infinity" if v == math.inf else "-Infinity" if v == -math.inf else v)
    if isinstance(v, decimal.Decimal): return str(v)
    if isinstance(v, (bytes, bytearray)): return {"hex": bytes(v).hex()}
    if isinstance(v, uuid.UUID): return str(v)
    if isinstance(v, datetime.datetime):
        return {"ts": v.isoformat(timespec="microseconds")}
    if isinstance(v, datetime.time): return v.isoformat(timespec="microseconds")
    if isinstance(v, datetime.date): return v.isoformat()
    if isinstance(v, dict): return {k: enc(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)): return [enc(x) for x in v]
    raise TypeError(type(v))

def ids(field):
    out = {"name": field.name, "id": (field.metadata or {}).get(b"PARQUET:field_id", b"").decode() or None}
    t = field.type
    if pa.types.is_struct(t): out["children"] = [ids(t.field(i)) for i in range(t.num_fields)]
    elif pa.types.is_map(t): out["children"] = [ids(t.key_field), ids(t.item_field)]
    elif pa.types.is_list(t) or pa.types.is_large_list(t): out["children"] = [ids(t.value_field)]
    return out

path = sys.argv[1]
pf = pq.ParquetFile(path)
md = pf.metadata
arrow_schema = pf.schema.to_arrow_schema()
columns = []
for i in range(md.num_columns):
    c = pf.schema.column(i)
    lt = c.logical_type
    columns.append({"path": c.path, "physical": c.physical_type, "logical": str(lt), "logical_type": lt.type,
                    "max_def": c.max_definition_level, "max_rep": c.max_repetition_level, "length": c.length})
chunks = []
for g in range(md.num_row_groups):
    rg = md.row_group(g)
    for i in range(rg.num_columns):
        cc = rg.column(i)
        st = cc.statistics
        start = cc.dictionary_page_offset if cc.has_dictionary_page else cc.data_page_offset
        chunks.append({"group": g, "path": cc.path_in_schema, "num_values": cc.num_values,
                       "compressed": cc.total_compressed_size, "null_count": st.null_count if st is not None and st.has_null_count else None,
                       "start": start})
print(json.dumps({
    "num_rows": md.num_rows,
    "row_groups": md.num_row_groups,
    "created_by": md.created_by,
    "ids": [ids(f) for f in arrow_schema],
    "columns": columns,
    "chunks": chunks,
    "rows": enc(pf.read().to_pylist()),
}))
`;

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'floe-parquet-pyarrow-'));
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface PyOut {
  num_rows: number;
  row_groups: number;
  created_by: string;
  ids: IdNode[];
  columns: { path: string; physical: string; logical: string; logical_type: string; max_def: number; max_rep: number; length: number }[];
  chunks: { group: number; path: string; num_values: number; compressed: number; null_count: number | null; start: number }[];
  rows: Record<string, unknown>[];
}
interface IdNode {
  name: string;
  id: string | null;
  children?: IdNode[];
}

function writeAndRead(schema: Schema, records: Record<string, unknown>[], options?: EncodeOptions) {
  const b = new RecordBatchBuilder(schema, 'conformance.t');
  for (const r of records) b.append(r);
  const { bytes, metrics } = encodeParquet(schema, b.finish(), options);
  const file = join(dir, `f${Math.random().toString(36).slice(2)}.parquet`);
  writeFileSync(file, bytes);
  const r = spawnSync(python!, ['-c', PY, file], { encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, `pyarrow failed: ${r.stderr}`);
  return { out: JSON.parse(r.stdout) as PyOut, metrics, bytes };
}

const schema: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'b', required: false, type: 'boolean' },
    { id: 2, name: 'i', required: true, type: 'int' },
    { id: 3, name: 'l', required: false, type: 'long' },
    { id: 4, name: 'f', required: false, type: 'float' },
    { id: 5, name: 'd', required: false, type: 'double' },
    { id: 6, name: 'dt', required: false, type: 'date' },
    { id: 7, name: 'tm', required: false, type: 'time' },
    { id: 8, name: 'ts', required: false, type: 'timestamp' },
    { id: 9, name: 'tz', required: false, type: 'timestamptz' },
    { id: 10, name: 's', required: false, type: 'string' },
    { id: 11, name: 'u', required: false, type: 'uuid' },
    { id: 12, name: 'fx', required: false, type: 'fixed[4]' },
    { id: 13, name: 'bin', required: false, type: 'binary' },
    { id: 14, name: 'd9', required: false, type: 'decimal(9, 2)' },
    { id: 15, name: 'd18', required: false, type: 'decimal(18, 4)' },
    { id: 16, name: 'd38', required: false, type: 'decimal(38, 10)' },
    {
      id: 17,
      name: 'st',
      required: false,
      type: {
        type: 'struct',
        fields: [
          { id: 18, name: 'x', required: true, type: 'long' },
          { id: 19, name: 'inner', required: false, type: { type: 'struct', fields: [{ id: 20, name: 'z', required: false, type: 'string' }] } },
        ],
      },
    },
    { id: 21, name: 'tags', required: false, type: { type: 'list', 'element-id': 22, element: 'string', 'element-required': false } },
    {
      id: 23,
      name: 'props',
      required: false,
      type: { type: 'map', 'key-id': 24, key: 'string', 'value-id': 25, value: 'double', 'value-required': false },
    },
    {
      id: 26,
      name: 'items',
      required: false,
      type: {
        type: 'list',
        'element-id': 27,
        'element-required': true,
        element: {
          type: 'struct',
          fields: [
            { id: 28, name: 'sku', required: true, type: 'string' },
            {
              id: 29,
              name: 'attrs',
              required: false,
              type: { type: 'map', 'key-id': 30, key: 'int', 'value-id': 31, value: { type: 'list', 'element-id': 32, element: 'int', 'element-required': false }, 'value-required': true },
            },
          ],
        },
      },
    },
  ],
};

const hex = (s: string) => ({ hex: s });

/** A record and what PyArrow should hand back for it. */
function row(i: number): { rec: Record<string, unknown>; expect: Record<string, unknown> } {
  const nul = i % 7 === 6;
  const sign = i % 2 ? -1 : 1;
  const micros = 1700000000123456 + i * 1000001;
  const isoMicros = (us: number, tz: boolean) => {
    const d = new Date(Math.floor(us / 1000));
    const base = d.toISOString().slice(0, 19);
    return `${base}.${String(us % 1000000).padStart(6, '0')}${tz ? '+00:00' : ''}`;
  };
  const uuid = `${((i * 2654435761) >>> 0).toString(16).padStart(8, '0')}-0000-4000-8000-${String(i).padStart(12, '0')}`;
  const rec: Record<string, unknown> = {
    b: nul ? null : i % 3 === 0,
    i: sign * i * 1000,
    l: nul ? null : BigInt(sign) * (2n ** 62n + BigInt(i)),
    f: nul ? null : i === 2 ? NaN : i + 0.25,
    d: nul ? null : i === 3 ? NaN : i === 4 ? -Infinity : sign * i * 1.125,
    dt: nul ? null : `20${String(10 + (i % 20)).padStart(2, '0')}-0${1 + (i % 9)}-1${i % 10}`,
    tm: nul ? null : `1${i % 10}:3${i % 10}:0${i % 10}.${String(i).padStart(6, '0')}`,
    ts: nul ? null : micros,
    tz: nul ? null : new Date(Math.floor(micros / 1000)),
    s: nul ? null : i % 5 === 0 ? '' : `str ${i % 4} ünïcödé 🌍`,
    u: nul ? null : uuid,
    fx: nul ? null : Uint8Array.of(i, 0, 255, i * 3),
    bin: nul ? null : Uint8Array.from({ length: i % 6 }, (_, k) => (k * 37 + i) & 255),
    d9: nul ? null : `${sign * i * 13}.${String(i % 100).padStart(2, '0')}`,
    d18: nul ? null : BigInt(sign) * (10n ** 17n + BigInt(i)),
    d38: nul ? null : `${sign < 0 ? '-' : ''}${'9'.repeat(27)}${i % 10}.0000000001`,
    st: i % 4 === 3 ? null : { x: BigInt(i), inner: i % 3 === 0 ? null : { z: i % 2 ? `z${i}` : null } },
    tags: i % 5 === 4 ? null : Array.from({ length: i % 4 }, (_, k) => (k === 2 ? null : `t${k}`)),
    props: i % 6 === 5 ? null : Object.fromEntries(Array.from({ length: i % 3 }, (_, k) => [`p${k}`, k === 1 ? null : k + i / 2])),
    items:
      i % 8 === 7
        ? null
        : Array.from({ length: i % 3 }, (_, k) => ({
            sku: `sku-${i}-${k}`,
            attrs: k === 1 ? null : new Map([[k, Array.from({ length: i % 3 }, (_, j) => (j === 1 ? null : j * k))]]),
          })),
  };
  const dec = (u: bigint, scale: number) => {
    const neg = u < 0n;
    let s = (neg ? -u : u).toString().padStart(scale + 1, '0');
    s = `${s.slice(0, s.length - scale)}.${s.slice(s.length - scale)}`;
    return neg ? `-${s}` : s;
  };
  const expect: Record<string, unknown> = {
    b: rec.b,
    i: rec.i,
    l: rec.l === null ? null : { int: String(rec.l) },
    f: rec.f === null ? null : Number.isNaN(rec.f) ? 'NaN' : rec.f,
    d: rec.d === null ? null : Number.isNaN(rec.d) ? 'NaN' : rec.d === -Infinity ? '-Infinity' : rec.d,
    dt: rec.dt,
    tm: rec.tm,
    ts: nul ? null : { ts: isoMicros(micros, false) },
    tz: nul ? null : { ts: isoMicros(Math.floor(micros / 1000) * 1000, true) },
    s: rec.s,
    u: rec.u,
    fx: nul ? null : hex(Buffer.from(rec.fx as Uint8Array).toString('hex')),
    bin: nul ? null : hex(Buffer.from(rec.bin as Uint8Array).toString('hex')),
    d9: rec.d9 === null ? null : dec(BigInt(Math.round(Number(rec.d9) * 100)), 2),
    d18: rec.d18 === null ? null : dec(rec.d18 as bigint, 4),
    d38: rec.d38,
    st: rec.st === null ? null : { x: i, inner: (rec.st as { inner: unknown }).inner },
    tags: rec.tags,
    props: rec.props === null ? null : Object.entries(rec.props as object),
    items: rec.items === null ? null : (rec.items as { sku: string; attrs: Map<number, unknown> | null }[]).map((it) => ({ sku: it.sku, attrs: it.attrs === null ? null : [...it.attrs] })),
  };
  return { rec, expect };
}

/** JSON-able form (bigints as text; every value here is at most 2^53 otherwise). */
function normalize(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? Number(x) : x)));
}

test('values, field ids, logical types and metrics as PyArrow sees them', () => {
  const n = 120;
  const rows = Array.from({ length: n }, (_, i) => row(i));
  const { out, metrics, bytes } = writeAndRead(
    schema,
    rows.map((r) => r.rec),
    { rowGroupRows: 50 },
  );

  // values, row by row
  assert.equal(out.num_rows, n);
  assert.equal(out.row_groups, 3);
  const got = out.rows.map((r) => normalize(r));
  const want = rows.map((r) => normalize(r.expect));
  for (let i = 0; i < n; i++) assert.deepEqual(got[i], want[i], `row ${i}`);

  // field ids on every level
  const want_ids = (node: IdNode): unknown => ({ name: node.name, id: node.id, children: node.children?.map(want_ids) });
  const ids = JSON.parse(JSON.stringify(out.ids.map(want_ids)));
  assert.deepEqual(
    ids,
    [
      { name: 'b', id: '1' },
      { name: 'i', id: '2' },
      { name: 'l', id: '3' },
      { name: 'f', id: '4' },
      { name: 'd', id: '5' },
      { name: 'dt', id: '6' },
      { name: 'tm', id: '7' },
      { name: 'ts', id: '8' },
      { name: 'tz', id: '9' },
      { name: 's', id: '10' },
      { name: 'u', id: '11' },
      { name: 'fx', id: '12' },
      { name: 'bin', id: '13' },
      { name: 'd9', id: '14' },
      { name: 'd18', id: '15' },
      { name: 'd38', id: '16' },
      {
        name: 'st',
        id: '17',
        children: [
          { name: 'x', id: '18' },
          { name: 'inner', id: '19', children: [{ name: 'z', id: '20' }] },
        ],
      },
      { name: 'tags', id: '21', children: [{ name: 'element', id: '22' }] },
      {
        name: 'props',
        id: '23',
        children: [
          { name: 'key', id: '24' },
          { name: 'value', id: '25' },
        ],
      },
      {
        name: 'items',
        id: '26',
        children: [
          {
            name: 'element',
            id: '27',
            children: [
              { name: 'sku', id: '28' },
              {
                name: 'attrs',
                id: '29',
                children: [
                  { name: 'key', id: '30' },
                  { name: 'value', id: '31', children: [{ name: 'element', id: '32' }] },
                ],
              },
            ],
          },
        ],
      },
    ].map((x) => JSON.parse(JSON.stringify(x))),
  );

  // logical and physical types
  const col = (p: string) => out.columns.find((c) => c.path === p)!;
  assert.match(col('ts').logical, /^Timestamp\(isAdjustedToUTC=false, timeUnit=microseconds/);
  assert.match(col('tz').logical, /^Timestamp\(isAdjustedToUTC=true, timeUnit=microseconds/);
  assert.equal(col('tm').logical, 'Time(isAdjustedToUTC=false, timeUnit=microseconds)');
  assert.equal(col('ts').physical, 'INT64');
  assert.equal(col('dt').logical, 'Date');
  assert.equal(col('dt').physical, 'INT32');
  assert.equal(col('s').logical, 'String');
  assert.equal(col('u').logical_type, 'UUID');
  assert.equal(col('u').physical, 'FIXED_LEN_BYTE_ARRAY');
  assert.equal(col('u').length, 16);
  assert.equal(col('fx').physical, 'FIXED_LEN_BYTE_ARRAY');
  assert.equal(col('fx').length, 4);
  assert.equal(col('bin').physical, 'BYTE_ARRAY');
  assert.equal(col('d9').logical, 'Decimal(precision=9, scale=2)');
  assert.equal(col('d9').physical, 'INT32');
  assert.equal(col('d18').logical, 'Decimal(precision=18, scale=4)');
  assert.equal(col('d18').physical, 'INT64');
  assert.equal(col('d38').logical, 'Decimal(precision=38, scale=10)');
  assert.equal(col('d38').physical, 'FIXED_LEN_BYTE_ARRAY');
  assert.equal(col('d38').length, 16);
  assert.equal(col('tags.list.element').max_rep, 1);
  assert.equal(col('items.list.element.attrs.key_value.value.list.element').max_rep, 3);

  // metrics against the footer
  const leafIds = new Map<string, number>([
    ['b', 1],
    ['i', 2],
    ['l', 3],
    ['f', 4],
    ['d', 5],
    ['dt', 6],
    ['tm', 7],
    ['ts', 8],
    ['tz', 9],
    ['s', 10],
    ['u', 11],
    ['fx', 12],
    ['bin', 13],
    ['d9', 14],
    ['d18', 15],
    ['d38', 16],
    ['st.x', 18],
    ['st.inner.z', 20],
    ['tags.list.element', 22],
    ['props.key_value.key', 24],
    ['props.key_value.value', 25],
    ['items.list.element.sku', 28],
    ['items.list.element.attrs.key_value.key', 30],
    ['items.list.element.attrs.key_value.value.list.element', 32],
  ]);
  assert.equal(out.columns.length, leafIds.size);
  const sums = new Map<number, { size: number; values: number; nulls: number }>();
  for (const ch of out.chunks) {
    const id = leafIds.get(ch.path)!;
    assert.ok(id !== undefined, ch.path);
    const s = sums.get(id) ?? { size: 0, values: 0, nulls: 0 };
    s.size += ch.compressed;
    s.values += ch.num_values;
    s.nulls += ch.null_count!;
    sums.set(id, s);
  }
  for (const [id, s] of sums) {
    assert.equal(metrics['column-sizes'].get(id), s.size, `column size of ${id}`);
    assert.equal(metrics['value-counts'].get(id), s.values, `value count of ${id}`);
    assert.equal(metrics['null-value-counts'].get(id), s.nulls, `null count of ${id}`);
  }
  assert.deepEqual(
    metrics['split-offsets'],
    out.chunks.filter((c) => c.path === 'b').map((c) => c.start),
  );
  assert.equal(metrics['record-count'], n);
  assert.ok(bytes.length > 0);
  assert.match(out.created_by, /^floe/);
});

test('an empty batch is a valid file', () => {
  const { out, metrics } = writeAndRead(schema, []);
  assert.equal(out.num_rows, 0);
  assert.deepEqual(out.rows, []);
  assert.equal(metrics['record-count'], 0);
});

test('high-cardinality strings (plain), booleans and many pages', () => {
  const s: Schema = {
    type: 'struct',
    'schema-id': 0,
    fields: [
      { id: 1, name: 'k', required: true, type: 'string' },
      { id: 2, name: 'flag', required: false, type: 'boolean' },
      { id: 3, name: 'n', required: false, type: 'long' },
    ],
  };
  const n = 20000;
  const recs = Array.from({ length: n }, (_, i) => ({ k: `key-${i}-${'x'.repeat(i % 13)}`, flag: i % 11 === 0 ? null : i % 3 === 0, n: i % 17 === 0 ? null : i * 3 }));
  const { out, metrics } = writeAndRead(s, recs, { pageBytes: 4096, compression: 'snappy' });
  assert.deepEqual(out.rows, recs);
  assert.equal(metrics['null-value-counts'].get(2), recs.filter((r) => r.flag === null).length);
  assert.equal(metrics['null-value-counts'].get(3), recs.filter((r) => r.n === null).length);
});
