// Building rows as they arrive (table-buffer.ts) must answer and commit exactly what building the
// group at its commit does: the same random requests (good rows, values the inferrer takes but
// the batch builder refuses, type conflicts, new columns, non-objects, partial true and false,
// repeated Idempotency-Keys) go to two tables of one embedded catalog, one buffer building on
// arrival and one not, in the same groups; every answer and both tables' rows must be the same.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultIngestConfig, tableSettings } from '../../src/config/ingest-config.ts';
import { embeddedCatalog } from '../../src/cli/embedded.ts';
import { IngestError } from '../../src/ingest/ingest-error.ts';
import { parseRows } from '../../src/ingest/request-body.ts';
import { TableBuffer } from '../../src/ingest/table-buffer.ts';
import type { CommitEvent } from '../../src/ingest/table-buffer.ts';
import { readWithDuckDB } from '../helpers/readers.ts';
import { serveEnv } from './serve-harness.ts';

function generator(seed: number): () => number {
  let x = seed || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

/** A row as JSON text: mostly good, sometimes one the inferrer or the builder refuses. */
function rowText(r: () => number, i: number): string {
  const k = r();
  const day = 1 + Math.floor(r() * 28);
  const good = `{"id": ${i}, "ts": "2026-12-${String(day).padStart(2, '0')}T10:00:00Z", "name": "n${Math.floor(r() * 5)}", "v": ${Math.floor(r() * 1000) / 10}}`;
  if (k < 0.8) return good;
  if (k < 0.84) return `{"id": ${i}, "ts": "2026-02-31T10:00:00Z"}`; // inferred timestamptz, refused by the builder
  if (k < 0.87) return `{"id": "x${i}"}`; // a string where the column is a long
  if (k < 0.9) return `{"id": ${i}, "extra${Math.floor(r() * 3)}": true}`; // a new column
  if (k < 0.92) return '17'; // not an object
  if (k < 0.94) return `{"id": ${i}, "ts": "2026-12-01T10:00:00.1234567Z"}`; // finer than microseconds
  return `{"id": ${i}, "v": 5}`;
}

type Outcome = { ok: true; rows: number; rejected: unknown; duplicate: boolean; committed: boolean } | { ok: false; status: number | undefined; message: string; rows: unknown };

function outcomeOf(p: Promise<{ rows: number; rejected: unknown; duplicate: boolean; snapshotId: bigint | undefined }>): Promise<Outcome> {
  return p.then(
    (r) => ({ ok: true, rows: r.rows, rejected: r.rejected, duplicate: r.duplicate, committed: r.snapshotId !== undefined }),
    (e: unknown) => ({ ok: false, status: e instanceof IngestError ? e.status : undefined, message: (e as Error).message, rows: e instanceof IngestError ? e.rows : undefined }),
  );
}

test('rows built as they arrive: the same answers and the same table as rows built at the commit', { timeout: 300_000 }, async (t) => {
  const env = await serveEnv('sql');
  t.after(() => env.close());
  const { catalog } = embeddedCatalog(`${env.dir}/wh`);
  t.after(async () => {
    await catalog.close?.();
  });
  const config = defaultIngestConfig();
  const events: Record<string, CommitEvent[]> = { fast: [], slow: [] };
  const buffer = (table: string, onArrival: boolean) =>
    new TableBuffer({
      name: `app.${table}`,
      catalog,
      settings: tableSettings(config, `app.${table}`),
      commit: { intervalMs: 3_600_000, maxRows: 1_000_000, maxBytes: 1 << 30 },
      idempotency: config.idempotency,
      buffered: { bytes: 0 },
      buildOnArrival: onArrival,
      onCommitted: (e) => events[table].push(e),
    });
  const fast = buffer('fast', true);
  const slow = buffer('slow', false);
  const r = generator(2026);
  let id = 0;
  for (let group = 0; group < 40; group++) {
    const requests = 1 + Math.floor(r() * 6);
    const outcomes: [Promise<Outcome>, Promise<Outcome>][] = [];
    for (let q = 0; q < requests; q++) {
      const n = 1 + Math.floor(r() * 30);
      const ndjson = r() < 0.3;
      const rows = Array.from({ length: n }, () => rowText(r, id++));
      const body = Buffer.from(ndjson ? rows.join('\n') : `[${rows.join(',')}]`);
      const format = ndjson ? 'ndjson' : 'json';
      const partial = r() < 0.5;
      const key = r() < 0.3 ? `k${Math.floor(r() * 20)}` : undefined;
      const send = (b: TableBuffer) => outcomeOf(b.append({ ...parseRows(body, format, 1000), key, partial, bytes: body.length, reread: () => parseRows(body, format, 1000) }));
      outcomes.push([send(fast), send(slow)]);
    }
    // a group is what arrived before its flush: the same requests in both tables
    await Promise.all([fast.flush(), slow.flush()]);
    // reasons name their table
    const same = (o: Outcome) => JSON.parse(JSON.stringify(o).replaceAll(/app\.(fast|slow)/g, 'app.T')) as unknown;
    for (const [a, b] of outcomes) assert.deepStrictEqual(same(await a), same(await b), `group ${group}`);
  }
  const arrivals = events.fast.filter((e) => e.builtOnArrival).length;
  assert.ok(arrivals >= 5, `only ${arrivals} of ${events.fast.length} groups were built on arrival: the test does not test much`);
  assert.ok(arrivals < events.fast.length, 'no group was rebuilt at its commit: the test does not test much');
  assert.equal(events.slow.filter((e) => e.builtOnArrival).length, 0);
  assert.deepStrictEqual(
    events.fast.map((e) => e.rows),
    events.slow.map((e) => e.rows),
  );
  const [a, b] = await Promise.all([readWithDuckDB({ ...env.reader, table: 'app.fast' }), readWithDuckDB({ ...env.reader, table: 'app.slow' })]);
  assert.ok(a.rows.length > 500);
  assert.deepStrictEqual(a.rows, b.rows);
});
