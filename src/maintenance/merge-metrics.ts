// Iceberg data-file metrics of a file made by joining other files' rows unchanged (stitch.ts),
// merged from the inputs' manifest entries without reading a value:
//   record count, column sizes, value / null / NaN counts  → sums (a column missing from any
//     input's map is left out: its total is unknown);
//   lower bounds → the smallest, upper bounds → the largest, compared by the column's Iceberg
//     type (a truncated string/binary lower bound is a prefix, so the smallest is still a lower
//     bound; a truncated upper bound was incremented, so the largest is still an upper bound).
//     An input without a bound for a column counts only when its counts prove it has no
//     non-null, non-NaN value there; otherwise the merged bound is left out (always safe);
//   split offsets → the caller's (the row groups' new positions).
import type { DataFile, DataFileMetrics } from '../iceberg/data-file.ts';
import { findField } from '../iceberg/schema.ts';
import { bigIntFromBytes } from '../iceberg/single-value.ts';
import type { IcebergType, Schema } from '../iceberg/types.ts';
import { primitiveKind } from '../iceberg/types.ts';

type CountKey = 'column-sizes' | 'value-counts' | 'null-value-counts' | 'nan-value-counts';
const COUNTS: CountKey[] = ['column-sizes', 'value-counts', 'null-value-counts', 'nan-value-counts'];

function unsignedBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** A little-endian int32 at `at` (read byte by byte: no DataView per bound). */
const int32At = (x: Uint8Array, at: number) => x[at] | (x[at + 1] << 8) | (x[at + 2] << 16) | (x[at + 3] << 24);
const sign = (x: number | bigint) => (x < 0 ? -1 : x > 0 ? 1 : 0);

type Compare = (a: Uint8Array, b: Uint8Array) => number;

// floats read through one scratch buffer (no DataView per bound; the platform's byte order is little-endian)
const f64 = new Float64Array(1);
const f32 = new Float32Array(f64.buffer, 0, 1);
const scratch = new Uint8Array(f64.buffer);
function floatOf(x: Uint8Array): number {
  scratch.set(x);
  return x.length === 4 ? f32[0] : f64[0];
}
const compareInt: Compare = (a, b) => sign(int32At(a, 0) - int32At(b, 0));
// 8 bytes little-endian: the high words as signed, then the low words as unsigned
const compareLong: Compare = (a, b) => {
  const high = int32At(a, 4) - int32At(b, 4);
  return high !== 0 ? sign(high) : sign((int32At(a, 0) >>> 0) - (int32At(b, 0) >>> 0));
};
const compareFloat: Compare = (a, b) => {
  const x = floatOf(a);
  const y = floatOf(b);
  if (x === y) return (Object.is(x, -0) ? 0 : 1) - (Object.is(y, -0) ? 0 : 1); // -0 < 0
  return x < y ? -1 : 1;
};

/** How two single-value bounds of a primitive type compare, as Iceberg compares the values. */
function boundOrder(type: IcebergType): Compare {
  if (typeof type !== 'string') throw new TypeError('bounds exist only for primitive columns');
  switch (primitiveKind(type)) {
    case 'boolean':
      return (a, b) => a[0] - b[0];
    case 'int':
    case 'date':
      return compareInt;
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns':
      return compareLong;
    case 'float':
    case 'double':
      return compareFloat;
    case 'decimal':
      return (a, b) => sign(bigIntFromBytes(a) - bigIntFromBytes(b));
    case 'string': // UTF-8 bytes in unsigned order = code point order
    case 'uuid':
    case 'fixed':
    case 'binary':
      return unsignedBytes;
  }
  throw new TypeError(`no order for ${type}`);
}

/** Orders two single-value bounds of a primitive type as Iceberg compares the values. */
export function compareBounds(type: IcebergType, a: Uint8Array, b: Uint8Array): number {
  return boundOrder(type)(a, b);
}

/** True when the input's counts prove column `id` has no value a bound would cover. */
function provablyEmpty(f: DataFile, id: number): boolean {
  const values = f['value-counts']?.get(id);
  const nulls = f['null-value-counts']?.get(id);
  if (values === undefined || nulls === undefined) return false;
  return values - nulls - (f['nan-value-counts']?.get(id) ?? 0) <= 0;
}

function mergeBounds(schema: Schema, inputs: DataFile[], key: 'lower-bounds' | 'upper-bounds'): Map<number, Uint8Array> {
  const ids = new Set<number>();
  for (const f of inputs) for (const id of f[key]?.keys() ?? []) ids.add(id);
  const out = new Map<number, Uint8Array>();
  for (const id of [...ids].sort((a, b) => a - b)) {
    const type = findField(schema, id)?.type;
    if (type === undefined || typeof type !== 'string') continue; // a dropped column: unknown order
    const compare = boundOrder(type);
    let best: Uint8Array | undefined;
    let known = true;
    for (const f of inputs) {
      const b = f[key]?.get(id);
      if (b === undefined) {
        if (!provablyEmpty(f, id)) known = false;
        continue;
      }
      if (best === undefined) best = b;
      else {
        const c = compare(b, best);
        if (key === 'lower-bounds' ? c < 0 : c > 0) best = b;
      }
    }
    if (known && best !== undefined) out.set(id, best);
  }
  return out;
}

/** Metrics of the file that holds every input's rows (see the module comment). */
export function mergeMetrics(schema: Schema, inputs: DataFile[], splitOffsets: number[]): DataFileMetrics {
  if (inputs.length === 0) throw new Error('mergeMetrics: no inputs');
  const m: DataFileMetrics = {
    'record-count': inputs.reduce((n, f) => n + f['record-count'], 0),
    'column-sizes': new Map(),
    'value-counts': new Map(),
    'null-value-counts': new Map(),
    'nan-value-counts': new Map(),
    'lower-bounds': mergeBounds(schema, inputs, 'lower-bounds'),
    'upper-bounds': mergeBounds(schema, inputs, 'upper-bounds'),
    'split-offsets': splitOffsets,
  };
  for (const key of COUNTS) {
    // a column counts when every input has it: the first input's ids, summed over the inputs
    const first = inputs[0][key];
    if (!first) continue;
    const ids = [...first.keys()].sort((a, b) => a - b);
    const sums = ids.map((id) => first.get(id)!);
    let left = ids.length;
    for (let i = 1; i < inputs.length && left > 0; i++) {
      const map = inputs[i][key];
      for (let j = 0; j < ids.length; j++) {
        if (Number.isNaN(sums[j])) continue;
        const v = map?.get(ids[j]);
        if (v === undefined) {
          sums[j] = NaN; // unknown
          left--;
        } else sums[j] += v;
      }
    }
    for (let j = 0; j < ids.length; j++) if (!Number.isNaN(sums[j])) m[key].set(ids[j], sums[j]);
  }
  return m;
}
