// Partition specs: build one from a connector's `partitionBy` expressions the way Iceberg
// Java's PartitionSpec.Builder does (ids from last-partition-id + 1, default names, name and
// redundancy checks), bind one to a schema, and give the manifest's partition struct.
//
// Expressions: "col" or "identity(col)", "year(col)", "month(col)", "day(col)", "hour(col)"
// (Spark's plural "years(...)" etc. too), "bucket(N, col)", "truncate(W, col)", "void(col)",
// and the spec's forms "bucket[N](col)", "truncate[W](col)". Any of them may end with
// " as <name>" to choose the partition field's name. Columns are dotted paths for nested
// struct fields ("customer.id").
import type { IcebergType, Schema, StructType } from './types.ts';
import { typeToString } from './types.ts';
import type { PartitionField, PartitionSpec } from './table-metadata.ts';
import type { Transform, TransformFn } from './transforms.ts';
import { canTransform, parseTransform, transformFn, transformResultType, transformToString } from './transforms.ts';
import type { FieldEntry } from './schema.ts';
import { findFieldByName, findFieldEntry, findFieldEntryByName } from './schema.ts';
import { FloeError } from '../errors.ts';

/** Partition field ids start after this in a table without partition fields (v1 used 1000+). */
export const PARTITION_DATA_ID_START = 1000;

export class PartitionSpecError extends FloeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('fatal', message, options);
  }
}

export interface PartitionExpression {
  transform: Transform;
  /** Source column, a dotted path. */
  column: string;
  /** Partition field name when given with "as"; otherwise the default. */
  name?: string;
}

const CALL = /^(\w+)\s*(?:\[\s*(\d+)\s*\])?\s*\(\s*(.*?)\s*\)$/s;
const AS = /^(.*?)\s+as\s+(\S+)$/is;
const ALIASES: Record<string, string> = { years: 'year', months: 'month', days: 'day', hours: 'hour', bucket: 'bucket', truncate: 'truncate' };

/** Parse one partitionBy expression. Throws PartitionSpecError naming the expression. */
export function parsePartitionExpression(expr: string): PartitionExpression {
  const fail = (msg: string): never => {
    throw new PartitionSpecError(`partition expression "${expr}": ${msg}`);
  };
  let body = expr.trim();
  let name: string | undefined;
  const as = AS.exec(body);
  if (as) {
    body = as[1].trim();
    name = as[2];
  }
  if (body === '') return fail('empty');
  const call = CALL.exec(body);
  if (!call) {
    if (/[()[\],\s]/.test(body)) fail('expected a column name or transform(column), e.g. day(ts), bucket(16, id), truncate(4, name)');
    return { transform: { kind: 'identity' }, column: body, name };
  }
  const fn = (ALIASES[call[1].toLowerCase()] ?? call[1]).toLowerCase();
  const bracketed = call[2];
  const args = call[3].split(',').map((a) => a.trim());
  const isCount = (a: string): boolean => /^\d+$/.test(a);
  let param: string | undefined;
  let column: string;
  if (fn === 'bucket' || fn === 'truncate') {
    if (bracketed !== undefined) {
      if (args.length !== 1) fail(`${fn}[${bracketed}] takes one column`);
      param = bracketed;
      column = args[0];
    } else {
      if (args.length !== 2 || !isCount(args[0])) fail(`expected ${fn}(${fn === 'bucket' ? 'N' : 'W'}, column)`);
      param = args[0];
      column = args[1];
    }
  } else {
    if (bracketed !== undefined) fail(`${fn} takes no [parameter]`);
    if (args.length !== 1) fail(`${fn} takes exactly one column`);
    column = args[0];
  }
  if (column === '' || /[()[\],\s]/.test(column)) fail(`invalid column name "${column}"`);
  let transform: Transform;
  try {
    transform = parseTransform(param === undefined ? fn : `${fn}[${param}]`);
  } catch (e) {
    return fail((e as Error).message);
  }
  return { transform, column, name };
}

