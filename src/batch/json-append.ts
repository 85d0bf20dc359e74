// Plain JSON bytes straight into a RecordBatchBuilder's leaf columns: one function is generated
// per table plan (as append-compiler.ts does for objects) that reads the text token by token and
// appends each value to its leaf as it reads, without a JS object per record or per nested
// struct, and for string columns without a JS string where the text has no escapes
// (LeafBuilder.pushJsonString: the leaf reads the string's bytes once, finding its end and its
// dictionary entry together).
//
// Each struct's fields are first matched in the table's order, by comparing the key's bytes with
// the name's inline; the value code is inlined by the column's type (string → pushJsonString, numbers
// read from their digits, booleans, timestamps of the common shape from their bytes; the other
// types through the column's coerce.ts writer, as the object path). The first key out of that
// order (a missing, reordered, unknown or repeated key) hands the rest of the object to a loop
// that finds each key by its name and checks it was not given before.
//
// It must give exactly the batch that decodePlainJson then append gives, so it takes only what
// it can do the same way and throws FALLBACK for the rest (the builder rolls the record back and
// the caller takes the object path, which then decides and names any problem):
//   - a key the table has no column for (at any depth), a key given twice, a top-level key named
//     like an extra column while extras are given, "__proto__";
//   - a value of the wrong JSON kind for its column, or one its column's writer refuses (coerce.ts:
//     the same writer the object path uses, so a value taken here is stored as there);
//   - a required column missing or null; a map key given twice or made of digits only (JSON.parse
//     and the object's key order would change the entries);
//   - numbers JSON.parse would not give as a plain number the same way: an integer beyond 2^53
//     (a bigint there), a number out of a double's range or one that underflows to 0;
//   - text that is not exactly one JSON object (JSON.parse would refuse it, or wrap it), or not
//     UTF-8. Bytes outside strings must be ASCII to be JSON at all; a string with a byte >= 0x80 is
//     checked (utf8Valid) before it is used, so the whole record need not be checked first.
// Declining every unknown key also means a record taken here is one a JSON schema inferrer seeded
// with the table's schema takes without growing (schema/infer-json.ts): every value fits its
// column as the builder takes it, so the inferrer needs not see it.
import { Buffer } from 'node:buffer';
import { Emitter } from './append-compiler.ts';
import type { LeafPlan, Plan, StructPlan } from './append-compiler.ts';
import { daysFromCivil } from './coerce.ts';
import type { LeafBuilder } from './leaf-builder.ts';
import { primitiveKind } from '../iceberg/types.ts';
import { FloeError } from '../errors.ts';

/** Reads one JSON record from bytes[offset..] into the leaves; throws FALLBACK (leaving partial entries) if it cannot. */
export type JsonAppendFn = (bytes: Uint8Array, offset: number, extras?: readonly unknown[]) => void;

class JsonFallback extends FloeError {
  constructor() {
    super('bad-record', 'record left to the object path');
  }
}

/** Thrown while reading: "not this way" (the caller rolls back and takes the object path). */
export const FALLBACK: Error = new JsonFallback();

/** Shared state of the helpers: where the last token they read ended, and the struct visit counter. */
interface ReadState {
  end: number;
  stamp: number;
  /** A wide struct's in-order part: how many fields it read, and whether it read the closing '}'. */
  lane: number;
  closed: boolean;
}

/** A struct's fields for the key-by-key loop: names by key, their bytes, when each was last seen. */
interface KeyIndex {
  byName: Map<string, number>;
  /** Each field's name as UTF-8 (undefined: a name JSON writes escaped). */
  nameBytes: (Uint8Array | undefined)[];
  /** The visit (ReadState.stamp) in which each field was last seen (doubles: the count never wraps). */
  seen: Float64Array;
}

/**
 * The function that appends one JSON record to the leaves of `fields` (the builder's plan), the
 * top-level fields named `names`; `extraColumns` as for compileAppend (append-compiler.ts).
 */
