// A Parquet footer as a stitch (maintenance/stitch.ts) and the column-chunk decoder
// (decode-chunk.ts, the rewrite's column path) need it, read without building a tree, and the
// stitched footer written from it. decodeFooter (footer.ts) builds the whole thrift tree and a
// typed view: about 40 objects per column chunk, which made reading footers most of the cost of
// stitching small files. Here one pass over the FileMetaData bytes notes
//   - where each top-level field's value lies (schema, key-value metadata and column orders are
//     then compared byte for byte, and copied byte for byte into the output),
//   - num_rows, created_by, whether the footer is encrypted (field 8),
//   - per row group: num_rows, each column chunk's place (type, path, codec, values, offsets),
//     the byte range its column chunks cover in the file (checked to lie back to back, as floe
//     writes them), and where the row group's struct lies in the footer;
// and writeStitchedFooter transcodes each row group's struct into the output, changing only the
// fields a move changes (the same rule as the tree path had: offsets shifted, ordinals renumbered,
// page-index and bloom-filter references dropped) and copying every other value's bytes.
//
// Field ids are those of footer.ts's header (parquet.thrift). Thrift compact protocol: thrift.ts.
import { ByteWriter } from './byte-writer.ts';
import { PARQUET_MAGIC, ParquetFooterError, footerLength } from './footer.ts';
import { CT } from './thrift.ts';

/** A top-level FileMetaData field: its id, wire type and the byte range of its value. */
export interface FooterField {
  id: number;
  type: number;
  start: number;
  end: number;
}

/** A column chunk as the footer places it (what decode-chunk.ts needs to decode it). */
export interface ChunkLayout {
  /** Set when the chunk lives in another file. */
  filePath?: string;
  /** Physical type. */
  type: number;
  path: string[];
  codec: number;
  /** Level entries (values, nulls included) in the chunk. */
  numValues: number;
  totalCompressedSize: number;
  dataPageOffset: number;
  dictionaryPageOffset?: number;
  indexPageOffset?: number;
}

export interface RowGroupLayout {
  numRows: number;
  /** Its column chunks, in order (empty when scanned with `columns: false`). */
  columns: ChunkLayout[];
  /** Byte range [start, end) of the row group's column chunks in the file. */
  start: number;
  end: number;
  /** Sum of the column chunks' total_compressed_size. */
  compressedBytes: number;
  /** Codec of each column chunk, in order. */
  codecs: number[];
  /** The RowGroup struct's byte range in the footer. */
  structStart: number;
  structEnd: number;
}

export interface FooterLayout {
  /** The footer bytes (the FileMetaData struct alone). */
  bytes: Uint8Array;
  fields: FooterField[];
  numRows: number;
  createdBy?: string;
  encrypted: boolean;
  rowGroups: RowGroupLayout[];
  /** Why a row group cannot be moved as a block of bytes (a column chunk in another file, chunks not back to back). */
  unstitchable?: string;
}

const MAX_DEPTH = 64;
const UTF8 = new TextDecoder();

class Scanner {
  pos: number;
  readonly bytes: Uint8Array;
  /** The last field header read by nextField: its id and wire type. */
  fid = 0;
  ftype = 0;
  /** The element type of the last list header read. */
  elemType = 0;
  private depth = 0;
  constructor(bytes: Uint8Array, pos = 0) {
    this.bytes = bytes;
    this.pos = pos;
  }

  u8(): number {
    if (this.pos >= this.bytes.length) throw new ParquetFooterError(`bad Parquet footer: unexpected end at byte ${this.pos}`);
    return this.bytes[this.pos++];
  }

