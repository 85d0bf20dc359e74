// Chaos with several group members per process: 2 `floe run` processes with `workers: 2` (4
// members on worker threads) on 8 partitions, a random process killed with SIGKILL at a random
// moment once both its members run, and restarted (test/kafka/chaos-harness.ts), while 40k JSON
// records flow. A SIGKILL takes both of a process's members at once, mid-batch or mid-commit. PyIceberg then counts
// exactly the records produced, with no (topic, partition, offset) twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kafkaClients } from './helpers.ts';
import { runChaos } from './chaos-harness.ts';
import { readWithPyIceberg } from '../helpers/readers.ts';

const RECORDS = 40_000;
const PARTITIONS = 8;
const KILLS = 3;

const kafka = kafkaClients({ compression: 'zstd' });

test(`${KILLS} SIGKILLs of 2 processes × workers: 2 over ${RECORDS} records on ${PARTITIONS} partitions: every record once`, { timeout: 300_000 }, async () => {
  const { kills, reader } = await runChaos({
    kafka,
    prefix: 'floe-chaos-workers',
    partitions: PARTITIONS,
    kills: KILLS,
    processes: 2,
    workersPerProcess: 2,
    killRunning: true,
    table: 'chaos.events',
    catchUpMs: 120_000,
    connectorYaml: () => `
format: json
table: { name: chaos.events, kafkaMetadataColumns: true }
commit: { intervalMs: 700, maxRows: 5000 }
`,
    produce: async (topic) => {
      const batch = 1000;
      for (let from = 0; from < RECORDS; from += batch) {
        await kafka.producer.send(
          Array.from({ length: batch }, (_, k) => {
            const i = from + k;
            return { topic, partition: i % PARTITIONS, value: JSON.stringify({ i, user: i % 977, note: `event ${i}` }) };
          }),
        );
        // spread the records over the kills: about 20 s of producing
        await new Promise((r) => setTimeout(r, 500));
      }
    },
  });
  assert.equal(kills, KILLS);
  const read = await readWithPyIceberg({ ...reader, columns: ['_kafka_topic', '_kafka_partition', '_kafka_offset', 'i'] });
  assert.equal(read.rows.length, RECORDS, 'PyIceberg counts exactly the records produced');
  const seen = new Set<string>();
  for (const r of read.rows) seen.add(`${r._kafka_topic}/${r._kafka_partition}/${r._kafka_offset}`);
  assert.equal(seen.size, RECORDS, 'no (topic, partition, offset) twice');
  assert.equal(new Set(read.rows.map((r) => r.i)).size, RECORDS, 'every produced record is there');
});