export function compileJsonAppend(names: string[], fields: Plan[], extraColumns: readonly string[]): JsonAppendFn {
  const g = new JsonEmitter();
  const top: StructPlan = { kind: 'struct', names, children: fields, path: '', required: true, expected: 'struct', leaves: [] };
  const S = g.struct(
    top,
    0,
    'S',
    names.map((n) => extraColumns.indexOf(n)),
  );
  const body = `const n = b.length; let p = offset; let x = 0; ${WS}` + ` if (b[p] !== 123) throw FB; p = ${S}(b, p, 0, X); ${WS}` + ` if (p < n) throw FB;`;
  const consts = g.e.consts.map((_, i) => `const K${i} = C[${i}];`).join('\n');
  const source = `${consts}\n${g.e.fns.join('\n')}\nreturn function appendJson(b, offset, X) { ${body} };`;
  // one factory per source text: the builders of tables of one shape share its functions' type
  // feedback and optimized code (a new Function per builder would be compiled again each time)
  let factory = FACTORIES.get(source);
  if (factory === undefined) {
    factory = new Function('C', 'FB', 'R', 'H', source) as Factory;
    FACTORIES.set(source, factory);
    if (FACTORIES.size > 64) FACTORIES.delete(FACTORIES.keys().next().value!);
  }
  return factory(g.e.consts, FALLBACK, STATE, HELPERS);
}

type Factory = (consts: unknown[], fallback: Error, state: ReadState, helpers: typeof HELPERS) => JsonAppendFn;
const FACTORIES = new Map<string, Factory>();

/** Fields per generated function of a wide struct. */
const STRUCT_CHUNK = 16;

/** Skip JSON white space at p (x: scratch). */
const WS = 'while (b[p] <= 32) { x = b[p]; if (x === 32 || x === 10 || x === 13 || x === 9) p++; else break; }';

