// Helpers around the Schema type of types.ts: look fields up by id or by dotted name, walk
// every field (list elements and map keys/values included, with their ids), assign fresh ids
// to a schema described by names and types, and validate a schema read from JSON.
import type { IcebergType, ListType, MapType, NestedField, PrimitiveType, Schema, StructType } from './types.ts';
import { decimalParams, fixedLength } from './types.ts';
import { FloeError } from '../errors.ts';

// ---------------------------------------------------------------------------------------------
// Walking

/** One field of a schema, wherever it sits. */
export interface FieldEntry {
  /** The field; for list elements and map keys/values a synthesized one named element/key/value. */
  field: NestedField;
  /** Names from the schema root: ["a", "b"], ["tags", "element"], ["attrs", "value"]. */
  path: string[];
  /** The path joined with dots, as Iceberg Java's `findColumnName` gives it. */
  name: string;
  /** Id of the enclosing field, undefined at the top level. */
  parentId: number | undefined;
  /** True if the field sits (at any depth) inside a list or a map. */
  inRepeated: boolean;
}

function listElementField(t: ListType): NestedField {
  return { id: t['element-id'], name: 'element', required: t['element-required'], type: t.element };
}
function mapKeyField(t: MapType): NestedField {
  return { id: t['key-id'], name: 'key', required: true, type: t.key };
}
function mapValueField(t: MapType): NestedField {
  return { id: t['value-id'], name: 'value', required: t['value-required'], type: t.value };
}

/** The direct children of a type, as fields (struct fields, list element, map key and value). */
export function childFields(t: IcebergType): NestedField[] {
  if (typeof t === 'string') return [];
  if (t.type === 'struct') return t.fields;
  if (t.type === 'list') return [listElementField(t)];
  return [mapKeyField(t), mapValueField(t)];
}

/** Every field of the schema, depth first, parents before children, in declaration order. */
export function allFields(schema: StructType): FieldEntry[] {
  const out: FieldEntry[] = [];
  const visit = (t: IcebergType, path: string[], parentId: number | undefined, inRepeated: boolean): void => {
    const repeated = inRepeated || (typeof t === 'object' && t.type !== 'struct');
    for (const field of childFields(t)) {
      const p = [...path, field.name];
      out.push({ field, path: p, name: p.join('.'), parentId, inRepeated: repeated });
      visit(field.type, p, field.id, repeated);
    }
  };
  visit(schema, [], undefined, false);
  return out;
}

/** The field with this id (list elements and map keys/values included), or undefined. */
export function findField(schema: StructType, id: number): NestedField | undefined {
  return findFieldEntry(schema, id)?.field;
}

export function findFieldEntry(schema: StructType, id: number): FieldEntry | undefined {
  for (const e of allFields(schema)) if (e.field.id === id) return e;
  return undefined;
}

/**
 * The field at a dotted path ("a.b.c"; list elements are "x.element", map parts "m.key" and
 * "m.value"). A name that itself contains dots is found by its full dotted path too, as in
 * Iceberg Java's name index.
 */
export function findFieldByName(schema: StructType, name: string, caseSensitive = true): NestedField | undefined {
  return findFieldEntryByName(schema, name, caseSensitive)?.field;
}

export function findFieldEntryByName(schema: StructType, name: string, caseSensitive = true): FieldEntry | undefined {
  const want = caseSensitive ? name : name.toLowerCase();
  let found: FieldEntry | undefined;
  for (const e of allFields(schema)) {
    const have = caseSensitive ? e.name : e.name.toLowerCase();
    if (have !== want) continue;
    if (found !== undefined && found.field.id !== e.field.id) {
      throw new Error(`field name "${name}" is ambiguous: ids ${found.field.id} and ${e.field.id}`);
    }
    found = e;
  }
  return found;
}

/** The dotted name of the field with this id, or undefined. */
export function columnName(schema: StructType, id: number): string | undefined {
  return findFieldEntry(schema, id)?.name;
}

/** The highest field id used anywhere in the schema (0 for an empty schema). */
export function highestFieldId(schema: StructType): number {
  let max = 0;
  for (const e of allFields(schema)) if (e.field.id > max) max = e.field.id;
  return max;
}

// ---------------------------------------------------------------------------------------------
// Schemas described without ids

/** A field described by name and type; ids, when present, are ignored by assignFreshIds. */
export interface FieldSpec {
  name: string;
  type: TypeSpec;
  /** Defaults to false (optional). */
  required?: boolean;
  doc?: string;
  id?: number;
}

export interface StructSpec {
  type: 'struct';
  fields: FieldSpec[];
}
export interface ListSpec {
  type: 'list';
  element: TypeSpec;
  /** Defaults to false (optional elements). */
  'element-required'?: boolean;
  'element-id'?: number;
}
export interface MapSpec {
  type: 'map';
  key: TypeSpec;
  value: TypeSpec;
  /** Defaults to false (optional values). */
  'value-required'?: boolean;
  'key-id'?: number;
  'value-id'?: number;
}

