// The fanout writer: one open data file per partition (data-file-writer.ts), rolled by row group
// as the partitions' batches arrive (RollingDataFiles), within the table's write budget
// (batch/write-budget.ts). As apache/iceberg-rust's fanout writer over its data-file writer.
//
// Appending records to a table: split them by partition, build typed columns, encode each
// partition's rows to a Parquet file, store it, and commit all files as one snapshot.
//
// This is the write path in one place (batch → parquet → io → commit); the Kafka pipeline
// drives the same steps batch by batch.
import type { Catalog, LoadedTable, TableIdentifier } from '../catalog/catalog.ts';
import { tableName } from '../catalog/catalog.ts';
import { partitionKey } from '../batch/partitioner.ts';
import type { ColumnBatch } from '../batch/column-batch.ts';
import { PartitionedBatch } from '../batch/partitioned-batch.ts';
import type { PartitionBatch } from '../batch/partitioned-batch.ts';
import { DEFAULT_WRITE_BUFFER_BYTES, largestUntil, openFileBytes } from '../batch/write-budget.ts';
import type { DataFile } from '../iceberg/data-file.ts';
import { currentSchema, defaultSpec } from '../iceberg/metadata-updates.ts';
import { partitionPath } from '../iceberg/transforms.ts';
import type { Schema } from '../iceberg/types.ts';
import type { PartitionSpec } from '../iceberg/table-metadata.ts';
import type { EncodedRowGroups, EncodeOptions } from '../parquet/encode.ts';
import type { ParquetEncoder } from './data-file-writer.ts';
import { DataFileWriter, inlineEncoder } from './data-file-writer.ts';
import { parquetOptionsFrom } from '../iceberg/table-properties.ts';
import type { FileIO } from '../io/file-io.ts';
import { fileIOFor } from '../io/resolve-file-io.ts';
import { appendFiles } from '../commit/append.ts';
import type { AppendOptions, AppendResult } from '../commit/append.ts';

export interface TableWriterOptions {
  encoder?: ParquetEncoder;
  io?: FileIO;
  /** Parquet options; defaults come from the table's write.parquet.* properties. */
  parquet?: EncodeOptions;
}

export interface RollingDataFilesOptions extends TableWriterOptions {
  /** Row groups being encoded or written at once (default 1). */
  maxInFlight?: number;
  /**
   * The table's write budget (write-budget.ts; default DEFAULT_WRITE_BUFFER_BYTES): while the
   * open files hold more, write() finishes the largest until they hold at most half of it.
   */
  writeBufferBytes?: number;
}

/**
 * The data files of one commit, one per partition, open while rows arrive: row groups are
 * appended as the partitions fill (write), the files finished at commit time (finish) or
 * dropped (abort). At most `maxInFlight` row groups are being encoded or written at once;
 * write() waits beyond that, which bounds the memory they hold. Open files beyond the write
 * budget are finished early, largest first (a partition written to again opens a new file);
 * finish() returns them with the rest, for the same commit.
 */
export class RollingDataFiles {
  readonly schema: Schema;
  private readonly table: LoadedTable;
  private readonly spec: PartitionSpec;
  private readonly io: FileIO;
  private readonly encoder: ParquetEncoder;
  private readonly parquet: EncodeOptions;
  private readonly dataDir: string;
  private readonly maxInFlight: number;
  private readonly writeBufferBytes: number;
  private readonly files = new Map<string, DataFileWriter>();
  /** Files finished early (over the write budget), to be committed with the rest. */
  private readonly early: Promise<DataFile>[] = [];
  private inFlight: Promise<void>[] = [];
  private closed = false;
  private peakOpen = 0;
  /** Row groups written so far (the budget is checked every BUDGET_CHECK_EVERY). */
  private writes = 0;

