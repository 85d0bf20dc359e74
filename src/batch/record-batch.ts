// RecordBatchBuilder: plain JS records in, a ColumnBatch out.
//
// The table schema is compiled once into a shredding plan and from that into one append
// function (append-compiler.ts). Appending a record shreds every value straight into its
// Parquet leaf column as Dremel repetition/definition levels plus a densely packed value (the
// "record shredding" of the Dremel paper), so the Parquet encoder has nothing left to compute
// but bytes.
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

import type { IcebergType, NestedField, Schema } from '../iceberg/types.ts';
import { typeToString } from '../iceberg/types.ts';
import { compileAppend, isPlainObject } from './append-compiler.ts';
import type { AppendFn, Plan } from './append-compiler.ts';
import { compileAvroAppend } from './avro-append-compiler.ts';
import type { AvroAppendFn } from './avro-append-compiler.ts';
import { compileJsonAppend } from './json-append.ts';
import type { JsonAppendFn } from './json-append.ts';
import type { AvroReadState } from '../decode/avro-decoder.ts';
import type { AvroType } from '../decode/avro-schema.ts';
import type { ColumnBatch } from './column-batch.ts';
import { storageOf, valueWriter } from './coerce.ts';
import { ValueError } from './errors.ts';
import { LeafBuilder } from './leaf-builder.ts';

/** The shredding plan of one field: its leaves (pushed to `leaves` in schema order) and levels. */
function compile(leaves: LeafBuilder[], type: IcebergType, required: boolean, fieldId: number, columnPath: string, parquetPath: string[], def: number, rep: number): Plan {
  const d = required ? def : def + 1;
  const base = { path: columnPath, required, expected: typeToString(type) };
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
    leaves.push(leaf);
    return { ...base, kind: 'leaf', type, leaf, write: valueWriter(type), leaves: [leaf] };
  }
  if (type.type === 'struct') {
    const children = type.fields.map((f: NestedField) => compile(leaves, f.type, f.required, f.id, `${columnPath}.${f.name}`, [...parquetPath, f.name], d, rep));
    return { ...base, kind: 'struct', names: type.fields.map((f) => f.name), children, leaves: children.flatMap((c) => c.leaves) };
  }
  if (type.type === 'list') {
    const element = compile(leaves, type.element, type['element-required'], type['element-id'], `${columnPath}.element`, [...parquetPath, 'list', 'element'], d + 1, rep + 1);
    return { ...base, kind: 'list', element, repLevel: rep + 1, leaves: element.leaves };
  }
  const key = compile(leaves, type.key, true, type['key-id'], `${columnPath}.key`, [...parquetPath, 'key_value', 'key'], d + 1, rep + 1);
  const value = compile(leaves, type.value, type['value-required'], type['value-id'], `${columnPath}.value`, [...parquetPath, 'key_value', 'value'], d + 1, rep + 1);
  return { ...base, kind: 'map', key, value, repLevel: rep + 1, leaves: [...key.leaves, ...value.leaves] };
}

export class RecordBatchBuilder {
  readonly schema: Schema;
  readonly tableName: string;
  /** Top-level columns whose values append() may take from its `extras` argument (in this order). */
  readonly extraColumns: readonly string[];
  private readonly write: AppendFn;
  private readonly leaves: LeafBuilder[];
  private readonly plan: Plan[];
  /** appendAvro's compiled functions by writer schema (null: that schema takes the object path). */
  private readonly avroAppends = new Map<AvroType, AvroAppendFn | null>();
  private readonly avroState: AvroReadState = { buf: EMPTY, pos: 0, len: 0 };
  /** Records appendAvro declined in a row: past AVRO_GIVE_UP, that writer schema stays on decode-then-append. */
  private avroDeclined = 0;
  /** appendJson's function (made on first use; null: given up, JSON takes the object path). */
  private jsonAppend: JsonAppendFn | null | undefined = undefined;
  /** Records appendJson declined in a row: past JSON_GIVE_UP, this builder leaves JSON to the object path. */
  private jsonDeclined = 0;
  private rows = 0;