const ESCAPED_NAME = /["\\\u0000-\u001f]/; // eslint-disable-line no-control-regex

class JsonEmitter {
  /** The constants, helper functions and level code, as the object path's generator makes them (no table: this code throws FB, never a named failure). */
  readonly e = new Emitter('');
  /** The function made for each struct, list or map node (a field's code is emitted twice: in order and key by key). */
  private readonly made = new Map<Plan, string>();

  /** The name of node n's function, made by `make` the first time. */
  once(n: Plan, make: (fn: string) => unknown): string {
    let fn = this.made.get(n);
    if (fn === undefined) {
      fn = this.e.v('F');
      this.made.set(n, fn);
      make(fn);
    }
    return fn;
  }

  /** The value at p of a field of node n whose parent is at definition level `def` (null: absent). */
  field(n: Plan, rep: string, def: number): string {
    const absent = n.required ? 'throw FB;' : this.e.levels(n, rep, def);
    return `if (b[p] === 110) { if (b[p + 1] !== 117 || b[p + 2] !== 108 || b[p + 3] !== 108) throw FB; p += 4; ${absent} }` + ` else { ${this.value(n, rep, n.required ? def : def + 1)} }`;
  }

  /** A non-null value at p of node n, at its own definition level `def`. */
  value(n: Plan, rep: string, def: number): string {
    switch (n.kind) {
      case 'leaf':
        return `${this.leaf(n)} ${this.e.level(n.leaf, rep, def)}`;
      case 'struct':
        return `if (b[p] !== 123) throw FB; p = ${this.once(n, (fn) => this.struct(n, def, fn))}(b, p, ${rep});`;
      case 'list': {
        const fn = this.once(n, (fn) =>
          this.e.fns.push(
            `function ${fn}(b, p, r) { const n = b.length; let x = 0; p++; ${WS}` +
              ` if (b[p] === 93) { ${this.e.levels(n, 'r', def)} return p + 1; }` +
              ` let er = r; for (;;) { ${this.field(n.element, 'er', def + 1)} er = ${n.repLevel};` +
              ` ${WS} x = b[p++]; if (x === 93) return p; if (x !== 44) throw FB; ${WS} } }`,
          ),
        );
        return `if (b[p] !== 91) throw FB; p = ${fn}(b, p, ${rep});`;
      }
      case 'map': {
        const fn = this.once(n, (fn) =>
          this.e.fns.push(
            `function ${fn}(b, p, r) { const n = b.length; let x = 0; p++; ${WS}` +
              ` if (b[p] === 125) { ${this.e.levels(n, 'r', def)} return p + 1; }` +
              ` let er = r; let keys = null; for (;;) { if (b[p] !== 34) throw FB;` +
              // JSON.parse keeps a key given twice once (the last value, at the first place) and an
              // object lists integer-like keys first: either reorders entries
              ` const k = H.readString(b, p); p = R.end; if (H.integerKey(k) || (keys ??= new Set()).has(k)) throw FB; keys.add(k);` +
              ` H.jsValue(${this.e.c(n.key)}, k, er, ${def + 1}); ${WS} if (b[p] !== 58) throw FB; p++; ${WS}` +
              ` ${this.field(n.value, 'er', def + 1)} er = ${n.repLevel};` +
              ` ${WS} x = b[p++]; if (x === 125) return p; if (x !== 44) throw FB; ${WS} } }`,
          ),
        );
        return `if (b[p] !== 123) throw FB; p = ${fn}(b, p, ${rep});`;
      }
    }
  }

  /** Read and store the primitive at p (not null). */
  leaf(n: LeafPlan): string {
    const L = this.e.c(n.leaf);
    const W = this.e.c(n.write);
    const generic = `{ const v = H.readToken(b, p, n); p = R.end; if (${W}(${L}, v) !== undefined) throw FB; }`;
    const kind = primitiveKind(n.type);
    switch (kind) {
      case 'string':
        // the leaf reads the text itself where it can (no escapes; valid UTF-8), else JSON.parse's string
        return `if (b[p] !== 34) throw FB; { const q = ${L}.pushJsonString(b, p + 1); if (q >= 0) p = q + 1; else { const v = H.readString(b, p); p = R.end; ${L}.pushString(v); } }`;
      case 'boolean':
        return (
          `if (b[p] === 116 && b[p + 1] === 114 && b[p + 2] === 117 && b[p + 3] === 101) { p += 4; ${L}.pushBoolean(true); }` +
          ` else if (b[p] === 102 && b[p + 1] === 97 && b[p + 2] === 108 && b[p + 3] === 115 && b[p + 4] === 101) { p += 5; ${L}.pushBoolean(false); }` +
          ` else throw FB;`
        );
      case 'long':
        return `{ const v = H.readNumber(b, p, n); p = R.end; if (!Number.isSafeInteger(v)) throw FB; ${L}.pushInt64Number(v); }`;
      case 'int':
        return `{ const v = H.readNumber(b, p, n); p = R.end; if ((v | 0) !== v) throw FB; ${L}.pushInt32(v); }`;
      case 'double':
        return `{ const v = H.readNumber(b, p, n); p = R.end; ${L}.pushDouble(v); }`;
      case 'float':
        return `{ const v = H.readNumber(b, p, n); p = R.end; ${L}.pushFloat(v); }`;
      case 'timestamp':
      case 'timestamptz':
      case 'timestamp_ns':
      case 'timestamptz_ns': {
        const zone = kind === 'timestamptz' || kind === 'timestamptz_ns';
        const digits = kind.endsWith('_ns') ? 9 : 6;
        return `{ const u = b[p] === 34 ? H.timestampAt(b, p, ${zone}, ${digits}) : NaN; if (u === u) { p = R.end; ${L}.pushInt64Number(u); } else ${generic} }`;
      }
      default:
        return generic;
    }
  }

  /** A JS value (an extra column's) of top-level node n, as the object path writes it: leaves inline, the rest by jsValue. */
  jsField(n: Plan, value: string, def: number): string {
    if (n.kind !== 'leaf') return `H.jsValue(${this.e.c(n)}, ${value}, r, ${def});`;
    const absent = n.required ? 'throw FB;' : this.e.levels(n, 'r', def);
    return (
      `{ const v = ${value}; if (v === null || v === undefined) { ${absent} }` +
      ` else { if (${this.e.c(n.write)}(${this.e.c(n.leaf)}, v) !== undefined) throw FB; ${this.e.level(n.leaf, 'r', n.required ? def : def + 1)} } }`
    );
  }

  /**
   * The function reading an object at p (its '{') into the fields of struct `n` at definition
   * level `def` (its own); `extra` (the record itself): per field its index in the extras, or -1.
   */
  struct(n: StructPlan, def: number, fn: string, extra?: number[]): string {
    const k = n.children.length;
    const utf8 = new TextEncoder();
    const ix: KeyIndex = {
      byName: new Map(n.names.map((name, i) => [name, i])),
      nameBytes: n.names.map((name) => (ESCAPED_NAME.test(name) ? undefined : utf8.encode(name))),
      seen: new Float64Array(k),
    };
    const IX = this.e.c(ix);
    const isExtra = (i: number): boolean => extra !== undefined && extra[i] >= 0;
    const fieldCode = (i: number): string => `${isExtra(i) ? 'if (X !== undefined) throw FB; ' : ''}${this.field(n.children[i], 'r', def)}`;
    const X = extra !== undefined ? ', X' : '';
    // the fields in the table's order, each key compared by its bytes; the first other key ends it
    // (lane: how many fields were read so; closed: the object's '}' was read)
    const laneCode = (lo: number, hi: number): string => {
      let code = '';
      for (let i = lo; i < hi; i++) {
        const name = ix.nameBytes[i];
        if (name === undefined) return `${code} break inOrder;`;
        const cmp = [`b[p] === 34`, ...Array.from(name, (byte, j) => `b[p + ${j + 1}] === ${byte}`), `b[p + ${name.length + 1}] === 34`].join(' && ');
        code +=
          ` if (!(${cmp})) break inOrder; p += ${name.length + 2}; ${WS} if (b[p] !== 58) throw FB; p++; ${WS}` +
          ` ${fieldCode(i)} lane = ${i + 1};` +
          ` ${WS} x = b[p++]; if (x === 125) { closed = true; break inOrder; } if (x !== 44) throw FB; ${WS}`;
      }
      return code;
    };
    const missingCode = (lo: number, hi: number): string => {
      let code = '';
      for (let i = lo; i < hi; i++) {
        const child = n.children[i];
        let absent: string;
        if (isExtra(i)) {
          const none = child.required ? 'throw FB;' : this.e.levels(child, 'r', def);
          absent = `if (X !== undefined) { ${this.jsField(child, `X[${extra![i]}]`, def)} } else { ${none} }`;
        } else absent = child.required ? 'throw FB;' : this.e.levels(child, 'r', def);
        code += ` if (lane <= ${i} && SEEN[${i}] !== st) { ${absent} }`;
      }
      return code;
    };
    let lane: string;
    let missing: string;
    if (k <= STRUCT_CHUNK) {
      lane = `inOrder: {${laneCode(0, k)} }`;
      missing = `const SEEN = ${IX}.seen;${missingCode(0, k)}`;
    } else {
      // a wide struct: the same code in functions of STRUCT_CHUNK fields each (one giant function
      // would be left to the interpreter, or take the optimizing compiler very long)
      lane = '';
      missing = '';
      for (let lo = 0; lo < k; lo += STRUCT_CHUNK) {
        const hi = Math.min(k, lo + STRUCT_CHUNK);
        const id = `${fn}_part${lo / STRUCT_CHUNK}`;
        this.e.fns.push(
          `function ${id}_lane(b, p, r${X}) { const n = b.length; let x = 0, lane = ${lo}, closed = false;` + ` inOrder: {${laneCode(lo, hi)} } R.lane = lane; R.closed = closed; return p; }`,
          `function ${id}_missing(lane, st, r${X}) { const SEEN = ${IX}.seen;${missingCode(lo, hi)} }`,
        );
        lane += `${lo === 0 ? '' : ` if (!closed && lane === ${lo})`} { p = ${id}_lane(b, p, r${X}); lane = R.lane; closed = R.closed; }`;
        missing += ` if (lane < ${hi}) ${id}_missing(lane, st, r${X});`;
      }
    }
    // the key-by-key loop reads a field's value by a function of its own (compiled only if used)
    const fields = n.children.map((_, i) => `${fn}_${i}`);
    n.children.forEach((_, i) => this.e.fns.push(`function ${fields[i]}(b, p, r${X}) { const n = b.length; let x = 0; ${fieldCode(i)} return p; }`));
    this.e.fns.push(`const ${fn}_fields = [${fields.join(', ')}];`);
    this.e.fns.push(
      `function ${fn}(b, p, r${X}) { const n = b.length; let x = 0, lane = 0, st = -1, closed = false; p++; ${WS}` +
        ` if (b[p] === 125) { p++; closed = true; } else { ${lane} }` +
        ` if (!closed) { const SEEN = ${IX}.seen; st = ++R.stamp; let guess = lane; for (;;) {` +
        ` if (b[p] !== 34) throw FB; const i = H.keyAt(b, p, ${IX}, guess); p = R.end;` +
        ` if (i < lane || SEEN[i] === st) throw FB; SEEN[i] = st; guess = i + 1;` + // unknown (-1), or a key given twice
        ` ${WS} if (b[p] !== 58) throw FB; p++; ${WS}` +
        ` p = ${fn}_fields[i](b, p, r${X});` +
        ` ${WS} x = b[p++]; if (x === 125) break; if (x !== 44) throw FB; ${WS} } }` +
        ` if (lane < ${k}) { ${missing} }` +
        ` return p; }`,
    );
    return fn;
  }
}

// ---- the helpers the generated code calls ----

const STATE: ReadState = { end: 0, stamp: 0, lane: 0, closed: false };

type Slicer = (this: Uint8Array, start: number, end: number) => string;
const utf8Slice = (Buffer.prototype as unknown as { utf8Slice: Slicer }).utf8Slice;
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice: Slicer }).latin1Slice;

