// The Iceberg schema of schemaless JSON records, inferred from the records themselves.
//
//   integer (number with an integral value, or a bigint from the int64-safe parser) → long
//   other number → double; long and double seen for one field → double
//   string → string, except RFC 3339 date-times with an offset ("2026-01-01T00:00:00Z",
//     "...+02:00") → timestamptz; timestamptz and other strings seen → string
//   boolean → boolean; object → struct (fields by key); array → list of the merged element type
//   every inferred field, element and value is optional (a key missing from a record is null)
//   a field seen only as null or [] has no type yet and is left out until a value arrives
// A value that cannot be merged with what was inferred so far (string vs number, object vs
// array, boolean vs number...) is an IncompatibleValueError for that record: the record goes
// to the dead letters and the inferred schema stays as it was.
//
// Seeded with the table's current schema, the table's column types are fixed: a value must fit
// them (an integer fits a double column; a double does not fit a long column), new keys still
// become new columns.
//
// A record whose merge would give a schema that breaks a rule of schema-rules.ts (names empty,
// equal ignoring case or colliding by full name, nesting or column count beyond the limits, a
// top-level key named like a Kafka metadata column) is refused the same way (SchemaRuleError).
// Nesting is checked while merging, so a value nested 100,000 levels deep costs no more than one
// nested maxDepth levels (no recursion past the limit).
import type { IcebergType, PrimitiveType, Schema, StructType } from '../iceberg/types.ts';
import { primitiveKind, typeToString } from '../iceberg/types.ts';
import type { FieldSpec, TypeSpec } from '../iceberg/schema.ts';
import { assignFreshIds } from '../iceberg/schema.ts';
import { IncompatibleValueError, SchemaRuleError } from './errors.ts';
import { DEFAULT_SCHEMA_LIMITS, nestingOf, reservedKeyOf, schemaRuleBroken } from './schema-rules.ts';
import type { ReservedNames, SchemaLimits } from './schema-rules.ts';

type Inferred =
  | { k: 'unknown' }
  | { k: 'boolean' }
  | { k: 'long' }
  | { k: 'double' }
  | { k: 'string' }
  | { k: 'timestamptz' }
  | { k: 'struct'; fields: Map<string, Inferred> }
  | { k: 'list'; element: Inferred }
  | { k: 'map'; value: Inferred }
  /** a primitive column type taken from the table: fixed, never widened */
  | { k: 'fixed'; type: PrimitiveType };

const UNKNOWN: Inferred = { k: 'unknown' };
const BOOLEAN: Inferred = { k: 'boolean' };
const LONG: Inferred = { k: 'long' };
const DOUBLE: Inferred = { k: 'double' };
const STRING: Inferred = { k: 'string' };
const TIMESTAMPTZ: Inferred = { k: 'timestamptz' };

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:[Zz]|[+-](\d{2}):(\d{2}))$/;

/** True for an RFC 3339 date-time with a time-zone offset and in-range fields. */
export function isRfc3339DateTime(s: string): boolean {
  if (s.length < 20 || s.length > 35) return false;
  const m = RFC3339.exec(s);
  if (!m) return false;
  const mo = +m[2],
    d = +m[3],
    h = +m[4],
    mi = +m[5],
    sec = +m[6];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return false;
  if (m[7] !== undefined && (+m[7] > 23 || +m[8] > 59)) return false;
  return true;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'bigint') return 'integer';
  if (typeof v === 'string') return isRfc3339DateTime(v) ? 'timestamptz string' : 'string';
  return typeof v;
}

function inferredName(t: Inferred): string {
  switch (t.k) {
    case 'struct':
      return 'struct';
    case 'list':
      return `list<${inferredName(t.element)}>`;
    case 'map':
      return `map<string, ${inferredName(t.value)}>`;
    case 'fixed':
      return typeToString(t.type);
    default:
      return t.k;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v) && !(v instanceof Map);
}

