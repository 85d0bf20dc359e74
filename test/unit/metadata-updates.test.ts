import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyUpdates, checkRequirements, currentSnapshot, newTableMetadata, RequirementFailedError } from '../../src/iceberg/metadata-updates.ts';
import type { Snapshot } from '../../src/iceberg/table-metadata.ts';
import type { Schema } from '../../src/iceberg/types.ts';
import { parseJson, stringifyJson } from '../../src/iceberg/json.ts';

const schema: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'tags', required: false, type: { type: 'list', 'element-id': 3, element: 'string', 'element-required': false } },
  ],
};

function snap(id: bigint, seq: number, parent?: bigint): Snapshot {
  const s: Snapshot = { 'snapshot-id': id, 'sequence-number': seq, 'timestamp-ms': 1000 + seq, 'manifest-list': `s3://b/t/metadata/snap-${id}.avro`, summary: { operation: 'append' } };
  if (parent !== undefined) s['parent-snapshot-id'] = parent;
  return s;
}

test('new table metadata counts nested ids in last-column-id and starts partition ids below 1000', () => {
  const m = newTableMetadata({ schema, location: 's3://b/t/', properties: { a: 'b' } });
  assert.equal(m['last-column-id'], 3);
  assert.equal(m['last-partition-id'], 999);
  assert.equal(m.location, 's3://b/t');
  assert.equal(currentSnapshot(m), undefined);
});