function fail(): never {
  throw FALLBACK;
}

/** Whether b[s, e) is well-formed UTF-8 (as Buffer's isUtf8: no overlong forms, surrogates or code points past U+10FFFF). */
export function utf8Valid(b: Uint8Array, s: number, e: number): boolean {
  let i = s;
  while (i < e) {
    const c = b[i];
    if (c < 0x80) {
      i++;
    } else if (c < 0xc2) {
      return false;
    } else if (c < 0xe0) {
      if (i + 1 >= e || (b[i + 1] & 0xc0) !== 0x80) return false;
      i += 2;
    } else if (c < 0xf0) {
      if (i + 2 >= e) return false;
      const c1 = b[i + 1];
      if ((c1 & 0xc0) !== 0x80 || (c === 0xe0 && c1 < 0xa0) || (c === 0xed && c1 > 0x9f) || (b[i + 2] & 0xc0) !== 0x80) return false;
      i += 3;
    } else if (c < 0xf5) {
      if (i + 3 >= e) return false;
      const c1 = b[i + 1];
      if ((c1 & 0xc0) !== 0x80 || (c === 0xf0 && c1 < 0x90) || (c === 0xf4 && c1 > 0x8f) || (b[i + 2] & 0xc0) !== 0x80 || (b[i + 3] & 0xc0) !== 0x80) return false;
      i += 4;
    } else return false;
  }
  return true;
}

