// Maintenance commits that move main land in the quiet gap right after a streaming writer's commit.
//
// A connector commits on a cadence (every commit interval); each of its commits builds on main's
// head and asserts main did not move. A maintenance replace that lands while a connector commit is
// being built costs that commit a retry (a reload and a new manifest list), and those retried
// commits are the connector's slowest. Between two appends of a cadence there is a gap nobody
// commits in, longest right after an append. So before its first attempt a maintenance commit
// waits for the next append to land and builds at once on the table it left.
//
// The cadence comes from the table: the gaps between its recent appends, each the difference of
// one writer's own timestamps, so other machines' clocks do not matter for the gap. Writers whose
// last append is several gaps old have stopped (a clock skew of seconds is tolerated): no wait.
// The wait is bounded and only makes collisions rarer; the commit loop still decides every
// outcome. Retries after a conflict do not wait: the loop has just reloaded the table, right after
// another writer's commit.
import type { Catalog, LoadedTable, TableIdentifier } from '../catalog/catalog.ts';
import type { TableMetadata } from '../iceberg/table-metadata.ts';

export interface QuietGapOptions {
  /** Longest wait for the next append before committing anyway (default 10 s; 0: never wait). */
  maxWaitMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface AppendCadence {
  /** Median time between the table's recent appends. */
  gapMs: number;
  /** timestamp-ms of the newest append. */
  lastAppendMs: number;
}

export const DEFAULT_QUIET_GAP_WAIT_MS = 10_000;
/** Appends looked at to find the cadence, and the fewest that make one. */
const CADENCE_APPENDS = 9;
const MIN_CADENCE_APPENDS = 3;
/** A writer is taken as stopped when its last append is older than this many gaps plus the slack. */
const IDLE_GAPS = 3;
const CLOCK_SLACK_MS = 5_000;

/** The cadence of the table's recent appends, or undefined when there are too few to tell. */
export function appendCadence(metadata: TableMetadata): AppendCadence | undefined {
  const appends = (metadata.snapshots ?? [])
    .filter((s) => s.summary?.operation === 'append')
    .map((s) => s['timestamp-ms'])
    .sort((a, b) => a - b)
    .slice(-CADENCE_APPENDS);
  if (appends.length < MIN_CADENCE_APPENDS) return undefined;
  const gaps = appends
    .slice(1)
    .map((t, i) => t - appends[i])
    .sort((a, b) => a - b);
  return { gapMs: gaps[Math.floor(gaps.length / 2)], lastAppendMs: appends[appends.length - 1] };
}

const mainHead = (t: LoadedTable) => t.metadata.refs?.main?.['snapshot-id'] ?? t.metadata['current-snapshot-id'] ?? null;

/**
 * A `beforeAttempt` for the commit loop: on the first attempt, waits (bounded) until main's head
 * moves, polling the catalog at a tenth of the cadence, and returns the table as it is then.
 */
export function afterNextAppend(catalog: Catalog, id: TableIdentifier, options: QuietGapOptions = {}): (table: LoadedTable, attempt: number) => Promise<LoadedTable> {
  const maxWaitMs = options.maxWaitMs ?? DEFAULT_QUIET_GAP_WAIT_MS;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  return async (table, attempt) => {
    if (attempt > 1 || maxWaitMs <= 0) return table;
    const cadence = appendCadence(table.metadata);
    if (!cadence || cadence.gapMs <= 0) return table;
    if (now() - cadence.lastAppendMs > IDLE_GAPS * cadence.gapMs + CLOCK_SLACK_MS) return table;
    const deadline = now() + Math.min(maxWaitMs, 1.5 * cadence.gapMs);
    const pollMs = Math.min(500, Math.max(5, cadence.gapMs / 10));
    const head = mainHead(table);
    let latest = table;
    while (now() < deadline) {
      await sleep(Math.min(pollMs, Math.max(0, deadline - now())));
      latest = await catalog.loadTable(id);
      if (mainHead(latest) !== head) return latest;
    }
    return latest;
  };
}
