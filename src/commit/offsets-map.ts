// The Kafka offsets a table holds: in every snapshot floe commits, the summary carries the
// connector's full map of next offsets, `floe.kafka-offsets.<connector>` =
// {"<topic>": {"<partition>": <next offset>}}. The table, not Kafka, is the truth; which
// snapshot's map counts is committed-offsets.ts's rule.
import type { Snapshot } from '../iceberg/table-metadata.ts';
import { parseJson, stringifyJson } from '../iceberg/json.ts';

export const OFFSETS_KEY_PREFIX = 'floe.kafka-offsets.';

/** A Kafka topic's partition: what an offsets map is keyed by. */
export interface TopicPartition {
  topic: string;
  partition: number;
}

/** One string per partition, for maps keyed by partition. */
export function tpKey(tp: TopicPartition): string {
  return `${tp.topic}\u0000${tp.partition}`;
}

/** topic → partition → next offset. */
export type OffsetsMap = Map<string, Map<number, bigint>>;

export function offsetsKey(connector: string): string {
  return `${OFFSETS_KEY_PREFIX}${connector}`;
}

export function parseOffsets(json: string | undefined): OffsetsMap {
  const out: OffsetsMap = new Map();
  if (json === undefined) return out;
  const obj = parseJson<Record<string, Record<string, number | bigint>>>(json);
  for (const [topic, parts] of Object.entries(obj)) {
    const m = new Map<number, bigint>();
    for (const [p, o] of Object.entries(parts)) m.set(Number(p), BigInt(o));
    out.set(topic, m);
  }
  return out;
}

export function formatOffsets(map: OffsetsMap): string {
  const obj: Record<string, Record<string, bigint>> = {};
  for (const topic of [...map.keys()].sort()) {
    const parts: Record<string, bigint> = {};
    for (const p of [...map.get(topic)!.keys()].sort((a, b) => a - b)) parts[String(p)] = map.get(topic)!.get(p)!;
    obj[topic] = parts;
  }
  return stringifyJson(obj);
}

export function snapshotOffsets(snapshot: Snapshot | undefined, connector: string): OffsetsMap {
  return parseOffsets(snapshot?.summary[offsetsKey(connector)]);
}

export function getOffset(map: OffsetsMap, topic: string, partition: number): bigint | undefined {
  return map.get(topic)?.get(partition);
}

/** A copy of `map` with the given partitions moved to new next offsets. */
export function withOffsets(map: OffsetsMap, updates: Iterable<{ topic: string; partition: number; next: bigint }>): OffsetsMap {
  const out: OffsetsMap = new Map([...map].map(([t, parts]) => [t, new Map(parts)]));
  for (const u of updates) {
    let parts = out.get(u.topic);
    if (!parts) out.set(u.topic, (parts = new Map()));
    parts.set(u.partition, u.next);
  }
  return out;
}
