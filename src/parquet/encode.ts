// ColumnBatch → one Parquet file (bytes) and its Iceberg metrics.
//
// Layout: "PAR1", row groups (each a column chunk per leaf, in schema order), the Thrift
// compact FileMetaData footer, its 4-byte length, "PAR1". The footer carries the Parquet
// schema with Iceberg field ids at every level, column statistics (null count, min/max), a
// type-defined column order per leaf, and the Iceberg schema as JSON under "iceberg.schema"
// (as Iceberg's own writer does).

import type { ColumnBatch, LeafColumn } from '../batch/column-batch.ts';
import type { DataFileMetrics } from '../iceberg/data-file.ts';
import type { Schema } from '../iceberg/types.ts';
import { ByteWriter } from './byte-writer.ts';
import type { ChunkResult } from './column-chunk.ts';
import { writeColumnChunk } from './column-chunk.ts';
import type { Compression } from './compress.ts';
import { CODEC_ID, compressor } from './compress.ts';
import { icebergBounds } from './metrics.ts';
import type { LogicalType, ParquetSchema, SchemaElement } from './schema.ts';
import { parquetSchema } from './schema.ts';
import type { ColumnStats } from './statistics.ts';
import { columnStats, countNulls } from './statistics.ts';
import { CT, CompactWriter } from './thrift.ts';

export interface EncodeOptions {
  /** Rows per row group (default 1,048,576). */
  rowGroupRows?: number;
  compression?: Compression;
  /** zstd level (default 3). */
  zstdLevel?: number;
  /** Code points (strings) / bytes (binary) kept in lower/upper bounds (default 16). */
  metricsTruncateLength?: number;
  /** Target uncompressed size of a data page (default 1 MiB). */
  pageBytes?: number;
}

export interface EncodeResult {
  bytes: Uint8Array;
  metrics: DataFileMetrics;
}

export const CREATED_BY = 'floe version 0.1.0';
const MAGIC = new TextEncoder().encode('PAR1');
const MAX_STAT_BYTES = 4096;

interface ChunkMeta {
  col: LeafColumn;
  physical: number;
  path: string[];
  result: ChunkResult;
  start: number;
  stats: ColumnStats;
}

function checkLayout(ps: ParquetSchema, batch: ColumnBatch): void {
  const cols = batch.columns;
  if (cols.length !== ps.leaves.length) throw new Error(`batch has ${cols.length} leaf columns, schema has ${ps.leaves.length}`);
  for (let i = 0; i < cols.length; i++) {
    const a = cols[i];
    const b = ps.leaves[i];
    if (a.fieldId !== b.fieldId || a.maxDef !== b.maxDef || a.maxRep !== b.maxRep || a.type !== b.icebergType) {
      throw new Error(`batch column ${a.columnPath} (id ${a.fieldId}) does not match schema leaf ${b.path.join('.')} (id ${b.fieldId})`);
    }
  }
}

/** Level and value index where each row group starts, per column. */
function rowGroupStarts(col: LeafColumn, rowStarts: number[]): { levels: number[]; values: number[] } {
  const levels: number[] = [];
  const values: number[] = [];
  let rowsStarted = 0; // level entries with repetition level 0 in [0, lv)
  let lv = 0;
  let v = 0;
  const rep = col.rep;
  const def = col.def;
  const maxDef = col.maxDef;
  for (const target of rowStarts) {
    if (rep === null) {
      // one level entry per row
      if (def === null) v = target;
      else for (; lv < target; lv++) if (def[lv] === maxDef) v++;
      lv = target;
    } else {
      // advance to the level entry that begins row `target`
      while (lv < col.levelCount) {
        if (rep[lv] === 0) {
          if (rowsStarted === target) break;
          rowsStarted++;
        }
        if (def === null || def[lv] === maxDef) v++;
        lv++;
      }
    }
    levels.push(lv);
    values.push(v);
  }
  levels.push(col.levelCount);
  values.push(col.valueCount);
  return { levels, values };
}

