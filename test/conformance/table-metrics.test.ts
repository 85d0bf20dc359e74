// Data-file metrics as an independent reader sees them: PyIceberg's inspect.files() for every
// file floe wrote (record count, value/null/NaN counts per field id, lower/upper bounds in
// Iceberg's single-value binary form, strings and binary truncated to 16 with the upper bound
// incremented) against the same numbers computed here from the rows that were written, with
// nothing from floe's code. Then PyIceberg's row filters, which prune files with those bounds,
// must return exactly the matching rows; and the snapshot summaries (added/total records,
// files, sizes) after several appends. Embedded SqlCatalog. Needs FLOE_TEST_PYTHON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendRecords } from '../../src/writer/fanout-writer.ts';
import type { IcebergType, NestedField } from '../../src/iceberg/types.ts';
import { ALL_TYPES_SCHEMA, allTypesRows, daysOf, hex, microsOf, openTableEnv, probe, unscaledOf } from '../helpers/table-fixtures.ts';
import type { Expected, GeneratedRow, ProbeFile, ProbeSnapshot } from '../helpers/table-fixtures.ts';

// ---------------------------------------------------------------------------------------------
// Iceberg's single-value serialization, written here from the spec (Appendix D).

function le(bytes: number, write: (v: DataView) => void): string {
  const b = new Uint8Array(bytes);
  write(new DataView(b.buffer));
  return hex(b);
}

function minimalTwosComplement(v: bigint): string {
  let n = 1;
  while (v < -(1n << BigInt(8 * n - 1)) || v >= 1n << BigInt(8 * n - 1)) n++;
  const u = v < 0n ? (1n << BigInt(8 * n)) + v : v;
  return u.toString(16).padStart(2 * n, '0');
}

function decimalScale(t: string): number {
  return Number(/decimal\(\d+,\s*(\d+)\)/.exec(t)![1]);
}

function timeMicros(s: string): bigint {
  const [h, m, rest] = s.split(':');
  const [sec, frac] = rest.split('.');
  return (BigInt(h) * 3600n + BigInt(m) * 60n + BigInt(sec)) * 1_000_000n + BigInt(frac);
}

/** A primitive value (in the neutral Expected form) → its single-value bytes as hex. */
function serialize(t: string, v: string): string {
  if (t === 'boolean') return v === 'true' ? '01' : '00';
  if (t === 'int') return le(4, (d) => d.setInt32(0, Number(v), true));
  if (t === 'date') return le(4, (d) => d.setInt32(0, daysOf(v), true));
  if (t === 'long') return le(8, (d) => d.setBigInt64(0, BigInt(v), true));
  if (t === 'time') return le(8, (d) => d.setBigInt64(0, timeMicros(v), true));
  if (t === 'timestamp') return le(8, (d) => d.setBigInt64(0, microsOf(v), true));
  if (t === 'timestamptz') return le(8, (d) => d.setBigInt64(0, microsOf(v.replace(/\+00:00$/, '')), true));
  if (t === 'float') return le(4, (d) => d.setFloat32(0, Number(v), true));
  if (t === 'double') return le(8, (d) => d.setFloat64(0, Number(v), true));
  if (t.startsWith('decimal')) return minimalTwosComplement(unscaledOf(v, decimalScale(t)));
  if (t === 'string') return Buffer.from(v, 'utf8').toString('hex');
  if (t === 'uuid') return v.replace(/-/g, '');
  return v; // fixed, binary: already hex
}

