// Reading a Parquet file's footer (FileMetaData, parquet.thrift) as floe's encoder writes it
// (encode.ts): the schema elements with their Iceberg field ids, the row groups and their column
// chunks (offsets, sizes, codec, statistics), the key-value metadata and created_by.
//
// The typed view is what callers look at; `raw` is the decoded thrift tree, kept whole so that a
// footer can be written back with only a few fields changed (stitch: offsets shifted) and every
// field this file does not name (column orders, encoding stats, ...) as it was.
//
// Field ids (parquet.thrift):
//   FileMetaData   1 version, 2 schema, 3 num_rows, 4 row_groups, 5 key_value_metadata,
//                  6 created_by, 7 column_orders, 8 encryption_algorithm
//   SchemaElement  1 type, 2 type_length, 3 repetition_type, 4 name, 5 num_children,
//                  6 converted_type, 7 scale, 8 precision, 9 field_id, 10 logicalType
//   RowGroup       1 columns, 2 total_byte_size, 3 num_rows, 5 file_offset,
//                  6 total_compressed_size, 7 ordinal
//   ColumnChunk    1 file_path, 2 file_offset, 3 meta_data, 4/5 offset index, 6/7 column index
//   ColumnMetaData 1 type, 2 encodings, 3 path_in_schema, 4 codec, 5 num_values,
//                  6 total_uncompressed_size, 7 total_compressed_size, 9 data_page_offset,
//                  10 index_page_offset, 11 dictionary_page_offset, 12 statistics,
//                  14/15 bloom filter
//   Statistics     1 max, 2 min, 3 null_count, 4 distinct_count, 5 max_value, 6 min_value

import type { ThriftList, ThriftStruct, ThriftValue } from './thrift-reader.ts';
import { ThriftDecodeError, encodeThriftStruct, readThriftStruct } from './thrift-reader.ts';
import { FloeError } from '../errors.ts';

export const PARQUET_MAGIC = new TextEncoder().encode('PAR1');
const utf8 = new TextDecoder();

export interface FooterSchemaElement {
  name: string;
  type?: number;
  typeLength?: number;
  repetition?: number;
  numChildren?: number;
  convertedType?: number;
  scale?: number;
  precision?: number;
  fieldId?: number;
  /** The LogicalType union's member id (1 STRING, 5 DECIMAL, 8 TIMESTAMP, ...), if any. */
  logicalType?: number;
}

export interface FooterStatistics {
  nullCount?: number;
  distinctCount?: number;
  /** Deprecated min/max (signed order); floe writes max_value/min_value. */
  max?: Uint8Array;
  min?: Uint8Array;
  maxValue?: Uint8Array;
  minValue?: Uint8Array;
}

export interface FooterColumnChunk {
  filePath?: string;
  fileOffset: number;
  /** Physical type. */
  type: number;
  encodings: number[];
  path: string[];
  codec: number;
  numValues: number;
  totalUncompressedSize: number;
  totalCompressedSize: number;
  dataPageOffset: number;
  indexPageOffset?: number;
  dictionaryPageOffset?: number;
  statistics?: FooterStatistics;
  offsetIndexOffset?: number;
  columnIndexOffset?: number;
  bloomFilterOffset?: number;
}

export interface FooterRowGroup {
  columns: FooterColumnChunk[];
  totalByteSize: number;
  numRows: number;
  fileOffset?: number;
  totalCompressedSize?: number;
  ordinal?: number;
}

export interface ParquetFooter {
  version: number;
  schema: FooterSchemaElement[];
  numRows: number;
  rowGroups: FooterRowGroup[];
  keyValueMetadata: { key: string; value?: string }[];
  createdBy?: string;
  encrypted: boolean;
  /** The FileMetaData tree as decoded. */
  raw: ThriftStruct;
}

export class ParquetFooterError extends FloeError {
  constructor(message: string, cause?: unknown) {
    super('fatal', message, { cause });
  }
}

// ---- tree access ----

export function field(s: ThriftStruct, id: number): ThriftValue | undefined {
  return s.fields.get(id)?.value;
}

function num(s: ThriftStruct, id: number, what: string): number | undefined {
  const v = field(s, id);
  if (v === undefined) return undefined;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') {
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw new ParquetFooterError(`${what}: ${v} is beyond 2^53`);
    return Number(v);
  }
  throw new ParquetFooterError(`${what}: expected an integer`);
}

