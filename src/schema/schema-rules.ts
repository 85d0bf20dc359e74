// What a table schema floe writes must satisfy, checked before any file is written or any
// catalog request is made, so that a record whose schema breaks a rule becomes a dead letter
// instead of a change the catalog refuses (the connector stopping at every restart) or one the
// readers cannot load the day after:
//   - every field name is non-empty;
//   - no two fields of one struct have names equal ignoring case (Spark by default, Trino and
//     Athena resolve names case-insensitively and cannot tell `x` from `X`);
//   - no two fields have the same full name, ignoring case: a top-level field "a.b" and a field b
//     inside a struct a are both "a.b" in Iceberg's name index (the REST catalog refuses the
//     schema: "multiple fields for name a.b"); list elements are NAME.element, map keys and
//     values NAME.key and NAME.value, as the index names them;
//   - at most `maxDepth` levels of nesting (struct, list and map each count one level; PyIceberg
//     failed to load a table with 100 levels: its JSON parser's recursion limit);
//   - at most `maxColumns` leaf (primitive) columns;
//   - no top-level field named like one of the connector's Kafka metadata columns (`reserved`):
//     the producer's field and the metadata column would be one column.
import type { IcebergType, StructType } from '../iceberg/types.ts';
import { SchemaRuleError } from './errors.ts';

export interface SchemaLimits {
  /** Levels of nesting (a struct, list or map inside a top-level field counts one each). Default 32. */
  maxDepth: number;
  /** Leaf (primitive) columns. Default 2000. */
  maxColumns: number;
}

export const DEFAULT_SCHEMA_LIMITS: SchemaLimits = { maxDepth: 32, maxColumns: 2000 };
/** No limits (a table whose schema floe does not change). */
export const UNLIMITED: SchemaLimits = { maxDepth: Infinity, maxColumns: Infinity };

/** Top-level names the producer may not use (the Kafka metadata columns the connector adds). */
export type ReservedNames = ReadonlySet<string>;

/**
 * The first rule `schema` breaks (see the module comment), or undefined. Fields already in
 * `existing` (the table's current schema) are not held against it: a table that has them was
 * made elsewhere, and floe keeps writing it. A `reserved` name is refused whatever `existing`
 * holds (the table has the metadata column itself).
 */
export function schemaRuleBroken(schema: StructType, limits: SchemaLimits = DEFAULT_SCHEMA_LIMITS, reserved: ReservedNames = new Set(), existing?: StructType): SchemaRuleError | undefined {
  // fields of `existing` by their exact path of names ("a.b" at the top is not b inside a)
  const had = new Set<string>();
  if (existing) walk(existing, [], (names) => void had.add(names.join('\0')));
  let columns = 0;
  const fullNames = new Map<string, string>();
  let broken: SchemaRuleError | undefined;
  const visit = (names: string[], t: IcebergType, siblings: Map<string, string> | undefined, depth: number): void => {
    if (broken) return;
    const full = names.join('.');
    const isNew = !had.has(names.join('\0'));
    const name = siblings ? names[names.length - 1] : undefined;
    if (name !== undefined && isNew) {
      if (name === '') {
        broken = new SchemaRuleError('empty-name', full, 'a field has an empty name');
        return;
      }
      const other = siblings!.get(name.toLowerCase());
      if (other !== undefined && other !== name) {
        broken = new SchemaRuleError('case-duplicate', full, `field "${name}" differs from its sibling "${other}" only in case (case-insensitive engines cannot tell them apart)`);
        return;
      }
    }
    if (name !== undefined) siblings!.set(name.toLowerCase(), name);
    const foldedFull = full.toLowerCase();
    const seen = fullNames.get(foldedFull);
    if (seen !== undefined && isNew) {
      broken = new SchemaRuleError('name-collision', full, `two fields have the full name "${full}"${seen !== full ? ` (and "${seen}")` : ''}: a field name with a dot next to a struct of that name`);
      return;
    }
    fullNames.set(foldedFull, full);
    if (depth > limits.maxDepth && isNew) {
      broken = new SchemaRuleError('too-deep', full, `nesting deeper than ${limits.maxDepth} levels (table.maxNestingDepth)`);
      return;
    }
    if (typeof t === 'string') {
      columns++;
      return;
    }
    if (t.type === 'struct') {
      const inner = new Map<string, string>();
      for (const f of t.fields) visit([...names, f.name], f.type, inner, depth + 1);
    } else if (t.type === 'list') visit([...names, 'element'], t.element, undefined, depth + 1);
    else {
      visit([...names, 'key'], t.key, undefined, depth + 1);
      visit([...names, 'value'], t.value, undefined, depth + 1);
    }
  };
  const top = new Map<string, string>();
  for (const f of schema.fields) {
    if (reserved.has(f.name)) return new SchemaRuleError('reserved-name', f.name, `field "${f.name}" has the name of a Kafka metadata column this connector adds`);
    visit([f.name], f.type, top, 0);
    if (broken) return broken;
  }
  const before = existing ? countColumns(existing) : 0;
  if (columns > limits.maxColumns && columns > before) return new SchemaRuleError('too-many-columns', '', `${columns} columns, more than ${limits.maxColumns} (table.maxColumns)`);
  return undefined;
}

/** Levels of nesting below a top-level field of this type (0 for a primitive), as the rules count them. */
export function nestingOf(t: IcebergType): number {
  if (typeof t === 'string') return 0;
  if (t.type === 'struct') return 1 + t.fields.reduce((m, f) => Math.max(m, nestingOf(f.type)), 0);
  if (t.type === 'list') return 1 + nestingOf(t.element);
  return 1 + Math.max(nestingOf(t.key), nestingOf(t.value));
}

function countColumns(t: IcebergType): number {
  if (typeof t === 'string') return 1;
  if (t.type === 'struct') return t.fields.reduce((n, f) => n + countColumns(f.type), 0);
  if (t.type === 'list') return countColumns(t.element);
  return countColumns(t.key) + countColumns(t.value);
}

function walk(t: IcebergType, names: string[], see: (names: string[]) => void): void {
  if (typeof t === 'string') return;
  const child = (name: string, type: IcebergType) => {
    const n = [...names, name];
    see(n);
    walk(type, n, see);
  };
  if (t.type === 'struct') for (const f of t.fields) child(f.name, f.type);
  else if (t.type === 'list') child('element', t.element);
  else {
    child('key', t.key);
    child('value', t.value);
  }
}

/** A record's top-level key named like a metadata column (`reserved`): why it is a dead letter. */
export function reservedKeyOf(record: object, reserved: ReservedNames): SchemaRuleError | undefined {
  for (const name of reserved) {
    if (Object.hasOwn(record, name)) return new SchemaRuleError('reserved-name', name, `the record has a field "${name}", the name of a Kafka metadata column this connector adds`);
  }
  return undefined;
}
