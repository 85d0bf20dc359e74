// The connector worker on the embedded catalog, driven by an in-memory source: exactly once
// across crashes and zombies, dead letters, routing, schema growth, backpressure.
// (The same worker against a real broker: test/kafka.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SqlCatalog } from '../../src/catalog/sql-catalog.ts';
import { parseConnectorConfig } from '../../src/config/connector-config.ts';
import type { ConnectorConfig } from '../../src/config/connector-config.ts';
import { ConnectorWorker } from '../../src/pipeline/worker.ts';
import type { DeadLetterSink } from '../../src/pipeline/worker.ts';
import type { SourceRecord } from '../../src/pipeline/source.ts';
import { createRouter } from '../../src/route/router.ts';
import { decodePlainJson } from '../../src/decode/record-decoder.ts';
import { formatOffsets } from '../../src/commit/offsets-map.ts';
import { tableOffsets } from '../../src/commit/committed-offsets.ts';
import { FloeError } from '../../src/errors.ts';
import { parseTableName } from '../../src/catalog/catalog.ts';
import { buildPartitionSpec } from '../../src/iceberg/partition-spec.ts';
import type { Schema } from '../../src/iceberg/types.ts';
import { withKafkaMetadataColumns } from '../../src/schema/kafka-metadata.ts';
import { MemorySource } from '../helpers/memory-source.ts';
import { tableRows } from '../helpers/table-rows.ts';

const enc = new TextEncoder();
const json = (v: unknown) => enc.encode(JSON.stringify(v));

function setup(extra = '', table = 'lake.events') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-worker-'));
  const yaml = `
name: c1
kafka: { brokers: ["127.0.0.1:9"] }
format: json
catalog: { type: sql, uri: ${path.join(dir, 'catalog.db')}, warehouse: ${pathToFileURL(dir).href} }
topics: [events]
table: { name: "${table}", kafkaMetadataColumns: true }
commit: { intervalMs: 60000, maxRows: 40 }
errors: { tolerance: all, deadLetterTopic: events.dlq }
${extra}`;
  const config = parseConnectorConfig(yaml, 'test.yaml', {});
  const catalog = () => new SqlCatalog({ uri: path.join(dir, 'catalog.db'), warehouse: pathToFileURL(dir).href });
  return { dir, config, catalog };
}

class Dlq implements DeadLetterSink {
  readonly records: { record: SourceRecord; error: Error }[] = [];
  private buffered: { record: SourceRecord; error: Error }[] = [];
  add(record: SourceRecord, error: Error) {
    this.buffered.push({ record, error });
  }
  async flush() {
    this.records.push(...this.buffered);
    this.buffered = [];
  }
}

function worker(config: ConnectorConfig, catalog: SqlCatalog, source: MemorySource, dlq = new Dlq()) {
  const stats = { fenced: 0, commits: 0 };
  const w = new ConnectorWorker({
    config,
    catalog,
    source,
    decode: (b) => ({ value: decodePlainJson(b) }),
    router: createRouter(config.table.name, config.route),
    deadLetters: dlq,
    events: { fenced: () => stats.fenced++, committed: () => stats.commits++ },
  });
  return { w, dlq, stats };
}

const parts = (n: number) => Array.from({ length: n }, (_, partition) => ({ topic: 'events', partition }));

function keyOf(r: Record<string, unknown>) {
  return `${r._kafka_partition}:${r._kafka_offset}`;
}