function req(s: ThriftStruct, id: number, what: string): number {
  const v = num(s, id, what);
  if (v === undefined) throw new ParquetFooterError(`${what} is missing`);
  return v;
}

function str(s: ThriftStruct, id: number): string | undefined {
  const v = field(s, id);
  return v instanceof Uint8Array ? utf8.decode(v) : undefined;
}

function bin(s: ThriftStruct, id: number): Uint8Array | undefined {
  const v = field(s, id);
  return v instanceof Uint8Array ? v : undefined;
}

export function structs(s: ThriftStruct, id: number): ThriftStruct[] {
  const v = field(s, id) as ThriftList | undefined;
  if (v === undefined) return [];
  if (typeof v !== 'object' || !('kind' in v) || v.kind !== 'list') throw new ParquetFooterError(`field ${id}: expected a list`);
  return v.items as ThriftStruct[];
}

function list<T>(s: ThriftStruct, id: number): T[] {
  const v = field(s, id) as ThriftList | undefined;
  return v === undefined ? [] : (v.items as T[]);
}

// ---- typed view ----

function schemaElement(e: ThriftStruct): FooterSchemaElement {
  const out: FooterSchemaElement = { name: str(e, 4) ?? '' };
  const set = (k: keyof FooterSchemaElement, id: number) => {
    const v = num(e, id, `schema element ${out.name} field ${id}`);
    if (v !== undefined) (out as unknown as Record<string, number>)[k] = v;
  };
  set('type', 1);
  set('typeLength', 2);
  set('repetition', 3);
  set('numChildren', 5);
  set('convertedType', 6);
  set('scale', 7);
  set('precision', 8);
  set('fieldId', 9);
  const logical = field(e, 10) as ThriftStruct | undefined;
  if (logical) out.logicalType = [...logical.fields.keys()][0];
  return out;
}

function statistics(s: ThriftStruct): FooterStatistics {
  const out: FooterStatistics = {};
  const nc = num(s, 3, 'null_count');
  if (nc !== undefined) out.nullCount = nc;
  const dc = num(s, 4, 'distinct_count');
  if (dc !== undefined) out.distinctCount = dc;
  const max = bin(s, 1);
  if (max) out.max = max;
  const min = bin(s, 2);
  if (min) out.min = min;
  const maxValue = bin(s, 5);
  if (maxValue) out.maxValue = maxValue;
  const minValue = bin(s, 6);
  if (minValue) out.minValue = minValue;
  return out;
}

function columnChunk(c: ThriftStruct, where: string): FooterColumnChunk {
  const md = field(c, 3) as ThriftStruct | undefined;
  if (!md) throw new ParquetFooterError(`${where}: no column metadata (encrypted column?)`);
  const path = list<Uint8Array>(md, 3).map((b) => utf8.decode(b));
  const w = `${where} (${path.join('.')})`;
  const out: FooterColumnChunk = {
    fileOffset: req(c, 2, `${w} file_offset`),
    type: req(md, 1, `${w} type`),
    encodings: list<number>(md, 2),
    path,
    codec: req(md, 4, `${w} codec`),
    numValues: req(md, 5, `${w} num_values`),
    totalUncompressedSize: req(md, 6, `${w} total_uncompressed_size`),
    totalCompressedSize: req(md, 7, `${w} total_compressed_size`),
    dataPageOffset: req(md, 9, `${w} data_page_offset`),
  };
  const filePath = str(c, 1);
  if (filePath !== undefined) out.filePath = filePath;
  const opt = (k: 'indexPageOffset' | 'dictionaryPageOffset' | 'bloomFilterOffset' | 'offsetIndexOffset' | 'columnIndexOffset', s: ThriftStruct, id: number) => {
    const v = num(s, id, `${w} field ${id}`);
    if (v !== undefined) out[k] = v;
  };
  opt('indexPageOffset', md, 10);
  opt('dictionaryPageOffset', md, 11);
  opt('bloomFilterOffset', md, 14);
  opt('offsetIndexOffset', c, 4);
  opt('columnIndexOffset', c, 6);
  const stats = field(md, 12) as ThriftStruct | undefined;
  if (stats) out.statistics = statistics(stats);
  return out;
}

