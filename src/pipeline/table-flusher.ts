// The flushes and commits of a connector worker's tables (worker.ts): a table's buffer written as
// data files (row groups as they fill, the rest when it flushes) and committed with the Kafka
// offsets it covers (commit/exactly-once.ts). A table flushes when it is due (flushDue: its age,
// rows or bytes), when the worker must not go on holding it (flushAll on a stop or a revoke;
// flushTable with `force` before a schema change), and before another table commits past its
// rows (the ledger says which, commit/offsets-ledger.ts). A failed write or commit is an outage
// of the table, retried after a back-off within errors.outageTimeoutMs; a fenced commit (another
// worker moved the table's offsets) drops what the table held.
//
// The rule: what a table buffered leaves it one of two ways: committed together with the offsets
// it covers (once the dead letters those offsets cover are durable), or dropped, its partitions
// sought back to where the table's offsets say they are read again (rewindTable); or the
// connector stops, and a restart reads it again. One table never flushes twice at once
// (`flushing`).
//
// The flusher sees the worker only through TableFlusherHost (its tables, the ledger, the read
// positions, config, catalog, dead letters, events, the source's seek, ...), built once by the
// worker. Which table commits first is the ledger's decision; the I/O that follows is here. The
// worker keeps the orchestration (assignment, records, schema changes, backpressure, failures)
// and calls the flushes: flushDue on its timer and after each batch, flushAll, flushTable.
import type { Catalog } from '../catalog/catalog.ts';
import { commitBatch } from '../commit/exactly-once.ts';
import type { OffsetRange } from '../commit/exactly-once.ts';
import type { GroupOffsets } from '../commit/group-offsets.ts';
import type { OffsetsLedger } from '../commit/offsets-ledger.ts';
import type { OffsetsMap, TopicPartition } from '../commit/offsets-map.ts';
import type { DataFile } from '../iceberg/data-file.ts';
import { kindOf } from '../errors.ts';
import type { ParquetEncoder } from '../writer/data-file-writer.ts';
import { RollingDataFiles } from '../writer/fanout-writer.ts';
import { catalogCall } from './catalog-retry.ts';
import type { CatalogRetryHost } from './catalog-retry.ts';
import { ConnectorStoppedError } from './connector-stopped.ts';
import { errorMessageOf } from './dead-letters.ts';
import type { ReadPositions } from './read-positions.ts';
import type { TableState } from './table-state.ts';
import type { OpenTable } from './tables.ts';
import type { DeadLetterSink } from './worker-options.ts';

/** What the flusher needs of the worker: its tables and their books, the I/O it was given, a few of its answers. */
export interface TableFlusherHost extends CatalogRetryHost {
  /** The worker's open tables, by name. */
  readonly tables: ReadonlyMap<string, TableState>;
  /** The offsets of every open table, and the decisions between tables (commit/offsets-ledger.ts). */
  readonly ledger: OffsetsLedger;
  /** Where the worker is in each partition (read-positions.ts). */
  readonly positions: ReadPositions;
  readonly catalog: Catalog;
  readonly encoder: ParquetEncoder | undefined;
  /** Flushed before each commit: the dead letters of records its offsets cover are durable first. */
  readonly deadLetters: DeadLetterSink;
  /** Group offset commits, asked for after each table commit (commit/group-offsets.ts). */
  readonly groupOffsets: GroupOffsets;
  /** Moves a partition's fetch position (the source's seek): a rewound table's partitions are read again from there. */
  seek(tp: TopicPartition, offset: bigint): void;
  /** The table's offsets for this connector as loaded (the worker's committedOffsets: a notice logged, unknown offsets stop the connector). */
  committedOffsets(open: OpenTable): OffsetsMap;
  /** The table as the catalog has it now (TableManager.reload), after a fence. */
  reload(open: OpenTable): Promise<OpenTable>;
}

export class TableFlusher {
  private readonly host: TableFlusherHost;
  /** Tables being flushed (flushTable may flush another table first; never one already under way). */
  private readonly flushing = new Set<TableState>();

  constructor(host: TableFlusherHost) {
    this.host = host;
  }

