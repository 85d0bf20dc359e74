// Iceberg types ↔ Avro schemas, per the table spec's Appendix A ("Avro"):
//   optional field → ["null", T] with "default": null; every record field carries "field-id";
//   list → array with "element-id"; map with string keys → Avro map with "key-id"/"value-id";
//   other maps → array of records {key, value} with "logicalType": "map";
//   date → int/date; time → long/time-micros; timestamp(tz) → long/timestamp-micros with
//   "adjust-to-utc"; *_ns → timestamp-nanos; uuid → fixed[16]/uuid; fixed[L] → fixed;
//   decimal(P,S) → fixed of the minimum size with logicalType decimal; binary → bytes.
// Record and fixed names follow Java Iceberg (r<field id>, k<key id>_v<value id>, uuid_fixed,
// fixed_<L>, decimal_<P>_<S>), and a named type used twice is written by name the second time.

import type { AvroField, AvroNode, AvroSchema } from './avro.ts';
import { isOptional, unwrapOptional } from './avro.ts';
import type { IcebergType, NestedField, PrimitiveType, StructType } from './types.ts';
import { decimalParams, decimalRequiredBytes, decimalType, fixedLength, fixedType, primitiveKind } from './types.ts';

type Json = Record<string, unknown>;

/** Java Iceberg's rule: a valid Avro name starts with a letter or "_" and has letters, digits, "_". */
export function validAvroName(name: string): boolean {
  return /^[\p{L}_][\p{L}\p{Nd}_]*$/u.test(name);
}

/** Java Iceberg's sanitization: a leading digit d → "_d", any other bad char → "_x" + HEX(code). */
export function sanitizeAvroName(name: string): string {
  let out = '';
  for (let i = 0; i < name.length; i++) {
    const c = name[i];
    const ok = i === 0 ? /[\p{L}_]/u.test(c) : /[\p{L}\p{Nd}_]/u.test(c);
    if (ok) out += c;
    else if (/\p{Nd}/u.test(c)) out += `_${c}`;
    else out += `_x${name.charCodeAt(i).toString(16).toUpperCase()}`;
  }
  return out;
}

export interface ToAvroOptions {
  /** Record names for structs by the id of the field holding them; default "r<id>". */
  recordNames?: Record<number, string>;
}

/** Convert an Iceberg struct to an Avro record schema named `name`. */
export function structToAvro(struct: StructType, name: string, options: ToAvroOptions = {}): AvroSchema {
  const ctx: Ctx = { defined: new Set<string>(), names: options.recordNames ?? {} };
  return structSchema(struct, name, ctx) as AvroSchema;
}

interface Ctx {
  defined: Set<string>;
  names: Record<number, string>;
}

function named(ctx: Ctx, name: string, build: () => Json): Json | string {
  if (ctx.defined.has(name)) return name;
  ctx.defined.add(name);
  return build();
}

function structSchema(struct: StructType, name: string, ctx: Ctx): Json | string {
  if (ctx.defined.has(name)) return name;
  ctx.defined.add(name);
  const fields = struct.fields.map((f) => fieldSchema(f, ctx));
  return { type: 'record', name, fields };
}

function fieldSchema(f: NestedField, ctx: Ctx): Json {
  const valid = validAvroName(f.name);
  const t = typeSchema(f.type, f.id, ctx);
  const out: Json = { name: valid ? f.name : sanitizeAvroName(f.name) };
  if (f.doc !== undefined) out.doc = f.doc;
  if (f.required) {
    out.type = t;
  } else {
    out.type = ['null', t];
    out.default = null;
  }
  out['field-id'] = f.id;
  if (!valid) out['iceberg-field-name'] = f.name;
  return out;
}

function option(t: unknown, required: boolean): unknown {
  return required ? t : ['null', t];
}

function typeSchema(t: IcebergType, fieldId: number, ctx: Ctx): unknown {
  if (typeof t === 'string') return primitiveSchema(t, ctx);
  switch (t.type) {
    case 'struct':
      return structSchema(t, ctx.names[fieldId] ?? `r${fieldId}`, ctx);
    case 'list':
      return {
        type: 'array',
        items: option(typeSchema(t.element, t['element-id'], ctx), t['element-required']),
        'element-id': t['element-id'],
      };
    case 'map': {
      const value = option(typeSchema(t.value, t['value-id'], ctx), t['value-required']);
      if (t.key === 'string') {
        return { type: 'map', values: value, 'key-id': t['key-id'], 'value-id': t['value-id'] };
      }
      const recName = `k${t['key-id']}_v${t['value-id']}`;
      const key = typeSchema(t.key, t['key-id'], ctx);
      return {
        type: 'array',
        items: named(ctx, recName, () => ({
          type: 'record',
          name: recName,
          fields: [
            { name: 'key', type: key, 'field-id': t['key-id'] },
            { name: 'value', type: value, 'field-id': t['value-id'] },
          ],
        })),
        logicalType: 'map',
      };
    }
  }
}

