// Lineage: every committed snapshot names the registry schema ids of the records in its files
// (floe.schema-ids), on the slow path (a record decoded to an object) and on the fast paths
// (decode-then-append, Avro straight into the columns), which only know the schema object.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import avro from 'avsc';
import { SqlCatalog } from '../../src/catalog/sql-catalog.ts';
import { parseTableName } from '../../src/catalog/catalog.ts';
import { SCHEMA_IDS_KEY } from '../../src/commit/lineage.ts';
import { parseConnectorConfig } from '../../src/config/connector-config.ts';
import { ConfluentDecoder } from '../../src/decode/record-decoder.ts';
import type { SchemaLookup } from '../../src/decode/schema-registry.ts';
import { encodeFrame } from '../../src/decode/wire-format.ts';
import { ConnectorWorker } from '../../src/pipeline/worker.ts';
import { createRouter } from '../../src/route/router.ts';
import { EVENTS_AVRO_SCHEMA, encodeEventAvro, sampleEvent } from '../../schemas/events-sample.ts';
import { MemorySource } from '../helpers/memory-source.ts';

const EVOLVED = JSON.stringify({
  ...JSON.parse(EVENTS_AVRO_SCHEMA),
  fields: [...JSON.parse(EVENTS_AVRO_SCHEMA).fields, { name: 'extra', type: ['null', 'string'], default: null }],
});
const baseType = avro.Type.forSchema(JSON.parse(EVENTS_AVRO_SCHEMA));
const evolvedType = avro.Type.forSchema(JSON.parse(EVOLVED));
const BASE_ID = 7;
const EVOLVED_ID = 11;

function frame(i: number, evolved: boolean): Uint8Array {
  const base = encodeEventAvro(sampleEvent(i));
  if (!evolved) return encodeFrame(BASE_ID, base);
  return encodeFrame(EVOLVED_ID, evolvedType.toBuffer({ ...(baseType.fromBuffer(base) as object), extra: `x${i}` }));
}

for (const direct of [false, true]) {
  test(`each commit's floe.schema-ids names the schema ids of its records${direct ? ' (Avro straight into the columns)' : ''}`, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-schema-ids-'));
    const config = parseConnectorConfig(
      `
name: c1
kafka: { brokers: ["127.0.0.1:9"] }
schemaRegistry: { url: "http://127.0.0.1:9" }
format: avro
catalog: { type: sql, uri: ${path.join(dir, 'catalog.db')}, warehouse: ${pathToFileURL(dir).href} }
topics: [events]
table: { name: lake.events }
commit: { intervalMs: 60000, maxRows: 100000 }
`,
      'test.yaml',
      {},
    );
    const catalog = new SqlCatalog({ uri: path.join(dir, 'catalog.db'), warehouse: pathToFileURL(dir).href });
    const lookup: SchemaLookup = {
      resolve: async (id) => ({ id, schema: id === BASE_ID ? EVENTS_AVRO_SCHEMA : EVOLVED, schemaType: 'AVRO', references: [], dependencies: [] }),
    };
    const source = new MemorySource(50);
    // 300 records of the first schema, then 300 of the second: the new schema commits the old rows first
    for (let i = 0; i < 600; i++) source.produce('events', 0, frame(i, i >= 300));
    const d = new ConfluentDecoder(lookup);
    const w = new ConnectorWorker({
      config,
      catalog,
      source,
      decode: direct ? (b: Uint8Array) => d.frame(b) : (b: Uint8Array) => d.decode(b),
      router: createRouter(config.table.name, config.route),
      deadLetters: { add: () => assert.fail('no dead letters expected'), flush: async () => {} },
    });
    await w.start();
    await source.assign([{ topic: 'events', partition: 0 }]);
    await source.pump();
    await w.stop();
    const table = await catalog.loadTable(parseTableName('lake.events'));
    const appends = (table.metadata.snapshots ?? []).filter((s) => s.summary['floe.kafka-ranges'] !== undefined && s.summary['added-records'] !== undefined);
    const ids = appends.map((s) => [Number(s.summary['added-records'] ?? 0), s.summary[SCHEMA_IDS_KEY]]);
    assert.deepEqual(
      ids,
      [
        [300, `[${BASE_ID}]`],
        [300, `[${EVOLVED_ID}]`],
      ],
      'the old rows with the old id, the new rows with the new id',
    );
  });
}
