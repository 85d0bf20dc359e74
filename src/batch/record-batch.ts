// RecordBatchBuilder: plain JS records in, a ColumnBatch out.
//
// The table schema is compiled once into a tree of writers. Appending a record walks that
// tree and shreds every value straight into its Parquet leaf column as Dremel
// repetition/definition levels plus a densely packed value (the "record shredding" of the
// Dremel paper), so the Parquet encoder has nothing left to compute but bytes.
//
// Level rules (Parquet's three-level lists and maps, as Iceberg writes them):
//   an optional field adds 1 to the definition level when present;
//   a list adds a repeated group "list" (def +1, rep +1) around its "element";
//   a map adds a repeated group "key_value" (def +1, rep +1) around "key" (required) and "value".
// A null (or missing) optional value, an empty list and an empty map each leave one entry,
// with the definition level reached, in every leaf below them.
//
// Record keys that are not in the schema are ignored: a producer may add fields before the
// table's schema has them, and schema evolution (elsewhere) decides what to do about that.
// A value that does not fit throws ValueError and leaves the batch as it was before the record.

import type { IcebergType, ListType, MapType, NestedField, PrimitiveType, Schema, StructType } from '../iceberg/types.ts';
import { typeToString } from '../iceberg/types.ts';
import type { ColumnBatch } from './column-batch.ts';
import { storageOf, valueWriter } from './coerce.ts';
import type { ValueWriter } from './coerce.ts';
import { ValueError } from './errors.ts';
import { LeafBuilder } from './leaf-builder.ts';

interface Ctx {
  table: string;
  leaves: LeafBuilder[];
}

abstract class Node {
  readonly path: string;
  readonly required: boolean;
  readonly expected: string;
  readonly ctx: Ctx;
  /** Every leaf below (or at) this node. */
  leaves: LeafBuilder[] = [];
  constructor(ctx: Ctx, path: string, required: boolean, type: IcebergType) {
    this.ctx = ctx;
    this.path = path;
    this.required = required;
    this.expected = typeToString(type);
  }
  fail(v: unknown, reason?: string): never {
    throw new ValueError(this.ctx.table, this.path, this.expected, v, reason || undefined);
  }
  /** Write a value; `def` is the definition level of the parent (this node's level if required). */
  write(v: unknown, rep: number, def: number): void {
    if (v === null || v === undefined) {
      if (this.required) this.fail(v, 'required');
      const leaves = this.leaves;
      for (let i = 0; i < leaves.length; i++) leaves[i].level(rep, def);
      return;
    }
    this.writeValue(v, rep, this.required ? def : def + 1);
  }
  abstract writeValue(v: unknown, rep: number, def: number): void;
}

