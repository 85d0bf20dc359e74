// One column chunk of a Parquet file floe wrote, decoded straight into floe's columnar form (a
// LeafColumn, batch/column-batch.ts): Dremel levels into Uint8Arrays, the non-null values
// densely into the typed array of the leaf's kind, strings as UTF-8 bytes (a dictionary and
// its indices when the chunk kept one). No per-value objects: what the rewrite compaction
// needs to re-encode floe's own files without going through rows. Pure (the file's bytes in).
//
// It reads what column-chunk.ts writes and nothing more: Parquet v1 data pages whose body
// (compressed whole by the chunk's codec: uncompressed, snappy, gzip or zstd) is
// [rep levels][def levels] as a 4-byte length and the RLE/bit-packed hybrid each, then the
// values PLAIN, or a bit width and hybrid dictionary indices after a PLAIN dictionary page.
// Anything else (data page v2, index pages, DELTA_* / BYTE_STREAM_SPLIT / other encodings,
// levels not in RLE, a dictionary beside plain pages, another codec, a chunk in another file)
// throws UnsupportedPageError, for the caller to read the file another way; bytes that do not
// add up (sizes, counts, indices past the dictionary) throw PageDecodeError.
//
// Page header fields (parquet.thrift PageHeader): 1 type, 2 uncompressed_page_size,
// 3 compressed_page_size, 5 data_page_header {1 num_values, 2 encoding,
// 3 definition_level_encoding, 4 repetition_level_encoding}, 7 dictionary_page_header
// {1 num_values, 2 encoding}.
import zlib from 'node:zlib';
import type { DictionaryData, LeafColumn } from '../batch/column-batch.ts';
import { Encoding } from './column-chunk.ts';
import { nextField, skipField } from './thrift-reader.ts';
import { RleDecodeError, bitWidth, decodeRleHybrid } from './rle.ts';
import { SnappyDecodeError, snappyDecompress } from './snappy.ts';
import { CT } from './thrift.ts';
import { CompactReader, ThriftDecodeError } from './thrift-reader.ts';
import { FloeError } from '../errors.ts';

/** A page, encoding or codec floe does not write: read the file another way. */
export class UnsupportedPageError extends FloeError {
  constructor(message: string) {
    super('fatal', message);
  }
}

/** The chunk's bytes are malformed (sizes, counts or values that do not add up). */
export class PageDecodeError extends FloeError {
  constructor(message: string, cause?: unknown) {
    super('fatal', message, { cause });
  }
}

/** Where a column chunk's pages lie and how they are compressed (a FooterColumnChunk will do). */
export interface ChunkPlace {
  /** Set when the chunk is in another file (not supported). */
  filePath?: string;
  codec: number;
  /** Level entries (values, nulls included) in the chunk. */
  numValues: number;
  totalCompressedSize: number;
  dataPageOffset: number;
  dictionaryPageOffset?: number;
}

/** What the decoder needs to know of the leaf (a LeafSpec or an empty LeafColumn will do). */
export type ChunkLeaf = Pick<LeafColumn, 'fieldId' | 'columnPath' | 'parquetPath' | 'type' | 'kind' | 'width' | 'maxDef' | 'maxRep'>;

const PAGE_DATA = 0;
const PAGE_DICTIONARY = 2;
const PLAIN_DICTIONARY = 2;
const CODEC_UNCOMPRESSED = 0;
const CODEC_SNAPPY = 1;
const CODEC_GZIP = 2;
const CODEC_ZSTD = 6;

/** The fields of a PageHeader the decoder reads (-1: absent). */
interface PageHeader {
  type: number;
  rawSize: number;
  size: number;
  /** data_page_header: num_values, encoding, definition and repetition level encodings. */
  values: number;
  encoding: number;
  defEncoding: number;
  repEncoding: number;
  /** dictionary_page_header: num_values, encoding. */
  dictValues: number;
  dictEncoding: number;
}

/**
 * Reads the PageHeader at r.pos into `h` without building a tree (the header of every page is
 * read, and most pages are small). Fields the decoder does not use are skipped.
 */
