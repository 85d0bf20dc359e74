// S3FileIO configuration, checked against a tiny local HTTP server that records what arrives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { S3FileIO, parseS3Location, StorageError, StorageUnreachableError } from '../../src/io/s3-file-io.ts';

async function recordingServer(status = 200): Promise<{ url: string; seen: { method: string; url: string; headers: IncomingHttpHeaders }[]; close(): Promise<void> }> {
  const seen: { method: string; url: string; headers: IncomingHttpHeaders }[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers });
      res.writeHead(status, { etag: '"abc"', 'content-type': 'application/xml' });
      res.end(status === 200 ? '' : '<Error><Code>AccessDenied</Code><Message>nope</Message></Error>');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, seen, close: () => new Promise((r) => server.close(() => r())) };
}

const creds = { 's3.access-key-id': 'AK', 's3.secret-access-key': 'SK', 's3.region': 'us-east-1' };

test('parseS3Location handles s3, s3a and s3n', () => {
  assert.deepEqual(parseS3Location('s3://b/a/b/c.json'), { scheme: 's3', bucket: 'b', key: 'a/b/c.json' });
  assert.deepEqual(parseS3Location('s3a://b'), { scheme: 's3a', bucket: 'b', key: '' });
  assert.throws(() => parseS3Location('gs://b/k'), /not an S3 location/);
});

test('path-style access puts the bucket in the path; credentials sign the request', async () => {
  const srv = await recordingServer();
  try {
    const io = new S3FileIO({ ...creds, 's3.endpoint': srv.url, 's3.path-style-access': 'true' });
    await io.write('s3://bkt/dir/file.bin', new Uint8Array([1, 2, 3]));
    await io.close();
    assert.equal(srv.seen.length, 1);
    assert.equal(srv.seen[0].method, 'PUT');
    assert.equal(srv.seen[0].url.split('?')[0], '/bkt/dir/file.bin');
    assert.match(String(srv.seen[0].headers.authorization), /^AWS4-HMAC-SHA256 Credential=AK\/\d{8}\/us-east-1\/s3\/aws4_request/);
  } finally {
    await srv.close();
  }
});

test('s3.checksum-calculation=WHEN_REQUIRED stops the default CRC32 checksum header', async () => {
  const srv = await recordingServer();
  try {
    const dflt = new S3FileIO({ ...creds, 's3.endpoint': srv.url, 's3.path-style-access': 'true' });
    await dflt.write('s3://bkt/a', new Uint8Array([1]));
    await dflt.close();
    const off = new S3FileIO({ ...creds, 's3.endpoint': srv.url, 's3.path-style-access': 'true', 's3.checksum-calculation': 'when_required' });
    await off.write('s3://bkt/b', new Uint8Array([1]));
    await off.close();
    const checksumHeaders = (h: IncomingHttpHeaders) => Object.keys(h).filter((k) => k.startsWith('x-amz-checksum-') || k === 'x-amz-sdk-checksum-algorithm');
    assert.ok(checksumHeaders(srv.seen[0].headers).length > 0, 'the SDK default sends a checksum');
    assert.deepEqual(checksumHeaders(srv.seen[1].headers), []);
    assert.throws(() => new S3FileIO({ ...creds, 's3.checksum-calculation': 'sometimes' }), /WHEN_REQUIRED or WHEN_SUPPORTED/);
  } finally {
    await srv.close();
  }
});

test('an HTTP error names the operation, the location and the endpoint', async () => {
  const srv = await recordingServer(403);
  try {
    const io = new S3FileIO({ ...creds, 's3.endpoint': srv.url, 's3.path-style-access': 'true', 's3.max-attempts': '1' });
    await assert.rejects(io.write('s3://bkt/x.bin', new Uint8Array([1])), (e: unknown) => {
      assert.ok(e instanceof StorageError);
      assert.equal(e.status, 403);
      assert.ok(e.message.includes('s3://bkt/x.bin') && e.message.includes(srv.url), e.message);
      return true;
    });
    await io.close();
  } finally {
    await srv.close();
  }
});

test('connection refused gives StorageUnreachableError naming the endpoint', async () => {
  const io = new S3FileIO({ ...creds, 's3.endpoint': 'http://127.0.0.1:9', 's3.max-attempts': '1' });
  await assert.rejects(io.exists('s3://bkt/x'), /^StorageUnreachableError: S3 endpoint http:\/\/127\.0\.0\.1:9 unreachable: /);
  await assert.rejects(io.exists('s3://bkt/x'), StorageUnreachableError);
  await io.close();
});

test('invalid properties are named', () => {
  assert.throws(() => new S3FileIO({ 's3.access-key-id': 'AK' }), /must be given together/);
  assert.throws(() => new S3FileIO({ ...creds, 's3.multipart.size': 'big' }), /s3\.multipart\.size must be a positive integer/);
  assert.throws(() => new S3FileIO({ ...creds, 's3.path-style-access': 'maybe' }), /s3\.path-style-access must be true or false/);
});
