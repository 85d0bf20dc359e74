// The worker's per-record fast path (synchronous decodes, bookkeeping per partition run) under
// what sends records off it: a registry-format decoder that answers a new schema id
// asynchronously (once unavailable), a writer schema change mid-stream, undecodable frames
// (dead letters) and a crash. Real Avro frames of the `events` record through ConfluentDecoder
// (registry answered from memory), the embedded catalog, Kafka metadata columns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import avro from 'avsc';
import { SqlCatalog } from '../../src/catalog/sql-catalog.ts';
import { parseTableName } from '../../src/catalog/catalog.ts';
import { formatOffsets } from '../../src/commit/offsets-map.ts';
import { tableOffsets } from '../../src/commit/committed-offsets.ts';
import { parseConnectorConfig } from '../../src/config/connector-config.ts';
import { DecodeError } from '../../src/decode/decode-error.ts';
import { ConfluentDecoder } from '../../src/decode/record-decoder.ts';
import type { SchemaLookup } from '../../src/decode/schema-registry.ts';
import { encodeFrame } from '../../src/decode/wire-format.ts';
import type { SourceRecord } from '../../src/pipeline/source.ts';
import { ConnectorWorker } from '../../src/pipeline/worker.ts';
import { createRouter } from '../../src/route/router.ts';
import { EVENTS_AVRO_SCHEMA, encodeEventAvro, sampleEvent } from '../../schemas/events-sample.ts';
import { MemorySource } from '../helpers/memory-source.ts';
import { tableRows } from '../helpers/table-rows.ts';

const EVOLVED = JSON.stringify({
  ...JSON.parse(EVENTS_AVRO_SCHEMA),
  fields: [...JSON.parse(EVENTS_AVRO_SCHEMA).fields, { name: 'extra', type: ['null', 'string'], default: null }],
});
const baseType = avro.Type.forSchema(JSON.parse(EVENTS_AVRO_SCHEMA));
const evolvedType = avro.Type.forSchema(JSON.parse(EVOLVED));

function frame(i: number, evolved: boolean): Uint8Array {
  const base = encodeEventAvro(sampleEvent(i));
  if (!evolved) return encodeFrame(1, base);
  return encodeFrame(2, evolvedType.toBuffer({ ...(baseType.fromBuffer(base) as object), extra: `x${i}` }));
}

for (const direct of [false, true]) {
  test(`fast path${direct ? ' with Avro straight into the columns (avroWriter)' : ''}: async schema lookups (one unavailable), a schema change, bad frames and a crash: every record once, metadata exact`, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-fast-'));
    const config = parseConnectorConfig(
      `
name: c1
kafka: { brokers: ["127.0.0.1:9"] }
schemaRegistry: { url: "http://127.0.0.1:9" }
format: avro
catalog: { type: sql, uri: ${path.join(dir, 'catalog.db')}, warehouse: ${pathToFileURL(dir).href} }
topics: [events]
table: { name: lake.events, kafkaMetadataColumns: true }
commit: { intervalMs: 60000, maxRows: 150 }
errors: { tolerance: all, deadLetterTopic: events.dlq }
`,
      'test.yaml',
      {},
    );
    const catalog = () => new SqlCatalog({ uri: path.join(dir, 'catalog.db'), warehouse: pathToFileURL(dir).href });
    let unavailable = 1;
    const lookup: SchemaLookup = {
      resolve: async (id) => {
        if (id === 2 && unavailable-- > 0) throw new DecodeError('registry-unavailable', 'registry down (test)');
        return { id, schema: id === 1 ? EVENTS_AVRO_SCHEMA : EVOLVED, schemaType: 'AVRO', references: [], dependencies: [] };
      },
    };

    const N = 900;
    const source = new MemorySource(40);
    const bad = new Set<string>();
    for (let i = 0; i < N; i++) {
      const p = i % 3;
      let value: Uint8Array = frame(i, i >= 500);
      if (i % 97 === 13) value = value.subarray(0, value.length - 3); // truncated: a dead letter
      const rec = source.produce('events', p, value, 1_767_225_600_000 + i);
      if (i % 97 === 13) bad.add(`${p}:${rec.offset}`);
    }
    const dead: SourceRecord[] = [];
    let writerKnown = 0;
    const run = (src: MemorySource) => {
      const d = new ConfluentDecoder(lookup);
      return new ConnectorWorker({
        config,
        catalog: catalog(),
        source: src,
        decode: direct
          ? (b: Uint8Array) => {
              const f = d.frame(b);
              if (!(f instanceof Promise) && f.direct !== undefined) writerKnown++;
              return f;
            }
          : (b: Uint8Array) => d.decode(b),
        router: createRouter(config.table.name, config.route),
        deadLetters: { add: (r) => void dead.push(r), flush: async () => {} },
      });
    };
    const parts = [0, 1, 2].map((partition) => ({ topic: 'events', partition }));

    const a = run(source);
    await a.start();
    await source.assign(parts);
    await source.pump(14); // past the schema change on some partitions, some commits (maxRows 150)
    a.abort();
    const before = await tableRows(await catalog().loadTable(parseTableName('lake.events')));
    assert.ok(before.length > 0 && before.length < N - bad.size, `some rows committed before the crash (${before.length})`);

    const source2 = new MemorySource(33);
    for (const [k, v] of source.log) source2.log.set(k, v);
    const b = run(source2);
    await b.start();
    await source2.assign(parts);
    await source2.pump();
    await b.stop();

    const table = await catalog().loadTable(parseTableName('lake.events'));
    const rows = await tableRows(table);
    const key = (r: Record<string, unknown>) => `${r._kafka_partition}:${r._kafka_offset}`;
    assert.equal(rows.length, N - bad.size);
    assert.equal(new Set(rows.map(key)).size, rows.length, 'no row twice');
    for (const r of rows) assert.ok(!bad.has(key(r)), `bad record ${key(r)} is not a row`);
    assert.deepEqual(new Set(dead.map((d) => `${d.partition}:${d.offset}`)), bad, 'each bad record a dead letter');
    for (const r of rows) {
      const i = Number(r._kafka_offset) * 3 + Number(r._kafka_partition);
      assert.equal(r._kafka_topic, 'events');
      assert.equal(Number(r._kafka_timestamp), 1_767_225_600_000 + i, `timestamp of ${key(r)}`);
      assert.equal(r.session_id, sampleEvent(i).session_id, `value of ${key(r)}`);
      assert.equal(Number(r.user_id), sampleEvent(i).user_id);
      assert.equal(r.extra ?? null, i >= 500 ? `x${i}` : null, `evolved column of ${key(r)}`);
    }
    assert.equal(formatOffsets(tableOffsets(table.metadata, 'c1')), '{"events":{"0":300,"1":300,"2":300}}');
    if (direct) assert.ok(writerKnown > N / 2, `most records offered to appendAvro (${writerKnown})`);
  });
}