/** A type without ids. Every IcebergType is also a TypeSpec. */
export type TypeSpec = PrimitiveType | StructSpec | ListSpec | MapSpec;

/** Hands out consecutive ids after a starting point. */
export interface IdSource {
  next(): number;
  /** The last id handed out (the start value before the first call). */
  readonly last: number;
}

export function idSource(lastAssigned: number): IdSource {
  let last = lastAssigned;
  return {
    next: () => ++last,
    get last() {
      return last;
    },
  };
}

/**
 * Give a type fresh ids the way Iceberg Java does (TypeUtil.assignFreshIds): a struct first
 * numbers all of its own fields in order, then descends into each field's type in order; a
 * list numbers its element, a map its key then its value, before descending.
 */
export function assignIds(t: TypeSpec, ids: IdSource): IcebergType {
  if (typeof t === 'string') return t;
  if (t.type === 'struct') {
    const fieldIds = t.fields.map(() => ids.next());
    return {
      type: 'struct',
      fields: t.fields.map((f, i) => {
        const out: NestedField = { id: fieldIds[i], name: f.name, required: f.required === true, type: assignIds(f.type, ids) };
        if (f.doc !== undefined) out.doc = f.doc;
        return out;
      }),
    };
  }
  if (t.type === 'list') {
    const elementId = ids.next();
    return { type: 'list', 'element-id': elementId, element: assignIds(t.element, ids), 'element-required': t['element-required'] === true };
  }
  const keyId = ids.next();
  const valueId = ids.next();
  return {
    type: 'map',
    'key-id': keyId,
    key: assignIds(t.key, ids),
    'value-id': valueId,
    value: assignIds(t.value, ids),
    'value-required': t['value-required'] === true,
  };
}

/**
 * Build a schema with fresh ids (1, 2, ... unless `lastColumnId` says where to continue),
 * as Iceberg does when it creates a table. Returns the schema and the last id assigned.
 */
export function assignFreshIds(spec: StructSpec | FieldSpec[], options: { schemaId?: number; lastColumnId?: number; identifierFieldNames?: string[] } = {}): { schema: Schema; lastColumnId: number } {
  const struct: StructSpec = Array.isArray(spec) ? { type: 'struct', fields: spec } : spec;
  const ids = idSource(options.lastColumnId ?? 0);
  const assigned = assignIds(struct, ids) as StructType;
  const schema: Schema = { type: 'struct', 'schema-id': options.schemaId ?? 0, fields: assigned.fields };
  if (options.identifierFieldNames && options.identifierFieldNames.length > 0) {
    schema['identifier-field-ids'] = options.identifierFieldNames.map((n) => {
      const f = findFieldByName(schema, n);
      if (!f) throw new Error(`identifier field "${n}" is not in the schema`);
      return f.id;
    });
    validateIdentifierFields(schema);
  }
  return { schema, lastColumnId: ids.last };
}

// ---------------------------------------------------------------------------------------------
// Validation of JSON

export class SchemaValidationError extends FloeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('fatal', message, options);
  }
}

const PRIMITIVES: ReadonlySet<string> = new Set([
  'boolean',
  'int',
  'long',
  'float',
  'double',
  'date',
  'time',
  'timestamp',
  'timestamptz',
  'timestamp_ns',
  'timestamptz_ns',
  'string',
  'uuid',
  'binary',
]);