/** The string token at p (its opening quote) as JSON.parse gives it; STATE.end: past its closing quote. */
function readString(b: Uint8Array, p: number): string {
  const n = b.length;
  let q = p + 1;
  let escaped = false;
  let high = 0;
  for (;;) {
    if (q >= n) fail();
    const x = b[q];
    if (x === 34) break;
    if (x < 32) fail();
    high |= x;
    if (x === 92) {
      escaped = true;
      q += 2;
      continue;
    }
    q++;
  }
  if (q >= n || (high > 127 && !utf8Valid(b, p + 1, q))) fail();
  STATE.end = q + 1;
  if (!escaped) return utf8Slice.call(b, p + 1, q);
  let s: unknown;
  try {
    s = JSON.parse(utf8Slice.call(b, p, q + 1));
  } catch {
    fail();
  }
  return s as string;
}

/** A number token at p as JSON.parse gives it when that is a plain number, else FALLBACK; STATE.end: past it. */
function readNumber(b: Uint8Array, p: number, n: number): number {
  const start = p;
  let neg = false;
  if (b[p] === 45) {
    neg = true;
    p++;
  }
  const intStart = p;
  let v = 0;
  let x: number;
  while (p < n && (x = b[p]) >= 48 && x <= 57) {
    v = v * 10 + (x - 48);
    p++;
  }
  const intDigits = p - intStart;
  if (intDigits === 0 || (intDigits > 1 && b[intStart] === 48)) fail();
  let plain = true;
  let fracDigits = 0;
  if (p < n && b[p] === 46) {
    plain = false;
    const f = ++p;
    while (p < n && (x = b[p]) >= 48 && x <= 57) {
      v = v * 10 + (x - 48);
      p++;
    }
    fracDigits = p - f;
    if (fracDigits === 0) fail();
  }
  let exponent = false;
  if (p < n && (b[p] === 101 || b[p] === 69)) {
    plain = false;
    exponent = true;
    p++;
    if (p < n && (b[p] === 43 || b[p] === 45)) p++;
    const e = p;
    while (p < n && b[p] >= 48 && b[p] <= 57) p++;
    if (p === e) fail();
  }
  STATE.end = p;
  if (intDigits + fracDigits <= 15) {
    if (plain) return neg ? -v : v;
    // digits that a double holds exactly divided by a power of ten it holds exactly: one
    // correctly rounded division, the value JSON.parse gives (Clinger's fast path)
    if (!exponent) {
      const d = v / POW10[fracDigits];
      return neg ? -d : d;
    }
  }
  const d = Number(latin1Slice.call(b, start, p));
  if (!Number.isFinite(d)) fail(); // out of a double's range: a DecodeError there
  if (plain) {
    if (!Number.isSafeInteger(d)) fail(); // a bigint there
    return d;
  }
  if (d === 0) {
    // underflow to 0 is a DecodeError there: only a mantissa of zeros may give 0
    for (let i = start; i < p && b[i] !== 101 && b[i] !== 69; i++) if (b[i] > 48 && b[i] <= 57) fail();
  }
  return d;
}