test('a worker killed mid-stream and restarted lands every record exactly once', async () => {
  const { config, catalog } = setup();
  const source = new MemorySource(7);
  for (let i = 0; i < 300; i++) source.produce('events', i % 3, json({ id: i, name: `n${i}`, amount: i * 1.5 }));
  // first worker: part of the stream, some commits (maxRows 40), then "killed": no stop, no flush
  const a = worker(config, catalog(), source);
  await a.w.start();
  await source.assign(parts(3));
  await source.pump(20);
  const afterCrash = await catalog().loadTable(parseTableName('lake.events'));
  a.w.abort();
  const committedBefore = (await tableRows(afterCrash)).length;
  assert.ok(committedBefore > 0 && committedBefore < 300, `some but not all rows committed before the kill (${committedBefore})`);
  // second worker picks up from the table's offsets
  const source2 = new MemorySource(11);
  for (const [k, v] of source.log) source2.log.set(k, v);
  const b = worker(config, catalog(), source2);
  await b.w.start();
  const starts = await source2.assign(parts(3));
  for (const s of starts.values()) assert.notEqual(s, 'earliest', 'partitions start at the table offsets');
  await source2.pump();
  await b.w.stop();
  const table = await catalog().loadTable(parseTableName('lake.events'));
  const rows = await tableRows(table);
  assert.equal(rows.length, 300);
  assert.equal(new Set(rows.map(keyOf)).size, 300);
  assert.equal(formatOffsets(tableOffsets(table.metadata, 'c1')), '{"events":{"0":100,"1":100,"2":100}}');
  assert.deepEqual([...source2.committed.values()], [100n, 100n, 100n], 'group offsets follow the table');
});

test('two workers owning one partition at once: the zombie is fenced, nothing lands twice', async () => {
  const { config, catalog } = setup();
  const source = new MemorySource(10);
  for (let i = 0; i < 100; i++) source.produce('events', 0, json({ id: i }));
  const a = worker(config, catalog(), source);
  const zombieSource = new MemorySource(10);
  zombieSource.log.set([...source.log.keys()][0], source.log.values().next().value!);
  const z = worker(config, catalog(), zombieSource);
  await a.w.start();
  await z.w.start();
  await source.assign(parts(1));
  await zombieSource.assign(parts(1)); // both start at earliest
  await source.pump(3); // A buffers 30
  await zombieSource.pump(5); // Z buffers 50, commits at 40 rows
  await source.pump(); // A reaches 40 rows: fenced (Z moved the table), seeks to the table's offset
  await zombieSource.pump();
  await a.w.stop();
  await z.w.stop();
  assert.ok(a.stats.fenced >= 1, 'the slower worker was fenced');
  const rows = await tableRows(await catalog().loadTable(parseTableName('lake.events')));
  assert.equal(rows.length, 100);
  assert.equal(new Set(rows.map(keyOf)).size, 100);
});

test('bad records go to the dead letters with a reason; table rows + dead letters = records produced', async () => {
  const { config, catalog } = setup();
  const source = new MemorySource(9);
  const bad = new Set<number>();
  for (let i = 0; i < 120; i++) {
    if (i % 17 === 5) {
      bad.add(i);
      source.produce('events', 0, enc.encode('{not json'));
    } else if (i % 23 === 7) {
      bad.add(i);
      source.produce('events', 0, json({ id: 'not a number' }));
    } else source.produce('events', 0, json({ id: i }));
  }
  const { w, dlq } = worker(config, catalog(), source);
  await w.start();
  await source.assign(parts(1));
  await source.pump();
  await w.stop();
  const rows = await tableRows(await catalog().loadTable(parseTableName('lake.events')));
  assert.equal(rows.length + dlq.records.length, 120);
  assert.deepEqual(new Set(dlq.records.map((d) => Number(d.record.offset))), bad);
  assert.ok(dlq.records.some((d) => d.error.name === 'DecodeError'));
  assert.ok(
    dlq.records.some((d) => /id/.test(d.error.message)),
    dlq.records.map((d) => d.error.message).join('\n'),
  );
});