  /** An unsigned varint; above 2^53 it is an error (no offset, size or count of a file gets there). */
  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.u8();
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) {
        if (result > Number.MAX_SAFE_INTEGER) throw new ParquetFooterError(`bad Parquet footer: integer beyond 2^53 at byte ${this.pos}`);
        return result;
      }
      mul *= 128;
    }
    throw new ParquetFooterError(`bad Parquet footer: varint longer than 10 bytes at byte ${this.pos}`);
  }

  zigzag(): number {
    const v = this.varint();
    return v % 2 === 0 ? v / 2 : -(v + 1) / 2;
  }

  string(): string {
    const n = this.varint();
    this.advance(n);
    const b = this.bytes;
    const end = this.pos;
    // short ASCII (column names): no TextDecoder call
    if (n <= 32) {
      let text = '';
      for (let i = end - n; i < end; i++) {
        if (b[i] >= 0x80) return UTF8.decode(b.subarray(end - n, end));
        text += String.fromCharCode(b[i]);
      }
      return text;
    }
    return UTF8.decode(b.subarray(end - n, end));
  }

  /** Skips one value of a wire type (in a list, a boolean is one byte). */
  skip(type: number, inList = false): void {
    switch (type) {
      case CT.TRUE:
      case CT.FALSE:
        if (inList) this.u8();
        return;
      case CT.BYTE:
        this.u8();
        return;
      case CT.I16:
      case CT.I32:
      case CT.I64:
        this.varint();
        return;
      case CT.DOUBLE:
        this.advance(8);
        return;
      case CT.BINARY:
        this.advance(this.varint());
        return;
      case CT.LIST:
      case CT.SET: {
        this.enter();
        const n = this.listHeader();
        const elemType = this.elemType;
        for (let i = 0; i < n; i++) this.skip(elemType, true);
        this.depth--;
        return;
      }
      case CT.MAP: {
        this.enter();
        const n = this.varint();
        if (n > 0) {
          const kv = this.u8();
          for (let i = 0; i < n; i++) {
            this.skip(kv >> 4, true);
            this.skip(kv & 0x0f, true);
          }
        }
        this.depth--;
        return;
      }
      case CT.STRUCT:
        this.enter();
        for (let id = 0; this.nextField(id);) {
          id = this.fid;
          this.skip(this.ftype);
        }
        this.depth--;
        return;
    }
    throw new ParquetFooterError(`bad Parquet footer: unknown wire type ${type} at byte ${this.pos}`);
  }

  advance(n: number): void {
    if (this.pos + n > this.bytes.length) throw new ParquetFooterError(`bad Parquet footer: value of ${n} bytes runs past the end at byte ${this.pos}`);
    this.pos += n;
  }

  /** A list header: returns its size; its element type is then in `elemType`. */
  listHeader(): number {
    const h = this.u8();
    const n = h >> 4 === 0x0f ? this.varint() : h >> 4;
    if (n > this.bytes.length - this.pos + 1) throw new ParquetFooterError(`bad Parquet footer: a list of ${n} elements cannot fit`);
    this.elemType = h & 0x0f;
    return n;
  }

  /**
   * Reads the next field header of a struct (after field `last`) into `fid` and `ftype`; false
   * at its stop byte. (Fields, not an object per header: footers hold thousands of them.)
   */
  nextField(last: number): boolean {
    const h = this.u8();
    if (h === 0) return false;
    const delta = h >> 4;
    this.fid = delta === 0 ? this.zigzag() : last + delta;
    this.ftype = h & 0x0f;
    return true;
  }

  private enter(): void {
    if (++this.depth > MAX_DEPTH) throw new ParquetFooterError('bad Parquet footer: nesting too deep');
  }
}

export interface ScanOptions {
  /**
   * Keep each column chunk's layout in `RowGroupLayout.columns` (default true). A stitch needs
   * only the row groups' ranges and codecs: without, no object nor path string per column chunk.
   */
  columns?: boolean;
}

/** Reads a footer's layout (see the module comment). `footerStart` is the footer's offset in the file. */
export function scanFooter(bytes: Uint8Array, footerStart: number, options: ScanOptions = {}): FooterLayout {
  const keepColumns = options.columns ?? true;
  const r = new Scanner(bytes);
  const layout: FooterLayout = { bytes, fields: [], numRows: -1, encrypted: false, rowGroups: [] };
  for (let id = 0; r.nextField(id);) {
    id = r.fid;
    const type = r.ftype;
    const start = r.pos;
    if (id === 3 && type === CT.I64) layout.numRows = r.zigzag();
    else if (id === 6 && type === CT.BINARY) layout.createdBy = r.string();
    else if (id === 4 && type === CT.LIST) {
      const n = r.listHeader();
      if (r.elemType !== CT.STRUCT) throw new ParquetFooterError('bad Parquet footer: row_groups is not a list of structs');
      for (let i = 0; i < n; i++) layout.rowGroups.push(scanRowGroup(r, i, footerStart, layout, keepColumns));
    } else {
      if (id === 8) layout.encrypted = true;
      r.skip(type);
    }
    layout.fields.push({ id, type, start, end: r.pos });
  }
  if (layout.numRows < 0) throw new ParquetFooterError('bad Parquet footer: num_rows is missing');
  return layout;
}

