import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bindPartitionSpec,
  buildPartitionSpec,
  lastPartitionId,
  parsePartitionExpression,
  partitionType,
  specsEquivalent,
  unpartitionedSpec,
  validatePartitionSpec,
} from '../../src/iceberg/partition-spec.ts';
import type { Schema } from '../../src/iceberg/types.ts';

const schema: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'order_ts', required: true, type: 'timestamptz' },
    { id: 2, name: 'customer_id', required: true, type: 'long' },
    { id: 3, name: 'name', required: false, type: 'string' },
    { id: 4, name: 'country', required: false, type: 'string' },
    { id: 5, name: 'd', required: false, type: 'date' },
    { id: 6, name: 'price', required: false, type: 'decimal(9, 2)' },
    { id: 7, name: 'customer', required: false, type: { type: 'struct', fields: [{ id: 9, name: 'zip', required: false, type: 'int' }] } },
    { id: 8, name: 'tags', required: false, type: { type: 'list', 'element-id': 10, element: 'string', 'element-required': false } },
    { id: 11, name: 'score', required: false, type: 'double' },
    { id: 12, name: 'ts_day', required: false, type: 'int' },
  ],
};

test('expressions parse into transform, column and optional name', () => {
  assert.deepEqual(parsePartitionExpression('day(order_ts)'), { transform: { kind: 'day' }, column: 'order_ts', name: undefined });
  assert.deepEqual(parsePartitionExpression(' bucket( 16 , customer_id ) '), { transform: { kind: 'bucket', numBuckets: 16 }, column: 'customer_id', name: undefined });
  assert.deepEqual(parsePartitionExpression('truncate(4, name)'), { transform: { kind: 'truncate', width: 4 }, column: 'name', name: undefined });
  assert.deepEqual(parsePartitionExpression('bucket[8](customer_id)'), { transform: { kind: 'bucket', numBuckets: 8 }, column: 'customer_id', name: undefined });
  assert.deepEqual(parsePartitionExpression('country'), { transform: { kind: 'identity' }, column: 'country', name: undefined });
  assert.deepEqual(parsePartitionExpression('identity(country)'), { transform: { kind: 'identity' }, column: 'country', name: undefined });
  assert.deepEqual(parsePartitionExpression('hours(order_ts)'), { transform: { kind: 'hour' }, column: 'order_ts', name: undefined });
  assert.deepEqual(parsePartitionExpression('day(order_ts) AS order_day'), { transform: { kind: 'day' }, column: 'order_ts', name: 'order_day' });
  assert.deepEqual(parsePartitionExpression('customer.zip'), { transform: { kind: 'identity' }, column: 'customer.zip', name: undefined });
  assert.throws(() => parsePartitionExpression('bucket(customer_id)'), /partition expression "bucket\(customer_id\)": expected bucket\(N, column\)/);
  assert.throws(() => parsePartitionExpression('truncate(x, name)'), /expected truncate\(W, column\)/);
  assert.throws(() => parsePartitionExpression('zorder(a)'), /unknown partition transform "zorder"/);
  assert.throws(() => parsePartitionExpression('day(a, b)'), /day takes exactly one column/);
  assert.throws(() => parsePartitionExpression('bucket(0, a)'), /between 1 and/);
  assert.throws(() => parsePartitionExpression(''), /empty/);
  assert.throws(() => parsePartitionExpression('a b'), /expected a column name/);
});

test("a spec from the connector's expressions: ids from 1000, Java's default names", () => {
  const { spec, lastPartitionId: last } = buildPartitionSpec(schema, [
    'day(order_ts)',
    'bucket(16, customer_id)',
    'truncate(4, name)',
    'identity(country)',
    'year(d)',
    'truncate(50, price)',
    'customer.zip',
    'void(score)',
  ]);
  assert.equal(spec['spec-id'], 0);
  assert.deepEqual(spec.fields, [
    { 'source-id': 1, 'field-id': 1000, name: 'order_ts_day', transform: 'day' },
    { 'source-id': 2, 'field-id': 1001, name: 'customer_id_bucket', transform: 'bucket[16]' },
    { 'source-id': 3, 'field-id': 1002, name: 'name_trunc', transform: 'truncate[4]' },
    { 'source-id': 4, 'field-id': 1003, name: 'country', transform: 'identity' },
    { 'source-id': 5, 'field-id': 1004, name: 'd_year', transform: 'year' },
    { 'source-id': 6, 'field-id': 1005, name: 'price_trunc', transform: 'truncate[50]' },
    { 'source-id': 9, 'field-id': 1006, name: 'customer.zip', transform: 'identity' },
    { 'source-id': 11, 'field-id': 1007, name: 'score_null', transform: 'void' },
  ]);
  assert.equal(last, 1007);
  const month = buildPartitionSpec(schema, ['month(order_ts)'], { specId: 3, lastPartitionId: 1007 });
  assert.deepEqual(month.spec, { 'spec-id': 3, fields: [{ 'source-id': 1, 'field-id': 1008, name: 'order_ts_month', transform: 'month' }] });
  assert.equal(month.lastPartitionId, 1008);
  assert.equal(buildPartitionSpec(schema, ['hour(order_ts)']).spec.fields[0].name, 'order_ts_hour');
  assert.equal(buildPartitionSpec(schema, ['day(order_ts) as od']).spec.fields[0].name, 'od');
});

test('unpartitioned spec', () => {
  assert.deepEqual(unpartitionedSpec(), { 'spec-id': 0, fields: [] });
  const { spec, lastPartitionId: last } = buildPartitionSpec(schema, []);
  assert.deepEqual(spec, { 'spec-id': 0, fields: [] });
  assert.equal(last, 999);
  assert.deepEqual(partitionType(spec, schema), { type: 'struct', fields: [] });
});

