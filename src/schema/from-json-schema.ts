// Iceberg schema of a table fed by JSON Schema records.
//
//   object with properties → struct (a property is required when listed in "required" and
//     its type does not allow null); object with only additionalProperties: S → map<string, S>
//   array with items: S → list<S>
//   integer → long; number → double (integer+number → double); boolean → boolean
//   string → string, except format date-time → timestamptz, date → date, uuid → uuid
//   enum / const of strings → string
//   "type": [T, "null"], anyOf/oneOf [S, {type: null}] → optional
//   $ref to #/definitions/..., #/$defs/... or to a referenced schema (by its reference name)
// Errors: free-form objects (no properties, no additionalProperties schema), tuple arrays,
// unions of several non-null types other than integer+number, recursive $refs.
// A top-level schema that is not an object becomes one column "value".
import type { Schema } from '../iceberg/types.ts';
import type { FieldSpec, TypeSpec } from '../iceberg/schema.ts';
import { assignFreshIds } from '../iceberg/schema.ts';
import { SchemaConversionError } from './errors.ts';
import { VALUE_COLUMN } from './from-avro.ts';

type Json = Record<string, unknown>;

export function icebergSchemaFromJsonSchema(schema: unknown, references: ReadonlyMap<string, unknown> = new Map()): Schema {
  return jsonSchemaToIceberg(schema, references).schema;
}

/** The schema, and whether the value had to be wrapped in a "value" column (not an object). */
export function jsonSchemaToIceberg(schema: unknown, references: ReadonlyMap<string, unknown> = new Map()): { schema: Schema; wrapped: boolean } {
  const c = new JsonSchemaConverter(schema, references);
  const root = c.resolve(schema, '');
  const t = c.convert(root.schema, '', root.doc);
  if (typeof t.type === 'object' && t.type.type === 'struct') return { schema: assignFreshIds(t.type.fields).schema, wrapped: false };
  return { schema: assignFreshIds([{ name: VALUE_COLUMN, type: t.type, required: !t.nullable }]).schema, wrapped: true };
}

interface Converted {
  type: TypeSpec;
  nullable: boolean;
}

class JsonSchemaConverter {
  private readonly root: unknown;
  private readonly references: ReadonlyMap<string, unknown>;
  private readonly active: unknown[] = [];

  constructor(root: unknown, references: ReadonlyMap<string, unknown>) {
    this.root = root;
    this.references = references;
  }

  /** Follows $ref chains; returns the target schema and the document it lives in. */
  resolve(s: unknown, path: string, doc: unknown = this.root): { schema: Json; doc: unknown } {
    for (let hops = 0; hops < 32; hops++) {
      if (s === true || s === false) throw new SchemaConversionError(path, `boolean schema ${s} has no Iceberg type`);
      if (s === null || typeof s !== 'object' || Array.isArray(s)) throw new SchemaConversionError(path, `not a schema: ${JSON.stringify(s)}`);
      const o = s as Json;
      if (typeof o.$ref !== 'string') return { schema: o, doc };
      const ref = o.$ref;
      const hash = ref.indexOf('#');
      const base = hash < 0 ? ref : ref.slice(0, hash);
      const fragment = hash < 0 ? '' : ref.slice(hash + 1);
      if (base !== '') {
        if (!this.references.has(base)) throw new SchemaConversionError(path, `$ref "${ref}" names no referenced schema`);
        doc = this.references.get(base);
      }
      s = pointer(doc, fragment, path);
    }
    throw new SchemaConversionError(path, '$ref chain too long');
  }

  convert(s0: Json, path: string, doc: unknown = this.root): Converted {
    if (this.active.includes(s0)) throw new SchemaConversionError(path, 'recursive schema; Iceberg has no recursive types');
    this.active.push(s0);
    try {
      return this.convertInner(s0, path, doc);
    } finally {
      this.active.pop();
    }
  }

  private sub(s: unknown, path: string, doc: unknown): Converted {
    const r = this.resolve(s, path, doc);
    return this.convert(r.schema, path, r.doc);
  }

