import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LocalFileIO, SYNC_READ_BYTES, localPath } from '../../src/io/local-file-io.ts';
import { NotFoundError } from '../../src/io/file-io.ts';
import { closeSharedFileIO, fileIOFor, schemeOf } from '../../src/io/resolve-file-io.ts';
import { S3FileIO } from '../../src/io/s3-file-io.ts';

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'floe-io-'));
}

test('localPath accepts file:///, file:/ and absolute paths, rejects the rest', () => {
  assert.equal(localPath('file:///tmp/a/b.json'), '/tmp/a/b.json');
  assert.equal(localPath('file:/tmp/a/b.json'), '/tmp/a/b.json');
  assert.equal(localPath('/tmp/a'), '/tmp/a');
  assert.throws(() => localPath('relative/path'), /not a local file location/);
  assert.throws(() => localPath('file://host/x'), /host/);
});

test('write creates parents, read returns the bytes, exists and delete', async () => {
  const dir = await tempDir();
  try {
    const io = new LocalFileIO();
    const loc = pathToFileURL(join(dir, 'a/b/c/file.bin')).href;
    const data = new Uint8Array([1, 2, 3, 4, 5, 250]);
    assert.equal(await io.exists(loc), false);
    await io.write(loc, data);
    assert.equal(await io.exists(loc), true);
    assert.deepEqual(await io.read(loc), data);
    // overwrite replaces the whole content
    await io.write(loc, new Uint8Array([9]));
    assert.deepEqual(await io.read(loc), new Uint8Array([9]));
    // no temp files left behind
    assert.deepEqual(await readdir(join(dir, 'a/b/c')), ['file.bin']);
    await io.delete(loc);
    assert.equal(await io.exists(loc), false);
    await io.delete(loc); // deleting a missing file is fine
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('read of a missing file throws NotFoundError naming the location', async () => {
  const dir = await tempDir();
  try {
    const io = new LocalFileIO();
    const loc = join(dir, 'missing.json');
    await assert.rejects(io.read(loc), (err: unknown) => err instanceof NotFoundError && err.location === loc && err.message.includes(loc));
    await assert.rejects(io.readRange(loc, 0, 4), NotFoundError);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('readRange: from the start, from the end, past the end', async () => {
  const dir = await tempDir();
  try {
    const io = new LocalFileIO();
    const loc = join(dir, 'r.bin');
    const data = new Uint8Array(100).map((_, i) => i);
    await io.write(loc, data);
    assert.deepEqual(await io.readRange(loc, 10, 5), new Uint8Array([10, 11, 12, 13, 14]));
    assert.deepEqual(await io.readRange(loc, -8, 8), data.subarray(92));
    assert.deepEqual(await io.readRange(loc, -8, 4), data.subarray(92, 96));
    assert.deepEqual(await io.readRange(loc, 98, 10), new Uint8Array([98, 99]));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('readInto: a file that fits is read into the given bytes, a larger one is not read, a missing one is NotFoundError', async () => {
  const dir = await tempDir();
  try {
    const io = new LocalFileIO();
    for (const size of [0, 5, 1000, SYNC_READ_BYTES + 10]) {
      const loc = join(dir, `f${size}.bin`);
      const data = new Uint8Array(size).map((_, i) => (i * 13 + 1) & 0xff);
      await io.write(loc, data);
      const into = new Uint8Array(size + 7).fill(0xaa);
      const got = await io.readInto(loc, into);
      assert.ok(got !== undefined && got.buffer === into.buffer && got.byteOffset === 0, `read into the given bytes (${size})`);
      assert.deepEqual(got, data);
      assert.equal(into[size], 0xaa, 'nothing past the file');
      if (size > 0) assert.equal(await io.readInto(loc, new Uint8Array(size - 1)), undefined, `a file of ${size} bytes into ${size - 1}`);
    }
    await assert.rejects(io.readInto(join(dir, 'missing'), new Uint8Array(10)), NotFoundError);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('read and readRange give the same bytes below and above the synchronous-read size', async () => {
  const dir = await tempDir();
  try {
    const io = new LocalFileIO();
    for (const size of [0, 1, SYNC_READ_BYTES, SYNC_READ_BYTES + 1, 3 * SYNC_READ_BYTES + 7]) {
      const loc = join(dir, `f${size}.bin`);
      const data = new Uint8Array(size).map((_, i) => (i * 31 + size) & 0xff);
      await io.write(loc, data);
      assert.deepEqual(await io.read(loc), data, `read of ${size} bytes`);
      assert.deepEqual(await io.readRange(loc, 0, size), data, `readRange of ${size} bytes`);
      assert.deepEqual(await io.readRange(loc, -Math.min(size, 9), 9), data.subarray(size - Math.min(size, 9)), `tail of ${size} bytes`);
    }
    await assert.rejects(io.readRange(join(dir, 'missing'), 0, SYNC_READ_BYTES + 1), NotFoundError);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('create: gathered writes land in order, the caller may reuse its buffer, abort leaves nothing', async () => {
  const dir = await tempDir();
  try {
    const io = new LocalFileIO();
    const loc = join(dir, 'out.bin');
    const out = await io.create(loc);
    const expected: number[] = [];
    const buf = new Uint8Array(1000);
    for (let i = 0; i < 3000; i++) {
      buf.fill(i & 0xff);
      const n = 1 + ((i * 7919) % 1000);
      await out.write(buf.subarray(0, n));
      for (let k = 0; k < n; k++) expected.push(i & 0xff);
      buf.fill(0xee); // reused by the caller once write() returned
    }
    const big = new Uint8Array(3 << 20).fill(7);
    await out.write(big);
    for (let k = 0; k < big.length; k++) expected.push(7);
    assert.equal(out.length, expected.length);
    assert.equal(await io.exists(loc), false, 'not visible before close');
    await out.close();
    assert.deepEqual(await io.read(loc), Uint8Array.from(expected));
    const aborted = await io.create(join(dir, 'aborted.bin'));
    await aborted.write(new Uint8Array(10));
    await aborted.abort();
    assert.deepEqual((await readdir(dir)).sort(), ['out.bin']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('create: writes issued without waiting land in order, across chunk flushes and large pieces', async () => {
  const dir = await tempDir();
  try {
    const io = new LocalFileIO();
    const loc = join(dir, 'unawaited.bin');
    const out = await io.create(loc);
    const pieces = Array.from({ length: 400 }, (_, i) => new Uint8Array(i % 50 === 49 ? (1 << 20) + 3 : 1 + ((i * 7919) % 20_000)).fill(i & 0xff));
    await Promise.all(pieces.map((p) => out.write(p)));
    await out.close();
    const got = await io.read(loc);
    const want = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of pieces) {
      want.set(p, at);
      at += p.length;
    }
    assert.equal(got.length, want.length);
    assert.ok(Buffer.compare(got, want) === 0, 'the bytes in the order written');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('create: a file that fits its first chunk opens nothing until close, then lands whole; abort leaves nothing', async () => {
  const dir = await tempDir();
  try {
    const io = new LocalFileIO();
    const loc = join(dir, 'p=1', 'small.parquet');
    const out = await io.create(loc);
    await out.write(new Uint8Array([1, 2, 3]));
    await out.write(new Uint8Array(5000).fill(9));
    assert.deepEqual(await readdir(join(dir, 'p=1')), [], 'no temporary file while open');
    await out.close();
    const got = await io.read(loc);
    assert.equal(got.length, 5003);
    assert.deepEqual([...got.subarray(0, 4)], [1, 2, 3, 9]);
    assert.deepEqual(await readdir(join(dir, 'p=1')), ['small.parquet']);
    const aborted = await io.create(join(dir, 'p=1', 'aborted.parquet'));
    await aborted.write(new Uint8Array(10));
    await aborted.abort();
    // its folder removed meanwhile (an orphan cleanup): made again at close
    const late = await io.create(join(dir, 'p=2', 'late.parquet'));
    await late.write(new Uint8Array(7).fill(4));
    await rm(join(dir, 'p=2'), { recursive: true, force: true });
    await late.close();
    assert.deepEqual(await io.read(join(dir, 'p=2', 'late.parquet')), new Uint8Array(7).fill(4));
    assert.deepEqual(await readdir(join(dir, 'p=1')), ['small.parquet']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('write() and writeIfAbsent() make a folder once, and again when it was removed since (an orphan cleanup)', async () => {
  const dir = await tempDir();
  try {
    const io = new LocalFileIO();
    const meta = join(dir, 'metadata');
    await io.write(join(meta, 'a.json'), new Uint8Array([1]));
    await io.write(join(meta, 'b.json'), new Uint8Array([2]));
    assert.deepEqual((await readdir(meta)).sort(), ['a.json', 'b.json']);
    await rm(meta, { recursive: true, force: true });
    await io.write(join(meta, 'c.json'), new Uint8Array([3]));
    assert.deepEqual(await io.read(join(meta, 'c.json')), new Uint8Array([3]));
    await rm(meta, { recursive: true, force: true });
    assert.equal(await io.writeIfAbsent(join(meta, 'd.json'), new Uint8Array([4])), true);
    assert.equal(await io.writeIfAbsent(join(meta, 'd.json'), new Uint8Array([5])), false, 'there already');
    assert.deepEqual(await io.read(join(meta, 'd.json')), new Uint8Array([4]));
    assert.deepEqual(await readdir(meta), ['d.json'], 'no temporary file left');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a reader never sees a half-written file while writes race', async () => {
  const dir = await tempDir();
  try {
    const io = new LocalFileIO();
    const loc = join(dir, 'race.bin');
    const a = new Uint8Array(4 * 1024 * 1024).fill(1);
    const b = new Uint8Array(4 * 1024 * 1024).fill(2);
    await io.write(loc, a);
    let stop = false;
    const seen = new Set<string>();
    const reader = (async () => {
      while (!stop) {
        const got = await io.read(loc);
        assert.equal(got.length, a.length, 'reader saw a partial file');
        assert.ok(got[0] === got[got.length - 1], 'reader saw a mixed file');
        seen.add(String(got[0]));
      }
    })();
    for (let i = 0; i < 20; i++) await io.write(loc, i % 2 ? a : b);
    stop = true;
    await reader;
    assert.ok(seen.size >= 1);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('list walks folders recursively, keeps the prefix spelling, honours name prefixes', async () => {
  const dir = await tempDir();
  try {
    const io = new LocalFileIO();
    const base = pathToFileURL(dir).href; // file:///tmp/...
    await io.write(`${base}/t/data/p=1/a.parquet`, new Uint8Array(3));
    await io.write(`${base}/t/data/b.parquet`, new Uint8Array(7));
    await io.write(`${base}/t/metadata/v1.metadata.json`, new Uint8Array(1));
    const all = [];
    for await (const f of io.list(`${base}/t`)) all.push(f);
    assert.deepEqual(all.map((f) => f.location).sort(), [`${base}/t/data/b.parquet`, `${base}/t/data/p=1/a.parquet`, `${base}/t/metadata/v1.metadata.json`]);
    assert.equal(all.find((f) => f.location.endsWith('b.parquet'))!.size, 7);
    assert.ok(all.every((f) => f.lastModified instanceof Date && f.lastModified.getTime() > 0));
    const meta = [];
    for await (const f of io.list(`${base}/t/meta`)) meta.push(f.location);
    assert.deepEqual(meta, [`${base}/t/metadata/v1.metadata.json`]);
    const plain = [];
    for await (const f of io.list(join(dir, 't', 'data'))) plain.push(f.location);
    assert.deepEqual(plain.sort(), [join(dir, 't/data/b.parquet'), join(dir, 't/data/p=1/a.parquet')]);
    const none = [];
    for await (const f of io.list(`${base}/nothing-here/`)) none.push(f);
    assert.equal(none.length, 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('fileIOFor picks by scheme and names unknown schemes', () => {
  assert.equal(schemeOf('s3a://b/k'), 's3a');
  assert.equal(schemeOf('/abs'), undefined);
  assert.ok(fileIOFor('file:///tmp/w', {}) instanceof LocalFileIO);
  assert.ok(fileIOFor('/tmp/w', {}) instanceof LocalFileIO);
  const s3 = fileIOFor('s3://bucket/w', { 's3.endpoint': 'http://127.0.0.1:1', 's3.region': 'eu-west-1' });
  assert.ok(s3 instanceof S3FileIO);
  assert.equal((s3 as S3FileIO).endpoint, 'http://127.0.0.1:1');
  assert.ok(fileIOFor('s3a://bucket/w', {}) instanceof S3FileIO);
  assert.throws(() => fileIOFor('gs://bucket/w', {}), /no FileIO for scheme "gs:\/\/" in location "gs:\/\/bucket\/w"/);
  assert.throws(() => fileIOFor('warehouse/rel', {}), /no scheme and is not an absolute path/);
});

test('fileIOFor shares one S3 client per set of S3 properties', async () => {
  const p = { 's3.endpoint': 'http://127.0.0.1:1', 's3.region': 'eu-west-1' };
  const a = fileIOFor('s3://b/x', p);
  assert.equal(fileIOFor('s3a://other/y', { ...p, 'unrelated.key': 'z' }), a);
  assert.notEqual(fileIOFor('s3://b/x', { ...p, 's3.region': 'us-east-1' }), a);
  await a.close?.(); // a no-op for shared instances
  assert.equal(fileIOFor('s3://b/x', p), a);
  await closeSharedFileIO();
  assert.notEqual(fileIOFor('s3://b/x', p), a);
  await closeSharedFileIO();
});
