// Leaf columns of one leaf joined end to end (the row groups of many files, read back by
// parquet/decode-chunk.ts, into the row group of a rewrite), a set of leaf columns cut at a
// row, and the in-memory estimate of a leaf column. Pure functions over LeafColumn.
//
// Joining appends levels and values. Strings stay a dictionary when every piece has one and
// the merged dictionary stays within what a LeafBuilder would keep (the same rule, applied as
// values arrive: at most DICT_MAX_ENTRIES entries and DICT_MAX_BYTES bytes, and past DICT_PROBE
// entries no more distinct entries than half the values); entries are matched by their bytes
// (a hash table over the merged entries' bytes, no strings made; one look-up per entry a piece
// uses, not per value), and only entries some value uses are kept, in order of first use, as the builder
// keeps them (the encoder takes every entry for the column's statistics). Otherwise the
// strings come out plain (offsets and bytes). The result owns fresh arrays: nothing is shared
// with the pieces, so its buffers can be transferred to a worker.
import type { DictionaryData, LeafColumn } from './column-batch.ts';
import { DICT_MAX_BYTES, DICT_MAX_ENTRIES, DICT_PROBE } from './leaf-builder.ts';

/** The estimate LeafBuilder.estimatedBytes gives for the same column (levels, values, dictionary). */
export function leafColumnBytes(col: LeafColumn): number {
  const b = col.levelCount * ((col.maxDef > 0 ? 1 : 0) + (col.maxRep > 0 ? 1 : 0));
  const n = col.valueCount;
  switch (col.kind) {
    case 'boolean':
      return b + n;
    case 'int32':
    case 'float':
      return b + n * 4;
    case 'int64':
    case 'double':
      return b + n * 8;
    case 'fixed':
      return b + n * col.width;
    case 'bytes': {
      const d = col.dict;
      if (d === null) return b + (n === 0 ? 0 : col.offsets![n] - col.offsets![0]) + n * 4;
      // a row group of a file cut into several carries the file's whole dictionary: count at
      // most as many entries as values
      const entries = Math.min(d.size, n);
      const bytes = d.size === 0 ? 0 : Math.round((d.data.length * entries) / d.size);
      return b + n * 4 + bytes + entries * 4;
    }
  }
}

function sameLeaf(a: LeafColumn, b: LeafColumn): boolean {
  return a.fieldId === b.fieldId && a.kind === b.kind && a.width === b.width && a.maxDef === b.maxDef && a.maxRep === b.maxRep;
}

type Numeric = Int32Array | BigInt64Array | Float32Array | Float64Array;

/** The pieces (columns of one leaf, in order) as one column; see the module comment. */
export function concatLeafColumns(pieces: LeafColumn[]): LeafColumn {
  if (pieces.length === 0) throw new Error('concatLeafColumns: no pieces');
  const first = pieces[0];
  let levelCount = 0;
  let valueCount = 0;
  for (const p of pieces) {
    if (!sameLeaf(first, p)) throw new Error(`concatLeafColumns: ${p.columnPath} (id ${p.fieldId}, ${p.kind}) is not the leaf of ${first.columnPath} (id ${first.fieldId}, ${first.kind})`);
    levelCount += p.levelCount;
    valueCount += p.valueCount;
  }
  const levels = (which: 'def' | 'rep', max: number): Uint8Array | null => {
    if (max === 0) return null;
    const out = new Uint8Array(levelCount);
    let at = 0;
    for (const p of pieces) {
      const l = p[which];
      if (l === null || l.length < p.levelCount) throw new Error(`concatLeafColumns: ${p.columnPath} lacks its ${which} levels`);
      out.set(l.subarray(0, p.levelCount), at);
      at += p.levelCount;
    }
    return out;
  };
  const out: LeafColumn = {
    fieldId: first.fieldId,
    columnPath: first.columnPath,
    parquetPath: first.parquetPath,
    type: first.type,
    kind: first.kind,
    width: first.width,
    maxDef: first.maxDef,
    maxRep: first.maxRep,
    levelCount,
    def: levels('def', first.maxDef),
    rep: levels('rep', first.maxRep),
    valueCount,
    values: null,
    offsets: null,
    dict: null,
  };
  switch (first.kind) {
    case 'boolean':
    case 'fixed': {
      const w = first.kind === 'fixed' ? first.width : 1;
      const v = new Uint8Array(valueCount * w);
      let at = 0;
      for (const p of pieces) {
        v.set((p.values as Uint8Array).subarray(0, p.valueCount * w), at);
        at += p.valueCount * w;
      }
      out.values = v;
      return out;
    }
    case 'int32':
    case 'int64':
    case 'float':
    case 'double': {
      const Ctor = (first.values as Numeric).constructor as new (n: number) => Numeric;
      const v = new Ctor(valueCount);
      let at = 0;
      for (const p of pieces) {
        v.set((p.values as Numeric).subarray(0, p.valueCount) as never, at);
        at += p.valueCount;
      }
      out.values = v;
      return out;
    }
    case 'bytes': {
      const dict = pieces.every((p) => p.dict !== null) ? mergeDictionaries(pieces, valueCount) : null;
      if (dict !== null) out.dict = dict;
      else {
        const { offsets, data } = plainBytes(pieces, valueCount);
        out.offsets = offsets;
        out.values = data;
      }
      return out;
    }
  }
}

