// What a floe snapshot remembers of how it came to be, beside the offsets map: the connector that
// committed it, floe's version, the Kafka offset ranges it covers per partition, and the registry
// schema ids of its records. Summary keys:
//   floe.connector    the connector's name
//   floe.version      floe's version
//   floe.kafka-ranges {"<topic>": {"<partition>": [<first offset>, <next offset>]}}: the records
//                     [first, next) of that partition were read for this commit (each is in
//                     this snapshot's files or went to the dead-letter topic or elsewhere)
//   floe.schema-ids   [<registry schema id>, ...] of the records in this snapshot's files
import type { Snapshot } from '../iceberg/table-metadata.ts';
import { parseJson, stringifyJson } from '../iceberg/json.ts';
import { FLOE_VERSION } from '../version.ts';
import type { OffsetRange } from './exactly-once.ts';

export const CONNECTOR_KEY = 'floe.connector';
export const VERSION_KEY = 'floe.version';
export const RANGES_KEY = 'floe.kafka-ranges';
export const SCHEMA_IDS_KEY = 'floe.schema-ids';

export interface Lineage {
  connector: string;
  version: string;
  ranges: OffsetRange[];
  schemaIds: number[];
}

export function lineageSummary(connector: string, ranges: OffsetRange[], schemaIds: Iterable<number> = []): Record<string, string> {
  const byTopic: Record<string, Record<string, [bigint, bigint]>> = {};
  for (const r of [...ranges].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition))) {
    (byTopic[r.topic] ??= {})[String(r.partition)] = [r.from, r.to];
  }
  const out: Record<string, string> = { [CONNECTOR_KEY]: connector, [VERSION_KEY]: FLOE_VERSION, [RANGES_KEY]: stringifyJson(byTopic) };
  const ids = [...new Set(schemaIds)].sort((a, b) => a - b);
  if (ids.length > 0) out[SCHEMA_IDS_KEY] = JSON.stringify(ids);
  return out;
}

/** The lineage a snapshot's summary carries, or undefined for a snapshot floe's connectors did not commit. */
export function snapshotLineage(snapshot: Snapshot): Lineage | undefined {
  const s = snapshot.summary;
  if (s[CONNECTOR_KEY] === undefined || s[RANGES_KEY] === undefined) return undefined;
  const ranges: OffsetRange[] = [];
  for (const [topic, parts] of Object.entries(parseJson<Record<string, Record<string, [number | bigint, number | bigint]>>>(s[RANGES_KEY]))) {
    for (const [p, [from, to]] of Object.entries(parts)) ranges.push({ topic, partition: Number(p), from: BigInt(from), to: BigInt(to) });
  }
  return {
    connector: s[CONNECTOR_KEY],
    version: s[VERSION_KEY] ?? '',
    ranges,
    schemaIds: s[SCHEMA_IDS_KEY] === undefined ? [] : (JSON.parse(s[SCHEMA_IDS_KEY]) as number[]),
  };
}
