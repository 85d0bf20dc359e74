// Schema evolution driven by an incoming schema. Producers know names, not our field ids, so
// the incoming schema is matched to the table's current schema by name, level by level.
//
// Allowed, and applied:
//   - a new field (anywhere in a struct): appended to its struct, always optional, with fresh
//     ids from last-column-id + 1 (nested ids assigned as Iceberg Java assigns them); fields
//     nested inside the new field keep the requiredness the incoming schema gives them;
//   - type widening: int → long, float → double, decimal(P,S) → decimal(P',S) with P' > P;
//   - required → optional (a field, a list element, a map value), when the incoming schema has
//     it optional or lacks the field altogether.
// Everything else that differs (long → int, string → int, struct → primitive, a map key that
// changes, ...) throws IncompatibleSchemaChangeError naming the column path and both types.
// Fields the incoming schema lacks stay in the table (they will be written as null).
import type { IcebergType, ListType, MapType, NestedField, PrimitiveType, Schema, StructType } from './types.ts';
import { decimalParams, decimalType } from './types.ts';
import type { FieldSpec, IdSource, ListSpec, MapSpec, StructSpec, TypeSpec } from './schema.ts';
import { assignIds, highestFieldId, idSource } from './schema.ts';
import { FloeError } from '../errors.ts';

export type SchemaChange =
  | { kind: 'add-column'; path: string; fieldId: number; type: IcebergType }
  | { kind: 'widen-type'; path: string; fieldId: number; from: PrimitiveType; to: PrimitiveType }
  | { kind: 'make-optional'; path: string; fieldId: number };

export class IncompatibleSchemaChangeError extends FloeError {
  readonly path: string;
  readonly from: string;
  readonly to: string;
  /** The dead letter's reason code. */
  readonly reason = 'incompatible-schema';
  /** Why the change is not allowed, when more can be said than "from → to". */
  readonly why: string | undefined;
  constructor(path: string, from: IcebergType | TypeSpec | string, to: IcebergType | TypeSpec | string, why?: string) {
    const f = typeof from === 'string' ? from : specToString(from);
    const t = typeof to === 'string' ? to : specToString(to);
    super('bad-record', `incompatible schema change at ${path}: ${f} → ${t}${why ? ` (${why})` : ''}`);
    this.path = path;
    this.from = f;
    this.to = t;
    this.why = why;
  }
}

function specToString(t: TypeSpec): string {
  if (typeof t === 'string') return t;
  if (t.type === 'struct') return `struct<${t.fields.map((f) => `${f.name}: ${specToString(f.type)}`).join(', ')}>`;
  if (t.type === 'list') return `list<${specToString(t.element)}>`;
  return `map<${specToString(t.key)}, ${specToString(t.value)}>`;
}

export interface EvolveOptions {
  /** The table's last-column-id; defaults to the highest id in the current schema. */
  lastColumnId?: number;
  /** Id of the evolved schema; defaults to the current schema's id + 1. */
  schemaId?: number;
  /**
   * Accept an incoming type that the current type already holds (int where the table has
   * long, float under double, a smaller decimal precision) as "no change" instead of an error.
   * Off by default.
   */
  acceptNarrower?: boolean;
}

export interface EvolveResult {
  /** The evolved schema, or undefined when nothing changed. */
  schema: Schema | undefined;
  changes: SchemaChange[];
  /** The table's last-column-id after the evolution. */
  lastColumnId: number;
}

type Widening = 'same' | 'widen' | 'narrower' | 'incompatible';

function comparePrimitive(current: PrimitiveType, incoming: PrimitiveType): Widening {
  if (current === incoming) return 'same';
  const dc = decimalParams(current);
  const di = decimalParams(incoming);
  if (dc && di) {
    if (dc.scale !== di.scale) return 'incompatible';
    if (dc.precision === di.precision) return 'same';
    return di.precision > dc.precision ? 'widen' : 'narrower';
  }
  if (current === 'int' && incoming === 'long') return 'widen';
  if (current === 'float' && incoming === 'double') return 'widen';
  if (current === 'long' && incoming === 'int') return 'narrower';
  if (current === 'double' && incoming === 'float') return 'narrower';
  // fixed[L] written with or without spaces
  if (current.replace(/\s+/g, '') === incoming.replace(/\s+/g, '')) return 'same';
  return 'incompatible';
}

function normalizePrimitive(t: PrimitiveType): PrimitiveType {
  const d = decimalParams(t);
  return d ? decimalType(d.precision, d.scale) : t;
}

function kindOf(t: TypeSpec): string {
  return typeof t === 'string' ? 'primitive' : t.type;
}

interface Ctx {
  ids: IdSource;
  changes: SchemaChange[];
  acceptNarrower: boolean;
}

const join = (path: string, name: string): string => (path === '' ? name : `${path}.${name}`);

