// Snapshot summaries: the counters readers and engines show for each snapshot (added and total
// records, files and bytes), computed the way Iceberg's Java library computes them: added-*
// and deleted-* appear only when non-zero, total-* carry the parent's totals forward.

export interface FileChanges {
  addedDataFiles: number;
  addedRecords: number;
  addedFilesSize: number;
  deletedDataFiles?: number;
  deletedRecords?: number;
  removedFilesSize?: number;
  changedPartitionCount?: number;
}

// eslint-disable-next-line @typescript-eslint/no-unused-vars -- the list of totals, read as a type
const TOTALS = ['total-records', 'total-files-size', 'total-data-files', 'total-delete-files', 'total-position-deletes', 'total-equality-deletes'] as const;

/**
 * Builds a summary for a snapshot whose parent had `parentSummary` (undefined for the first
 * snapshot). `extra` entries (connector offsets, engine info) are copied in as they are.
 */
export function snapshotSummary(
  operation: 'append' | 'replace' | 'overwrite' | 'delete',
  changes: FileChanges,
  parentSummary: Record<string, string> | undefined,
  extra: Record<string, string> = {},
): Record<string, string> & { operation: string } {
  const s: Record<string, string> & { operation: string } = { operation };
  const put = (k: string, v: number | undefined) => {
    if (v !== undefined && v > 0) s[k] = String(v);
  };
  put('added-data-files', changes.addedDataFiles);
  put('deleted-data-files', changes.deletedDataFiles);
  put('added-records', changes.addedRecords);
  put('deleted-records', changes.deletedRecords);
  put('added-files-size', changes.addedFilesSize);
  put('removed-files-size', changes.removedFilesSize);
  if (changes.changedPartitionCount !== undefined) s['changed-partition-count'] = String(changes.changedPartitionCount);

  const prev = (k: (typeof TOTALS)[number]): number | undefined => {
    if (parentSummary === undefined) return 0;
    const v = parentSummary[k];
    return v === undefined ? undefined : Number(v);
  };
  const total = (k: (typeof TOTALS)[number], add: number, remove: number) => {
    const p = prev(k);
    // An unknown parent total makes the new total unknown too: leave it out rather than guess.
    if (p === undefined || Number.isNaN(p)) return;
    s[k] = String(p + add - remove);
  };
  total('total-records', changes.addedRecords, changes.deletedRecords ?? 0);
  total('total-files-size', changes.addedFilesSize, changes.removedFilesSize ?? 0);
  total('total-data-files', changes.addedDataFiles, changes.deletedDataFiles ?? 0);
  total('total-delete-files', 0, 0);
  total('total-position-deletes', 0, 0);
  total('total-equality-deletes', 0, 0);
  for (const [k, v] of Object.entries(extra)) s[k] = v;
  return s;
}

/** A random positive 63-bit snapshot id, as Iceberg's Java library makes them. */
export function newSnapshotId(): bigint {
  const words = new BigUint64Array(1);
  crypto.getRandomValues(words);
  const id = words[0] & 0x7fff_ffff_ffff_ffffn;
  return id === 0n ? 1n : id;
}