  /**
   * Partitions whose rows reached a row group's size are encoded and appended to their open
   * data files now, so memory holds about a row group per partition, not a commit's rows.
   */
  async writeRowGroups(): Promise<void> {
    for (const t of this.host.tables.values()) {
      // stopped (abort, fatal error) while this batch was being handled: its files were dropped
      // and a file opened now would never be (a temporary file or multipart upload left behind)
      if (this.host.failure()) return;
      if (t.pending) continue;
      const parts = t.batch.takeRowGroups();
      if (parts.length === 0) continue;
      t.files ??= new RollingDataFiles(t.open.table, t.open.schema, t.open.spec, { encoder: this.host.encoder, writeBufferBytes: this.host.config.table.writeBufferMaxBytes });
      try {
        await t.files.write(parts);
      } catch (err) {
        // the rows written so far are lost with the file: read them again once the store is back
        this.outageFailed(t, 'writing a data file', err);
        await this.rewindTable(t, []);
      }
    }
  }

  /** Drops the open data files of the table's batch (rows dropped or re-read). */
  async dropFiles(t: TableState): Promise<void> {
    const files = t.files;
    t.files = undefined;
    await files?.abort();
  }

  async flushDue(): Promise<void> {
    const { intervalMs, maxRows, maxBytes } = this.host.config.commit;
    const now = this.host.now();
    const due = [...this.host.tables.values()].filter((t) => {
      const aged = (t.firstBufferedAt !== undefined && now - t.firstBufferedAt >= intervalMs) || (t.offsetsMovedAt !== undefined && now - t.offsetsMovedAt >= intervalMs * OFFSETS_ONLY_INTERVALS);
      return aged || t.batch.rowCount >= maxRows || t.batch.estimatedBytes >= maxBytes || t.pending;
    });
    await this.flushTables(due);
  }

  /**
   * Flushes the tables, several at once when every open table is settled (each has an offset for
   * every partition it read): then no table's commit waits for another's (table-offsets.ts), and
   * with field routing to many tables the commits' writes and catalog calls overlap instead of
   * queueing. Otherwise one after another, in order.
   */
  private async flushTables(tables: TableState[], force = false): Promise<void> {
    let next = 0;
    if (tables.length > 1 && this.host.ledger.settled()) {
      // a fence can unsettle a table (its reloaded map may lack a partition): the lanes then stop
      // taking tables, and the rest go one by one
      const lane = async () => {
        while (next < tables.length && this.host.ledger.settled()) await this.flushTable(tables[next++], force);
      };
      const results = await Promise.allSettled(Array.from({ length: Math.min(COMMITS_AT_ONCE, tables.length) }, lane));
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
    }
    while (next < tables.length) await this.flushTable(tables[next++], force);
  }

  /**
   * Commits everything buffered. A table left holding rows or offsets to commit without a failed
   * commit (its flush only retried a batch cut earlier, or waited for another table that commits
   * later in the pass) is flushed again in another pass: a revoke forgets what was read of its
   * partitions, so nothing read of them may stay behind uncommitted.
   */
  async flushAll(): Promise<void> {
    let tables = [...this.host.tables.values()];
    for (let pass = 0; pass <= this.host.tables.size && tables.length > 0; pass++) {
      await this.flushTables(tables, true);
      tables = tables.filter((t) => t.pending === undefined && (t.batch.rowCount > 0 || t.files !== undefined || t.offsets.rangesToCommit(this.host.positions).length > 0));
    }
  }

  /**
   * Writes what table t buffered as data files and commits them with the offsets they cover.
   * During an outage the next try waits for its back-off, unless `force`: a caller that must not
   * go on with rows still buffered (a schema change replaces the batch; a revoke or a stop
   * forgets what was read) tries now, and a failed write then drops the rows and rewinds their
   * partitions (rewindTable), so nothing buffered is left behind.
   */
  async flushTable(t: TableState, force = false): Promise<void> {
    if (this.flushing.has(t)) return;
    if (t.outage && this.host.now() < t.outage.retryAt && !force && !this.host.stopSignal.aborted) return;
    this.flushing.add(t);
    try {
      const retried = t.pending !== undefined;
      await this.flushTableNow(t);
      // a batch cut earlier (its commit had failed) went in: what was buffered since goes too,
      // so a table asked to commit first has committed everything it holds
      if (retried && t.pending === undefined) await this.flushTableNow(t);
    } finally {
      this.flushing.delete(t);
    }
  }

