import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecordBatchBuilder } from '../../src/batch/record-batch.ts';
import { encodeParquet } from '../../src/parquet/encode.ts';
import { ParquetEncoderPool } from '../../src/parquet/encoder-pool.ts';
import type { Schema } from '../../src/iceberg/types.ts';

const schema: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'name', required: false, type: 'string' },
    { id: 3, name: 'tags', required: false, type: { type: 'list', 'element-id': 4, element: 'string', 'element-required': true } },
  ],
};

function batch(n: number, seed: number) {
  const b = new RecordBatchBuilder(schema, 't');
  for (let i = 0; i < n; i++) b.append({ id: i * seed, name: i % 3 ? `n${i % 50}` : null, tags: [`a${i % 4}`] });
  return b.finish();
}

test('pool output equals encoding on the main thread; the batch is transferred', async () => {
  const pool = new ParquetEncoderPool({ size: 2 });
  try {
    assert.equal(pool.size, 2);
    const batches = [1, 2, 3, 4, 5].map((s) => batch(2000 + s, s));
    const expected = batches.map((b) => encodeParquet(schema, b, { rowGroupRows: 500 }));
    const results = await Promise.all(batches.map((b) => pool.encode(schema, b, { rowGroupRows: 500 })));
    results.forEach((r, i) => {
      assert.equal(Buffer.compare(Buffer.from(r.bytes), Buffer.from(expected[i].bytes)), 0);
      assert.deepEqual(r.metrics, expected[i].metrics);
    });
    // transferred, not copied: the main thread's arrays are detached
    assert.equal(batches[0].columns[0].values!.length, 0);
  } finally {
    await pool.close();
  }
});

test('errors in the worker reject the promise; the pool keeps working; close rejects new work', async () => {
  const pool = new ParquetEncoderPool();
  try {
    const other: Schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 9, name: 'x', required: true, type: 'int' }] };
    await assert.rejects(pool.encode(other, batch(10, 1)), /parquet encoding failed: Error: batch has 3 leaf columns, schema has 1/);
    const r = await pool.encode(schema, batch(10, 1));
    assert.equal(r.metrics['record-count'], 10);
  } finally {
    await pool.close();
  }
  await assert.rejects(pool.encode(schema, batch(1, 1)), /closed/);
});