/** The footer layout of a whole Parquet file in memory. */
export function scanFileFooter(file: Uint8Array, options: ScanOptions = {}): FooterLayout {
  if (file.length < 12) throw new ParquetFooterError(`a Parquet file has at least 12 bytes, got ${file.length}`);
  for (let i = 0; i < 4; i++) if (file[i] !== PARQUET_MAGIC[i]) throw new ParquetFooterError('not a Parquet file (no "PAR1" at the start)');
  const n = footerLength(file, file.length);
  const footerStart = file.length - 8 - n;
  return scanFooter(file.subarray(footerStart, file.length - 8), footerStart, options);
}

function scanRowGroup(r: Scanner, index: number, footerStart: number, layout: FooterLayout, keepColumns: boolean): RowGroupLayout {
  const problem = (why: string) => (layout.unstitchable ??= why);
  const structStart = r.pos;
  const g: RowGroupLayout = { numRows: -1, columns: [], start: 0, end: 0, compressedBytes: 0, codecs: [], structStart, structEnd: 0 };
  let at: number | undefined;
  for (let id = 0; r.nextField(id);) {
    id = r.fid;
    const type = r.ftype;
    if (id === 3 && type === CT.I64) g.numRows = r.zigzag();
    else if (id === 1 && type === CT.LIST) {
      const n = r.listHeader();
      for (let c = 0; c < n; c++) {
        const chunk = scanColumnChunk(r, index, c, keepColumns ? newChunk() : resetChunk(scratchChunk), keepColumns);
        if (keepColumns) g.columns.push(chunk);
        const first = Math.min(chunk.dataPageOffset, chunk.dictionaryPageOffset ?? Infinity, chunk.indexPageOffset ?? Infinity);
        if (chunk.filePath !== undefined) problem(`row group ${index} column ${c} lives in another file`);
        if (at === undefined) g.start = first;
        else if (first !== at) problem(`row group ${index} column ${c} does not follow the previous column chunk`);
        at = first + chunk.totalCompressedSize;
        g.compressedBytes += chunk.totalCompressedSize;
        g.codecs.push(chunk.codec);
      }
    } else r.skip(type);
  }
  if (g.numRows < 0) throw new ParquetFooterError(`bad Parquet footer: row group ${index} has no num_rows`);
  if (at === undefined) problem(`row group ${index} has no columns`);
  g.end = at ?? g.start;
  if (g.start < 4 || g.end > footerStart) problem(`row group ${index} lies outside the data`);
  g.structEnd = r.pos;
  return g;
}

const newChunk = (): ChunkLayout => ({ type: -1, path: [], codec: -1, numValues: -1, totalCompressedSize: -1, dataPageOffset: -1 });
/** Reused for the column chunks a scan does not keep. */
const scratchChunk = newChunk();
function resetChunk(c: ChunkLayout): ChunkLayout {
  c.filePath = c.dictionaryPageOffset = c.indexPageOffset = undefined;
  c.type = c.codec = c.numValues = c.totalCompressedSize = c.dataPageOffset = -1;
  return c;
}

const chunkName = (group: number, column: number) => `row group ${group} column ${column}`;

