// Turns a record-shredding plan (record-batch.ts) into one JavaScript function per schema, so
// appending a record runs straight-line code: constant property names (monomorphic loads on
// records of one shape, as decoders make them), the common primitive checks inline, static
// definition levels, and one generated function per list or map.
//
// The generated code does exactly what the plan says, node by node:
//   null or missing  → a required node fails ("required"); an optional one leaves one level
//                      entry (rep, parent's def) in every leaf below it;
//   leaf             → validate and store the value (coerce.ts), then one level entry;
//   struct           → a plain object, each field in schema order (unknown keys ignored);
//   list             → an array; empty leaves one entry per leaf below, else each element with
//                      the list's repetition level after the first;
//   map              → a Map, an array of [key, value] pairs or a plain object (own keys).
// A value that does not fit throws ValueError; the caller rolls the leaves back.

import type { PrimitiveType } from '../iceberg/types.ts';
import { primitiveKind } from '../iceberg/types.ts';
import type { ValueWriter } from './coerce.ts';
import { ValueError } from './errors.ts';
import type { LeafBuilder } from './leaf-builder.ts';

interface PlanBase {
  /** Column path for error messages (a.b.element.c). */
  path: string;
  required: boolean;
  /** The Iceberg type as text, for error messages. */
  expected: string;
  /** Every leaf below (or at) this node. */
  leaves: LeafBuilder[];
}
export interface LeafPlan extends PlanBase {
  kind: 'leaf';
  type: PrimitiveType;
  leaf: LeafBuilder;
  write: ValueWriter;
}
export interface StructPlan extends PlanBase {
  kind: 'struct';
  names: string[];
  children: Plan[];
}
export interface ListPlan extends PlanBase {
  kind: 'list';
  element: Plan;
  repLevel: number;
}
export interface MapPlan extends PlanBase {
  kind: 'map';
  key: Plan;
  value: Plan;
  repLevel: number;
}
export type Plan = LeafPlan | StructPlan | ListPlan | MapPlan;

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  if ((v as object).constructor === Object) return true; // the common case, cheaply
  return !Array.isArray(v) && !(v instanceof Map) && !(v instanceof Date) && !ArrayBuffer.isView(v);
}

function failer(table: string, n: Plan): (v: unknown, reason?: string) => never {
  return (v, reason) => {
    throw new ValueError(table, n.path, n.expected, v, reason || undefined);
  };
}

function prop(name: string): string {
  return `[${JSON.stringify(name)}]`;
}

export class Emitter {
  readonly consts: unknown[] = [];
  readonly fns: string[] = [];
  private readonly ids = new Map<unknown, string>();
  private n = 0;
  readonly table: string;
  constructor(table: string) {
    this.table = table;
  }

  /** A name for a constant (leaf, writer, failure function) in the generated module. */
  c(v: unknown): string {
    let id = this.ids.get(v);
    if (id === undefined) {
      id = `K${this.consts.length}`;
      this.consts.push(v);
      this.ids.set(v, id);
    }
    return id;
  }

  v(prefix: string): string {
    return `${prefix}${this.n++}`;
  }

  level(l: LeafBuilder, rep: string, def: number): string {
    const L = this.c(l);
    if (l.maxRep > 0) return `${L}.level(${rep}, ${def});`;
    if (l.maxDef > 0) return `${L}.levelDef(${def});`;
    return `${L}.levelNone();`;
  }

  levels(n: Plan, rep: string, def: number): string {
    return n.leaves.map((l) => this.level(l, rep, def)).join(' ');
  }

  /** Write value `v` of node `n` whose parent is at definition level `def`. */
  field(n: Plan, v: string, rep: string, def: number): string {
    const F = this.c(failer(this.table, n));
    const absent = n.required ? `${F}(${v}, 'required');` : this.levels(n, rep, def);
    return `if (${v} === null || ${v} === undefined) { ${absent} } else { ${this.value(n, v, rep, n.required ? def : def + 1, F)} }`;
  }

