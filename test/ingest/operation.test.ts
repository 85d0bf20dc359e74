// Operating the append API (embedded catalog on a temp folder): bearer tokens per table and
// namespace, HTTPS with a given certificate, 429 with Retry-After beyond maxConcurrentRequests,
// the metrics server's /metrics, /healthz and /readyz, and a fixed schema from the ingest file.
import { SILENT } from '../../src/log.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseIngestConfig } from '../../src/config/ingest-config.ts';
import { startServe } from '../../src/cli/serve.ts';
import { append, readBoth, serveEnv } from './serve-harness.ts';

const quiet = SILENT;

test('bearer tokens, 429 beyond the concurrency limit, metrics and health, a fixed schema', { timeout: 120_000 }, async (t) => {
  const env = await serveEnv('sql');
  t.after(() => env.close());
  const config = parseIngestConfig(
    JSON.stringify({
      ...env.catalogYaml,
      port: 0,
      metricsPort: 'auto',
      commit: { intervalMs: 1500 },
      limits: { maxConcurrentRequests: 2 },
      auth: {
        tokens: [
          { token: '${APP_TOKEN}', scopes: ['app'] },
          { token: 'orders-only-token-0123', scopes: ['shop.orders'] },
        ],
      },
      tables: [
        {
          name: 'shop.orders',
          schema: {
            fields: [
              { name: 'id', type: 'long', required: true },
              { name: 'amount', type: 'decimal(10, 2)' },
            ],
          },
        },
      ],
    }),
    '<test>',
    { APP_TOKEN: 'app-token-from-env-0123' },
  );
  const serve = await startServe(config, quiet);
  try {
    const app = { authorization: 'Bearer app-token-from-env-0123' };
    const orders = { authorization: 'Bearer orders-only-token-0123' };
    assert.equal((await append(serve.url, 'app.events', [{ a: 1 }])).status, 401);
    assert.equal((await append(serve.url, 'app.events', [{ a: 1 }], { authorization: 'Bearer wrong-token-0000000' })).status, 401);
    assert.equal((await append(serve.url, 'app.events', [{ a: 1 }], orders)).status, 403);

    // two requests wait for their commit (1.5 s): a third at the same time is 429 with Retry-After
    const waiting = [append(serve.url, 'app.events', [{ a: 1 }], app), append(serve.url, 'app.events', [{ a: 2 }], app)];
    await new Promise((r) => setTimeout(r, 300));
    const limited = await append(serve.url, 'app.events', [{ a: 3 }], app);
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '1');
    for (const a of await Promise.all(waiting)) assert.equal(a.status, 200);

    // a fixed schema: rows are checked against it, an unknown column or a bad value is a 400
    const ok = await append(serve.url, 'shop.orders', [{ id: 1, amount: '12.50' }, { id: 2 }], orders);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    const unknown = await append(serve.url, 'shop.orders', [{ id: 3, note: 'x' }], orders);
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.rejected[0].reason, /note/);
    const badValue = await append(serve.url, 'shop.orders', [{ id: 4 }, { id: 'five' }], orders);
    assert.equal(badValue.status, 400);
    assert.deepEqual(
      badValue.body.rejected.map((r: { index: number }) => r.index),
      [1],
    );

    const metrics = await (await fetch(`${serve.metricsUrl}/metrics`)).text();
    assert.match(metrics, /floe_ingest_requests_total\{table="app.events",status="200"\} 2/);
    assert.match(metrics, /floe_ingest_requests_total\{table="app.events",status="429"\} 1/);
    assert.match(metrics, /floe_ingest_rows_total\{table="shop.orders"\} 2/);
    assert.match(metrics, /floe_ingest_request_seconds_count\{outcome="ok"\} 3/);
    assert.match(metrics, /floe_ingest_buffered_rows 0/);
    assert.equal((await fetch(`${serve.metricsUrl}/healthz`)).status, 200);
    assert.equal((await fetch(`${serve.metricsUrl}/readyz`)).status, 200);
  } finally {
    await serve.stop();
  }
  const read = await readBoth(env, 'shop.orders');
  assert.deepEqual(read.pyiceberg, [
    { id: '1', amount: '12.50' },
    { id: '2', amount: null },
  ]);
});

test('HTTPS when given a certificate', { timeout: 120_000 }, async (t) => {
  const env = await serveEnv('sql');
  t.after(() => env.close());
  const cert = join(env.dir, 'cert.pem');
  const key = join(env.dir, 'key.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
    { stdio: 'ignore' },
  );
  const config = parseIngestConfig(JSON.stringify({ ...env.catalogYaml, port: 0, metricsPort: 0, commit: { intervalMs: 100 }, tls: { cert, key } }), '<test>');
  const serve = await startServe(config, quiet);
  try {
    assert.match(serve.url, /^https:\/\//);
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${serve.url}/v1/tables/app.tls/append`, { method: 'POST', ca: readFileSync(cert), headers: { 'content-type': 'application/json' }, timeout: 30_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString() }));
      });
      req.on('error', reject);
      req.end(JSON.stringify({ over: 'tls' }));
    });
    assert.equal(answer.status, 200, answer.body);
    // plain HTTP to the TLS port is not served
    await assert.rejects(fetch(`${serve.url.replace('https', 'http')}/v1/tables/app.tls/append`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(10_000) }));
  } finally {
    await serve.stop();
  }
});
