// How long snapshot history is kept: the retention settings of snapshot expiry, resolved the way
// Iceberg's Java library resolves them (RemoveSnapshots):
//   the table's defaults = the caller's option, else the table property, else Iceberg's default:
//     max snapshot age   history.expire.max-snapshot-age-ms    5 days
//     min snapshots      history.expire.min-snapshots-to-keep  1
//     max ref age        history.expire.max-ref-age-ms         forever
//   a ref's own max-snapshot-age-ms / min-snapshots-to-keep / max-ref-age-ms win over the
//   table's defaults (also over the caller's options, as in Java).
// Pure: no I/O.
import type { SnapshotRef, TableMetadata } from '../iceberg/table-metadata.ts';
import { MAX_REF_AGE_MS as MAX_REF_AGE_PROPERTY, MAX_SNAPSHOT_AGE_MS as MAX_SNAPSHOT_AGE_PROPERTY, MIN_SNAPSHOTS_TO_KEEP as MIN_SNAPSHOTS_TO_KEEP_PROPERTY } from '../iceberg/table-properties.ts';

export const DEFAULT_MAX_SNAPSHOT_AGE_MS = 5 * 24 * 60 * 60 * 1000;
export const DEFAULT_MIN_SNAPSHOTS_TO_KEEP = 1;
export const DEFAULT_MAX_REF_AGE_MS = Number.POSITIVE_INFINITY;

/** What the caller asks for; each one left out comes from the table property or Iceberg's default. */
export interface ExpireOptions {
  /** Snapshots older than this (ms before `now`) may be expired. */
  maxSnapshotAgeMs?: number;
  /** Each branch keeps at least this many snapshots of its ancestry (its head counts); at least 1. */
  minSnapshotsToKeep?: number;
  /** A branch or tag (never main) whose snapshot is older than this is removed. */
  maxRefAgeMs?: number;
}

/** The table's defaults, every one known. */
export interface RetentionSettings {
  maxSnapshotAgeMs: number;
  minSnapshotsToKeep: number;
  maxRefAgeMs: number;
}

export function tableRetention(metadata: TableMetadata, options: ExpireOptions = {}): RetentionSettings {
  const props = metadata.properties ?? {};
  const settings: RetentionSettings = {
    maxSnapshotAgeMs: options.maxSnapshotAgeMs ?? property(props, MAX_SNAPSHOT_AGE_PROPERTY) ?? DEFAULT_MAX_SNAPSHOT_AGE_MS,
    minSnapshotsToKeep: options.minSnapshotsToKeep ?? property(props, MIN_SNAPSHOTS_TO_KEEP_PROPERTY) ?? DEFAULT_MIN_SNAPSHOTS_TO_KEEP,
    maxRefAgeMs: options.maxRefAgeMs ?? property(props, MAX_REF_AGE_PROPERTY) ?? DEFAULT_MAX_REF_AGE_MS,
  };
  check(settings.maxSnapshotAgeMs >= 0, `max snapshot age must be 0 or more, got ${settings.maxSnapshotAgeMs}`);
  check(Number.isInteger(settings.minSnapshotsToKeep) && settings.minSnapshotsToKeep >= 1, `min snapshots to keep must be a whole number of at least 1, got ${settings.minSnapshotsToKeep}`);
  check(settings.maxRefAgeMs >= 0, `max ref age must be 0 or more, got ${settings.maxRefAgeMs}`);
  return settings;
}

/** A branch's settings: its own where it has them, else the table's. */
export function branchRetention(ref: SnapshotRef, table: RetentionSettings): { maxSnapshotAgeMs: number; minSnapshotsToKeep: number } {
  return {
    maxSnapshotAgeMs: ref['max-snapshot-age-ms'] ?? table.maxSnapshotAgeMs,
    // A ref's min of 0 (invalid by the spec) still keeps its head: the head is kept as a ref anyway.
    minSnapshotsToKeep: Math.max(1, ref['min-snapshots-to-keep'] ?? table.minSnapshotsToKeep),
  };
}

/** A ref's max age: its own, else the table's. */
export function refMaxAge(ref: SnapshotRef, table: RetentionSettings): number {
  return ref['max-ref-age-ms'] ?? table.maxRefAgeMs;
}

function property(props: Record<string, string>, name: string): number | undefined {
  const text = props[name];
  if (text === undefined || text.trim() === '') return undefined;
  const n = Number(text);
  if (!Number.isFinite(n)) throw new Error(`table property ${name} must be a number, got "${text}"`);
  return n;
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new RangeError(`snapshot expiry: ${message}`);
}
