// A partition handed over by a rebalance while its old owner still flushes (handover-check.ts):
// the old owner's revoke commit lands after the new owner loaded the table's offsets. The new
// owner must find that at its next tick, not at its first commit a commit interval later, and
// still land every record exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { SqlCatalog } from '../../src/catalog/sql-catalog.ts';
import { parseTableName } from '../../src/catalog/catalog.ts';
import { parseConnectorConfig } from '../../src/config/connector-config.ts';
import type { ConnectorConfig } from '../../src/config/connector-config.ts';
import { decodePlainJson } from '../../src/decode/record-decoder.ts';
import { ConnectorWorker } from '../../src/pipeline/worker.ts';
import type { SourceRecord } from '../../src/pipeline/source.ts';
import { createRouter } from '../../src/route/router.ts';
import { HANDOVER_TICKS } from '../../src/pipeline/handover-check.ts';
import { tpKey } from '../../src/commit/offsets-map.ts';
import { MemorySource } from '../helpers/memory-source.ts';
import { tableRows } from '../helpers/table-rows.ts';

const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const p0 = [{ topic: 'events', partition: 0 }];
/** commit.intervalMs: the worker's tick is a quarter of it (0.1–1 s) */
function setup(INTERVAL_MS: number) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-handover-'));
  const config = parseConnectorConfig(
    `
name: c1
kafka: { brokers: ["127.0.0.1:9"] }
format: json
catalog: { type: sql, uri: ${path.join(dir, 'catalog.db')}, warehouse: ${pathToFileURL(dir).href} }
topics: [events]
table: { name: lake.events, kafkaMetadataColumns: true }
commit: { intervalMs: ${INTERVAL_MS}, maxRows: 100000 }
errors: { tolerance: none }
`,
    'test.yaml',
    {},
  );
  const catalog = () => new SqlCatalog({ uri: path.join(dir, 'catalog.db'), warehouse: pathToFileURL(dir).href });
  return { config, catalog };
}

function worker(config: ConnectorConfig, catalog: SqlCatalog, source: MemorySource) {
  const stats = { fenced: 0, commits: 0, fencedAfterMs: -1 };
  let since = 0;
  const w = new ConnectorWorker({
    config,
    catalog,
    source,
    decode: (b) => ({ value: decodePlainJson(b) }),
    router: createRouter(config.table.name, config.route),
    deadLetters: { add: () => assert.fail('no dead letters expected'), flush: async () => {} },
    events: {
      fenced: () => {
        stats.fenced++;
        stats.fencedAfterMs = Date.now() - since;
      },
      committed: () => stats.commits++,
    },
  });
  return { w, stats, mark: () => (since = Date.now()) };
}

/** One log, two sources over it (the old and the new owner of p0). */
function sources(n: number): [MemorySource, MemorySource] {
  const a = new MemorySource(10);
  for (let i = 0; i < n; i++) a.produce('events', 0, json({ id: i }));
  const b = new MemorySource(10);
  for (const [k, v] of a.log) b.log.set(k, v as SourceRecord[]);
  return [a, b];
}

async function rowKeys(catalog: SqlCatalog): Promise<string[]> {
  const rows = await tableRows(await catalog.loadTable(parseTableName('lake.events')));
  return rows.map((r) => `${r._kafka_partition}:${r._kafka_offset}`);
}

test('a partition handed over while its old owner still flushes: the new owner is fenced at its next tick, before its first commit, and every record lands once', async () => {
  // the new owner's rows are first due for a commit after 4 s; the check runs every second
  const INTERVAL_MS = 4000;
  const { config, catalog } = setup(INTERVAL_MS);
  const [oldSource, newSource] = sources(100);
  const oldOwner = worker(config, catalog(), oldSource);
  const newOwner = worker(config, catalog(), newSource);
  await oldOwner.w.start();
  await newOwner.w.start();
  await oldSource.assign(p0);
  await oldSource.pump(3); // the old owner buffers offsets 0-29, not committed yet
  // the group hands p0 over before the old owner has applied its revoke: the new owner reads the
  // table's offsets (none yet) and buffers offsets 0-19
  await newSource.assign(p0);
  await newSource.pump(2);
  // the old owner's revoke flush lands now: the table holds 0-29
  await oldSource.revoke(p0);
  newOwner.mark();
  assert.equal(oldOwner.stats.commits, 1);
  // within a tick or two, well before the new owner's rows are a commit interval old
  for (let waited = 0; newOwner.stats.fenced === 0 && waited < INTERVAL_MS * 0.75; waited += 50) await sleep(50);
  assert.equal(newOwner.stats.fenced, 1, 'the new owner was fenced by the handover check');
  assert.equal(newOwner.stats.commits, 0, 'before any commit of its own');
  assert.ok(newOwner.stats.fencedAfterMs < INTERVAL_MS, `fenced ${newOwner.stats.fencedAfterMs} ms after the old owner's commit`);
  await newSource.pump();
  await newOwner.w.stop();
  await oldOwner.w.stop();
  const keys = await rowKeys(catalog());
  assert.equal(keys.length, 100);
  assert.equal(new Set(keys).size, 100, 'no record twice');
  assert.equal(newOwner.stats.fenced, 1);
});

test('a partition handed over after the old owner committed: no fence, the new owner starts where the table is', async () => {
  const INTERVAL_MS = 1000;
  const { config, catalog } = setup(INTERVAL_MS);
  const [oldSource, newSource] = sources(60);
  const oldOwner = worker(config, catalog(), oldSource);
  const newOwner = worker(config, catalog(), newSource);
  await oldOwner.w.start();
  await newOwner.w.start();
  await oldSource.assign(p0);
  await oldSource.pump(3);
  await oldSource.revoke(p0); // commits 0-29 before the new owner is assigned
  const starts = await newSource.assign(p0);
  assert.equal(starts.get(tpKey(p0[0])), 30n);
  await newSource.pump(2);
  // every tick of the check passes with the table where the new owner found it
  await sleep((INTERVAL_MS / 4) * (HANDOVER_TICKS + 1));
  assert.equal(newOwner.stats.fenced, 0);
  await newSource.pump();
  await newOwner.w.stop();
  await oldOwner.w.stop();
  const keys = await rowKeys(catalog());
  assert.equal(keys.length, 60);
  assert.equal(new Set(keys).size, 60);
});
