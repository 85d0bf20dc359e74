// S3FileIO against a real S3-compatible server (MinIO / versitygw from scripts/stack, or any
// server named by FLOE_TEST_S3_*, read through stackEnv()). Fails, not skips, when the stack's
// variables are missing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { CreateBucketCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { S3FileIO, StorageUnreachableError } from '../../src/io/s3-file-io.ts';
import { NotFoundError } from '../../src/io/file-io.ts';
import { closeSharedFileIO, fileIOFor } from '../../src/io/resolve-file-io.ts';
import { stackEnv } from '../helpers/stack.ts';

const env = stackEnv();
const endpoint = env.s3Endpoint;
const bucket = env.s3Bucket;
const props: Record<string, string> = {
  's3.endpoint': endpoint,
  's3.access-key-id': env.s3AccessKey,
  's3.secret-access-key': env.s3SecretKey,
  's3.region': env.s3Region || 'us-east-1',
  's3.path-style-access': 'true',
};
if (process.env.FLOE_TEST_S3_CHECKSUM) props['s3.checksum-calculation'] = process.env.FLOE_TEST_S3_CHECKSUM;
const run = randomUUID();
const base = `s3://${bucket}/floe-io-test/${run}`;
let io: S3FileIO;

before(async () => {
  io = new S3FileIO(props);
  try {
    await io.client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (err) {
    const name = (err as Error).name;
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw err;
  }
});

after(async () => {
  for await (const f of io.list(`${base}/`)) await io.delete(f.location);
  await io.close();
  await closeSharedFileIO();
});

test('round trip: write, exists, read, overwrite, delete', async () => {
  const loc = `${base}/small/a.bin`;
  const data = randomBytes(1000);
  assert.equal(await io.exists(loc), false);
  await io.write(loc, data);
  assert.equal(await io.exists(loc), true);
  assert.deepEqual(Buffer.from(await io.read(loc)), data);
  await io.write(loc, new Uint8Array([7, 8]));
  assert.deepEqual(await io.read(loc), new Uint8Array([7, 8]));
  await io.delete(loc);
  assert.equal(await io.exists(loc), false);
  await io.delete(loc); // a second delete is not an error
});

test('s3a:// locations address the same objects', async () => {
  const data = randomBytes(64);
  await io.write(`${base}/s3a/x.bin`, data);
  const viaS3a = fileIOFor(`s3a://${bucket}/x`, props);
  assert.deepEqual(Buffer.from(await viaS3a.read(`s3a://${bucket}/floe-io-test/${run}/s3a/x.bin`)), data);
  await viaS3a.close?.();
});

test('multipart: a file bigger than the part size is uploaded in parts and reads back whole', async () => {
  const partSize = 5 * 1024 * 1024; // S3's minimum part size
  const mp = new S3FileIO({ ...props, 's3.multipart.size': String(partSize) });
  const data = randomBytes(partSize * 2 + 12345); // three parts, the last one short
  const loc = `${base}/big/multipart.bin`;
  const sent: string[] = [];
  mp.client.middlewareStack.add(
    (next, ctx) => async (args) => {
      sent.push(ctx.commandName as string);
      return next(args);
    },
    { step: 'initialize', name: 'recordCommands' },
  );
  await mp.write(loc, data);
  assert.equal(sent.filter((c) => c === 'UploadPartCommand').length, 3);
  assert.ok(sent.includes('CreateMultipartUploadCommand') && sent.includes('CompleteMultipartUploadCommand'));
  const back = await mp.read(loc);
  assert.equal(back.length, data.length);
  assert.ok(Buffer.from(back).equals(data));
  await mp.close();
});

test('multipart failure aborts the upload and leaves no object', async () => {
  const partSize = 5 * 1024 * 1024;
  const mp = new S3FileIO({ ...props, 's3.multipart.size': String(partSize) });
  const loc = `${base}/big/aborted.bin`;
  let calls = 0;
  mp.client.middlewareStack.add(
    (next, ctx) => async (args) => {
      if (ctx.commandName === 'UploadPartCommand' && ++calls === 2) throw new Error('injected part failure');
      return next(args);
    },
    { step: 'initialize', name: 'failSecondPart' },
  );
  await assert.rejects(mp.write(loc, randomBytes(partSize * 2 + 1)), /injected part failure/);
  assert.equal(await io.exists(loc), false);
  const uploads = await io.client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: `floe-io-test/${run}/big/aborted.bin` }));
  assert.equal((uploads.Uploads ?? []).length, 0, 'the failed upload was not aborted');
  await mp.close();
});

test('ranged reads: from the start, from the end, past the end', async () => {
  const loc = `${base}/range/r.bin`;
  const data = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  await io.write(loc, data);
  assert.deepEqual(Buffer.from(await io.readRange(loc, 10, 6)), data.subarray(10, 16));
  assert.deepEqual(Buffer.from(await io.readRange(loc, -8, 8)), data.subarray(248));
  assert.deepEqual(Buffer.from(await io.readRange(loc, -8, 3)), data.subarray(248, 251));
  assert.deepEqual(Buffer.from(await io.readRange(loc, 250, 100)), data.subarray(250));
});

test('list pages through more keys than one page holds', async () => {
  const n = 57;
  const prefix = `${base}/list/`;
  const names = Array.from({ length: n }, (_, i) => `${prefix}k${String(i).padStart(5, '0')}`);
  await Promise.all(names.map((l) => io.write(l, new Uint8Array([1, 2, 3]))));
  const paged = new S3FileIO(props);
  paged.listPageSize = 10; // six pages
  let pages = 0;
  paged.client.middlewareStack.add(
    (next, ctx) => async (args) => {
      if (ctx.commandName === 'ListObjectsV2Command') pages++;
      return next(args);
    },
    { step: 'initialize', name: 'countPages' },
  );
  const seen: string[] = [];
  for await (const f of paged.list(prefix)) {
    seen.push(f.location);
    assert.equal(f.size, 3);
    assert.ok(f.lastModified.getTime() > Date.now() - 3600_000);
  }
  await paged.close();
  assert.deepEqual(seen.sort(), names);
  assert.equal(pages, 6);
});

test('a missing object gives NotFoundError naming it', async () => {
  const loc = `${base}/missing/nothing.json`;
  await assert.rejects(io.read(loc), (e: unknown) => e instanceof NotFoundError && e.location === loc);
  await assert.rejects(io.readRange(loc, 0, 10), NotFoundError);
});

test('an unreachable endpoint gives an error naming the endpoint', async () => {
  const dead = 'http://127.0.0.1:9'; // nothing listens on the discard port
  const bad = new S3FileIO({ ...props, 's3.endpoint': dead, 's3.max-attempts': '1' });
  await assert.rejects(bad.read(`s3://${bucket}/x`), (e: unknown) => {
    assert.ok(e instanceof StorageUnreachableError);
    assert.match((e as Error).message, /^S3 endpoint http:\/\/127\.0\.0\.1:9 unreachable: .*ECONNREFUSED/);
    return true;
  });
  await assert.rejects(bad.write(`s3://${bucket}/x`, new Uint8Array(1)), /S3 endpoint http:\/\/127\.0\.0\.1:9 unreachable/);
  await bad.close();
});