  /** Write the non-null value `v` of node `n` at definition level `def` (its own). */
  value(n: Plan, v: string, rep: string, def: number, F: string): string {
    switch (n.kind) {
      case 'leaf':
        return `${this.primitive(n, v, F)} ${this.level(n.leaf, rep, def)}`;
      case 'struct': {
        let s = `if (!P(${v})) ${F}(${v});`;
        n.children.forEach((child, i) => {
          const c = this.v('v');
          s += ` { const ${c} = ${v}${prop(n.names[i])}; ${this.field(child, c, rep, def)} }`;
        });
        return s;
      }
      case 'list': {
        const fn = this.v('list');
        const el = this.field(n.element, 'e', 'er', def + 1);
        this.fns.push(
          `function ${fn}(v, rep) { if (!Array.isArray(v)) ${F}(v); const n = v.length;` +
            ` if (n === 0) { ${this.levels(n, 'rep', def)} return; }` +
            ` for (let i = 0; i < n; i++) { const e = v[i]; const er = i === 0 ? rep : ${n.repLevel}; ${el} } }`,
        );
        return `${fn}(${v}, ${rep});`;
      }
      case 'map': {
        const fn = this.v('map');
        const kv = this.v('entry');
        this.fns.push(`function ${kv}(k, x, r) { ${this.field(n.key, 'k', 'r', def + 1)} ${this.field(n.value, 'x', 'r', def + 1)} }`);
        this.fns.push(
          `function ${fn}(v, rep) { let r = rep; let any = false;` +
            ` if (v instanceof Map || Array.isArray(v)) { for (const e of v instanceof Map ? v.entries() : v) {` +
            ` if (!Array.isArray(e) || e.length !== 2) ${F}(v, 'an array of entries must hold [key, value] pairs');` +
            ` ${kv}(e[0], e[1], r); r = ${n.repLevel}; any = true; } }` +
            ` else if (P(v)) { for (const k in v) { if (!Object.hasOwn(v, k)) continue; ${kv}(k, v[k], r); r = ${n.repLevel}; any = true; } }` +
            ` else ${F}(v);` +
            ` if (!any) { ${this.levels(n, 'rep', def)} } }`,
        );
        return `${fn}(${v}, ${rep});`;
      }
    }
  }

  /** Validate and store a primitive; the common types inline, the rest through coerce.ts. */
  primitive(n: LeafPlan, v: string, F: string): string {
    const L = this.c(n.leaf);
    switch (primitiveKind(n.type)) {
      case 'string':
        return `if (typeof ${v} !== 'string') ${F}(${v}, ''); ${L}.pushString(${v});`;
      case 'boolean':
        return `if (typeof ${v} !== 'boolean') ${F}(${v}, ''); ${L}.pushBoolean(${v});`;
      case 'double': // numbers inline; anything else (a bigint from the JSON parser) as coerce.ts takes it
      case 'float': {
        const W = this.c(n.write);
        const push = primitiveKind(n.type) === 'double' ? 'pushDouble' : 'pushFloat';
        return `if (typeof ${v} === 'number') ${L}.${push}(${v}); else { const why = ${W}(${L}, ${v}); if (why !== undefined) ${F}(${v}, why); }`;
      }
      case 'int':
        return `if (typeof ${v} !== 'number') ${F}(${v}, '');` + ` if ((${v} | 0) !== ${v}) ${F}(${v}, Number.isInteger(${v}) ? 'out of int32 range' : 'not an integer'); ${L}.pushInt32(${v});`;
      default: {
        const W = this.c(n.write);
        return `{ const why = ${W}(${L}, ${v}); if (why !== undefined) ${F}(${v}, why); }`;
      }
    }
  }
}

/** Writes one record; `extras` (when given) holds the values of the builder's extra columns. */
export type AppendFn = (record: Record<string, unknown>, extras?: readonly unknown[]) => void;

/**
 * The function that writes one record (a plain object, already checked) into the leaves of
 * `fields`. It does not mark or roll back: the builder does.
 *
 * `extraColumns` names top-level fields whose values may come from a second argument, an array
 * in that order, instead of the record: `append(rec, extras)` writes what
 * `append({...rec, [extraColumns[j]]: extras[j], ...})` would, without building that object
 * (the pipeline's Kafka metadata columns). Without `extras` every field comes from the record.
 */
export function compileAppend(table: string, names: string[], fields: Plan[], extraColumns: readonly string[] = []): AppendFn {
  const e = new Emitter(table);
  let body = '';
  fields.forEach((f, i) => {
    const v = e.v('v');
    const j = extraColumns.indexOf(names[i]);
    const read = j < 0 ? `rec${prop(names[i])}` : `(X === undefined ? rec${prop(names[i])} : X[${j}])`;
    body += `{ const ${v} = ${read}; ${e.field(f, v, '0', 0)} }\n`;
  });
  const consts = e.consts.map((_, i) => `const K${i} = C[${i}];`).join('\n');
  const source = `${consts}\n${e.fns.join('\n')}\nreturn function append(rec, X) {\n${body}};`;
  return new Function('C', 'P', source)(e.consts, isPlainObject) as AppendFn;
}
