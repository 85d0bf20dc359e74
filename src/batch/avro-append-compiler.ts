// Avro binary straight into a RecordBatchBuilder's leaf columns: one JavaScript function per
// (writer schema, table schema) pair that reads the payload and appends as it reads, without a
// JS object per record, and, for string columns, without a JS string per value where the
// column's dictionary already holds its bytes (LeafBuilder.pushUtf8).
//
// It must give exactly the batch that decode (avro-decoder.ts) then append (append-compiler.ts)
// gives, so it only takes what it can do the same way and leaves the rest to that path:
//   - compiling returns undefined (the caller keeps the object path for this writer schema)
//     when a field's Avro type is not the one the table's column has from the Avro → Iceberg
//     mapping (from-avro.ts) — a promoted or evolved column type, a union other than [null, T],
//     a top-level value that is not a record, a writer field named like an extra column;
//   - a record it cannot append the same way throws (decode errors, a value that fits no column,
//     a null for a required column, a duplicate map key, a non-canonical uuid): the builder
//     rolls the record back and the caller runs the object path on it, which then names the
//     problem exactly as before (the same dead-letter reason).
// Writer fields the table has no column for are read and checked by the object decoder's own
// reader (compileAvroReader) and dropped, as append ignores unknown keys.
//
// Fields are read in the writer's order; each table column's leaves get their entries from one
// field only, so the order in which columns are written does not change the batch.

import { AVRO_RUNTIME, compileAvroReader } from '../decode/avro-decoder.ts';
import type { AvroReadState } from '../decode/avro-decoder.ts';
import type { AvroType } from '../decode/avro-schema.ts';
import { optionUnion } from '../decode/avro-schema.ts';
import { twosComplementToInteger } from '../decode/values.ts';
import { validUtf8 } from '../decode/string-cache.ts';
import { decimalParams, fixedLength, primitiveKind } from '../iceberg/types.ts';
import { Emitter, isPlainObject } from './append-compiler.ts';
import type { LeafPlan, Plan } from './append-compiler.ts';
import type { LeafBuilder } from './leaf-builder.ts';
import { FloeError } from '../errors.ts';

/** Reads one Avro record from `r` into the leaves; throws (leaving partial entries) if it cannot. */
export type AvroAppendFn = (r: AvroReadState, extras?: readonly unknown[]) => void;

/** Thrown inside generated code: "not this way" (the caller rolls back and takes the object path). */
const FALLBACK = new Error('record left to the object path');

class Unsupported extends FloeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('fatal', message, options);
  }
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const MICROS_PER_DAY = 86400000000;

/** Hex digit value by char code (either case), -1 otherwise. */
const HEX = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX[48 + i] = i;
for (let i = 0; i < 6; i++) HEX[97 + i] = HEX[65 + i] = 10 + i;
const UUID_POS = Int8Array.from([0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34]);

/** An Avro uuid string (36 chars, canonical, either case) into a uuid column's 16 bytes. */
function uuidInto(r: AvroReadState, leaf: LeafBuilder): void {
  const n = AVRO_RUNTIME.length(r);
  const b = r.buf;
  const p = r.pos;
  if (n !== 36 || b[p + 8] !== 45 || b[p + 13] !== 45 || b[p + 18] !== 45 || b[p + 23] !== 45) throw FALLBACK;
  const at = leaf.fixedSlot();
  const out = leaf.u8;
  let bad = 0;
  for (let j = 0; j < 16; j++) {
    const q = p + UUID_POS[j];
    const hi = HEX[b[q]];
    const lo = HEX[b[q + 1]];
    bad |= hi | lo;
    out[at + j] = (hi << 4) | lo;
  }
  if (bad < 0) throw FALLBACK;
  r.pos = p + 36;
}

/** Where one map's keys sit in the payload (to find duplicate keys), grown as needed. */
interface KeyScratch {
  starts: Int32Array;
  lens: Int32Array;
}

function growScratch(s: KeyScratch): void {
  const starts = new Int32Array(s.starts.length * 2);
  starts.set(s.starts);
  const lens = new Int32Array(s.lens.length * 2);
  lens.set(s.lens);
  s.starts = starts;
  s.lens = lens;
}

