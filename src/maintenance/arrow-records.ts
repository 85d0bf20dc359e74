// Rows of an Arrow record batch (as parquet-wasm reads a Parquet file) as the plain JS records
// floe's writer takes (batch/coerce.ts), projected onto an Iceberg schema by field id.
//
// Columns are matched by the Parquet field id Arrow carries in each field's metadata
// ("PARQUET:field_id"), at every level (struct fields, list elements, map keys and values), so a
// renamed column is found and a dropped one ignored. A field of the schema that the file does
// not have reads as its initial-default, else null (a column added after the file was written).
// Iceberg's type promotions are applied: int → long, float → double, decimal(P, S) → decimal(P', S)
// (the unscaled value is kept); anything else that differs is refused (ProjectionError).
//
// Values are read straight from the Arrow buffers (no Arrow-JS row objects): longs, times and
// timestamps stay bigints at their full precision (timestamps converted to the target unit),
// decimals become their unscaled bigint, dates days since the epoch, uuids and fixed 16-byte
// arrays, strings strings, binaries copies of their bytes.
import * as arrow from 'apache-arrow';
import type { IcebergType, NestedField, Schema } from '../iceberg/types.ts';
import { decimalParams, fixedLength, primitiveKind } from '../iceberg/types.ts';
import { FloeError } from '../errors.ts';

/** The file's column does not hold the table's type (and no promotion leads from one to the other). */
export class ProjectionError extends FloeError {
  constructor(message: string) {
    super('fatal', message);
  }
}

type Reader = (i: number) => unknown;

const FIELD_ID = 'PARQUET:field_id';

/** The Parquet field id of an Arrow field, if it has one. */
export function arrowFieldId(f: arrow.Field): number | undefined {
  const v = f.metadata.get(FIELD_ID);
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isInteger(n) ? n : undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

function nullable(data: arrow.Data, read: Reader): Reader {
  if (data.nullCount === 0) return read;
  return (i) => (data.getValid(i) ? read(i) : null);
}

const off = (o: ArrayLike<number | bigint>, i: number): number => Number(o[i]);

function bytesReader(data: arrow.Data, copy: boolean): Reader {
  const values = data.values as Uint8Array;
  const offsets = data.valueOffsets as ArrayLike<number | bigint>;
  return (i) => {
    const b = values.subarray(off(offsets, i), off(offsets, i + 1));
    return copy ? b.slice() : b;
  };
}

/** Multiplier from an Arrow time/timestamp unit to micro (`nanos` false) or nanoseconds. */
function unitFactor(unit: arrow.TimeUnit, nanos: boolean): { mul: bigint; div: bigint } {
  const perSecond = { [arrow.TimeUnit.SECOND]: 1n, [arrow.TimeUnit.MILLISECOND]: 1_000n, [arrow.TimeUnit.MICROSECOND]: 1_000_000n, [arrow.TimeUnit.NANOSECOND]: 1_000_000_000n }[unit];
  const want = nanos ? 1_000_000_000n : 1_000_000n;
  return perSecond <= want ? { mul: want / perSecond, div: 1n } : { mul: 1n, div: perSecond / want };
}

function int64Values(data: arrow.Data): Reader {
  const values = data.values as ArrayLike<number | bigint>;
  return (i) => BigInt(values[i]);
}

function primitive(type: string, data: arrow.Data, path: string): Reader {
  const t = data.type as arrow.DataType;
  const refuse = () => new ProjectionError(`${path}: the file holds ${String(t)}, the table ${type}`);
  const kind = primitiveKind(type as never);
  switch (kind) {
    case 'boolean': {
      if (!arrow.DataType.isBool(t)) throw refuse();
      const values = data.values as Uint8Array;
      return (i) => {
        const idx = data.offset + i;
        return (values[idx >> 3] & (1 << (idx & 7))) !== 0;
      };
    }
    case 'int':
    case 'long': {
      if (!arrow.DataType.isInt(t)) throw refuse();
      const bits = (t as arrow.Int).bitWidth;
      if (kind === 'int' && bits > 32) throw refuse();
      const values = data.values as ArrayLike<number | bigint>;
      if (bits === 64) return (i) => BigInt(values[i]);
      return (i) => Number(values[i]);
    }
    case 'float':
    case 'double': {
      if (!arrow.DataType.isFloat(t)) throw refuse();
      const precision = (t as arrow.Float).precision;
      if (kind === 'float' && precision === arrow.Precision.DOUBLE) throw refuse();
      if (precision === arrow.Precision.HALF) throw refuse();
      const values = data.values as Float32Array | Float64Array;
      return (i) => values[i];
    }
    case 'decimal': {
      if (arrow.DataType.isInt(t) || !arrow.DataType.isDecimal(t)) throw refuse();
      const want = decimalParams(type as never)!;
      const dt = t as arrow.Decimal;
      if (dt.scale !== want.scale || dt.precision > want.precision) throw refuse();
      const words = dt.bitWidth / 32;
      const values = data.values as Uint32Array;
      return (i) => {
        let v = 0n;
        for (let w = words - 1; w >= 0; w--) v = (v << 32n) | BigInt(values[i * words + w]);
        return BigInt.asIntN(dt.bitWidth, v);
      };
    }
    case 'date': {
      if (!arrow.DataType.isDate(t)) throw refuse();
      const values = data.values as ArrayLike<number | bigint>;
      if ((t as arrow.Date_).unit === arrow.DateUnit.DAY) return (i) => Number(values[i]);
      return (i) => Math.floor(Number(values[i]) / 86_400_000);
    }
    case 'time': {
      if (!arrow.DataType.isTime(t)) throw refuse();
      const { mul, div } = unitFactor((t as arrow.Time).unit, false);
      const values = data.values as ArrayLike<number | bigint>;
      return (i) => (BigInt(values[i]) * mul) / div;
    }
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns': {
      if (!arrow.DataType.isTimestamp(t)) throw refuse();
      const { mul, div } = unitFactor((t as arrow.Timestamp).unit, kind.endsWith('_ns'));
      const read = int64Values(data);
      if (div === 1n) return mul === 1n ? read : (i) => (read(i) as bigint) * mul;
      return (i) => {
        const v = read(i) as bigint;
        const q = v / div;
        return v < 0n && q * div !== v ? q - 1n : q; // floor
      };
    }
    case 'string': {
      if (arrow.DataType.isUtf8(t) || arrow.DataType.isLargeUtf8(t) || arrow.DataType.isBinary(t) || arrow.DataType.isLargeBinary(t)) {
        const bytes = bytesReader(data, false);
        return (i) => utf8.decode(bytes(i) as Uint8Array);
      }
      throw refuse();
    }
    case 'binary': {
      if (arrow.DataType.isBinary(t) || arrow.DataType.isLargeBinary(t) || arrow.DataType.isUtf8(t) || arrow.DataType.isLargeUtf8(t)) return bytesReader(data, true);
      if (arrow.DataType.isFixedSizeBinary(t)) return fixedReader(data);
      throw refuse();
    }
    case 'uuid':
    case 'fixed': {
      const len = kind === 'uuid' ? 16 : fixedLength(type as never)!;
      if (!arrow.DataType.isFixedSizeBinary(t) || (t as arrow.FixedSizeBinary).byteWidth !== len) throw refuse();
      return fixedReader(data);
    }
  }
  throw refuse();
}