/** Evolve `current` toward `incoming`; returns the same object when nothing changed. */
function evolveType(current: IcebergType, incoming: TypeSpec, path: string, fieldId: number, ctx: Ctx): IcebergType {
  if (typeof current === 'string' || typeof incoming === 'string') {
    if (typeof current !== 'string' || typeof incoming !== 'string') {
      throw new IncompatibleSchemaChangeError(path, current, incoming, `a ${kindOf(current)} cannot become a ${kindOf(incoming)}`);
    }
    switch (comparePrimitive(current, incoming)) {
      case 'same':
        return current;
      case 'widen': {
        const to = normalizePrimitive(incoming);
        ctx.changes.push({ kind: 'widen-type', path, fieldId, from: current, to });
        return to;
      }
      case 'narrower':
        if (ctx.acceptNarrower) return current;
        throw new IncompatibleSchemaChangeError(path, current, incoming, 'types can only be widened');
      default:
        throw new IncompatibleSchemaChangeError(path, current, incoming);
    }
  }
  if (current.type !== incoming.type) {
    throw new IncompatibleSchemaChangeError(path, current, incoming, `a ${current.type} cannot become a ${incoming.type}`);
  }
  if (current.type === 'struct') return evolveStruct(current, incoming as StructSpec, path, ctx);
  if (current.type === 'list') return evolveList(current, incoming as ListSpec, path, ctx);
  return evolveMap(current, incoming as MapSpec, path, ctx);
}

function evolveStruct(current: StructType, incoming: StructSpec, path: string, ctx: Ctx): StructType {
  const byName = new Map<string, FieldSpec>();
  for (const f of incoming.fields) {
    if (byName.has(f.name)) throw new IncompatibleSchemaChangeError(join(path, f.name), 'field', 'field', 'the incoming schema has this name twice');
    byName.set(f.name, f);
  }
  let changed = false;
  const fields: NestedField[] = current.fields.map((cf) => {
    const p = join(path, cf.name);
    const inf = byName.get(cf.name);
    let required = cf.required;
    if (required && (inf === undefined || inf.required !== true)) {
      required = false;
      ctx.changes.push({ kind: 'make-optional', path: p, fieldId: cf.id });
    }
    const type = inf === undefined ? cf.type : evolveType(cf.type, inf.type, p, cf.id, ctx);
    if (required === cf.required && type === cf.type) return cf;
    changed = true;
    return { ...cf, required, type };
  });
  // New fields, in incoming order: ids for all of them first, then their nested ids (as Java).
  const known = new Set(current.fields.map((f) => f.name));
  const added = incoming.fields.filter((f) => !known.has(f.name));
  if (added.length > 0) {
    changed = true;
    const addedStruct = assignIds({ type: 'struct', fields: added.map((f) => ({ ...f, required: false })) }, ctx.ids) as StructType;
    for (const nf of addedStruct.fields) {
      fields.push(nf);
      ctx.changes.push({ kind: 'add-column', path: join(path, nf.name), fieldId: nf.id, type: nf.type });
    }
  }
  return changed ? { ...current, fields } : current;
}

function evolveList(current: ListType, incoming: ListSpec, path: string, ctx: Ctx): ListType {
  const p = join(path, 'element');
  let required = current['element-required'];
  if (required && incoming['element-required'] !== true) {
    required = false;
    ctx.changes.push({ kind: 'make-optional', path: p, fieldId: current['element-id'] });
  }
  const element = evolveType(current.element, incoming.element, p, current['element-id'], ctx);
  if (required === current['element-required'] && element === current.element) return current;
  return { ...current, element, 'element-required': required };
}

function evolveMap(current: MapType, incoming: MapSpec, path: string, ctx: Ctx): MapType {
  const kp = join(path, 'key');
  const before = ctx.changes.length;
  const key = evolveType(current.key, incoming.key, kp, current['key-id'], ctx);
  if (key !== current.key || ctx.changes.length !== before) {
    throw new IncompatibleSchemaChangeError(kp, current.key, incoming.key, 'map keys cannot change');
  }
  const vp = join(path, 'value');
  let required = current['value-required'];
  if (required && incoming['value-required'] !== true) {
    required = false;
    ctx.changes.push({ kind: 'make-optional', path: vp, fieldId: current['value-id'] });
  }
  const value = evolveType(current.value, incoming.value, vp, current['value-id'], ctx);
  if (required === current['value-required'] && value === current.value) return current;
  return { ...current, value, 'value-required': required };
}

/**
 * Compute the schema that accepts data of `incoming` (matched by field names) while keeping
 * every existing field id. Returns the new schema (schema-id = current + 1 unless given) or
 * undefined when nothing changed, the list of changes, and the new last-column-id.
 */
export function evolveSchema(current: Schema, incoming: StructSpec | StructType | FieldSpec[], options: EvolveOptions = {}): EvolveResult {
  const lastColumnId = options.lastColumnId ?? highestFieldId(current);
  const ctx: Ctx = { ids: idSource(lastColumnId), changes: [], acceptNarrower: options.acceptNarrower === true };
  const struct: StructSpec = Array.isArray(incoming) ? { type: 'struct', fields: incoming } : (incoming as StructSpec);
  const evolved = evolveStruct(current, struct, '', ctx);
  if (ctx.changes.length === 0) return { schema: undefined, changes: [], lastColumnId };
  const identifiers = new Set(current['identifier-field-ids'] ?? []);
  for (const c of ctx.changes) {
    if (c.kind === 'make-optional' && identifiers.has(c.fieldId)) {
      throw new IncompatibleSchemaChangeError(c.path, 'required', 'optional', 'an identifier field must stay required');
    }
  }
  const schema: Schema = { type: 'struct', 'schema-id': options.schemaId ?? current['schema-id'] + 1, fields: evolved.fields };
  if (current['identifier-field-ids'] !== undefined) schema['identifier-field-ids'] = current['identifier-field-ids'];
  return { schema, changes: ctx.changes, lastColumnId: ctx.ids.last };
}
