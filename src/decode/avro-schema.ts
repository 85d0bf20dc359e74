// Avro schemas (the JSON form from a registry) parsed into a small tree that both the Avro
// decoder and the Avro → Iceberg mapping walk. Named types are resolved (namespaces, references
// to named types defined in other schemas of the registry); recursive records become cycles.
// Logical types that are invalid for their base type are ignored, as the Avro spec says.
import { DecodeError } from './decode-error.ts';

export interface DecimalInfo {
  precision: number;
  scale: number;
}

export type AvroType =
  | { kind: 'null' }
  | { kind: 'boolean' }
  | { kind: 'int'; logical?: 'date' | 'time-millis' }
  | {
      kind: 'long';
      logical?: 'time-micros' | 'timestamp-millis' | 'timestamp-micros' | 'timestamp-nanos' | 'local-timestamp-millis' | 'local-timestamp-micros' | 'local-timestamp-nanos';
    }
  | { kind: 'float' }
  | { kind: 'double' }
  | { kind: 'bytes'; decimal?: DecimalInfo }
  | { kind: 'string'; logical?: 'uuid' }
  | { kind: 'fixed'; name: string; size: number; decimal?: DecimalInfo; logical?: 'uuid' }
  | { kind: 'enum'; name: string; symbols: string[] }
  | { kind: 'array'; items: AvroType }
  | { kind: 'map'; values: AvroType }
  | AvroRecord
  | { kind: 'union'; branches: AvroType[] };

export interface AvroField {
  name: string;
  type: AvroType;
  doc?: string;
}
export interface AvroRecord {
  kind: 'record';
  name: string;
  fields: AvroField[];
  doc?: string;
}

export type NamedAvroTypes = Map<string, AvroType>;

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

/**
 * Parses an Avro schema (JSON text or already-parsed JSON). `named` holds named types from
 * referenced schemas and receives this schema's named types too (so a caller can parse
 * references first, in order, into one map).
 */
export function parseAvroSchema(schema: string | unknown, named: NamedAvroTypes = new Map()): AvroType {
  let json: unknown = schema;
  if (typeof schema === 'string') {
    try {
      json = JSON.parse(schema);
    } catch (e) {
      throw new DecodeError('unsupported-schema', `Avro schema is not JSON: ${(e as Error).message}`);
    }
  }
  return parse(json, '', named);
}

function fail(msg: string): never {
  throw new DecodeError('unsupported-schema', `Avro schema: ${msg}`);
}

function fullName(name: string, namespace: string | undefined, enclosing: string): string {
  if (name.includes('.')) return name;
  const ns = namespace ?? enclosing;
  return ns ? `${ns}.${name}` : name;
}

function namespaceOf(full: string): string {
  const i = full.lastIndexOf('.');
  return i < 0 ? '' : full.slice(0, i);
}

function decimalOf(o: Record<string, unknown>, maxBytes?: number): DecimalInfo | undefined {
  const precision = o.precision;
  const scale = o.scale ?? 0;
  if (typeof precision !== 'number' || !Number.isInteger(precision) || precision < 1) return undefined;
  if (typeof scale !== 'number' || !Number.isInteger(scale) || scale < 0 || scale > precision) return undefined;
  if (maxBytes !== undefined && precision > Math.floor(Math.log10(2) * (8 * maxBytes - 1))) return undefined;
  return { precision, scale };
}

