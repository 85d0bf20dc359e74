// Which snapshots snapshot expiry must keep so that every connector's committed offsets still
// resolve the same afterwards (floe's rule beside Iceberg's, DESIGN.md "Maintenance"; the
// resolution itself is commit/committed-offsets.ts). Pure: no I/O.
//
// Per connector (named by a floor property or a `floe.kafka-offsets.<connector>` key anywhere in
// main's ancestry), by where resolveOffsets finds its offsets:
//   ancestry   -> the snapshot holding the map, whatever its age, AND every snapshot of main
//                 between the head and it: resolveOffsets walks parent links from main's head,
//                 and a gap would hide the map (the walk stops at a missing parent), so keeping
//                 the holder alone would not be enough;
//   floor      -> nothing: the holders are already gone;
//   none, or   -> the snapshot the floor names, if it still exists (main was rolled back away
//   unknown       from it): expiring it would make resolveOffsets read the floor as "history
//                 expired" and resume after rows that are no longer in the table.
// What expiry cannot keep the same: when older history of main goes, a table that said "none"
// (rolled back to before the connector's first commit) now says "unknown" (an error that asks
// the operator), never a silent resume.
import { connectorsOf, floorKey, mainAncestry, OffsetsUnknownError, parseFloor, resolveOffsets } from '../commit/committed-offsets.ts';
import { OFFSETS_KEY_PREFIX } from '../commit/offsets-map.ts';
import type { TableMetadata } from '../iceberg/table-metadata.ts';

/** Snapshot id → the connectors whose offsets need it. */
export function snapshotsForOffsets(metadata: TableMetadata): Map<bigint, string[]> {
  const out = new Map<bigint, string[]>();
  const need = (id: bigint, connector: string) => {
    const list = out.get(id) ?? [];
    if (!list.includes(connector)) list.push(connector);
    out.set(id, list);
  };
  const { chain } = mainAncestry(metadata);
  const existing = new Set((metadata.snapshots ?? []).map((s) => s['snapshot-id']));
  for (const connector of offsetsConnectors(metadata)) {
    let resolved: ReturnType<typeof resolveOffsets> | undefined;
    try {
      resolved = resolveOffsets(metadata, connector);
    } catch (err) {
      if (!(err instanceof OffsetsUnknownError)) throw err;
    }
    if (resolved?.source === 'ancestry') {
      for (const s of chain) {
        need(s['snapshot-id'], connector);
        if (s['snapshot-id'] === resolved.snapshotId) break;
      }
    } else if (resolved === undefined || resolved.source === 'none') {
      const floor = parseFloor(metadata.properties?.[floorKey(connector)]);
      if (floor && existing.has(floor.snapshotId)) need(floor.snapshotId, connector);
    }
  }
  return out;
}

/** connectorsOf(), plus any connector whose key is in an older snapshot of main's ancestry. */
export function offsetsConnectors(metadata: TableMetadata): string[] {
  const names = new Set(connectorsOf(metadata));
  for (const s of mainAncestry(metadata).chain) {
    for (const k of Object.keys(s.summary)) if (k.startsWith(OFFSETS_KEY_PREFIX)) names.add(k.slice(OFFSETS_KEY_PREFIX.length));
  }
  return [...names].sort();
}
