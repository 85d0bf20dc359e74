// Iceberg schema of a table fed by Avro records (the writer schema from the registry).
//
//   record → struct; [null, T] / [T, null] → optional T; any other field → required
//   other unions → struct<tag: int, field0: T0, field1: T1, ...> over the non-null branches,
//     every fieldN optional (the shape Iceberg's Java Avro reader gives complex unions); the
//     struct itself is optional when null is one of the branches
//   enum → string; map → map<string, V>; array → list<T> (optional elements for [null, T])
//   bytes → binary; fixed(L) → fixed[L]; string → string
//   logical types: decimal(P,S) → decimal(P,S); uuid → uuid; date → date;
//     time-millis / time-micros → time; timestamp-millis/-micros → timestamptz;
//     local-timestamp-millis/-micros → timestamp; timestamp-nanos → timestamptz_ns and
//     local-timestamp-nanos → timestamp_ns (these two need table format v3)
//   a field of type null, a union of only null, and recursive records are errors.
// A top-level schema that is not a record becomes one required (or optional) column "value".
import type { Schema } from '../iceberg/types.ts';
import { decimalType, fixedType } from '../iceberg/types.ts';
import type { FieldSpec, TypeSpec } from '../iceberg/schema.ts';
import { assignFreshIds } from '../iceberg/schema.ts';
import type { AvroRecord, AvroType, NamedAvroTypes } from '../decode/avro-schema.ts';
import { optionUnion, parseAvroSchema } from '../decode/avro-schema.ts';
import { SchemaConversionError } from './errors.ts';

/** The column that holds a non-record top-level value. */
export const VALUE_COLUMN = 'value';

export function icebergSchemaFromAvro(schema: AvroType | string, named?: NamedAvroTypes): Schema {
  const avro = typeof schema === 'string' ? parseAvroSchema(schema, named) : schema;
  const c = new AvroConverter();
  let fields: FieldSpec[];
  if (avro.kind === 'record') fields = c.fields(avro, '');
  else {
    const { type, required } = c.field(avro, VALUE_COLUMN);
    fields = [{ name: VALUE_COLUMN, type, required }];
  }
  return assignFreshIds(fields).schema;
}

class AvroConverter {
  private readonly active = new Set<AvroRecord>();

  fields(rec: AvroRecord, path: string): FieldSpec[] {
    if (this.active.has(rec)) throw new SchemaConversionError(path, `record ${rec.name} is recursive; Iceberg has no recursive types`);
    this.active.add(rec);
    const out = rec.fields.map((f) => {
      const p = path ? `${path}.${f.name}` : f.name;
      const { type, required } = this.field(f.type, p);
      const spec: FieldSpec = { name: f.name, type, required };
      if (f.doc !== undefined) spec.doc = f.doc;
      return spec;
    });
    this.active.delete(rec);
    return out;
  }

  /** A field's (or element's, value's) type and whether it is required. */
  field(t: AvroType, path: string): { type: TypeSpec; required: boolean } {
    if (t.kind === 'union') {
      const opt = optionUnion(t);
      if (opt) return { type: this.type(opt.value, path), required: false };
      const nonNull = t.branches.filter((b) => b.kind !== 'null');
      if (nonNull.length === 0) throw new SchemaConversionError(path, 'a union of only null has no Iceberg type');
      if (nonNull.length === 1 && t.branches.length === 1) return { type: this.type(nonNull[0], path), required: true };
      const hasNull = nonNull.length < t.branches.length;
      return {
        type: {
          type: 'struct',
          fields: [{ name: 'tag', type: 'int', required: true }, ...nonNull.map((b, i) => ({ name: `field${i}`, type: this.type(b, `${path}.field${i}`), required: false }))],
        },
        required: !hasNull,
      };
    }
    return { type: this.type(t, path), required: true };
  }

  type(t: AvroType, path: string): TypeSpec {
    switch (t.kind) {
      case 'null':
        throw new SchemaConversionError(path, 'a field of type null has no Iceberg type');
      case 'boolean':
        return 'boolean';
      case 'int':
        return t.logical === 'date' ? 'date' : t.logical === 'time-millis' ? 'time' : 'int';
      case 'long':
        switch (t.logical) {
          case undefined:
            return 'long';
          case 'time-micros':
            return 'time';
          case 'timestamp-millis':
          case 'timestamp-micros':
            return 'timestamptz';
          case 'local-timestamp-millis':
          case 'local-timestamp-micros':
            return 'timestamp';
          case 'timestamp-nanos':
            return 'timestamptz_ns';
          case 'local-timestamp-nanos':
            return 'timestamp_ns';
        }
        break;
      case 'float':
        return 'float';
      case 'double':
        return 'double';
      case 'bytes':
        return t.decimal ? decimalOrError(t.decimal.precision, t.decimal.scale, path) : 'binary';
      case 'string':
        return t.logical === 'uuid' ? 'uuid' : 'string';
      case 'fixed':
        if (t.decimal) return decimalOrError(t.decimal.precision, t.decimal.scale, path);
        if (t.logical === 'uuid') return 'uuid';
        return fixedType(t.size);
      case 'enum':
        return 'string';
      case 'array': {
        const e = this.field(t.items, `${path}.element`);
        return { type: 'list', element: e.type, 'element-required': e.required };
      }
      case 'map': {
        const v = this.field(t.values, `${path}.value`);
        return { type: 'map', key: 'string', value: v.type, 'value-required': v.required };
      }
      case 'record':
        return { type: 'struct', fields: this.fields(t, path) };
      case 'union': {
        // a union directly inside a union is not valid Avro; nested in list/map it is handled by field()
        const f = this.field(t, path);
        return f.type;
      }
    }
    throw new SchemaConversionError(path, `unsupported Avro type ${JSON.stringify(t)}`);
  }
}

function decimalOrError(precision: number, scale: number, path: string): TypeSpec {
  if (precision > 38) throw new SchemaConversionError(path, `decimal precision ${precision} is over Iceberg's 38`);
  return decimalType(precision, scale);
}
