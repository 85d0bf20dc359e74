// Schema evolution as independent readers see it: rows appended under the first schema, then
// updateSchema (add a top-level column, int → long, float → double, decimal(9,2) → decimal(12,2),
// required → optional, a new field inside a struct, a new field inside a list's struct element),
// then rows that use the new columns and the wider ranges. PyIceberg and DuckDB must read old rows
// with the new columns null and the widened values unchanged, and new rows exactly. Both catalogs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendRecords } from '../../src/writer/fanout-writer.ts';
import { updateSchema } from '../../src/commit/schema-update.ts';
import type { FieldSpec } from '../../src/iceberg/schema.ts';
import type { Schema } from '../../src/iceberg/types.ts';
import { CATALOG_KINDS, diffRows, floatString, openTableEnv, probe, pyicebergNullListOfStruct, readRows } from '../helpers/table-fixtures.ts';
import type { Expected } from '../helpers/table-fixtures.ts';

const V1: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'n', required: false, type: 'int' },
    { id: 3, name: 'f', required: false, type: 'float' },
    { id: 4, name: 'amount', required: false, type: 'decimal(9, 2)' },
    { id: 5, name: 'label', required: true, type: 'string' },
    { id: 6, name: 'st', required: false, type: { type: 'struct', fields: [{ id: 7, name: 'a', required: false, type: 'int' }] } },
    {
      id: 8,
      name: 'items',
      required: false,
      type: { type: 'list', 'element-id': 9, 'element-required': false, element: { type: 'struct', fields: [{ id: 10, name: 'sku', required: false, type: 'string' }] } },
    },
  ],
};

/** The incoming schema, by names: what a producer's new schema would say. */
const V2_INCOMING: FieldSpec[] = [
  { name: 'id', type: 'long', required: true },
  { name: 'n', type: 'long' },
  { name: 'f', type: 'double' },
  { name: 'amount', type: 'decimal(12, 2)' },
  { name: 'label', type: 'string' },
  {
    name: 'st',
    type: {
      type: 'struct',
      fields: [
        { name: 'a', type: 'int' },
        { name: 'b', type: 'string' },
      ],
    },
  },
  {
    name: 'items',
    type: {
      type: 'list',
      element: {
        type: 'struct',
        fields: [
          { name: 'sku', type: 'string' },
          { name: 'qty', type: 'int' },
        ],
      },
    },
  },
  { name: 'note', type: 'string' },
  { name: 'seen_at', type: 'timestamptz' },
];

// Rows under V1, with what they must read as under the evolved schema.
const OLD: { record: Record<string, unknown>; expected: Record<string, Expected> }[] = [
  {
    record: { id: 1n, n: 2147483647, f: 1.5, amount: '-9999999.99', label: 'old one', st: { a: 1 }, items: [{ sku: 'x' }] },
    expected: { id: '1', n: '2147483647', f: '1.5', amount: '-9999999.99', label: 'old one', st: { a: '1', b: null }, items: [{ sku: 'x', qty: null }], note: null, seen_at: null },
  },
  {
    record: { id: 2n, n: -2147483648, f: 0.1, amount: '0.01', label: '', st: null, items: [] },
    expected: { id: '2', n: '-2147483648', f: floatString(Math.fround(0.1)), amount: '0.01', label: '', st: null, items: [], note: null, seen_at: null },
  },
  {
    record: { id: 3n, n: null, f: NaN, amount: null, label: 'ünï', items: null },
    expected: { id: '3', n: null, f: 'NaN', amount: null, label: 'ünï', st: null, items: null, note: null, seen_at: null },
  },
  {
    record: { id: 4n, n: 0, f: -Infinity, amount: '1234567.5', label: 'x', st: { a: null }, items: [{ sku: null }, null] },
    expected: { id: '4', n: '0', f: '-Infinity', amount: '1234567.50', label: 'x', st: { a: null, b: null }, items: [{ sku: null, qty: null }, null], note: null, seen_at: null },
  },
];

// Rows under the evolved schema: values only the new types can hold, new columns set, label null.
const NEW: { record: Record<string, unknown>; expected: Record<string, Expected> }[] = [
  {
    record: {
      id: 10n,
      n: 9223372036854775807n,
      f: 0.1,
      amount: '-9999999999.99',
      label: null,
      st: { a: 5, b: 'bé' },
      items: [{ sku: 's', qty: 3 }],
      note: '📝',
      seen_at: '1969-07-20T20:17:40.000001Z',
    },
    expected: {
      id: '10',
      n: '9223372036854775807',
      f: '0.1',
      amount: '-9999999999.99',
      label: null,
      st: { a: '5', b: 'bé' },
      items: [{ sku: 's', qty: '3' }],
      note: '📝',
      seen_at: '1969-07-20T20:17:40.000001+00:00',
    },
  },
  {
    record: { id: 11n, n: -9223372036854775808n, f: 1e300, amount: '12345678.12', label: 'new', st: null, items: [], note: '', seen_at: null },
    expected: { id: '11', n: '-9223372036854775808', f: '1e+300', amount: '12345678.12', label: 'new', st: null, items: [], note: '', seen_at: null },
  },
  {
    record: { id: 12n, f: 5e-324, label: 'sparse' },
    expected: { id: '12', n: null, f: '5e-324', amount: null, label: 'sparse', st: null, items: null, note: null, seen_at: null },
  },
];

for (const kind of CATALOG_KINDS) {
  test(`old and new rows read back after add column, widen, make optional, nested add (${kind} catalog)`, async () => {
    const env = await openTableEnv(kind, 'evolve');
    try {
      const id = env.id('evolving');
      await env.catalog.createTable(id, { schema: V1 });
      await appendRecords(
        env.catalog,
        id,
        OLD.slice(0, 2).map((r) => r.record),
      );
      await appendRecords(
        env.catalog,
        id,
        OLD.slice(2).map((r) => r.record),
      );

      // Before the update, values that need the new schema are refused.
      await assert.rejects(appendRecords(env.catalog, id, [NEW[0].record]), /column "n"/);

      const { table, changes } = await updateSchema(env.catalog, id, V2_INCOMING);
      const kinds = changes.map((c) => `${c.kind} ${c.path}`).sort();
      assert.deepEqual(kinds, ['add-column items.element.qty', 'add-column note', 'add-column seen_at', 'add-column st.b', 'make-optional label', 'widen-type amount', 'widen-type f', 'widen-type n']);
      assert.equal(table.metadata['current-schema-id'], 1);
      await appendRecords(
        env.catalog,
        id,
        NEW.map((r) => r.record),
      );

      const evolved = table.metadata.schemas.find((s) => s['schema-id'] === 1)!;
      const read = await readRows(env, 'evolving');
      const expected = [...OLD, ...NEW].map((r) => r.expected);
      const diffs = [...diffRows('pyiceberg', evolved, read.pyiceberg, expected, { tolerate: pyicebergNullListOfStruct }), ...diffRows('duckdb', evolved, read.duckdb, expected)];
      assert.deepEqual(diffs, [], `readers disagree:\n${diffs.join('\n')}`);

      // PyIceberg sees the evolved schema with the ids kept.
      const [snaps] = await probe(env, 'evolving', [{ op: 'snapshots' }]);
      assert.equal(snaps.snapshots.length, 3);
      assert.equal(snaps.snapshots[2].summary['total-records'], String(OLD.length + NEW.length));
    } finally {
      await env.close();
    }
  });
}
