// Min / max / null / NaN statistics of one leaf column over a range of its values, with the
// bounds in Parquet's PLAIN encoding (which, for every type we write, is also Iceberg's
// single-value form, except decimals and truncation: see metrics.ts).
//
// Orders: signed for INT32/INT64 (and decimals stored in them), IEEE for floats with NaN
// left out (a zero bound is written as -0 for min and +0 for max, as Parquet asks), unsigned
// bytes for strings, binary, fixed and UUID, two's-complement for FIXED decimals.

import type { LeafColumn } from '../batch/column-batch.ts';
import { primitiveKind } from '../iceberg/types.ts';

export interface ColumnStats {
  nullCount: number;
  nanCount: number;
  min?: Uint8Array;
  max?: Uint8Array;
}

export function compareBytes(a: Uint8Array, ao: number, al: number, b: Uint8Array, bo: number, bl: number, signedFirst = false): number {
  const n = al < bl ? al : bl;
  for (let i = 0; i < n; i++) {
    let x = a[ao + i];
    let y = b[bo + i];
    if (i === 0 && signedFirst) {
      x ^= 0x80;
      y ^= 0x80;
    }
    if (x !== y) return x - y;
  }
  return al - bl;
}

/** Null count over level entries [l0, l1). */
export function countNulls(col: LeafColumn, l0: number, l1: number): number {
  if (col.def === null) return 0;
  const def = col.def;
  const max = col.maxDef;
  let n = 0;
  for (let i = l0; i < l1; i++) if (def[i] !== max) n++;
  return n;
}

export function columnStats(col: LeafColumn, v0: number, v1: number, nullCount: number): ColumnStats {
  const s: ColumnStats = { nullCount, nanCount: 0 };
  if (v1 <= v0) return s;
  switch (col.kind) {
    case 'boolean': {
      const v = col.values as Uint8Array;
      let min = 1,
        max = 0;
      for (let i = v0; i < v1; i++) {
        if (v[i]) max = 1;
        else min = 0;
      }
      s.min = Uint8Array.of(min);
      s.max = Uint8Array.of(max);
      return s;
    }
    case 'int32': {
      const v = col.values as Int32Array;
      let min = v[v0],
        max = v[v0];
      for (let i = v0 + 1; i < v1; i++) {
        const x = v[i];
        if (x < min) min = x;
        else if (x > max) max = x;
      }
      s.min = new Uint8Array(Int32Array.of(min).buffer);
      s.max = new Uint8Array(Int32Array.of(max).buffer);
      return s;
    }
    case 'int64': {
      const big = col.values as BigInt64Array;
      const v = new Int32Array(big.buffer, big.byteOffset, big.length * 2);
      let minI = v0,
        maxI = v0;
      let minHi = v[2 * v0 + 1],
        minLo = v[2 * v0] >>> 0,
        maxHi = minHi,
        maxLo = minLo;
      for (let i = v0 + 1; i < v1; i++) {
        const hi = v[2 * i + 1];
        const lo = v[2 * i] >>> 0;
        if (hi < minHi || (hi === minHi && lo < minLo)) {
          minHi = hi;
          minLo = lo;
          minI = i;
        } else if (hi > maxHi || (hi === maxHi && lo > maxLo)) {
          maxHi = hi;
          maxLo = lo;
          maxI = i;
        }
      }
      s.min = new Uint8Array(BigInt64Array.of(big[minI]).buffer);
      s.max = new Uint8Array(BigInt64Array.of(big[maxI]).buffer);
      return s;
    }
    case 'float':
    case 'double': {
      const v = col.values as Float32Array | Float64Array;
      let min = Infinity,
        max = -Infinity,
        nan = 0,
        any = false;
      for (let i = v0; i < v1; i++) {
        const x = v[i];
        if (x !== x) {
          nan++;
          continue;
        }
        any = true;
        if (x < min) min = x;
        if (x > max) max = x;
      }
      s.nanCount = nan;
      if (any) {
        if (min === 0) min = -0;
        if (max === 0) max = 0;
        const Ctor = col.kind === 'float' ? Float32Array : Float64Array;
        s.min = new Uint8Array(Ctor.of(min).buffer);
        s.max = new Uint8Array(Ctor.of(max).buffer);
      }
      return s;
    }
    case 'fixed': {
      const w = col.width;
      const v = col.values as Uint8Array;
      const signed = primitiveKind(col.type) === 'decimal';
      let minAt = v0 * w,
        maxAt = v0 * w;
      for (let i = v0 + 1; i < v1; i++) {
        const at = i * w;
        if (compareBytes(v, at, w, v, minAt, w, signed) < 0) minAt = at;
        else if (compareBytes(v, at, w, v, maxAt, w, signed) > 0) maxAt = at;
      }
      s.min = v.slice(minAt, minAt + w);
      s.max = v.slice(maxAt, maxAt + w);
      return s;
    }
    case 'bytes': {
      if (col.dict !== null) {
        const d = col.dict;
        const off = d.offsets;
        const data = d.data;
        let used: Uint8Array | null = null;
        if (!(v0 === 0 && v1 === col.valueCount)) {
          used = new Uint8Array(d.size);
          for (let i = v0; i < v1; i++) used[d.indices[i]] = 1;
        }
        let minK = -1,
          maxK = -1;
        for (let k = 0; k < d.size; k++) {
          if (used !== null && used[k] === 0) continue;
          if (minK < 0) {
            minK = maxK = k;
            continue;
          }
          const a = off[k],
            l = off[k + 1] - a;
          if (compareBytes(data, a, l, data, off[minK], off[minK + 1] - off[minK]) < 0) minK = k;
          else if (compareBytes(data, a, l, data, off[maxK], off[maxK + 1] - off[maxK]) > 0) maxK = k;
        }
        s.min = data.slice(off[minK], off[minK + 1]);
        s.max = data.slice(off[maxK], off[maxK + 1]);
        return s;
      }
      const off = col.offsets!;
      const data = col.values as Uint8Array;
      let minI = v0,
        maxI = v0;
      for (let i = v0 + 1; i < v1; i++) {
        const a = off[i],
          l = off[i + 1] - a;
        if (compareBytes(data, a, l, data, off[minI], off[minI + 1] - off[minI]) < 0) minI = i;
        else if (compareBytes(data, a, l, data, off[maxI], off[maxI + 1] - off[maxI]) > 0) maxI = i;
      }
      s.min = data.slice(off[minI], off[minI + 1]);
      s.max = data.slice(off[maxI], off[maxI + 1]);
      return s;
    }
  }
}

