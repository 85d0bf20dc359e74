// Which Idempotency-Keys a table already holds, recorded in the table itself, by the rule the
// Kafka offsets follow (commit/committed-offsets.ts):
//   - each snapshot the append API commits lists the keys it covers in its summary,
//     `floe.ingest.keys` = {"<key>": <rows>} (what `floe inspect` shows of it);
//   - the same commit sets the table property `floe.ingest.idempotency-keys`, the window of
//     recent keys: [["<snapshot id>", <commit time ms>, [["<key>", <rows>], ...]], ...], oldest
//     first, carried forward whole by every append (a commit reads it from the table as reloaded
//     for that attempt, adds its keys, writes it back). Other engines' commits (compaction,
//     expiry, Spark, Trino) keep table properties, so the window survives them, like the floor.
// A key is in the table when the window names it with a snapshot that is in main's ancestry, or
// one that is gone from the table (expired). A snapshot still in the table but off main (main
// was rolled back past it) does not count: its rows are gone, and the key lands again.
// Retention: the newest `maxKeys` keys of the table, none older than `retentionMs`; a retry that
// comes later is taken as a new request (at least once).
import type { Snapshot, TableMetadata } from '../iceberg/table-metadata.ts';
import { mainAncestry } from '../commit/committed-offsets.ts';

export const KEYS_WINDOW_PROPERTY = 'floe.ingest.idempotency-keys';
export const SNAPSHOT_KEYS = 'floe.ingest.keys';

/** Idempotency-Key: 1 to 128 visible ASCII characters. */
export const KEY_PATTERN = /^[\x21-\x7e]{1,128}$/;

export interface KeyRecord {
  snapshotId: bigint;
  /** Rows that request committed. */
  rows: number;
  atMs: number;
}

interface Group {
  snapshotId: bigint;
  atMs: number;
  keys: [string, number][];
}

export interface WindowLimits {
  maxKeys: number;
  retentionMs: number;
}

function parseWindow(text: string | undefined): Group[] {
  if (text === undefined || text === '') return [];
  try {
    const raw = JSON.parse(text) as [string, number, [string, number][]][];
    if (!Array.isArray(raw)) return [];
    return raw.filter((g) => Array.isArray(g) && g.length === 3 && Array.isArray(g[2])).map(([id, atMs, keys]) => ({ snapshotId: BigInt(id), atMs: Number(atMs), keys }));
  } catch {
    return []; // a window someone else damaged is no window: retries land again (at least once)
  }
}

function formatWindow(groups: Group[]): string {
  return JSON.stringify(groups.map((g) => [String(g.snapshotId), g.atMs, g.keys]));
}

/** The table's key window as a lookup: built once per metadata version. */
export class KeyLedger {
  private readonly groups: Group[];
  private readonly counted: Map<string, KeyRecord>;

  private constructor(metadata: TableMetadata) {
    const all = parseWindow(metadata.properties?.[KEYS_WINDOW_PROPERTY]);
    const onMain = new Set(mainAncestry(metadata).chain.map((s: Snapshot) => s['snapshot-id']));
    const inTable = new Set((metadata.snapshots ?? []).map((s) => s['snapshot-id']));
    // a group whose snapshot is in the table but not on main was rolled back: it does not count
    this.groups = all.filter((g) => onMain.has(g.snapshotId) || !inTable.has(g.snapshotId));
    this.counted = new Map();
    for (const g of this.groups) for (const [key, rows] of g.keys) this.counted.set(key, { snapshotId: g.snapshotId, rows, atMs: g.atMs });
  }

  private static readonly cache = new WeakMap<TableMetadata, KeyLedger>();

  static of(metadata: TableMetadata): KeyLedger {
    let l = KeyLedger.cache.get(metadata);
    if (!l) KeyLedger.cache.set(metadata, (l = new KeyLedger(metadata)));
    return l;
  }

  /** The commit that holds the key, if the table holds it. */
  lookup(key: string): KeyRecord | undefined {
    return this.counted.get(key);
  }

  get size(): number {
    return this.counted.size;
  }

  /**
   * The window property after a commit of `keys` (key → rows) in `snapshotId`: the groups that
   * count, this one added, then trimmed to the retention and the newest maxKeys keys.
   */
  withCommit(snapshotId: bigint, nowMs: number, keys: Map<string, number>, limits: WindowLimits): string {
    const groups = this.groups.filter((g) => g.atMs >= nowMs - limits.retentionMs).map((g) => ({ ...g, keys: [...g.keys] }));
    if (keys.size > 0) groups.push({ snapshotId, atMs: nowMs, keys: [...keys] });
    let total = groups.reduce((n, g) => n + g.keys.length, 0);
    while (total > limits.maxKeys && groups.length > 0) {
      const oldest = groups[0];
      const drop = Math.min(oldest.keys.length, total - limits.maxKeys);
      oldest.keys.splice(0, drop);
      total -= drop;
      if (oldest.keys.length === 0) groups.shift();
    }
    return formatWindow(groups);
  }
}

/** The summary entry listing a commit's keys. */
export function snapshotKeysSummary(keys: Map<string, number>): Record<string, string> {
  return keys.size === 0 ? {} : { [SNAPSHOT_KEYS]: JSON.stringify(Object.fromEntries(keys)) };
}
