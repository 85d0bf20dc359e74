// Iceberg's type model, kept in the exact JSON shape the table spec uses, so that a schema
// read from table metadata is already a value of these types and writes back unchanged.
//
// Primitive types are strings ("long", "decimal(9,2)", "fixed[16]"); nested types are objects.

export type PrimitiveName = 'boolean' | 'int' | 'long' | 'float' | 'double' | 'date' | 'time' | 'timestamp' | 'timestamptz' | 'timestamp_ns' | 'timestamptz_ns' | 'string' | 'uuid' | 'binary';

/** "decimal(P,S)" and "fixed[L]" carry parameters in the string itself. */
export type PrimitiveType = PrimitiveName | `decimal(${number},${number})` | `decimal(${number}, ${number})` | `fixed[${number}]`;

export interface NestedField {
  id: number;
  name: string;
  required: boolean;
  type: IcebergType;
  doc?: string;
  'initial-default'?: unknown;
  'write-default'?: unknown;
}

export interface StructType {
  type: 'struct';
  fields: NestedField[];
}

export interface ListType {
  type: 'list';
  'element-id': number;
  element: IcebergType;
  'element-required': boolean;
}

export interface MapType {
  type: 'map';
  'key-id': number;
  key: IcebergType;
  'value-id': number;
  value: IcebergType;
  'value-required': boolean;
}

export type IcebergType = PrimitiveType | StructType | ListType | MapType;

/** A schema is a struct with an id; identifier fields are optional. */
export interface Schema extends StructType {
  'schema-id': number;
  'identifier-field-ids'?: number[];
}

export function isPrimitive(t: IcebergType): t is PrimitiveType {
  return typeof t === 'string';
}
export function isStruct(t: IcebergType): t is StructType {
  return typeof t === 'object' && t.type === 'struct';
}
export function isList(t: IcebergType): t is ListType {
  return typeof t === 'object' && t.type === 'list';
}
export function isMap(t: IcebergType): t is MapType {
  return typeof t === 'object' && t.type === 'map';
}

const DECIMAL = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/;
const FIXED = /^fixed\[\s*(\d+)\s*\]$/;

export interface DecimalParams {
  precision: number;
  scale: number;
}

export function decimalParams(t: IcebergType): DecimalParams | undefined {
  if (typeof t !== 'string') return undefined;
  const m = DECIMAL.exec(t);
  return m ? { precision: Number(m[1]), scale: Number(m[2]) } : undefined;
}

export function fixedLength(t: IcebergType): number | undefined {
  if (typeof t !== 'string') return undefined;
  const m = FIXED.exec(t);
  return m ? Number(m[1]) : undefined;
}

export function decimalType(precision: number, scale: number): PrimitiveType {
  return `decimal(${precision}, ${scale})`;
}

export function fixedType(length: number): PrimitiveType {
  return `fixed[${length}]`;
}

/** The kind of a primitive type without parameters: "decimal", "fixed", or the name itself. */
export function primitiveKind(t: PrimitiveType): PrimitiveName | 'decimal' | 'fixed' {
  if (DECIMAL.test(t)) return 'decimal';
  if (FIXED.test(t)) return 'fixed';
  return t as PrimitiveName;
}

/** Bytes needed to hold the unscaled value of a decimal of this precision (Iceberg/Parquet rule). */
export function decimalRequiredBytes(precision: number): number {
  for (let bytes = 1; bytes <= 16; bytes++) {
    // largest unscaled value that fits in a signed integer of `bytes` bytes
    const digits = Math.floor(Math.log10(2 ** (8 * bytes - 1) - 1));
    if (digits >= precision) return bytes;
  }
  throw new Error(`decimal precision ${precision} is over 38`);
}

export function typeToString(t: IcebergType): string {
  if (typeof t === 'string') return t;
  if (t.type === 'struct') return `struct<${t.fields.map((f) => `${f.name}: ${typeToString(f.type)}`).join(', ')}>`;
  if (t.type === 'list') return `list<${typeToString(t.element)}>`;
  return `map<${typeToString(t.key)}, ${typeToString(t.value)}>`;
}