test('routing by a field value to several tables, with a restart in the middle', async () => {
  const { config, catalog } = setup('route: { by: field, field: kind }', 'lake.ev_{value}');
  const source = new MemorySource(5);
  for (let i = 0; i < 90; i++) source.produce('events', i % 2, json({ kind: ['a', 'b', 'c'][i % 3], i }));
  const first = worker(config, catalog(), source);
  await first.w.start();
  await source.assign(parts(2));
  await source.pump(6);
  await first.w.stop();
  const second = worker(config, catalog(), source);
  await second.w.start();
  await source.assign(parts(2));
  await source.pump();
  await second.w.stop();
  for (const k of ['a', 'b', 'c']) {
    const rows = await tableRows(await catalog().loadTable(parseTableName(`lake.ev_${k}`)));
    assert.equal(rows.length, 30, `table ev_${k}`);
    assert.ok(rows.every((r) => r.kind === k));
    assert.equal(new Set(rows.map(keyOf)).size, 30);
  }
});

test('field routing to new tables: each takes its columns from all its records in the batch, and the batch is routed once, not once per new table', async () => {
  const { config, catalog } = setup('route: { by: field, field: kind }', 'lake.nt_{value}');
  const kinds = ['a', 'b', 'c', 'd', 'e', 'f'];
  const source = new MemorySource(500);
  const n = 120;
  // each table's first record has an integral amount, its later ones a fraction and a key of their own
  for (let i = 0; i < n; i++) {
    const kind = kinds[i % kinds.length];
    source.produce('events', 0, json(i < kinds.length ? { kind, amount: 1 } : { kind, amount: i + 0.5, [`note_${kind}`]: `n${i}` }));
  }
  let decodes = 0;
  const dlq = new Dlq();
  const w = new ConnectorWorker({
    config,
    catalog: catalog(),
    source,
    decode: (b) => {
      decodes++;
      return { value: decodePlainJson(b) };
    },
    router: createRouter(config.table.name, config.route),
    deadLetters: dlq,
  });
  await w.start();
  await source.assign(parts(1));
  await source.pump();
  await w.stop();
  assert.equal(dlq.records.length, 0);
  for (const k of kinds) {
    const table = await catalog().loadTable(parseTableName(`lake.nt_${k}`));
    const fields = table.metadata.schemas.find((x) => x['schema-id'] === table.metadata['current-schema-id'])!.fields;
    assert.equal(fields.find((f) => f.name === 'amount')?.type, 'double', `nt_${k}.amount`);
    assert.equal(fields.find((f) => f.name === `note_${k}`)?.type, 'string', `nt_${k}.note_${k}`);
    assert.equal(table.metadata.schemas.length, 1, `nt_${k} was created with every column (no schema change)`);
    const rows = await tableRows(table);
    assert.equal(rows.length, n / kinds.length);
  }
  // once each for the records, once to route the batch, once more for each new table's own records;
  // routing the rest of the batch once per new table would decode ~n more per table
  assert.ok(decodes <= 3 * n + kinds.length, `${decodes} decodes of ${n} records`);
});

test('a new JSON field mid-stream adds a column; earlier rows read it as null', async () => {
  const { config, catalog } = setup();
  const source = new MemorySource(10);
  for (let i = 0; i < 30; i++) source.produce('events', 0, json({ id: i }));
  for (let i = 30; i < 60; i++) source.produce('events', 0, json({ id: i, color: `c${i}`, score: i % 2 ? 1 : 2.5 }));
  const { w } = worker(config, catalog(), source);
  await w.start();
  await source.assign(parts(1));
  await source.pump();
  await w.stop();
  const table = await catalog().loadTable(parseTableName('lake.events'));
  const rows = await tableRows(table);
  assert.equal(rows.length, 60);
  const byId = new Map(rows.map((r) => [Number(r.id), r]));
  assert.equal(byId.get(3)!.color ?? null, null);
  assert.equal(byId.get(41)!.color, 'c41');
  assert.equal(byId.get(42)!.score, 2.5);
  assert.ok(table.metadata.schemas.length >= 2);
});