function readPageHeader(r: CompactReader, h: PageHeader): void {
  h.type = h.rawSize = h.size = h.values = h.encoding = h.defEncoding = h.repEncoding = h.dictValues = h.dictEncoding = -1;
  for (let last = 0; ;) {
    const f = nextField(r, last);
    if (f < 0) break;
    const id = f >> 4;
    last = id;
    const type = f & 0x0f;
    if (type === CT.I32 && id === 1) h.type = r.int();
    else if (type === CT.I32 && id === 2) h.rawSize = r.int();
    else if (type === CT.I32 && id === 3) h.size = r.int();
    else if (type === CT.STRUCT && id === 5) {
      for (let glast = 0; ;) {
        const g = nextField(r, glast);
        if (g < 0) break;
        const gid = g >> 4;
        glast = gid;
        const gtype = g & 0x0f;
        if (gtype === CT.I32 && gid === 1) h.values = r.int();
        else if (gtype === CT.I32 && gid === 2) h.encoding = r.int();
        else if (gtype === CT.I32 && gid === 3) h.defEncoding = r.int();
        else if (gtype === CT.I32 && gid === 4) h.repEncoding = r.int();
        else skipField(r, gtype);
      }
    } else if (type === CT.STRUCT && id === 7) {
      for (let glast = 0; ;) {
        const g = nextField(r, glast);
        if (g < 0) break;
        const gid = g >> 4;
        glast = gid;
        const gtype = g & 0x0f;
        if (gtype === CT.I32 && gid === 1) h.dictValues = r.int();
        else if (gtype === CT.I32 && gid === 2) h.dictEncoding = r.int();
        else skipField(r, gtype);
      }
    } else skipField(r, type);
  }
}

function u32(b: Uint8Array, p: number): number {
  return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16)) + b[p + 3] * 0x1000000;
}

function decompress(codec: number, body: Uint8Array, size: number, where: string): Uint8Array {
  let out: Uint8Array;
  try {
    switch (codec) {
      case CODEC_UNCOMPRESSED:
        out = body;
        break;
      case CODEC_SNAPPY:
        out = snappyDecompress(body);
        break;
      // an output chunk of the page's size (+1 to see the end in one step): one buffer, no joining
      case CODEC_GZIP:
        out = zlib.gunzipSync(body, { chunkSize: Math.max(64, size + 1) });
        break;
      case CODEC_ZSTD:
        out = zlib.zstdDecompressSync(body, { chunkSize: Math.max(64, size + 1) });
        break;
      default:
        throw new UnsupportedPageError(`${where}: codec ${codec} is not one floe writes`);
    }
  } catch (err) {
    if (err instanceof UnsupportedPageError) throw err;
    throw new PageDecodeError(`${where}: page does not decompress: ${(err as Error).message}`, err);
  }
  if (out.length !== size) throw new PageDecodeError(`${where}: page decompresses to ${out.length} bytes, its header says ${size}`);
  // a plain Uint8Array view: subarrays of a Buffer are Buffers, each made by a JS constructor
  return out instanceof Buffer ? new Uint8Array(out.buffer, out.byteOffset, out.length) : out;
}

/** Growable storage of one chunk's values. */
class Values {
  readonly leaf: ChunkLeaf;
  count = 0;
  /** Fixed-size values (capacity: every level entry a value). */
  fixed: Uint8Array | Int32Array | BigInt64Array | Float32Array | Float64Array | null = null;
  /** Plain bytes: offsets (count + 1) and data. */
  offsets: Int32Array | null = null;
  data = new Uint8Array(0);
  dataLength = 0;
  private readonly capacity: number;
  constructor(leaf: ChunkLeaf, capacity: number) {
    this.leaf = leaf;
    this.capacity = capacity;
    switch (leaf.kind) {
      case 'boolean':
        this.fixed = new Uint8Array(capacity);
        break;
      case 'int32':
        this.fixed = new Int32Array(capacity);
        break;
      case 'int64':
        this.fixed = new BigInt64Array(capacity);
        break;
      case 'float':
        this.fixed = new Float32Array(capacity);
        break;
      case 'double':
        this.fixed = new Float64Array(capacity);
        break;
      case 'fixed':
        this.fixed = new Uint8Array(capacity * leaf.width);
        break;
      case 'bytes':
        break; // offsets with the first plain page (a dictionary chunk has none)
    }
  }

  /** `n` PLAIN values from page[p, page.length). */
  plain(page: Uint8Array, p: number, n: number, where: string): void {
    const kind = this.leaf.kind;
    const at = this.count;
    const avail = page.length - p;
    if (kind === 'boolean') {
      if (avail < (n + 7) >> 3) throw new PageDecodeError(`${where}: ${n} booleans need ${(n + 7) >> 3} bytes, the page has ${avail}`);
      const out = this.fixed as Uint8Array;
      for (let i = 0; i < n; i++) out[at + i] = (page[p + (i >> 3)] >>> (i & 7)) & 1;
    } else if (kind === 'bytes') {
      const offsets = (this.offsets ??= new Int32Array(this.capacity + 1));
      // the data is at most what the page holds beyond the length prefixes
      const need = this.dataLength + Math.max(0, avail - 4 * n);
      if (need > this.data.length) {
        const grown = new Uint8Array(Math.max(need, this.data.length * 2));
        grown.set(this.data.subarray(0, this.dataLength));
        this.data = grown;
      }
      const data = this.data;
      let d = this.dataLength;
      const end = page.length;
      for (let i = 0; i < n; i++) {
        if (p + 4 > end) throw new PageDecodeError(`${where}: value ${i} of ${n} beyond the page`);
        const len = u32(page, p);
        p += 4;
        if (p + len > end) throw new PageDecodeError(`${where}: value ${i} of ${len} bytes beyond the page`);
        if (len < 32) for (let k = 0; k < len; k++) data[d + k] = page[p + k];
        else data.set(page.subarray(p, p + len), d);
        d += len;
        p += len;
        offsets[at + i + 1] = d;
      }
      this.dataLength = d;
    } else {
      // fixed-size values: the page's bytes copied into the typed array's buffer (any alignment)
      const fixed = this.fixed!;
      const size = kind === 'fixed' ? this.leaf.width : fixed.BYTES_PER_ELEMENT;
      if (avail < n * size) throw new PageDecodeError(`${where}: ${n} values of ${size} bytes, the page has ${avail}`);
      new Uint8Array(fixed.buffer, fixed.byteOffset + at * size, n * size).set(page.subarray(p, p + n * size));
    }
    this.count = at + n;
  }
}

