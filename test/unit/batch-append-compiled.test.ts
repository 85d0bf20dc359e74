// The compiled append path (src/batch/append-compiler.ts) against a plain recursive shredder
// written from the level rules in record-batch.ts, on random nested records with nulls,
// empty lists and maps, and Map / entry-array / object map values; plus the coerce-backed
// types (decimal, timestamps, uuid, date) nested in lists and maps, and rejections.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecordBatchBuilder } from '../../src/batch/record-batch.ts';
import { ValueError } from '../../src/batch/errors.ts';
import type { LeafColumn } from '../../src/batch/column-batch.ts';
import type { IcebergType, Schema } from '../../src/iceberg/types.ts';

const schema: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'n', required: true, type: 'int' },
    { id: 2, name: 's', required: false, type: 'string' },
    {
      id: 3,
      name: 'st',
      required: false,
      type: {
        type: 'struct',
        fields: [
          { id: 4, name: 'b', required: true, type: 'boolean' },
          { id: 5, name: 'xs', required: false, type: { type: 'list', 'element-id': 6, element: 'double', 'element-required': false } },
        ],
      },
    },
    {
      id: 7,
      name: 'm',
      required: false,
      type: {
        type: 'map',
        'key-id': 8,
        key: 'string',
        'value-id': 9,
        'value-required': false,
        value: { type: 'list', 'element-id': 10, element: 'long', 'element-required': true },
      },
    },
    {
      id: 11,
      name: 'ls',
      required: false,
      type: {
        type: 'list',
        'element-id': 12,
        'element-required': false,
        element: {
          type: 'struct',
          fields: [
            { id: 13, name: 'k', required: false, type: 'string' },
            {
              id: 14,
              name: 'mm',
              required: false,
              type: { type: 'map', 'key-id': 15, key: 'string', 'value-id': 16, value: 'int', 'value-required': true },
            },
          ],
        },
      },
    },
  ],
};

interface RefLeaf {
  def: number[];
  rep: number[];
  values: unknown[];
}

/** The level rules, written plainly: returns def/rep/values per leaf in schema order. */
function reference(s: Schema, records: Record<string, unknown>[]): RefLeaf[] {
  const leaves: RefLeaf[] = [];
  type W = (v: unknown, rep: number, def: number) => void;
  const build = (t: IcebergType, required: boolean): { w: W; leaves: RefLeaf[] } => {
    let inner: (v: unknown, rep: number, def: number) => void;
    let mine: RefLeaf[];
    if (typeof t === 'string') {
      const leaf: RefLeaf = { def: [], rep: [], values: [] };
      leaves.push(leaf);
      mine = [leaf];
      inner = (v, rep, def) => {
        leaf.values.push(typeof v === 'number' && t === 'long' ? BigInt(v) : v);
        leaf.def.push(def);
        leaf.rep.push(rep);
      };
    } else if (t.type === 'struct') {
      const kids = t.fields.map((f) => ({ name: f.name, ...build(f.type, f.required) }));
      mine = kids.flatMap((k) => k.leaves);
      inner = (v, rep, def) => {
        for (const k of kids) k.w((v as Record<string, unknown>)[k.name], rep, def);
      };
    } else if (t.type === 'list') {
      const el = build(t.element, t['element-required']);
      mine = el.leaves;
      inner = (v, rep, def) => {
        const a = v as unknown[];
        if (a.length === 0)
          for (const l of mine) {
            l.def.push(def);
            l.rep.push(rep);
          }
        a.forEach((x, i) => el.w(x, i === 0 ? rep : repOf(el.leaves[0]), def + 1));
      };
    } else {
      const k = build(t.key, true);
      const val = build(t.value, t['value-required']);
      mine = [...k.leaves, ...val.leaves];
      inner = (v, rep, def) => {
        const entries = v instanceof Map ? [...v] : Array.isArray(v) ? (v as [unknown, unknown][]) : Object.entries(v as object);
        if (entries.length === 0)
          for (const l of mine) {
            l.def.push(def);
            l.rep.push(rep);
          }
        entries.forEach(([kk, vv], i) => {
          const r = i === 0 ? rep : repOf(k.leaves[0]);
          k.w(kk, r, def + 1);
          val.w(vv, r, def + 1);
        });
      };
    }
    const w: W = (v, rep, def) => {
      if (v === null || v === undefined) {
        assert.ok(!required);
        for (const l of mine) {
          l.def.push(def);
          l.rep.push(rep);
        }
      } else inner(v, rep, required ? def : def + 1);
    };
    return { w, leaves: mine };
  };
  // a leaf's own repetition level is fixed by its depth; recorded at build time below
  const repLevels = new Map<RefLeaf, number>();
  const repOf = (l: RefLeaf) => repLevels.get(l)!;
  const top = s.fields.map((f) => ({ name: f.name, ...build(f.type, f.required) }));
  const builder = new RecordBatchBuilder(s, 'ref');
  builder.finish().columns.forEach((c, i) => repLevels.set(leaves[i], c.maxRep));
  for (const r of records) for (const f of top) f.w(r[f.name], 0, 0);
  return leaves;
}

