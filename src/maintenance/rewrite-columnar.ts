// The rewrite compaction's column path (rewrite-compaction.ts): Parquet files floe wrote for
// the table's CURRENT schema are decoded column chunk by column chunk straight into leaf columns
// (parquet/decode-chunk.ts), joined into row groups (batch/concat-leaf-columns.ts) and encoded
// again, with no rows in between: the same rows come out as through the row path, several
// times faster.
//
// It applies to a file when (whyNotColumnar) floe wrote it (created_by "floe ..."), and its
// Parquet schema is the one floe writes for the current schema, byte for byte (names, physical
// and logical types, repetition, field ids), so every leaf holds exactly what a
// RecordBatchBuilder of the current schema would build for its rows; and every row group has
// those leaves' chunks in order (physical type and path checked). Otherwise (an older schema,
// another writer), or when a page is one floe does not write (UnsupportedPageError), the
// caller takes the row path instead.
//
// Row groups: the decoded row groups of the inputs are gathered (RowGroupGatherer) until their
// in-memory estimate (as a LeafBuilder counts it) reaches the row group size; the row group that
// crosses it is cut at the row where the estimate would reach it (the row path flushes after that
// row), so output row groups are about the same as the row path's. Memory: one input file, one
// decoded row group, and one output row group's decoded pieces plus its joined copy.
import type { ColumnBatch, LeafColumn } from '../batch/column-batch.ts';
import { concatLeafColumns, leafColumnBytes, splitRows } from '../batch/concat-leaf-columns.ts';
import { RecordBatchBuilder } from '../batch/record-batch.ts';
import type { DataFile } from '../iceberg/data-file.ts';
import type { Schema } from '../iceberg/types.ts';
import type { FooterLayout } from '../parquet/footer-layout.ts';
import { fieldBytes, scanFileFooter } from '../parquet/footer-layout.ts';
import { UnsupportedPageError, decodeColumnChunk } from '../parquet/decode-chunk.ts';
import { encodeParquet } from '../parquet/encode.ts';
import { ParquetFooterError } from '../parquet/footer.ts';
import type { LeafDescriptor } from '../parquet/schema.ts';
import { parquetSchema } from '../parquet/schema.ts';

/** What the column path needs of the current schema. */
export interface ColumnarLayout {
  schema: Schema;
  /** The batches' table name (the row path's builder name). */
  tableName: string;
  /** The schema field of the footer floe writes for the schema, as written. */
  schemaBytes: Uint8Array;
  /** The Parquet leaves, in order. */
  parquet: LeafDescriptor[];
  /** One empty leaf column per Parquet leaf, in order (kind, width, levels, paths, field id). */
  leaves: LeafColumn[];
}

const layouts = new WeakMap<Schema, Map<string, ColumnarLayout>>();

/** The layout of a schema (kept while the schema object lives: a run rewrites many groups of one schema). */
export function columnarLayout(schema: Schema, tableName: string): ColumnarLayout {
  let byName = layouts.get(schema);
  if (byName === undefined) layouts.set(schema, (byName = new Map()));
  let layout = byName.get(tableName);
  if (layout === undefined) byName.set(tableName, (layout = makeLayout(schema, tableName)));
  return layout;
}

function makeLayout(schema: Schema, tableName: string): ColumnarLayout {
  const parquet = parquetSchema(schema).leaves;
  const leaves = new RecordBatchBuilder(schema, tableName).finish().columns;
  if (leaves.length !== parquet.length || leaves.some((l, i) => l.fieldId !== parquet[i].fieldId)) {
    throw new Error('the batch builder and the Parquet schema disagree on the leaves'); // both walk the schema in order
  }
  // the schema floe writes: that of a file of no rows
  const empty = encodeParquet(schema, { tableName, rowCount: 0, columns: leaves }).bytes;
  const schemaBytes = (fieldBytes(scanFileFooter(empty), 2) ?? new Uint8Array(0)).slice();
  return { schema, tableName, schemaBytes, parquet, leaves };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
}

/** Why the file cannot take the column path for the layout's schema (see the module comment), or undefined. */
export function whyNotColumnar(footer: FooterLayout, layout: ColumnarLayout): string | undefined {
  if (!footer.createdBy?.startsWith('floe ')) return `not written by floe (created_by ${JSON.stringify(footer.createdBy ?? null)})`;
  if (footer.encrypted) return 'an encrypted footer';
  if (!sameBytes(fieldBytes(footer, 2) ?? new Uint8Array(0), layout.schemaBytes)) return 'its Parquet schema is not the one floe writes for the current schema (another schema)';
  const leaves = layout.parquet;
  for (const [g, group] of footer.rowGroups.entries()) {
    if (group.columns.length !== leaves.length) return `row group ${g} has ${group.columns.length} column chunks, the schema ${leaves.length} leaves`;
    for (const [c, chunk] of group.columns.entries()) {
      const leaf = leaves[c];
      if (chunk.type !== leaf.physical || chunk.path.length !== leaf.path.length || chunk.path.some((p, k) => p !== leaf.path[k])) {
        return `row group ${g} column ${c} (${chunk.path.join('.')}) is not leaf ${leaf.path.join('.')}`;
      }
    }
  }
  return undefined;
}