/** Whether a value fits a fixed (table) primitive type, as the batch builder will take it. */
function fitsFixed(type: PrimitiveType, v: unknown): boolean {
  const integral = (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'bigint';
  switch (primitiveKind(type)) {
    case 'boolean':
      return typeof v === 'boolean';
    case 'int':
      return typeof v === 'number' && Number.isInteger(v) && v >= -2147483648 && v <= 2147483647;
    case 'long':
      return integral;
    case 'float':
    case 'double':
      return typeof v === 'number' || typeof v === 'bigint';
    case 'decimal':
      return typeof v === 'number' || typeof v === 'bigint' || typeof v === 'string';
    case 'date':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns':
      return typeof v === 'string' || integral;
    case 'string':
    case 'uuid':
      return typeof v === 'string';
    default:
      return false; // binary, fixed: JSON has no bytes
  }
}

/**
 * Merge a value into a type; returns the (possibly same) widened type or throws. Pure. Deeper
 * than `limit` levels merging stops (SchemaRuleError too-deep) instead of recursing further.
 */
function merge(t: Inferred, v: unknown, path: string, depth = 0, limit = DEFAULT_SCHEMA_LIMITS.maxDepth): Inferred {
  if (v === null || v === undefined) return t;
  if (depth > limit && typeof v === 'object') throw new SchemaRuleError('too-deep', path.slice(0, 200), `nesting deeper than ${limit} levels (table.maxNestingDepth)`);
  switch (t.k) {
    case 'fixed':
      if (fitsFixed(t.type, v)) return t;
      break;
    case 'unknown':
      return mergeInto(v, path, depth, limit);
    case 'boolean':
      if (typeof v === 'boolean') return t;
      break;
    case 'long':
      if (typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v))) return t;
      if (typeof v === 'number') return DOUBLE;
      break;
    case 'double':
      if (typeof v === 'number' || typeof v === 'bigint') return t;
      break;
    case 'string':
      if (typeof v === 'string') return t;
      break;
    case 'timestamptz':
      if (typeof v === 'string') return isRfc3339DateTime(v) ? t : STRING;
      break;
    case 'struct': {
      if (!isObject(v)) break;
      let out: Map<string, Inferred> | undefined;
      for (const key of Object.keys(v)) {
        const cur = t.fields.get(key) ?? UNKNOWN;
        const next = merge(cur, v[key], path ? `${path}.${key}` : key, depth + 1, limit);
        if (next !== cur || !t.fields.has(key)) {
          out ??= new Map(t.fields);
          out.set(key, next);
        }
      }
      return out ? { k: 'struct', fields: out } : t;
    }
    case 'list': {
      if (!Array.isArray(v)) break;
      let el = t.element;
      for (let i = 0; i < v.length; i++) el = merge(el, v[i], `${path}.element`, depth + 1, limit);
      return el === t.element ? t : { k: 'list', element: el };
    }
    case 'map': {
      if (!isObject(v)) break;
      let val = t.value;
      for (const key of Object.keys(v)) val = merge(val, v[key], `${path}.value`, depth + 1, limit);
      return val === t.value ? t : { k: 'map', value: val };
    }
  }
  throw new IncompatibleValueError(path, inferredName(t), describe(v));
}

function mergeInto(v: unknown, path: string, depth: number, limit: number): Inferred {
  if (typeof v === 'boolean') return BOOLEAN;
  if (typeof v === 'bigint') return LONG;
  if (typeof v === 'number') return Number.isInteger(v) ? LONG : DOUBLE;
  if (typeof v === 'string') return isRfc3339DateTime(v) ? TIMESTAMPTZ : STRING;
  if (Array.isArray(v)) return merge({ k: 'list', element: UNKNOWN }, v, path, depth, limit);
  if (isObject(v)) return merge({ k: 'struct', fields: new Map() }, v, path, depth, limit);
  throw new IncompatibleValueError(path, 'a JSON value', typeof v);
}

function fromIceberg(t: IcebergType): Inferred {
  if (typeof t === 'string') return { k: 'fixed', type: t };
  if (t.type === 'struct') return { k: 'struct', fields: new Map(t.fields.map((f) => [f.name, fromIceberg(f.type)])) };
  if (t.type === 'list') return { k: 'list', element: fromIceberg(t.element) };
  return { k: 'map', value: fromIceberg(t.value) };
}

