import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecordBatchBuilder } from '../../src/batch/record-batch.ts';
import { ValueError } from '../../src/batch/errors.ts';
import { DICT_MAX_ENTRIES, DICT_PROBE } from '../../src/batch/leaf-builder.ts';
import type { LeafColumn } from '../../src/batch/column-batch.ts';
import type { Schema } from '../../src/iceberg/types.ts';

const schema: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    {
      id: 2,
      name: 'addr',
      required: false,
      type: {
        type: 'struct',
        fields: [
          { id: 3, name: 'city', required: true, type: 'string' },
          { id: 4, name: 'zip', required: false, type: 'int' },
        ],
      },
    },
    { id: 5, name: 'tags', required: false, type: { type: 'list', 'element-id': 6, element: 'string', 'element-required': false } },
    {
      id: 7,
      name: 'attrs',
      required: false,
      type: { type: 'map', 'key-id': 8, key: 'string', 'value-id': 9, value: 'int', 'value-required': true },
    },
    {
      id: 10,
      name: 'points',
      required: true,
      type: {
        type: 'list',
        'element-id': 11,
        'element-required': true,
        element: { type: 'struct', fields: [{ id: 12, name: 'x', required: true, type: 'double' }] },
      },
    },
  ],
};

const col = (cols: LeafColumn[], id: number) => cols.find((c) => c.fieldId === id)!;
const levels = (c: LeafColumn) => ({ def: c.def && Array.from(c.def), rep: c.rep && Array.from(c.rep) });

test('leaf columns in schema order with Parquet paths and level maxima', () => {
  const b = new RecordBatchBuilder(schema, 't');
  const cols = b.finish().columns;
  assert.deepEqual(
    cols.map((c) => [c.fieldId, c.columnPath, c.parquetPath.join('.'), c.maxDef, c.maxRep]),
    [
      [1, 'id', 'id', 0, 0],
      [3, 'addr.city', 'addr.city', 1, 0],
      [4, 'addr.zip', 'addr.zip', 2, 0],
      [6, 'tags.element', 'tags.list.element', 3, 1],
      [8, 'attrs.key', 'attrs.key_value.key', 2, 1],
      [9, 'attrs.value', 'attrs.key_value.value', 2, 1],
      [12, 'points.element.x', 'points.list.element.x', 1, 1],
    ],
  );
});

test('Dremel levels for nulls, empty and nested values', () => {
  const b = new RecordBatchBuilder(schema, 't');
  b.append({ id: 1, addr: { city: 'Oslo', zip: 150 }, tags: ['a', null, 'b'], attrs: { k: 1, j: 2 }, points: [{ x: 1 }, { x: 2 }] });
  b.append({ id: 2, addr: null, tags: [], attrs: new Map(), points: [] });
  b.append({ id: 3, addr: { city: 'Rome' }, attrs: [['z', 9]], points: [{ x: 3 }] });
  assert.equal(b.rowCount, 3);
  const batch = b.finish();
  assert.equal(batch.rowCount, 3);
  const cols = batch.columns;
  assert.deepEqual(Array.from(col(cols, 1).values as BigInt64Array), [1n, 2n, 3n]);
  assert.deepEqual(levels(col(cols, 3)), { def: [1, 0, 1], rep: null });
  assert.deepEqual(levels(col(cols, 4)), { def: [2, 0, 1], rep: null });
  assert.deepEqual(Array.from(col(cols, 4).values as Int32Array), [150]);
  // tags: [a, null, b] | [] | missing
  assert.deepEqual(levels(col(cols, 6)), { def: [3, 2, 3, 1, 0], rep: [0, 1, 1, 0, 0] });
  assert.equal(col(cols, 6).levelCount, 5);
  assert.equal(col(cols, 6).valueCount, 2);
  // attrs: {k:1, j:2} | empty Map | [[z, 9]]
  assert.deepEqual(levels(col(cols, 8)), { def: [2, 2, 1, 2], rep: [0, 1, 0, 0] });
  assert.deepEqual(levels(col(cols, 9)), { def: [2, 2, 1, 2], rep: [0, 1, 0, 0] });
  assert.deepEqual(Array.from(col(cols, 9).values as Int32Array), [1, 2, 9]);
  // points: required list of required structs
  assert.deepEqual(levels(col(cols, 12)), { def: [1, 1, 0, 1], rep: [0, 1, 0, 0] });
  assert.deepEqual(Array.from(col(cols, 12).values as Float64Array), [1, 2, 3]);
});

