// RestCatalog's request shapes and error mapping, against a scripted local HTTP server.
// (Behaviour against Apache Iceberg's real REST server is in test/conformance/catalog-rest.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RestCatalog, RestCatalogError, uuidV7 } from '../../src/catalog/rest-catalog.ts';
import { CatalogUnreachableError, CommitConflictError, CommitStateUnknownError, NoSuchNamespaceError, NoSuchTableError, TableAlreadyExistsError } from '../../src/catalog/catalog.ts';

interface Seen {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}
type Handler = (req: Seen, res: ServerResponse) => void | 'hang';

async function server(handler: Handler) {
  const seen: Seen[] = [];
  const srv = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const s = { method: req.method!, url: req.url!, headers: req.headers as Record<string, string>, body: Buffer.concat(chunks).toString() };
      seen.push(s);
      if (s.url.startsWith('/v1/config')) return send(res, 200, { defaults: { d: '1', x: 'default' }, overrides: { x: 'override' } });
      handler(s, res);
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((r) => {
        srv.closeAllConnections();
        srv.close(() => r());
      }),
  };
}

function send(res: ServerResponse, status: number, body?: unknown | string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body));
}
const err = (code: number, type: string, message = type) => ({ error: { code, type, message } });
const id = { namespace: ['db', 'sub'], name: 'orders' };
const BIG = 2n ** 62n + 12345n;
const metadataJson = `{"format-version":2,"table-uuid":"u","location":"s3://w/t","last-sequence-number":1,"last-updated-ms":1,"last-column-id":1,"current-schema-id":0,"schemas":[],"default-spec-id":0,"partition-specs":[],"last-partition-id":999,"default-sort-order-id":0,"sort-orders":[],"current-snapshot-id":${BIG},"snapshots":[{"snapshot-id":${BIG},"sequence-number":1,"timestamp-ms":1,"manifest-list":"m","summary":{"operation":"append"}}],"refs":{"main":{"snapshot-id":${BIG},"type":"branch"}}}`;

test('config merges defaults < client properties < overrides; paths encode the namespace with %1F', async () => {
  const s = await server((req, res) => {
    if (req.method === 'GET' && req.url.endsWith('/tables/orders'))
      return send(res, 200, `{"metadata-location":"s3://w/t/metadata/1.json","metadata":${metadataJson},"config":{"s3.endpoint":"http://t"}}`);
    send(res, 404, err(404, 'NoSuchTableException'));
  });
  try {
    const cat = new RestCatalog({ uri: `${s.url}/`, warehouse: 'wh one', properties: { x: 'client', c: '2' } });
    assert.deepEqual(await cat.properties(), { d: '1', x: 'override', c: '2' });
    assert.equal(s.seen[0].url, '/v1/config?warehouse=wh%20one');
    const t = await cat.loadTable(id);
    assert.equal(s.seen[1].url, '/v1/namespaces/db%1Fsub/tables/orders');
    // The id above 2^53 arrives exactly.
    assert.equal(t.metadata['current-snapshot-id'], BIG);
    assert.equal(t.metadata.snapshots![0]['snapshot-id'], BIG);
    assert.equal(t.config['s3.endpoint'], 'http://t');
    assert.equal(t.config['d'], '1');
  } finally {
    await s.close();
  }
});

test('commit sends identifier, requirements and updates with exact 64-bit ids; 409 is a conflict', async () => {
  let n = 0;
  const s = await server((req, res) => {
    if (req.method === 'POST' && req.url === '/v1/namespaces/db%1Fsub/tables/orders') {
      if (n++ === 0) return send(res, 200, `{"metadata-location":"s3://w/t/metadata/2.json","metadata":${metadataJson}}`);
      return send(res, 409, err(409, 'CommitFailedException', 'Requirement failed: branch main has changed'));
    }
    send(res, 500, err(500, 'X'));
  });
  try {
    const cat = new RestCatalog({ uri: s.url });
    const req = [{ type: 'assert-ref-snapshot-id' as const, ref: 'main', 'snapshot-id': BIG }];
    const upd = [{ action: 'set-properties' as const, updates: { a: 'b' } }];
    const r = await cat.commitTable(id, req, upd);
    assert.equal(r.metadataLocation, 's3://w/t/metadata/2.json');
    const body = s.seen[1].body;
    assert.ok(body.includes(`"snapshot-id":${BIG}`), body);
    assert.deepEqual(JSON.parse(body).identifier, { namespace: ['db', 'sub'], name: 'orders' });
    assert.equal(s.seen[1].headers['content-type'], 'application/json');
    await assert.rejects(cat.commitTable(id, req, upd), (e: unknown) => e instanceof CommitConflictError && /branch main has changed/.test((e as Error).message));
    assert.equal(s.seen.length, 3, 'a commit is never retried');
  } finally {
    await s.close();
  }
});

