// Appending records to a table: split them by partition, build typed columns, encode each
// partition's rows to a Parquet file, store it, and commit all files as one snapshot.
//
// This is the write path in one place (batch → parquet → io → commit); the Kafka pipeline
// drives the same steps batch by batch.
import type { Catalog, LoadedTable, TableIdentifier } from '../catalog/catalog.ts';
import { tableName } from '../catalog/catalog.ts';
import { RecordBatchBuilder } from '../batch/record-batch.ts';
import { Partitioner, partitionKey } from '../batch/partitioner.ts';
import type { ColumnBatch } from '../batch/column-batch.ts';
import type { DataFile } from '../iceberg/data-file.ts';
import { currentSchema, defaultSpec } from '../iceberg/metadata-updates.ts';
import { partitionPath, bigDecimalToString } from '../iceberg/transforms.ts';
import { partitionValueCanOverflow, partitionValueProblem } from '../iceberg/partition-value-fits.ts';
import { decimalParams } from '../iceberg/types.ts';
import { ValueError } from '../batch/errors.ts';
import type { Schema } from '../iceberg/types.ts';
import type { PartitionSpec } from '../iceberg/table-metadata.ts';
import { encodeParquet } from '../parquet/encode.ts';
import type { EncodeOptions, EncodeResult } from '../parquet/encode.ts';
import type { FileIO } from '../io/file-io.ts';
import { fileIOFor } from '../io/resolve-file-io.ts';
import { appendFiles } from '../commit/append.ts';
import type { AppendOptions, AppendResult } from '../commit/append.ts';

/** Something that turns a column batch into Parquet bytes: the encoder pool, or inline. */
export interface ParquetEncoder {
  encode(schema: Schema, batch: ColumnBatch, options: EncodeOptions): Promise<EncodeResult>;
}

export const inlineEncoder: ParquetEncoder = {
  encode: async (schema, batch, options) => encodeParquet(schema, batch, options),
};

export interface TableWriterOptions {
  encoder?: ParquetEncoder;
  io?: FileIO;
  /** Parquet options; defaults come from the table's write.parquet.* properties. */
  parquet?: EncodeOptions;
}

export interface PartitionBatch {
  partition: unknown[];
  batch: ColumnBatch;
}

interface OpenPartition {
  partition: unknown[];
  builder: RecordBatchBuilder;
}

export interface PartitionedBatchOptions {
  /**
   * Top-level columns whose values append() takes from its `extras` argument, in this order,
   * instead of the record (RecordBatchBuilder's extraColumns): the Kafka metadata columns,
   * without a merged copy of every record.
   */
  extraColumns?: readonly string[];
}

/**
 * Records split by partition for one table's schema and spec. Builders are kept across
 * drain() (a partition that had rows keeps its builder, which starts the next batch at the last
 * one's size), so a steady stream does not regrow its columns after every flush.
 */