export function encodeParquet(schema: Schema, batch: ColumnBatch, options: EncodeOptions = {}): EncodeResult {
  const rowGroupRows = options.rowGroupRows ?? 1 << 20;
  const compression = options.compression ?? 'zstd';
  const compress = compressor(compression, options.zstdLevel ?? 3);
  const truncateLength = options.metricsTruncateLength ?? 16;
  const pageBytes = options.pageBytes ?? 1 << 20;
  const ps = parquetSchema(schema);
  checkLayout(ps, batch);

  // an empty batch is a file with no row groups
  const rowStarts: number[] = [];
  for (let r = 0; r < batch.rowCount; r += rowGroupRows) rowStarts.push(r);
  const groups = rowStarts.length;
  const starts = batch.columns.map((c) => rowGroupStarts(c, rowStarts));

  // file-level statistics (also the chunk statistics when there is one row group)
  const fileStats: ColumnStats[] = batch.columns.map((c) => columnStats(c, 0, c.valueCount, countNulls(c, 0, c.levelCount)));

  const parts: Uint8Array[] = [MAGIC];
  let offset = MAGIC.length;
  const scratch = new ByteWriter(1 << 20);
  const rowGroups: { chunks: ChunkMeta[]; rows: number; start: number }[] = [];
  for (let g = 0; g < groups; g++) {
    const chunks: ChunkMeta[] = [];
    const groupStart = offset;
    for (let c = 0; c < batch.columns.length; c++) {
      const col = batch.columns[c];
      const l0 = starts[c].levels[g], l1 = starts[c].levels[g + 1];
      const v0 = starts[c].values[g], v1 = starts[c].values[g + 1];
      const result = writeColumnChunk(col, l0, l1, v0, { compress, pageBytes }, scratch);
      const stats = groups === 1 ? fileStats[c] : columnStats(col, v0, v1, countNulls(col, l0, l1));
      chunks.push({ col, physical: ps.leaves[c].physical, path: ps.leaves[c].path, result, start: offset, stats });
      for (const p of result.parts) parts.push(p);
      offset += result.byteLength;
    }
    const rows = Math.min(rowGroupRows, batch.rowCount - rowStarts[g]);
    rowGroups.push({ chunks, rows, start: groupStart });
  }

  const footer = writeFooter(ps.elements, rowGroups, batch.rowCount, compression, schema);
  parts.push(footer);
  const tail = new Uint8Array(8);
  new DataView(tail.buffer).setInt32(0, footer.length, true);
  tail.set(MAGIC, 4);
  parts.push(tail);
  offset += footer.length + 8;

  const bytes = new Uint8Array(offset);
  let p = 0;
  for (const part of parts) {
    bytes.set(part, p);
    p += part.length;
  }

  // Iceberg metrics
  const metrics: DataFileMetrics = {
    'record-count': batch.rowCount,
    'column-sizes': new Map(),
    'value-counts': new Map(),
    'null-value-counts': new Map(),
    'nan-value-counts': new Map(),
    'lower-bounds': new Map(),
    'upper-bounds': new Map(),
    'split-offsets': rowGroups.map((g) => g.start),
  };
  batch.columns.forEach((col, c) => {
    let size = 0;
    for (const g of rowGroups) size += g.chunks[c].result.compressedSize;
    const id = col.fieldId;
    metrics['column-sizes'].set(id, size);
    metrics['value-counts'].set(id, col.levelCount);
    metrics['null-value-counts'].set(id, fileStats[c].nullCount);
    if (col.kind === 'float' || col.kind === 'double') metrics['nan-value-counts'].set(id, fileStats[c].nanCount);
    const { lower, upper } = icebergBounds(col, fileStats[c], truncateLength);
    if (lower !== undefined) metrics['lower-bounds'].set(id, lower);
    if (upper !== undefined) metrics['upper-bounds'].set(id, upper);
  });
  return { bytes, metrics };
}

// ---- footer ----