function fixedReader(data: arrow.Data): Reader {
  const width = (data.type as arrow.FixedSizeBinary).byteWidth;
  const values = data.values as Uint8Array;
  return (i) => values.slice(i * width, (i + 1) * width);
}

/** The value a field the file lacks reads as. */
function missing(f: NestedField, path: string): Reader {
  const d = f['initial-default'];
  if (d === undefined || d === null) {
    if (f.required) throw new ProjectionError(`${path}: required, not in the file, and without an initial default`);
    return () => null;
  }
  return () => d;
}

function structFields(fields: NestedField[], children: { field: arrow.Field; data: arrow.Data }[], path: string): { name: string; read: Reader }[] {
  const byId = new Map<number, { field: arrow.Field; data: arrow.Data }>();
  for (const c of children) {
    const id = arrowFieldId(c.field);
    if (id !== undefined) byId.set(id, c);
  }
  return fields.map((f) => {
    const p = path ? `${path}.${f.name}` : f.name;
    const c = byId.get(f.id);
    return { name: f.name, read: c ? reader(f.type, c.data, p) : missing(f, p) };
  });
}

function recordOf(fields: { name: string; read: Reader }[], i: number): Record<string, unknown> {
  const r: Record<string, unknown> = {};
  for (const f of fields) r[f.name] = f.read(i);
  return r;
}

function reader(type: IcebergType, data: arrow.Data, path: string): Reader {
  const t = data.type as arrow.DataType;
  if (typeof type === 'string') return nullable(data, primitive(type, data, path));
  if (type.type === 'struct') {
    if (!arrow.DataType.isStruct(t)) throw new ProjectionError(`${path}: the file holds ${String(t)}, the table a struct`);
    const fields = structFields(
      type.fields,
      (t as arrow.Struct).children.map((field, k) => ({ field, data: data.children[k] })),
      path,
    );
    return nullable(data, (i) => recordOf(fields, i));
  }
  if (type.type === 'list') {
    if (!arrow.DataType.isList(t) && !arrow.DataType.isLargeList(t)) throw new ProjectionError(`${path}: the file holds ${String(t)}, the table a list`);
    const child = data.children[0];
    const element = reader(type.element, child, `${path}.element`);
    const offsets = data.valueOffsets as ArrayLike<number | bigint>;
    return nullable(data, (i) => {
      const out: unknown[] = [];
      for (let k = off(offsets, i), end = off(offsets, i + 1); k < end; k++) out.push(element(k));
      return out;
    });
  }
  if (!arrow.DataType.isMap(t)) throw new ProjectionError(`${path}: the file holds ${String(t)}, the table a map`);
  const entries = data.children[0];
  const [kData, vData] = entries.children;
  const key = reader(type.key, kData, `${path}.key`);
  const value = reader(type.value, vData, `${path}.value`);
  const offsets = data.valueOffsets as ArrayLike<number | bigint>;
  return nullable(data, (i) => {
    const out: [unknown, unknown][] = [];
    for (let k = off(offsets, i), end = off(offsets, i + 1); k < end; k++) out.push([key(k), value(k)]);
    return out;
  });
}

/**
 * The rows of a record batch as records of `schema` (see the module comment). Throws
 * ProjectionError when a column cannot be read as the table's type, or the file has no field ids.
 */
export function* recordsOf(batch: arrow.RecordBatch, schema: Schema): Generator<Record<string, unknown>> {
  const arrowFields = batch.schema.fields;
  if (arrowFields.length > 0 && arrowFields.every((f) => arrowFieldId(f) === undefined)) {
    throw new ProjectionError('the file has no Parquet field ids (a name mapping is not supported)');
  }
  const fields = structFields(
    schema.fields,
    arrowFields.map((field, k) => ({ field, data: batch.data.children[k] })),
    '',
  );
  for (let i = 0; i < batch.numRows; i++) yield recordOf(fields, i);
}
