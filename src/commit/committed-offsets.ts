// Where a connector's committed offsets are read from (DESIGN.md, "the table holds the offsets").
//
// Rule: the offsets are the map in the newest snapshot of main's ancestry that carries the
// connector's key; when that history is gone (expired), the floor: the same map that every floe
// commit also writes as a table property in the same atomic commit, which other engines' commits
// and snapshot expiry leave alone. Other engines' snapshots on top (compaction, deletes, appends,
// manifest rewrites) carry no floe key, so the walk steps over them.
//
//   ancestry has the key            -> the ancestry. If the floor is ahead of it, main was rolled
//                                      back past floe's later commits: their rows are gone from
//                                      the table and land again (the notice says so).
//   no key, the floor's snapshot    -> the floor: the snapshots holding the key were expired.
//     was expired
//   no key, the floor's snapshot    -> main was rolled back to before the connector's first
//     still there off main,            commit (or the table replaced): none of its rows are in
//     main's history whole             it; startFrom, with a notice.
//   the same, main's history        -> unknown (rolled back, then expired): an error that tells
//     truncated                        the operator how to set the floor.
//   neither                         -> a new connector on this table: startFrom.
// One case reads wrong and is documented (docs/decisions.md): main rolled back to before the
// connector's first commit AND the snapshot that wrote the floor expired looks like expiry alone.
// floe never starts from startFrom silently on a table whose history or floor holds its offsets.
import type { Snapshot, TableMetadata } from '../iceberg/table-metadata.ts';
import { parseJson, stringifyJson } from '../iceberg/json.ts';
import { formatOffsets, OFFSETS_KEY_PREFIX, offsetsKey, parseOffsets } from './offsets-map.ts';
import type { OffsetsMap } from './offsets-map.ts';
import { FloeError } from '../errors.ts';

/** Table property holding a connector's floor: {"snapshot-id": <id>, "offsets": <offsets map>}. */
export const FLOOR_KEY_PREFIX = 'floe.kafka-offsets-floor.';

export function floorKey(connector: string): string {
  return `${FLOOR_KEY_PREFIX}${connector}`;
}

export interface Floor {
  /** The snapshot whose commit wrote this floor. */
  snapshotId: bigint;
  offsets: OffsetsMap;
}

export function formatFloor(snapshotId: bigint, offsets: OffsetsMap): string {
  return `{"snapshot-id":${snapshotId},"offsets":${formatOffsets(offsets)}}`;
}

export function parseFloor(json: string | undefined): Floor | undefined {
  if (json === undefined) return undefined;
  const obj = parseJson<{ 'snapshot-id': bigint | number; offsets: unknown }>(json);
  return { snapshotId: BigInt(obj['snapshot-id']), offsets: parseOffsets(stringifyJson(obj.offsets)) };
}

export interface ResolvedOffsets {
  offsets: OffsetsMap;
  /** Where they came from: a snapshot of main's ancestry, the floor, or nowhere (startFrom). */
  source: 'ancestry' | 'floor' | 'none';
  /** The snapshot that holds them (ancestry) or that wrote them (floor). */
  snapshotId?: bigint;
  /** Something the operator should know (a rollback, offsets from the floor). */
  notice?: string;
}

/** main's history cannot say which of the connector's records the table holds. */
export class OffsetsUnknownError extends FloeError {
  constructor(message: string) {
    super('fatal', message);
  }
}

/**
 * Snapshots of main's ancestry, newest first. `truncated`: older history was expired: a parent
 * is missing (Java's expiry keeps the parent id), or the oldest snapshot has no parent but a
 * sequence number above 1 (PyIceberg's expiry clears the parent id of what it keeps).
 */
