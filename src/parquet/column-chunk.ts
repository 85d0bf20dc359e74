// One column chunk: the pages of one leaf column for one row group.
//
// Pages are Parquet v1 data pages: [rep levels][def levels][values], each level stream as a
// 4-byte length and the RLE/bit-packed hybrid, the whole page body compressed. Strings that
// kept a dictionary while building get a dictionary page (PLAIN) and RLE_DICTIONARY data
// pages; everything else is PLAIN. A page holds about `pageBytes` of values, and pages of a
// repeated column start at a record boundary (repetition level 0).

import type { LeafColumn } from '../batch/column-batch.ts';
import { ByteWriter } from './byte-writer.ts';
import { bitWidth, encodeRleHybrid } from './rle.ts';
import { CompactWriter } from './thrift.ts';

export const Encoding = { PLAIN: 0, RLE: 3, RLE_DICTIONARY: 8 } as const;
const PAGE_DATA = 0;
const PAGE_DICTIONARY = 2;

export interface ChunkResult {
  /** Page headers and pages, in file order. */
  parts: Uint8Array[];
  byteLength: number;
  /** Offsets relative to the chunk start. */
  dictionaryPageOffset: number | undefined;
  dataPageOffset: number;
  numValues: number;
  uncompressedSize: number;
  compressedSize: number;
  encodings: number[];
}

export interface ChunkOptions {
  compress: (b: Uint8Array) => Uint8Array;
  pageBytes: number;
}

/** The buffer page headers are written into (each is copied out): one, not one per page. */
const headerOut = new ByteWriter(256);

function pageHeader(type: number, uncompressed: number, compressed: number, body: (w: CompactWriter) => void): Uint8Array {
  headerOut.reset();
  const w = new CompactWriter(headerOut);
  w.i32(1, type).i32(2, uncompressed).i32(3, compressed);
  body(w);
  return w.finish().slice();
}

/** Estimated bytes per value (for page sizing). */
function bytesPerValue(col: LeafColumn): number {
  switch (col.kind) {
    case 'boolean':
      return 0.125;
    case 'int32':
    case 'float':
      return 4;
    case 'int64':
    case 'double':
      return 8;
    case 'fixed':
      return col.width;
    case 'bytes':
      if (col.dict !== null) return Math.max(1, bitWidth(col.dict.size - 1)) / 8;
      return col.valueCount === 0 ? 1 : (col.values as Uint8Array).length / col.valueCount + 4;
  }
}

export function writeColumnChunk(col: LeafColumn, l0: number, l1: number, v0: number, opts: ChunkOptions, scratch: ByteWriter): ChunkResult {
  const parts: Uint8Array[] = [];
  let byteLength = 0;
  let uncompressedSize = 0;
  let compressedSize = 0;
  const push = (header: Uint8Array, page: Uint8Array, rawLen: number) => {
    parts.push(header, page);
    byteLength += header.length + page.length;
    uncompressedSize += header.length + rawLen;
    compressedSize += header.length + page.length;
  };

  const dict = col.dict;
  let dictionaryPageOffset: number | undefined;
  let indexWidth = 0;
  if (dict !== null) {
    const w = scratch;
    w.reset();
    const off = dict.offsets;
    w.ensure(dict.data.length + 4 * dict.size);
    for (let k = 0; k < dict.size; k++) {
      const a = off[k];
      const b = off[k + 1];
      w.int32LE(b - a);
      w.bytes(dict.data.subarray(a, b));
    }
    const raw = w.result();
    const page = opts.compress(raw);
    const header = pageHeader(PAGE_DICTIONARY, raw.length, page.length, (h) => {
      h.struct(7).i32(1, dict.size).i32(2, Encoding.PLAIN).end();
    });
    dictionaryPageOffset = 0;
    push(header, page === raw ? raw.slice() : page, raw.length);
    indexWidth = Math.max(1, bitWidth(dict.size - 1));
  }
  const dataPageOffset = byteLength;

  // page boundaries over level entries
  const levelsPerPage = Math.max(1024, Math.floor(opts.pageBytes / bytesPerValue(col)));
  const def = col.def;
  const rep = col.rep;
  const maxDef = col.maxDef;
  let v = v0;
  for (let a = l0; a < l1;) {
    let b = Math.min(l1, a + levelsPerPage);
    if (rep !== null) while (b < l1 && rep[b] !== 0) b++;
    // values in this page
    let nv = b - a;
    if (def !== null) {
      nv = 0;
      for (let i = a; i < b; i++) if (def[i] === maxDef) nv++;
    }
    const w = scratch;
    w.reset();
    if (rep !== null) levels(rep, a, b, bitWidth(col.maxRep), w);
    if (def !== null) levels(def, a, b, bitWidth(maxDef), w);
    if (dict !== null) {
      w.u8(indexWidth);
      encodeRleHybrid(dict.indices, v, v + nv, indexWidth, w);
    } else plainValues(col, v, v + nv, w);
    const raw = w.result();
    const page = opts.compress(raw);
    const header = pageHeader(PAGE_DATA, raw.length, page.length, (h) => {
      h.struct(5)
        .i32(1, b - a)
        .i32(2, dict !== null ? Encoding.RLE_DICTIONARY : Encoding.PLAIN)
        .i32(3, Encoding.RLE)
        .i32(4, Encoding.RLE)
        .end();
    });
    push(header, page === raw ? raw.slice() : page, raw.length);
    v += nv;
    a = b;
  }
  return {
    parts,
    byteLength,
    dictionaryPageOffset,
    dataPageOffset,
    numValues: l1 - l0,
    uncompressedSize,
    compressedSize,
    encodings: dict !== null ? [Encoding.PLAIN, Encoding.RLE, Encoding.RLE_DICTIONARY] : [Encoding.PLAIN, Encoding.RLE],
  };
}

