// Two answers of the group commit (src/ingest/table-buffer.ts), on the embedded catalog:
// - two requests with one Idempotency-Key arriving in the same turn land once (the second
//   waits for the first's answer), even while the first looks the key up in the table;
// - a group built again (a partial=false request with a bad row leaves it) lists each bad row of
//   a partial=true request once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultIngestConfig, tableSettings } from '../../src/config/ingest-config.ts';
import { embeddedCatalog } from '../../src/cli/embedded.ts';
import { IngestError } from '../../src/ingest/ingest-error.ts';
import { parseRows } from '../../src/ingest/request-body.ts';
import { TableBuffer } from '../../src/ingest/table-buffer.ts';
import { readWithDuckDB } from '../helpers/readers.ts';
import { serveEnv } from './serve-harness.ts';

async function setup(t: import('node:test').TestContext, table: string, buildOnArrival: boolean) {
  const env = await serveEnv('sql');
  t.after(() => env.close());
  const { catalog } = embeddedCatalog(`${env.dir}/wh`);
  t.after(async () => {
    await catalog.close?.();
  });
  const config = defaultIngestConfig();
  const buffer = new TableBuffer({
    name: `app.${table}`,
    catalog,
    settings: tableSettings(config, `app.${table}`),
    commit: { intervalMs: 3_600_000, maxRows: 1_000_000, maxBytes: 1 << 30 },
    idempotency: config.idempotency,
    buffered: { bytes: 0 },
    buildOnArrival,
  });
  const send = (rows: string[], o: { key?: string; partial?: boolean } = {}) => {
    const body = Buffer.from(`[${rows.join(',')}]`);
    return buffer.append({ ...parseRows(body, 'json', 1000), key: o.key, partial: o.partial ?? false, bytes: body.length, reread: () => parseRows(body, 'json', 1000) });
  };
  return { env, buffer, send };
}

test('two requests with one key in the same turn: one lands, the other is answered as its duplicate', { timeout: 120_000 }, async (t) => {
  const { env, buffer, send } = await setup(t, 'keys', true);
  // the table exists and holds a key already, so each request looks its key up in the table
  const first = send(['{"id": 0}'], { key: 'first' });
  await buffer.flush();
  await first;
  const a = send(['{"id": 1}', '{"id": 2}'], { key: 'k' });
  const b = send(['{"id": 1}', '{"id": 2}'], { key: 'k' });
  await buffer.flush();
  const [ra, rb] = await Promise.all([a, b]);
  assert.equal(ra.duplicate, false);
  assert.equal(rb.duplicate, true, 'the second request is the first one again');
  assert.equal(rb.snapshotId, ra.snapshotId);
  const rows = (await readWithDuckDB({ ...env.reader, table: 'app.keys' })).rows.map((r) => Number(r.id)).sort();
  assert.deepEqual(rows, [0, 1, 2], 'every row once');
});

for (const buildOnArrival of [true, false]) {
  test(`a group built again lists each bad row of a partial request once (${buildOnArrival ? 'built on arrival' : 'built at the commit'})`, { timeout: 120_000 }, async (t) => {
    const { env, buffer, send } = await setup(t, `again_${buildOnArrival}`, buildOnArrival);
    const first = send(['{"id": 0, "ts": "2026-12-01T10:00:00Z"}']);
    await buffer.flush();
    await first;
    // row 1 is not an object (refused when it arrives); row 2 a date the inferrer takes and the builder refuses
    const partial = send(['{"id": 1, "ts": "2026-12-01T10:00:00Z"}', '17', '{"id": 2, "ts": "2026-02-31T10:00:00Z"}'], { partial: true });
    // all or nothing, with a row the builder refuses: it leaves the group, which is built again
    const whole = send(['{"id": 3, "ts": "2026-12-01T10:00:00Z"}', '{"id": 4, "ts": "2026-02-30T10:00:00Z"}']).then(
      () => undefined,
      (e: unknown) => e,
    );
    await buffer.flush();
    const r = await partial;
    assert.deepEqual(
      r.rejected.map((p) => p.index),
      [1, 2],
      'each bad row once',
    );
    assert.equal(r.rows, 1);
    const refused = await whole;
    assert.ok(refused instanceof IngestError && refused.status === 400, `refused as a whole: ${String(refused)}`);
    const rows = (await readWithDuckDB({ ...env.reader, table: `app.again_${buildOnArrival}` })).rows.map((x) => Number(x.id)).sort();
    assert.deepEqual(rows, [0, 1]);
  });
}