export class PartitionedBatch {
  readonly schema: Schema;
  readonly spec: PartitionSpec;
  readonly table: string;
  private readonly partitioner: Partitioner;
  private readonly parts = new Map<string, OpenPartition>();
  /** The one builder of an unpartitioned table. */
  private single: RecordBatchBuilder | undefined;
  private rows = 0;
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
    this.partitionOnExtras = this.partitioner.fields.some((f) => this.extraColumns.includes(f.sourcePath[0]));
  }

  get rowCount(): number {
    return this.rows;
  }

  get estimatedBytes(): number {
    if (this.single) return this.single.estimatedBytes;
    let n = 0;
    for (const p of this.parts.values()) n += p.builder.estimatedBytes;
    return n;
  }

  private newBuilder(): RecordBatchBuilder {
    return new RecordBatchBuilder(this.schema, this.table, { extraColumns: this.extraColumns });
  }

  /**
   * Adds a record; throws ValueError (and changes nothing) if a value does not fit. `extras`
   * holds the values of the extra columns (see the constructor), overriding the record's own.
   */
  append(record: Record<string, unknown>, extras?: readonly unknown[]): void {
    if (this.partitioner.unpartitioned) {
      (this.single ??= this.newBuilder()).append(record, extras);
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
    const key = partitionKey(partition);
    let part = this.parts.get(key);
    if (!part) {
      part = { partition, builder: this.newBuilder() };
      this.parts.set(key, part);
    }
    part.builder.append(record, extras);
    this.rows++;
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
   * The partitions with their finished batches; the builder starts over empty. Builders of
   * partitions that had rows are kept for the next batch, the others are dropped (so a table
   * partitioned by time does not keep a builder for every hour it ever saw).
   */
  drain(): PartitionBatch[] {
    const out: PartitionBatch[] = [];
    if (this.single) {
      if (this.single.rowCount > 0) out.push({ partition: [], batch: this.single.finish() });
      else this.single = undefined;
    }
    for (const [key, p] of this.parts) {
      if (p.builder.rowCount > 0) out.push({ partition: p.partition, batch: p.builder.finish() });
      else this.parts.delete(key);
    }
    this.rows = 0;
    return out;
  }
}

/** Encodes and stores each partition's batch as one Parquet data file. */
export async function writeDataFiles(
  table: LoadedTable,
  schema: Schema,
  spec: PartitionSpec,
  parts: PartitionBatch[],
  options: TableWriterOptions = {},
): Promise<DataFile[]> {
  const metadata = table.metadata;
  const io = options.io ?? fileIOFor(metadata.location, table.config);
  const encoder = options.encoder ?? inlineEncoder;
  const parquet = { ...parquetOptionsFrom(metadata.properties ?? {}), ...options.parquet };
  const dataDir = metadata.properties?.['write.data.path'] ?? `${metadata.location}/data`;
  return Promise.all(
    parts.map(async ({ partition, batch }) => {
      const { bytes, metrics } = await encoder.encode(schema, batch, parquet);
      const dir = spec.fields.length > 0 ? `${dataDir}/${partitionPath(spec, schema, partition)}` : dataDir;
      const path = `${dir}/${crypto.randomUUID()}.parquet`;
      await io.write(path, bytes);
      const file: DataFile = {
        content: 0,
        'file-path': path,
        'file-format': 'PARQUET',
        partition,
        'file-size-in-bytes': bytes.length,
        ...metrics,
      };
      return file;
    }),
  );
}

/**
 * Appends records to a table as one snapshot (one data file per partition touched).
 * Every record is validated first: a value that does not fit fails the whole call with a
 * ValueError naming table and column, before anything is written.
 */
export async function appendRecords(
  catalog: Catalog,
  id: TableIdentifier,
  records: Iterable<Record<string, unknown>>,
  options: TableWriterOptions & AppendOptions = {},
): Promise<AppendResult> {
  const table = await catalog.loadTable(id);
  const schema = currentSchema(table.metadata);
  const spec = defaultSpec(table.metadata);
  const batch = new PartitionedBatch(tableName(id), schema, spec);
  for (const r of records) batch.append(r);
  const io = options.io ?? fileIOFor(table.metadata.location, table.config);
  const files = await writeDataFiles(table, schema, spec, batch.drain(), { ...options, io });
  return appendFiles(catalog, id, files, { ...options, io, specId: spec['spec-id'] });
}

/** Parquet options from Iceberg's table properties. */
export function parquetOptionsFrom(props: Record<string, string>): EncodeOptions {
  const o: EncodeOptions = {};
  const codec = props['write.parquet.compression-codec'];
  if (codec) {
    const c = codec.toLowerCase();
    if (c !== 'zstd' && c !== 'snappy' && c !== 'gzip' && c !== 'uncompressed') throw new Error(`write.parquet.compression-codec "${codec}" is not supported (zstd, snappy, gzip, uncompressed)`);
    o.compression = c;
  }
  const level = props['write.parquet.compression-level'];
  if (level) o.zstdLevel = Number(level);
  const rowGroupRows = props['write.parquet.row-group-limit'];
  if (rowGroupRows) o.rowGroupRows = Number(rowGroupRows);
  const truncate = /^truncate\((\d+)\)$/.exec(props['write.metadata.metrics.default'] ?? '');
  if (truncate) o.metricsTruncateLength = Number(truncate[1]);
  return o;
}
