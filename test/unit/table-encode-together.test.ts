// Many small partitions in one commit (bucket(N)): RollingDataFiles.write encodes runs of small
// batches as one encoder task (ParquetEncoderPool.encodeRowGroupsMany: one message, not one per
// file). The files must be byte for byte those of one task per batch (inline), with the same
// Iceberg metrics, and read back with every row (arrow-rs through parquet-wasm).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm/node';
import { SqlCatalog } from '../../src/catalog/sql-catalog.ts';
import { buildPartitionSpec } from '../../src/iceberg/partition-spec.ts';
import { currentSchema, defaultSpec } from '../../src/iceberg/metadata-updates.ts';
import type { DataFile } from '../../src/iceberg/data-file.ts';
import type { Schema } from '../../src/iceberg/types.ts';
import { fileIOFor } from '../../src/io/resolve-file-io.ts';
import { ParquetEncoderPool } from '../../src/parquet/encoder-pool.ts';
import type { ParquetEncoder } from '../../src/writer/data-file-writer.ts';
import { inlineEncoder } from '../../src/writer/data-file-writer.ts';
import { RollingDataFiles } from '../../src/writer/fanout-writer.ts';
import { PartitionedBatch } from '../../src/batch/partitioned-batch.ts';

const schema: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'name', required: false, type: 'string' },
    { id: 3, name: 'tags', required: false, type: { type: 'list', 'element-id': 4, element: 'string', 'element-required': true } },
    { id: 5, name: 'score', required: false, type: 'double' },
  ],
};

const row = (i: number) => ({ id: BigInt(i), name: i % 7 === 0 ? null : `name-${i % 13}`, tags: i % 3 === 0 ? [] : [`t${i % 4}`, 'x'.repeat(i % 50)], score: i % 11 === 0 ? NaN : i / 8 });

async function write(encoder: ParquetEncoder, buckets: number, rows: number) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-together-'));
  const catalog = new SqlCatalog({ uri: path.join(dir, 'catalog.db'), warehouse: pathToFileURL(dir).href });
  await catalog.createNamespace(['b']);
  const id = { namespace: ['b'], name: 't' };
  await catalog.createTable(id, { schema, partitionSpec: buildPartitionSpec(schema, [`bucket(${buckets}, id)`]).spec });
  const table = await catalog.loadTable(id);
  const s = currentSchema(table.metadata);
  const spec = defaultSpec(table.metadata);
  const io = fileIOFor(table.metadata.location, table.config);
  const batch = new PartitionedBatch('t', s, spec);
  for (let i = 0; i < rows; i++) batch.append(row(i));
  const files = new RollingDataFiles(table, s, spec, { io, encoder });
  await files.write(batch.drain());
  const written = await files.finish();
  const byPartition = new Map<string, { file: DataFile; bytes: Uint8Array }>();
  for (const f of written) byPartition.set(JSON.stringify(f.partition), { file: f, bytes: await io.read(f['file-path']) });
  fs.rmSync(dir, { recursive: true, force: true });
  return byPartition;
}

test('small batches encoded together in the pool: the same files and metrics as one by one, every row read back', async () => {
  const pool = new ParquetEncoderPool({ size: 1 });
  let together = 0;
  let batches = 0;
  const counting: ParquetEncoder = {
    encode: (s, b, o) => pool.encode(s, b, o),
    encodeRowGroups: (s, b, o) => pool.encodeRowGroups(s, b, o),
    encodeRowGroupsMany: (s, bs, o) => {
      together++;
      batches += bs.length;
      return pool.encodeRowGroupsMany(s, bs, o);
    },
  };
  try {
    const pooled = await write(counting, 200, 3000);
    const inline = await write(inlineEncoder, 200, 3000);
    assert.equal(pooled.size, 200);
    assert.ok(together >= 2 && together <= 10, `${together} tasks for 200 small batches`);
    assert.equal(batches, 200);
    let rows = 0;
    for (const [key, p] of pooled) {
      const q = inline.get(key)!;
      assert.ok(Buffer.compare(p.bytes, q.bytes) === 0, `partition ${key}: the same bytes`);
      const strip = (f: DataFile) => ({ ...f, 'file-path': '' });
      assert.deepEqual(strip(p.file), strip(q.file));
      const t = arrow.tableFromIPC(pw.readParquet(p.bytes).intoIPCStream());
      assert.equal(t.numRows, p.file['record-count']);
      rows += t.numRows;
    }
    assert.equal(rows, 3000);
  } finally {
    await pool.close();
  }
});
