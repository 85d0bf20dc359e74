// Columns another engine renamed (Spark `ALTER TABLE t RENAME COLUMN s TO s_renamed`): Iceberg
// keeps the field id and changes the name, and the table's schema history still holds the old
// name. floe follows the field id:
//   - plain JSON records (names are all they have): a key that is an old name of a renamed
//     column, with no key of the new name beside it, is moved to the new name before the record
//     is inferred and appended: the value lands in the renamed column, never in a new column of
//     the old name (a silent fork). Struct fields at any depth (also inside lists) are followed;
//   - writer schemas (Avro, Protobuf, JSON Schema), whose fields are matched by name: a field
//     named like a renamed column is a SchemaRuleError ('renamed-column'): its records are dead
//     letters that say which column it was renamed to (the producer's schema must follow).
// An old name that is a current column's name again (renamed back, or reused) is not followed.
import type { IcebergType, Schema, StructType } from '../iceberg/types.ts';
import { SchemaRuleError } from './errors.ts';

/** Old name → current name at one struct, and the same for the structs below it (by current name). */
export interface Renames {
  byOld: Map<string, string>;
  inner: Map<string, Renames>;
}

/** The struct type a field's values hold, looking through lists (their elements). */
function structOf(t: IcebergType): StructType | undefined {
  if (typeof t === 'string') return undefined;
  if (t.type === 'struct') return t;
  if (t.type === 'list') return structOf(t.element);
  return undefined;
}

function build(current: StructType, older: StructType[]): Renames | undefined {
  const names = new Set(current.fields.map((f) => f.name));
  const byOld = new Map<string, string>();
  const inner = new Map<string, Renames>();
  for (const f of current.fields) {
    const before: StructType[] = [];
    for (const o of older) {
      const was = o.fields.find((x) => x.id === f.id);
      if (!was) continue;
      if (was.name !== f.name && !names.has(was.name)) byOld.set(was.name, f.name);
      const s = structOf(was.type);
      if (s) before.push(s);
    }
    const s = structOf(f.type);
    if (s && before.length > 0) {
      const r = build(s, before);
      if (r) inner.set(f.name, r);
    }
  }
  return byOld.size > 0 || inner.size > 0 ? { byOld, inner } : undefined;
}

/** The renames the schema history of a table holds, or undefined when no column was renamed. */
export function renamesOf(schemas: readonly Schema[], currentSchemaId: number): Renames | undefined {
  const current = schemas.find((s) => s['schema-id'] === currentSchemaId);
  if (!current) return undefined;
  return build(
    current,
    schemas.filter((s) => s !== current),
  );
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof Map);

/** Moves a plain JSON record's keys of old names to the current names, in place (see the module comment). */
export function applyRenames(value: unknown, r: Renames): void {
  if (Array.isArray(value)) {
    for (const v of value) applyRenames(v, r);
    return;
  }
  if (!isObject(value)) return;
  for (const [old, now] of r.byOld) {
    if (Object.hasOwn(value, old) && !Object.hasOwn(value, now)) {
      value[now] = value[old];
      delete value[old];
    }
  }
  for (const [name, below] of r.inner) if (Object.hasOwn(value, name)) applyRenames(value[name], below);
}

/** A writer schema's field named like a renamed column: why its records are dead letters. */
export function renamedFieldOf(schema: StructType, r: Renames, path = ''): SchemaRuleError | undefined {
  for (const f of schema.fields) {
    const full = path ? `${path}.${f.name}` : f.name;
    const now = r.byOld.get(f.name);
    if (now !== undefined && !schema.fields.some((x) => x.name === now)) {
      return new SchemaRuleError('renamed-column', full, `column "${full}" was renamed to "${path ? `${path}.${now}` : now}" by another engine; the writer schema still has the old name`);
    }
    const below = r.inner.get(f.name);
    const s = structOf(f.type);
    if (below && s) {
      const e = renamedFieldOf(s, below, full);
      if (e) return e;
    }
  }
  return undefined;
}
