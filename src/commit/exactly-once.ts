// The exactly-once committer (DESIGN.md, "the table holds the offsets").
//
// A batch for table T covers, per Kafka partition, the offsets [from, to). It may commit only
// if T's offsets map (committed-offsets.ts: main's ancestry, then the floor) says that
// partition is at `from` (or does not have it yet). The check (the fence) is the append's
// `prepare` (append.ts), which the one retry loop (commit-loop.ts) runs on the table as loaded
// for each attempt, inside the optimistic commit that asserts main has not moved, so two
// workers briefly owning one partition cannot both land the same offsets: the loser finds the
// map moved, is fenced, drops its batch and seeks to the map.
import type { Catalog, LoadedTable, TableIdentifier } from '../catalog/catalog.ts';
import { tableName } from '../catalog/catalog.ts';
import type { DataFile } from '../iceberg/data-file.ts';
import type { FileIO } from '../io/file-io.ts';
import { appendFiles } from './append.ts';
import type { AppendResult } from './append.ts';
import { formatOffsets, getOffset, offsetsKey, withOffsets } from './offsets-map.ts';
import { connectorsOf, floorKey, formatFloor, resolveOffsets } from './committed-offsets.ts';
import { lineageSummary } from './lineage.ts';
import type { OffsetsMap } from './offsets-map.ts';
import { FloeError } from '../errors.ts';

export interface OffsetRange {
  topic: string;
  partition: number;
  /** First offset in the batch. */
  from: bigint;
  /** One past the last offset in the batch: the partition's next offset once committed. */
  to: bigint;
}

/** The table has moved past (or away from) where this batch starts: another worker owns it. */
export class FencedError extends FloeError {
  readonly table: string;
  /** Partitions whose table offset differs from the batch start, with the table's offset. */
  readonly moved: { topic: string; partition: number; expected: bigint; actual: bigint }[];
  constructor(table: string, moved: FencedError['moved']) {
    super('conflict', `fenced on ${table}: ${moved.map((m) => `${m.topic}[${m.partition}] is at ${m.actual} in the table, batch starts at ${m.expected}`).join('; ')}`);
    this.table = table;
    this.moved = moved;
  }
}

export interface CommitBatchRequest {
  connector: string;
  catalog: Catalog;
  table: TableIdentifier;
  files: DataFile[];
  ranges: OffsetRange[];
  /** Registry schema ids of the records in `files` (lineage). */
  schemaIds?: Iterable<number>;
  io?: FileIO;
  specId?: number;
  maxAttempts?: number;
}

export interface CommitBatchResult extends AppendResult {
  offsets: OffsetsMap;
}

/**
 * Commits files and the offsets they cover as one snapshot, or throws FencedError when the
 * table's offsets say another writer already moved one of these partitions. An empty batch
 * of files with ranges still commits (it moves offsets past records that all went to dead
 * letters or to other tables).
 *
 * The snapshot carries the connector's whole map (its own partitions moved), every other
 * connector's map as the table holds it (so a reader of the newest floe snapshot sees them
 * all), and the lineage (lineage.ts); the same commit sets the connector's floor property.
 */
export async function commitBatch(req: CommitBatchRequest): Promise<CommitBatchResult> {
  const name = tableName(req.table);
  let newOffsets: OffsetsMap = new Map();
  const lineage = lineageSummary(req.connector, req.ranges, req.schemaIds);
  const result = await appendFiles(req.catalog, req.table, req.files, {
    io: req.io,
    specId: req.specId,
    maxAttempts: req.maxAttempts,
    // a fenced batch's files are referenced by nothing: remove them with it
    deleteFilesOnAbort: true,
    prepare: (table: LoadedTable, snapshotId: bigint) => {
      const current = resolveOffsets(table.metadata, req.connector).offsets;
      const moved: FencedError['moved'] = [];
      for (const r of req.ranges) {
        const at = getOffset(current, r.topic, r.partition);
        if (at !== undefined && at !== r.from) moved.push({ topic: r.topic, partition: r.partition, expected: r.from, actual: at });
      }
      if (moved.length > 0) throw new FencedError(name, moved);
      newOffsets = withOffsets(
        current,
        req.ranges.map((r) => ({ topic: r.topic, partition: r.partition, next: r.to })),
      );
      const summary: Record<string, string> = { ...lineage };
      for (const other of connectorsOf(table.metadata)) {
        if (other === req.connector) continue;
        try {
          const theirs = resolveOffsets(table.metadata, other);
          if (theirs.source !== 'none') summary[offsetsKey(other)] = formatOffsets(theirs.offsets);
        } catch {
          // their history is unknown (OffsetsUnknownError): they will say so; carry nothing
        }
      }
      summary[offsetsKey(req.connector)] = formatOffsets(newOffsets);
      return { summary, properties: { [floorKey(req.connector)]: formatFloor(snapshotId, newOffsets) } };
    },
  });
  return { ...result, offsets: newOffsets };
}