test('fast path, field routing: a zombie fenced on one table re-reads the partition and the other table skips what it holds', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-fast-'));
  const config = parseConnectorConfig(
    `
name: c1
kafka: { brokers: ["127.0.0.1:9"] }
format: json
catalog: { type: sql, uri: ${path.join(dir, 'catalog.db')}, warehouse: ${pathToFileURL(dir).href} }
topics: [events]
table: { name: "lake.unused", kafkaMetadataColumns: true }
route: { by: field, field: kind, tables: { a: lake.fa, b: lake.fb } }
commit: { intervalMs: 60000, maxRows: 40 }
errors: { tolerance: all, deadLetterTopic: events.dlq }
`,
    'test.yaml',
    {},
  );
  const catalog = () => new SqlCatalog({ uri: path.join(dir, 'catalog.db'), warehouse: pathToFileURL(dir).href });
  const enc = new TextEncoder();
  const source = new MemorySource(13);
  const kinds: string[] = [];
  for (let i = 0; i < 300; i++) {
    const kind = i % 3 === 0 ? 'a' : 'b';
    kinds.push(kind);
    source.produce('events', 0, enc.encode(JSON.stringify({ kind, i })));
  }
  const zombieSource = new MemorySource(10);
  zombieSource.log.set([...source.log.keys()][0], source.log.values().next().value!);
  let fenced = 0;
  const run = (src: MemorySource) =>
    new ConnectorWorker({
      config,
      catalog: catalog(),
      source: src,
      decode: (b) => ({ value: JSON.parse(new TextDecoder().decode(b)) as Record<string, unknown> }),
      router: createRouter(config.table.name, config.route),
      deadLetters: { add: () => undefined, flush: async () => {} },
      events: { fenced: () => fenced++ },
    });
  const a = run(source);
  const z = run(zombieSource);
  await a.start();
  await z.start();
  const parts = [{ topic: 'events', partition: 0 }];
  await source.assign(parts);
  await zombieSource.assign(parts);
  await source.pump(4); // A buffers 52 records: 18 in fa, 34 in fb
  await zombieSource.pump(6); // Z commits fb at 40 rows (offsets to 60)
  await source.pump(1); // A reads to 65, fb has 43 rows: fenced, A goes back to 60
  assert.equal(fenced, 1, 'A was fenced on fb');
  await source.pump(); // 60..64 again: fb takes them, fa already holds 60 and 63
  await zombieSource.pump();
  await a.stop();
  await z.stop();
  assert.ok(fenced >= 1, 'a worker was fenced');
  for (const [name, kind] of [
    ['lake.fa', 'a'],
    ['lake.fb', 'b'],
  ]) {
    const rows = await tableRows(await catalog().loadTable(parseTableName(name)));
    const want = kinds.filter((k) => k === kind).length;
    assert.equal(new Set(rows.map((r) => Number(r.i))).size, want, `${name}: every record`);
    assert.equal(rows.length, want, `${name}: no record twice`);
  }
});