/** Reads one ColumnChunk into `c`; its path only when `withPath`. */
function scanColumnChunk(r: Scanner, group: number, column: number, c: ChunkLayout, withPath: boolean): ChunkLayout {
  for (let id = 0; r.nextField(id);) {
    id = r.fid;
    const type = r.ftype;
    if (id === 1 && type === CT.BINARY) c.filePath = r.string();
    else if (id !== 3 || type !== CT.STRUCT) r.skip(type);
    else {
      for (let m = 0; r.nextField(m);) {
        m = r.fid;
        const mt = r.ftype;
        if (m === 1 && mt === CT.I32) c.type = r.zigzag();
        else if (m === 3 && mt === CT.LIST && withPath) {
          const n = r.listHeader();
          if (r.elemType !== CT.BINARY) throw new ParquetFooterError(`bad Parquet footer: ${chunkName(group, column)} path_in_schema is not a list of strings`);
          for (let i = 0; i < n; i++) c.path.push(r.string());
        } else if (m === 4 && mt === CT.I32) c.codec = r.zigzag();
        else if (m === 5 && mt === CT.I64) c.numValues = r.zigzag();
        else if (m === 7 && mt === CT.I64) c.totalCompressedSize = r.zigzag();
        else if (m === 9 && mt === CT.I64) c.dataPageOffset = r.zigzag();
        else if (m === 10 && mt === CT.I64) c.indexPageOffset = r.zigzag();
        else if (m === 11 && mt === CT.I64) c.dictionaryPageOffset = r.zigzag();
        else r.skip(mt);
      }
    }
  }
  if (c.type < 0 || c.codec < 0 || c.numValues < 0 || c.totalCompressedSize < 0 || c.dataPageOffset < 0) {
    throw new ParquetFooterError(`bad Parquet footer: ${chunkName(group, column)} lacks its column metadata (encrypted column?)`);
  }
  return c;
}

// ---- writing ----

const writeZigzag = (w: ByteWriter, v: number) => w.varint(v >= 0 ? v * 2 : -v * 2 - 1);

/** Writes field headers as the compact protocol does: a delta from the last id when 1..15. */
class FieldWriter {
  private last = 0;
  private readonly w: ByteWriter;
  constructor(w: ByteWriter) {
    this.w = w;
  }
  header(id: number, type: number): void {
    writeFieldHeader(this.w, this.last, id, type);
    this.last = id;
  }
  end(): void {
    this.w.u8(0);
  }
}

/** Copies the value bytes the scanner steps over. */
function copyValue(r: Scanner, w: ByteWriter, type: number): void {
  const start = r.pos;
  r.skip(type);
  w.copy(r.bytes, start, r.pos);
}

function writeI64Field(r: Scanner, fw: FieldWriter, w: ByteWriter, id: number, delta: number): void {
  fw.header(id, CT.I64);
  writeZigzag(w, r.zigzag() + delta);
}

/** One RowGroup struct moved by `delta` bytes, given `ordinal` (when it had one). */
function writeMovedRowGroup(w: ByteWriter, footer: Uint8Array, g: RowGroupLayout, delta: number, ordinal: number): void {
  const r = new Scanner(footer, g.structStart);
  const fw = new FieldWriter(w);
  for (let id = 0; r.nextField(id);) {
    id = r.fid;
    const type = r.ftype;
    if (id === 1 && type === CT.LIST) {
      fw.header(1, CT.LIST);
      const start = r.pos;
      const n = r.listHeader();
      w.copy(footer, start, r.pos);
      for (let c = 0; c < n; c++) moveStruct(r, w, chunkRule, delta);
    } else if (id === 5 && type === CT.I64) writeI64Field(r, fw, w, 5, delta);
    else if (id === 7 && type === CT.I16) {
      r.skip(type);
      fw.header(7, CT.I16);
      writeZigzag(w, ordinal);
    } else {
      fw.header(id, type);
      copyValue(r, w, type);
    }
  }
  fw.end();
}

// What a move does to a field of a struct: its bytes copied, dropped, an i64 offset shifted, or
// a nested struct moved by its own rule.
const COPY = 0;
const DROP = 1;
const SHIFT = 2;
const NEST = 3;

/** ColumnMetaData: the page offsets move (9, 10, 11); the bloom filter references (14, 15) go. */
function metaRule(id: number, type: number): number {
  if ((id === 9 || id === 10 || id === 11) && type === CT.I64) return SHIFT;
  return id === 14 || id === 15 ? DROP : COPY;
}

