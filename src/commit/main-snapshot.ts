// A new snapshot that becomes main's head: the snapshot record, the change that commits it
// (asserting main is still at its parent), and the check after an unknown outcome. Appends
// (append.ts) and maintenance's replace snapshots (rewrite-files.ts, rewrite-manifests.ts) build
// their manifests their own way and commit the result through this, in the one commit loop.
import type { LoadedTable } from '../catalog/catalog.ts';
import type { Snapshot, TableMetadata, TableUpdate } from '../iceberg/table-metadata.ts';
import type { TableChange } from './commit-loop.ts';

export interface MainSnapshot {
  table: LoadedTable;
  snapshot: Snapshot;
}

/** The snapshot record for a manifest list written on top of `parent` (none: the table's first). */
export function newSnapshot(metadata: TableMetadata, snapshotId: bigint, parent: Snapshot | undefined, manifestList: string, summary: Snapshot['summary']): Snapshot {
  const snapshot: Snapshot = {
    'snapshot-id': snapshotId,
    'sequence-number': metadata['last-sequence-number'] + 1,
    'timestamp-ms': Math.max(Date.now(), metadata['last-updated-ms']),
    'manifest-list': manifestList,
    summary,
    'schema-id': metadata['current-schema-id'],
  };
  if (parent) snapshot['parent-snapshot-id'] = parent['snapshot-id'];
  return snapshot;
}

/**
 * The change that adds `snapshot` and moves main to it, only if main is still at the snapshot's
 * parent (and the table is the same table); `properties` are set in the same commit.
 */
export function mainSnapshotChange(metadata: TableMetadata, snapshot: Snapshot, written: string[], properties?: Record<string, string>): TableChange<MainSnapshot> {
  const updates: TableUpdate[] = [
    { action: 'add-snapshot', snapshot },
    { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': snapshot['snapshot-id'] },
  ];
  if (properties && Object.keys(properties).length > 0) updates.push({ action: 'set-properties', updates: properties });
  return {
    requirements: [
      { type: 'assert-table-uuid', uuid: metadata['table-uuid'] },
      { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': snapshot['parent-snapshot-id'] ?? null },
    ],
    updates,
    written,
    result: (committed) => ({ table: committed, snapshot }),
  };
}

/** After an unknown outcome: the snapshot, if the reloaded table has it. */
export function landedSnapshot(table: LoadedTable, snapshotId: bigint): MainSnapshot | undefined {
  const snapshot = table.metadata.snapshots?.find((s) => s['snapshot-id'] === snapshotId);
  return snapshot ? { table, snapshot } : undefined;
}
