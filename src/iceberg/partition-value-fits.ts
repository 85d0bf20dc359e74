// Whether a partition value fits its partition field's type. A transform can leave its
// source's range: truncate of a decimal rounds towards negative infinity, so truncate(10) of
// decimal(4,2) -99.99 is -100.00, which has 5 digits. Iceberg's writers refuse such a value
// when they write the manifest; checking it per record lets the writer refuse the record
// before any data file is written. Pure: no I/O.
import type { IcebergType } from './types.ts';
import { decimalParams } from './types.ts';

/** Why `value` (a partition value, as transforms return it) does not fit `type`; undefined when it fits. */
export function partitionValueProblem(type: IcebergType, value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  const decimal = decimalParams(type);
  if (decimal && typeof value === 'bigint') {
    const limit = 10n ** BigInt(decimal.precision);
    if (value >= limit || value <= -limit) return `needs more than ${decimal.precision} digits`;
  }
  return undefined;
}

/** True when partition values of this type can fall outside it (so a writer must check them). */
export function partitionValueCanOverflow(type: IcebergType): boolean {
  return decimalParams(type) !== undefined;
}
