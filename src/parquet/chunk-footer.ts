// A Parquet footer as decoding a file column chunk by column chunk needs it (decode-chunk.ts,
// the rewrite compaction's column path): created_by, whether the footer is encrypted, the bytes
// of the schema as written (to compare byte for byte with what floe writes for a schema), and per
// row group its rows and column chunks (physical type, path, codec, value count, where the pages
// lie). One pass over the FileMetaData bytes without a tree: readFooter (footer.ts) builds the
// whole thrift tree and a typed view, several times the cost, which is much of the cost of
// decoding a small file.
//
// Field ids are those of footer.ts's header (parquet.thrift); the wire rules thrift-reader.ts's.
import type { ChunkPlace } from './decode-chunk.ts';
import { PARQUET_MAGIC, ParquetFooterError, footerLength } from './footer.ts';
import { CT } from './thrift.ts';
import { CompactReader, ThriftDecodeError } from './thrift-reader.ts';

export interface FooterChunk extends ChunkPlace {
  /** Physical type. */
  type: number;
  path: string[];
}

export interface ChunkFooter {
  createdBy?: string;
  encrypted: boolean;
  /** The schema field's value (the list of SchemaElements) as written; empty when absent. */
  schema: Uint8Array;
  rowGroups: { numRows: number; columns: FooterChunk[] }[];
}

const utf8 = new TextDecoder();

/**
 * The next field header of the struct being read at r.pos, whose previous field id was `last`
 * (0 at its start): id * 16 + wire type, or -1 at its stop byte.
 */
export function nextField(r: CompactReader, last: number): number {
  if (r.pos >= r.bytes.length) throw new ThriftDecodeError(`thrift: struct runs past the end at byte ${r.pos}`);
  const b = r.bytes[r.pos++];
  if (b === 0) return -1;
  const id = b >> 4 === 0 ? r.int() : last + (b >> 4);
  if (id < 0) throw new ThriftDecodeError(`thrift: negative field id ${id} at byte ${r.pos}`); // not in Parquet's structs
  return id * 16 + (b & 0x0f);
}

/** Skips the value of a field of wire type `type` (a boolean field has none). */
export function skipField(r: CompactReader, type: number): void {
  if (type !== CT.TRUE && type !== CT.FALSE) r.value(type);
}

/** The element count of the list header at r.pos, whose elements must be of `elemType`. */
function listOf(r: CompactReader, elemType: number, what: string): number {
  if (r.pos >= r.bytes.length) throw new ThriftDecodeError(`thrift: ${what} runs past the end`);
  const h = r.bytes[r.pos++];
  const n = h >> 4 === 0x0f ? r.size() : h >> 4;
  if ((h & 0x0f) !== elemType) throw new ParquetFooterError(`bad Parquet footer: ${what} holds wire type ${h & 0x0f}`);
  if (n > r.bytes.length - r.pos) throw new ParquetFooterError(`bad Parquet footer: ${what} of ${n} elements cannot fit`);
  return n;
}

function safe(v: number | bigint, what: string): number {
  if (typeof v !== 'number') throw new ParquetFooterError(`bad Parquet footer: ${what} ${v} is beyond 2^53`);
  return v;
}

function columnChunk(r: CompactReader, where: string): FooterChunk {
  const c: FooterChunk = { type: -1, path: [], codec: -1, numValues: -1, totalCompressedSize: -1, dataPageOffset: -1 };
  for (let last = 0; ;) {
    const f = nextField(r, last);
    if (f < 0) break;
    const id = f >> 4;
    last = id;
    const type = f & 0x0f;
    if (id === 1 && type === CT.BINARY) c.filePath = utf8.decode(r.binary());
    else if (id === 3 && type === CT.STRUCT) columnMetaData(r, c, where);
    else skipField(r, type);
  }
  if (c.type < 0 || c.codec < 0 || c.numValues < 0 || c.totalCompressedSize < 0 || c.dataPageOffset < 0) {
    throw new ParquetFooterError(`bad Parquet footer: ${where} lacks its column metadata (encrypted column?)`);
  }
  return c;
}

