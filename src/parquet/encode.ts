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
import { writeColumnChunk } from './column-chunk.ts';
import type { Compression } from './compress.ts';
import { CODEC_ID, compressor } from './compress.ts';
import { icebergBounds } from './metrics.ts';
import type { LogicalType, ParquetSchema, SchemaElement } from './schema.ts';
import { parquetSchema } from './schema.ts';
import type { ColumnStats } from './statistics.ts';
import { columnStats, countNulls, mergeStats } from './statistics.ts';
import { CT, CompactWriter } from './thrift.ts';
import { FLOE_VERSION } from '../version.ts';

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

export const CREATED_BY = `floe version ${FLOE_VERSION}`;
const MAGIC = new TextEncoder().encode('PAR1');
const MAX_STAT_BYTES = 4096;

type ChunkMeta = EncodedChunk;

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

/** One column chunk of an encoded row group, without its pages (those are in the bytes). */
export interface EncodedChunk {
  physical: number;
  path: string[];
  /** Offset of the chunk from the start of the encoded bytes. */
  start: number;
  numValues: number;
  uncompressedSize: number;
  compressedSize: number;
  /** Relative to the chunk start. */
  dataPageOffset: number;
  dictionaryPageOffset: number | undefined;
  encodings: number[];
  stats: ColumnStats;
}

/** What the Iceberg metrics need of a leaf besides its statistics. */
export interface EncodedColumn {
  fieldId: number;
  kind: LeafColumn['kind'];
  type: LeafColumn['type'];
  maxRep: number;
  /** Level entries in these row groups (Iceberg's value count). */
  levelCount: number;
}

/**
 * A batch encoded as one or more consecutive row groups (split every `rowGroupRows` rows),
 * without the file's magic and footer: what a worker thread sends back, and what a
 * ParquetFileAssembler appends to a file. Plain data, so it can be posted between threads.
 */
export interface EncodedRowGroups {
  bytes: Uint8Array;
  groups: { rows: number; start: number; chunks: EncodedChunk[] }[];
  columns: EncodedColumn[];
}

/**
 * The page buffer of encodeRowGroups, kept from call to call (pages are copied out of it):
 * a commit of a thousand partitions encodes a thousand small batches, each of which would
 * otherwise allocate (and zero) a MiB.
 */
let sharedScratch: ByteWriter | undefined;

/**
 * A schema's Parquet layout and JSON (for the footer), worked out once per schema object: a
 * commit of a thousand partitions writes a thousand files of the same schema. Not to be changed
 * by callers.
 */
const layouts = new WeakMap<Schema, { ps: ParquetSchema; json: Uint8Array }>();
function layoutOf(schema: Schema): { ps: ParquetSchema; json: Uint8Array } {
  let l = layouts.get(schema);
  if (l === undefined) {
    l = { ps: parquetSchema(schema), json: new TextEncoder().encode(JSON.stringify(schema)) };
    layouts.set(schema, l);
  }
  return l;
}

export function encodeRowGroups(schema: Schema, batch: ColumnBatch, options: EncodeOptions = {}): EncodedRowGroups {
  const rowGroupRows = options.rowGroupRows ?? 1 << 20;
  const compress = compressor(options.compression ?? 'zstd', options.zstdLevel ?? 3);
  const pageBytes = options.pageBytes ?? 1 << 20;
  const ps = layoutOf(schema).ps;
  checkLayout(ps, batch);

  const rowStarts: number[] = [];
  for (let r = 0; r < batch.rowCount; r += rowGroupRows) rowStarts.push(r);
  const groupCount = rowStarts.length;
  const starts = batch.columns.map((c) => rowGroupStarts(c, rowStarts));

  const parts: Uint8Array[] = [];
  let offset = 0;
  const scratch = (sharedScratch ??= new ByteWriter(1 << 20));
  const groups: EncodedRowGroups['groups'] = [];
  for (let g = 0; g < groupCount; g++) {
    const chunks: EncodedChunk[] = [];
    const groupStart = offset;
    for (let c = 0; c < batch.columns.length; c++) {
      const col = batch.columns[c];
      const l0 = starts[c].levels[g],
        l1 = starts[c].levels[g + 1];
      const v0 = starts[c].values[g],
        v1 = starts[c].values[g + 1];
      const r = writeColumnChunk(col, l0, l1, v0, { compress, pageBytes }, scratch);
      chunks.push({
        physical: ps.leaves[c].physical,
        path: ps.leaves[c].path,
        start: offset,
        numValues: r.numValues,
        uncompressedSize: r.uncompressedSize,
        compressedSize: r.compressedSize,
        dataPageOffset: r.dataPageOffset,
        dictionaryPageOffset: r.dictionaryPageOffset,
        encodings: r.encodings,
        stats: columnStats(col, v0, v1, countNulls(col, l0, l1)),
      });
      for (const p of r.parts) parts.push(p);
      offset += r.byteLength;
    }
    groups.push({ rows: Math.min(rowGroupRows, batch.rowCount - rowStarts[g]), start: groupStart, chunks });
  }
  const bytes = new Uint8Array(offset);
  let p = 0;
  for (const part of parts) {
    bytes.set(part, p);
    p += part.length;
  }
  const columns = batch.columns.map((c) => ({ fieldId: c.fieldId, kind: c.kind, type: c.type, maxRep: c.maxRep, levelCount: c.levelCount }));
  return { bytes, groups, columns };
}