test('errors name the nested column path; a failed record leaves no trace', () => {
  const b = new RecordBatchBuilder(schema, 'shop.orders');
  b.append({ id: 1, tags: ['keep'], points: [] });
  const bad = [
    [{ id: 2, addr: { zip: 1 }, points: [] }, 'table shop.orders, column "addr.city": expected string, got undefined (required)'],
    [{ id: 2, tags: ['x', 5], points: [] }, 'table shop.orders, column "tags.element": expected string, got number 5'],
    [{ id: 2, attrs: { k: 'v' }, points: [] }, 'table shop.orders, column "attrs.value": expected int, got string "v"'],
    [{ id: 2, attrs: [[null, 1]], points: [] }, 'table shop.orders, column "attrs.key": expected string, got null (required)'],
    [{ id: 2, points: [{ x: 'no' }] }, 'table shop.orders, column "points.element.x": expected double, got string "no"'],
    [{ id: 2, points: [null] }, 'table shop.orders, column "points.element": expected struct<x: double>, got null (required)'],
    [{ id: 2, points: {} }, 'table shop.orders, column "points": expected list<struct<x: double>>, got object {}'],
    [{ id: 2, addr: 'Oslo', points: [] }, 'table shop.orders, column "addr": expected struct<city: string, zip: int>, got string "Oslo"'],
    [{ id: 2, tags: ['new-entry', 7], points: [] }, /column "tags.element"/],
  ] as const;
  for (const [record, message] of bad) {
    assert.throws(
      () => b.append(record as Record<string, unknown>),
      (e: unknown) => {
        assert.ok(e instanceof ValueError);
        if (typeof message === 'string') assert.equal(e.message, message);
        else assert.match(e.message, message);
        return true;
      },
    );
  }
  assert.throws(() => b.append([] as unknown as Record<string, unknown>), /column "<record>": expected an object, got array/);
  b.append({ id: 3, tags: ['keep', 'more'], points: [{ x: 1 }] });
  const cols = b.finish().columns;
  assert.deepEqual(Array.from(col(cols, 1).values as BigInt64Array), [1n, 3n]);
  const tags = col(cols, 6);
  assert.deepEqual(levels(tags), { def: [3, 3, 3], rep: [0, 0, 1] });
  // 'new-entry' was added to the dictionary by the failed record and must be gone
  assert.equal(tags.dict!.size, 2);
  assert.equal(Buffer.from(tags.dict!.data).toString(), 'keepmore');
  assert.deepEqual(levels(col(cols, 12)), { def: [0, 1], rep: [0, 0] });
});

test('unknown record keys are ignored', () => {
  const b = new RecordBatchBuilder(schema, 't');
  b.append({ id: 1, points: [], extra: 'ignored', another: { deep: true } });
  assert.equal(b.finish().rowCount, 1);
});

test('a string column with many distinct values falls back to plain bytes, values intact', () => {
  const s: Schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 's', required: false, type: 'string' }] };
  const b = new RecordBatchBuilder(s, 't');
  const n = DICT_PROBE * 3;
  const expect: (string | null)[] = [];
  for (let i = 0; i < n; i++) {
    const v = i % 10 === 0 ? null : `value-${i}-é`;
    expect.push(v);
    b.append({ s: v });
  }
  const c = b.finish().columns[0];
  assert.equal(c.dict, null);
  const off = c.offsets!;
  const data = Buffer.from(c.values as Uint8Array);
  const got: (string | null)[] = [];
  let k = 0;
  for (let i = 0; i < n; i++) {
    if (c.def![i] === 0) got.push(null);
    else {
      got.push(data.toString('utf8', off[k], off[k + 1]));
      k++;
    }
  }
  assert.deepEqual(got, expect);
  assert.ok(DICT_MAX_ENTRIES > DICT_PROBE);
});

test('low-cardinality strings keep their dictionary', () => {
  const s: Schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 's', required: true, type: 'string' }] };
  const b = new RecordBatchBuilder(s, 't');
  for (let i = 0; i < 50000; i++) b.append({ s: ['red', 'green', 'blue'][i % 3] });
  const c = b.finish().columns[0];
  assert.equal(c.dict!.size, 3);
  assert.equal(c.dict!.indices.length, 50000);
});

test('estimatedBytes grows with data; finish starts over', () => {
  const b = new RecordBatchBuilder(schema, 't');
  const e0 = b.estimatedBytes;
  for (let i = 0; i < 1000; i++) b.append({ id: i, tags: ['a', 'b'], points: [{ x: i }] });
  const e1 = b.estimatedBytes;
  assert.ok(e1 >= e0 + 1000 * (8 + 8), `${e0} → ${e1}`);
  const first = b.finish();
  assert.equal(first.rowCount, 1000);
  assert.equal(b.rowCount, 0);
  b.append({ id: 5, points: [] });
  const second = b.finish();
  assert.equal(second.rowCount, 1);
  assert.deepEqual(Array.from(col(second.columns, 1).values as BigInt64Array), [5n]);
  // the first batch is untouched by the second
  assert.equal((col(first.columns, 1).values as BigInt64Array)[999], 999n);
});