  constructor(table: LoadedTable, schema: Schema, spec: PartitionSpec, options: RollingDataFilesOptions = {}) {
    const metadata = table.metadata;
    this.table = table;
    this.schema = schema;
    this.spec = spec;
    this.io = options.io ?? fileIOFor(metadata.location, table.config);
    const encoder = options.encoder ?? inlineEncoder;
    this.encoder = encoder.encodeRowGroups ? encoder : inlineEncoder;
    this.parquet = { ...parquetOptionsFrom(metadata.properties ?? {}), ...options.parquet };
    this.dataDir = metadata.properties?.['write.data.path'] ?? `${metadata.location}/data`;
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 1);
    this.writeBufferBytes = options.writeBufferBytes ?? DEFAULT_WRITE_BUFFER_BYTES;
  }

  /** Files opened so far (finished early or still open). */
  get size(): number {
    return this.files.size + this.early.length;
  }

  /** Files finished early to keep within the write budget. */
  get finishedEarly(): number {
    return this.early.length;
  }

  /**
   * The most bytes the open files kept between write() calls (write-budget.ts: openFileBytes),
   * after finishing what the budget asked: within the budget. During a write() they may hold up
   * to BUDGET_CHECK_EVERY row groups more.
   */
  get peakOpenBytes(): number {
    return this.peakOpen;
  }

  /** Finishes the largest open files while they hold more than the write budget (see the class). */
  private async keepWithinBudget(): Promise<void> {
    if (this.closed) return; // aborted meanwhile: the open files were dropped
    let total = 0;
    const sizes: [string, number][] = [];
    for (const [key, f] of this.files) {
      const bytes = openFileBytes(f.bytesWritten);
      total += bytes;
      sizes.push([key, bytes]);
    }
    if (total <= this.writeBufferBytes) {
      this.peakOpen = Math.max(this.peakOpen, total);
      return;
    }
    const finishing: Promise<DataFile>[] = [];
    for (const key of largestUntil(sizes, total, this.writeBufferBytes / 2)) {
      const file = this.files.get(key)!;
      total -= openFileBytes(file.bytesWritten);
      this.files.delete(key);
      const done = file.finish();
      done.catch(() => undefined); // finish() reports it
      finishing.push(done);
      this.early.push(done);
    }
    this.peakOpen = Math.max(this.peakOpen, total);
    await Promise.allSettled(finishing);
  }

  /**
   * Appends each batch (consumed) to its partition's file, opening it on first use. Runs of
   * small batches (below SMALL_BATCH_BYTES each, up to ENCODE_TOGETHER_BYTES together) are
   * encoded as one task when the encoder can (encodeRowGroupsMany): a commit of a thousand
   * partitions of a few dozen rows sends the encoder pool a few messages, not a thousand.
   */
  async write(parts: PartitionBatch[]): Promise<void> {
    const together = this.encoder.encodeRowGroupsMany?.bind(this.encoder);
    for (let i = 0; i < parts.length;) {
      // checked for every run of batches (a run opens its files without waiting): abort() may
      // come while this waits for a row group in flight, and a file opened after it would never
      // be dropped (its temporary file left behind)
      if (this.closed) throw new Error(`data files of ${this.table.metadata.location} are already finished or aborted`);
      let n = 1;
      let encodings: Promise<EncodedRowGroups[]> | undefined;
      if (together !== undefined) {
        let bytes = batchBytes(parts[i].batch);
        if (bytes < SMALL_BATCH_BYTES) {
          while (i + n < parts.length && n < ENCODE_TOGETHER_BATCHES) {
            const next = batchBytes(parts[i + n].batch);
            if (next >= SMALL_BATCH_BYTES || bytes + next > ENCODE_TOGETHER_BYTES) break;
            bytes += next;
            n++;
          }
        }
        if (n > 1) {
          encodings = together(
            this.schema,
            parts.slice(i, i + n).map((p) => p.batch),
            this.parquet,
          );
          encodings.catch(() => undefined); // each file's append reports it
        }
      }
      // the run is one unit in flight: the next run goes to the encoder while this one's
      // row groups are appended
      const steps: Promise<void>[] = [];
      for (let k = 0; k < n; k++) {
        const { partition, batch } = parts[i + k];
        const file = this.fileFor(partition);
        const step = encodings ? file.addEncoded(encodings.then((all) => all[k])) : file.add(batch);
        step.catch(() => undefined); // the file remembers the failure; finish() reports it
        steps.push(step);
      }
      const unit = n === 1 ? steps[0] : Promise.all(steps).then(() => undefined);
      unit.catch(() => undefined); // as each step: reported by finish()
      this.inFlight.push(unit);
      while (this.inFlight.length > this.maxInFlight) await this.inFlight.shift()!.catch(() => undefined);
      const before = this.writes;
      this.writes += n;
      if (Math.floor(this.writes / BUDGET_CHECK_EVERY) > Math.floor(before / BUDGET_CHECK_EVERY)) await this.keepWithinBudget();
      i += n;
    }
    if (parts.length > 0) await this.keepWithinBudget();
  }

  /** The partition's open data file, opened now if it has none. */
  private fileFor(partition: unknown[]): DataFileWriter {
    const key = partitionKey(partition);
    let file = this.files.get(key);
    if (!file) {
      const dir = this.spec.fields.length > 0 ? `${this.dataDir}/${partitionPath(this.spec, this.schema, partition)}` : this.dataDir;
      file = new DataFileWriter(this.io, `${dir}/${crypto.randomUUID()}.parquet`, partition, this.schema, this.encoder, this.parquet);
      this.files.set(key, file);
    }
    return file;
  }

  /** Finishes every file; on failure none is left (finished ones are deleted, the rest aborted). */
  async finish(): Promise<DataFile[]> {
    this.closed = true;
    const writers = [...this.files.values()];
    const results = await Promise.allSettled([...this.early, ...writers.map((w) => w.finish())]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await Promise.all(results.map((r) => (r.status === 'fulfilled' ? this.io.delete(r.value['file-path']).catch(() => undefined) : undefined)));
      throw failed.reason;
    }
    return results.map((r) => (r as PromiseFulfilledResult<DataFile>).value);
  }

  /** Drops every file (nothing is left at their locations). */
  async abort(): Promise<void> {
    this.closed = true;
    const early = Promise.allSettled(this.early).then((rs) => Promise.all(rs.map((r) => (r.status === 'fulfilled' ? this.io.delete(r.value['file-path']).catch(() => undefined) : undefined))));
    await Promise.all([early, ...[...this.files.values()].map((w) => w.abort())]);
  }
}