function writeLogical(w: CompactWriter, l: LogicalType): void {
  w.struct(10);
  switch (l.kind) {
    case 'STRING':
      w.struct(1).end();
      break;
    case 'MAP':
      w.struct(2).end();
      break;
    case 'LIST':
      w.struct(3).end();
      break;
    case 'DECIMAL':
      w.struct(5).i32(1, l.scale).i32(2, l.precision).end();
      break;
    case 'DATE':
      w.struct(6).end();
      break;
    case 'TIME':
    case 'TIMESTAMP':
      w.struct(l.kind === 'TIME' ? 7 : 8)
        .bool(1, l.utc)
        .struct(2)
        .struct(l.unit === 'MICROS' ? 2 : 3)
        .end()
        .end()
        .end();
      break;
    case 'UUID':
      w.struct(14).end();
      break;
  }
  w.end();
}

function writeSchemaElement(w: CompactWriter, e: SchemaElement): void {
  w.beginElem();
  if (e.type !== undefined) w.i32(1, e.type);
  if (e.typeLength !== undefined) w.i32(2, e.typeLength);
  if (e.repetition !== undefined) w.i32(3, e.repetition);
  w.binary(4, e.name);
  if (e.numChildren !== undefined) w.i32(5, e.numChildren);
  if (e.convertedType !== undefined) w.i32(6, e.convertedType);
  if (e.scale !== undefined) w.i32(7, e.scale);
  if (e.precision !== undefined) w.i32(8, e.precision);
  if (e.fieldId !== undefined) w.i32(9, e.fieldId);
  if (e.logical !== undefined) writeLogical(w, e.logical);
  w.end();
}

function writeStatistics(w: CompactWriter, s: ColumnStats): void {
  w.struct(12);
  w.i64(3, s.nullCount);
  if (s.min !== undefined && s.max !== undefined && s.min.length <= MAX_STAT_BYTES && s.max.length <= MAX_STAT_BYTES) {
    w.binary(5, s.max);
    w.binary(6, s.min);
  }
  w.end();
}

function writeFooter(
  elements: SchemaElement[],
  rowGroups: { chunks: ChunkMeta[]; rows: number; start: number }[],
  numRows: number,
  compression: Compression,
  schema: Schema,
): Uint8Array {
  const w = new CompactWriter(new ByteWriter(4096));
  w.i32(1, 1);
  w.list(2, CT.STRUCT, elements.length);
  for (const e of elements) writeSchemaElement(w, e);
  w.i64(3, numRows);
  w.list(4, CT.STRUCT, rowGroups.length);
  for (const g of rowGroups) {
    w.beginElem();
    w.list(1, CT.STRUCT, g.chunks.length);
    let total = 0;
    let totalCompressed = 0;
    for (const ch of g.chunks) {
      const r = ch.result;
      total += r.uncompressedSize;
      totalCompressed += r.compressedSize;
      w.beginElem();
      w.i64(2, ch.start);
      w.struct(3);
      w.i32(1, ch.physical);
      w.list(2, CT.I32, r.encodings.length);
      for (const e of r.encodings) w.elemI32(e);
      w.list(3, CT.BINARY, ch.path.length);
      for (const s of ch.path) w.elemBinary(s);
      w.i32(4, CODEC_ID[compression]);
      w.i64(5, r.numValues);
      w.i64(6, r.uncompressedSize);
      w.i64(7, r.compressedSize);
      w.i64(9, ch.start + r.dataPageOffset);
      if (r.dictionaryPageOffset !== undefined) w.i64(11, ch.start + r.dictionaryPageOffset);
      writeStatistics(w, ch.stats);
      w.end(); // ColumnMetaData
      w.end(); // ColumnChunk
    }
    w.i64(2, total);
    w.i64(3, g.rows);
    w.i64(5, g.start);
    w.i64(6, totalCompressed);
    w.end();
  }
  w.list(5, CT.STRUCT, 1);
  w.beginElem().binary(1, 'iceberg.schema').binary(2, JSON.stringify(schema)).end();
  w.binary(6, CREATED_BY);
  const leafCount = rowGroups[0]?.chunks.length ?? elements.filter((e) => e.type !== undefined).length;
  w.list(7, CT.STRUCT, leafCount);
  for (let i = 0; i < leafCount; i++) w.beginElem().struct(1).end().end();
  return w.finish().slice();
}