  constructor(schema: Schema, tableName: string, options: { extraColumns?: readonly string[] } = {}) {
    this.schema = schema;
    this.tableName = tableName;
    this.extraColumns = options.extraColumns ?? [];
    const leaves: LeafBuilder[] = [];
    const fields = schema.fields.map((f) => compile(leaves, f.type, f.required, f.id, f.name, [f.name], 0, 0));
    this.write = compileAppend(
      tableName,
      schema.fields.map((f) => f.name),
      fields,
      this.extraColumns,
    );
    this.leaves = leaves;
    this.plan = fields;
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

  /**
   * Validate and append one record; on ValueError the batch is unchanged. `extras` gives the
   * values of the extra columns (see the constructor), overriding the record's own.
   */
  append(record: Record<string, unknown>, extras?: readonly unknown[]): void {
    if (!isPlainObject(record)) throw new ValueError(this.tableName, '<record>', 'an object', record);
    const leaves = this.leaves;
    for (let i = 0; i < leaves.length; i++) leaves[i].mark();
    try {
      this.write(record, extras);
    } catch (e) {
      for (let i = 0; i < leaves.length; i++) leaves[i].rollback();
      throw e;
    }
    this.rows++;
  }

  /**
   * Append the Avro record in bytes[offset..] (the whole rest of the array), written with
   * `writer`, straight from its bytes (avro-append-compiler.ts): true when it did, giving the
   * batch append(decode(bytes)) would; false, with the batch unchanged, when the record (or any
   * record of this writer schema) must take decode-then-append, which also names its problem.
   */
  appendAvro(writer: AvroType, bytes: Uint8Array, offset: number, extras?: readonly unknown[]): boolean {
    let fn = this.avroAppends.get(writer);
    if (fn === undefined) {
      const names = this.schema.fields.map((f) => f.name);
      try {
        fn = compileAvroAppend(this.tableName, names, this.plan, this.extraColumns, writer) ?? null;
      } catch {
        fn = null; // a schema pair the generator gets wrong keeps decode-then-append rather than failing the record
      }
      this.avroAppends.set(writer, fn);
    }
    if (fn === null) return false;
    const leaves = this.leaves;
    for (let i = 0; i < leaves.length; i++) leaves[i].mark();
    const r = this.avroState;
    r.buf = bytes;
    r.pos = offset;
    r.len = bytes.length;
    try {
      fn(r, extras);
    } catch {
      for (let i = 0; i < leaves.length; i++) leaves[i].rollback();
      // every record of this schema failing here (then decoded again) would cost twice: stop trying
      if (++this.avroDeclined >= AVRO_GIVE_UP) this.avroAppends.set(writer, null);
      return false;
    } finally {
      r.buf = EMPTY;
    }
    this.avroDeclined = 0;
    this.rows++;
    return true;
  }

  /**
   * Append the plain JSON record in bytes[offset..] (the whole rest of the array) straight from
   * its text (json-append.ts): true when it did, giving the batch append(decodePlainJson(bytes))
   * would; false, with the batch unchanged, when the record must take decode-then-append, which
   * decides and names any problem. A record taken here has no key the table lacks, at any depth.
   */
  appendJson(bytes: Uint8Array, offset: number, extras?: readonly unknown[]): boolean {
    let fn = this.jsonAppend;
    if (fn === undefined) {
      fn = this.jsonAppend = compileJsonAppend(
        this.schema.fields.map((f) => f.name),
        this.plan,
        this.extraColumns,
      );
    }
    if (fn === null) return false;
    const leaves = this.leaves;
    for (let i = 0; i < leaves.length; i++) leaves[i].mark();
    try {
      fn(bytes, offset, extras);
    } catch {
      for (let i = 0; i < leaves.length; i++) leaves[i].rollback();
      // records that all need the object path (keys the table lacks) would be read twice: stop trying
      if (++this.jsonDeclined >= JSON_GIVE_UP) this.jsonAppend = null;
      return false;
    }
    this.jsonDeclined = 0;
    this.rows++;
    return true;
  }

  /** The leaf column of a primitive field (by field id; undefined: none, or not a primitive). */
  leafOf(fieldId: number): LeafBuilder | undefined {
    for (const l of this.leaves) if (l.spec.fieldId === fieldId) return l;
    return undefined;
  }

  /**
   * Takes back the record the last append, appendAvro or appendJson added (which must have
   * succeeded, with nothing appended since): the batch is as it was before it.
   */
  dropLastRow(): void {
    if (this.rows === 0) throw new Error('dropLastRow: no row to drop');
    const leaves = this.leaves;
    for (let i = 0; i < leaves.length; i++) leaves[i].rollback();
    this.rows--;
  }

  /** The batch so far; the builder starts over empty. */
  finish(): ColumnBatch {
    const batch: ColumnBatch = { tableName: this.tableName, rowCount: this.rows, columns: this.leaves.map((l) => l.finish()) };
    this.rows = 0;
    return batch;
  }
}

const EMPTY = new Uint8Array(0);
const AVRO_GIVE_UP = 256;
const JSON_GIVE_UP = 256;
