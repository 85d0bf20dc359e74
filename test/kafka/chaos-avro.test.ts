// Chaos with Avro (test/kafka/chaos-harness.ts: 3 `floe run` workers on 12 partitions, one
// killed with SIGKILL at a random moment over and over and restarted) on the paths the JSON
// chaos test does not take: records in the Confluent wire format through the registry, topic
// routing into an unpartitioned table (the worker appends Avro bytes straight to the columns),
// a 256 KiB row-group size (each commit's open file rolls several row groups before it is
// committed or a kill drops it), and half-way a second registry version that adds an optional
// field while a quarter of the partitions keep the first (the direct path falls back and the
// table's schema grows during the chaos). PyIceberg then counts exactly the records produced,
// no (partition, offset) twice, and the values of every row of 3 partitions (a quarter of the
// rows, both schema versions) equal what was produced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import avro from 'avsc';
import { SchemaRegistryClient } from '../../src/decode/schema-registry.ts';
import { EVENTS_AVRO_SCHEMA, encodeEventAvro, sampleEvent } from '../../schemas/events-sample.ts';
import { javaSerializerFrame, kafkaClients } from './helpers.ts';
import { runChaos } from './chaos-harness.ts';
import { stackEnv } from '../helpers/stack.ts';
import { readWithPyIceberg } from '../helpers/readers.ts';
import type { CanonicalValue, Row } from '../helpers/readers.ts';

const RECORDS = 200_000;
const PARTITIONS = 12;
const KILLS = 10;
/** From this record on, producers of partitions p % 4 !== 0 write schema version 2. */
const SWITCH = RECORDS / 2;
const ROW_GROUP_BYTES = 256 * 1024;
const TABLE = 'chaos.avro_events';
/** The partitions whose rows are compared value by value (1 and 7 move to version 2, 4 stays on 1): a quarter of the rows. */
const SAMPLE = [1, 4, 7];

const kafka = kafkaClients({ compression: 'zstd' });

const V1 = JSON.parse(EVENTS_AVRO_SCHEMA) as { fields: unknown[] };
const V2 = { ...V1, fields: [...V1.fields, { name: 'channel', type: ['null', 'string'], default: null }] };
const v1Type = avro.Type.forSchema(V1 as avro.Schema);
const v2Type = avro.Type.forSchema(V2 as avro.Schema);

/** Record i goes to partition i % PARTITIONS, so (partition, offset) names it. */
const partitionOf = (i: number) => i % PARTITIONS;
const usesV2 = (i: number) => i >= SWITCH && partitionOf(i) % 4 !== 0;
const channelOf = (i: number) => (i % 3 === 0 ? null : `ch-${i % 5}`);

/** Microseconds since the epoch as the readers print a timestamptz. */
function isoMicros(micros: bigint): string {
  const s = new Date(Number(micros / 1000n)).toISOString();
  return `${s.slice(0, 19)}.${String(micros % 1_000_000n).padStart(6, '0')}+00:00`;
}

/** Record i as read_table.py prints it (maps as sorted [key, value] pairs). */
function expectedRow(topic: string, i: number): Row {
  const e = sampleEvent(i);
  return {
    id: e.id,
    ts: isoMicros(e.ts),
    user_id: String(e.user_id),
    session_id: e.session_id,
    event_type: e.event_type,
    page_url: e.page_url,
    referrer: e.referrer,
    user_agent: e.user_agent,
    country: e.country,
    city: e.city,
    amount: e.amount,
    score: Number.isInteger(e.score) ? `${e.score}.0` : String(e.score), // Python's repr for these values
    is_mobile: String(e.is_mobile),
    event_date: new Date(e.event_date * 86_400_000).toISOString().slice(0, 10),
    tags: e.tags,
    properties: [...e.properties].sort(([a], [b]) => (a < b ? -1 : 1)),
    channel: usesV2(i) ? channelOf(i) : null,
    _kafka_topic: topic,
    _kafka_partition: String(partitionOf(i)),
    _kafka_offset: String(Math.floor(i / PARTITIONS)),
  };
}

/** The row's columns that expectedRow names, maps sorted by key. */
function comparable(r: Row, keys: string[]): Row {
  const out: Row = {};
  for (const k of keys) {
    const v = r[k];
    out[k] = k === 'properties' && Array.isArray(v) ? [...(v as CanonicalValue[][])].sort(([a], [b]) => (String(a) < String(b) ? -1 : 1)) : v;
  }
  return out;
}

