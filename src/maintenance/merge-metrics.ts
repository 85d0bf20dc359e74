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

/** Orders two single-value bounds of a primitive type as Iceberg compares the values. */
export function compareBounds(type: IcebergType, a: Uint8Array, b: Uint8Array): number {
  if (typeof type !== 'string') throw new TypeError('bounds exist only for primitive columns');
  const dv = (x: Uint8Array) => new DataView(x.buffer, x.byteOffset, x.byteLength);
  const sign = (x: number | bigint) => (x < 0 ? -1 : x > 0 ? 1 : 0);
  switch (primitiveKind(type)) {
    case 'boolean':
      return a[0] - b[0];
    case 'int':
    case 'date':
      return sign(dv(a).getInt32(0, true) - dv(b).getInt32(0, true));
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns':
      return sign(dv(a).getBigInt64(0, true) - dv(b).getBigInt64(0, true));
    case 'float':
    case 'double': {
      const x = a.length === 4 ? dv(a).getFloat32(0, true) : dv(a).getFloat64(0, true);
      const y = b.length === 4 ? dv(b).getFloat32(0, true) : dv(b).getFloat64(0, true);
      if (x === y) return (Object.is(x, -0) ? 0 : 1) - (Object.is(y, -0) ? 0 : 1); // -0 < 0
      return x < y ? -1 : 1;
    }
    case 'decimal':
      return sign(bigIntFromBytes(a) - bigIntFromBytes(b));
    case 'string': // UTF-8 bytes in unsigned order = code point order
    case 'uuid':
    case 'fixed':
    case 'binary':
      return unsignedBytes(a, b);
  }
  throw new TypeError(`no order for ${type}`);
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
        const c = compareBounds(type, b, best);
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
    const ids = new Set<number>();
    for (const f of inputs) for (const id of f[key]?.keys() ?? []) ids.add(id);
    for (const id of [...ids].sort((a, b) => a - b)) {
      let sum = 0;
      let known = true;
      for (const f of inputs) {
        const v = f[key]?.get(id);
        if (v === undefined) known = false;
        else sum += v;
      }
      if (known) m[key].set(id, sum);
    }
  }
  return m;
}
