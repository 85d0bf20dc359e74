// What a connector worker holds per open table (worker.ts): the table as loaded, its batch and
// the batch's open data files, its Kafka offsets (commit/table-offsets.ts), the schemas it has
// reconciled, a batch cut for a commit that has not gone in yet, its commit clocks and outage.
//
// The rule: what a table has not committed is in its batch (rows in memory), its open data files
// (row groups written as they fill: table-flusher.ts, writeRowGroups) or its pending commit
// (files written and cut with the offsets they cover, kept across failed attempts), and nowhere
// else: holdsRows asks all three. State only: the worker and its flusher (table-flusher.ts)
// change it.
import type { PartitionedBatch } from '../batch/partitioned-batch.ts';
import type { OffsetRange } from '../commit/exactly-once.ts';
import type { TableOffsets } from '../commit/table-offsets.ts';
import type { DataFile } from '../iceberg/data-file.ts';
import type { Schema } from '../iceberg/types.ts';
import type { JsonSchemaInferrer } from '../schema/infer-json.ts';
import type { RollingDataFiles } from '../writer/fanout-writer.ts';
import type { OpenTable } from './tables.ts';

export interface PendingCommit {
  files: DataFile[];
  ranges: OffsetRange[];
  rows: number;
  /** Registry schema ids of the committed rows (lineage). */
  schemaIds: Set<number>;
  /** Kafka timestamps of the committed rows (freshness). */
  timestampsMs: number[];
}

export interface TableState {
  open: OpenTable;
  batch: PartitionedBatch;
  /** The batch's data files, open while its row groups are written (see table-flusher.ts: writeRowGroups). */
  files: RollingDataFiles | undefined;
  /** The table's Kafka offsets: committed, buffered, what the next commit covers (its books in the worker's OffsetsLedger). */
  offsets: TableOffsets;
  firstBufferedAt: number | undefined;
  /** Writer schemas (by object identity) already reconciled with the table. */
  knownSchemas: Set<Schema>;
  /** Registry schema id of each reconciled writer schema (lineage of the fast path's records). */
  schemaIdOf: Map<Schema, number>;
  /** Registry schema ids of the buffered rows. */
  schemaIds: Set<number>;
  /** Schemas the table cannot take, with why (an error of kind bad-record): their records are dead letters. */
  incompatible: Map<Schema, Error>;
  inferrer: JsonSchemaInferrer | undefined;
  /** Files written and waiting for their commit (kept across failed attempts). */
  pending: PendingCommit | undefined;
  /** When the table's offsets first moved with no rows to go with them (field routing's commit clock for offsets only). */
  offsetsMovedAt: number | undefined;
  /** Writes or commits failed in a row (an outage of the object store or the catalog), since when, and when to try again. */
  outage: { failures: number; since: number; retryAt: number } | undefined;
  /** Kafka timestamps of the buffered rows. */
  timestamps: number[];
}

/** The table holds something not committed: a batch whose commit failed, rows, or open files. */
export function holdsRows(t: TableState): boolean {
  return t.pending !== undefined || t.batch.rowCount > 0 || t.files !== undefined;
}