test(
  `Avro through the registry, direct path, rolling row groups, a schema change: ${KILLS} SIGKILLs of 3 workers over ${RECORDS} records on ${PARTITIONS} partitions, every record once with its values`,
  { timeout: 600_000 },
  async () => {
    const registry = new SchemaRegistryClient({ url: stackEnv().registryUrl });
    const { topic, dir, kills, seconds, reader } = await runChaos({
      kafka,
      prefix: 'floe-chaos-avro',
      partitions: PARTITIONS,
      kills: KILLS,
      table: TABLE,
      connectorYaml: () => `
format: avro
schemaRegistry: { url: "${stackEnv().registryUrl}" }
table:
  name: ${TABLE}
  kafkaMetadataColumns: true
  properties: { write.parquet.row-group-size-bytes: "${ROW_GROUP_BYTES}" }
commit: { intervalMs: 700, maxRows: 20000 }
errors: { tolerance: none }
`,
      produce: async (topic) => {
        const subject = `${topic}-value`;
        const id1 = await registry.register(subject, { schema: JSON.stringify(V1) });
        let id2 = -1;
        const batch = 4000;
        for (let from = 0; from < RECORDS; from += batch) {
          if (from >= SWITCH && id2 < 0) id2 = await registry.register(subject, { schema: JSON.stringify(V2) });
          await kafka.producer.send(
            Array.from({ length: batch }, (_, k) => {
              const i = from + k;
              const v1 = encodeEventAvro(sampleEvent(i));
              const value = usesV2(i) ? javaSerializerFrame(id2, v2Type.toBuffer({ ...v1Type.fromBuffer(v1), channel: channelOf(i) })) : javaSerializerFrame(id1, v1);
              return { topic, partition: partitionOf(i), value };
            }),
          );
        }
        assert.notEqual(id1, id2, 'version 2 has its own schema id');
      },
    });
    const caughtUp = Date.now();
    assert.equal(kills, KILLS);
    // every (partition, offset) once: the metadata columns of every row
    const all = await readWithPyIceberg({ ...reader, columns: ['_kafka_partition', '_kafka_offset'] });
    assert.equal(all.rows.length, RECORDS, `PyIceberg counts exactly the records produced (${dir})`);
    const seen = new Set<number>();
    for (const r of all.rows) {
      const i = Number(r._kafka_offset) * PARTITIONS + Number(r._kafka_partition);
      assert.ok(!seen.has(i), `(partition ${r._kafka_partition}, offset ${r._kafka_offset}) read twice (${dir})`);
      assert.ok(i < RECORDS, `(partition ${r._kafka_partition}, offset ${r._kafka_offset}) was never produced`);
      seen.add(i);
    }
    assert.equal(seen.size, RECORDS, 'every produced record is there');
    // values: every row of the sampled partitions, column by column
    const sample = await readWithPyIceberg({ ...reader, rowFilter: `_kafka_partition IN (${SAMPLE.join(', ')})` });
    let inSample = 0;
    for (let i = 0; i < RECORDS; i++) if (SAMPLE.includes(partitionOf(i))) inSample++;
    assert.equal(sample.rows.length, inSample, `the sampled partitions' rows (${dir})`);
    const keys = Object.keys(expectedRow(topic, 0));
    for (const r of sample.rows) {
      const i = Number(r._kafka_offset) * PARTITIONS + Number(r._kafka_partition);
      assert.deepEqual(comparable(r, keys), expectedRow(topic, i), `values of (partition ${r._kafka_partition}, offset ${r._kafka_offset})`);
    }
    const groups = all.files.filter((f) => f.content === 0).map((f) => f.split_offsets?.length ?? 1);
    assert.ok(
      groups.some((g) => g >= 2),
      `some committed file rolled several row groups (row groups per file: ${groups.join(', ')})`,
    );
    console.log(
      `chaos-avro: ${seconds.toFixed(1)} s to the end offsets, ${((Date.now() - caughtUp) / 1000).toFixed(1)} s to read and judge; ${all.files.length} files, row groups per file max ${Math.max(...groups)}`,
    );
    fs.rmSync(dir, { recursive: true, force: true });
  },
);
