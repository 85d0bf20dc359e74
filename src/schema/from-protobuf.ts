// Iceberg schema of a table fed by Protobuf messages (the message the wire format names).
//
//   nested message → struct (optional: messages have presence); repeated → list<T> with
//   required elements; map<K, V> → map<K', V'> (required values); enum → string
//   double → double; float → float; int32, sint32, sfixed32 → int;
//   uint32, fixed32 (values up to 2^32) and all 64-bit integers → long; bool → boolean;
//   string → string; bytes → binary
//   google.protobuf.Timestamp → timestamptz; wrappers (Int64Value, StringValue, ...) →
//   optional primitive
//   presence: proto3 `optional`, oneof members, proto2 optional → optional column;
//   proto3 implicit-presence scalars always have a value (their default) → required;
//   proto2 `required` → required; repeated and map fields → required (empty when absent)
//   recursive messages (including google.protobuf.Struct/Value) are errors.
import protobuf from 'protobufjs';
import type { Schema } from '../iceberg/types.ts';
import type { FieldSpec, TypeSpec } from '../iceberg/schema.ts';
import { assignFreshIds } from '../iceberg/schema.ts';
import { TIMESTAMP, WRAPPERS } from '../decode/protobuf-decoder.ts';
import { SchemaConversionError } from './errors.ts';

export function icebergSchemaFromProtobuf(message: protobuf.Type): Schema {
  return assignFreshIds(new ProtoConverter().fields(message, '')).schema;
}

function scalar(type: string, path: string): TypeSpec {
  switch (type) {
    case 'double':
      return 'double';
    case 'float':
      return 'float';
    case 'int32':
    case 'sint32':
    case 'sfixed32':
      return 'int';
    case 'uint32':
    case 'fixed32':
    case 'int64':
    case 'sint64':
    case 'sfixed64':
    case 'uint64':
    case 'fixed64':
      return 'long';
    case 'bool':
      return 'boolean';
    case 'string':
      return 'string';
    case 'bytes':
      return 'binary';
  }
  throw new SchemaConversionError(path, `unknown Protobuf scalar type ${type}`);
}

class ProtoConverter {
  private readonly active = new Set<protobuf.Type>();

  fields(t: protobuf.Type, path: string): FieldSpec[] {
    if (this.active.has(t)) throw new SchemaConversionError(path, `message ${t.fullName.slice(1)} is recursive; Iceberg has no recursive types`);
    this.active.add(t);
    const out: FieldSpec[] = [];
    for (const f of t.fieldsArray) {
      f.resolve();
      const p = path ? `${path}.${f.name}` : f.name;
      const spec: FieldSpec = { name: f.name, type: 'string', required: true };
      if (f.comment) spec.doc = f.comment;
      if (f instanceof protobuf.MapField) {
        spec.type = { type: 'map', key: scalar(f.keyType, `${p}.key`), value: this.valueType(f, `${p}.value`), 'value-required': true };
      } else if (f.repeated) {
        spec.type = { type: 'list', element: this.valueType(f, `${p}.element`), 'element-required': true };
      } else {
        spec.type = this.valueType(f, p);
        spec.required = f.required || !(f.hasPresence || f.resolvedType instanceof protobuf.Type);
      }
      out.push(spec);
    }
    this.active.delete(t);
    return out;
  }

  private valueType(f: protobuf.Field, path: string): TypeSpec {
    const rt = f.resolvedType;
    if (rt instanceof protobuf.Enum) return 'string';
    if (rt instanceof protobuf.Type) {
      if (rt.fullName === TIMESTAMP) return 'timestamptz';
      const wrapped = WRAPPERS[rt.fullName];
      if (wrapped) return scalar(wrapped, path);
      return { type: 'struct', fields: this.fields(rt, path) };
    }
    return scalar(f.type, path);
  }
}