class LeafNode extends Node {
  readonly leaf: LeafBuilder;
  readonly put: ValueWriter;
  constructor(ctx: Ctx, path: string, required: boolean, type: PrimitiveType, leaf: LeafBuilder) {
    super(ctx, path, required, type);
    this.leaf = leaf;
    this.put = valueWriter(type);
    this.leaves = [leaf];
  }
  writeValue(v: unknown, rep: number, def: number): void {
    const r = this.put(this.leaf, v);
    if (r !== undefined) this.fail(v, r);
    this.leaf.level(rep, def);
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  if ((v as object).constructor === Object) return true; // the common case, cheaply
  return !Array.isArray(v) && !(v instanceof Map) && !(v instanceof Date) && !ArrayBuffer.isView(v);
}

class StructNode extends Node {
  readonly names: string[];
  readonly children: Node[];
  constructor(ctx: Ctx, path: string, required: boolean, type: StructType, children: Node[]) {
    super(ctx, path, required, type);
    this.names = type.fields.map((f) => f.name);
    this.children = children;
    this.leaves = children.flatMap((c) => c.leaves);
  }
  writeValue(v: unknown, rep: number, def: number): void {
    if (!isPlainObject(v)) this.fail(v);
    const names = this.names;
    const children = this.children;
    for (let i = 0; i < children.length; i++) children[i].write(v[names[i]], rep, def);
  }
}

class ListNode extends Node {
  readonly element: Node;
  readonly repLevel: number;
  constructor(ctx: Ctx, path: string, required: boolean, type: ListType, element: Node, repLevel: number) {
    super(ctx, path, required, type);
    this.element = element;
    this.repLevel = repLevel;
    this.leaves = element.leaves;
  }
  writeValue(v: unknown, rep: number, def: number): void {
    if (!Array.isArray(v)) this.fail(v);
    const n = v.length;
    if (n === 0) {
      const leaves = this.leaves;
      for (let i = 0; i < leaves.length; i++) leaves[i].level(rep, def);
      return;
    }
    const el = this.element;
    el.write(v[0], rep, def + 1);
    for (let i = 1; i < n; i++) el.write(v[i], this.repLevel, def + 1);
  }
}

class MapNode extends Node {
  readonly key: Node;
  readonly value: Node;
  readonly repLevel: number;
  constructor(ctx: Ctx, path: string, required: boolean, type: MapType, key: Node, value: Node, repLevel: number) {
    super(ctx, path, required, type);
    this.key = key;
    this.value = value;
    this.repLevel = repLevel;
    this.leaves = [...key.leaves, ...value.leaves];
  }
  writeValue(v: unknown, rep: number, def: number): void {
    let r = rep;
    let any = false;
    if (v instanceof Map || Array.isArray(v)) {
      for (const e of v instanceof Map ? v.entries() : v) {
        if (!Array.isArray(e) || e.length !== 2) this.fail(v, 'an array of entries must hold [key, value] pairs');
        this.key.write(e[0], r, def + 1);
        this.value.write(e[1], r, def + 1);
        r = this.repLevel;
        any = true;
      }
    } else if (isPlainObject(v)) {
      for (const k in v) {
        if (!Object.hasOwn(v, k)) continue;
        this.key.write(k, r, def + 1);
        this.value.write(v[k], r, def + 1);
        r = this.repLevel;
        any = true;
      }
    } else this.fail(v);
    if (!any) {
      const leaves = this.leaves;
      for (let i = 0; i < leaves.length; i++) leaves[i].level(rep, def);
    }
  }
}

function compile(
  ctx: Ctx,
  type: IcebergType,
  required: boolean,
  fieldId: number,
  columnPath: string,
  parquetPath: string[],
  def: number,
  rep: number,
): Node {
  const d = required ? def : def + 1;
  if (typeof type === 'string') {
    const { kind, width } = storageOf(type);
    const leaf = new LeafBuilder({
      fieldId,
      columnPath,
      parquetPath,
      type,
      kind,
      width,
      maxDef: d,
      maxRep: rep,
      dictionary: type === 'string',
    });
    ctx.leaves.push(leaf);
    return new LeafNode(ctx, columnPath, required, type, leaf);
  }
  if (type.type === 'struct') {
    const children = type.fields.map((f: NestedField) =>
      compile(ctx, f.type, f.required, f.id, `${columnPath}.${f.name}`, [...parquetPath, f.name], d, rep),
    );
    return new StructNode(ctx, columnPath, required, type, children);
  }
  if (type.type === 'list') {
    const element = compile(
      ctx,
      type.element,
      type['element-required'],
      type['element-id'],
      `${columnPath}.element`,
      [...parquetPath, 'list', 'element'],
      d + 1,
      rep + 1,
    );
    return new ListNode(ctx, columnPath, required, type, element, rep + 1);
  }
  const key = compile(ctx, type.key, true, type['key-id'], `${columnPath}.key`, [...parquetPath, 'key_value', 'key'], d + 1, rep + 1);
  const value = compile(
    ctx,
    type.value,
    type['value-required'],
    type['value-id'],
    `${columnPath}.value`,
    [...parquetPath, 'key_value', 'value'],
    d + 1,
    rep + 1,
  );
  return new MapNode(ctx, columnPath, required, type, key, value, rep + 1);
}

export class RecordBatchBuilder {
  readonly schema: Schema;
  readonly tableName: string;
  private readonly fields: Node[];
  private readonly names: string[];
  private readonly leaves: LeafBuilder[];
  private rows = 0;

  constructor(schema: Schema, tableName: string) {
    this.schema = schema;
    this.tableName = tableName;
    const ctx: Ctx = { table: tableName, leaves: [] };
    this.fields = schema.fields.map((f) => compile(ctx, f.type, f.required, f.id, f.name, [f.name], 0, 0));
    this.names = schema.fields.map((f) => f.name);
    this.leaves = ctx.leaves;
  }

  get rowCount(): number {
    return this.rows;
  }

  /** Rough in-memory size of what has been appended (levels, values, dictionaries). */
  get estimatedBytes(): number {
    let b = 0;
    for (const l of this.leaves) b += l.estimatedBytes();
    return b;
  }

  /** Validate and append one record; on ValueError the batch is unchanged. */
  append(record: Record<string, unknown>): void {
    if (!isPlainObject(record)) throw new ValueError(this.tableName, '<record>', 'an object', record);
    const leaves = this.leaves;
    for (let i = 0; i < leaves.length; i++) leaves[i].mark();
    const fields = this.fields;
    const names = this.names;
    try {
      for (let i = 0; i < fields.length; i++) fields[i].write(record[names[i]], 0, 0);
    } catch (e) {
      for (let i = 0; i < leaves.length; i++) leaves[i].rollback();
      throw e;
    }
    this.rows++;
  }

  /** The batch so far; the builder starts over empty. */
  finish(): ColumnBatch {
    const batch: ColumnBatch = { tableName: this.tableName, rowCount: this.rows, columns: this.leaves.map((l) => l.finish()) };
    this.rows = 0;
    return batch;
  }
}