/** Whether two of the map's `n` keys are the same string (the object decoder's Map would keep one). */
function duplicateKeys(buf: Uint8Array, s: KeyScratch, n: number): boolean {
  let ascii = true;
  for (let i = 0; i < n && ascii; i++) {
    const a = s.starts[i];
    for (let k = 0; k < s.lens[i]; k++) {
      if (buf[a + k] >= 0x80) {
        ascii = false;
        break;
      }
    }
  }
  if (ascii && n <= 32) {
    for (let i = 0; i < n; i++) {
      const a = s.starts[i];
      const len = s.lens[i];
      for (let j = i + 1; j < n; j++) {
        if (s.lens[j] !== len) continue;
        const b = s.starts[j];
        let k = 0;
        while (k < len && buf[a + k] === buf[b + k]) k++;
        if (k === len) return true;
      }
    }
    return false;
  }
  // non-ASCII bytes: compare the strings (different invalid sequences decode alike)
  const seen = new Set<string>();
  const view = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let i = 0; i < n; i++) {
    const k = view.toString('utf8', s.starts[i], s.starts[i] + s.lens[i]);
    if (seen.has(k)) return true;
    seen.add(k);
  }
  return false;
}

const RUNTIME = { ...AVRO_RUNTIME, FALLBACK, uuidInto, growScratch, duplicateKeys, validUtf8, twos: twosComplementToInteger, INT64_MIN, INT64_MAX };

class AvroEmitter {
  readonly e: Emitter;
  constructor(table: string) {
    this.e = new Emitter(table);
  }

  private unsupported(why: string): never {
    throw new Unsupported(why);
  }

  /** What a null (or missing) value of node `n` under a parent at `pd` does. */
  absent(n: Plan, rep: string, pd: number): string {
    return n.required ? 'throw R.FALLBACK;' : this.e.levels(n, rep, pd);
  }

  /** Read a value of Avro type `t` (a field, element or map value) into node `n` whose parent is at def `pd`. */
  field(t: AvroType, n: Plan, rep: string, pd: number): string {
    const d = n.required ? pd : pd + 1;
    if (t.kind === 'union') {
      const u = this.e.v('u');
      const opt = optionUnion(t);
      if (opt) {
        return (
          `{ const ${u} = R.int(r); if (${u} === ${opt.nullIndex}) { ${this.absent(n, rep, pd)} }` +
          ` else if (${u} === ${opt.valueIndex}) { ${this.present(opt.value, n, rep, d)} } else throw R.badUnion(${u}, 2); }`
        );
      }
      if (t.branches.length === 1 && t.branches[0].kind !== 'null' && t.branches[0].kind !== 'union') {
        return `{ const ${u} = R.int(r); if (${u} !== 0) throw R.badUnion(1, 1); ${this.present(t.branches[0], n, rep, d)} }`;
      }
      this.unsupported('a union other than [null, T]');
    }
    return this.present(t, n, rep, d);
  }

  /** Read a non-null value of `t` into node `n`, whose own definition level is `d`. */
  present(t: AvroType, n: Plan, rep: string, d: number): string {
    switch (n.kind) {
      case 'leaf':
        return `${this.leaf(t, n)} ${this.e.level(n.leaf, rep, d)}`;
      case 'struct':
        if (t.kind !== 'record') this.unsupported(`${t.kind} for a struct`);
        return this.fields(t.fields, n.names, n.children, rep, d);
      case 'list': {
        if (t.kind !== 'array') this.unsupported(`${t.kind} for a list`);
        const fn = this.e.v('alist');
        const er = this.e.v('er');
        const el = this.field(t.items, n.element, er, d + 1);
        this.e.fns.push(
          `function ${fn}(r, rep) { let first = true; for (let c = R.blockCount(r); c !== 0; c = R.blockCount(r)) {` +
            ` for (let i = 0; i < c; i++) { const ${er} = first ? rep : ${n.repLevel}; first = false; ${el} if (r.pos > r.len) throw R.truncated(); } }` +
            ` if (first) { ${this.e.levels(n, 'rep', d)} } }`,
        );
        return `${fn}(r, ${rep});`;
      }
      case 'map': {
        if (t.kind !== 'map') this.unsupported(`${t.kind} for a map`);
        if (n.key.kind !== 'leaf' || n.key.type !== 'string' || !n.key.required) this.unsupported('a map key that is not a string');
        const fn = this.e.v('amap');
        const er = this.e.v('er');
        const S = this.e.c({ starts: new Int32Array(16), lens: new Int32Array(16) } satisfies KeyScratch);
        const K = this.e.c(n.key.leaf);
        const value = this.field(t.values, n.value, er, d + 1);
        this.e.fns.push(
          `function ${fn}(r, rep) { let cnt = 0; for (let c = R.blockCount(r); c !== 0; c = R.blockCount(r)) {` +
            ` for (let i = 0; i < c; i++) { const ${er} = cnt === 0 ? rep : ${n.repLevel};` +
            ` const kn = R.length(r); if (!R.validUtf8(r.buf, r.pos, r.pos + kn)) throw R.FALLBACK; if (cnt === ${S}.starts.length) R.growScratch(${S}); ${S}.starts[cnt] = r.pos; ${S}.lens[cnt] = kn;` +
            ` ${K}.pushUtf8(r.buf, r.pos, kn); r.pos += kn; ${this.e.level(n.key.leaf, er, d + 1)}` +
            ` ${value} cnt++; if (r.pos > r.len) throw R.truncated(); } }` +
            ` if (cnt === 0) { ${this.e.levels(n, 'rep', d)} } else if (cnt > 1 && R.duplicateKeys(r.buf, ${S}, cnt)) throw R.FALLBACK; }`,
        );
        return `${fn}(r, ${rep});`;
      }
    }
  }

