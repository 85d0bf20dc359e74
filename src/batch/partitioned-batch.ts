// Records split by partition for one table's schema and spec, built as typed columns in one
// builder and handed over as finished batches, one per partition (PartitionBatch): as row groups
// while rows arrive (takeRowGroups, within the table's write budget: write-budget.ts), or all at
// once (drain). The writer layer (src/writer/) appends each to its partition's open data file.
import { RecordBatchBuilder } from './record-batch.ts';
import { Partitioner, partitionKey } from './partitioner.ts';
import { splitRowsByGroup } from './split-rows.ts';
import { grow } from './growable.ts';
import type { LeafBuilder } from './leaf-builder.ts';
import type { ColumnBatch } from './column-batch.ts';
import { ValueError } from './errors.ts';
import { DEFAULT_WRITE_BUFFER_BYTES } from './write-budget.ts';
import { bigDecimalToString } from '../iceberg/transforms.ts';
import { partitionValueCanOverflow, partitionValueProblem } from '../iceberg/partition-value-fits.ts';
import { decimalParams } from '../iceberg/types.ts';
import type { Schema } from '../iceberg/types.ts';
import type { PartitionSpec } from '../iceberg/table-metadata.ts';
import type { AvroType } from '../decode/avro-schema.ts';

export interface PartitionBatch {
  partition: unknown[];
  batch: ColumnBatch;
}

/** The partitions of the rows being built, in order of their first row (PartitionedBatch). */
interface BuiltPartition {
  partition: unknown[];
  rows: number;
}

export interface PartitionedBatchOptions {
  /**
   * Top-level columns whose values append() takes from its `extras` argument, in this order,
   * instead of the record (RecordBatchBuilder's extraColumns): the Kafka metadata columns,
   * without a merged copy of every record.
   */
  extraColumns?: readonly string[];
  /**
   * takeRowGroups() hands over the rows once a partition's share of them is estimated to
   * reach this (default: no limit, rows wait for drain()).
   */
  rowGroupBytes?: number;
  /**
   * The table's write budget (write-budget.ts; default DEFAULT_WRITE_BUFFER_BYTES): once the
   * rows in memory exceed it, takeRowGroups() hands them all over, below `rowGroupBytes`.
   */
  writeBufferBytes?: number;
}

/**
 * Records split by partition for one table's schema and spec. Every row is built in one
 * RecordBatchBuilder, whatever its partition, with the partition of each row noted beside it;
 * the rows are split by partition when they are handed over (split-rows.ts). So a table
 * partitioned into a thousand partitions keeps one dictionary per string column and one set of
 * growing arrays, not a thousand, and takes Avro and JSON records straight from their bytes as
 * an unpartitioned table does (the partition is then read back from the row's own columns).
 * The builder is kept across drain() and starts the next batch at the last one's size.
 */
export class PartitionedBatch {
  readonly schema: Schema;
  readonly spec: PartitionSpec;
  readonly table: string;
  private readonly partitioner: Partitioner;
  /** Every row since the last hand-over. */
  private builder: RecordBatchBuilder | undefined;
  /** The builder's column of each partition field's source (partitionOfLastRow); undefined: none is a leaf of it. */
  private sources: LeafBuilder[] | undefined;
  /** Per row of the builder (partitioned tables): its index in `partitions`. */
  private partitionOfRow = new Int32Array(0);
  private partitions: BuiltPartition[] = [];
  /** Partitions by key: partitionKey of the tuple, or the value itself for a one-field spec of numbers (oneNumber: no key string per row). */
  private readonly byKey = new Map<string | number, number>();
  private readonly oneNumber: boolean;
  /** Rows of the partition with the most rows in the builder. */
  private mostRows = 0;
  private rows = 0;
  /** Estimated bytes of the rows taken by takeRowGroups() since the last drain(). */
  private takenBytes = 0;
  private readonly rowGroupBytes: number;
  private readonly writeBufferBytes: number;
  private shed = 0;
  private peak = 0;
  /** Indexes of partition fields whose values can overflow their type (decimal truncate). */
  private readonly checked: number[];
  private readonly extraColumns: readonly string[];
  /** A partition field's source is an extra column: partitioning needs the merged record. */
  private readonly partitionOnExtras: boolean;