/** A primitive token at p (string, number, true, false) as JSON.parse gives it; anything else FALLBACK. */
function readToken(b: Uint8Array, p: number, n: number): unknown {
  const x = b[p];
  if (x === 34) return readString(b, p);
  if (x === 45 || (x >= 48 && x <= 57)) return readNumber(b, p, n);
  if (x === 116 && b[p + 1] === 114 && b[p + 2] === 117 && b[p + 3] === 101) {
    STATE.end = p + 4;
    return true;
  }
  if (x === 102 && b[p + 1] === 97 && b[p + 2] === 108 && b[p + 3] === 115 && b[p + 4] === 101) {
    STATE.end = p + 5;
    return false;
  }
  return fail(); // an object or array for a primitive column (or not JSON)
}

/** The field of the key at p (its opening quote), -1 if none; `guess`: the likely one, checked by its bytes. STATE.end: past the key. */
function keyAt(b: Uint8Array, p: number, ix: KeyIndex, guess: number): number {
  const start = p + 1;
  const name = guess < ix.nameBytes.length ? ix.nameBytes[guess] : undefined;
  if (name !== undefined) {
    // the key's text is the name's bytes, then its closing quote (the name has no character JSON escapes)
    const len = name.length;
    if (b[start + len] === 34) {
      let k = 0;
      while (k < len && b[start + k] === name[k]) k++;
      if (k === len) {
        STATE.end = start + len + 1;
        return guess;
      }
    }
  }
  return ix.byName.get(readString(b, p)) ?? -1;
}

/** Two decimal digits at b[i], or -1. */
function d2(b: Uint8Array, i: number): number {
  const x = b[i] - 48;
  const y = b[i + 1] - 48;
  return x >= 0 && x <= 9 && y >= 0 && y <= 9 ? x * 10 + y : -1;
}

function validDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const dim = m === 2 ? (leap ? 29 : 28) : m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
  return d <= dim;
}

/**
 * The string token at p (its opening quote) as a timestamp column's number of units, when it is
 * "YYYY-MM-DDTHH:MM:SS[.f…][Z|±HH:MM]" without escapes, of the zone kind the column wants, a
 * valid date and time, no finer than the unit, and a safe integer: what coerce.ts's timestamp
 * writer (fastTimestamp) makes of the same string. Else NaN, and the caller takes the writer.
 * STATE.end: past the closing quote.
 */