function columnMetaData(r: CompactReader, c: FooterChunk, where: string): void {
  for (let last = 0; ;) {
    const f = nextField(r, last);
    if (f < 0) break;
    const id = f >> 4;
    last = id;
    const type = f & 0x0f;
    if (id === 3 && type === CT.LIST) {
      const n = listOf(r, CT.BINARY, `${where} path_in_schema`);
      for (let i = 0; i < n; i++) c.path.push(utf8.decode(r.binary()));
    } else if (type === CT.I32 && id === 1) c.type = r.int();
    else if (type === CT.I32 && id === 4) c.codec = r.int();
    else if (type === CT.I64 && id === 5) c.numValues = safe(r.i64(), `${where} num_values`);
    else if (type === CT.I64 && id === 7) c.totalCompressedSize = safe(r.i64(), `${where} total_compressed_size`);
    else if (type === CT.I64 && id === 9) c.dataPageOffset = safe(r.i64(), `${where} data_page_offset`);
    else if (type === CT.I64 && id === 11) c.dictionaryPageOffset = safe(r.i64(), `${where} dictionary_page_offset`);
    else skipField(r, type);
  }
}

function rowGroup(r: CompactReader, g: number): { numRows: number; columns: FooterChunk[] } {
  const group = { numRows: -1, columns: [] as FooterChunk[] };
  for (let last = 0; ;) {
    const f = nextField(r, last);
    if (f < 0) break;
    const id = f >> 4;
    last = id;
    const type = f & 0x0f;
    if (id === 3 && type === CT.I64) group.numRows = safe(r.i64(), `row group ${g} num_rows`);
    else if (id === 1 && type === CT.LIST) {
      const m = listOf(r, CT.STRUCT, `row group ${g} columns`);
      for (let c = 0; c < m; c++) group.columns.push(columnChunk(r, `row group ${g} column ${c}`));
    } else skipField(r, type);
  }
  if (group.numRows < 0) throw new ParquetFooterError(`bad Parquet footer: row group ${g} lacks num_rows`);
  return group;
}

/** Reads footer bytes (the FileMetaData struct alone); see the module comment. */
export function readChunkFooter(bytes: Uint8Array): ChunkFooter {
  const r = new CompactReader(bytes);
  const out: ChunkFooter = { encrypted: false, schema: new Uint8Array(0), rowGroups: [] };
  try {
    for (let last = 0; ;) {
      const f = nextField(r, last);
      if (f < 0) break;
      const id = f >> 4;
      last = id;
      const type = f & 0x0f;
      if (id === 2) {
        const start = r.pos;
        skipField(r, type);
        out.schema = bytes.subarray(start, r.pos);
      } else if (id === 6 && type === CT.BINARY) out.createdBy = utf8.decode(r.binary());
      else if (id === 4 && type === CT.LIST) {
        const n = listOf(r, CT.STRUCT, 'row_groups');
        for (let g = 0; g < n; g++) out.rowGroups.push(rowGroup(r, g));
      } else {
        if (id === 8) out.encrypted = true;
        skipField(r, type);
      }
    }
  } catch (err) {
    if (err instanceof ThriftDecodeError) throw new ParquetFooterError(`bad Parquet footer: ${err.message}`, err);
    throw err;
  }
  return out;
}

/** The chunk footer of a whole Parquet file in memory. */
export function readFileChunkFooter(file: Uint8Array): ChunkFooter {
  if (file.length < 12) throw new ParquetFooterError(`a Parquet file has at least 12 bytes, got ${file.length}`);
  for (let i = 0; i < 4; i++) if (file[i] !== PARQUET_MAGIC[i]) throw new ParquetFooterError('not a Parquet file (no "PAR1" at the start)');
  const n = footerLength(file, file.length);
  return readChunkFooter(file.subarray(file.length - 8 - n, file.length - 8));
}
