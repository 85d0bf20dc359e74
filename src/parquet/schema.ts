// Iceberg schema → Parquet schema elements, following the Iceberg spec's Parquet appendix:
// every field carries its Iceberg field id (list elements, map keys and values included),
// lists and maps use the three-level form ("list"/"element", "key_value"/"key"/"value").

import type { IcebergType, Schema } from '../iceberg/types.ts';
import { decimalParams, decimalRequiredBytes, fixedLength, primitiveKind } from '../iceberg/types.ts';

export const PhysicalType = { BOOLEAN: 0, INT32: 1, INT64: 2, INT96: 3, FLOAT: 4, DOUBLE: 5, BYTE_ARRAY: 6, FIXED_LEN_BYTE_ARRAY: 7 } as const;
export const Repetition = { REQUIRED: 0, OPTIONAL: 1, REPEATED: 2 } as const;
export const ConvertedType = { UTF8: 0, MAP: 1, LIST: 3, DECIMAL: 5, DATE: 6, TIME_MICROS: 8, TIMESTAMP_MICROS: 10 } as const;

/** The LogicalType union member (field id in parquet.thrift) and its parameters. */
export type LogicalType =
  | { kind: 'STRING' }
  | { kind: 'MAP' }
  | { kind: 'LIST' }
  | { kind: 'DECIMAL'; scale: number; precision: number }
  | { kind: 'DATE' }
  | { kind: 'TIME'; utc: boolean; unit: 'MICROS' | 'NANOS' }
  | { kind: 'TIMESTAMP'; utc: boolean; unit: 'MICROS' | 'NANOS' }
  | { kind: 'UUID' };

export interface SchemaElement {
  name: string;
  type?: number;
  typeLength?: number;
  repetition?: number;
  numChildren?: number;
  convertedType?: number;
  scale?: number;
  precision?: number;
  fieldId?: number;
  logical?: LogicalType;
}

export interface LeafDescriptor {
  fieldId: number;
  path: string[];
  icebergType: string;
  physical: number;
  typeLength: number;
  maxDef: number;
  maxRep: number;
}

export interface ParquetSchema {
  elements: SchemaElement[];
  leaves: LeafDescriptor[];
}

function primitiveElement(name: string, type: string, repetition: number, fieldId: number): SchemaElement {
  const e: SchemaElement = { name, repetition, fieldId };
  const k = primitiveKind(type as never);
  switch (k) {
    case 'boolean':
      e.type = PhysicalType.BOOLEAN;
      break;
    case 'int':
      e.type = PhysicalType.INT32;
      break;
    case 'long':
      e.type = PhysicalType.INT64;
      break;
    case 'float':
      e.type = PhysicalType.FLOAT;
      break;
    case 'double':
      e.type = PhysicalType.DOUBLE;
      break;
    case 'date':
      e.type = PhysicalType.INT32;
      e.convertedType = ConvertedType.DATE;
      e.logical = { kind: 'DATE' };
      break;
    case 'time':
      // TIME_MICROS as a converted type means "adjusted to UTC", which Iceberg's time is not
      e.type = PhysicalType.INT64;
      e.logical = { kind: 'TIME', utc: false, unit: 'MICROS' };
      break;
    case 'timestamp':
      e.type = PhysicalType.INT64;
      e.logical = { kind: 'TIMESTAMP', utc: false, unit: 'MICROS' };
      break;
    case 'timestamptz':
      e.type = PhysicalType.INT64;
      e.convertedType = ConvertedType.TIMESTAMP_MICROS;
      e.logical = { kind: 'TIMESTAMP', utc: true, unit: 'MICROS' };
      break;
    case 'timestamp_ns':
      e.type = PhysicalType.INT64;
      e.logical = { kind: 'TIMESTAMP', utc: false, unit: 'NANOS' };
      break;
    case 'timestamptz_ns':
      e.type = PhysicalType.INT64;
      e.logical = { kind: 'TIMESTAMP', utc: true, unit: 'NANOS' };
      break;
    case 'string':
      e.type = PhysicalType.BYTE_ARRAY;
      e.convertedType = ConvertedType.UTF8;
      e.logical = { kind: 'STRING' };
      break;
    case 'binary':
      e.type = PhysicalType.BYTE_ARRAY;
      break;
    case 'uuid':
      e.type = PhysicalType.FIXED_LEN_BYTE_ARRAY;
      e.typeLength = 16;
      e.logical = { kind: 'UUID' };
      break;
    case 'fixed':
      e.type = PhysicalType.FIXED_LEN_BYTE_ARRAY;
      e.typeLength = fixedLength(type as never)!;
      break;
    case 'decimal': {
      const { precision, scale } = decimalParams(type as never)!;
      if (precision <= 9) e.type = PhysicalType.INT32;
      else if (precision <= 18) e.type = PhysicalType.INT64;
      else {
        e.type = PhysicalType.FIXED_LEN_BYTE_ARRAY;
        e.typeLength = decimalRequiredBytes(precision);
      }
      e.convertedType = ConvertedType.DECIMAL;
      e.scale = scale;
      e.precision = precision;
      e.logical = { kind: 'DECIMAL', scale, precision };
      break;
    }
  }
  return e;
}

export function parquetSchema(schema: Schema, rootName = 'table'): ParquetSchema {
  const elements: SchemaElement[] = [{ name: rootName, numChildren: schema.fields.length }];
  const leaves: LeafDescriptor[] = [];

  const visit = (name: string, type: IcebergType, required: boolean, fieldId: number, path: string[], def: number, rep: number): void => {
    const repetition = required ? Repetition.REQUIRED : Repetition.OPTIONAL;
    const d = required ? def : def + 1;
    const p = [...path, name];
    if (typeof type === 'string') {
      const e = primitiveElement(name, type, repetition, fieldId);
      elements.push(e);
      leaves.push({ fieldId, path: p, icebergType: type, physical: e.type!, typeLength: e.typeLength ?? 0, maxDef: d, maxRep: rep });
      return;
    }
    if (type.type === 'struct') {
      elements.push({ name, repetition, numChildren: type.fields.length, fieldId });
      for (const f of type.fields) visit(f.name, f.type, f.required, f.id, p, d, rep);
      return;
    }
    if (type.type === 'list') {
      elements.push({ name, repetition, numChildren: 1, fieldId, convertedType: ConvertedType.LIST, logical: { kind: 'LIST' } });
      elements.push({ name: 'list', repetition: Repetition.REPEATED, numChildren: 1 });
      visit('element', type.element, type['element-required'], type['element-id'], [...p, 'list'], d + 1, rep + 1);
      return;
    }
    elements.push({ name, repetition, numChildren: 1, fieldId, convertedType: ConvertedType.MAP, logical: { kind: 'MAP' } });
    elements.push({ name: 'key_value', repetition: Repetition.REPEATED, numChildren: 2 });
    visit('key', type.key, true, type['key-id'], [...p, 'key_value'], d + 1, rep + 1);
    visit('value', type.value, type['value-required'], type['value-id'], [...p, 'key_value'], d + 1, rep + 1);
  };
  for (const f of schema.fields) visit(f.name, f.type, f.required, f.id, [], 0, 0);
  return { elements, leaves };
}