/**
 * The merged dictionary being built: entries' bytes back to back, and an open-addressing table
 * (linear probing) from a hash of an entry's bytes to its index, so a look-up makes no string.
 */
class ByteDictionary {
  size = 0;
  bytes = 0;
  offsets = new Int32Array(256);
  data = new Uint8Array(4096);
  private hashes = new Int32Array(256);
  private slots = new Int32Array(1024); // index + 1; 0 is empty
  private mask = 1023;

  /** The index of src[a, b), or -1. */
  find(src: Uint8Array, a: number, b: number, h: number): number {
    const len = b - a;
    const { slots, hashes, offsets, data, mask } = this;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const k = slots[s] - 1;
      if (k < 0) return -1;
      if (hashes[k] !== h) continue;
      const at = offsets[k];
      if (offsets[k + 1] - at !== len) continue;
      let i = 0;
      while (i < len && data[at + i] === src[a + i]) i++;
      if (i === len) return k;
    }
  }

  /** Adds src[a, b) (not in the dictionary yet) and returns its index. */
  add(src: Uint8Array, a: number, b: number, h: number): number {
    const k = this.size;
    const len = b - a;
    if (k + 2 > this.offsets.length) {
      this.offsets = grown(this.offsets, k + 2);
      this.hashes = grown(this.hashes, k + 1);
    }
    if (this.bytes + len > this.data.length) this.data = grown(this.data, this.bytes + len);
    if (len < 32) for (let i = 0; i < len; i++) this.data[this.bytes + i] = src[a + i];
    else this.data.set(src.subarray(a, b), this.bytes);
    this.bytes += len;
    this.offsets[k + 1] = this.bytes;
    this.hashes[k] = h;
    this.size = k + 1;
    if (this.size * 2 > this.slots.length) this.rehash();
    else this.place(k, h);
    return k;
  }

  private place(k: number, h: number): void {
    const { slots, mask } = this;
    let s = h & mask;
    while (slots[s] !== 0) s = (s + 1) & mask;
    slots[s] = k + 1;
  }

  private rehash(): void {
    this.slots = new Int32Array(this.slots.length * 2);
    this.mask = this.slots.length - 1;
    for (let k = 0; k < this.size; k++) this.place(k, this.hashes[k]);
  }
}

function grown<T extends Int32Array | Uint8Array>(a: T, min: number): T {
  let cap = a.length * 2;
  while (cap < min) cap *= 2;
  const b = new (a.constructor as new (n: number) => T)(cap);
  b.set(a);
  return b;
}

/**
 * A hash of src[a, b): FNV-1a over every byte of a short entry, over the length and three
 * 4-byte samples (start, middle, end) of a longer one (look-ups compare the bytes anyway).
 */
function hashBytes(src: Uint8Array, a: number, b: number): number {
  const len = b - a;
  let h: number;
  if (len <= 16) {
    h = 0x811c9dc5 ^ len;
    for (let i = a; i < b; i++) h = Math.imul(h ^ src[i], 0x01000193);
  } else {
    const m = a + (len >> 1) - 2;
    h = Math.imul(len ^ src[a] ^ (src[a + 1] << 8) ^ (src[a + 2] << 16) ^ (src[a + 3] << 24), 0x9e3779b1);
    h = Math.imul(h ^ src[m] ^ (src[m + 1] << 8) ^ (src[m + 2] << 16) ^ (src[m + 3] << 24), 0x85ebca6b);
    h = Math.imul(h ^ src[b - 4] ^ (src[b - 3] << 8) ^ (src[b - 2] << 16) ^ (src[b - 1] << 24), 0xc2b2ae35);
  }
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return h ^ (h >>> 12);
}

// The per-value loops below are functions of their own, called once per piece: a loop nested in
// a loop over pieces would be compiled on its own (on-stack replacement) and dropped at every exit,
// so each piece would start over in the interpreter.

/** One dictionary over the pieces' values, or null when a LeafBuilder would have given it up. */
function mergeDictionaries(pieces: LeafColumn[], valueCount: number): DictionaryData | null {
  const dict = new ByteDictionary();
  const indices = new Int32Array(valueCount);
  let v = 0;
  for (const p of pieces) {
    v = remapPiece(dict, p.dict!, p.valueCount, indices, v);
    if (v < 0) return null;
  }
  return { size: dict.size, offsets: dict.offsets.slice(0, dict.size + 1), data: dict.data.slice(0, dict.bytes), indices };
}

/**
 * The `n` values of a piece's dictionary as indices of the merged one, at indices[v..]; returns
 * the next v, or -1 when the merged dictionary is given up.
 */
