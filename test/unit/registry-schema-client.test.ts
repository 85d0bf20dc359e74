// The registry client against a tiny fake of the Confluent REST API on 127.0.0.1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { RegistryAuthError, SchemaRegistryClient, SchemaRegistryError, redactUrl } from '../../src/decode/schema-registry.ts';
import { DecodeError } from '../../src/decode/decode-error.ts';

interface Stored {
  id: number;
  subject: string;
  version: number;
  schema: string;
  schemaType?: string;
  references?: unknown[];
}
const stored: Stored[] = [];
const requests: string[] = [];
let server: http.Server;
let url = '';
let failNext = 0;
/** Answer every request with this status (401, 403) while set. */
let refuseWith = 0;

function reply(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/vnd.schemaregistry.v1+json' });
  res.end(JSON.stringify(body));
}

before(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      requests.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`.trim());
      if (refuseWith) return reply(res, refuseWith, { error_code: refuseWith, message: `refused ${req.headers.authorization ?? ''}` });
      if (req.method === 'GET' && req.url === '/api/schemas/types') return reply(res, 200, ['AVRO', 'PROTOBUF', 'JSON']);
      if (req.method === 'GET' && req.url === '/html/schemas/types') {
        res.writeHead(200, { 'Content-Type': 'text/html' });
        return res.end('<html>a console</html>');
      }
      if (failNext > 0) {
        failNext--;
        return reply(res, 503, { error_code: 50003, message: 'busy' });
      }
      const path = (req.url ?? '').replace(/^\/api/, '');
      let m = /^\/schemas\/ids\/(\d+)$/.exec(path);
      if (req.method === 'GET' && m) {
        const s = stored.find((x) => x.id === Number(m![1]));
        if (!s) return reply(res, 404, { error_code: 40403, message: 'Schema not found' });
        const out: Record<string, unknown> = { schema: s.schema };
        if (s.schemaType) out.schemaType = s.schemaType;
        if (s.references) out.references = s.references;
        return reply(res, 200, out);
      }
      m = /^\/subjects\/([^/]+)\/versions\/(\d+|latest)$/.exec(path);
      if (req.method === 'GET' && m) {
        const subject = decodeURIComponent(m[1]);
        const all = stored.filter((x) => x.subject === subject);
        const s = m[2] === 'latest' ? all.at(-1) : all.find((x) => x.version === Number(m![2]));
        if (!s) return reply(res, 404, { error_code: 40402, message: 'Version not found' });
        return reply(res, 200, { subject, version: s.version, id: s.id, schema: s.schema, schemaType: s.schemaType, references: s.references });
      }
      m = /^\/subjects\/([^/]+)\/versions$/.exec(path);
      if (req.method === 'POST' && m) {
        const subject = decodeURIComponent(m[1]);
        const j = JSON.parse(body);
        if (req.headers['content-type'] !== 'application/vnd.schemaregistry.v1+json') return reply(res, 415, { message: 'bad type' });
        if (typeof j.schema !== 'string') return reply(res, 422, { error_code: 42201, message: 'Invalid schema' });
        const same = stored.find((x) => x.subject === subject && x.schema === j.schema);
        if (same) return reply(res, 200, { id: same.id });
        const id = stored.length + 1;
        stored.push({ id, subject, version: stored.filter((x) => x.subject === subject).length + 1, schema: j.schema, schemaType: j.schemaType, references: j.references });
        return reply(res, 200, { id });
      }
      reply(res, 404, { error_code: 404, message: 'no route' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
});

after(() => new Promise<void>((r) => server.close(() => r())));

test('register, then get by id (cached), then by subject version', async () => {
  const c = new SchemaRegistryClient({ url: url + '/' });
  const avro = '{"type":"record","name":"A","fields":[{"name":"x","type":"int"}]}';
  const id = await c.register('a-value', { schema: avro });
  assert.equal(await c.register('a-value', { schema: avro }), id, 'registering the same schema again gives its id');
  requests.length = 0;
  const s = await c.getSchemaById(id);
  assert.deepEqual(s, { schema: avro, schemaType: 'AVRO', references: [] });
  await c.getSchemaById(id);
  await Promise.all([c.getSchemaById(id), c.getSchemaById(id)]);
  assert.deepEqual(requests, [`GET /api/schemas/ids/${id}`], 'one request per id');
  const sv = await c.getSubjectVersion('a-value', 1);
  assert.deepEqual(sv, { subject: 'a-value', version: 1, id, schema: avro, schemaType: 'AVRO', references: [] });
  assert.equal((await c.getSubjectVersion('a-value', 'latest')).id, id);
});

test('resolve follows references transitively, dependencies first, each once', async () => {
  const c = new SchemaRegistryClient({ url });
  const base = 'syntax = "proto3"; package p; message Base { int32 v = 1; }';
  const mid = 'syntax = "proto3"; package p; import "p/base.proto"; message Mid { p.Base b = 1; }';
  const top = 'syntax = "proto3"; package p; import "p/base.proto"; import "p/mid.proto"; message Top { p.Mid m = 1; p.Base b = 2; }';
  await c.register('base', { schema: base, schemaType: 'PROTOBUF' });
  await c.register('mid', { schema: mid, schemaType: 'PROTOBUF', references: [{ name: 'p/base.proto', subject: 'base', version: 1 }] });
  const topId = await c.register('top', {
    schema: top,
    schemaType: 'PROTOBUF',
    references: [
      { name: 'p/mid.proto', subject: 'mid', version: 1 },
      { name: 'p/base.proto', subject: 'base', version: 1 },
    ],
  });
  const r = await c.resolve(topId);
  assert.equal(r.id, topId);
  assert.equal(r.schemaType, 'PROTOBUF');
  assert.deepEqual(
    r.dependencies.map((d) => [d.name, d.subject, d.version, d.schema]),
    [
      ['p/base.proto', 'base', 1, base],
      ['p/mid.proto', 'mid', 1, mid],
    ],
  );
  requests.length = 0;
  await c.resolve(topId);
  assert.deepEqual(requests, []);
});

test('unknown id and unknown reference are unknown-schema; 5xx is registry-unavailable and not cached', async () => {
  const c = new SchemaRegistryClient({ url });
  await assert.rejects(c.getSchemaById(4242), (e) => e instanceof DecodeError && e.reason === 'unknown-schema' && e.schemaId === 4242);
  const id = await c.register('dangling', { schema: '"int"', references: [{ name: 'x', subject: 'nope', version: 3 }] });
  await assert.rejects(c.resolve(id), (e) => e instanceof DecodeError && e.reason === 'unknown-schema' && /nope/.test(e.message));
  const fresh = new SchemaRegistryClient({ url });
  failNext = 1;
  await assert.rejects(fresh.getSchemaById(1), (e) => e instanceof DecodeError && e.reason === 'registry-unavailable' && /503/.test(e.message));
  assert.equal((await fresh.getSchemaById(1)).schemaType, 'AVRO', 'a failure is not cached');
  await assert.rejects(c.register('x', { schema: 5 as unknown as string }), (e) => e instanceof SchemaRegistryError && e.status === 422 && e.errorCode === 42201);
});

test('unreachable registry is registry-unavailable; basic auth header is sent', async () => {
  const dead = new SchemaRegistryClient({ url: 'http://127.0.0.1:9/x', timeoutMs: 2000 });
  await assert.rejects(dead.getSchemaById(1), (e) => e instanceof DecodeError && e.reason === 'registry-unavailable');
  const c = new SchemaRegistryClient({ url, basicAuth: { username: 'u', password: 'p' } });
  requests.length = 0;
  await c.getSchemaById(1);
  assert.deepEqual(requests, [`GET /api/schemas/ids/1 Basic ${Buffer.from('u:p').toString('base64')}`]);
});

test('401 and 403 are RegistryAuthError naming the URL and status, never the password or token', async () => {
  for (const status of [401, 403]) {
    refuseWith = status;
    try {
      const basic = new SchemaRegistryClient({ url, basicAuth: { username: 'floe', password: 'hunter2' } });
      // the fake echoes the Authorization header back in its message: it must not reach ours
      await assert.rejects(basic.getSchemaById(1), (e) => {
        assert.ok(e instanceof RegistryAuthError, String(e));
        assert.equal(e.status, status);
        assert.match(e.message, new RegExp(`^schema registry ${url} (did not accept the credentials|denied access) \\(HTTP ${status}\\) on GET /schemas/ids/1`));
        assert.doesNotMatch(e.message, /hunter2/);
        assert.doesNotMatch(e.message, new RegExp(Buffer.from('floe:hunter2').toString('base64')));
        return true;
      });
      const bearer = new SchemaRegistryClient({ url, headers: { Authorization: 'Bearer tok-secret-1' } });
      await assert.rejects(bearer.checkApi(), (e) => e instanceof RegistryAuthError && !/tok-secret-1/.test(e.message));
    } finally {
      refuseWith = 0;
    }
  }
});

test('checkApi: a registry API passes; a URL without its API path (404) or not a registry is refused with a hint', async () => {
  await new SchemaRegistryClient({ url }).checkApi();
  const root = url.replace(/\/api$/, '');
  await assert.rejects(
    new SchemaRegistryClient({ url: root }).checkApi(),
    (e) => e instanceof SchemaRegistryError && e.status === 404 && /GET \/schemas\/types answered HTTP 404.*is the URL missing its API path, e\.g\. \/apis\/ccompat\/v7/.test(e.message),
  );
  await assert.rejects(new SchemaRegistryClient({ url: root + '/html' }).checkApi(), (e) => e instanceof SchemaRegistryError && /did not answer JSON/.test(e.message));
  await assert.rejects(new SchemaRegistryClient({ url: 'http://127.0.0.1:9/x', timeoutMs: 2000 }).checkApi(), (e) => e instanceof DecodeError && e.reason === 'registry-unavailable');
});

test('redactUrl drops user info and keeps the rest', () => {
  assert.equal(redactUrl('http://u:p@h:1/a@b'), 'http://h:1/a@b');
  assert.equal(redactUrl('http://h:1/a'), 'http://h:1/a');
});