/** The PLAIN dictionary page of a byte-array chunk: `size` entries of a 4-byte length and bytes. */
function dictionaryPage(page: Uint8Array, size: number, where: string): Omit<DictionaryData, 'indices'> {
  const offsets = new Int32Array(size + 1);
  const data = new Uint8Array(Math.max(0, page.length - 4 * size));
  let p = 0;
  let d = 0;
  for (let k = 0; k < size; k++) {
    if (p + 4 > page.length) throw new PageDecodeError(`${where}: dictionary entry ${k} of ${size} beyond the page`);
    const len = u32(page, p);
    p += 4;
    if (p + len > page.length) throw new PageDecodeError(`${where}: dictionary entry ${k} of ${len} bytes beyond the page`);
    if (len < 32) for (let i = 0; i < len; i++) data[d + i] = page[p + i];
    else data.set(page.subarray(p, p + len), d);
    d += len;
    p += len;
    offsets[k + 1] = d;
  }
  return { size, offsets, data: data.subarray(0, d) };
}

/**
 * Decodes the column chunk `chunk` of the file in `file` (the whole file's bytes) as the leaf
 * `leaf` (see the module comment), checking that it holds `rows` rows when given. The result
 * owns its arrays (nothing refers to `file`).
 */
export function decodeColumnChunk(file: Uint8Array, chunk: ChunkPlace, leaf: ChunkLeaf, rows?: number): LeafColumn {
  const where = `column ${leaf.columnPath}`;
  if (chunk.filePath !== undefined) throw new UnsupportedPageError(`${where}: the chunk is in another file (${chunk.filePath})`);
  const dictAt = chunk.dictionaryPageOffset;
  const start = dictAt !== undefined && dictAt > 0 && dictAt < chunk.dataPageOffset ? dictAt : chunk.dataPageOffset;
  const end = start + chunk.totalCompressedSize;
  if (start < 4 || end > file.length) throw new PageDecodeError(`${where}: chunk [${start}, ${end}) lies outside the file of ${file.length} bytes`);
  const total = chunk.numValues;
  const { maxDef, maxRep } = leaf;
  const def = maxDef > 0 ? new Uint8Array(total) : null;
  const rep = maxRep > 0 ? new Uint8Array(total) : null;
  const defWidth = bitWidth(maxDef);
  const repWidth = bitWidth(maxRep);
  const values = new Values(leaf, total);
  let dict: Omit<DictionaryData, 'indices'> | null = null;
  let indices: Int32Array | null = null;
  let plainPages = false;
  let levels = 0;
  let records = 0;
  let pos = start;
  const reader = new CompactReader(file, start);
  const header = {} as PageHeader;
  try {
    while (pos < end) {
      reader.pos = pos;
      readPageHeader(reader, header);
      const bodyAt = reader.pos;
      const { type, rawSize, size } = header;
      if (type < 0 || rawSize < 0 || size < 0) throw new PageDecodeError(`${where}: page header at byte ${pos} lacks type or sizes`);
      if (bodyAt + size > end) throw new PageDecodeError(`${where}: page at byte ${pos} runs past the chunk's end`);
      const body = file.subarray(bodyAt, bodyAt + size);
      pos = bodyAt + size;
      if (type === PAGE_DICTIONARY) {
        const entries = header.dictValues;
        const encoding = header.dictEncoding;
        if (entries < 0) throw new PageDecodeError(`${where}: dictionary page without its header`);
        if (encoding !== Encoding.PLAIN && encoding !== PLAIN_DICTIONARY) throw new UnsupportedPageError(`${where}: dictionary page encoding ${encoding}`);
        if (leaf.kind !== 'bytes') throw new UnsupportedPageError(`${where}: a dictionary for a ${leaf.kind} column`);
        if (dict !== null || levels > 0) throw new UnsupportedPageError(`${where}: a dictionary page after the first page`);
        dict = dictionaryPage(decompress(chunk.codec, body, rawSize, where), entries, where);
        continue;
      }
      if (type !== PAGE_DATA) throw new UnsupportedPageError(`${where}: page type ${type} (floe writes v1 data and dictionary pages)`);
      const n = header.values;
      if (n < 0) throw new PageDecodeError(`${where}: data page without its header`);
      const encoding = header.encoding;
      if (levels + n > total) throw new PageDecodeError(`${where}: pages hold more than the chunk's ${total} values`);
      const page = decompress(chunk.codec, body, rawSize, where);
      let p = 0;
      const levelStream = (out: Uint8Array, width: number, enc: number, what: string) => {
        if (enc !== Encoding.RLE) throw new UnsupportedPageError(`${where}: ${what} levels in encoding ${enc}`);
        if (p + 4 > page.length) throw new PageDecodeError(`${where}: ${what} levels beyond the page`);
        const len = u32(page, p);
        p += 4;
        if (p + len > page.length) throw new PageDecodeError(`${where}: ${what} levels beyond the page`);
        decodeRleHybrid(page, p, p + len, width, n, out, levels);
        p += len;
      };
      if (rep !== null) levelStream(rep, repWidth, header.repEncoding, 'repetition');
      let count = n;
      if (def !== null) {
        levelStream(def, defWidth, header.defEncoding, 'definition');
        count = 0;
        let over = 0;
        if (rep === null) {
          for (let i = levels, e = levels + n; i < e; i++) {
            const d = def[i];
            if (d === maxDef) count++;
            else if (d > maxDef) over++;
          }
        } else {
          // and the records (entries of repetition level 0) in the same pass
          for (let i = levels, e = levels + n; i < e; i++) {
            const d = def[i];
            if (d === maxDef) count++;
            else if (d > maxDef) over++;
            if (rep[i] === 0) records++;
          }
        }
        if (over > 0) throw new PageDecodeError(`${where}: definition levels above ${maxDef}`);
      }
      if (encoding === Encoding.PLAIN) {
        if (dict !== null) throw new UnsupportedPageError(`${where}: plain pages after a dictionary`);
        plainPages = true;
        values.plain(page, p, count, where);
      } else if (encoding === Encoding.RLE_DICTIONARY || encoding === PLAIN_DICTIONARY) {
        if (dict === null) throw new PageDecodeError(`${where}: dictionary-encoded page without a dictionary`);
        if (plainPages) throw new UnsupportedPageError(`${where}: dictionary pages after plain ones`);
        indices ??= new Int32Array(total);
        const at = values.count;
        if (count > 0) {
          if (p >= page.length) throw new PageDecodeError(`${where}: dictionary indices beyond the page`);
          decodeRleHybrid(page, p + 1, page.length, page[p], count, indices, at);
          const size = dict.size;
          for (let i = at, e = at + count; i < e; i++) if (indices[i] >>> 0 >= size) throw new PageDecodeError(`${where}: dictionary index ${indices[i]} of a dictionary of ${size}`);
        }
        values.count = at + count;
      } else throw new UnsupportedPageError(`${where}: data page encoding ${encoding}`);
      levels += n;
    }
  } catch (err) {
    if (err instanceof ThriftDecodeError || err instanceof RleDecodeError || err instanceof SnappyDecodeError) throw new PageDecodeError(`${where}: ${err.message}`, err);
    throw err;
  }
  if (levels !== total) throw new PageDecodeError(`${where}: pages hold ${levels} values, the chunk's metadata says ${total}`);
  if (rows !== undefined && (rep === null ? levels : records) !== rows) {
    throw new PageDecodeError(`${where}: the chunk holds ${rep === null ? levels : records} rows, its row group ${rows}`);
  }
  const nv = values.count;
  let vals: LeafColumn['values'] = null;
  let offsets: Int32Array | null = null;
  let dictionary: DictionaryData | null = null;
  if (leaf.kind === 'bytes') {
    if (dict !== null) dictionary = { ...dict, indices: (indices ?? new Int32Array(0)).subarray(0, nv) };
    else {
      offsets = (values.offsets ?? new Int32Array(1)).subarray(0, nv + 1);
      vals = values.data.subarray(0, values.dataLength);
    }
  } else {
    const f = values.fixed!;
    vals = f.subarray(0, leaf.kind === 'fixed' ? nv * leaf.width : nv);
  }
  return {
    fieldId: leaf.fieldId,
    columnPath: leaf.columnPath,
    parquetPath: leaf.parquetPath,
    type: leaf.type,
    kind: leaf.kind,
    width: leaf.width,
    maxDef,
    maxRep,
    levelCount: total,
    def,
    rep,
    valueCount: nv,
    values: vals,
    offsets,
    dict: dictionary,
  };
}