  /** `afterRewind`: a table that let go of its rows commits what is left at once (once). */
  private async flushTableNow(t: TableState, afterRewind = true): Promise<void> {
    if (!t.pending) {
      // A table with rows of p but no offset for p commits them first: once this table's map
      // moves p past those rows, a restart would start p after them.
      for (const name of this.host.ledger.toCommitBefore(t.offsets)) {
        const other = this.host.tables.get(name)!;
        if (this.flushing.has(other)) continue;
        await this.flushTable(other);
        if (other.offsets.mustCommitBefore(t.offsets)) return; // not committed yet: try again later
      }
      const ranges = this.host.ledger.rangesToCommit(t.offsets, this.host.positions);
      if (ranges.length === 0 && t.batch.rowCount === 0) return;
      // A table waiting for this one (it is flushing) holds rows of a partition it has no offset
      // for that these ranges would pass, and this table holds rows past them too: each waits
      // for the other. This table lets go of its rows (they are read again) and commits next
      // time with nothing past them.
      if (this.host.ledger.passesNewRows(t.offsets, ranges)) {
        this.host.log?.info(`table ${t.open.name}: two tables wait for each other's commit; ${t.batch.rowCount} rows are read again`);
        await this.rewindTable(t, []);
        // what is left (offsets only) commits now, before rows are taken again: the table waiting
        // for this one can then commit
        if (afterRewind && !this.host.ledger.passesNewRows(t.offsets, this.host.ledger.rangesToCommit(t.offsets, this.host.positions))) await this.flushTableNow(t, false);
        return;
      }
      const rows = t.batch.rowCount;
      const parts = t.batch.drain();
      const timestampsMs = t.timestamps;
      t.timestamps = [];
      const schemaIds = t.schemaIds;
      t.schemaIds = new Set();
      t.firstBufferedAt = undefined;
      t.offsetsMovedAt = undefined;
      let files: DataFile[] = [];
      if (parts.length > 0 || t.files) {
        const open = t.files ?? new RollingDataFiles(t.open.table, t.open.schema, t.open.spec, { encoder: this.host.encoder, writeBufferBytes: this.host.config.table.writeBufferMaxBytes });
        t.files = undefined;
        try {
          await open.write(parts);
          files = await open.finish();
        } catch (err) {
          await open.abort().catch(() => undefined);
          this.outageFailed(t, 'writing a data file', err);
          await this.rewindTable(t, []);
          return;
        }
      }
      t.pending = { files, ranges, rows, timestampsMs, schemaIds };
      t.offsets.cut(ranges);
    }
    const pending = t.pending;
    // Dead letters of records these offsets cover must be durable before the offsets are.
    await this.host.deadLetters.flush();
    const started = this.host.now();
    try {
      const result = await commitBatch({
        connector: this.host.config.name,
        catalog: this.host.catalog,
        table: t.open.id,
        files: pending.files,
        ranges: pending.ranges,
        schemaIds: pending.schemaIds,
        specId: t.open.spec['spec-id'],
      });
      t.pending = undefined;
      this.outageOver(t);
      t.open = { ...t.open, table: result.table };
      t.offsets.committed(pending.ranges, this.host.positions);
      this.host.events?.committed?.({
        table: t.open.name,
        rows: pending.rows,
        files: pending.files.length,
        bytes: pending.files.reduce((n, f) => n + f['file-size-in-bytes'], 0),
        ranges: pending.ranges,
        snapshotId: result.snapshot['snapshot-id'],
        attempts: result.attempts,
        ms: this.host.now() - started,
        commitTimeMs: this.host.now(),
        timestampsMs: pending.timestampsMs,
      });
      // group offsets (advisory: lag, tools): in the background, coalesced; a commit does not wait for them
      this.host.groupOffsets.request(pending.ranges);
    } catch (err) {
      const kind = kindOf(err);
      // another worker moved the table's offsets (exactly-once.ts: fenced)
      if (kind === 'conflict') {
        await this.fence(t, err as Error);
        return;
      }
      // refused for good: no retry helps (a restart re-reads from the table's offsets)
      if (kind === 'fatal' || kind === 'bad-record') {
        throw new ConnectorStoppedError(this.host.config.name, `table ${t.open.name}: committing to the catalog failed: ${errorMessageOf(err)}`, { cause: err });
      }
      // Not committed, files kept: the next flush tries again after a back-off; failing for
      // longer than the outage budget stops the connector (a restart re-reads from the table's
      // offsets, so nothing is lost).
      this.host.events?.commitFailed?.({ table: t.open.name, kind });
      this.outageFailed(t, 'committing to the catalog', err);
    }
  }

