// Field routing takes a run's records table by table (pipeline/run-by-table.ts, RecordLoop's
// takeByTable), not in offset order. Randomized: plain JSON records of ten tables interleaved in
// three partitions, with what sends a record off the grouped pass mixed in (a new key: the
// table's schema grows; an escaped string: not taken straight from its text; broken JSON and a
// missing routing field: dead letters; tables that first appear mid-stream), small commits so
// the tables are settled most of the time, a crash and a restart. Every record lands once, in
// its table, with its values; every bad one is a dead letter; no good one is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SqlCatalog } from '../../src/catalog/sql-catalog.ts';
import { parseTableName } from '../../src/catalog/catalog.ts';
import { parseConnectorConfig } from '../../src/config/connector-config.ts';
import { decodePlainJson, plainJsonFrame } from '../../src/decode/record-decoder.ts';
import type { SourceRecord } from '../../src/pipeline/source.ts';
import { ConnectorWorker } from '../../src/pipeline/worker.ts';
import { createRouter } from '../../src/route/router.ts';
import { formatOffsets } from '../../src/commit/offsets-map.ts';
import { tableOffsets } from '../../src/commit/committed-offsets.ts';
import { MemorySource } from '../helpers/memory-source.ts';
import { failingSnapshots } from '../helpers/failing-snapshots.ts';
import { rng } from '../helpers/rng.ts';
import { tableRows } from '../helpers/table-rows.ts';

/** Plain JSON routed by field `t` into `table` (a {value} template), commits every `maxRows` rows, dead letters on; a fresh folder. */
function fieldRouted(table: string, maxRows: number, tableExtra = '') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-bytable-'));
  const config = parseConnectorConfig(
    `
name: c1
kafka: { brokers: ["127.0.0.1:9"] }
format: json
catalog: { type: sql, uri: ${path.join(dir, 'catalog.db')}, warehouse: ${pathToFileURL(dir).href} }
topics: [events]
table: { name: "${table}"${tableExtra} }
route: { by: field, field: t }
commit: { intervalMs: 600000, maxRows: ${maxRows} }
errors: { tolerance: all, deadLetterTopic: events.dlq }
`,
    'test.yaml',
    {},
  );
  return { dir, config };
}

interface Expected {
  table: string;
  n: number;
  s: string;
  extra?: string;
}

