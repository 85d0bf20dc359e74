// One retry loop for every change to a table (append, schema update, and maintenance's
// replace): a plan builds its updates and requirements against the table as loaded, the catalog
// applies them atomically or refuses, and the loop tells the outcomes apart:
//   committed         -> the plan's result;
//   conflict          -> someone else committed first (a requirement failed): reload, rebuild
//                        on the new head, back off, try again;
//   unknown outcome   -> the request may or may not have been applied (timeout, 5xx, a dropped
//                        connection): reload and ask the plan whether it landed; if not, try
//                        again, but from then on nothing this plan wrote may be deleted (a
//                        late-landing attempt could reference it);
//   refused           -> the plan itself gives up (it throws from build: a fenced writer, an
//                        incompatible schema), or the catalog refuses the change for good (an
//                        error of kind fatal or bad-record): the error passes through, after
//                        abandon().
// The error kinds (src/errors.ts) tell these apart. Attempts are bounded; running out ends in
// CommitGaveUpError: `retryable` (later, from a new plan) after conflicts, `unknown-outcome`
// when an attempt may still land.
import type { Catalog, LoadedTable, TableIdentifier } from '../catalog/catalog.ts';
import { FloeError, kindOf } from '../errors.ts';
import type { TableRequirement, TableUpdate } from '../iceberg/table-metadata.ts';

/** What one attempt asks the catalog to do. No updates: nothing to commit, `result` of the table as it is. */
export interface TableChange<R> {
  requirements: TableRequirement[];
  updates: TableUpdate[];
  /** The table after the commit (or as loaded, for no updates) → the plan's result. */
  result(table: LoadedTable): R;
  /** Files this attempt wrote that nothing references once it lost a conflict. */
  written?: string[];
}

export interface CommitPlan<R> {
  /** For messages: "append to db.t". */
  describe: string;
  /** Builds the change on the table as it is now. Throws to refuse (the error passes through). */
  build(table: LoadedTable, attempt: number): Promise<TableChange<R>>;
  /** After an unknown outcome, on the reloaded table: the result if the change landed. */
  landed?(table: LoadedTable): R | undefined;
  /** Deletes files of an abandoned attempt (best effort). */
  discard?(paths: string[]): Promise<void>;
  /**
   * The plan gives up for good: refused by build (`error` is its error), exhausted or failed.
   * `uncertain`: an earlier attempt's outcome was unknown, so its files may be referenced.
   */
  abandon?(why: { error: unknown; refused: boolean; uncertain: boolean }): Promise<void>;
}

export interface CommitLoopOptions {
  maxAttempts?: number;
  /** Backoff before attempt n+1 (default: none after the first conflict, then 25 ms · 2^n, jittered, at most 2 s). */
  backoffMs?: (attempt: number) => number;
  /**
   * Before each attempt's build, with the table as loaded: returns the table to build on. A
   * caller may wait here for a moment when its commit is less likely to collide (and reload).
   */
  beforeAttempt?: (table: LoadedTable, attempt: number) => Promise<LoadedTable>;
}

export interface Committed<R> {
  result: R;
  attempts: number;
}

/** The loop ran out of attempts. `lastConflict`: the last attempt lost to another writer. */
export class CommitGaveUpError extends FloeError {
  readonly lastConflict: boolean;
  constructor(message: string, uncertain: boolean, lastConflict: boolean, cause: unknown) {
    super(uncertain ? 'unknown-outcome' : 'retryable', message, { cause });
    this.lastConflict = lastConflict;
  }
}

/** True when a commit failed because other writers kept moving the table (conflicts to the end). */
export function lostToOtherWriters(err: unknown): boolean {
  return err instanceof CommitGaveUpError ? err.lastConflict : kindOf(err) === 'conflict';
}

/** A commit the catalog refused for good: no retry helps, and the change was not applied. */
function refusedForGood(err: unknown): boolean {
  const kind = kindOf(err);
  return kind === 'fatal' || kind === 'bad-record';
}

export async function commitWithRetry<R>(catalog: Catalog, id: TableIdentifier, plan: CommitPlan<R>, options: CommitLoopOptions = {}): Promise<Committed<R>> {
  const maxAttempts = options.maxAttempts ?? 10;
  // The first retry after a conflict goes at once: the table was just reloaded, and a writer
  // that lost to one other commit (a maintenance replace, another connector) most likely wins
  // now; backing off then is for contention that lasts.
  const backoff = options.backoffMs ?? ((n: number) => (n === 1 ? 0 : Math.min(2000, 25 * 2 ** n) * (0.5 + Math.random())));
  let uncertain = false;
  let table = await catalog.loadTable(id);
  for (let attempt = 1; ; attempt++) {
    if (options.beforeAttempt) {
      try {
        table = await options.beforeAttempt(table, attempt);
      } catch (error) {
        await plan.abandon?.({ error, refused: false, uncertain });
        throw error;
      }
    }
    let change: TableChange<R>;
    try {
      change = await plan.build(table, attempt);
    } catch (error) {
      await plan.abandon?.({ error, refused: true, uncertain });
      throw error;
    }
    if (change.updates.length === 0) return { result: change.result(table), attempts: attempt };
    let error: unknown;
    try {
      const committed = await catalog.commitTable(id, change.requirements, change.updates);
      return { result: change.result(committed), attempts: attempt };
    } catch (err) {
      error = err;
    }
    if (refusedForGood(error)) {
      await plan.abandon?.({ error, refused: true, uncertain });
      throw error;
    }
    const conflict = kindOf(error) === 'conflict';
    try {
      table = await catalog.loadTable(id);
    } catch (loadErr) {
      if (!conflict) uncertain = true;
      await plan.abandon?.({ error: loadErr, refused: false, uncertain });
      throw loadErr;
    }
    if (!conflict) {
      uncertain = true;
      const landed = plan.landed?.(table);
      if (landed !== undefined) return { result: landed, attempts: attempt };
      // It may still land later: its files stay (orphans at worst).
    } else {
      await plan.discard?.(change.written ?? []);
    }
    if (attempt >= maxAttempts) {
      await plan.abandon?.({ error, refused: false, uncertain });
      const what = conflict ? 'conflicts' : 'outcomes unknown';
      throw new CommitGaveUpError(`${plan.describe} gave up after ${attempt} attempts (${what}): ${(error as Error).message}`, uncertain, conflict, error);
    }
    const wait = backoff(attempt);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
}