function parse(s: unknown, ns: string, named: NamedAvroTypes): AvroType {
  if (typeof s === 'string') {
    if (PRIMITIVES.has(s)) return { kind: s } as AvroType;
    const t = named.get(fullName(s, undefined, ns)) ?? named.get(s);
    if (!t) fail(`unknown type name "${s}"`);
    return t;
  }
  if (Array.isArray(s)) {
    if (s.length === 0) fail('empty union');
    return { kind: 'union', branches: s.map((b) => parse(b, ns, named)) };
  }
  if (s === null || typeof s !== 'object') fail(`not a schema: ${JSON.stringify(s)}`);
  const o = s as Record<string, unknown>;
  const type = o.type;
  const logical = typeof o.logicalType === 'string' ? o.logicalType : undefined;
  switch (type) {
    case 'null':
    case 'boolean':
    case 'float':
    case 'double':
      return { kind: type };
    case 'int':
      return logical === 'date' || logical === 'time-millis' ? { kind: 'int', logical } : { kind: 'int' };
    case 'long':
      switch (logical) {
        case 'time-micros':
        case 'timestamp-millis':
        case 'timestamp-micros':
        case 'timestamp-nanos':
        case 'local-timestamp-millis':
        case 'local-timestamp-micros':
        case 'local-timestamp-nanos':
          return { kind: 'long', logical };
        default:
          return { kind: 'long' };
      }
    case 'string':
      return logical === 'uuid' ? { kind: 'string', logical } : { kind: 'string' };
    case 'bytes': {
      const decimal = logical === 'decimal' ? decimalOf(o) : undefined;
      return decimal ? { kind: 'bytes', decimal } : { kind: 'bytes' };
    }
    case 'array':
      return { kind: 'array', items: parse(o.items, ns, named) };
    case 'map':
      return { kind: 'map', values: parse(o.values, ns, named) };
    case 'fixed':
    case 'enum':
    case 'record':
    case 'error': {
      if (typeof o.name !== 'string') fail(`${type} without a name`);
      const name = fullName(o.name, typeof o.namespace === 'string' ? o.namespace : undefined, ns);
      if (named.has(name)) fail(`type "${name}" is defined twice`);
      if (type === 'fixed') {
        if (typeof o.size !== 'number' || !Number.isInteger(o.size) || o.size < 0) fail(`fixed "${name}" has no valid size`);
        const size = o.size;
        const t: AvroType = { kind: 'fixed', name, size };
        if (logical === 'decimal') {
          const decimal = decimalOf(o, size);
          if (decimal) t.decimal = decimal;
        } else if (logical === 'uuid' && size === 16) t.logical = 'uuid';
        named.set(name, t);
        return t;
      }
      if (type === 'enum') {
        if (!Array.isArray(o.symbols) || o.symbols.some((x) => typeof x !== 'string')) fail(`enum "${name}" has no symbols`);
        const t: AvroType = { kind: 'enum', name, symbols: o.symbols as string[] };
        named.set(name, t);
        return t;
      }
      const rec: AvroRecord = { kind: 'record', name, fields: [] };
      if (typeof o.doc === 'string') rec.doc = o.doc;
      named.set(name, rec); // before the fields: a field may refer back to this record
      if (!Array.isArray(o.fields)) fail(`record "${name}" has no fields array`);
      const inner = namespaceOf(name);
      const seen = new Set<string>();
      for (const f of o.fields as unknown[]) {
        if (f === null || typeof f !== 'object' || typeof (f as { name?: unknown }).name !== 'string') {
          fail(`record "${name}" has a field without a name`);
        }
        const fo = f as Record<string, unknown>;
        const fname = fo.name as string;
        if (seen.has(fname)) fail(`record "${name}" has field "${fname}" twice`);
        seen.add(fname);
        const field: AvroField = { name: fname, type: parse(fo.type, inner, named) };
        if (typeof fo.doc === 'string') field.doc = fo.doc;
        rec.fields.push(field);
      }
      return rec;
    }
    default:
      // {"type": "string"} style wrappers, or a reference to a named type in object form
      if (typeof type === 'string' || Array.isArray(type) || (type !== null && typeof type === 'object')) {
        if (typeof type === 'string' && !PRIMITIVES.has(type)) return parse(type, ns, named);
        return parse(type, ns, named);
      }
      return fail(`unknown type ${JSON.stringify(type)}`);
  }
}

/** For a union [null, T] or [T, null]: the index of null and T. Otherwise undefined. */
export function optionUnion(t: AvroType): { nullIndex: number; valueIndex: number; value: AvroType } | undefined {
  if (t.kind !== 'union' || t.branches.length !== 2) return undefined;
  const [a, b] = t.branches;
  if (a.kind === 'null' && b.kind !== 'null') return { nullIndex: 0, valueIndex: 1, value: b };
  if (b.kind === 'null' && a.kind !== 'null') return { nullIndex: 1, valueIndex: 0, value: a };
  return undefined;
}
