// Extra columns (the pipeline's Kafka metadata): append(record, extras) must write exactly what
// appending the merged record {...record, ...extras} writes, and PartitionedBatch must keep its
// builders across drains without mixing batches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecordBatchBuilder } from '../../src/batch/record-batch.ts';
import { ValueError } from '../../src/batch/errors.ts';
import type { ColumnBatch } from '../../src/batch/column-batch.ts';
import type { Schema } from '../../src/iceberg/types.ts';
import type { PartitionSpec } from '../../src/iceberg/table-metadata.ts';
import { PartitionedBatch } from '../../src/batch/partitioned-batch.ts';

const schema: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'name', required: false, type: 'string' },
    { id: 3, name: '_kafka_topic', required: true, type: 'string' },
    { id: 4, name: '_kafka_partition', required: true, type: 'int' },
    { id: 5, name: '_kafka_offset', required: true, type: 'long' },
    { id: 6, name: '_kafka_timestamp', required: false, type: 'timestamptz' },
    { id: 7, name: '_kafka_headers', required: false, type: { type: 'map', 'key-id': 8, key: 'string', 'value-id': 9, value: 'binary', 'value-required': false } },
  ],
};
const EXTRA = ['_kafka_topic', '_kafka_partition', '_kafka_offset', '_kafka_timestamp', '_kafka_headers'];
const NAMES = EXTRA;

/** Column data as plain arrays, comparable with deepEqual. */
function plain(b: ColumnBatch): unknown {
  return {
    rowCount: b.rowCount,
    columns: b.columns.map((c) => ({
      path: c.columnPath,
      levels: c.levelCount,
      def: c.def && [...c.def],
      rep: c.rep && [...c.rep],
      values: c.values && Array.from(c.values as ArrayLike<unknown>),
      offsets: c.offsets && [...c.offsets],
      dict: c.dict && { size: c.dict.size, offsets: [...c.dict.offsets], data: [...c.dict.data], indices: [...c.dict.indices] },
    })),
  };
}

function rows(n: number) {
  return Array.from({ length: n }, (_, i) => ({
    record: { id: i, name: i % 3 === 0 ? null : `n${i}`, ...(i % 4 === 0 ? { _kafka_topic: 'from-record' } : {}) },
    extras: ['events', i % 2, BigInt(1000 + i), i % 5 === 0 ? BigInt(i) * 1000n : 1_767_225_600_000_000 + i, i % 3 === 0 ? new Map([['h', new Uint8Array([i & 255])]]) : null],
  }));
}

test('append(record, extras) writes what appending the merged record writes; extras override the record', () => {
  const merged = new RecordBatchBuilder(schema, 't');
  const extra = new RecordBatchBuilder(schema, 't', { extraColumns: EXTRA });
  for (const { record, extras } of rows(300)) {
    const m: Record<string, unknown> = { ...record };
    NAMES.forEach((n, j) => (m[n] = extras[j]));
    merged.append(m);
    extra.append(record, extras);
  }
  const a = plain(merged.finish());
  const b = plain(extra.finish());
  assert.deepEqual(b, a);
  // the record's own _kafka_topic lost to the extra: the topic column's dictionary is "events" alone
  const topic = extra.finish().columns.find((c) => c.columnPath === '_kafka_topic');
  assert.ok(topic);
  const again = new RecordBatchBuilder(schema, 't', { extraColumns: EXTRA });
  again.append({ id: 0, _kafka_topic: 'from-record' }, ['events', 0, 0n, null, null]);
  const col = again.finish().columns.find((c) => c.columnPath === '_kafka_topic')!;
  assert.equal(Buffer.from(col.dict!.data).toString(), 'events');
});

test('without extras, extra columns come from the record; a bad extra value is a ValueError naming the column and leaves no trace', () => {
  const b = new RecordBatchBuilder(schema, 't', { extraColumns: EXTRA });
  b.append({ id: 1, _kafka_topic: 'x', _kafka_partition: 0, _kafka_offset: 5n });
  assert.throws(
    () => b.append({ id: 2 }, ['events', 1.5, 6n, null, null]),
    (e) => e instanceof ValueError && /_kafka_partition/.test(e.message),
  );
  assert.throws(
    () => b.append({ id: 3 }),
    (e) => e instanceof ValueError && /_kafka_topic/.test(e.message),
  );
  const out = b.finish();
  assert.equal(out.rowCount, 1);
  const byPath = new Map(out.columns.map((c) => [c.columnPath, c]));
  assert.deepEqual([...(byPath.get('_kafka_offset')!.values as BigInt64Array)], [5n]);
  assert.deepEqual([...(byPath.get('id')!.values as BigInt64Array)], [1n]);
});

const unpartitioned: PartitionSpec = { 'spec-id': 0, fields: [] };
const byKafkaPartition: PartitionSpec = { 'spec-id': 1, fields: [{ 'source-id': 4, 'field-id': 1000, name: 'p', transform: 'identity' }] };

test('PartitionedBatch: builders kept across drains give the same batches as fresh ones, unpartitioned and partitioned by an extra column', () => {
  for (const spec of [unpartitioned, byKafkaPartition]) {
    const kept = new PartitionedBatch('t', schema, spec, { extraColumns: EXTRA });
    for (let round = 0; round < 3; round++) {
      const fresh = new PartitionedBatch('t', schema, spec);
      // round 2 only writes partition 0: partition 1's kept builder must not show up
      const rs = rows(200 + round * 50).filter((r) => round < 2 || r.extras[1] === 0);
      for (const { record, extras } of rs) {
        kept.append(record, extras);
        const m: Record<string, unknown> = { ...record };
        NAMES.forEach((n, j) => (m[n] = extras[j]));
        fresh.append(m);
      }
      assert.equal(kept.rowCount, rs.length);
      const a = fresh.drain().map((p) => ({ partition: p.partition, batch: plain(p.batch) }));
      const b = kept.drain().map((p) => ({ partition: p.partition, batch: plain(p.batch) }));
      assert.deepEqual(b, a, `spec ${spec['spec-id']} round ${round}`);
      assert.equal(b.length, spec.fields.length === 0 ? 1 : round < 2 ? 2 : 1);
      assert.equal(kept.rowCount, 0);
      assert.deepEqual(kept.drain(), []);
    }
  }
});