/** write() checks the write budget after this many row groups too (not only at its end). */
const BUDGET_CHECK_EVERY = 16;

/** A batch whose buffers hold less than this is encoded with its neighbours (RollingDataFiles.write). */
const SMALL_BATCH_BYTES = 64 * 1024;
/** At most this many bytes of batches, and this many batches, are encoded as one task. */
const ENCODE_TOGETHER_BYTES = 1024 * 1024;
const ENCODE_TOGETHER_BATCHES = 64;

/** Bytes of a batch's arrays (the part of its builder's buffers in use). */
function batchBytes(batch: ColumnBatch): number {
  let n = 0;
  for (const c of batch.columns) {
    n += (c.def?.byteLength ?? 0) + (c.rep?.byteLength ?? 0) + (c.values?.byteLength ?? 0) + (c.offsets?.byteLength ?? 0);
    if (c.dict) n += c.dict.offsets.byteLength + c.dict.data.byteLength + c.dict.indices.byteLength;
  }
  return n;
}

/** Encodes and stores each partition's batch as one Parquet data file. */
export async function writeDataFiles(table: LoadedTable, schema: Schema, spec: PartitionSpec, parts: PartitionBatch[], options: TableWriterOptions = {}): Promise<DataFile[]> {
  const files = new RollingDataFiles(table, schema, spec, { ...options, maxInFlight: Math.max(1, parts.length) });
  try {
    await files.write(parts);
  } catch (err) {
    await files.abort();
    throw err;
  }
  return files.finish();
}

/**
 * Appends records to a table as one snapshot (one data file per partition touched).
 * Every record is validated first: a value that does not fit fails the whole call with a
 * ValueError naming table and column, before anything is written.
 */
export async function appendRecords(catalog: Catalog, id: TableIdentifier, records: Iterable<Record<string, unknown>>, options: TableWriterOptions & AppendOptions = {}): Promise<AppendResult> {
  const table = await catalog.loadTable(id);
  const schema = currentSchema(table.metadata);
  const spec = defaultSpec(table.metadata);
  const batch = new PartitionedBatch(tableName(id), schema, spec);
  for (const r of records) batch.append(r);
  const io = options.io ?? fileIOFor(table.metadata.location, table.config);
  const files = await writeDataFiles(table, schema, spec, batch.drain(), { ...options, io });
  return appendFiles(catalog, id, files, { ...options, io, specId: spec['spec-id'] });
}