const SUFFIX: Record<Transform['kind'], string> = {
  identity: '',
  bucket: '_bucket',
  truncate: '_trunc',
  year: '_year',
  month: '_month',
  day: '_day',
  hour: '_hour',
  void: '_null',
};

/** Java's default partition field name: the column's dotted name, plus _bucket, _trunc, _day, ... */
export function defaultPartitionName(transform: Transform, columnName: string): string {
  return columnName + SUFFIX[transform.kind];
}

/** Java's dedup key: the time transforms share one ("time"); others are their string form. */
function dedupName(t: Transform): string {
  return t.kind === 'year' || t.kind === 'month' || t.kind === 'day' || t.kind === 'hour' ? 'time' : transformToString(t);
}

/** The spec of an unpartitioned table. */
export function unpartitionedSpec(specId = 0): PartitionSpec {
  return { 'spec-id': specId, fields: [] };
}

function checkSource(e: FieldEntry | undefined, what: string, column: string | number): FieldEntry {
  if (!e) throw new PartitionSpecError(`${what}: column ${typeof column === 'string' ? `"${column}"` : `id ${column}`} is not in the schema`);
  if (e.inRepeated) throw new PartitionSpecError(`${what}: column ${e.name} is inside a list or a map and cannot be a partition source`);
  return e;
}

function checkTransform(t: Transform, e: FieldEntry, what: string): void {
  if (t.kind !== 'void' && typeof e.field.type !== 'string') {
    throw new PartitionSpecError(`${what}: column ${e.name} is a ${e.field.type.type}, only primitive columns can be partitioned`);
  }
  if (!canTransform(t, e.field.type)) {
    throw new PartitionSpecError(`${what}: transform ${transformToString(t)} cannot be applied to column ${e.name} of type ${typeToString(e.field.type)}`);
  }
}

/**
 * Build a partition spec from expressions. Field ids continue from `lastPartitionId` (999 for a
 * new table, so the first is 1000). Throws PartitionSpecError naming the expression for an
 * unknown column, a transform that does not apply to the column's type, a name used twice or
 * taken by another column, or a redundant field (e.g. day(ts) with hour(ts)).
 */
export function buildPartitionSpec(
  schema: Schema | StructType,
  expressions: readonly string[],
  options: { specId?: number; lastPartitionId?: number } = {},
): { spec: PartitionSpec; lastPartitionId: number } {
  let lastId = options.lastPartitionId ?? PARTITION_DATA_ID_START - 1;
  const fields: PartitionField[] = [];
  const names = new Set<string>();
  const dedup = new Map<string, string>();
  for (const expr of expressions) {
    const what = `partition expression "${expr}"`;
    const p = parsePartitionExpression(expr);
    const src = checkSource(findFieldEntryByName(schema, p.column), what, p.column);
    checkTransform(p.transform, src, what);
    const name = p.name ?? defaultPartitionName(p.transform, src.name);
    const clash = findFieldByName(schema, name);
    if (clash && (p.transform.kind === 'identity' || p.transform.kind === 'void' ? clash.id !== src.field.id : true)) {
      throw new PartitionSpecError(`${what}: partition name "${name}" is already a column of the schema (choose another with "as <name>")`);
    }
    if (names.has(name)) throw new PartitionSpecError(`${what}: partition name "${name}" is used more than once`);
    names.add(name);
    if (p.transform.kind !== 'void') {
      const key = `${src.field.id}/${dedupName(p.transform)}`;
      const prior = dedup.get(key);
      if (prior !== undefined) throw new PartitionSpecError(`${what}: redundant with "${prior}" (same column, same kind of transform)`);
      dedup.set(key, expr);
    }
    fields.push({ 'source-id': src.field.id, 'field-id': ++lastId, name, transform: transformToString(p.transform) });
  }
  return { spec: { 'spec-id': options.specId ?? 0, fields }, lastPartitionId: lastId };
}