function valuesOf(c: LeafColumn): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < c.valueCount; i++) {
    if (c.kind === 'bytes') {
      if (c.dict) {
        const k = c.dict.indices[i];
        out.push(Buffer.from(c.dict.data.subarray(c.dict.offsets[k], c.dict.offsets[k + 1])).toString());
      } else out.push(Buffer.from((c.values as Uint8Array).subarray(c.offsets![i], c.offsets![i + 1])).toString());
    } else if (c.kind === 'boolean') out.push((c.values as Uint8Array)[i] === 1);
    else out.push((c.values as Int32Array)[i]);
  }
  return out;
}

function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

function randomRecord(r: () => number): Record<string, unknown> {
  const maybe = <T>(f: () => T): T | null | undefined => (r() < 0.2 ? (r() < 0.5 ? null : undefined) : f());
  const list = <T>(f: () => T): T[] => Array.from({ length: Math.floor(r() * 4) }, f);
  const mapOf = <T>(f: () => T): unknown => {
    const entries = list(() => [`k${Math.floor(r() * 5)}é`, f()] as [string, T]);
    const unique = [...new Map(entries)];
    const form = r();
    return form < 0.33 ? new Map(unique) : form < 0.66 ? unique : Object.fromEntries(unique);
  };
  return {
    n: Math.floor(r() * 2000) - 1000,
    s: maybe(() => ['a', 'bb', 'ç', `u${Math.floor(r() * 1e6)}`][Math.floor(r() * 4)]),
    st: maybe(() => ({ b: r() < 0.5, xs: maybe(() => list(() => (r() < 0.2 ? null : r() * 100))) })),
    m: maybe(() => mapOf(() => (r() < 0.2 ? null : list(() => Math.floor(r() * 1e9))))),
    ls: maybe(() => list(() => (r() < 0.2 ? null : { k: maybe(() => `k${Math.floor(r() * 3)}`), mm: maybe(() => mapOf(() => Math.floor(r() * 100))) }))),
    extra: 'ignored',
  };
}

test('compiled append matches the plain level rules on random nested records', () => {
  const r = rng(12345);
  const records = Array.from({ length: 3000 }, () => randomRecord(r));
  const b = new RecordBatchBuilder(schema, 't');
  for (const rec of records) b.append(rec);
  const batch = b.finish();
  const ref = reference(schema, records);
  assert.equal(batch.columns.length, ref.length);
  batch.columns.forEach((c, i) => {
    const want = ref[i];
    assert.equal(c.levelCount, want.def.length, c.columnPath);
    if (c.def) assert.deepEqual(Array.from(c.def), want.def, `${c.columnPath} def`);
    else assert.ok(want.def.every((d) => d === 0));
    if (c.rep) assert.deepEqual(Array.from(c.rep), want.rep, `${c.columnPath} rep`);
    else assert.ok(want.rep.every((d) => d === 0));
    const got = valuesOf(c);
    const expect = want.values.map((v) => (c.kind === 'int64' ? BigInt(v as number | bigint) : v));
    if (c.kind === 'int64') assert.deepEqual(Array.from(c.values as BigInt64Array), expect, c.columnPath);
    else assert.deepEqual(got, expect, c.columnPath);
  });
});

const typed: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'amounts', required: false, type: { type: 'list', 'element-id': 2, element: 'decimal(12, 2)', 'element-required': false } },
    { id: 3, name: 'big', required: false, type: 'decimal(30, 3)' },
    {
      id: 4,
      name: 'times',
      required: false,
      type: { type: 'map', 'key-id': 5, key: 'uuid', 'value-id': 6, value: 'timestamptz', 'value-required': false },
    },
    { id: 7, name: 'day', required: false, type: 'date' },
    { id: 8, name: 'local', required: false, type: 'timestamp' },
    { id: 9, name: 'f', required: false, type: 'float' },
  ],
};

