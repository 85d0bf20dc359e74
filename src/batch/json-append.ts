// Plain JSON bytes straight into a RecordBatchBuilder's leaf columns: the text is read token by
// token along the table's shredding plan (append-compiler.ts) and each value goes to its leaf as
// it is read, without a JS object per record or per nested struct, and for string columns
// without a JS string where the text has no escapes (LeafBuilder.pushUtf8).
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
//   - text that is not exactly one JSON object (JSON.parse would refuse it, or wrap it), or not UTF-8.
// Declining every unknown key also means a record taken here is one a JSON schema inferrer seeded
// with the table's schema takes without growing (schema/infer-json.ts): every value fits its
// column as the builder takes it, so the inferrer needs not see it.
import { Buffer, isUtf8 } from 'node:buffer';
import type { LeafPlan, Plan, StructPlan } from './append-compiler.ts';
import type { LeafBuilder } from './leaf-builder.ts';
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

/** A struct's fields by key, and when each was last seen (duplicate and missing keys). */
interface StructIndex {
  plan: StructPlan | TopPlan;
  byName: Map<string, number>;
  seenAt: Int32Array;
  /** Each field's name as UTF-8, to match a key in the text without making a string of it (undefined: a name JSON writes escaped). */
  nameBytes: (Uint8Array | undefined)[];
  /** The field whose key came first in the last object, and the one that followed each field: the next key's likely name. */
  first: number;
  after: Int32Array;
}

/** The record itself: the table's top-level fields, some of which may come from `extras`. */
interface TopPlan {
  kind: 'top';
  names: string[];
  children: Plan[];
  /** Per field: its index in extras, or -1. */
  extra: number[];
}

/** The reading position (one per compiled function). */
interface Cursor {
  b: Uint8Array;
  buf: Buffer;
  p: number;
  n: number;
  /** Bumped at every struct entered: seenAt entries of this value mean "seen in this struct". */
  stamp: number;
}

/** Byte values of the JSON text's structural characters. */
const QUOTE = 34;
const COMMA = 44;
const MINUS = 45;
const DOT = 46;
const ZERO = 48;
const NINE = 57;
const COLON = 58;
const LBRACKET = 91;
const BACKSLASH = 92;
const RBRACKET = 93;
const LBRACE = 123;
const RBRACE = 125;

/**
 * The function that appends one JSON record to the leaves of `fields` (the builder's plan), the
 * top-level fields named `names`; `extraColumns` as for compileAppend (append-compiler.ts).
 */