test('buffered bytes over the bound pause the partitions until a flush frees them', async () => {
  const { config, catalog } = setup('bufferMaxBytes: 1048576');
  config.commit.maxRows = 1_000_000;
  config.commit.maxBytes = 1 << 30;
  const source = new MemorySource(200);
  const big = 'x'.repeat(2000);
  for (let i = 0; i < 2000; i++) source.produce('events', 0, json({ id: i, big }));
  const { w } = worker(config, catalog(), source);
  await w.start();
  await source.assign(parts(1));
  await source.pump();
  assert.ok(w.bufferedBytes() <= 1048576, `buffer stays bounded (${w.bufferedBytes()})`);
  await w.stop();
  const rows = await tableRows(await catalog().loadTable(parseTableName('lake.events')));
  assert.equal(rows.length, 2000);
});

test('fenced on one partition, a batch also holding a partition the table never saw re-reads it', async () => {
  const { config, catalog } = setup();
  const a = new MemorySource(10);
  const z = new MemorySource(10);
  for (let i = 0; i < 60; i++) {
    const v = json({ id: i });
    a.produce('events', 0, v);
    z.produce('events', 0, v);
    z.produce('events', 1, v);
  }
  const wa = worker(config, catalog(), a);
  const wz = worker(config, catalog(), z);
  await wa.w.start();
  await wz.w.start();
  await z.assign(parts(2)); // the zombie holds p0 and p1 from 0
  await a.assign([{ topic: 'events', partition: 0 }]); // A owns p0 now
  await z.pump(3); // Z buffers 30 rows over p0/p1 (below maxRows 40)
  await a.pump(); // A commits p0 (40 rows, then the rest on stop)
  await wa.w.stop();
  await z.pump(); // Z passes 40 rows: fenced on p0; p1 (not in the table) must be re-read
  await wz.w.stop();
  assert.ok(wz.stats.fenced >= 1, 'the zombie was fenced');
  const rows = await tableRows(await catalog().loadTable(parseTableName('lake.events')));
  const p1 = rows.filter((r) => Number(r._kafka_partition) === 1);
  assert.equal(new Set(rows.map(keyOf)).size, rows.length, 'nothing twice');
  assert.equal(rows.filter((r) => Number(r._kafka_partition) === 0).length, 60);
  assert.equal(p1.length, 60, 'every row of the partition the table had not seen yet');
});

test('a value whose partition value does not fit its partition field is a dead letter, not a crash', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-worker-'));
  const config = parseConnectorConfig(
    `
name: c1
kafka: { brokers: ["127.0.0.1:9"] }
format: json
catalog: { type: sql, uri: ${path.join(dir, 'catalog.db')}, warehouse: ${pathToFileURL(dir).href} }
topics: [events]
table: { name: lake.payments, kafkaMetadataColumns: true, evolveSchema: false }
commit: { intervalMs: 60000, maxRows: 40 }
errors: { tolerance: all, deadLetterTopic: events.dlq }
`,
    'test.yaml',
    {},
  );
  const catalog = () => new SqlCatalog({ uri: path.join(dir, 'catalog.db'), warehouse: pathToFileURL(dir).href });
  const schema = withKafkaMetadataColumns<Schema>({
    type: 'struct',
    'schema-id': 0,
    fields: [
      { id: 1, name: 'id', required: true, type: 'long' },
      { id: 2, name: 'amount', required: false, type: 'decimal(4,2)' },
    ],
  });
  const c = catalog();
  await c.createNamespace(['lake']);
  await c.createTable(parseTableName('lake.payments'), { schema, partitionSpec: buildPartitionSpec(schema, ['truncate(10, amount)']).spec });
  const source = new MemorySource(8);
  const bad = new Set<number>();
  for (let i = 0; i < 60; i++) {
    // truncate(10) of -99.91 .. -99.99 is -100.00: five digits in a decimal(4,2)
    const amount = i % 7 === 3 ? `-99.9${1 + (i % 9)}` : `${(i % 50) - 25}.${String(i % 100).padStart(2, '0')}`;
    if (i % 7 === 3) bad.add(i);
    source.produce('events', 0, json({ id: i, amount }));
  }
  const { w, dlq } = worker(config, catalog(), source);
  await w.start();
  await source.assign(parts(1));
  await source.pump();
  await w.stop();
  assert.equal(w.error, undefined, 'the connector keeps running');
  const rows = await tableRows(await catalog().loadTable(parseTableName('lake.payments')));
  assert.equal(rows.length, 60 - bad.size);
  assert.deepEqual(new Set(dlq.records.map((d) => Number(d.record.offset))), bad);
  for (const d of dlq.records) {
    assert.equal(d.error.name, 'ValueError');
    assert.match(d.error.message, /table lake\.payments, column "amount".*does not fit its partition.*-100\.00/);
  }
});