export function mainAncestry(metadata: TableMetadata): { chain: Snapshot[]; truncated: boolean } {
  const byId = new Map<bigint, Snapshot>();
  for (const s of metadata.snapshots ?? []) byId.set(s['snapshot-id'], s);
  const chain: Snapshot[] = [];
  let id: bigint | null | undefined = metadata.refs?.main?.['snapshot-id'] ?? metadata['current-snapshot-id'];
  const seen = new Set<bigint>();
  while (id !== null && id !== undefined && id !== -1n && !seen.has(id)) {
    seen.add(id);
    const s = byId.get(id);
    if (!s) return { chain, truncated: true };
    chain.push(s);
    id = s['parent-snapshot-id'];
  }
  const root = chain.at(-1);
  return { chain, truncated: root !== undefined && metadata['format-version'] >= 2 && root['sequence-number'] > 1 };
}

/** The connector's committed offsets on this table, by the rule in this file's header. */
export function resolveOffsets(metadata: TableMetadata, connector: string): ResolvedOffsets {
  const key = offsetsKey(connector);
  const floor = parseFloor(metadata.properties?.[floorKey(connector)]);
  const { chain, truncated } = mainAncestry(metadata);
  const holder = chain.find((s) => s.summary[key] !== undefined);
  if (holder) {
    const offsets = parseOffsets(holder.summary[key]);
    const ahead = floor ? partitionsAhead(floor.offsets, offsets) : [];
    const resolved: ResolvedOffsets = { offsets, source: 'ancestry', snapshotId: holder['snapshot-id'] };
    if (ahead.length > 0) {
      resolved.notice =
        `main was rolled back past connector ${connector}'s commit in snapshot ${floor!.snapshotId}: ` +
        `the table holds its offsets as of snapshot ${holder['snapshot-id']}, so ${ahead.join(', ')} are read again and their rows land again`;
    }
    return resolved;
  }
  if (!floor) return { offsets: new Map(), source: 'none' };
  const floorSnapshotKept = (metadata.snapshots ?? []).some((s) => s['snapshot-id'] === floor.snapshotId);
  if (!floorSnapshotKept) {
    return {
      offsets: floor.offsets,
      source: 'floor',
      snapshotId: floor.snapshotId,
      notice: `the snapshots holding connector ${connector}'s offsets were expired: resuming from the floor written with snapshot ${floor.snapshotId}`,
    };
  }
  if (truncated) {
    throw new OffsetsUnknownError(
      `connector ${connector}: main was rolled back away from snapshot ${floor.snapshotId} (its last commit) to a snapshot whose history ` +
        `holding the connector's offsets was expired, so which of its records the table holds is unknown. Set the table property ` +
        `${floorKey(connector)} to the offsets to resume from, or remove it to start from kafka.startFrom`,
    );
  }
  return {
    offsets: new Map(),
    source: 'none',
    notice:
      `main's history holds no commit of connector ${connector} although its floor names snapshot ${floor.snapshotId}: the table was rolled back ` +
      `to before the connector's first commit (or replaced), so none of its rows are in it: starting from kafka.startFrom`,
  };
}

/** The connector's offsets map as the table holds it (resolveOffsets without the details). */
export function tableOffsets(metadata: TableMetadata, connector: string): OffsetsMap {
  return resolveOffsets(metadata, connector).offsets;
}

/** Every connector with offsets on this table: named by a floor or by a key in main's newest snapshot. */
export function connectorsOf(metadata: TableMetadata): string[] {
  const names = new Set<string>();
  for (const k of Object.keys(metadata.properties ?? {})) if (k.startsWith(FLOOR_KEY_PREFIX)) names.add(k.slice(FLOOR_KEY_PREFIX.length));
  const head = mainAncestry(metadata).chain[0];
  for (const k of Object.keys(head?.summary ?? {})) if (k.startsWith(OFFSETS_KEY_PREFIX)) names.add(k.slice(OFFSETS_KEY_PREFIX.length));
  return [...names].sort();
}

/** "topic[p] from o" for each partition where `ahead` is past `behind` (or `behind` lacks it). */
function partitionsAhead(ahead: OffsetsMap, behind: OffsetsMap): string[] {
  const out: string[] = [];
  for (const [topic, parts] of ahead) {
    for (const [p, o] of parts) {
      const b = behind.get(topic)?.get(p);
      if (b === undefined || b < o) out.push(`${topic}[${p}] from ${b ?? 'its start'}`);
    }
  }
  return out;
}