/** True if the string is a primitive type Iceberg knows (decimal and fixed with valid parameters). */
export function isValidPrimitive(s: string): boolean {
  if (PRIMITIVES.has(s)) return true;
  const d = decimalParams(s as PrimitiveType);
  if (d) return d.precision >= 1 && d.precision <= 38 && d.scale <= d.precision;
  const l = fixedLength(s as PrimitiveType);
  return l !== undefined && l >= 1;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isFieldId(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0x7fffffff;
}

function parseType(v: unknown, at: string, seen: Map<number, string>): IcebergType {
  const fail = (msg: string): never => {
    throw new SchemaValidationError(`schema: ${at === '' ? '(root)' : at}: ${msg}`);
  };
  const claim = (id: unknown, where: string, owner: string = at): number => {
    const here = owner === '' ? '(root)' : owner;
    if (!isFieldId(id)) throw new SchemaValidationError(`schema: ${here}: ${where} must be a non-negative integer, got ${JSON.stringify(id)}`);
    const n = id as number;
    const other = seen.get(n);
    if (other !== undefined) throw new SchemaValidationError(`schema: ${here}: field id ${n} is used twice (also by ${other})`);
    seen.set(n, here);
    return n;
  };
  if (typeof v === 'string') {
    if (!isValidPrimitive(v)) fail(`unknown or invalid type "${v}"`);
    return v as PrimitiveType;
  }
  if (!isObject(v)) return fail(`type must be a string or an object, got ${JSON.stringify(v)}`);
  switch (v.type) {
    case 'struct': {
      if (!Array.isArray(v.fields)) fail(`struct "fields" must be an array`);
      const names = new Set<string>();
      const fields = (v.fields as unknown[]).map((f, i): NestedField => {
        if (!isObject(f)) fail(`field #${i} must be an object`);
        const fo = f as Record<string, unknown>;
        if (typeof fo.name !== 'string' || fo.name === '') fail(`field #${i} needs a non-empty string "name"`);
        const name = fo.name as string;
        const here = at === '' ? name : `${at}.${name}`;
        if (names.has(name)) fail(`field name "${name}" appears twice`);
        names.add(name);
        if (typeof fo.required !== 'boolean') {
          throw new SchemaValidationError(`schema: ${here}: "required" must be true or false, got ${JSON.stringify(fo.required)}`);
        }
        const id = claim(fo.id, '"id"', here);
        const out: NestedField = { id, name, required: fo.required, type: parseType(fo.type, here, seen) };
        if (fo.doc !== undefined) {
          if (typeof fo.doc !== 'string') throw new SchemaValidationError(`schema: ${here}: "doc" must be a string`);
          out.doc = fo.doc;
        }
        if ('initial-default' in fo) out['initial-default'] = fo['initial-default'];
        if ('write-default' in fo) out['write-default'] = fo['write-default'];
        return out;
      });
      return { type: 'struct', fields };
    }
    case 'list': {
      const elementId = claim(v['element-id'], '"element-id"', `${at}.element`);
      if (typeof v['element-required'] !== 'boolean') fail(`list "element-required" must be true or false`);
      return {
        type: 'list',
        'element-id': elementId,
        element: parseType(v.element, `${at}.element`, seen),
        'element-required': v['element-required'] as boolean,
      };
    }
    case 'map': {
      const keyId = claim(v['key-id'], '"key-id"', `${at}.key`);
      const valueId = claim(v['value-id'], '"value-id"', `${at}.value`);
      if (typeof v['value-required'] !== 'boolean') fail(`map "value-required" must be true or false`);
      return {
        type: 'map',
        'key-id': keyId,
        key: parseType(v.key, `${at}.key`, seen),
        'value-id': valueId,
        value: parseType(v.value, `${at}.value`, seen),
        'value-required': v['value-required'] as boolean,
      };
    }
    default:
      return fail(`unknown nested type ${JSON.stringify(v.type)} (expected struct, list or map)`);
  }
}

/** Identifier fields must exist, be required primitives (not float/double), outside lists and maps. */
export function validateIdentifierFields(schema: Schema): void {
  for (const id of schema['identifier-field-ids'] ?? []) {
    const e = findFieldEntry(schema, id);
    if (!e) throw new SchemaValidationError(`schema: identifier field id ${id} is not in the schema`);
    if (typeof e.field.type !== 'string') throw new SchemaValidationError(`schema: identifier field ${e.name} must be a primitive, not ${e.field.type.type}`);
    if (e.field.type === 'float' || e.field.type === 'double') throw new SchemaValidationError(`schema: identifier field ${e.name} cannot be ${e.field.type}`);
    if (!e.field.required) throw new SchemaValidationError(`schema: identifier field ${e.name} must be required`);
    if (e.inRepeated) throw new SchemaValidationError(`schema: identifier field ${e.name} cannot be inside a list or a map`);
  }
}

/**
 * Check a value parsed from JSON (a table metadata's `schemas[i]`, a catalog response) and
 * return it as a Schema. Errors name the offending field's path. A missing schema-id is 0.
 */
export function schemaFromJson(value: unknown): Schema {
  if (!isObject(value)) throw new SchemaValidationError(`schema: must be an object, got ${JSON.stringify(value)}`);
  if (value.type !== 'struct') throw new SchemaValidationError(`schema: "type" must be "struct", got ${JSON.stringify(value.type)}`);
  let schemaId = 0;
  if (value['schema-id'] !== undefined) {
    const s = value['schema-id'];
    if (typeof s !== 'number' || !Number.isInteger(s) || s < 0) throw new SchemaValidationError(`schema: "schema-id" must be a non-negative integer, got ${JSON.stringify(s)}`);
    schemaId = s;
  }
  const struct = parseType({ type: 'struct', fields: value.fields }, '', new Map()) as StructType;
  const schema: Schema = { type: 'struct', 'schema-id': schemaId, fields: struct.fields };
  const ident = value['identifier-field-ids'];
  if (ident !== undefined) {
    if (!Array.isArray(ident) || !ident.every(isFieldId)) throw new SchemaValidationError(`schema: "identifier-field-ids" must be a list of field ids`);
    schema['identifier-field-ids'] = ident as number[];
    validateIdentifierFields(schema);
  }
  return schema;
}