export function compileJsonAppend(names: string[], fields: Plan[], extraColumns: readonly string[]): JsonAppendFn {
  const indexes = new Map<object, StructIndex>();
  const indexOf = (plan: StructPlan | TopPlan): StructIndex => {
    let ix = indexes.get(plan);
    if (ix === undefined) {
      const byName = new Map<string, number>();
      plan.names.forEach((name, i) => byName.set(name, i));
      const utf8 = new TextEncoder();
      ix = {
        plan,
        byName,
        seenAt: new Int32Array(plan.names.length),
        nameBytes: plan.names.map((n) => (ESCAPED.test(n) ? undefined : utf8.encode(n))),
        first: 0,
        after: new Int32Array(plan.names.length).fill(-1),
      };
      indexes.set(plan, ix);
    }
    return ix;
  };
  const top: TopPlan = { kind: 'top', names, children: fields, extra: names.map((n) => extraColumns.indexOf(n)) };
  const topIndex = indexOf(top);
  const structIndex = (p: StructPlan): StructIndex => indexOf(p);
  const c: Cursor = { b: EMPTY, buf: Buffer.alloc(0), p: 0, n: 0, stamp: 0 };

  function fail(): never {
    throw FALLBACK;
  }

  function ws(): number {
    const b = c.b;
    let p = c.p;
    let x = b[p];
    while (x === 32 || x === 10 || x === 13 || x === 9) x = b[++p];
    c.p = p;
    return p < c.n ? x : -1;
  }

  /** The string token at c.p (its opening quote); with `leaf`, pushed as UTF-8 where it has no escapes. */
  function stringEnd(): { end: number; escaped: boolean } {
    const b = c.b;
    const n = c.n;
    let p = c.p + 1;
    let escaped = false;
    for (;;) {
      if (p >= n) fail();
      const x = b[p];
      if (x === QUOTE) break;
      if (x < 32) fail();
      if (x === BACKSLASH) {
        escaped = true;
        p += 2;
        continue;
      }
      p++;
    }
    SCRATCH.end = p;
    SCRATCH.escaped = escaped;
    return SCRATCH;
  }

  function readString(): string {
    const start = c.p;
    const { end, escaped } = stringEnd();
    c.p = end + 1;
    if (!escaped) return c.buf.toString('utf8', start + 1, end);
    let s: unknown;
    try {
      s = JSON.parse(c.buf.toString('utf8', start, end + 1));
    } catch {
      fail();
    }
    return s as string;
  }

  /** A number token as JSON.parse gives it when that is a plain number, else FALLBACK. */
  function readNumber(): number {
    const b = c.b;
    const n = c.n;
    const start = c.p;
    let p = start;
    let neg = false;
    if (b[p] === MINUS) {
      neg = true;
      p++;
    }
    const intStart = p;
    let v = 0;
    while (p < n && b[p] >= ZERO && b[p] <= NINE) v = v * 10 + (b[p++] - ZERO);
    const intDigits = p - intStart;
    if (intDigits === 0 || (intDigits > 1 && b[intStart] === ZERO)) fail();
    let plain = true;
    let fracDigits = 0;
    if (p < n && b[p] === DOT) {
      plain = false;
      const f = ++p;
      while (p < n && b[p] >= ZERO && b[p] <= NINE) v = v * 10 + (b[p++] - ZERO);
      fracDigits = p - f;
      if (fracDigits === 0) fail();
    }
    let exponent = false;
    if (p < n && (b[p] === 101 || b[p] === 69)) {
      plain = false;
      exponent = true;
      p++;
      if (p < n && (b[p] === 43 || b[p] === MINUS)) p++;
      const e = p;
      while (p < n && b[p] >= ZERO && b[p] <= NINE) p++;
      if (p === e) fail();
    }
    c.p = p;
    if (intDigits + fracDigits <= 15) {
      if (plain) return neg ? -v : v;
      // digits that a double holds exactly divided by a power of ten it holds exactly: one
      // correctly rounded division, the value JSON.parse gives (Clinger's fast path)
      if (!exponent && fracDigits <= 22) {
        const x = v / POW10[fracDigits];
        return neg ? -x : x;
      }
    }
    const x = Number(c.buf.toString('latin1', start, p));
    if (!Number.isFinite(x)) fail(); // out of a double's range: a DecodeError there
    if (plain) {
      if (!Number.isSafeInteger(x)) fail(); // a bigint there
      return x;
    }
    if (x === 0) {
      // underflow to 0 is a DecodeError there: only a mantissa of zeros may give 0
      for (let i = start; i < p && b[i] !== 101 && b[i] !== 69; i++) if (b[i] > ZERO && b[i] <= NINE) fail();
    }
    return x;
  }

  function literal(word: readonly number[]): void {
    const b = c.b;
    const p = c.p;
    if (p + word.length > c.n) fail();
    for (let i = 0; i < word.length; i++) if (b[p + i] !== word[i]) fail();
    c.p = p + word.length;
  }

  /** Level entries of an absent (null or missing) optional node whose parent is at `def`. */
  function absent(n: Plan, rep: number, def: number): void {
    const leaves = n.leaves;
    for (let i = 0; i < leaves.length; i++) level(leaves[i], rep, def);
  }

  /** A field's value at c.p (null: absent); the node's parent is at definition level `def`. */
  function field(n: Plan, rep: number, def: number): void {
    if (c.b[c.p] === 110 /* n */) {
      literal(NULL);
      if (n.required) fail();
      absent(n, rep, def);
      return;
    }
    value(n, rep, n.required ? def : def + 1);
  }

  /** A non-null value at c.p of node n, at its own definition level `def`. */
  function value(n: Plan, rep: number, def: number): void {
    switch (n.kind) {
      case 'leaf':
        leafValue(n, rep, def);
        return;
      case 'struct':
        if (c.b[c.p] !== LBRACE) fail();
        struct(structIndex(n), rep, def, undefined);
        return;
      case 'list': {
        if (c.b[c.p] !== LBRACKET) fail();
        c.p++;
        if (ws() === RBRACKET) {
          c.p++;
          absent(n, rep, def);
          return;
        }
        let r = rep;
        for (;;) {
          ws();
          field(n.element, r, def + 1);
          r = n.repLevel;
          const x = ws();
          c.p++;
          if (x === RBRACKET) return;
          if (x !== COMMA) fail();
        }
      }
      case 'map': {
        if (c.b[c.p] !== LBRACE) fail();
        c.p++;
        let x = ws();
        if (x === RBRACE) {
          c.p++;
          absent(n, rep, def);
          return;
        }
        let r = rep;
        let keys: Set<string> | undefined;
        for (;;) {
          if (x !== QUOTE) fail();
          const key = readString();
          // JSON.parse keeps a key given twice once (the last value, at the first place) and an
          // object lists integer-like keys first: either reorders entries
          if (INTEGER_KEY.test(key) || (keys ??= new Set()).has(key)) fail();
          keys.add(key);
          jsValue(n.key, key, r, def + 1);
          if (ws() !== COLON) fail();
          c.p++;
          ws();
          field(n.value, r, def + 1);
          r = n.repLevel;
          x = ws();
          c.p++;
          if (x === RBRACE) return;
          if (x !== COMMA) fail();
          x = ws();
        }
      }
    }
  }

  function leafValue(n: LeafPlan, rep: number, def: number): void {
    const x = c.b[c.p];
    let v: unknown;
    if (x === QUOTE) {
      if (n.type === 'string') {
        const start = c.p;
        const { end, escaped } = stringEnd();
        if (!escaped) {
          n.leaf.pushUtf8(c.b, start + 1, end - start - 1);
          c.p = end + 1;
          level(n.leaf, rep, def);
          return;
        }
      }
      v = readString();
    } else if (x === MINUS || (x >= ZERO && x <= NINE)) v = readNumber();
    else if (x === 116 /* t */) {
      literal(TRUE);
      v = true;
    } else if (x === 102 /* f */) {
      literal(FALSE);
      v = false;
    } else fail(); // an object or array for a primitive column (or not JSON)
    if (n.write(n.leaf, v) !== undefined) fail();
    level(n.leaf, rep, def);
  }

  /** An object at c.p (its '{') into the struct's fields; extras (top level) fill the extra columns. */
  function struct(ix: StructIndex, rep: number, def: number, extras: readonly unknown[] | undefined): void {
    const stamp = ++c.stamp;
    const seenAt = ix.seenAt;
    const children = ix.plan.children;
    const extra = ix.plan.kind === 'top' ? ix.plan.extra : undefined;
    c.p++;
    let x = ws();
    if (x !== RBRACE) {
      let guess = ix.first;
      let prev = -1;
      for (;;) {
        if (x !== QUOTE) fail();
        const i = keyIndex(ix, guess);
        if (i < 0 || seenAt[i] === stamp) fail(); // unknown key (or "__proto__"), or a key given twice
        if (prev < 0) ix.first = i;
        else ix.after[prev] = i;
        prev = i;
        guess = ix.after[i];
        if (extras !== undefined && extra![i] >= 0) fail(); // vetted by the object path
        seenAt[i] = stamp;
        if (ws() !== COLON) fail();
        c.p++;
        ws();
        field(children[i], rep, def);
        x = ws();
        c.p++;
        if (x === RBRACE) break;
        if (x !== COMMA) fail();
        x = ws();
      }
    } else c.p++;
    for (let i = 0; i < children.length; i++) {
      if (seenAt[i] === stamp) continue;
      if (extras !== undefined && extra![i] >= 0) jsValue(children[i], extras[extra![i]], rep, def);
      else if (children[i].required) fail();
      else absent(children[i], rep, def);
    }
  }

  /** The field of the key at c.p (its opening quote), -1 if none; `guess`: the likely one, checked by its bytes. */
  function keyIndex(ix: StructIndex, guess: number): number {
    const start = c.p + 1;
    const name = guess >= 0 ? ix.nameBytes[guess] : undefined;
    if (name !== undefined) {
      // the key's text is the name's bytes, then its closing quote (the name has no character JSON escapes)
      const len = name.length;
      const b = c.b;
      if (start + len < c.n && b[start + len] === QUOTE) {
        let k = 0;
        while (k < len && b[start + k] === name[k]) k++;
        if (k === len) {
          c.p = start + len + 1;
          return guess;
        }
      }
    }
    return ix.byName.get(readString()) ?? -1;
  }

  /** An extra column's JS value (a primitive, or a Map for a map column), as the object path writes it. */
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

  return function appendJson(bytes: Uint8Array, offset: number, extras?: readonly unknown[]): void {
    if (!isUtf8(offset === 0 ? bytes : bytes.subarray(offset))) fail();
    c.b = bytes;
    c.buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    c.n = bytes.length;
    c.p = offset;
    try {
      if (ws() !== LBRACE) fail();
      struct(topIndex, 0, 0, extras);
      if (ws() !== -1) fail();
    } finally {
      c.b = EMPTY;
    }
  };
}

/** One level entry of a leaf (as Emitter.level). */
function level(l: LeafBuilder, rep: number, def: number): void {
  if (l.maxRep > 0) l.level(rep, def);
  else if (l.maxDef > 0) l.levelDef(def);
  else l.levelNone();
}

const EMPTY = new Uint8Array(0);
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);
const INTEGER_KEY = /^\d+$/;
/** A name whose JSON text is not its UTF-8 bytes: one with a quote, a backslash or a control character. */
// eslint-disable-next-line no-control-regex
const ESCAPED = /["\\\u0000-\u001f]/;
const SCRATCH = { end: 0, escaped: false };
const NULL = [110, 117, 108, 108];
const TRUE = [116, 114, 117, 101];
const FALSE = [102, 97, 108, 115, 101];