/** Orders two PLAIN-encoded bounds of a leaf of this kind (as columnStats compares values). */
function compareBound(kind: LeafColumn['kind'], type: LeafColumn['type'], a: Uint8Array, b: Uint8Array): number {
  const da = new DataView(a.buffer, a.byteOffset, a.byteLength);
  const db = new DataView(b.buffer, b.byteOffset, b.byteLength);
  switch (kind) {
    case 'boolean':
      return a[0] - b[0];
    case 'int32':
      return da.getInt32(0, true) - db.getInt32(0, true);
    case 'int64': {
      const x = da.getBigInt64(0, true);
      const y = db.getBigInt64(0, true);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 'float':
      return da.getFloat32(0, true) - db.getFloat32(0, true);
    case 'double':
      return da.getFloat64(0, true) - db.getFloat64(0, true);
    case 'fixed':
      return compareBytes(a, 0, a.length, b, 0, b.length, primitiveKind(type) === 'decimal');
    case 'bytes':
      return compareBytes(a, 0, a.length, b, 0, b.length);
  }
}

/**
 * Statistics of two ranges of a column together (file-level statistics from row groups'):
 * counts add up, the bounds are the lower min and the higher max.
 */
export function mergeStats(col: { kind: LeafColumn['kind']; type: LeafColumn['type'] }, a: ColumnStats, b: ColumnStats): ColumnStats {
  const s: ColumnStats = { nullCount: a.nullCount + b.nullCount, nanCount: a.nanCount + b.nanCount };
  if (a.min === undefined || a.max === undefined) {
    s.min = b.min;
    s.max = b.max;
  } else if (b.min === undefined || b.max === undefined) {
    s.min = a.min;
    s.max = a.max;
  } else {
    s.min = compareBound(col.kind, col.type, b.min, a.min) < 0 ? b.min : a.min;
    s.max = compareBound(col.kind, col.type, b.max, a.max) > 0 ? b.max : a.max;
  }
  return s;
}