test('validation errors name the expression and the type', () => {
  assert.throws(() => buildPartitionSpec(schema, ['day(name)']), /partition expression "day\(name\)": transform day cannot be applied to column name of type string/);
  assert.throws(() => buildPartitionSpec(schema, ['hour(d)']), /transform hour cannot be applied to column d of type date/);
  assert.throws(() => buildPartitionSpec(schema, ['bucket(4, score)']), /bucket\[4\] cannot be applied to column score of type double/);
  assert.throws(() => buildPartitionSpec(schema, ['day(missing)']), /"day\(missing\)": column "missing" is not in the schema/);
  assert.throws(() => buildPartitionSpec(schema, ['customer']), /column customer is a struct, only primitive columns can be partitioned/);
  assert.throws(() => buildPartitionSpec(schema, ['tags.element']), /inside a list or a map/);
  // Java's PartitionSpec.Builder rules
  assert.throws(() => buildPartitionSpec(schema, ['day(order_ts)', 'hour(order_ts)']), /"hour\(order_ts\)": redundant with "day\(order_ts\)"/);
  assert.throws(() => buildPartitionSpec(schema, ['country', 'identity(country)']), /partition name "country" is used more than once/);
  assert.throws(() => buildPartitionSpec(schema, ['bucket(4, country) as name']), /partition name "name" is already a column/);
  assert.equal(buildPartitionSpec(schema, ['day(d)']).spec.fields[0].name, 'd_day');
  assert.throws(() => buildPartitionSpec(schema, ['day(order_ts) as ts_day']), /"ts_day" is already a column/);
  // Different bucket counts on one column are allowed, as in Java.
  assert.equal(buildPartitionSpec(schema, ['bucket(4, customer_id) as b4', 'bucket(8, customer_id) as b8']).spec.fields.length, 2);
});

test('partitionType: the manifest partition struct', () => {
  const { spec } = buildPartitionSpec(schema, ['day(order_ts)', 'bucket(16, customer_id)', 'truncate(4, name)', 'country', 'year(d)', 'bucket(4, country) as m', 'truncate(50, price)', 'void(score)']);
  assert.deepEqual(partitionType(spec, schema), {
    type: 'struct',
    fields: [
      { id: 1000, name: 'order_ts_day', required: false, type: 'date' },
      { id: 1001, name: 'customer_id_bucket', required: false, type: 'int' },
      { id: 1002, name: 'name_trunc', required: false, type: 'string' },
      { id: 1003, name: 'country', required: false, type: 'string' },
      { id: 1004, name: 'd_year', required: false, type: 'int' },
      { id: 1005, name: 'm', required: false, type: 'int' },
      { id: 1006, name: 'price_trunc', required: false, type: 'decimal(9, 2)' },
      { id: 1007, name: 'score_null', required: false, type: 'double' },
    ],
  });
  // A dropped source column still has a type for transforms with a fixed result type.
  const dropped = { 'spec-id': 0, fields: [{ 'source-id': 99, 'field-id': 1000, name: 'x_bucket', transform: 'bucket[2]' }] };
  assert.deepEqual(partitionType(dropped, schema).fields[0].type, 'int');
  assert.throws(() => partitionType({ 'spec-id': 0, fields: [{ 'source-id': 99, 'field-id': 1000, name: 'x', transform: 'identity' }] }, schema), /source column id 99/);
});

test('bindPartitionSpec gives working transforms per field', () => {
  const { spec } = buildPartitionSpec(schema, ['day(order_ts)', 'bucket(16, customer_id)', 'customer.zip']);
  const bound = bindPartitionSpec(spec, schema);
  assert.deepEqual(
    bound.map((b) => b.sourcePath),
    [['order_ts'], ['customer_id'], ['customer', 'zip']],
  );
  assert.deepEqual(
    bound.map((b) => b.resultType),
    ['date', 'int', 'int'],
  );
  assert.equal(bound[0].apply(86_400_000_000n * 3n + 5n), 3);
  assert.equal(bound[1].apply(34n), (2017239379 & 0x7fffffff) % 16);
  assert.equal(bound[2].apply(null), null);
});

test('validatePartitionSpec, lastPartitionId, specsEquivalent', () => {
  const { spec } = buildPartitionSpec(schema, ['day(order_ts)', 'bucket(16, customer_id)']);
  validatePartitionSpec(spec, schema);
  assert.throws(
    () => validatePartitionSpec({ 'spec-id': 2, fields: [{ 'source-id': 3, 'field-id': 1000, name: 'n', transform: 'day' }] }, schema),
    /partition spec 2 field "n": transform day cannot be applied to column name of type string/,
  );
  assert.throws(() => validatePartitionSpec({ 'spec-id': 2, fields: [{ 'source-id': 3, 'field-id': 1000, name: 'n', transform: 'zorder' }] }, schema), /unknown partition transform "zorder"/);
  assert.equal(lastPartitionId([]), 999);
  assert.equal(lastPartitionId([spec, { 'spec-id': 1, fields: [{ 'source-id': 1, 'field-id': 1010, name: 'x', transform: 'hour' }] }]), 1010);
  const again = buildPartitionSpec(schema, ['day(order_ts)', 'bucket(16, customer_id)'], { specId: 5, lastPartitionId: 1001 }).spec;
  assert.equal(specsEquivalent(spec, again), true);
  assert.equal(specsEquivalent(spec, buildPartitionSpec(schema, ['day(order_ts)', 'bucket(8, customer_id)']).spec), false);
  assert.equal(specsEquivalent(spec, buildPartitionSpec(schema, ['day(order_ts)']).spec), false);
});
