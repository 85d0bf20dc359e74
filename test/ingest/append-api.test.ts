// The append API on both real catalogs (embedded SQLite on a temp folder; the stack's REST catalog
// on its S3): concurrent clients share group commits and get 200 only once committed; retried
// keys land once; bad rows are 400 with their index (all or none; partial=true: 200 with the bad rows listed); schemas are
// inferred and evolved; limits answer 413; PyIceberg and DuckDB read exactly what was acknowledged.
import { SILENT } from '../../src/log.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIngestConfig } from '../../src/config/ingest-config.ts';
import { startServe } from '../../src/cli/serve.ts';
import { uniqueName } from '../helpers/stack.ts';
import { append, readBoth, serveEnv } from './serve-harness.ts';
import type { Kind } from './serve-harness.ts';

const quiet = SILENT;

for (const kind of ['sql', 'rest'] as Kind[]) {
  test(`append API on the ${kind} catalog: group commit, idempotency, bad rows, evolution, limits`, { timeout: 240_000 }, async (t) => {
    const env = await serveEnv(kind);
    t.after(() => env.close());
    const ns = uniqueName('ingest');
    const table = `${ns}.events`;
    const config = parseIngestConfig(
      JSON.stringify({
        ...env.catalogYaml,
        port: 0,
        metricsPort: 0,
        commit: { intervalMs: 400 },
        limits: { maxBodyBytes: 200_000, maxRowsPerRequest: 500 },
        tables: [{ name: table, partitionBy: ['day(ts)'] }],
      }),
      '<test>',
    );
    const serve = await startServe(config, quiet);
    try {
      // the table is created by the first append, partitioned by day(ts)
      const first = await append(serve.url, table, { client: 'first', i: 0, ts: '2026-12-02T10:00:00Z' });
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.equal(first.body.rows, 1);
      assert.match(first.body.snapshotId, /^\d+$/);

      // 12 concurrent clients × 4 requests × 25 rows, each request with its key
      const clients = 12;
      const perClient = 4;
      const answers = await Promise.all(
        Array.from({ length: clients }, async (_, c) => {
          const out = [];
          for (let r = 0; r < perClient; r++) {
            const rows = Array.from({ length: 25 }, (_, i) => ({ client: `c${c}`, req: r, i, ts: `2026-12-0${1 + (i % 3)}T0${i % 10}:00:00Z` }));
            out.push(await append(serve.url, table, rows, { 'idempotency-key': `c${c}-r${r}` }));
          }
          return out;
        }),
      );
      const flat = answers.flat();
      for (const a of flat) assert.equal(a.status, 200, JSON.stringify(a.body));
      assert.ok(flat.every((a) => a.body.rows === 25 && a.body.duplicate === false));
      const snapshots = new Set(flat.map((a) => a.body.snapshotId));
      assert.ok(snapshots.size < flat.length, `requests share group commits (${snapshots.size} snapshots for ${flat.length} requests)`);

      // a retried key is answered from the table: same snapshot, nothing lands twice
      const retried = await append(serve.url, table, [{ client: 'c0', req: 0, i: 99, ts: '2026-12-01T00:00:00Z' }], { 'idempotency-key': 'c0-r0' });
      assert.equal(retried.status, 200);
      assert.equal(retried.body.duplicate, true);
      assert.equal(retried.body.snapshotId, answers[0][0].body.snapshotId);
      assert.equal(retried.body.rows, 25);

      // bad rows: all or none by default, each with its index and reason
      const bad = [{ client: 'bad', i: 0, ts: '2026-12-01T00:00:00Z' }, { client: 'bad', i: 'not a number', ts: '2026-12-01T00:00:00Z' }, { client: 'bad', i: 2, ts: '2026-12-01T00:00:00Z' }, 42];
      const refused = await append(serve.url, table, bad);
      assert.equal(refused.status, 400);
      assert.deepEqual(
        refused.body.rejected.map((r: { index: number }) => r.index),
        [1, 3],
      );
      assert.match(refused.body.rejected[0].reason, /\bi\b.*string.*does not fit long/);
      const partial = await append(
        serve.url,
        table,
        bad.map((r) => (typeof r === 'object' ? { ...r, client: 'partial' } : r)),
        {},
        '?partial=true',
      );
      // partial=true: the good rows are committed, 200 listing the bad ones
      assert.equal(partial.status, 200);
      assert.equal(partial.body.rows, 2);
      assert.match(partial.body.snapshotId, /^\d+$/);
      assert.deepEqual(
        partial.body.rejected.map((r: { index: number }) => r.index),
        [1, 3],
      );
      // ... and 400 when no row is good
      const none = await append(serve.url, table, [{ client: 'none', i: 'x' }, 7], {}, '?partial=true');
      assert.equal(none.status, 400);
      assert.equal(none.body.rows, 0);
      assert.equal(none.body.snapshotId, null);
      assert.equal(none.body.rejected.length, 2);

      // evolution: a new column (also nested) is added by the rules of the JSON connector
      const grown = await append(serve.url, table, [{ client: 'grown', i: 0, ts: '2026-12-03T00:00:00Z', country: 'NL', device: { os: 'linux' } }]);
      assert.equal(grown.status, 200, JSON.stringify(grown.body));

      // NDJSON with zstd
      const nd = Buffer.from(Array.from({ length: 3 }, (_, i) => JSON.stringify({ client: 'ndjson', i, ts: '2026-12-03T01:00:00Z' })).join('\n'), 'utf8');
      const { zstdCompressSync } = await import('node:zlib');
      const zs = await append(serve.url, table, zstdCompressSync(nd), { 'content-type': 'application/x-ndjson', 'content-encoding': 'zstd' });
      assert.equal(zs.status, 200, JSON.stringify(zs.body));
      assert.equal(zs.body.rows, 3);

      // limits: a body or a row count beyond them is 413, nothing lands
      const big = await append(serve.url, table, [{ client: 'big', i: 0, pad: 'x'.repeat(300_000) }]);
      assert.equal(big.status, 413);
      const many = await append(
        serve.url,
        table,
        Array.from({ length: 501 }, (_, i) => ({ client: 'many', i })),
      );
      assert.equal(many.status, 413);
    } finally {
      await serve.stop();
    }

    const read = await readBoth(env, table);
    for (const [reader, rows] of [
      ['pyiceberg', read.pyiceberg],
      ['duckdb', read.duckdb],
    ] as const) {
      const count = (client: string) => rows.filter((r) => r.client === client).length;
      assert.equal(rows.length, 1 + 12 * 4 * 25 + 2 + 1 + 3, `${reader}: every acknowledged row once`);
      for (let c = 0; c < 12; c++) assert.equal(count(`c${c}`), 100, `${reader}: client c${c}`);
      assert.equal(count('bad'), 0);
      assert.equal(count('partial'), 2);
      assert.equal(count('none'), 0);
      assert.equal(count('many') + count('big'), 0);
      const keys = new Set(rows.filter((r) => r.client === 'c3').map((r) => `${r.req}/${r.i}`));
      assert.equal(keys.size, 100, `${reader}: no row twice`);
      const g = rows.find((r) => r.client === 'grown')!;
      assert.equal(g.country, 'NL');
      assert.deepEqual(g.device, { os: 'linux' });
    }
  });
}