test('commit: 5xx and timeouts are CommitStateUnknownError, 404 is NoSuchTable / NoSuchNamespace', async () => {
  let mode = '';
  const s = await server((_req, res) => {
    if (mode === '502') return send(res, 502, 'bad gateway');
    if (mode === '500') return send(res, 500, err(500, 'CommitStateUnknownException', 'db down'));
    if (mode === 'hang') return 'hang';
    if (mode === 'nons') return send(res, 404, err(404, 'NoSuchNamespaceException'));
    return send(res, 404, err(404, 'NoSuchTableException'));
  });
  try {
    const cat = new RestCatalog({ uri: s.url, timeoutMs: 300 });
    for (const m of ['502', '500', 'hang']) {
      mode = m;
      await assert.rejects(cat.commitTable(id, [], []), CommitStateUnknownError, `mode ${m}`);
    }
    mode = '404';
    await assert.rejects(cat.commitTable(id, [], []), NoSuchTableError);
    await assert.rejects(cat.loadTable(id), NoSuchTableError);
    assert.equal(await cat.tableExists(id), false);
    mode = 'nons';
    await assert.rejects(cat.loadTable(id), NoSuchNamespaceError);
    await assert.rejects(cat.listTables(['nope']), NoSuchNamespaceError);
  } finally {
    await s.close();
  }
});

test('reads are retried on 429/503 with backoff; writes are not', async () => {
  let calls = 0;
  const s = await server((req, res) => {
    calls++;
    if (req.method === 'GET' && calls < 3) return send(res, calls === 1 ? 429 : 503, err(503, 'ServiceUnavailable'));
    if (req.method === 'GET') return send(res, 200, { identifiers: [{ namespace: ['db'], name: 't1' }], 'next-page-token': null });
    return send(res, 503, err(503, 'ServiceUnavailable', 'busy'));
  });
  try {
    const cat = new RestCatalog({ uri: s.url, backoffMs: 5 });
    assert.deepEqual(await cat.listTables(['db']), [{ namespace: ['db'], name: 't1' }]);
    assert.equal(calls, 3);
    calls = 0;
    await assert.rejects(cat.createNamespace(['x']), (e: unknown) => e instanceof RestCatalogError && e.status === 503);
    assert.equal(calls, 1);
  } finally {
    await s.close();
  }
});

test('list follows next-page-token', async () => {
  const s = await server((req, res) => {
    const u = new URL(req.url, 'http://x');
    const page = u.searchParams.get('pageToken');
    if (!page) return send(res, 200, { namespaces: [['a']], 'next-page-token': 'p2' });
    if (page === 'p2') return send(res, 200, { namespaces: [['b']], 'next-page-token': 'p3' });
    return send(res, 200, { namespaces: [['c']] });
  });
  try {
    const cat = new RestCatalog({ uri: s.url });
    assert.deepEqual(await cat.listNamespaces(), [['a'], ['b'], ['c']]);
  } finally {
    await s.close();
  }
});

test('create: 409 is TableAlreadyExistsError; body carries schema, spec, order and properties', async () => {
  const s = await server((_req, res) => send(res, 409, err(409, 'AlreadyExistsException', 'Table already exists: db.sub.orders')));
  try {
    const cat = new RestCatalog({ uri: s.url });
    const schema = { type: 'struct' as const, 'schema-id': 0, fields: [{ id: 1, name: 'x', required: true, type: 'long' as const }] };
    await assert.rejects(cat.createTable(id, { schema, partitionSpec: { 'spec-id': 0, fields: [] }, properties: { p: 'v' } }), TableAlreadyExistsError);
    const body = JSON.parse(s.seen[1].body);
    assert.equal(body.name, 'orders');
    assert.deepEqual(body.schema, schema);
    assert.deepEqual(body['partition-spec'], { 'spec-id': 0, fields: [] });
    assert.deepEqual(body.properties, { p: 'v' });
    assert.equal(body['stage-create'], false);
  } finally {
    await s.close();
  }
});

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

test('connection refused is CatalogUnreachableError naming the URL', async () => {
  const port = await closedPort();
  const cat = new RestCatalog({ uri: `http://127.0.0.1:${port}`, backoffMs: 1, readAttempts: 2 });
  await assert.rejects(cat.listNamespaces(), (e: unknown) => {
    assert.ok(e instanceof CatalogUnreachableError);
    assert.match((e as Error).message, new RegExp(`^catalog unreachable at http://127\\.0\\.0\\.1:${port}/v1/config: .*ECONNREFUSED`));
    return true;
  });
});

test('uuidV7 has the version and variant bits and sorts by time', () => {
  const a = uuidV7(1_700_000_000_000);
  const b = uuidV7(1_700_000_000_001);
  assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.ok(a < b);
  assert.equal(parseInt(a.replace(/-/g, '').slice(0, 12), 16), 1_700_000_000_000);
});

test('header.* properties become request headers; catalog secrets stay out of the table config', async () => {
  const s = await server((_req, res) => send(res, 200, `{"metadata-location":"s3://w/t/metadata/1.json","metadata":${metadataJson},"config":{"s3.access-key-id":"vended"}}`));
  try {
    const cat = new RestCatalog({ uri: s.url, properties: { token: 'tok', 'header.X-Iceberg-Access-Delegation': 'vended-credentials' } });
    const t = await cat.loadTable(id);
    assert.equal(s.seen[1].headers['x-iceberg-access-delegation'], 'vended-credentials');
    assert.equal(s.seen[1].headers['authorization'], 'Bearer tok');
    assert.equal(t.config['s3.access-key-id'], 'vended');
    assert.equal(t.config['token'], undefined);
  } finally {
    await s.close();
  }
});