function timestampAt(b: Uint8Array, p: number, withZone: boolean, unitDigits: number): number {
  const s = p + 1;
  if (b[s + 4] !== 45 || b[s + 7] !== 45 || b[s + 13] !== 58 || b[s + 16] !== 58) return NaN;
  const t = b[s + 10];
  if (t !== 84 && t !== 116 && t !== 32) return NaN;
  const y1 = d2(b, s),
    y2 = d2(b, s + 2),
    mo = d2(b, s + 5),
    d = d2(b, s + 8),
    h = d2(b, s + 11),
    mi = d2(b, s + 14),
    sec = d2(b, s + 17);
  if (y1 < 0 || y2 < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || sec < 0) return NaN;
  let i = s + 19;
  let frac = 0;
  if (b[i] === 46) {
    i++;
    let digits = 0;
    for (;;) {
      const c = b[i] - 48;
      if (!(c >= 0 && c <= 9)) break;
      if (digits < unitDigits) frac = frac * 10 + c;
      else if (c !== 0) return NaN;
      digits++;
      i++;
    }
    if (digits === 0 || digits > 9) return NaN;
    for (let k = digits; k < unitDigits; k++) frac *= 10;
  }
  let offsetSec = 0;
  const c = b[i];
  if (c === 34) {
    if (withZone) return NaN;
  } else {
    if (!withZone) return NaN;
    if ((c === 90 || c === 122) && b[i + 1] === 34) i++;
    else if ((c === 43 || c === 45) && b[i + 3] === 58 && b[i + 6] === 34) {
      const oh = d2(b, i + 1),
        om = d2(b, i + 4);
      if (oh < 0 || om < 0 || oh > 23 || om > 59) return NaN;
      offsetSec = (oh * 60 + om) * 60 * (c === 45 ? -1 : 1);
      i += 6;
    } else return NaN;
  }
  const y = y1 * 100 + y2;
  if (!validDate(y, mo, d) || h > 23 || mi > 59 || sec > 59) return NaN;
  const u = (daysFromCivil(y, mo, d) * 86400 + (h * 60 + mi) * 60 + sec - offsetSec) * (unitDigits === 6 ? 1e6 : 1e9) + frac;
  if (!Number.isSafeInteger(u)) return NaN;
  STATE.end = i + 1;
  return u;
}

/** A JS value (an extra column's, or a map key) of node n whose parent is at `def`, as the object path writes it. */
function jsValue(n: Plan, v: unknown, rep: number, def: number): void {
  if (v === null || v === undefined) {
    if (n.required) fail();
    absent(n, rep, def);
    return;
  }
  const d = n.required ? def : def + 1;
  if (n.kind === 'leaf') {
    if (n.write(n.leaf, v) !== undefined) fail();
    level(n.leaf, rep, d);
    return;
  }
  if (n.kind !== 'map' || !(v instanceof Map)) fail();
  if (v.size === 0) {
    absent(n, rep, d);
    return;
  }
  let r = rep;
  for (const [k, x] of v) {
    jsValue(n.key, k, r, d + 1);
    jsValue(n.value, x, r, d + 1);
    r = n.repLevel;
  }
}

/** Level entries of an absent (null or missing) optional node whose parent is at `def`. */
function absent(n: Plan, rep: number, def: number): void {
  const leaves = n.leaves;
  for (let i = 0; i < leaves.length; i++) level(leaves[i], rep, def);
}

/** One level entry of a leaf (as Emitter.level). */
function level(l: LeafBuilder, rep: number, def: number): void {
  if (l.maxRep > 0) l.level(rep, def);
  else if (l.maxDef > 0) l.levelDef(def);
  else l.levelNone();
}

const INTEGER_KEY = /^\d+$/;
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

const HELPERS = {
  readString,
  readNumber,
  readToken,
  keyAt,
  timestampAt,
  utf8Valid,
  jsValue,
  integerKey: (k: string): boolean => INTEGER_KEY.test(k),
};