/** Check a spec read from table metadata against a schema (known transforms, applicable types). */
export function validatePartitionSpec(spec: PartitionSpec, schema: Schema | StructType): void {
  const ids = new Set<number>();
  const names = new Set<string>();
  for (const f of spec.fields) {
    const what = `partition spec ${spec['spec-id']} field "${f.name}"`;
    if (ids.has(f['field-id'])) throw new PartitionSpecError(`${what}: field id ${f['field-id']} is used twice`);
    ids.add(f['field-id']);
    if (names.has(f.name)) throw new PartitionSpecError(`${what}: name is used twice`);
    names.add(f.name);
    let t: Transform;
    try {
      t = parseTransform(f.transform);
    } catch (e) {
      throw new PartitionSpecError(`${what}: ${(e as Error).message}`);
    }
    checkTransform(t, checkSource(findFieldEntry(schema, f['source-id']), what, f['source-id']), what);
  }
}

/** The highest partition field id in the specs, or 999 when there is none. */
export function lastPartitionId(specs: readonly PartitionSpec[]): number {
  let max = PARTITION_DATA_ID_START - 1;
  for (const s of specs) for (const f of s.fields) if (f['field-id'] > max) max = f['field-id'];
  return max;
}

/** True if the specs have the same fields (source, transform, name) in the same order; ids aside. */
export function specsEquivalent(a: PartitionSpec, b: PartitionSpec): boolean {
  if (a.fields.length !== b.fields.length) return false;
  return a.fields.every((f, i) => {
    const g = b.fields[i];
    return f['source-id'] === g['source-id'] && f.name === g.name && transformToString(parseTransform(f.transform)) === transformToString(parseTransform(g.transform));
  });
}

function resultTypeOf(f: PartitionField, schema: Schema | StructType): IcebergType {
  const t = parseTransform(f.transform);
  const src = findFieldEntry(schema, f['source-id']);
  if (src) return transformResultType(t, src.field.type);
  // A dropped source column: transforms with a fixed result type still have one (as in Java).
  if (t.kind === 'bucket' || t.kind === 'year' || t.kind === 'month' || t.kind === 'hour') return 'int';
  if (t.kind === 'day') return 'date';
  throw new PartitionSpecError(`partition field "${f.name}": source column id ${f['source-id']} is not in the schema`);
}

/**
 * The partition struct that manifests carry for this spec: one optional field per partition
 * field, with the partition field's id and name and the transform's result type.
 */
export function partitionType(spec: PartitionSpec, schema: Schema | StructType): StructType {
  return {
    type: 'struct',
    fields: spec.fields.map((f) => ({ id: f['field-id'], name: f.name, required: false, type: resultTypeOf(f, schema) })),
  };
}

export interface BoundPartitionField {
  field: PartitionField;
  transform: Transform;
  sourceId: number;
  /** Names from the schema root to the source column (for reading it out of a record). */
  sourcePath: string[];
  sourceType: IcebergType;
  resultType: IcebergType;
  /** The transform, parsed and checked once; null in, null out. */
  apply: TransformFn;
}

/** Resolve each partition field's source column and transform against a schema. */
export function bindPartitionSpec(spec: PartitionSpec, schema: Schema | StructType): BoundPartitionField[] {
  return spec.fields.map((f) => {
    const what = `partition field "${f.name}"`;
    const src = checkSource(findFieldEntry(schema, f['source-id']), what, f['source-id']);
    const t = parseTransform(f.transform);
    checkTransform(t, src, what);
    return {
      field: f,
      transform: t,
      sourceId: src.field.id,
      sourcePath: src.path,
      sourceType: src.field.type,
      resultType: transformResultType(t, src.field.type),
      apply: transformFn(t, src.field.type),
    };
  });
}
