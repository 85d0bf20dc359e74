// Which snapshots and refs snapshot expiry removes: a pure function of the table metadata and
// the time (no I/O). The rules are Iceberg's (the spec's "Snapshot Retention Policy", Java's
// RemoveSnapshots), plus one of floe's:
//   refs     main is always kept. Any other branch or tag is removed when its snapshot is older
//            than its max-ref-age-ms (the ref's own, else the table's; default forever), or when
//            its snapshot does not exist.
//   branches each kept branch keeps its head and, walking its ancestry from the head, every
//            snapshot while fewer than min-snapshots-to-keep are kept or the snapshot is younger
//            than max-snapshot-age-ms; the walk stops at the first snapshot that is neither.
//   tags     each kept tag keeps its snapshot (and nothing more).
//   the rest a snapshot in no kept ref's ancestry (a rolled-back head, a staged snapshot) is
//            kept while younger than the table's max-snapshot-age-ms.
//   offsets  per connector, the snapshots its committed offsets resolve through
//            (expire-offsets-retention.ts), whatever their age.
// "Younger than the age" means timestamp-ms >= now - age, as in Java. Settings:
// expire-settings.ts.
import type { Snapshot, SnapshotRef, TableMetadata, TableUpdate } from '../iceberg/table-metadata.ts';
import { snapshotsForOffsets } from './expire-offsets-retention.ts';
import type { ExpireOptions, RetentionSettings } from './expire-settings.ts';
import { branchRetention, refMaxAge, tableRetention } from './expire-settings.ts';

/** Why a snapshot stays (the first rule that kept it, in this order). */
export type KeepReason = 'ref' | 'branch-history' | 'young' | 'offsets';

export interface ExpirePlan {
  /** The time the ages were measured from (ms). */
  now: number;
  /** The table's defaults as resolved (refs may override them). */
  settings: RetentionSettings;
  /** Snapshots to remove, oldest first. */
  expire: bigint[];
  /** Branches and tags to remove, by name, sorted. */
  removeRefs: string[];
  /** Every snapshot that stays, with the reason. */
  keep: Map<bigint, KeepReason>;
  /** Connectors whose offsets kept a snapshot that Iceberg's rules alone would have expired. */
  keptForOffsets: Map<bigint, string[]>;
}

export function planExpiry(metadata: TableMetadata, now: number, options: ExpireOptions = {}): ExpirePlan {
  const settings = tableRetention(metadata, options);
  const snapshots = metadata.snapshots ?? [];
  const byId = new Map<bigint, Snapshot>();
  for (const s of snapshots) byId.set(s['snapshot-id'], s);
  const keep = new Map<bigint, KeepReason>();
  const mark = (id: bigint, why: KeepReason) => {
    if (byId.has(id) && !keep.has(id)) keep.set(id, why);
  };

  const refs = refsOf(metadata);
  const kept: [string, SnapshotRef][] = [];
  const removeRefs: string[] = [];
  for (const [name, ref] of Object.entries(refs)) {
    const snap = byId.get(ref['snapshot-id']);
    if (name === 'main') {
      if (snap) kept.push([name, ref]);
      continue;
    }
    if (snap && now - snap['timestamp-ms'] <= refMaxAge(ref, settings)) kept.push([name, ref]);
    else removeRefs.push(name);
  }
  removeRefs.sort();

  for (const [, ref] of kept) mark(ref['snapshot-id'], 'ref');
  const inRefHistory = new Set<bigint>();
  for (const [, ref] of kept) {
    if (ref.type !== 'branch') {
      inRefHistory.add(ref['snapshot-id']);
      continue;
    }
    const { maxSnapshotAgeMs, minSnapshotsToKeep } = branchRetention(ref, settings);
    const cutoff = now - maxSnapshotAgeMs;
    let count = 0;
    let walking = true;
    for (const s of ancestors(ref['snapshot-id'], byId)) {
      inRefHistory.add(s['snapshot-id']);
      if (walking && (count < minSnapshotsToKeep || s['timestamp-ms'] >= cutoff)) {
        mark(s['snapshot-id'], 'branch-history');
        count++;
      } else {
        walking = false;
      }
    }
  }

  const cutoff = now - settings.maxSnapshotAgeMs;
  for (const s of snapshots) {
    if (!inRefHistory.has(s['snapshot-id']) && s['timestamp-ms'] >= cutoff) mark(s['snapshot-id'], 'young');
  }

  const keptForOffsets = new Map<bigint, string[]>();
  for (const [id, connectors] of snapshotsForOffsets(metadata)) {
    if (!byId.has(id) || keep.has(id)) continue;
    keep.set(id, 'offsets');
    keptForOffsets.set(id, connectors);
  }

  const expire = snapshots
    .filter((s) => !keep.has(s['snapshot-id']))
    .sort((a, b) => a['sequence-number'] - b['sequence-number'] || a['timestamp-ms'] - b['timestamp-ms'])
    .map((s) => s['snapshot-id']);
  return { now, settings, expire, removeRefs, keep, keptForOffsets };
}

/** The updates that carry out a plan: the refs first, then the snapshots (none: nothing to do). */
export function expiryUpdates(plan: ExpirePlan): TableUpdate[] {
  const updates: TableUpdate[] = plan.removeRefs.map((name) => ({ action: 'remove-snapshot-ref', 'ref-name': name }));
  if (plan.expire.length > 0) updates.push({ action: 'remove-snapshots', 'snapshot-ids': plan.expire });
  return updates;
}

/** The table's refs; a table with a current snapshot but no refs (older metadata) has main at it. */
export function refsOf(metadata: TableMetadata): Record<string, SnapshotRef> {
  const refs = { ...(metadata.refs ?? {}) };
  const current = metadata['current-snapshot-id'];
  if (!refs.main && current !== null && current !== undefined && current !== -1n) refs.main = { 'snapshot-id': current, type: 'branch' };
  return refs;
}

/** A snapshot and its ancestors, newest first, until a parent is missing. */
export function* ancestors(id: bigint, byId: Map<bigint, Snapshot>): Generator<Snapshot> {
  const seen = new Set<bigint>();
  let next: bigint | undefined = id;
  while (next !== undefined && !seen.has(next)) {
    seen.add(next);
    const s = byId.get(next);
    if (!s) return;
    yield s;
    next = s['parent-snapshot-id'] ?? undefined;
  }
}