function levels(lv: Uint8Array, a: number, b: number, width: number, w: ByteWriter): void {
  const lenAt = w.pos;
  w.int32LE(0);
  encodeRleHybrid(lv, a, b, width, w);
  const len = w.pos - lenAt - 4;
  const buf = w.buf;
  buf[lenAt] = len & 0xff;
  buf[lenAt + 1] = (len >>> 8) & 0xff;
  buf[lenAt + 2] = (len >>> 16) & 0xff;
  buf[lenAt + 3] = (len >>> 24) & 0xff;
}

function rawBytes(a: Int32Array | BigInt64Array | Float32Array | Float64Array, from: number, to: number): Uint8Array {
  const el = a.BYTES_PER_ELEMENT;
  return new Uint8Array(a.buffer, a.byteOffset + from * el, (to - from) * el);
}

function plainValues(col: LeafColumn, v0: number, v1: number, w: ByteWriter): void {
  switch (col.kind) {
    case 'boolean': {
      const v = col.values as Uint8Array;
      const n = v1 - v0;
      const bytes = (n + 7) >> 3;
      w.ensure(bytes);
      const buf = w.buf;
      const p = w.pos;
      buf.fill(0, p, p + bytes);
      for (let i = 0; i < n; i++) if (v[v0 + i]) buf[p + (i >> 3)] |= 1 << (i & 7);
      w.pos = p + bytes;
      return;
    }
    case 'int32':
    case 'int64':
    case 'float':
    case 'double':
      w.bytes(rawBytes(col.values as Int32Array, v0, v1));
      return;
    case 'fixed':
      w.bytes((col.values as Uint8Array).subarray(v0 * col.width, v1 * col.width));
      return;
    case 'bytes': {
      const off = col.offsets!;
      const data = col.values as Uint8Array;
      w.ensure(off[v1] - off[v0] + 4 * (v1 - v0));
      const buf = w.buf;
      let p = w.pos;
      for (let i = v0; i < v1; i++) {
        const a = off[i];
        const len = off[i + 1] - a;
        buf[p] = len & 0xff;
        buf[p + 1] = (len >>> 8) & 0xff;
        buf[p + 2] = (len >>> 16) & 0xff;
        buf[p + 3] = (len >>> 24) & 0xff;
        p += 4;
        if (len < 64) for (let k = 0; k < len; k++) buf[p + k] = data[a + k];
        else buf.set(data.subarray(a, a + len), p);
        p += len;
      }
      w.pos = p;
      return;
    }
  }
}