test('add-snapshot and set-snapshot-ref move main and keep 64-bit ids exact through JSON', () => {
  const big = (1n << 62n) + 12345n;
  let m = newTableMetadata({ schema, location: 'file:///w/t' });
  checkRequirements(m, [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null }]);
  m = applyUpdates(
    m,
    [
      { action: 'add-snapshot', snapshot: snap(big, 1) },
      { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': big },
    ],
    5000,
    'file:///w/t/metadata/00000-x.metadata.json',
  );
  const back = parseJson<typeof m>(stringifyJson(m));
  assert.equal(back['current-snapshot-id'], big);
  assert.equal(back.refs!.main['snapshot-id'], big);
  assert.equal(back.snapshots![0]['snapshot-id'], big);
  assert.equal(back['last-sequence-number'], 1);
  assert.equal(back['metadata-log']!.length, 1);
  checkRequirements(back, [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': big }]);
  assert.throws(() => checkRequirements(back, [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': big + 1n }]), RequirementFailedError);
  assert.throws(() => checkRequirements(back, [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null }]), /expected nothing/);
});

test('metadata log is bounded by write.metadata.previous-versions-max', () => {
  let m = newTableMetadata({ schema, location: 'file:///w/t', properties: { 'write.metadata.previous-versions-max': '3' } });
  for (let i = 0; i < 10; i++) m = applyUpdates(m, [{ action: 'set-properties', updates: { n: String(i) } }], 1000 + i, `v${i}`);
  assert.deepEqual(
    m['metadata-log']!.map((e) => e['metadata-file']),
    ['v7', 'v8', 'v9'],
  );
  assert.equal(m.properties!.n, '9');
});

test('add-schema with id -1 in set-current-schema picks the schema just added; same fields reuse the old id', () => {
  let m = newTableMetadata({ schema, location: 'file:///w/t' });
  const evolved: Schema = { ...schema, 'schema-id': 1, fields: [...schema.fields, { id: 4, name: 'x', required: false, type: 'double' }] };
  m = applyUpdates(m, [
    { action: 'add-schema', schema: evolved, 'last-column-id': 4 },
    { action: 'set-current-schema', 'schema-id': -1 },
  ]);
  assert.equal(m['current-schema-id'], 1);
  assert.equal(m['last-column-id'], 4);
  const again = applyUpdates(m, [
    { action: 'add-schema', schema: evolved },
    { action: 'set-current-schema', 'schema-id': -1 },
  ]);
  assert.equal(again.schemas.length, 2);
  assert.throws(() => checkRequirements(m, [{ type: 'assert-current-schema-id', 'current-schema-id': 0 }]), RequirementFailedError);
});

test('remove-snapshots drops snapshots, their log entries and refs to them', () => {
  let m = newTableMetadata({ schema, location: 'file:///w/t' });
  m = applyUpdates(m, [
    { action: 'add-snapshot', snapshot: snap(1n, 1) },
    { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 1n },
  ]);
  m = applyUpdates(m, [
    { action: 'add-snapshot', snapshot: snap(2n, 2, 1n) },
    { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 2n },
  ]);
  assert.throws(() => applyUpdates(m, [{ action: 'add-snapshot', snapshot: snap(3n, 2, 2n) }]), /sequence number/);
  m = applyUpdates(m, [{ action: 'remove-snapshots', 'snapshot-ids': [1n] }]);
  assert.deepEqual(
    m.snapshots!.map((s) => s['snapshot-id']),
    [2n],
  );
  assert.deepEqual(
    m['snapshot-log']!.map((s) => s['snapshot-id']),
    [2n],
  );
  assert.equal(currentSnapshot(m)!['snapshot-id'], 2n);
});

test('applyUpdates leaves its base as it was, whatever the updates add, replace or drop', () => {
  let base = newTableMetadata({ schema, location: 'file:///w/t', properties: { keep: '1', drop: '2' } });
  base = applyUpdates(
    base,
    [
      { action: 'add-snapshot', snapshot: snap(1n, 1) },
      { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 1n },
      { action: 'add-snapshot', snapshot: snap(2n, 2, 1n) },
      { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 2n },
      { action: 'set-snapshot-ref', 'ref-name': 'audit', type: 'tag', 'snapshot-id': 1n },
    ],
    3000,
    'file:///w/t/metadata/00000-a.metadata.json',
  );
  const before = structuredClone(base);
  const next = applyUpdates(
    base,
    [
      { action: 'add-schema', schema: { ...schema, fields: [...schema.fields, { id: 4, name: 'extra', required: false, type: 'string' }] } },
      { action: 'set-current-schema', 'schema-id': -1 },
      { action: 'add-spec', spec: { 'spec-id': 0, fields: [{ 'source-id': 1, 'field-id': 1000, name: 'id_bucket', transform: 'bucket[4]' }] } },
      { action: 'set-default-spec', 'spec-id': -1 },
      { action: 'add-sort-order', 'sort-order': { 'order-id': 1, fields: [{ 'source-id': 1, transform: 'identity', direction: 'asc', 'null-order': 'nulls-first' }] } },
      { action: 'set-default-sort-order', 'sort-order-id': -1 },
      { action: 'add-snapshot', snapshot: snap(3n, 3, 2n) },
      { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 3n },
      { action: 'remove-snapshots', 'snapshot-ids': [1n] },
      { action: 'remove-snapshot-ref', 'ref-name': 'audit' },
      { action: 'set-properties', updates: { keep: 'changed', added: 'x' } },
      { action: 'remove-properties', removals: ['drop'] },
      { action: 'set-location', location: 'file:///w/moved' },
    ],
    4000,
    'file:///w/t/metadata/00001-b.metadata.json',
  );
  assert.deepEqual(base, before);
  // and the new metadata has every change
  assert.equal(next['current-schema-id'], 1);
  assert.equal(next['partition-specs'].length, 2);
  assert.equal(next['sort-orders'].length, 2);
  assert.deepEqual(
    next.snapshots!.map((s) => s['snapshot-id']),
    [2n, 3n],
  );
  assert.deepEqual(Object.keys(next.refs!), ['main']);
  assert.deepEqual(next.properties, { keep: 'changed', added: 'x' });
  assert.equal(next.location, 'file:///w/moved');
  assert.equal(next['metadata-log']!.length, 2);
  assert.deepEqual(
    next['snapshot-log']!.map((e) => e['snapshot-id']),
    [2n, 3n],
  );
});

test('applyUpdates on v1 metadata without sort orders or specs lists leaves them absent', () => {
  const v1 = newTableMetadata({ schema, location: 'file:///w/t' }) as unknown as Record<string, unknown>;
  delete v1['sort-orders'];
  delete v1['partition-specs'];
  const next = applyUpdates(v1 as never, [{ action: 'set-properties', updates: { a: 'b' } }], 1000) as unknown as Record<string, unknown>;
  assert.equal('sort-orders' in next && next['sort-orders'] !== undefined, false);
  assert.equal(next['partition-specs'], undefined);
  assert.deepEqual(next.properties, { a: 'b' });
});