function primitiveSchema(t: PrimitiveType, ctx: Ctx): unknown {
  const kind = primitiveKind(t);
  switch (kind) {
    case 'boolean':
    case 'int':
    case 'long':
    case 'float':
    case 'double':
    case 'string':
      return kind;
    case 'binary':
      return 'bytes';
    case 'date':
      return { type: 'int', logicalType: 'date' };
    case 'time':
      return { type: 'long', logicalType: 'time-micros' };
    case 'timestamp':
      return { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': false };
    case 'timestamptz':
      return { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': true };
    case 'timestamp_ns':
      return { type: 'long', logicalType: 'timestamp-nanos', 'adjust-to-utc': false };
    case 'timestamptz_ns':
      return { type: 'long', logicalType: 'timestamp-nanos', 'adjust-to-utc': true };
    case 'uuid':
      return named(ctx, 'uuid_fixed', () => ({ type: 'fixed', name: 'uuid_fixed', size: 16, logicalType: 'uuid' }));
    case 'fixed': {
      const size = fixedLength(t)!;
      return named(ctx, `fixed_${size}`, () => ({ type: 'fixed', name: `fixed_${size}`, size }));
    }
    case 'decimal': {
      const { precision, scale } = decimalParams(t)!;
      const name = `decimal_${precision}_${scale}`;
      return named(ctx, name, () => ({
        type: 'fixed',
        name,
        size: decimalRequiredBytes(precision),
        logicalType: 'decimal',
        precision,
        scale,
      }));
    }
  }
  throw new Error(`no Avro type for Iceberg type ${String(t)}`);
}

// ---------------------------------------------------------------------------------------------
// Avro → Iceberg (for schemas read from files written by Java Iceberg, PyIceberg or us)

/** The Iceberg name of an Avro record field (the original name if Java sanitized it). */
export function icebergFieldName(f: AvroField): string {
  const orig = f.props['iceberg-field-name'];
  return typeof orig === 'string' ? orig : f.name;
}

/** Iceberg struct type of an Avro record whose fields carry field ids. */
export function avroRecordToStruct(node: AvroNode): StructType {
  const rec = unwrapOptional(node);
  if (rec.kind !== 'record') throw new Error(`expected an Avro record, got ${rec.kind}`);
  return {
    type: 'struct',
    fields: rec.fields.map((f) => {
      if (f.fieldId === undefined) throw new Error(`Avro field "${f.name}" of ${rec.name} has no field-id`);
      return { id: f.fieldId, name: icebergFieldName(f), required: !isOptional(f.type), type: avroToIceberg(f.type) };
    }),
  };
}

function intProp(props: Record<string, unknown>, key: string): number {
  const v = props[key];
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new Error(`Avro schema lacks integer "${key}"`);
  return v;
}

/** Iceberg type of an Avro schema node (optional wrappers removed). */
export function avroToIceberg(node: AvroNode): IcebergType {
  const n = unwrapOptional(node);
  const logical = n.props.logicalType;
  switch (n.kind) {
    case 'boolean':
    case 'float':
    case 'double':
      return n.kind;
    case 'int':
      return logical === 'date' ? 'date' : 'int';
    case 'long': {
      const utc = n.props['adjust-to-utc'] === true;
      if (logical === 'timestamp-micros') return utc ? 'timestamptz' : 'timestamp';
      if (logical === 'timestamp-nanos') return utc ? 'timestamptz_ns' : 'timestamp_ns';
      if (logical === 'time-micros') return 'time';
      return 'long';
    }
    case 'string':
      return logical === 'uuid' ? 'uuid' : 'string';
    case 'bytes':
      if (logical === 'decimal') return decimalType(intProp(n.props, 'precision'), Number(n.props.scale ?? 0));
      return 'binary';
    case 'fixed':
      if (logical === 'uuid') return 'uuid';
      if (logical === 'decimal') return decimalType(intProp(n.props, 'precision'), Number(n.props.scale ?? 0));
      return fixedType(n.size);
    case 'record':
      return avroRecordToStruct(n);
    case 'array': {
      if (logical === 'map') {
        const rec = unwrapOptional(n.items);
        if (rec.kind !== 'record' || rec.fields.length !== 2) throw new Error('Avro map array must hold 2-field records');
        const [k, v] = rec.fields;
        return {
          type: 'map',
          'key-id': k.fieldId ?? intProp(k.props, 'field-id'),
          key: avroToIceberg(k.type),
          'value-id': v.fieldId ?? intProp(v.props, 'field-id'),
          value: avroToIceberg(v.type),
          'value-required': !isOptional(v.type),
        };
      }
      return {
        type: 'list',
        'element-id': intProp(n.props, 'element-id'),
        element: avroToIceberg(n.items),
        'element-required': !isOptional(n.items),
      };
    }
    case 'map':
      return {
        type: 'map',
        'key-id': intProp(n.props, 'key-id'),
        key: 'string',
        'value-id': intProp(n.props, 'value-id'),
        value: avroToIceberg(n.values),
        'value-required': !isOptional(n.values),
      };
    default:
      throw new Error(`no Iceberg type for Avro ${n.kind}`);
  }
}
