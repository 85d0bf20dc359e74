// Fills a topic with N benchmark events (explicit partition i % partitions), as fast as the
// producer goes: batches of records, several requests in flight, no compression. A topic that
// already holds exactly N records is reused (the name carries N and, for Avro, the schema id).
import { KafkaAdmin } from '../../src/kafka/admin.ts';
import { BenchProducer } from './producer.ts';
import type { BenchRecord } from './producer.ts';
import type { EventPayloads } from './events.ts';

export interface PrefillResult {
  topic: string;
  records: number;
  bytes: number;
  reused: boolean;
  seconds: number;
  recordsPerSec: number;
}

export async function totalRecords(admin: KafkaAdmin, topic: string): Promise<bigint> {
  const ends = await admin.endOffsets(topic);
  return [...ends.values()].reduce((a, b) => a + b, 0n);
}

export async function prefill(opts: { brokers: string[]; topic: string; partitions: number; records: number; payloads: EventPayloads; log: (line: string) => void }): Promise<PrefillResult> {
  const { topic, records, partitions, payloads, log } = opts;
  const bytes = Math.round(payloads.averageBytes() * records);
  const admin = await KafkaAdmin.connect({ brokers: opts.brokers });
  try {
    if ((await admin.listTopics()).includes(topic)) {
      const have = await totalRecords(admin, topic);
      if (have === BigInt(records)) {
        log(`topic ${topic}: reusing, it holds ${records} records`);
        return { topic, records, bytes, reused: true, seconds: 0, recordsPerSec: 0 };
      }
      log(`topic ${topic}: holds ${have} records, not ${records}: deleting it`);
      await admin.deleteTopics([topic]);
      for (let i = 0; i < 100 && (await admin.listTopics()).includes(topic); i++) await new Promise((r) => setTimeout(r, 200));
    }
    await admin.createTopic(topic, { partitions, configs: { 'retention.ms': '-1', 'retention.bytes': '-1' } });
  } finally {
    await admin.close();
  }
  log(`topic ${topic}: producing ${records} records (~${(bytes / 1e9).toFixed(2)} GB)`);
  const producer = new BenchProducer(opts.brokers, topic);
  const t0 = performance.now();
  const batch = 6000;
  const inFlight = new Set<Promise<unknown>>();
  let lastLog = t0;
  try {
    for (let from = 0; from < records; from += batch) {
      const msgs: BenchRecord[] = [];
      for (let i = from; i < Math.min(records, from + batch); i++) msgs.push({ partition: i % partitions, value: payloads.payload(i) });
      const p = producer.send(msgs).finally(() => inFlight.delete(p));
      inFlight.add(p);
      if (inFlight.size >= 4) await Promise.race(inFlight);
      if (performance.now() - lastLog > 10_000) {
        lastLog = performance.now();
        log(`  ${from + msgs.length} / ${records} (${Math.round((from + msgs.length) / ((lastLog - t0) / 1000))} records/s)`);
      }
    }
    await Promise.all(inFlight);
  } finally {
    await producer.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  const check = await KafkaAdmin.connect({ brokers: opts.brokers });
  try {
    const have = await totalRecords(check, topic);
    if (have !== BigInt(records)) throw new Error(`topic ${topic}: holds ${have} records after producing ${records}`);
  } finally {
    await check.close();
  }
  const recordsPerSec = Math.round(records / seconds);
  log(`topic ${topic}: ${records} records in ${seconds.toFixed(1)} s (${recordsPerSec} records/s, ${(bytes / 1e6 / seconds).toFixed(0)} MB/s)`);
  return { topic, records, bytes, reused: false, seconds: Math.round(seconds * 10) / 10, recordsPerSec };
}