  constructor(table: string, schema: Schema, spec: PartitionSpec, options: PartitionedBatchOptions = {}) {
    this.table = table;
    this.schema = schema;
    this.spec = spec;
    this.partitioner = new Partitioner(spec, schema, table);
    this.checked = this.partitioner.fields.flatMap((f, i) => (partitionValueCanOverflow(f.resultType) ? [i] : []));
    this.extraColumns = options.extraColumns ?? [];
    this.rowGroupBytes = options.rowGroupBytes ?? Infinity;
    this.writeBufferBytes = options.writeBufferBytes ?? DEFAULT_WRITE_BUFFER_BYTES;
    this.partitionOnExtras = this.partitioner.fields.some((f) => this.extraColumns.includes(f.sourcePath[0]));
    this.oneNumber = this.partitioner.oneNumber;
  }

  get rowCount(): number {
    return this.rows;
  }

  /** Estimated bytes of the rows since the last drain(), those taken as row groups included (commit size). */
  get estimatedBytes(): number {
    return this.takenBytes + this.memoryBytes;
  }

  /** Estimated bytes of the rows still in memory (not taken as row groups). */
  get memoryBytes(): number {
    return this.builder === undefined ? 0 : this.builder.estimatedBytes;
  }

  /** Row groups handed over before they reached `rowGroupBytes`, to keep within the write budget. */
  get shedRowGroups(): number {
    return this.shed;
  }

  /** The most bytes of rows in memory seen by takeRowGroups() (after it took what it had to). */
  get peakMemoryBytes(): number {
    return this.peak;
  }

  /**
   * Row groups to append to the partitions' open data files, as finished batches: all the rows
   * in memory, split by partition, once the largest partition's share of them (rows × the
   * average row's bytes) reaches `rowGroupBytes`, or once they exceed the write budget.
   * rowCount and estimatedBytes still count the rows until drain().
   */
  takeRowGroups(): PartitionBatch[] {
    const b = this.builder;
    if (b === undefined || b.rowCount === 0) return [];
    const bytes = b.estimatedBytes;
    const largest = this.partitioner.unpartitioned ? bytes : (bytes * this.mostRows) / b.rowCount;
    let out: PartitionBatch[] = [];
    if (largest >= this.rowGroupBytes || bytes > this.writeBufferBytes) {
      this.takenBytes += bytes;
      out = this.split(b.finish());
      if (largest < this.rowGroupBytes) this.shed += out.length;
    }
    this.peak = Math.max(this.peak, b.estimatedBytes);
    return out;
  }

  /** The builder's rows (just finished) by partition; the partitions start over. */
  private split(batch: ColumnBatch): PartitionBatch[] {
    if (this.partitioner.unpartitioned) return [{ partition: [], batch }];
    const parts = this.partitions;
    this.partitions = [];
    this.byKey.clear();
    this.mostRows = 0;
    if (parts.length === 1) return [{ partition: parts[0].partition, batch }];
    const columns = splitRowsByGroup(batch.columns, batch.rowCount, this.partitionOfRow, parts.length);
    return parts.map((p, g) => ({ partition: p.partition, batch: { tableName: batch.tableName, rowCount: p.rows, columns: columns[g] } }));
  }

  private newBuilder(): RecordBatchBuilder {
    const b = new RecordBatchBuilder(this.schema, this.table, { extraColumns: this.extraColumns });
    const sources = this.partitioner.fields.map((f) => b.leafOf(f.sourceId));
    this.sources = sources.every((l) => l !== undefined) ? (sources as LeafBuilder[]) : undefined;
    return b;
  }

  /** Notes the partition of the row just appended to the builder (its last). */
  private noteRow(b: RecordBatchBuilder, partition: unknown[]): void {
    const v = partition[0];
    const key = this.oneNumber && typeof v === 'number' ? v : partitionKey(partition);
    let i = this.byKey.get(key);
    if (i === undefined) {
      i = this.partitions.length;
      this.partitions.push({ partition, rows: 0 });
      this.byKey.set(key, i);
    }
    const row = b.rowCount - 1;
    if (row >= this.partitionOfRow.length) this.partitionOfRow = grow(this.partitionOfRow, row + 1);
    this.partitionOfRow[row] = i;
    const rows = ++this.partitions[i].rows;
    if (rows > this.mostRows) this.mostRows = rows;
  }