for (const [seed, direct] of [
  [1, true],
  [2, true],
  [3, false],
] as const) {
  test(`field routing, records taken table by table (seed ${seed}, ${direct ? 'frames taken straight from their text' : 'decoded objects'}): a crash and a restart, schema growth, escapes and dead letters: every record once, in its table`, async () => {
    const { dir, config } = fieldRouted('lake.bt_{value}', 45, ', kafkaMetadataColumns: true');
    const catalog = () => new SqlCatalog({ uri: path.join(dir, 'catalog.db'), warehouse: pathToFileURL(dir).href });
    const r = rng(seed);
    const enc = new TextEncoder();
    const source = new MemorySource(120);
    const expected = new Map<number, Expected>();
    const bad = new Set<string>();
    const N = 3000;
    const grown = new Set<string>();
    for (let id = 0; id < N; id++) {
      const p = Math.floor(r() * 3);
      // eight tables from the start, two more from a third of the way in
      const tables = id < N / 3 ? 8 : 10;
      const t = String.fromCharCode(97 + Math.floor(r() * tables));
      const roll = r();
      const rec: Record<string, unknown> = { t, id, n: Math.floor(r() * 1e6), s: `v${Math.floor(r() * 50)}` };
      let text: string;
      if (roll < 0.02) {
        text = JSON.stringify(rec).slice(0, -4); // broken JSON
      } else if (roll < 0.04) {
        delete rec.t; // no routing field
        text = JSON.stringify(rec);
      } else {
        if (roll < 0.07) rec.s = `q"uo\\te ${id} \u00e9\n`; // escapes: read as JSON.parse does
        // a key of the table's own: its first record makes the table's schema grow
        if (roll > 0.96 || (grown.has(t) && roll > 0.7)) {
          rec[`x_${t}`] = `x${id}`;
          grown.add(t);
        }
        text = JSON.stringify(rec);
        expected.set(id, { table: `bt_${t}`, n: rec.n as number, s: rec.s as string, extra: rec[`x_${t}`] as string | undefined });
      }
      const sent = source.produce('events', p, enc.encode(text));
      if (!expected.has(id)) bad.add(`${p}:${sent.offset}`);
    }

    const dead: SourceRecord[] = [];
    const run = (source: MemorySource) => {
      const buffered: SourceRecord[] = [];
      return new ConnectorWorker({
        config,
        catalog: catalog(),
        source,
        decode: direct ? (b) => plainJsonFrame(b) : (b) => ({ value: decodePlainJson(b) }),
        router: createRouter(config.table.name, config.route),
        deadLetters: {
          add: (rec) => void buffered.push(rec),
          flush: async () => void dead.push(...buffered.splice(0)),
        },
      });
    };
    const parts = [0, 1, 2].map((partition) => ({ topic: 'events', partition }));
    const a = run(source);
    await a.start();
    await source.assign(parts);
    await source.pump(Math.floor(N / 120 / 2)); // about half the records
    a.abort(); // a crash: what was buffered is lost, what was committed stays
    const again = new MemorySource(120);
    for (const [k, v] of source.log) again.log.set(k, v);
    const b = run(again);
    await b.start();
    await again.assign(parts);
    await again.pump();
    await b.stop();

    const seen = new Map<number, string>();
    for (let c = 0; c < 10; c++) {
      const name = `bt_${String.fromCharCode(97 + c)}`;
      const rows = await tableRows(await catalog().loadTable(parseTableName(`lake.${name}`)));
      for (const row of rows) {
        const id = Number(row.id);
        assert.ok(!seen.has(id), `record ${id} landed twice (${seen.get(id)} and ${name})`);
        seen.set(id, name);
        const want = expected.get(id);
        assert.ok(want, `record ${id} in ${name} was a bad one`);
        assert.equal(name, want.table, `record ${id}'s table`);
        assert.equal(Number(row.n), want.n, `record ${id}'s n`);
        assert.equal(row.s, want.s, `record ${id}'s s`);
        assert.equal(row[`x_${name.slice(3)}`] ?? undefined, want.extra, `record ${id}'s x_ column`);
      }
    }
    const missing = [...expected.keys()].filter((id) => !seen.has(id));
    assert.deepEqual(missing.slice(0, 10), [], `${missing.length} records did not land`);
    const deadKeys = new Set(dead.map((d) => `${d.partition}:${d.offset}`));
    const lostBad = [...bad].filter((k) => !deadKeys.has(k));
    assert.deepEqual(lostBad.slice(0, 10), [], `${lostBad.length} bad records are neither landed nor dead letters`);
    const goodDead = [...deadKeys].filter((k) => !bad.has(k));
    assert.deepEqual(goodDead.slice(0, 10), [], 'good records sent to the dead letters');
  });
}