/** Ordering of two values of one primitive type as Iceberg compares them. */
function compare(t: string, a: string, b: string): number {
  if (t === 'float' || t === 'double') {
    const x = Number(a),
      y = Number(b);
    if (x === 0 && y === 0) return (Object.is(x, -0) ? 0 : 1) - (Object.is(y, -0) ? 0 : 1);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (t === 'boolean' || t === 'int' || t === 'long' || t === 'date') {
    const x = t === 'date' ? BigInt(daysOf(a)) : BigInt(a === 'true' ? 1 : a === 'false' ? 0 : a);
    const y = t === 'date' ? BigInt(daysOf(b)) : BigInt(b === 'true' ? 1 : b === 'false' ? 0 : b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (t.startsWith('decimal')) {
    const s = decimalScale(t);
    const x = unscaledOf(a, s),
      y = unscaledOf(b, s);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (t === 'time' || t === 'timestamp' || t === 'timestamptz') {
    const f = t === 'time' ? timeMicros : (s: string) => microsOf(s.replace(/\+00:00$/, ''));
    const x = f(a),
      y = f(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  // strings compare by UTF-8 bytes (= code points), binary/fixed/uuid unsigned bytewise
  const x = t === 'string' ? Buffer.from(a, 'utf8') : Buffer.from(serialize(t, a), 'hex');
  const y = t === 'string' ? Buffer.from(b, 'utf8') : Buffer.from(serialize(t, b), 'hex');
  return Buffer.compare(x, y);
}

/** Lower bound of a string truncated to 16 code points. */
function truncStringLower(s: string): string {
  return [...s].slice(0, 16).join('');
}
/** Upper bound: truncated, then the last code point that can be incremented is (the rest dropped). */
function truncStringUpper(s: string): string | undefined {
  const cps = [...s].map((c) => c.codePointAt(0)!);
  if (cps.length <= 16) return s;
  const kept = cps.slice(0, 16);
  for (let i = kept.length - 1; i >= 0; i--) {
    let next = kept[i] + 1;
    if (next >= 0xd800 && next <= 0xdfff) next = 0xe000;
    if (next <= 0x10ffff) return String.fromCodePoint(...kept.slice(0, i), next);
  }
  return undefined;
}
function truncBinaryLower(h: string): string {
  return h.slice(0, 32);
}
function truncBinaryUpper(h: string): string | undefined {
  if (h.length <= 32) return h;
  const b = [...Buffer.from(h.slice(0, 32), 'hex')];
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i] < 0xff) return Buffer.from([...b.slice(0, i), b[i] + 1]).toString('hex');
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Expected metrics of one file from its rows

interface Leaf {
  field: NestedField;
  /** Values of the leaf per level slot: undefined = no value in this slot (null or empty above). */
  slots: (rows: Record<string, Expected>[]) => (Expected | undefined)[];
  repeated: boolean;
}

/** Every primitive leaf with a function that lists its level slots, as Parquet counts them. */
function leaves(): Leaf[] {
  const out: Leaf[] = [];
  const walk = (field: NestedField, get: (rows: Record<string, Expected>[]) => (Expected | undefined)[], repeated: boolean): void => {
    const t: IcebergType = field.type;
    if (typeof t === 'string') {
      out.push({ field, slots: get, repeated });
      return;
    }
    if (t.type === 'struct') {
      for (const c of t.fields) {
        walk(c, (rows) => get(rows).map((v) => (v === null || v === undefined ? undefined : ((v as Record<string, Expected>)[c.name] ?? null))), repeated);
      }
      return;
    }
    if (t.type === 'list') {
      const el: NestedField = { id: t['element-id'], name: `${field.name}.element`, required: t['element-required'], type: t.element };
      walk(el, (rows) => get(rows).flatMap((v) => (v === null || v === undefined || (v as Expected[]).length === 0 ? [undefined] : (v as Expected[]))), true);
      return;
    }
    const entries = (rows: Record<string, Expected>[]) => get(rows).flatMap((v) => (v === null || v === undefined || (v as Expected[]).length === 0 ? [undefined] : (v as Expected[][])));
    walk({ id: t['key-id'], name: `${field.name}.key`, required: true, type: t.key }, (rows) => entries(rows).map((e) => (e === undefined ? undefined : (e as Expected[])[0])), true);
    walk(
      { id: t['value-id'], name: `${field.name}.value`, required: t['value-required'], type: t.value },
      (rows) => entries(rows).map((e) => (e === undefined ? undefined : (e as Expected[])[1])),
      true,
    );
  };
  for (const f of ALL_TYPES_SCHEMA.fields) walk(f, (rows) => rows.map((r) => r[f.name] ?? null), false);
  return out;
}

interface ExpectedMetrics {
  record_count: string;
  value_counts: Record<string, string>;
  null_value_counts: Record<string, string>;
  nan_value_counts: Record<string, string>;
  lower_bounds: Record<string, string>;
  upper_bounds: Record<string, string>;
}

function expectedMetrics(rows: GeneratedRow[]): ExpectedMetrics {
  const ex = rows.map((r) => r.expected);
  const m: ExpectedMetrics = { record_count: String(rows.length), value_counts: {}, null_value_counts: {}, nan_value_counts: {}, lower_bounds: {}, upper_bounds: {} };
  for (const leaf of leaves()) {
    const id = String(leaf.field.id);
    const t = leaf.field.type as string;
    const slots = leaf.slots(ex);
    m.value_counts[id] = String(slots.length);
    m.null_value_counts[id] = String(slots.filter((v) => v === undefined || v === null).length);
    const values = slots.filter((v): v is string => typeof v === 'string');
    if (t === 'float' || t === 'double') m.nan_value_counts[id] = String(values.filter((v) => v === 'NaN').length);
    if (leaf.repeated) continue;
    const ordered = values.filter((v) => v !== 'NaN').sort((a, b) => compare(t, a, b));
    if (ordered.length === 0) continue;
    const lo = ordered[0],
      hi = ordered.at(-1)!;
    if (t === 'string') {
      m.lower_bounds[id] = serialize(t, truncStringLower(lo));
      const up = truncStringUpper(hi);
      if (up !== undefined) m.upper_bounds[id] = serialize(t, up);
    } else if (t === 'binary') {
      m.lower_bounds[id] = truncBinaryLower(lo);
      const up = truncBinaryUpper(hi);
      if (up !== undefined) m.upper_bounds[id] = up;
    } else {
      m.lower_bounds[id] = serialize(t, lo);
      m.upper_bounds[id] = serialize(t, hi);
    }
  }
  return m;
}

/** UUID bounds are optional (floe writes none; see src/parquet/metrics.ts); if present they must be right. */
const UUID_ID = '15';

function compareMap(what: string, got: Record<string, string | null> | null, want: Record<string, string>, diffs: string[], optional: string[] = []): void {
  const g = { ...(got ?? {}) };
  for (const k of optional) if (!(k in g)) delete want[k];
  const keys = new Set([...Object.keys(g), ...Object.keys(want)]);
  for (const k of [...keys].sort((a, b) => Number(a) - Number(b))) {
    if (g[k] !== want[k]) diffs.push(`${what}[${k}]: expected ${want[k]}, got ${g[k]}`);
  }
}

const BATCHES: [number, number][] = [
  [0, 37],
  [37, 29],
  [66, 41],
  [107, 12],
];
const LONG_VALUES_BATCH = 107;

/**
 * In one file every string and binary value is longer than 16, so both of its bounds are
 * truncated: the upper string bound gets its 16th code point incremented, and the
 * upper binary bound, 16 bytes of fe ff ff..., becomes the single byte ff.
 */
function withLongValues(rows: GeneratedRow[]): void {
  const strings = ['abcdefghijklmnopqrstuvwxyz', 'ÿ'.repeat(20), 'b'.repeat(30), 'héllo wörld, héllo again', '日本語のテキストです、とても長い文字列'];
  const bins = ['00'.repeat(20), 'fe' + 'ff'.repeat(19), '7f'.repeat(17), '0001020304050607080910111213141516'];
  rows.forEach((r, k) => {
    r.record.s = r.expected.s = strings[k % strings.length];
    r.expected.bin = bins[k % bins.length];
    r.record.bin = Buffer.from(bins[k % bins.length], 'hex');
  });
}

test('inspect.files() metrics, row-filter pruning and snapshot summaries match the written rows (sql catalog)', async () => {
  const env = await openTableEnv('sql', 'metrics');
  try {
    const id = env.id('metrics');
    await env.catalog.createTable(id, { schema: ALL_TYPES_SCHEMA });
    const batches: GeneratedRow[][] = [];
    for (const [first, count] of BATCHES) {
      const rows = allTypesRows(first, count, 7000 + first);
      if (first === LONG_VALUES_BATCH) withLongValues(rows);
      await appendRecords(
        env.catalog,
        id,
        rows.map((r) => r.record),
      );
      batches.push(rows);
    }
    const all = batches.flat();
    // Filters and what they must return, computed from the rows.
    const filters: { filter: string; match: (e: Record<string, Expected>) => boolean }[] = [
      { filter: 'id > 70', match: (e) => Number(e.id) > 70 },
      { filter: 'id >= 30 and id < 40', match: (e) => Number(e.id) >= 30 && Number(e.id) < 40 },
      { filter: "s = 'héllo wörld'", match: (e) => e.s === 'héllo wörld' },
      { filter: "dt < '1970-01-01'", match: (e) => typeof e.dt === 'string' && daysOf(e.dt) < 0 },
      { filter: 'l = 9223372036854775807', match: (e) => e.l === '9223372036854775807' },
      { filter: 'i is null', match: (e) => e.i === null },
      { filter: 'd > 1000', match: (e) => typeof e.d === 'string' && Number(e.d) > 1000 },
      { filter: 'dec9 < -9999999.98', match: (e) => e.dec9 === '-9999999.99' },
    ];
    const results = await probe(env, 'metrics', [{ op: 'files' }, { op: 'snapshots' }, ...filters.map((f) => ({ op: 'ids' as const, column: 'id', row_filter: f.filter }))]);
    const files = results[0] as ProbeFile[];
    const snaps = results[1] as { current: string; snapshots: ProbeSnapshot[] };

    // --- per-file metrics
    assert.equal(files.length, BATCHES.length);
    const diffs: string[] = [];
    for (const rows of batches) {
      const file = files.find((f) => f.record_count === String(rows.length));
      assert.ok(file, `no file with ${rows.length} records`);
      const want = expectedMetrics(rows);
      const tag = `file of ids ${rows[0].expected.id}..${rows.at(-1)!.expected.id}`;
      compareMap(`${tag} value_counts`, file.value_counts, want.value_counts, diffs);
      compareMap(`${tag} null_value_counts`, file.null_value_counts, want.null_value_counts, diffs);
      compareMap(`${tag} nan_value_counts`, file.nan_value_counts, want.nan_value_counts, diffs);
      compareMap(`${tag} lower_bounds`, file.lower_bounds, want.lower_bounds, diffs, [UUID_ID]);
      compareMap(`${tag} upper_bounds`, file.upper_bounds, want.upper_bounds, diffs, [UUID_ID]);
    }
    assert.deepEqual(diffs, [], `metrics differ:\n${diffs.join('\n')}`);
    // The data exercised what the metrics rules are about.
    const firstFileRows = batches[0].map((r) => r.expected);
    assert.ok(
      firstFileRows.some((e) => typeof e.s === 'string' && [...e.s].length > 16),
      'no string longer than 16 code points',
    );
    assert.ok(firstFileRows.some((e) => e.f === 'NaN') && firstFileRows.some((e) => e.f === '-0'));

    // --- row filters: exactly the matching rows, and files without a match pruned by the bounds
    filters.forEach((f, i) => {
      const got = results[2 + i] as { values: string[]; planned_files: string[] };
      const want = all.filter((r) => f.match(r.expected)).map((r) => r.expected.id as string);
      assert.deepEqual(
        [...got.values].sort((a, b) => Number(a) - Number(b)),
        want,
        `row filter ${f.filter}`,
      );
      // A file holding a matching row must have been planned (the bounds did not wrongly prune it).
      for (const rows of batches) {
        const file = files.find((x) => x.record_count === String(rows.length))!;
        if (rows.some((r) => f.match(r.expected))) assert.ok(got.planned_files.includes(file.file_path), `${f.filter}: file with matches pruned`);
      }
    });
    // The id bounds are exact, so id filters plan exactly the files that hold a match.
    for (const i of [0, 1]) {
      const got = results[2 + i] as { planned_files: string[] };
      const holding = batches.filter((rows) => rows.some((r) => filters[i].match(r.expected))).map((rows) => files.find((x) => x.record_count === String(rows.length))!.file_path);
      assert.deepEqual([...got.planned_files].sort(), holding.sort(), `${filters[i].filter} planned files`);
      assert.ok(holding.length < files.length, `${filters[i].filter} should prune some file`);
    }
    // The long-values file's bounds are truncated (checked above against values computed here).
    const longFile = files.find((f) => f.record_count === '12')!;
    // 16 code points of the largest string, the 16th (い, U+3044) incremented to ぅ (U+3045).
    assert.equal(Buffer.from(longFile.upper_bounds!['14']!, 'hex').toString('utf8'), '日本語のテキストです、とても長ぅ');
    assert.equal(Buffer.from(longFile.lower_bounds!['14']!, 'hex').toString('utf8'), 'abcdefghijklmnop');
    assert.equal(longFile.upper_bounds!['17'], 'ff');

    // --- snapshot summaries
    assert.equal(snaps.snapshots.length, BATCHES.length);
    let totalRecords = 0;
    let totalSize = 0;
    let parent: string | null = null;
    snaps.snapshots.forEach((s, i) => {
      const file = files.find((x) => x.record_count === String(batches[i].length))!;
      totalRecords += batches[i].length;
      totalSize += Number(file.file_size_in_bytes);
      assert.equal(s.operation, 'append');
      assert.equal(s.parent_id, parent, `snapshot ${i} parent`);
      assert.equal(s.sequence_number, String(i + 1));
      assert.equal(s.summary['added-records'], String(batches[i].length));
      assert.equal(s.summary['added-data-files'], '1');
      assert.equal(s.summary['added-files-size'], file.file_size_in_bytes);
      assert.equal(s.summary['total-records'], String(totalRecords));
      assert.equal(s.summary['total-data-files'], String(i + 1));
      assert.equal(s.summary['total-files-size'], String(totalSize));
      assert.equal(s.summary['total-delete-files'], '0');
      parent = s.snapshot_id;
    });
    assert.equal(snaps.current, parent);
  } finally {
    await env.close();
  }
});