  /**
   * Adds a record; throws ValueError (and changes nothing) if a value does not fit. `extras`
   * holds the values of the extra columns (see the constructor), overriding the record's own.
   */
  append(record: Record<string, unknown>, extras?: readonly unknown[]): void {
    if (this.partitioner.unpartitioned) {
      (this.builder ??= this.newBuilder()).append(record, extras);
      this.rows++;
      return;
    }
    let merged = record;
    if (extras !== undefined && this.partitionOnExtras) {
      merged = { ...record };
      for (let i = 0; i < this.extraColumns.length; i++) merged[this.extraColumns[i]] = extras[i];
    }
    const partition = this.partitioner.partitionOf(merged);
    for (const i of this.checked) this.checkFits(merged, partition, i);
    const b = (this.builder ??= this.newBuilder());
    b.append(record, extras);
    this.noteRow(b, partition);
    this.rows++;
  }

  /**
   * After a record went in straight from its bytes: its partition, read back from its columns,
   * noted (true); false, with the record taken back out, when the partition cannot be read that
   * way or its value does not fit (append() of the decoded record then names the problem).
   */
  private placeLastRow(b: RecordBatchBuilder): boolean {
    let partition: unknown[] | undefined;
    try {
      if (this.sources !== undefined) partition = this.partitioner.partitionOfLastRow(this.sources);
    } catch {
      partition = undefined; // a transform that refuses the value: append() names it
    }
    if (partition === undefined || this.checked.some((i) => partitionValueProblem(this.partitioner.fields[i].resultType, partition[i]) !== undefined)) {
      b.dropLastRow();
      return false;
    }
    this.noteRow(b, partition);
    return true;
  }

  /**
   * RecordBatchBuilder.appendAvro: the Avro record in bytes[offset..] appended straight from its
   * bytes (true), or nothing done (false: a record or writer schema the caller must decode and
   * append()).
   */
  appendAvro(writer: AvroType, bytes: Uint8Array, offset: number, extras?: readonly unknown[]): boolean {
    const b = (this.builder ??= this.newBuilder());
    if (!b.appendAvro(writer, bytes, offset, extras)) return false;
    if (!this.partitioner.unpartitioned && !this.placeLastRow(b)) return false;
    this.rows++;
    return true;
  }

  /**
   * RecordBatchBuilder.appendJson: the plain JSON record in bytes[offset..] appended straight
   * from its text (true), or nothing done (false: a record the caller must decode and append()).
   */
  appendJson(bytes: Uint8Array, offset: number, extras?: readonly unknown[]): boolean {
    const b = (this.builder ??= this.newBuilder());
    if (!b.appendJson(bytes, offset, extras)) return false;
    if (!this.partitioner.unpartitioned && !this.placeLastRow(b)) return false;
    this.rows++;
    return true;
  }

  /**
   * A partition value the manifest could not hold fails the record here, as a ValueError (a
   * dead letter in the pipeline), not the commit after its files were written.
   */
  private checkFits(record: Record<string, unknown>, partition: unknown[], i: number): void {
    const f = this.partitioner.fields[i];
    const problem = partitionValueProblem(f.resultType, partition[i]);
    if (problem === undefined) return;
    let source: unknown = record;
    for (const name of f.sourcePath) source = (source as Record<string, unknown>)[name];
    const dec = decimalParams(f.resultType);
    const shown = dec && typeof partition[i] === 'bigint' ? bigDecimalToString(partition[i], dec.scale) : String(partition[i]);
    throw new ValueError(
      this.table,
      f.sourcePath.join('.'),
      String(f.sourceType),
      source,
      `the value does not fit its partition: ${f.field.transform} gives ${shown}, which ${problem}; partition field "${f.field.name}" is ${String(f.resultType)}`,
    );
  }

  /**
   * The partitions with their finished batches; the builder starts over empty. A builder that
   * had no rows since the last hand-over is dropped (an idle table holds no column arrays).
   */
  drain(): PartitionBatch[] {
    let out: PartitionBatch[] = [];
    const b = this.builder;
    if (b !== undefined) {
      if (b.rowCount > 0) out = this.split(b.finish());
      else {
        this.builder = undefined;
        this.sources = undefined;
      }
    }
    this.rows = 0;
    this.takenBytes = 0;
    return out;
  }
}
