// A data file larger than the S3 multipart part size, written a row group at a time through
// the rolling writer (PartitionedBatch.takeRowGroups + RollingDataFiles) to the stack's real S3
// server under the REST catalog: its parts are uploaded while the file is still open (a
// multipart upload is pending before finish), the committed file reads back value by value in
// PyIceberg and DuckDB, and a file aborted after parts were uploaded leaves no object and no
// pending multipart upload. The part size is set to S3's minimum (5 MiB, s3.multipart.size)
// to keep the file small. Needs the test stack (FLOE_TEST_S3_*, FLOE_TEST_REST_URI) and
// FLOE_TEST_PYTHON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { AbortMultipartUploadCommand, ListMultipartUploadsCommand, ListObjectsV2Command, ListPartsCommand } from '@aws-sdk/client-s3';
import { appendFiles } from '../../src/commit/append.ts';
import { currentSchema, defaultSpec } from '../../src/iceberg/metadata-updates.ts';
import type { Schema } from '../../src/iceberg/types.ts';
import { parseS3Location, S3FileIO } from '../../src/io/s3-file-io.ts';
import { PartitionedBatch } from '../../src/batch/partitioned-batch.ts';
import { RollingDataFiles } from '../../src/writer/fanout-writer.ts';
import { readWithDuckDB, readWithPyIceberg } from '../helpers/readers.ts';
import { openTableEnv, s3Properties } from '../helpers/table-fixtures.ts';

const MiB = 1024 * 1024;
const PART = 5 * MiB;
const SCHEMA: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'payload', required: true, type: 'binary' },
  ],
};
/** Random bytes do not compress: ~7 MiB of rows make a file over one 5 MiB part. */
const ROWS = 7000;
const PAYLOAD = 1024;
const SLICE = 500;

async function pendingUploads(io: S3FileIO, bucket: string, prefix: string): Promise<{ key: string; uploadId: string }[]> {
  const res = await io.client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }));
  return (res.Uploads ?? []).map((u) => ({ key: u.Key!, uploadId: u.UploadId! }));
}

async function objectsUnder(io: S3FileIO, bucket: string, prefix: string): Promise<string[]> {
  const res = await io.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (res.Contents ?? []).map((o) => o.Key!).sort();
}

/** Polls until `cond` holds (bounded): parts are uploaded in the background of write(). */
async function until<T>(what: string, get: () => Promise<T>, cond: (v: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (cond(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(v)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('a data file over the multipart part size streams its parts to S3, reads back in PyIceberg and DuckDB; an aborted one leaves nothing', async () => {
  const env = await openTableEnv('rest', 's3mp');
  try {
    await env.catalog.createTable(env.id('big'), { schema: SCHEMA });
    const table = await env.catalog.loadTable(env.id('big'));
    const schema = currentSchema(table.metadata);
    const spec = defaultSpec(table.metadata);
    const io = new S3FileIO({ ...s3Properties(env.s3!), 's3.multipart.size': String(PART) });
    const { bucket, key: tableKey } = parseS3Location(table.metadata.location);
    const dataPrefix = `${tableKey}/data/`;
    try {
      const payloads = Array.from({ length: ROWS }, () => randomBytes(PAYLOAD));
      const rows = payloads.map((payload, i) => ({ id: BigInt(i), payload: new Uint8Array(payload) }));
      const fill = async (files: RollingDataFiles, batch: PartitionedBatch, from: number, to: number) => {
        for (let at = from; at < to; at += SLICE) {
          for (const r of rows.slice(at, Math.min(to, at + SLICE))) batch.append(r);
          await files.write(batch.takeRowGroups());
        }
      };

      // 1. committed: parts go up while the file is open, the footer at finish
      const batch = new PartitionedBatch('big', schema, spec, { rowGroupBytes: MiB / 4 });
      const files = new RollingDataFiles(table, schema, spec, { io });
      await fill(files, batch, 0, ROWS - SLICE);
      const [open] = await until(
        'a pending multipart upload with a part',
        () => pendingUploads(io, bucket, dataPrefix),
        (u) => u.length === 1,
      );
      const parts = await until(
        'an uploaded part',
        async () => (await io.client.send(new ListPartsCommand({ Bucket: bucket, Key: open.key, UploadId: open.uploadId }))).Parts ?? [],
        (p) => p.length >= 1,
      );
      assert.equal(parts[0].Size, PART, 'parts are the configured size');
      assert.deepEqual(await objectsUnder(io, bucket, dataPrefix), [], 'nothing is visible before finish');
      for (const r of rows.slice(ROWS - SLICE)) batch.append(r);
      await files.write(batch.drain());
      const written = await files.finish();
      assert.equal(written.length, 1);
      const file = written[0];
      assert.ok(file['file-size-in-bytes'] > PART, `file of ${file['file-size-in-bytes']} bytes is over one part`);
      assert.ok(file['split-offsets']!.length >= 4, `several row groups (${file['split-offsets']!.length})`);
      assert.equal(parseS3Location(file['file-path']).key, open.key, 'the pending upload became the data file');
      assert.deepEqual(await pendingUploads(io, bucket, dataPrefix), [], 'the upload is completed');
      await appendFiles(env.catalog, env.id('big'), written, { io, specId: spec['spec-id'] });

      const s3 = { endpoint: env.s3!.endpoint, accessKey: env.s3!.accessKeyId, secretKey: env.s3!.secretAccessKey, region: env.s3!.region };
      const expected = rows.map((r) => ({ id: String(r.id), payload: Buffer.from(r.payload).toString('hex') }));
      const byId = (a: Record<string, unknown>, b: Record<string, unknown>) => Number(a.id) - Number(b.id);
      const py = await readWithPyIceberg({ catalog: env.reader, table: env.qualified('big'), s3, sort: false });
      assert.equal(py.rows.length, ROWS);
      assert.deepEqual([...py.rows].sort(byId), expected, 'PyIceberg reads every row once, value by value');
      assert.equal(py.files.length, 1);
      assert.equal(py.files[0].file_size_in_bytes, file['file-size-in-bytes']);
      const duck = await readWithDuckDB({ catalog: env.reader, table: env.qualified('big'), s3, sort: false });
      assert.deepEqual([...duck.rows].sort(byId), expected, 'DuckDB reads every row once, value by value');

      // 2. aborted after a part was uploaded: no object, no pending upload
      const before = await objectsUnder(io, bucket, dataPrefix);
      const dropped = new RollingDataFiles(table, schema, spec, { io });
      const batch2 = new PartitionedBatch('big', schema, spec, { rowGroupBytes: MiB / 4 });
      await fill(dropped, batch2, 0, ROWS - SLICE);
      const [pending] = await until(
        'a pending multipart upload',
        () => pendingUploads(io, bucket, dataPrefix),
        (u) => u.length === 1,
      );
      await until(
        'an uploaded part of the file to abort',
        async () => (await io.client.send(new ListPartsCommand({ Bucket: bucket, Key: pending.key, UploadId: pending.uploadId }))).Parts ?? [],
        (p) => p.length >= 1,
      );
      await dropped.abort();
      batch2.drain();
      assert.deepEqual(await pendingUploads(io, bucket, dataPrefix), [], 'no pending multipart upload after abort');
      assert.deepEqual(await objectsUnder(io, bucket, dataPrefix), before, 'no object of the aborted file');
    } finally {
      // a failed run leaves no upload behind in the bucket
      for (const u of await pendingUploads(io, bucket, dataPrefix).catch(() => [])) {
        await io.client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.key, UploadId: u.uploadId })).catch(() => undefined);
      }
      await io.close();
    }
  } finally {
    await env.close();
  }
});