test('field routing: a table taken past a record whose schema change cannot commit at once drops its rows and reads them again, so a later dead letter of the partition is still sent', async () => {
  const { dir, config } = fieldRouted('lake.dl_{value}', 20);
  const real = new SqlCatalog({ uri: path.join(dir, 'catalog.db'), warehouse: pathToFileURL(dir).href });
  // the first snapshot commit of dl_b once `failB` is set fails (retryable): the schema change's
  // flush of b's rows then lets go of them and p is read again from b's offset
  let failB = 0;
  const catalog = failingSnapshots(real, (id) => {
    if (failB === 0 || id.name !== 'dl_b') return false;
    failB--;
    return true;
  });
  const enc = new TextEncoder();
  const source = new MemorySource(100);
  const put = (v: object) => source.produce('events', 0, enc.encode(JSON.stringify(v)));
  // first: both tables exist and hold an offset for p (settled)
  for (let id = 0; id < 10; id++) put({ t: id % 2 ? 'b' : 'a', id, n: id });
  const dead: string[] = [];
  const w = (src: MemorySource) => {
    const buffered: SourceRecord[] = [];
    return new ConnectorWorker({
      config,
      catalog,
      source: src,
      decode: (b) => plainJsonFrame(b),
      router: createRouter(config.table.name, config.route),
      deadLetters: { add: (rec) => void buffered.push(rec), flush: async () => void dead.push(...buffered.splice(0).map((r) => String(r.offset))) },
    });
  };
  const parts = [{ topic: 'events', partition: 0 }];
  const first = w(source);
  await first.start();
  await source.assign(parts);
  await source.pump();
  await first.stop();
  // then one run: a's records around b's record 12 (a new key: b's schema grows) and b's
  // record 14 (a dead letter: n must be a long); a takes 13 and 15..44 before 12 is handled
  put({ t: 'a', id: 10, n: 10 });
  put({ t: 'a', id: 11, n: 11 });
  put({ t: 'b', id: 12, n: 12, x: 'a new key' });
  put({ t: 'a', id: 13, n: 13 });
  put({ t: 'b', id: 14, n: { not: 'a long' } });
  for (let id = 15; id < 45; id++) put({ t: 'a', id, n: id });
  const again = new MemorySource(100);
  for (const [k, v] of source.log) again.log.set(k, v);
  const second = w(again);
  await second.start();
  await again.assign(parts);
  failB = 1;
  await again.pump();
  await second.stop();
  assert.equal(failB, 0, 'the injected failure happened');
  assert.deepEqual(dead, ['14'], 'record 14 is a dead letter, once');
  const ids = async (name: string) => (await tableRows(await real.loadTable(parseTableName(name)))).map((r) => Number(r.id)).sort((x, y) => x - y);
  assert.deepEqual(await ids('lake.dl_b'), [1, 3, 5, 7, 9, 12]);
  assert.deepEqual(await ids('lake.dl_a'), [0, 2, 4, 6, 8, 10, 11, 13, ...Array.from({ length: 30 }, (_, i) => 15 + i)]);
});

for (const direct of [true, false]) {
  test(`field routing (${direct ? 'frames' : 'decoded objects'}): a table that first appears after a partition went quiet still records where that partition stands at its commit`, async () => {
    const { dir, config } = fieldRouted('lake.late_{value}', 1_000_000);
    const catalog = () => new SqlCatalog({ uri: path.join(dir, 'catalog.db'), warehouse: pathToFileURL(dir).href });
    const enc = new TextEncoder();
    // partition 1 holds table a's records only, and is read to its end in the first batch;
    // partition 0 brings table b in only after that
    const source = new MemorySource(100);
    for (let i = 0; i < 40; i++) source.produce('events', 1, enc.encode(JSON.stringify({ t: 'a', id: i })));
    for (let i = 0; i < 250; i++) source.produce('events', 0, enc.encode(JSON.stringify({ t: i < 150 ? 'a' : 'b', id: 100 + i })));
    const worker = new ConnectorWorker({
      config,
      catalog: catalog(),
      source,
      decode: direct ? (b) => plainJsonFrame(b) : (b) => ({ value: decodePlainJson(b) }),
      router: createRouter(config.table.name, config.route),
      deadLetters: { add: () => {}, flush: async () => {} },
    });
    await worker.start();
    await source.assign([
      { topic: 'events', partition: 0 },
      { topic: 'events', partition: 1 },
    ]);
    await source.pump();
    await worker.stop();
    for (const [name, rows] of [
      ['late_a', 190],
      ['late_b', 100],
    ] as const) {
      const table = await catalog().loadTable(parseTableName(`lake.${name}`));
      assert.equal((await tableRows(table)).length, rows, `${name}'s rows`);
      assert.equal(formatOffsets(tableOffsets(table.metadata, 'c1')), '{"events":{"0":250,"1":40}}', `${name}'s offsets`);
    }
  });
}
