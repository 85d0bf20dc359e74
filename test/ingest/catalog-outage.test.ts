// The REST catalog goes away (a proxy in front of it refuses connections) while requests wait
// for their commit: they are answered 503 with Retry-After, nothing acknowledged; once the
// catalog is back, the retried keys land, each once.
import { SILENT } from '../../src/log.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIngestConfig } from '../../src/config/ingest-config.ts';
import { startServe } from '../../src/cli/serve.ts';
import { startTcpProxy } from '../helpers/tcp-proxy.ts';
import { stackEnv, uniqueName } from '../helpers/stack.ts';
import { append, readBoth, serveEnv } from './serve-harness.ts';

const quiet = SILENT;

test('a catalog outage answers 503 and acknowledges nothing; retried keys land once after it', { timeout: 240_000 }, async (t) => {
  const env = await serveEnv('rest');
  t.after(() => env.close());
  const rest = new URL(stackEnv().restUri);
  const proxy = await startTcpProxy({ host: rest.hostname, port: Number(rest.port) });
  const catalog = { ...(env.catalogYaml.catalog as Record<string, unknown>), uri: proxy.url };
  const table = `${uniqueName('outage')}.events`;
  const config = parseIngestConfig(JSON.stringify({ catalog, port: 0, metricsPort: 0, commit: { intervalMs: 100 } }), '<test>');
  const serve = await startServe(config, quiet);
  const rows = (k: string) => [{ k, i: 1 }];
  try {
    assert.equal((await append(serve.url, table, rows('before'), { 'idempotency-key': 'before' })).status, 200);
    proxy.set('refuse');
    const during = await Promise.all(['a', 'b', 'c'].map((k) => append(serve.url, table, rows(k), { 'idempotency-key': k })));
    for (const a of during) {
      assert.equal(a.status, 503, JSON.stringify(a.body));
      assert.equal(a.headers.get('retry-after'), '1');
    }
    proxy.set('pass');
    const after = await Promise.all(['a', 'b', 'c', 'before'].map((k) => append(serve.url, table, rows(k), { 'idempotency-key': k })));
    for (const a of after) assert.equal(a.status, 200, JSON.stringify(a.body));
    assert.deepEqual(
      after.map((a) => a.body.duplicate),
      [false, false, false, true],
    );
  } finally {
    await serve.stop();
    await proxy.close();
  }
  const read = await readBoth(env, table);
  for (const got of [read.pyiceberg, read.duckdb]) {
    assert.deepEqual(got.map((r) => r.k).sort(), ['a', 'b', 'before', 'c']);
  }
});