  /** A record's fields into a struct's children (or the table's top-level fields). */
  fields(avro: { name: string; type: AvroType }[], names: string[], children: Plan[], rep: string, d: number, extras: readonly string[] = []): string {
    let s = '';
    const seen = new Set<number>();
    for (const f of avro) {
      if (extras.includes(f.name)) this.unsupported(`writer field "${f.name}" is also an extra column`);
      const i = names.indexOf(f.name);
      if (i < 0) {
        s += ` ${this.e.c(compileAvroReader(f.type))}(r);`; // read and checked, then dropped
        continue;
      }
      seen.add(i);
      s += ` ${this.field(f.type, children[i], rep, d)}`;
    }
    children.forEach((c, i) => {
      if (seen.has(i)) return;
      const j = extras.indexOf(names[i]);
      if (j >= 0) {
        const v = this.e.v('x');
        s += ` { const ${v} = X === undefined ? undefined : X[${j}]; ${this.e.field(c, v, rep, d)} }`;
      } else s += ` ${this.absent(c, rep, d)}`;
    });
    return s;
  }

  /** Read and store one primitive value of `t` into leaf `n` (no level entry). */
  leaf(t: AvroType, n: LeafPlan): string {
    const L = this.e.c(n.leaf);
    const k = primitiveKind(n.type);
    const x = this.e.v('p');
    const mismatch = (): never => this.unsupported(`Avro ${t.kind}${'logical' in t && t.logical ? ` (${t.logical})` : ''} for ${n.type}`);
    switch (t.kind) {
      case 'boolean':
        if (k !== 'boolean') mismatch();
        return `${L}.pushBoolean(R.boolean(r));`;
      case 'int':
        if (t.logical === undefined && k === 'int') return `${L}.pushInt32(R.int(r));`;
        if (t.logical === 'date' && k === 'date') return `${L}.pushInt32(R.int(r));`;
        if (t.logical === 'time-millis' && k === 'time') {
          return `{ const ${x} = R.int(r) * 1000; if (${x} < 0 || ${x} >= ${MICROS_PER_DAY}) throw R.FALLBACK; ${L}.pushInt64Number(${x}); }`;
        }
        return mismatch();
      case 'long': {
        const asIs = `{ const ${x} = R.long(r); if (typeof ${x} === 'number') ${L}.pushInt64Number(${x}); else ${L}.pushInt64BigInt(${x}); }`;
        switch (t.logical) {
          case undefined:
            if (k === 'long') return asIs;
            break;
          case 'time-micros':
            if (k === 'time') {
              return `{ const ${x} = R.long(r); if (typeof ${x} !== 'number' || ${x} < 0 || ${x} >= ${MICROS_PER_DAY}) throw R.FALLBACK; ${L}.pushInt64Number(${x}); }`;
            }
            break;
          case 'timestamp-micros':
            if (k === 'timestamptz') return asIs;
            break;
          case 'local-timestamp-micros':
            if (k === 'timestamp') return asIs;
            break;
          case 'timestamp-nanos':
            if (k === 'timestamptz_ns') return asIs;
            break;
          case 'local-timestamp-nanos':
            if (k === 'timestamp_ns') return asIs;
            break;
          case 'timestamp-millis':
          case 'local-timestamp-millis':
            if (k === (t.logical === 'timestamp-millis' ? 'timestamptz' : 'timestamp')) {
              return (
                `{ const ${x} = R.long(r); if (typeof ${x} === 'number' && Number.isSafeInteger(${x} * 1000)) ${L}.pushInt64Number(${x} * 1000);` +
                ` else { const b = BigInt(${x}) * 1000n; if (b < R.INT64_MIN || b > R.INT64_MAX) throw R.FALLBACK; ${L}.pushInt64BigInt(b); } }`
              );
            }
            break;
        }
        return mismatch();
      }
      case 'float':
        if (k !== 'float') mismatch();
        return `${L}.pushFloat(R.float(r));`;
      case 'double':
        if (k !== 'double') mismatch();
        return `${L}.pushDouble(R.double(r));`;
      case 'string':
        if (t.logical === 'uuid') {
          if (k !== 'uuid') mismatch();
          return `R.uuidInto(r, ${L});`;
        }
        if (k !== 'string') mismatch();
        return `{ const ${x} = R.length(r); if (!R.validUtf8(r.buf, r.pos, r.pos + ${x})) throw R.FALLBACK; ${L}.pushUtf8(r.buf, r.pos, ${x}); r.pos += ${x}; }`;
      case 'enum':
        if (k !== 'string') mismatch();
        return `{ const ${x} = ${this.e.c(t.symbols)}[R.int(r)]; if (${x} === undefined) throw R.FALLBACK; ${L}.pushString(${x}); }`;
      case 'bytes':
        if (t.decimal) return this.decimal(n, t.decimal, undefined);
        if (k !== 'binary') mismatch();
        return `{ const ${x} = R.length(r); ${L}.pushByteRange(r.buf, r.pos, ${x}); r.pos += ${x}; }`;
      case 'fixed':
        if (t.decimal) return this.decimal(n, t.decimal, t.size);
        if (t.logical === 'uuid' ? k !== 'uuid' : k !== 'fixed' || fixedLength(n.type) !== t.size) mismatch();
        return `{ if (r.pos + ${t.size} > r.len) throw R.truncated(); ${L}.pushFixedRange(r.buf, r.pos); r.pos += ${t.size}; }`;
      default:
        return mismatch();
    }
  }