function remapPiece(dict: ByteDictionary, d: DictionaryData, n: number, indices: Int32Array, v: number): number {
  const off = d.offsets;
  const src = d.data;
  const idx = d.indices;
  const remap = new Int32Array(d.size).fill(-1);
  for (let i = 0; i < n; i++) {
    const k = idx[i];
    let m = remap[k];
    if (m < 0) {
      const a = off[k];
      const b = off[k + 1];
      const h = hashBytes(src, a, b);
      m = dict.find(src, a, b, h);
      if (m < 0) {
        // LeafBuilder.pushString's rule, with the values so far
        const size = dict.size;
        if (size >= DICT_MAX_ENTRIES || dict.bytes > DICT_MAX_BYTES || (size > DICT_PROBE && size * 2 > v)) return -1;
        m = dict.add(src, a, b, h);
      }
      remap[k] = m;
    }
    indices[v++] = m;
  }
  return v;
}

/** The pieces' strings as plain offsets and bytes. */
function plainBytes(pieces: LeafColumn[], valueCount: number): { offsets: Int32Array; data: Uint8Array } {
  let total = 0;
  for (const p of pieces) {
    const n = p.valueCount;
    if (p.dict === null) total += n === 0 ? 0 : p.offsets![n] - p.offsets![0];
    else total += dictionaryBytes(p.dict, n);
  }
  const offsets = new Int32Array(valueCount + 1);
  const data = new Uint8Array(total);
  let at = 0;
  let v = 0;
  for (const p of pieces) {
    const n = p.valueCount;
    if (n === 0) continue;
    if (p.dict === null) {
      const off = p.offsets!;
      const base = off[0];
      data.set((p.values as Uint8Array).subarray(base, off[n]), at);
      shiftOffsets(off, n, offsets, v, at - base);
      at += off[n] - base;
    } else at = expandDictionary(p.dict, n, data, at, offsets, v);
    v += n;
  }
  return { offsets, data };
}

/** Bytes of the first n values of a dictionary column. */
function dictionaryBytes(d: DictionaryData, n: number): number {
  const off = d.offsets;
  const idx = d.indices;
  let total = 0;
  for (let i = 0; i < n; i++) total += off[idx[i] + 1] - off[idx[i]];
  return total;
}

/** out[v + 1 .. v + n] = off[1 .. n] + shift. */
function shiftOffsets(off: Int32Array, n: number, out: Int32Array, v: number, shift: number): void {
  for (let i = 1; i <= n; i++) out[v + i] = off[i] + shift;
}

/** The first n values of a dictionary column as plain bytes at data[at..] (their end offsets at offsets[v + 1..]); returns the end. */
function expandDictionary(d: DictionaryData, n: number, data: Uint8Array, at: number, offsets: Int32Array, v: number): number {
  const off = d.offsets;
  const src = d.data;
  const idx = d.indices;
  for (let i = 0; i < n; i++) {
    const k = idx[i];
    const a = off[k];
    const len = off[k + 1] - a;
    if (len < 32) for (let j = 0; j < len; j++) data[at + j] = src[a + j];
    else data.set(src.subarray(a, a + len), at);
    at += len;
    offsets[v + i + 1] = at;
  }
  return at;
}

/** Level and value index where row `row` of the column starts (levelCount, valueCount past the last row). */
export function rowStart(col: LeafColumn, row: number): { level: number; value: number } {
  let level = row;
  const rep = col.rep;
  if (rep !== null) {
    let rows = -1;
    level = col.levelCount;
    for (let i = 0; i < col.levelCount; i++) {
      if (rep[i] === 0 && ++rows === row) {
        level = i;
        break;
      }
    }
  }
  let value = level;
  const def = col.def;
  if (def !== null) {
    value = 0;
    const max = col.maxDef;
    for (let i = 0; i < level; i++) if (def[i] === max) value++;
  }
  return { level, value };
}

/** Levels [l0, l1) and values [v0, v1) of a column, as views (dictionary shared). */
function slice(col: LeafColumn, l0: number, l1: number, v0: number, v1: number): LeafColumn {
  const out: LeafColumn = {
    ...col,
    levelCount: l1 - l0,
    def: col.def && col.def.subarray(l0, l1),
    rep: col.rep && col.rep.subarray(l0, l1),
    valueCount: v1 - v0,
  };
  if (col.dict !== null) out.dict = { ...col.dict, indices: col.dict.indices.subarray(v0, v1) };
  else if (col.kind === 'bytes')
    out.offsets = col.offsets!.subarray(v0, v1 + 1); // offsets stay absolute into the same bytes
  else if (col.kind === 'fixed') out.values = (col.values as Uint8Array).subarray(v0 * col.width, v1 * col.width);
  else out.values = (col.values as Numeric | Uint8Array).subarray(v0, v1);
  return out;
}

/**
 * The columns of a set of rows cut before row `row`: the first `row` rows and the rest, as
 * views over the same arrays (for concatLeafColumns, which copies).
 */
export function splitRows(columns: LeafColumn[], row: number): [LeafColumn[], LeafColumn[]] {
  const head: LeafColumn[] = [];
  const tail: LeafColumn[] = [];
  for (const c of columns) {
    const { level, value } = rowStart(c, row);
    head.push(slice(c, 0, level, 0, value));
    tail.push(slice(c, level, c.levelCount, value, c.valueCount));
  }
  return [head, tail];
}