/** Field routing where partition 1 holds only records that cannot land. */
function deadLetterOnlyPartition(source: MemorySource, perPartition: number) {
  for (let i = 0; i < perPartition; i++) {
    source.produce('events', 0, json({ kind: ['a', 'b'][i % 2], i }));
    source.produce('events', 1, i % 3 === 0 ? enc.encode('{not json') : json({ i, note: 'no kind field' }));
  }
}

function deadLetterKeys(dlq: Dlq) {
  return dlq.records.map((d) => `${d.record.partition}:${d.record.offset}`);
}

test('field routing: a partition whose records all go to the dead letters advances the tables offsets; a restart dead-letters nothing twice', async () => {
  const { config, catalog } = setup('route: { by: field, field: kind }', 'lake.dl_{value}');
  const source = new MemorySource(7);
  deadLetterOnlyPartition(source, 50);
  const dlq = new Dlq();
  const first = worker(config, catalog(), source, dlq);
  await first.w.start();
  await source.assign(parts(2));
  await source.pump();
  await first.w.stop();
  // a new worker (nothing in memory) on the same tables: p1 must not be read again
  const second = worker(config, catalog(), source, dlq);
  await second.w.start();
  const starts = await source.assign(parts(2));
  assert.equal(starts.get('events\u00001'), 50n, 'partition 1 starts past its dead letters');
  await source.pump();
  await second.w.stop();
  const keys = deadLetterKeys(dlq);
  assert.equal(keys.length, 50, keys.join(' '));
  assert.equal(new Set(keys).size, 50, 'no dead letter twice');
  for (const k of ['a', 'b']) {
    const table = await catalog().loadTable(parseTableName(`lake.dl_${k}`));
    assert.equal(formatOffsets(tableOffsets(table.metadata, 'c1')), '{"events":{"0":50,"1":50}}', `table dl_${k}`);
    assert.equal((await tableRows(table)).length, 25);
  }
  assert.equal(source.committed.get('events\u00001'), 50n, 'group offset of the dead-letter-only partition at its end');
});

test('field routing: while running, offsets move past dead letters within a few commit intervals (group lag drains); a crash after that resends nothing', async () => {
  const { config, catalog } = setup('route: { by: field, field: kind }', 'lake.dr_{value}');
  config.commit.intervalMs = 200;
  config.commit.maxRows = 1_000_000;
  const source = new MemorySource(7);
  deadLetterOnlyPartition(source, 40);
  const dlq = new Dlq();
  const first = worker(config, catalog(), source, dlq);
  await first.w.start();
  await source.assign(parts(2));
  await source.pump();
  await waitUntil('group offsets at the end of both partitions', () => source.committed.get('events\u00000') === 40n && source.committed.get('events\u00001') === 40n, 15_000);
  first.w.abort(); // a crash: nothing flushed on the way out
  const second = worker(config, catalog(), source, dlq);
  await second.w.start();
  await source.assign(parts(2));
  await source.pump();
  await second.w.stop();
  const keys = deadLetterKeys(dlq);
  assert.equal(keys.length, 40, keys.join(' '));
  assert.equal(new Set(keys).size, 40, 'no dead letter twice');
  let rows = 0;
  for (const k of ['a', 'b']) rows += (await tableRows(await catalog().loadTable(parseTableName(`lake.dr_${k}`)))).length;
  assert.equal(rows + keys.length, 80, 'rows + dead letters = produced');
});

