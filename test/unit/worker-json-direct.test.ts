// The worker with plain JSON frames that a batch takes straight from their text (plainJsonFrame,
// appendJson) lands exactly what it lands with decoded objects: the same rows, the same dead
// letters with the same reasons, the same offsets, the same schema — with an inferred schema that
// grows mid-stream (a new key, a new nested key), values the inferred schema refuses, keys named
// like a metadata column, text that is not JSON, integers beyond 2^53, nulls, and a crash.
//
// The table's batch (batch/partitioned-batch.ts PartitionedBatch) takes JSON straight in once it has
// appendJson, the twin of its appendAvro; until then this test gives it one, so that the worker's
// side is tested now.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SqlCatalog } from '../../src/catalog/sql-catalog.ts';
import { parseTableName } from '../../src/catalog/catalog.ts';
import { formatOffsets } from '../../src/commit/offsets-map.ts';
import { tableOffsets } from '../../src/commit/committed-offsets.ts';
import { parseConnectorConfig } from '../../src/config/connector-config.ts';
import { decodePlainJson, plainJsonFrame } from '../../src/decode/record-decoder.ts';
import type { SourceRecord } from '../../src/pipeline/source.ts';
import { ConnectorWorker } from '../../src/pipeline/worker.ts';
import type { ValueDecoder } from '../../src/pipeline/worker.ts';
import { createRouter } from '../../src/route/router.ts';
import { RecordBatchBuilder } from '../../src/batch/record-batch.ts';
import { PartitionedBatch } from '../../src/batch/partitioned-batch.ts';
import { MemorySource } from '../helpers/memory-source.ts';
import { tableRows } from '../helpers/table-rows.ts';

type JsonTarget = { appendJson?: (bytes: Uint8Array, offset: number, extras?: readonly unknown[]) => boolean };
const proto = PartitionedBatch.prototype as unknown as JsonTarget;
let direct = 0;
if (typeof proto.appendJson !== 'function') {
  // what PartitionedBatch.appendAvro does, for JSON (an unpartitioned table only)
  proto.appendJson = function (this: { partitioner: { unpartitioned: boolean }; single?: RecordBatchBuilder; newBuilder(): RecordBatchBuilder; rows: number }, bytes, offset, extras) {
    if (!this.partitioner.unpartitioned) return false;
    if (!(this.single ??= this.newBuilder()).appendJson(bytes, offset, extras)) return false;
    this.rows++;
    return true;
  };
}
const appendJson = proto.appendJson!;
proto.appendJson = function (this: unknown, bytes, offset, extras) {
  const ok = appendJson.call(this, bytes, offset, extras);
  if (ok) direct++;
  return ok;
};

const enc = new TextEncoder();

/** Record i as JSON text: a stable shape, a new key from 300 on, a new nested key from 700 on, and awkward records here and there. */
function text(i: number): string {
  if (i % 101 === 17) return '{"id": 1, "name": '; // not JSON
  if (i % 103 === 29) return JSON.stringify({ id: i, name: 'n', amount: 'not a number' }); // the inferred column is a double
  if (i % 107 === 31) return JSON.stringify({ id: i, _kafka_offset: 5 }); // a metadata column's name
  const rec: Record<string, unknown> = {
    id: i,
    name: i % 13 === 0 ? null : `name ${i % 50} "q" é`,
    amount: i % 7 === 0 ? i : i + 0.25,
    tags: i % 5 === 0 ? [] : ['a', `t${i % 3}`],
    nested: { a: i % 11, b: i % 2 === 0 },
  };
  if (i >= 300) rec.extra = `x${i}`;
  if (i >= 700) (rec.nested as Record<string, unknown>).c = 'deep';
  let s = JSON.stringify(rec);
  if (i % 97 === 3) s = s.replace(`"id":${i}`, `"id":${9007199254740993n + BigInt(i)}`); // beyond 2^53: a bigint
  return s;
}

async function land(decode: ValueDecoder): Promise<{ rows: string[]; dead: string[]; offsets: string; columns: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-json-direct-'));
  const config = parseConnectorConfig(
    `
name: c1
kafka: { brokers: ["127.0.0.1:9"] }
format: json
catalog: { type: sql, uri: ${path.join(dir, 'catalog.db')}, warehouse: ${pathToFileURL(dir).href} }
topics: [events]
table: { name: lake.events, kafkaMetadataColumns: true }
commit: { intervalMs: 60000, maxRows: 170 }
errors: { tolerance: all, deadLetterTopic: events.dlq }
`,
    'test.yaml',
    {},
  );
  const catalog = () => new SqlCatalog({ uri: path.join(dir, 'catalog.db'), warehouse: pathToFileURL(dir).href });
  const N = 1000;
  const source = new MemorySource(37);
  for (let i = 0; i < N; i++) source.produce('events', i % 3, enc.encode(text(i)), 1_767_225_600_000 + i);
  const dead: SourceRecord[] = [];
  const reasons = new Map<string, string>();
  const run = (src: MemorySource) =>
    new ConnectorWorker({
      config,
      catalog: catalog(),
      source: src,
      decode,
      router: createRouter(config.table.name, config.route),
      deadLetters: {
        add: (r, e) => {
          dead.push(r);
          reasons.set(`${r.partition}:${r.offset}`, `${e.name}: ${e.message}`);
        },
        flush: async () => {},
      },
    });
  const parts = [0, 1, 2].map((partition) => ({ topic: 'events', partition }));
  const a = run(source);
  await a.start();
  await source.assign(parts);
  await source.pump(12);
  a.abort(); // a crash: what was committed stays, the rest is read again
  const source2 = new MemorySource(41);
  for (const [k, v] of source.log) source2.log.set(k, v);
  const b = run(source2);
  await b.start();
  await source2.assign(parts);
  await source2.pump();
  await b.stop();
  const table = await catalog().loadTable(parseTableName('lake.events'));
  const key = (r: Record<string, unknown>) => Number(r._kafka_offset) * 3 + Number(r._kafka_partition);
  const rows = (await tableRows(table)).sort((x, y) => key(x) - key(y));
  const schema = table.metadata.schemas.find((s) => s['schema-id'] === table.metadata['current-schema-id'])!;
  const plain = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));
  return {
    rows: rows.map(plain),
    dead: [...reasons].sort().map(([k, v]) => `${k} ${v}`),
    offsets: formatOffsets(tableOffsets(table.metadata, 'c1')),
    columns: JSON.stringify(schema.fields),
  };
}

test('plain JSON frames straight into the columns land what decoded objects land (inferred schema that grows, dead letters, a crash)', async () => {
  const objects = await land((b) => ({ value: decodePlainJson(b) }));
  assert.equal(direct, 0);
  const frames = await land(plainJsonFrame);
  assert.ok(direct > 500, `most records straight from their text (${direct})`);
  assert.equal(frames.offsets, '{"events":{"0":334,"1":333,"2":333}}');
  assert.equal(frames.offsets, objects.offsets);
  assert.equal(frames.columns, objects.columns, 'the same schema');
  assert.deepEqual(frames.dead, objects.dead, 'the same dead letters, the same reasons');
  assert.ok(objects.dead.length >= 25, `dead letters ${objects.dead.length}`);
  assert.equal(frames.rows.length, objects.rows.length);
  assert.deepEqual(frames.rows, objects.rows);
  assert.ok(objects.rows.some((r) => r.includes('"extra":"x900"') && r.includes('"c":"deep"')));
});