/** Inferred → Iceberg type (undefined while nothing but nulls / empty arrays was seen). */
function toSpec(t: Inferred): TypeSpec | undefined {
  switch (t.k) {
    case 'unknown':
      return undefined;
    case 'boolean':
    case 'long':
    case 'double':
    case 'string':
    case 'timestamptz':
      return t.k;
    case 'fixed':
      return t.type;
    case 'struct': {
      const fields: FieldSpec[] = [];
      for (const [name, ft] of t.fields) {
        const spec = toSpec(ft);
        if (spec !== undefined) fields.push({ name, type: spec, required: false });
      }
      return { type: 'struct', fields };
    }
    case 'list': {
      const el = toSpec(t.element);
      return el === undefined ? undefined : { type: 'list', element: el, 'element-required': false };
    }
    case 'map': {
      const val = toSpec(t.value);
      return val === undefined ? undefined : { type: 'map', key: 'string', value: val, 'value-required': false };
    }
  }
}

function schemaOf(t: Inferred): Schema {
  return assignFreshIds(toSpec(t) as { type: 'struct'; fields: FieldSpec[] }).schema;
}

const NO_NAMES: ReservedNames = new Set();

export interface InferOptions {
  /** Nesting and column limits (schema-rules.ts; default DEFAULT_SCHEMA_LIMITS). */
  limits?: SchemaLimits;
  /** Top-level keys a record may not have (the connector's Kafka metadata columns). */
  reserved?: ReservedNames;
}

export class JsonSchemaInferrer {
  private state: Inferred;
  private version = 0;
  private cached: { version: number; schema: Schema } | undefined;
  private readonly base: StructType | undefined;
  private readonly limits: SchemaLimits;
  private readonly reserved: ReservedNames;
  private readonly depthLimit: number;

  /** `base`: the table's current schema; its column types are kept as they are. */
  constructor(base?: StructType, options: InferOptions = {}) {
    this.state = base ? fromIceberg(base) : { k: 'struct', fields: new Map() };
    this.base = base;
    this.limits = options.limits ?? DEFAULT_SCHEMA_LIMITS;
    this.reserved = options.reserved ?? new Set();
    // a table made elsewhere may nest deeper than the limit: its own columns stay writable
    this.depthLimit = Math.max(this.limits.maxDepth, ...(base?.fields ?? []).map((f) => nestingOf(f.type)));
  }

  /**
   * Merges one record. Returns undefined when it fits (the schema may have grown), or the
   * error that sends it to the dead letters (the schema is then unchanged).
   */
  add(record: unknown): IncompatibleValueError | SchemaRuleError | undefined {
    if (!isObject(record)) return new IncompatibleValueError('', 'an object (record)', describe(record));
    const reserved = reservedKeyOf(record, this.reserved);
    if (reserved) return reserved;
    try {
      const next = merge(this.state, record, '', 0, this.depthLimit);
      if (next !== this.state) {
        const broken = schemaRuleBroken(schemaOf(next), this.limits, NO_NAMES, this.base); // reserved keys: checked above, record by record
        if (broken) return broken;
        this.state = next;
        this.version++;
      }
      return undefined;
    } catch (e) {
      if (e instanceof IncompatibleValueError || e instanceof SchemaRuleError) return e;
      throw e;
    }
  }

  /** Counts changes: compare to know whether the schema grew since the last look. */
  get changes(): number {
    return this.version;
  }

  /** The inferred schema, fresh ids 1, 2, ... in first-seen order; every field optional. */
  schema(): Schema {
    if (this.cached?.version !== this.version) this.cached = { version: this.version, schema: schemaOf(this.state) };
    return this.cached.schema;
  }
}

/** Infers one schema from a batch of records; records that do not fit are listed, not merged. */
export function inferJsonSchema(
  records: readonly unknown[],
  base?: StructType,
  options: InferOptions = {},
): {
  schema: Schema;
  rejected: { index: number; error: IncompatibleValueError | SchemaRuleError }[];
} {
  const inf = new JsonSchemaInferrer(base, options);
  const rejected: { index: number; error: IncompatibleValueError | SchemaRuleError }[] = [];
  records.forEach((r, index) => {
    const error = inf.add(r);
    if (error) rejected.push({ index, error });
  });
  return { schema: inf.schema(), rejected };
}
