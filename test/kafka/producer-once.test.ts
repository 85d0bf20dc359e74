// The producer floe sends dead letters with (src/kafka/producer.ts, idempotent, acks=all) on the
// real broker, right after the topic is created, 100 sends of 100 records in flight at once:
// exactly the records sent, none twice (a benchmark producer once left 15,500 records for 10,000
// in this situation). A send the client gives up on and floe retries (reconnectTimeoutMs) may
// still write its records twice if the first try landed: that case is at least once, and
// documented at the producer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KafkaProducer } from '../../src/kafka/producer.ts';
import { brokers, kafkaClients, uniqueName } from './helpers.ts';

const kafka = kafkaClients();

test('right after topic creation, concurrent sends write every record once', async () => {
  for (let round = 0; round < 3; round++) {
    const topic = uniqueName('floe-producer-once');
    await kafka.admin.createTopic(topic, { partitions: 3 });
    const producer = await KafkaProducer.connect({ brokers: brokers(), reconnectTimeoutMs: 30_000 });
    try {
      const sends = Array.from({ length: 100 }, (_, b) => producer.send(Array.from({ length: 100 }, (_, i) => ({ topic, key: `k${i}`, value: `v${b * 100 + i}` }))));
      const results = await Promise.allSettled(sends);
      assert.deepEqual(
        results.filter((r) => r.status === 'rejected'),
        [],
      );
    } finally {
      await producer.close();
    }
    const ends = await kafka.admin.endOffsets(topic);
    const starts = await kafka.admin.startOffsets(topic);
    let total = 0n;
    for (const [p, end] of ends) total += end - (starts.get(p) ?? 0n);
    assert.equal(total, 10_000n, `round ${round}: records in ${topic}`);
  }
});