/**
 * The parts of one Parquet file around its row groups: the leading magic, then row groups as
 * they are appended (encoded anywhere, e.g. in a worker thread), then the footer and the
 * Iceberg metrics. File-level statistics are the merge of the row groups' statistics.
 */
export class ParquetFileAssembler {
  private readonly schema: Schema;
  private readonly compression: Compression;
  private readonly truncateLength: number;
  private readonly rowGroups: { chunks: ChunkMeta[]; rows: number; start: number }[] = [];
  private columns: (EncodedColumn & { stats: ColumnStats; size: number })[] | undefined;
  private rows = 0;
  /** Bytes of the file so far (the magic included). */
  offset = 0;

  constructor(schema: Schema, options: EncodeOptions = {}) {
    this.schema = schema;
    this.compression = options.compression ?? 'zstd';
    this.truncateLength = options.metricsTruncateLength ?? 16;
  }

  /** The file's first bytes. */
  head(): Uint8Array {
    if (this.offset !== 0) throw new Error('ParquetFileAssembler: head() twice');
    this.offset = MAGIC.length;
    return MAGIC;
  }

  /** Records row groups whose bytes the caller appends to the file right after the last ones. */
  add(encoded: EncodedRowGroups): void {
    if (this.offset === 0) throw new Error('ParquetFileAssembler: add() before head()');
    const base = this.offset;
    for (const g of encoded.groups) {
      const chunks = g.chunks.map((ch) => ({ ...ch, start: base + ch.start }));
      this.rowGroups.push({ chunks, rows: g.rows, start: base + g.start });
      this.rows += g.rows;
      this.columns ??= encoded.columns.map((c) => ({ ...c, levelCount: 0, stats: { nullCount: 0, nanCount: 0 }, size: 0 }));
      g.chunks.forEach((ch, i) => {
        const c = this.columns![i];
        c.size += ch.compressedSize;
        c.stats = mergeStats(c, c.stats, ch.stats);
      });
    }
    if (this.columns !== undefined) encoded.columns.forEach((c, i) => (this.columns![i].levelCount += c.levelCount));
    this.offset += encoded.bytes.length;
  }

  /** The footer, its length and the closing magic: the file's last bytes. */
  tail(): Uint8Array {
    if (this.offset === 0) this.head();
    const { ps, json } = layoutOf(this.schema);
    const footer = writeFooter(ps.elements, this.rowGroups, this.rows, this.compression, json);
    const out = new Uint8Array(footer.length + 8);
    out.set(footer, 0);
    new DataView(out.buffer).setInt32(footer.length, footer.length, true);
    out.set(MAGIC, footer.length + 4);
    this.offset += out.length;
    return out;
  }

  /** Iceberg metrics of the row groups added (call after tail()). */
  metrics(): DataFileMetrics {
    const metrics: DataFileMetrics = {
      'record-count': this.rows,
      'column-sizes': new Map(),
      'value-counts': new Map(),
      'null-value-counts': new Map(),
      'nan-value-counts': new Map(),
      'lower-bounds': new Map(),
      'upper-bounds': new Map(),
      'split-offsets': this.rowGroups.map((g) => g.start),
    };
    for (const col of this.columns ?? []) {
      const id = col.fieldId;
      metrics['column-sizes'].set(id, col.size);
      metrics['value-counts'].set(id, col.levelCount);
      metrics['null-value-counts'].set(id, col.stats.nullCount);
      if (col.kind === 'float' || col.kind === 'double') metrics['nan-value-counts'].set(id, col.stats.nanCount);
      const { lower, upper } = icebergBounds(col, col.stats, this.truncateLength);
      if (lower !== undefined) metrics['lower-bounds'].set(id, lower);
      if (upper !== undefined) metrics['upper-bounds'].set(id, upper);
    }
    return metrics;
  }
}

/** One Parquet file in memory. */
export function encodeParquet(schema: Schema, batch: ColumnBatch, options: EncodeOptions = {}): EncodeResult {
  const file = new ParquetFileAssembler(schema, options);
  const head = file.head();
  const encoded = encodeRowGroups(schema, batch, options);
  file.add(encoded);
  const tail = file.tail();
  const bytes = new Uint8Array(file.offset);
  bytes.set(head, 0);
  bytes.set(encoded.bytes, head.length);
  bytes.set(tail, head.length + encoded.bytes.length);
  return { bytes, metrics: file.metrics() };
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

function writeFooter(elements: SchemaElement[], rowGroups: { chunks: ChunkMeta[]; rows: number; start: number }[], numRows: number, compression: Compression, schemaJson: Uint8Array): Uint8Array {
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
      const r = ch;
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
  w.beginElem().binary(1, 'iceberg.schema').binary(2, schemaJson).end();
  w.binary(6, CREATED_BY);
  const leafCount = rowGroups[0]?.chunks.length ?? elements.filter((e) => e.type !== undefined).length;
  w.list(7, CT.STRUCT, leafCount);
  for (let i = 0; i < leafCount; i++) w.beginElem().struct(1).end().end();
  return w.finish().slice();
}