async function waitUntil(what: string, cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('field routing: a table that stops getting rows still moves its offsets, so group lag drains while running', async () => {
  const { config, catalog } = setup('route: { by: field, field: kind, tables: { a: lake.ia, b: lake.ib } }');
  config.commit.intervalMs = 200;
  config.commit.maxRows = 1_000_000;
  const source = new MemorySource(10);
  for (let i = 0; i < 10; i++) source.produce('events', 0, json({ kind: 'b', i }));
  for (let i = 10; i < 210; i++) source.produce('events', 0, json({ kind: 'a', i }));
  const { w } = worker(config, catalog(), source);
  await w.start();
  await source.assign(parts(1));
  await source.pump(1); // the b rows
  await waitUntil('table ib committed', () => source.committed.get('events\u00000') === 10n, 10_000);
  await source.pump(); // only a rows from here on: ib is idle
  await waitUntil('group offset at the end', () => source.committed.get('events\u00000') === 210n, 10_000);
  const ib = await catalog().loadTable(parseTableName('lake.ib'));
  assert.equal(formatOffsets(tableOffsets(ib.metadata, 'c1')), '{"events":{"0":210}}', "the idle table moved past the other table's records");
  await w.stop();
});

test('field routing: rows in a table that has no offset for their partition yet are committed before another table moves that partition past them (a crash loses nothing)', async () => {
  const { config, catalog } = setup('route: { by: field, field: kind, tables: { a: lake.na, c: lake.nc } }');
  const source = new MemorySource(10);
  for (let i = 0; i < 30; i++) source.produce('events', 0, json({ kind: 'a', i }));
  for (let i = 30; i < 35; i++) source.produce('events', 0, json({ kind: 'c', i }));
  for (let i = 35; i < 100; i++) source.produce('events', 0, json({ kind: 'a', i }));
  const first = worker(config, catalog(), source);
  await first.w.start();
  await source.assign(parts(1));
  await source.pump(3); // 30 a rows
  await first.w.stop(); // na carries p0 at 30; nc does not exist yet
  const second = worker(config, catalog(), source);
  await second.w.start();
  await source.assign(parts(1));
  await source.pump(5); // nc gets rows 30..34 (no offset for p0 yet), na passes maxRows and commits
  second.w.abort(); // crash: nc's rows were only buffered unless they were committed first
  const third = worker(config, catalog(), source);
  await third.w.start();
  await source.assign(parts(1));
  await source.pump();
  await third.w.stop();
  const a = await tableRows(await catalog().loadTable(parseTableName('lake.na')));
  const c = await tableRows(await catalog().loadTable(parseTableName('lake.nc')));
  assert.equal(new Set(a.map(keyOf)).size, a.length, 'nothing twice in na');
  assert.equal(new Set(c.map(keyOf)).size, c.length, 'nothing twice in nc');
  assert.equal(a.length, 95);
  assert.deepEqual(
    c.map((r) => Number(r.i)).sort((x, y) => x - y),
    [30, 31, 32, 33, 34],
    'every c row',
  );
});

test('a batch delivered after stop() began is not buffered: the table holds what was read before it, the next worker re-reads the rest', async () => {
  const { config, catalog } = setup();
  const source = new MemorySource(50);
  for (let i = 0; i < 100; i++) source.produce('events', 0, json({ id: i }));
  const a = worker(config, catalog(), source);
  await a.w.start();
  await source.assign(parts(1));
  await source.pump(1); // offsets 0-49 (maxRows 40: flushed at the batch's end)
  const stopping = a.w.stop(); // the final flush is queued first
  await source.pump(1); // offsets 50-99 arrive while the worker stops
  await stopping;
  assert.equal(a.w.bufferedBytes(), 0, 'nothing is left buffered after stop');
  const c = catalog();
  const id = parseTableName('lake.events');
  assert.equal(formatOffsets(tableOffsets((await c.loadTable(id)).metadata, 'c1')), '{"events":{"0":50}}');
  // the next worker starts where the table is and lands the rest, each once
  const b = worker(config, catalog(), source);
  await b.w.start();
  await source.assign(parts(1));
  await source.pump();
  await b.w.stop();
  const rows = await tableRows(await c.loadTable(id));
  assert.deepEqual(
    rows.map((r) => Number(r.id)).sort((x, y) => x - y),
    Array.from({ length: 100 }, (_, i) => i),
  );
});

test('a table the connector creates keeps its metadata folder bounded from the first commit (delete-after-commit, 25 versions), unless the connector file says otherwise', async () => {
  const { dir, config, catalog } = setup('', 'lake.bounded');
  const source = new MemorySource(3);
  for (let i = 0; i < 60 * 40; i++) source.produce('events', 0, json({ id: i }));
  const a = worker(config, catalog(), source);
  await a.w.start();
  await source.assign(parts(1));
  await source.pump();
  await a.w.stop();
  const table = await catalog().loadTable(parseTableName('lake.bounded'));
  assert.equal(table.metadata.properties?.['write.metadata.delete-after-commit.enabled'], 'true');
  assert.equal(table.metadata.properties?.['write.metadata.previous-versions-max'], '25');
  assert.ok(table.metadata.snapshots!.length >= 50, `${table.metadata.snapshots!.length} commits`);
  const metadataFiles = fs.readdirSync(path.join(dir, 'lake', 'bounded', 'metadata')).filter((f) => f.endsWith('.metadata.json'));
  assert.ok(metadataFiles.length <= 26, `${metadataFiles.length} metadata files after ${table.metadata.snapshots!.length} commits`);
  assert.equal((await tableRows(table)).length, 60 * 40);

  const own = setup('', 'lake.own');
  const cfg = parseConnectorConfig(
    `name: c1
kafka: { brokers: ["127.0.0.1:9"] }
format: json
catalog: { type: sql, uri: ${path.join(own.dir, 'catalog.db')}, warehouse: ${pathToFileURL(own.dir).href} }
topics: [events]
table: { name: lake.own, properties: { write.metadata.previous-versions-max: "5", write.metadata.delete-after-commit.enabled: "false" } }
`,
    'test.yaml',
    {},
  );
  const s2 = new MemorySource(1);
  s2.produce('events', 0, json({ id: 1 }));
  const b = worker(cfg, own.catalog(), s2);
  await b.w.start();
  await s2.assign(parts(1));
  await s2.pump();
  await b.w.stop();
  const t2 = await own.catalog().loadTable(parseTableName('lake.own'));
  assert.equal(t2.metadata.properties?.['write.metadata.previous-versions-max'], '5');
  assert.equal(t2.metadata.properties?.['write.metadata.delete-after-commit.enabled'], 'false');
});

test('field routing to many settled tables: their commits run several at once, every row lands once, a crash in between loses nothing', async () => {
  const { config, catalog } = setup('route: { by: field, field: kind }', 'lake.cc_{value}');
  const kinds = Array.from({ length: 12 }, (_, i) => `k${i}`);
  const source = new MemorySource(24);
  const produce = (n: number, from: number) => {
    for (let i = from; i < from + n; i++) source.produce('events', i % 2, json({ kind: kinds[i % kinds.length], i }));
  };
  /** The catalog, counting commits in flight at once. */
  const counting = () => {
    const c = catalog();
    const commit = c.commitTable.bind(c);
    const seen = { inFlight: 0, most: 0 };
    c.commitTable = async (...args) => {
      seen.most = Math.max(seen.most, ++seen.inFlight);
      try {
        return await commit(...args);
      } finally {
        seen.inFlight--;
      }
    };
    return { c, seen };
  };
  // the first round creates the tables; none has an offset yet for what it reads
  produce(240, 0);
  const first = counting();
  const a = worker(config, first.c, source);
  await a.w.start();
  await source.assign(parts(2));
  await source.pump();
  await a.w.stop();
  // every table now holds both partitions' offsets: the next rounds commit them together
  produce(480, 240);
  const second = counting();
  const b = worker(config, second.c, source);
  await b.w.start();
  await source.assign(parts(2));
  await source.pump(19);
  b.w.abort(); // a crash with some tables committed and others not
  const third = counting();
  const c = worker(config, third.c, source);
  await c.w.start();
  await source.assign(parts(2));
  await source.pump();
  await c.w.stop();
  assert.ok(b.stats.commits > 0 && b.stats.commits < kinds.length, `the crash came between commits (${b.stats.commits} before it)`);
  assert.equal(first.seen.most, 1, 'tables without offsets commit one after another');
  assert.ok(third.seen.most > 1, `settled tables commit several at once (${third.seen.most} at most)`);
  for (const k of kinds) {
    const rows = await tableRows(await catalog().loadTable(parseTableName(`lake.cc_${k}`)));
    assert.equal(rows.length, 60, `table cc_${k}`);
    assert.ok(rows.every((r) => r.kind === k));
    assert.equal(new Set(rows.map(keyOf)).size, 60);
  }
});

test('a commit does not wait for the group offset commit (the broker answers it after a fetch in flight); stop() does', { timeout: 20_000 }, async () => {
  const { config, catalog } = setup('route: { by: field, field: kind }', 'lake.go_{value}');
  const kinds = ['a', 'b', 'c'];
  /** A source whose group offset commits wait until released. */
  class HeldCommits extends MemorySource {
    held: (() => void)[] = [];
    override async commitOffsets(offsets: Parameters<MemorySource['commitOffsets']>[0]): Promise<void> {
      await new Promise<void>((resolve) => this.held.push(resolve));
      await super.commitOffsets(offsets);
    }
  }
  const source = new HeldCommits(10);
  for (let i = 0; i < 300; i++) source.produce('events', i % 2, json({ kind: kinds[i % 3], i }));
  const { w, stats } = worker(config, catalog(), source);
  await w.start();
  await source.assign(parts(2));
  await source.pump(); // commit.maxRows 40: the tables commit several times on the way
  assert.ok(stats.commits >= 6, `tables committed while their group offsets were held (${stats.commits} commits)`);
  assert.ok(source.held.length >= 1 && source.committed.size === 0, 'no group offset sent yet');
  let stopped = false;
  const stopping = w.stop().then(() => (stopped = true));
  // release the held commits one by one until stop() is through: it waits for them
  while (!stopped) {
    await new Promise((r) => setTimeout(r, 5));
    assert.ok(stopped || source.held.length > 0 || source.committed.size > 0);
    source.held.shift()?.();
  }
  await stopping;
  const ends = [...source.log].map(([key, recs]) => [key, BigInt(recs.length)] as const);
  for (const [key, end] of ends) assert.equal(source.committed.get(key), end, `group offset of ${key} after stop()`);
});

test('a revoke whose flush is refused for good stops the connector at once, not at the next flush; nothing is committed, a restart reads it all again', async () => {
  const { config, catalog } = setup();
  const source = new MemorySource(10);
  for (let i = 0; i < 30; i++) source.produce('events', 0, json({ id: i }));
  const c = catalog();
  const refusing = { on: false };
  const commit = c.commitTable.bind(c);
  c.commitTable = async (...args) => {
    if (refusing.on) throw new FloeError('fatal', 'the catalog refuses this commit for good');
    return await commit(...args);
  };
  const a = worker(config, c, source);
  await a.w.start();
  await source.assign(parts(1));
  await source.pump(); // 30 rows buffered (maxRows 40): nothing committed yet
  refusing.on = true;
  await assert.rejects(source.revoke(parts(1)), /refuses this commit for good/);
  assert.match(a.w.error?.message ?? '', /refuses this commit for good/, 'the worker stopped on the revoke');
  const table = await catalog().loadTable(parseTableName('lake.events'));
  assert.equal((await tableRows(table)).length, 0, 'nothing committed');
  assert.equal(tableOffsets(table.metadata, 'c1').size, 0, 'no offsets: a restart reads every record again');
});
