// Iceberg data-file metrics from the encoder's own accounting.
//
// - value counts: level entries of the leaf (for nested leaves: one per leaf slot, nulls and
//   empty lists/maps included), as Parquet's num_values counts them;
// - null counts: entries below the maximum definition level;
// - NaN counts: float/double leaves;
// - bounds: primitive leaves not inside a list or map, from the min/max statistics, in
//   Iceberg's single-value form; strings truncated to `truncateLength` code points and binary
//   to `truncateLength` bytes (the upper bound incremented, or dropped when it cannot be).
//   UUID columns get no bounds: Iceberg implementations have disagreed on whether UUIDs
//   compare signed or unsigned, and a bound read with the other order would wrongly prune.

import type { LeafColumn } from '../batch/column-batch.ts';
import { bigIntFromBytes, bigIntToMinimalBytes, truncateBinaryLower, truncateBinaryUpper, truncateUtf8Lower, truncateUtf8Upper } from '../iceberg/single-value.ts';
import { primitiveKind } from '../iceberg/types.ts';
import type { ColumnStats } from './statistics.ts';

function decimalBound(col: Pick<LeafColumn, 'kind'>, b: Uint8Array): Uint8Array {
  let v: bigint;
  if (col.kind === 'int32') v = BigInt(new DataView(b.buffer, b.byteOffset, 4).getInt32(0, true));
  else if (col.kind === 'int64') v = new DataView(b.buffer, b.byteOffset, 8).getBigInt64(0, true);
  else v = bigIntFromBytes(b);
  return bigIntToMinimalBytes(v);
}

export function icebergBounds(col: Pick<LeafColumn, 'kind' | 'type' | 'maxRep'>, stats: ColumnStats, truncateLength: number): { lower?: Uint8Array; upper?: Uint8Array } {
  if (col.maxRep > 0 || stats.min === undefined || stats.max === undefined) return {};
  const kind = primitiveKind(col.type);
  switch (kind) {
    case 'uuid':
      return {};
    case 'decimal':
      return { lower: decimalBound(col, stats.min), upper: decimalBound(col, stats.max) };
    case 'string':
      return { lower: truncateUtf8Lower(stats.min, truncateLength).slice(), upper: truncateUtf8Upper(stats.max, truncateLength)?.slice() };
    case 'binary':
      return { lower: truncateBinaryLower(stats.min, truncateLength).slice(), upper: truncateBinaryUpper(stats.max, truncateLength)?.slice() };
    default:
      return { lower: stats.min, upper: stats.max };
  }
}