/** The typed view of a decoded FileMetaData tree. */
export function footerFromThrift(raw: ThriftStruct): ParquetFooter {
  const rowGroups = structs(raw, 4).map((g, i): FooterRowGroup => {
    const out: FooterRowGroup = {
      columns: structs(g, 1).map((c, j) => columnChunk(c, `row group ${i} column ${j}`)),
      totalByteSize: req(g, 2, `row group ${i} total_byte_size`),
      numRows: req(g, 3, `row group ${i} num_rows`),
    };
    const fo = num(g, 5, `row group ${i} file_offset`);
    if (fo !== undefined) out.fileOffset = fo;
    const tc = num(g, 6, `row group ${i} total_compressed_size`);
    if (tc !== undefined) out.totalCompressedSize = tc;
    const ord = num(g, 7, `row group ${i} ordinal`);
    if (ord !== undefined) out.ordinal = ord;
    return out;
  });
  const footer: ParquetFooter = {
    version: req(raw, 1, 'version'),
    schema: structs(raw, 2).map(schemaElement),
    numRows: req(raw, 3, 'num_rows'),
    rowGroups,
    keyValueMetadata: structs(raw, 5).map((kv) => {
      const e: { key: string; value?: string } = { key: str(kv, 1) ?? '' };
      const v = str(kv, 2);
      if (v !== undefined) e.value = v;
      return e;
    }),
    encrypted: raw.fields.has(8),
    raw,
  };
  const createdBy = str(raw, 6);
  if (createdBy !== undefined) footer.createdBy = createdBy;
  return footer;
}

/** Decodes footer bytes (the FileMetaData struct alone). */
export function decodeFooter(bytes: Uint8Array): ParquetFooter {
  let struct: ThriftStruct;
  try {
    ({ struct } = readThriftStruct(bytes, 0));
  } catch (err) {
    if (err instanceof ThriftDecodeError) throw new ParquetFooterError(`bad Parquet footer: ${err.message}`, err);
    throw err;
  }
  return footerFromThrift(struct);
}

/** Length of the footer from a file's last 8 bytes (footer length, "PAR1"). */
export function footerLength(tail: Uint8Array, fileSize: number): number {
  if (tail.length < 8) throw new ParquetFooterError('a Parquet file ends with 8 bytes (footer length, "PAR1")');
  const t = tail.subarray(tail.length - 8);
  for (let i = 0; i < 4; i++) if (t[4 + i] !== PARQUET_MAGIC[i]) throw new ParquetFooterError('not a Parquet file (no "PAR1" at the end; "PARE" is an encrypted footer)');
  const n = new DataView(t.buffer, t.byteOffset, 8).getUint32(0, true);
  if (n + 12 > fileSize) throw new ParquetFooterError(`footer length ${n} does not fit a file of ${fileSize} bytes`);
  return n;
}

/** The footer of a whole Parquet file in memory. */
export function readFooter(file: Uint8Array): ParquetFooter {
  if (file.length < 12) throw new ParquetFooterError(`a Parquet file has at least 12 bytes, got ${file.length}`);
  for (let i = 0; i < 4; i++) if (file[i] !== PARQUET_MAGIC[i]) throw new ParquetFooterError('not a Parquet file (no "PAR1" at the start)');
  const n = footerLength(file, file.length);
  return decodeFooter(file.subarray(file.length - 8 - n, file.length - 8));
}

/** What readFooterFrom needs of a FileIO (io/file-io.ts; parquet/ does not import io/). */
export interface FooterSource {
  read(location: string): Promise<Uint8Array>;
  readRange?(location: string, offset: number, length: number): Promise<Uint8Array>;
}

/** The footer of a Parquet file through FileIO: two ranged reads when it has them, else the whole file. */
export async function readFooterFrom(io: FooterSource, location: string, fileSize?: number): Promise<{ footer: ParquetFooter; footerStart: number }> {
  if (io.readRange && fileSize !== undefined) {
    const tail = await io.readRange(location, fileSize - 8, 8);
    const n = footerLength(tail, fileSize);
    const bytes = await io.readRange(location, fileSize - 8 - n, n);
    return { footer: decodeFooter(bytes), footerStart: fileSize - 8 - n };
  }
  const file = await io.read(location);
  return { footer: readFooter(file), footerStart: file.length - 8 - footerLength(file, file.length) };
}

/** Encodes a FileMetaData tree (raw, possibly changed) as footer bytes. */
export function encodeFooter(raw: ThriftStruct): Uint8Array {
  return encodeThriftStruct(raw);
}