  private convertInner(s: Json, path: string, doc: unknown): Converted {
    const alternatives = (Array.isArray(s.anyOf) ? s.anyOf : Array.isArray(s.oneOf) ? s.oneOf : undefined) as unknown[] | undefined;
    if (alternatives) {
      const resolved = alternatives.map((a) => this.resolve(a, path, doc));
      const nonNull = resolved.filter((r) => !isNullSchema(r.schema));
      if (nonNull.length !== 1) throw new SchemaConversionError(path, `anyOf/oneOf with ${nonNull.length} non-null alternatives has no Iceberg type`);
      const inner = this.convert(nonNull[0].schema, path, nonNull[0].doc);
      return { type: inner.type, nullable: inner.nullable || nonNull.length < resolved.length };
    }
    if (Array.isArray(s.allOf) && s.allOf.length === 1) return this.sub(s.allOf[0], path, doc);

    let types: string[];
    if (typeof s.type === 'string') types = [s.type];
    else if (Array.isArray(s.type)) types = s.type.filter((x): x is string => typeof x === 'string');
    else if (s.properties !== undefined || s.additionalProperties !== undefined) types = ['object'];
    else if (s.items !== undefined) types = ['array'];
    else if (Array.isArray(s.enum) || 'const' in s) {
      const values = Array.isArray(s.enum) ? s.enum : [s.const];
      types = [...new Set(values.map((v) => (v === null ? 'null' : Number.isInteger(v) ? 'integer' : typeof v)))];
    } else throw new SchemaConversionError(path, 'schema without a type');

    const nullable = types.includes('null');
    let nonNull = types.filter((t) => t !== 'null');
    if (nonNull.length === 2 && nonNull.includes('integer') && nonNull.includes('number')) nonNull = ['number'];
    if (nonNull.length !== 1) throw new SchemaConversionError(path, `type ${JSON.stringify(types)} has no single Iceberg type`);

    switch (nonNull[0]) {
      case 'boolean':
        return { type: 'boolean', nullable };
      case 'integer':
        return { type: 'long', nullable };
      case 'number':
        return { type: 'double', nullable };
      case 'string':
        switch (s.format) {
          case 'date-time':
            return { type: 'timestamptz', nullable };
          case 'date':
            return { type: 'date', nullable };
          case 'uuid':
            return { type: 'uuid', nullable };
          default:
            return { type: 'string', nullable };
        }
      case 'array': {
        if (s.items === undefined || Array.isArray(s.items) || typeof s.items === 'boolean') {
          throw new SchemaConversionError(path, 'array without a single "items" schema has no Iceberg type');
        }
        const e = this.sub(s.items, `${path}.element`, doc);
        return { type: { type: 'list', element: e.type, 'element-required': !e.nullable }, nullable };
      }
      case 'object': {
        const props = s.properties as Json | undefined;
        if (props && Object.keys(props).length > 0) {
          const required = new Set(Array.isArray(s.required) ? (s.required as string[]) : []);
          const fields: FieldSpec[] = Object.entries(props).map(([name, ps]) => {
            const p = path ? `${path}.${name}` : name;
            const c = this.sub(ps, p, doc);
            const spec: FieldSpec = { name, type: c.type, required: required.has(name) && !c.nullable };
            const desc = (ps as Json | null)?.description;
            if (typeof desc === 'string') spec.doc = desc;
            return spec;
          });
          return { type: { type: 'struct', fields }, nullable };
        }
        const ap = s.additionalProperties;
        if (ap !== undefined && typeof ap === 'object' && ap !== null) {
          const v = this.sub(ap, `${path}.value`, doc);
          return { type: { type: 'map', key: 'string', value: v.type, 'value-required': !v.nullable }, nullable };
        }
        throw new SchemaConversionError(path, 'object without properties or an additionalProperties schema has no Iceberg type');
      }
      default:
        throw new SchemaConversionError(path, `type "${nonNull[0]}" has no Iceberg type`);
    }
  }
}

function isNullSchema(s: Json): boolean {
  return s.type === 'null' || (Array.isArray(s.type) && s.type.length === 1 && s.type[0] === 'null');
}

function pointer(doc: unknown, fragment: string, path: string): unknown {
  if (fragment === '' || fragment === '/') return doc;
  if (!fragment.startsWith('/')) throw new SchemaConversionError(path, `$ref fragment "#${fragment}" is not a JSON pointer`);
  let cur = doc;
  for (const raw of fragment.slice(1).split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object' || !(key in (cur as object))) {
      throw new SchemaConversionError(path, `$ref "#${fragment}" points nowhere`);
    }
    cur = (cur as Json)[key];
  }
  return cur;
}
