import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { bodyFormat, decompress, parseRows, readBody } from '../../../src/ingest/request-body.ts';
import { IngestError } from '../../../src/ingest/ingest-error.ts';

const status = (n: number) => (e: unknown) => e instanceof IngestError && e.status === n;

test("content types: JSON (also none and curl -d's form type) and NDJSON; others are 415", () => {
  assert.equal(bodyFormat(undefined), 'json');
  assert.equal(bodyFormat('application/json; charset=utf-8'), 'json');
  assert.equal(bodyFormat('application/x-www-form-urlencoded'), 'json');
  assert.equal(bodyFormat('application/x-ndjson'), 'ndjson');
  assert.equal(bodyFormat('application/jsonl'), 'ndjson');
  assert.throws(() => bodyFormat('text/csv'), status(415));
});

test('a JSON object is one row, an array is its rows; non-objects are bad rows with their index', () => {
  const one = parseRows(Buffer.from('{"a":1}'), 'json', 10);
  assert.deepEqual(one.rows, [{ a: 1 }]);
  assert.equal(one.total, 1);
  const many = parseRows(Buffer.from('[{"a":1}, 7, {"a":2}, null]'), 'json', 10);
  assert.deepEqual(many.rows, [{ a: 1 }, { a: 2 }]);
  assert.deepEqual(many.indexes, [0, 2]);
  assert.deepEqual(
    many.problems.map((p) => p.index),
    [1, 3],
  );
  assert.equal(many.total, 4);
});

test('integers beyond 2^53 keep their digits, long doubles stay doubles (as the JSON connector)', () => {
  const r = parseRows(Buffer.from('{"id": 9007199254740993, "d": 0.30000000000000004, "e": 12345678901234567.5}'), 'json', 10);
  assert.equal(r.rows[0].id, 9007199254740993n);
  // doubles printed with 16+ digits stay doubles
  assert.equal(r.rows[0].d, 0.30000000000000004);
  assert.equal(r.rows[0].e, Number('12345678901234567.5'));
});

test("a number beyond double's range is refused, also with a fraction", () => {
  assert.throws(
    () => parseRows(Buffer.from(`[{"x": ${'9'.repeat(320)}.5}]`), 'json', 10),
    (e: unknown) => e instanceof IngestError && e.status === 400,
  );
  for (const body of ['[{"a": 1}, {"a": 1e400}]', '{"a" :\n -2.5e-999}', '{"s": "3e854", "a": [1, -1E+309]}']) {
    assert.throws(
      () => parseRows(Buffer.from(body), 'json', 10),
      (e: unknown) => e instanceof IngestError && e.status === 400,
      body,
    );
  }
  // digits and exponents inside strings are only strings
  assert.deepEqual(parseRows(Buffer.from('{"s": "3e854", "t": "12345678901234567890"}'), 'json', 10).rows, [{ s: '3e854', t: '12345678901234567890' }]);
  const nd = parseRows(Buffer.from(`{"x": 1}\n{"x": 0.${'0'.repeat(400)}1}\n`), 'ndjson', 10);
  assert.deepEqual(
    nd.problems.map((p) => p.index),
    [1],
  );
});

test('NDJSON: each line on its own; a bad line is a bad row, blank lines are skipped', () => {
  const r = parseRows(Buffer.from('{"a":1}\n\nnot json\r\n{"a":3}\n'), 'ndjson', 10);
  assert.deepEqual(r.rows, [{ a: 1 }, { a: 3 }]);
  assert.deepEqual(r.indexes, [0, 2]);
  assert.equal(r.problems.length, 1);
  assert.equal(r.problems[0].index, 1);
  assert.match(r.problems[0].reason, /not JSON/);
  assert.equal(r.total, 3);
});

test('a JSON body that does not parse, or is not UTF-8, is a 400 for the whole request', () => {
  assert.throws(() => parseRows(Buffer.from('[{"a":1},'), 'json', 10), status(400));
  assert.throws(() => parseRows(Buffer.from([0x7b, 0xff, 0x7d]), 'json', 10), status(400));
});

test('more rows than limits.maxRowsPerRequest is a 413', () => {
  assert.throws(() => parseRows(Buffer.from('[{},{},{}]'), 'json', 2), status(413));
  assert.throws(() => parseRows(Buffer.from('{}\n{}\n{}\n'), 'ndjson', 2), status(413));
  assert.equal(parseRows(Buffer.from('{}\n{}\n'), 'ndjson', 2).rows.length, 2);
});

test('gzip and zstd bodies are decompressed, within the size limit (413 beyond it)', () => {
  const text = Buffer.from(JSON.stringify([{ a: 'x'.repeat(1000) }]));
  assert.deepEqual(decompress(zlib.gzipSync(text), 'gzip', 10_000), text);
  assert.deepEqual(decompress(zlib.zstdCompressSync(text), 'zstd', 10_000), text);
  assert.throws(() => decompress(zlib.gzipSync(text), 'gzip', 100), status(413));
  assert.throws(() => decompress(zlib.zstdCompressSync(text), 'zstd', 100), status(413));
  assert.throws(() => decompress(text, 'gzip', 10_000), status(400));
  assert.throws(() => decompress(text, 'br', 10_000), status(415));
});

/** A request body stream with headers, as readBody reads it. */
function request(chunks: Buffer[], headers: Record<string, string> = {}): IncomingMessage {
  return Object.assign(Readable.from(chunks, { objectMode: false }), { headers }) as unknown as IncomingMessage;
}

test('readBody: the body in one or many chunks; beyond the limit 413 (declared or read); a request closed early fails', async () => {
  assert.deepEqual(await readBody(request([Buffer.from('[{"a":1}]')]), 100), Buffer.from('[{"a":1}]'));
  assert.deepEqual(await readBody(request([Buffer.from('[{"a":'), Buffer.from('1}]')]), 100), Buffer.from('[{"a":1}]'));
  assert.deepEqual(await readBody(request([]), 100), Buffer.alloc(0));
  await assert.rejects(readBody(request([Buffer.alloc(10)], { 'content-length': '101' }), 100), status(413));
  await assert.rejects(readBody(request([Buffer.alloc(60), Buffer.alloc(60)]), 100), status(413));
  const early = new Readable({ read() {} });
  const read = readBody(Object.assign(early, { headers: {} }) as unknown as IncomingMessage, 100);
  early.push(Buffer.from('[{"a":'));
  early.destroy();
  await assert.rejects(read, status(503));
  const gz = zlib.gzipSync(Buffer.from('[{"a":2}]'));
  assert.deepEqual(await readBody(request([gz], { 'content-encoding': 'gzip' }), 100), Buffer.from('[{"a":2}]'));
});