/** ColumnChunk: file_offset moves (2); offset and column index references (4 to 7) go; meta_data (3) by metaRule. */
function chunkRule(id: number, type: number): number {
  if (id === 2 && type === CT.I64) return SHIFT;
  if (id >= 4 && id <= 7) return DROP;
  return id === 3 && type === CT.STRUCT ? NEST : COPY;
}

/**
 * Transcodes one struct by `rule`, copying each run of unchanged fields (headers included) as
 * one block: a field header is written afresh only where its id delta changes (after a dropped
 * field) or its value does.
 */
function moveStruct(r: Scanner, w: ByteWriter, rule: (id: number, type: number) => number, delta: number): void {
  const src = r.bytes;
  let from = r.pos; // start of the bytes not yet copied
  let lastRead = 0;
  let lastWritten = 0;
  for (;;) {
    const at = r.pos;
    if (!r.nextField(lastRead)) break;
    const id = r.fid;
    const type = r.ftype;
    const inStep = lastWritten === lastRead; // the header as read is still right
    lastRead = id;
    const what = rule(id, type);
    if (what === COPY && inStep) {
      r.skip(type);
      lastWritten = id;
      continue;
    }
    w.copy(src, from, at);
    if (what !== DROP) {
      writeFieldHeader(w, lastWritten, id, type);
      lastWritten = id;
    }
    if (what === SHIFT) writeZigzag(w, r.zigzag() + delta);
    else if (what === NEST) moveStruct(r, w, metaRule, delta);
    else if (what === COPY) copyValue(r, w, type);
    else r.skip(type);
    from = r.pos;
  }
  w.copy(src, from, r.pos); // up to and with the stop byte
}

function writeFieldHeader(w: ByteWriter, last: number, id: number, type: number): void {
  const d = id - last;
  if (d > 0 && d <= 15) w.u8((d << 4) | type);
  else {
    w.u8(type);
    writeZigzag(w, id);
  }
}

/** A row group of an input, placed at `at` in the output. */
export interface PlacedRowGroup {
  layout: FooterLayout;
  group: RowGroupLayout;
  /** Its new offset in the output file. */
  at: number;
}

/**
 * The stitched footer: the first input's FileMetaData with num_rows the total, the row groups
 * `placed` (moved, renumbered) and created_by `createdBy`; every other field's value copied.
 */
export function writeStitchedFooter(first: FooterLayout, placed: PlacedRowGroup[], numRows: number, createdBy: string): Uint8Array {
  const w = new ByteWriter(4096 + placed.reduce((n, p) => n + (p.group.structEnd - p.group.structStart) + 16, 0));
  const fw = new FieldWriter(w);
  const created = new TextEncoder().encode(createdBy);
  let wroteCreatedBy = false;
  const writeCreatedBy = () => {
    fw.header(6, CT.BINARY);
    w.varint(created.length);
    w.bytes(created);
    wroteCreatedBy = true;
  };
  for (const f of first.fields) {
    if (f.id > 6 && !wroteCreatedBy) writeCreatedBy();
    if (f.id === 3) {
      fw.header(3, CT.I64);
      writeZigzag(w, numRows);
    } else if (f.id === 4) {
      fw.header(4, CT.LIST);
      if (placed.length < 15) w.u8((placed.length << 4) | CT.STRUCT);
      else {
        w.u8(0xf0 | CT.STRUCT);
        w.varint(placed.length);
      }
      placed.forEach((p, k) => writeMovedRowGroup(w, p.layout.bytes, p.group, p.at - p.group.start, k));
    } else if (f.id === 6) writeCreatedBy();
    else {
      fw.header(f.id, f.type);
      w.copy(first.bytes, f.start, f.end);
    }
  }
  if (!wroteCreatedBy) writeCreatedBy();
  fw.end();
  return w.result().slice();
}

/** The value bytes of top-level field `id` (empty when absent). */
export function fieldBytes(layout: FooterLayout, id: number): Uint8Array | undefined {
  const f = layout.fields.find((x) => x.id === id);
  return f && layout.bytes.subarray(f.start, f.end);
}
