// Chaos: 3 `floe run` workers on 12 partitions, one killed with SIGKILL at a random moment over
// and over (and restarted) while 200k JSON records flow (test/kafka/chaos-harness.ts). PyIceberg
// then counts exactly the records produced, with no (topic, partition, offset) twice.
// The Avro variant (direct Avro-to-columns path, rolling row groups, a schema change) is
// test/kafka/chaos-avro.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kafkaClients } from './helpers.ts';
import { runChaos } from './chaos-harness.ts';
import { readWithPyIceberg } from '../helpers/readers.ts';

const RECORDS = 200_000;
const PARTITIONS = 12;
const KILLS = 10;

const kafka = kafkaClients({ compression: 'zstd' });

test(`${KILLS} SIGKILLs of 3 workers over ${RECORDS} records on ${PARTITIONS} partitions: every record once`, { timeout: 600_000 }, async () => {
  const { kills, reader } = await runChaos({
    kafka,
    prefix: 'floe-chaos',
    partitions: PARTITIONS,
    kills: KILLS,
    table: 'chaos.events',
    connectorYaml: () => `
format: json
table: { name: chaos.events, kafkaMetadataColumns: true }
commit: { intervalMs: 700, maxRows: 20000 }
`,
    produce: async (topic) => {
      const batch = 5000;
      for (let from = 0; from < RECORDS; from += batch) {
        await kafka.producer.send(
          Array.from({ length: batch }, (_, k) => {
            const i = from + k;
            return { topic, partition: i % PARTITIONS, value: JSON.stringify({ i, user: i % 977, note: `event ${i}`, amount: i + 0.25 }) };
          }),
        );
      }
    },
  });
  assert.equal(kills, KILLS);
  const read = await readWithPyIceberg({ ...reader, columns: ['_kafka_topic', '_kafka_partition', '_kafka_offset', 'i'] });
  assert.equal(read.rows.length, RECORDS, 'PyIceberg counts exactly the records produced');
  const seen = new Set<string>();
  for (const r of read.rows) seen.add(`${r._kafka_topic}/${r._kafka_partition}/${r._kafka_offset}`);
  assert.equal(seen.size, RECORDS, 'no (topic, partition, offset) twice');
  const values = new Set(read.rows.map((r) => r.i));
  assert.equal(values.size, RECORDS, 'every produced record is there');
});
