// Idempotency keys live in the table (docs/ingest.md, "Retries"): PyIceberg appending to the
// table and expiring every snapshot but its own leaves them known; PyIceberg rolling main back
// past the snapshot that landed a key makes that key land again.
import { SILENT } from '../../src/log.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIngestConfig } from '../../src/config/ingest-config.ts';
import { startServe } from '../../src/cli/serve.ts';
import { runPythonHelper } from '../helpers/table-fixtures.ts';
import { stackS3, uniqueName } from '../helpers/stack.ts';
import { append, readBoth, serveEnv } from './serve-harness.ts';
import type { Kind, ServeEnv } from './serve-harness.ts';

const quiet = SILENT;

/** PyIceberg operations on the table (test/helpers/table_probe.py), one result each. */
async function pyiceberg(env: ServeEnv, table: string, ops: unknown[]): Promise<any[]> {
  const c = env.reader.catalog;
  const catalog = c.type === 'rest' ? { ...c, s3: (({ endpoint, accessKey, secretKey, region }) => ({ endpoint, accessKeyId: accessKey, secretAccessKey: secretKey, region }))(stackS3()) } : c;
  return (await runPythonHelper<{ results: any[] }>('table_probe.py', { catalog, table, ops })).results;
}

for (const kind of ['sql', 'rest'] as Kind[]) {
  test(`keys survive PyIceberg's appends and expiry on the ${kind} catalog; a rollback past a key lands it again`, { timeout: 240_000 }, async (t) => {
    const env = await serveEnv(kind);
    t.after(() => env.close());
    const table = `${uniqueName('engines')}.events`;
    const config = parseIngestConfig(JSON.stringify({ ...env.catalogYaml, port: 0, metricsPort: 0, commit: { intervalMs: 50 } }), '<test>');
    const serve = await startServe(config, quiet);
    const rows = (k: string) => [
      { k, i: 1 },
      { k, i: 2 },
    ];
    try {
      const first = await append(serve.url, table, rows('k1'), { 'idempotency-key': 'k1' });
      assert.equal(first.status, 200);

      // another engine appends, then expires every snapshot but its own: k1 is still known
      await pyiceberg(env, table, [{ op: 'append', rows: [{ k: 'pyiceberg', i: '1' }] }, { op: 'expire_all_but_current' }]);
      const again = await append(serve.url, table, rows('k1'), { 'idempotency-key': 'k1' });
      assert.equal(again.status, 200);
      assert.equal(again.body.duplicate, true);
      assert.equal(again.body.snapshotId, first.body.snapshotId);

      // k2 lands; main is rolled back to before it: a retry of k2 lands again, once
      const [{ current: before }] = await pyiceberg(env, table, [{ op: 'snapshots' }]);
      const k2 = await append(serve.url, table, rows('k2'), { 'idempotency-key': 'k2' });
      assert.equal(k2.status, 200);
      await pyiceberg(env, table, [{ op: 'rollback', snapshot_id: before }]);
      const k2again = await append(serve.url, table, rows('k2'), { 'idempotency-key': 'k2' });
      assert.equal(k2again.status, 200);
      assert.equal(k2again.body.duplicate, false);
      const k2third = await append(serve.url, table, rows('k2'), { 'idempotency-key': 'k2' });
      assert.equal(k2third.body.duplicate, true);
      assert.equal(k2third.body.snapshotId, k2again.body.snapshotId);
    } finally {
      await serve.stop();
    }
    const read = await readBoth(env, table);
    for (const got of [read.pyiceberg, read.duckdb]) {
      assert.deepEqual(got.map((r) => `${r.k}/${r.i}`).sort(), ['k1/1', 'k1/2', 'k2/1', 'k2/2', 'pyiceberg/1']);
    }
  });
}