test('coerce-backed types nested in lists and maps: decimals, uuid keys, timestamps, dates', () => {
  const b = new RecordBatchBuilder(typed, 't');
  const u1 = '0123abcd-0000-4000-8000-00000000000A';
  b.append({
    amounts: ['-12.30', 5, null, 7n],
    big: '-123456789012345678901234567.891',
    times: new Map<unknown, unknown>([
      [u1, 1_767_225_600_000_000n],
      [Buffer.alloc(16, 0xff), '2026-01-01T00:00:00.5+01:00'],
      ['00000000-0000-0000-0000-000000000000', null],
    ]),
    day: '2026-02-28',
    local: '2026-01-01T00:00:00.000001',
    f: 1.1,
  });
  b.append({ amounts: [], times: {}, day: null });
  const cols = b.finish().columns;
  const [amounts, big, keys, times, day, local, f] = cols;
  assert.deepEqual(Array.from(amounts.values as BigInt64Array), [-1230n, 500n, 7n]);
  assert.deepEqual(Array.from(amounts.def!), [3, 3, 2, 3, 1]);
  assert.deepEqual(Array.from(amounts.rep!), [0, 1, 1, 1, 0]);
  const bigBytes = Buffer.from(big.values as Uint8Array);
  assert.equal(bigBytes.length, 13);
  assert.equal(BigInt.asIntN(104, BigInt('0x' + bigBytes.toString('hex'))), -123456789012345678901234567891n);
  assert.equal(
    Buffer.from(keys.values as Uint8Array)
      .subarray(0, 16)
      .toString('hex'),
    '0123abcd00004000800000000000000a',
  );
  assert.deepEqual(Array.from(times.values as BigInt64Array), [1_767_225_600_000_000n, 1_767_225_600_000_000n - 3_600_000_000n + 500_000n]);
  assert.deepEqual(Array.from(times.def!), [3, 3, 2, 1]);
  assert.deepEqual(Array.from(day.values as Int32Array), [20512]);
  assert.deepEqual(Array.from(local.values as BigInt64Array), [1_767_225_600_000_001n]);
  assert.equal((f.values as Float32Array)[0], Math.fround(1.1));
});

test('rejections name the nested column and leave no trace', () => {
  const b = new RecordBatchBuilder(typed, 'db.t');
  b.append({ amounts: ['1.00'] });
  const bad: [Record<string, unknown>, string][] = [
    [{ amounts: ['1.005'] }, 'table db.t, column "amounts.element": expected decimal(12, 2), got string "1.005" (more than 2 fraction digits)'],
    [{ amounts: ['1', 'x'] }, 'table db.t, column "amounts.element": expected decimal(12, 2), got string "x" (not a decimal number)'],
    [{ times: [['not-a-uuid', 1n]] }, 'table db.t, column "times.key": expected uuid, got string "not-a-uuid" (not a canonical UUID)'],
    [{ times: [[null, 1n]] }, 'table db.t, column "times.key": expected uuid, got null (required)'],
    [{ times: [['0123abcd-0000-4000-8000-00000000000a']] }, 'table db.t, column "times": expected map<uuid, timestamptz>, got array (length 1) (an array of entries must hold [key, value] pairs)'],
    [
      { times: { '0123abcd-0000-4000-8000-00000000000a': '2026-01-01T00:00:00' } },
      'table db.t, column "times.value": expected timestamptz, got string "2026-01-01T00:00:00" (timestamptz needs an offset (Z or ±HH:MM))',
    ],
    [{ times: 5 }, 'table db.t, column "times": expected map<uuid, timestamptz>, got number 5'],
    [{ day: '2026-02-30' }, 'table db.t, column "day": expected date, got string "2026-02-30" (no such date)'],
    [{ f: '1' }, 'table db.t, column "f": expected float, got string "1"'],
    [{ amounts: 'x' }, 'table db.t, column "amounts": expected list<decimal(12, 2)>, got string "x"'],
  ];
  for (const [rec, message] of bad) {
    assert.throws(
      () => b.append(rec),
      (e: unknown) => e instanceof ValueError && e.message === message,
      message,
    );
  }
  b.append({ amounts: ['2.00'] });
  const cols = b.finish().columns;
  assert.deepEqual(Array.from(cols[0].values as BigInt64Array), [100n, 200n]);
  assert.equal(cols[2].levelCount, 2);
  assert.equal(cols[4].valueCount, 0);
});