  /** An Avro decimal (bytes, or fixed of `size`) into a decimal column of the same precision and scale. */
  private decimal(n: LeafPlan, dec: { precision: number; scale: number }, size: number | undefined): string {
    const p = decimalParams(n.type);
    if (!p || p.precision !== dec.precision || p.scale !== dec.scale) this.unsupported(`decimal(${dec.precision}, ${dec.scale}) for ${n.type}`);
    const L = this.e.c(n.leaf);
    const W = this.e.c(n.write);
    const u = this.e.v('d');
    const read =
      size === undefined
        ? `const ${u}n = R.length(r); const ${u} = R.twos(r.buf, r.pos, r.pos + ${u}n); r.pos += ${u}n;`
        : `if (r.pos + ${size} > r.len) throw R.truncated(); const ${u} = R.twos(r.buf, r.pos, r.pos + ${size}); r.pos += ${size};`;
    // the unscaled integer as the decimal writer takes it (a bigint is the unscaled value)
    const slow = `if (${W}(${L}, typeof ${u} === 'number' ? BigInt(${u}) : ${u}) !== undefined) throw R.FALLBACK;`;
    const kind = n.leaf.spec.kind;
    if (kind === 'int32' || kind === 'int64') {
      const lim = 10 ** dec.precision;
      const push = kind === 'int32' ? 'pushInt32' : 'pushInt64Number';
      return `{ ${read} if (typeof ${u} === 'number' && ${u} > -${lim} && ${u} < ${lim}) ${L}.${push}(${u}); else { ${slow} } }`;
    }
    return `{ ${read} ${slow} }`;
  }
}

/**
 * The function that reads a record of Avro type `avro` (the writer schema) into the leaves of
 * `fields` (a RecordBatchBuilder's plan, see compileAppend for `extraColumns`), or undefined
 * when this pair of schemas is left to decode-then-append.
 */
export function compileAvroAppend(table: string, names: string[], fields: Plan[], extraColumns: readonly string[], avro: AvroType): AvroAppendFn | undefined {
  if (avro.kind !== 'record') return undefined;
  const a = new AvroEmitter(table);
  let body: string;
  try {
    body = a.fields(avro.fields, names, fields, '0', 0, extraColumns);
  } catch (e) {
    if (e instanceof Unsupported) return undefined;
    throw e;
  }
  const e = a.e;
  const consts = e.consts.map((_, i) => `const K${i} = C[${i}];`).join('\n');
  const source = `${consts}\n${e.fns.join('\n')}\nreturn function appendAvro(r, X) {\n${body}\nif (r.pos !== r.len) throw R.FALLBACK;\n};`;
  return new Function('C', 'P', 'R', source)(e.consts, isPlainObject, RUNTIME) as AvroAppendFn;
}