/** The leaf columns of row group `g` of a file that passed whyNotColumnar. */
export function decodeRowGroup(file: Uint8Array, footer: FooterLayout, g: number, layout: ColumnarLayout): LeafColumn[] {
  const group = footer.rowGroups[g];
  return group.columns.map((chunk, c) => decodeColumnChunk(file, chunk, layout.leaves[c], group.numRows));
}

/**
 * Decoded row groups gathered into output row groups of about `rowGroupBytes` (estimated as a
 * RecordBatchBuilder estimates its rows; see the module comment).
 */
export class RowGroupGatherer {
  private readonly width: number;
  private readonly limit: number;
  private readonly tableName: string;
  private pieces: LeafColumn[][] = [];
  private rows = 0;
  private bytes = 0;

  constructor(leafCount: number, rowGroupBytes: number, tableName: string) {
    this.width = leafCount;
    this.limit = rowGroupBytes;
    this.tableName = tableName;
  }

  get rowCount(): number {
    return this.rows;
  }

  /** Adds `rows` rows (their leaf columns, in leaf order); returns the row groups that filled up. */
  add(columns: LeafColumn[], rows: number): ColumnBatch[] {
    if (columns.length !== this.width) throw new Error(`${columns.length} leaf columns, the schema has ${this.width}`);
    const full: ColumnBatch[] = [];
    let bytes = estimate(columns);
    while (rows > 0) {
      const room = this.limit - this.bytes;
      // the row path flushes after the row that brings the estimate to the limit
      const take = bytes < room ? rows : Math.max(1, Math.ceil(room / (bytes / rows)));
      if (take >= rows) {
        this.push(columns, rows, bytes);
        rows = 0;
      } else {
        const [head, tail] = splitRows(columns, take);
        this.push(head, take, estimate(head));
        columns = tail;
        rows -= take;
        bytes = estimate(tail);
      }
      if (this.bytes >= this.limit) full.push(this.take()!);
    }
    return full;
  }

  private push(columns: LeafColumn[], rows: number, bytes: number): void {
    this.pieces.push(columns);
    this.rows += rows;
    this.bytes += bytes;
  }

  /** The rows gathered so far as one batch (undefined when there are none); starts over empty. */
  take(): ColumnBatch | undefined {
    if (this.rows === 0) return undefined;
    const pieces = this.pieces;
    const columns: LeafColumn[] = [];
    for (let c = 0; c < this.width; c++) columns.push(concatLeafColumns(pieces.map((p) => p[c])));
    const batch: ColumnBatch = { tableName: this.tableName, rowCount: this.rows, columns };
    this.pieces = [];
    this.rows = 0;
    this.bytes = 0;
    return batch;
  }
}

function estimate(columns: LeafColumn[]): number {
  let b = 0;
  for (const c of columns) b += leafColumnBytes(c);
  return b;
}

/** Where the column path writes: the rewrite's output files (rewrite-compaction.ts). */
export interface ColumnarSink {
  write(batch: ColumnBatch): Promise<void>;
  finishFile(): Promise<void>;
}

export interface ColumnarRewrite {
  layout: ColumnarLayout;
  rowGroupBytes: number;
  /** Start a new output file once this many input bytes went into the current one. */
  targetBytes: number;
  read(input: DataFile): Promise<Uint8Array>;
}

/** Why the column path stopped, at which input, and that input's bytes (for the row path to reuse). */
export interface NotColumnar {
  reason: string;
  index: number;
  bytes?: Uint8Array;
}

/**
 * Rewrites the inputs by the column path into `sink`: undefined when done; a NotColumnar when an
 * input does not fit the path (what was written must then be dropped by the caller). Malformed
 * pages (PageDecodeError) and I/O errors are thrown.
 */
export async function rewriteColumnar(inputs: DataFile[], r: ColumnarRewrite, sink: ColumnarSink): Promise<NotColumnar | undefined> {
  const gather = new RowGroupGatherer(r.layout.leaves.length, r.rowGroupBytes, r.layout.tableName);
  let bytesIn = 0;
  for (const [index, input] of inputs.entries()) {
    const path = input['file-path'];
    if (input['file-format'] !== 'PARQUET') return { reason: `${path} is ${input['file-format']}`, index };
    const bytes = await r.read(input);
    let footer: FooterLayout;
    try {
      footer = scanFileFooter(bytes);
    } catch (err) {
      if (err instanceof ParquetFooterError) return { reason: `${path}: ${err.message}`, index, bytes };
      throw err;
    }
    const why = whyNotColumnar(footer, r.layout);
    if (why !== undefined) return { reason: `${path}: ${why}`, index, bytes };
    for (let g = 0; g < footer.rowGroups.length; g++) {
      const rows = footer.rowGroups[g].numRows;
      if (rows === 0) continue;
      let columns: LeafColumn[];
      try {
        columns = decodeRowGroup(bytes, footer, g, r.layout);
      } catch (err) {
        if (err instanceof UnsupportedPageError) return { reason: `${path}: ${err.message}`, index, bytes };
        throw err;
      }
      for (const batch of gather.add(columns, rows)) await sink.write(batch);
    }
    bytesIn += input['file-size-in-bytes'];
    if (bytesIn >= r.targetBytes) {
      const batch = gather.take();
      if (batch) await sink.write(batch);
      await sink.finishFile();
      bytesIn = 0;
    }
  }
  const batch = gather.take();
  if (batch) await sink.write(batch);
  await sink.finishFile();
  return undefined;
}