test('inline primitive checks reject what coerce.ts rejects, with the same reasons', () => {
  const s: Schema = {
    type: 'struct',
    'schema-id': 0,
    fields: [
      { id: 1, name: 'i', required: false, type: 'int' },
      { id: 2, name: 'd', required: false, type: 'double' },
      { id: 3, name: 'b', required: false, type: 'boolean' },
      { id: 4, name: 's', required: true, type: 'string' },
    ],
  };
  const b = new RecordBatchBuilder(s, 't');
  const bad: [Record<string, unknown>, string][] = [
    [{ s: 'x', i: 2 ** 31 }, 'table t, column "i": expected int, got number 2147483648 (out of int32 range)'],
    [{ s: 'x', i: 1.5 }, 'table t, column "i": expected int, got number 1.5 (not an integer)'],
    [{ s: 'x', i: 1n }, 'table t, column "i": expected int, got bigint 1n'],
    [{ s: 'x', d: '1' }, 'table t, column "d": expected double, got string "1"'],
    [{ s: 'x', b: 1 }, 'table t, column "b": expected boolean, got number 1'],
    [{ s: 5 }, 'table t, column "s": expected string, got number 5'],
    [{}, 'table t, column "s": expected string, got undefined (required)'],
  ];
  for (const [rec, message] of bad)
    assert.throws(
      () => b.append(rec),
      (e: unknown) => e instanceof ValueError && e.message === message,
      message,
    );
  b.append({ s: 'ok', i: -(2 ** 31), d: NaN, b: false });
  const cols = b.finish().columns;
  assert.equal(cols[0].valueCount, 1);
  assert.equal((cols[0].values as Int32Array)[0], -(2 ** 31));
  assert.ok(Number.isNaN((cols[1].values as Float64Array)[0]));
});

test('double and float take a bigint they hold exactly, nested too; an inexact one is a ValueError and the batch stays as it was', () => {
  const s: Schema = {
    type: 'struct',
    'schema-id': 0,
    fields: [
      { id: 1, name: 'd', required: true, type: 'double' },
      { id: 2, name: 'f', required: false, type: 'float' },
      { id: 3, name: 'xs', required: false, type: { type: 'list', 'element-id': 4, element: 'double', 'element-required': true } },
    ],
  };
  const b = new RecordBatchBuilder(s, 't');
  b.append({ d: 2n ** 60n, f: -(2n ** 80n), xs: [1.25, 2n ** 64n] });
  b.append({ d: 0.5 });
  assert.throws(() => b.append({ d: '1' }), /expected double, got string "1"/);
  assert.throws(() => b.append({ d: 12345678901234567890n }), /cannot be held exactly by a double column/);
  assert.throws(() => b.append({ d: 1, xs: [1.5, 2n ** 64n + 1n] }), /cannot be held exactly by a double column/);
  assert.throws(() => b.append({ d: 1, f: 2n ** 24n + 1n }), /cannot be held exactly by a float column/);
  const cols = b.finish().columns;
  assert.equal(cols[0].valueCount, 2, 'the refused records left nothing behind');
  assert.deepEqual(Array.from(cols[0].values as Float64Array), [2 ** 60, 0.5]);
  assert.deepEqual(Array.from(cols[1].values as Float32Array), [-(2 ** 80)]);
  assert.deepEqual(Array.from(cols[2].values as Float64Array), [1.25, 2 ** 64]);
});

test('field names that are not identifiers', () => {
  const s: Schema = {
    type: 'struct',
    'schema-id': 0,
    fields: [
      { id: 1, name: 'a b"\'\\', required: true, type: 'int' },
      { id: 2, name: 'constructor', required: false, type: 'string' },
      { id: 3, name: '1x', required: false, type: { type: 'struct', fields: [{ id: 4, name: '}); throw 1; ({', required: false, type: 'int' }] } },
    ],
  };
  const b = new RecordBatchBuilder(s, 't');
  b.append({ 'a b"\'\\': 1, constructor: 'c', '1x': { '}); throw 1; ({': 7 } });
  const cols = b.finish().columns;
  assert.equal((cols[0].values as Int32Array)[0], 1);
  assert.equal(cols[1].dict!.size, 1);
  assert.equal((cols[2].values as Int32Array)[0], 7);
});