  /**
   * A write or commit of table t failed: counted, logged, the next try put off (exponential
   * back-off with jitter, 0.5 s doubling to 30 s); once the outage lasts longer than
   * errors.outageTimeoutMs the connector stops with an error naming the table, what failed and why.
   */
  private outageFailed(t: TableState, what: string, err: unknown): void {
    const now = this.host.now();
    const o = (t.outage ??= { failures: 0, since: now, retryAt: now });
    o.failures++;
    const budget = this.host.config.errors.outageTimeoutMs;
    const lasted = now - o.since;
    const why = errorMessageOf(err);
    const kind = kindOf(err);
    if (kind === 'fatal' || kind === 'bad-record') {
      throw new ConnectorStoppedError(this.host.config.name, `table ${t.open.name}: ${what} failed: ${why}`, { cause: err });
    }
    if (lasted >= budget) {
      throw new ConnectorStoppedError(
        this.host.config.name,
        `table ${t.open.name}: ${what} has failed for ${Math.round(lasted / 1000)} s (${o.failures} attempts; errors.outageTimeoutMs is ${budget}): ${why}`,
        { cause: err },
      );
    }
    this.host.events?.error?.({ kind, table: t.open.name, error: err });
    const delay = Math.round(Math.min(30_000, 500 * 2 ** Math.min(o.failures - 1, 6)) * (0.5 + Math.random() / 2));
    o.retryAt = now + delay;
    this.host.log?.warn(`table ${t.open.name}: ${what} failed (attempt ${o.failures}, failing for ${Math.round(lasted / 1000)} s of ${Math.round(budget / 1000)} s): ${why}; next try in ${delay} ms`);
  }

  private outageOver(t: TableState): void {
    if (!t.outage) return;
    this.host.log?.info(`table ${t.open.name}: writing and committing again after ${t.outage.failures} failed attempts over ${Math.round((this.host.now() - t.outage.since) / 1000)} s`);
    t.outage = undefined;
  }

  /**
   * Drops what table t buffered (rows, open files, a cut batch whose `dropped` ranges did not
   * commit) and seeks each partition back to where the table's offsets say it is read again.
   */
  async rewindTable(t: TableState, dropped: OffsetRange[]): Promise<void> {
    t.pending = undefined;
    t.batch.drain();
    await this.dropFiles(t).catch(() => undefined);
    t.timestamps = [];
    t.schemaIds = new Set();
    t.firstBufferedAt = undefined;
    t.offsetsMovedAt = undefined;
    const readAgainFrom = t.offsets.fenced(dropped, this.host.committedOffsets(t.open), this.host.positions);
    for (const [key, tp] of this.host.positions.assigned()) {
      const at = readAgainFrom.get(key);
      if (at !== undefined && this.host.positions.rewind(key, at)) this.host.seek(tp, at);
    }
  }

  /**
   * Another worker moved the table (its commit was refused, or handover-check.ts found the
   * table's offsets moved before it): drop what we hold for it and re-read from the table's offsets.
   */
  async fence(t: TableState, err: Error): Promise<void> {
    this.host.events?.error?.({ kind: 'conflict', table: t.open.name, error: err });
    this.host.log?.warn(err.message);
    this.host.events?.fenced?.({ table: t.open.name, error: err });
    // Everything buffered is dropped; the table's offsets, as reloaded, say where each
    // partition is read again (table-offsets.ts: fenced).
    const dropped = t.pending?.ranges ?? [];
    const open = t.open;
    t.open = await catalogCall(this.host, `reloading table ${open.name}`, () => this.host.reload(open));
    await this.rewindTable(t, dropped);
  }
}

/** Tables committed at once when none waits for another (flushTables): enough to overlap their writes and catalog calls. */
const COMMITS_AT_ONCE = 8;

/** Under field routing, offsets that moved with no rows (dead letters, records for other tables) commit after this many commit intervals. */
const OFFSETS_ONLY_INTERVALS = 5;
