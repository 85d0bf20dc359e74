// Freshness: records produced at a steady rate (each request stamped with the send time as its
// CreateTime) while floe runs; a record is visible when a committed snapshot's offsets map
// covers its offset. Latency = visible − produce time, by two clocks for "visible": the
// snapshot's timestamp-ms (written by floe just before its catalog commit) and the moment the
// benchmark's poller first saw that snapshot (or a later one) current in the catalog.
import type { BenchProducer } from './producer.ts';
import type { EventPayloads } from './events.ts';
import type { SeenSnapshot } from './floe-run.ts';

export interface ProduceLog {
  /** partition → CreateTime (ms) of each offset, offsets from 0 (a fresh topic) */
  times: Map<number, number[]>;
  records: number;
  seconds: number;
}

/** Produces `rate` records/s for `seconds` in ticks of `tickMs`, round robin over partitions. */
export async function produceSteadily(producer: BenchProducer, payloads: EventPayloads, partitions: number, rate: number, seconds: number, tickMs = 50): Promise<ProduceLog> {
  const times = new Map<number, number[]>();
  for (let p = 0; p < partitions; p++) times.set(p, []);
  const total = Math.round(rate * seconds);
  const t0 = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
    if (due > sent) {
      const ts = Date.now();
      const batch = [];
      for (let i = sent; i < due; i++) batch.push({ partition: i % partitions, value: payloads.payload(i), timestamp: BigInt(ts) });
      const bases = await producer.send(batch);
      // each partition's records of this request got consecutive offsets from its base offset
      const counts = new Map<number, number>();
      for (const r of batch) counts.set(r.partition, (counts.get(r.partition) ?? 0) + 1);
      for (const [p, n] of counts) {
        const arr = times.get(p)!;
        const base = Number(bases.get(p));
        if (base !== arr.length) throw new Error(`freshness: partition ${p} got base offset ${base}, expected ${arr.length} (is the topic fresh?)`);
        for (let k = 0; k < n; k++) arr.push(ts);
      }
      sent = due;
    }
    await new Promise((r) => setTimeout(r, tickMs));
  }
  return { times, records: sent, seconds: (performance.now() - t0) / 1000 };
}

export interface LatencyStats {
  records: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

function stats(samples: Float64Array): LatencyStats {
  const s = samples.slice().sort();
  const at = (q: number) => Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN);
  return { records: s.length, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: Math.round(s[s.length - 1] ?? NaN) };
}

/** Latencies of every produced record that a snapshot made visible. */
export function freshness(log: ProduceLog, snapshots: SeenSnapshot[], topic: string): { bySnapshotTimestamp: LatencyStats; byObservation: LatencyStats; unseen: number } {
  const byTs = new Float64Array(log.records);
  const byObs = new Float64Array(log.records);
  let n = 0;
  const visibleUpTo = new Map<number, number>();
  for (const s of snapshots) {
    const parts = s.offsets.get(topic);
    if (!parts) continue;
    for (const [p, next] of parts) {
      const times = log.times.get(p) ?? [];
      const from = visibleUpTo.get(p) ?? 0;
      const to = Math.min(Number(next), times.length);
      for (let o = from; o < to; o++) {
        byTs[n] = s.timestampMs - times[o];
        byObs[n] = s.observedMs - times[o];
        n++;
      }
      if (to > from) visibleUpTo.set(p, to);
    }
  }
  return { bySnapshotTimestamp: stats(byTs.subarray(0, n)), byObservation: stats(byObs.subarray(0, n)), unseen: log.records - n };
}
