// An Avro binary decoder compiled per (writer) schema: the schema tree is turned into
// JavaScript source once (one function per record, array, map and union) and the result is
// cached with the schema id. Values come out in floe's batch representation directly:
//   int/date → number; long → number if safe else bigint; time/timestamp → bigint micros
//   (nanos for *-nanos); decimal → string "-12.30"; uuid → canonical string; bytes/fixed →
//   Uint8Array (a copy); enum → symbol string; map → Map; record → object; [null, T] → T | null;
//   other unions → { tag, field0, field1, ... } (see from-avro.ts, same shape as Iceberg's
//   Java reader gives complex unions).
// Chosen over avsc by measurement (docs/decisions.md, "Decoders").
import { DecodeError } from './decode-error.ts';
import { StringCache, utf8, validUtf8 } from './string-cache.ts';
import type { AvroRecord, AvroType } from './avro-schema.ts';
import { optionUnion } from './avro-schema.ts';
import { formatDecimal, twosComplementToInteger, uuidFromBytes, canonicalUuid } from './values.ts';

/** Decodes the Avro value in bytes[offset..]; the rest of the array must be exactly that value. */
export type AvroDecoder = (bytes: Uint8Array, offset?: number) => unknown;

/** Read position over one payload (shared with the column-direct decoder, avro-append-compiler.ts). */
export interface AvroReadState {
  buf: Uint8Array;
  pos: number;
  len: number;
}
type State = AvroReadState;

function truncated(): DecodeError {
  return new DecodeError('truncated', 'Avro payload ends before the value does');
}

function int(r: State): number {
  const buf = r.buf;
  let pos = r.pos;
  let b = buf[pos++];
  let n = b & 0x7f;
  if (b & 0x80) {
    b = buf[pos++];
    n |= (b & 0x7f) << 7;
    if (b & 0x80) {
      b = buf[pos++];
      n |= (b & 0x7f) << 14;
      if (b & 0x80) {
        b = buf[pos++];
        n |= (b & 0x7f) << 21;
        if (b & 0x80) {
          b = buf[pos++];
          if (b & 0x70) throw new DecodeError('invalid-payload', 'Avro int varint is longer than 32 bits');
          n += (b & 0x0f) * 268435456;
        }
      }
    }
  }
  if (pos > r.len) throw truncated();
  r.pos = pos;
  return (n >>> 1) ^ -(n & 1);
}

const SAFE_BIG_MAX = 9007199254740991n;
const SAFE_BIG_MIN = -9007199254740991n;

/**
 * A zig-zag varint long: number when it is a safe integer, else bigint. The first four bytes
 * (28 bits) are read with int32 arithmetic, the rest into a second part; only values beyond
 * 2^53 touch BigInt.
 */
function long(r: State): number | bigint {
  const buf = r.buf;
  let pos = r.pos;
  let b = buf[pos++];
  let lo = b & 0x7f;
  if (b & 0x80) {
    b = buf[pos++];
    lo |= (b & 0x7f) << 7;
    if (b & 0x80) {
      b = buf[pos++];
      lo |= (b & 0x7f) << 14;
      if (b & 0x80) {
        b = buf[pos++];
        lo |= (b & 0x7f) << 21;
        if (b & 0x80) {
          let hi = 0;
          let mul = 1;
          do {
            if (mul > 34359738368) throw new DecodeError('invalid-payload', 'Avro long varint is longer than 64 bits');
            b = buf[pos++];
            hi += (b & 0x7f) * mul;
            mul *= 128;
          } while (b & 0x80);
          if (pos > r.len) throw truncated();
          r.pos = pos;
          if (hi < 0x2000000) {
            const raw = hi * 268435456 + lo; // < 2^53: exact
            return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
          }
          const raw = (BigInt(hi) << 28n) | BigInt(lo);
          const v = BigInt.asIntN(64, (raw >> 1n) ^ -(raw & 1n));
          return v >= SAFE_BIG_MIN && v <= SAFE_BIG_MAX ? Number(v) : v;
        }
      }
    }
  }
  if (pos > r.len) throw truncated();
  r.pos = pos;
  return (lo >>> 1) ^ -(lo & 1);
}

function longBig(r: State): bigint {
  const v = long(r);
  return typeof v === 'number' ? BigInt(v) : v;
}

function length(r: State): number {
  const n = long(r);
  if (typeof n !== 'number' || n < 0) throw new DecodeError('invalid-payload', `negative or huge Avro length ${n}`);
  if (r.pos + n > r.len) throw truncated();
  return n;
}

function string(r: State): string {
  const n = length(r);
  const start = r.pos;
  r.pos = start + n;
  if (!validUtf8(r.buf, start, start + n)) throw invalidUtf8();
  return utf8(r.buf, start, start + n);
}

/** A string's bytes are not valid UTF-8: a dead letter, never a value with U+FFFD in it. */
export function invalidUtf8(): DecodeError {
  return new DecodeError('invalid-payload', 'an Avro string is not valid UTF-8');
}

/** A string through its field's cache (repeated values come back as the same string). */
function stringCached(r: State, cache: StringCache): string {
  const n = length(r);
  const start = r.pos;
  r.pos = start + n;
  if (!validUtf8(r.buf, start, start + n)) throw invalidUtf8();
  return cache.get(r.buf, start, n);
}

function bytes(r: State): Uint8Array {
  const n = length(r);
  const out = new Uint8Array(n);
  out.set(r.buf.subarray(r.pos, r.pos + n));
  r.pos += n;
  return out;
}

function fixed(r: State, size: number): Uint8Array {
  if (r.pos + size > r.len) throw truncated();
  const out = new Uint8Array(size);
  out.set(r.buf.subarray(r.pos, r.pos + size));
  r.pos += size;
  return out;
}

const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
const f32 = new Float32Array(1);
const f32Bytes = new Uint8Array(f32.buffer);
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

function float(r: State): number {
  const p = r.pos;
  if (p + 4 > r.len) throw truncated();
  const b = r.buf;
  if (LITTLE_ENDIAN) {
    f32Bytes[0] = b[p];
    f32Bytes[1] = b[p + 1];
    f32Bytes[2] = b[p + 2];
    f32Bytes[3] = b[p + 3];
  } else {
    f32Bytes[3] = b[p];
    f32Bytes[2] = b[p + 1];
    f32Bytes[1] = b[p + 2];
    f32Bytes[0] = b[p + 3];
  }
  r.pos = p + 4;
  return f32[0];
}

function double(r: State): number {
  const p = r.pos;
  if (p + 8 > r.len) throw truncated();
  const b = r.buf;
  if (LITTLE_ENDIAN) for (let i = 0; i < 8; i++) f64Bytes[i] = b[p + i];
  else for (let i = 0; i < 8; i++) f64Bytes[7 - i] = b[p + i];
  r.pos = p + 8;
  return f64[0];
}

function boolean(r: State): boolean {
  if (r.pos >= r.len) throw truncated();
  const b = r.buf[r.pos++];
  if (b > 1) throw new DecodeError('invalid-payload', `Avro boolean byte ${b}`);
  return b === 1;
}

function decimalBytes(r: State, scale: number): string {
  const n = length(r);
  const v = twosComplementToInteger(r.buf, r.pos, r.pos + n);
  r.pos += n;
  return formatDecimal(v, scale);
}

function decimalFixed(r: State, size: number, scale: number): string {
  if (r.pos + size > r.len) throw truncated();
  const v = twosComplementToInteger(r.buf, r.pos, r.pos + size);
  r.pos += size;
  return formatDecimal(v, scale);
}

/** 1 for 0-9 and a-f, 2 for A-F, 0 otherwise. */
const HEX_CLASS = new Uint8Array(256);
for (const c of '0123456789abcdef') HEX_CLASS[c.charCodeAt(0)] = 1;
for (const c of 'ABCDEF') HEX_CLASS[c.charCodeAt(0)] = 2;

function uuidString(r: State): string {
  const n = length(r);
  const p = r.pos;
  const b = r.buf;
  r.pos = p + n;
  if (n === 36 && b[p + 8] === 45 && b[p + 13] === 45 && b[p + 18] === 45 && b[p + 23] === 45) {
    // canonical form checked on the bytes (the common case), the string made once
    let cls = 0;
    let bad = false;
    for (let i = 0; i < 36; i++) {
      if (i === 8 || i === 13 || i === 18 || i === 23) continue;
      const k = HEX_CLASS[b[p + i]];
      if (k === 0) bad = true;
      cls |= k;
    }
    if (!bad) {
      const s = utf8(b, p, p + 36);
      return cls & 2 ? s.toLowerCase() : s;
    }
  }
  const s = utf8(b, p, p + n);
  const u = canonicalUuid(s);
  if (u === undefined) throw new DecodeError('invalid-payload', `Avro uuid field holds "${s.slice(0, 40)}", not a UUID`);
  return u;
}

function uuidFixed(r: State): string {
  if (r.pos + 16 > r.len) throw truncated();
  const s = uuidFromBytes(r.buf, r.pos);
  r.pos += 16;
  return s;
}

function enumSymbol(r: State, symbols: string[]): string {
  const i = int(r);
  const s = symbols[i];
  if (s === undefined) throw new DecodeError('invalid-payload', `Avro enum index ${i} out of range (${symbols.length} symbols)`);
  return s;
}

/** Block count of an array or map; a negative count is followed by the block's byte size. */
function blockCount(r: State): number {
  let n = long(r);
  if (typeof n !== 'number') throw new DecodeError('invalid-payload', 'Avro block count too large');
  if (n < 0) {
    n = -n;
    long(r);
  }
  if (n > r.len - r.pos + 1 && n > 1_000_000) throw new DecodeError('invalid-payload', `Avro block count ${n} exceeds payload`);
  return n;
}

function badUnion(i: number, n: number): DecodeError {
  return new DecodeError('invalid-payload', `Avro union index ${i} out of range (${n} branches)`);
}

const RUNTIME = {
  int,
  long,
  longBig,
  string,
  stringCached,
  bytes,
  fixed,
  float,
  double,
  boolean,
  decimalBytes,
  decimalFixed,
  uuidString,
  uuidFixed,
  enumSymbol,
  blockCount,
  badUnion,
  truncated,
  length,
};

/** The reading primitives the generated code calls (also used by avro-append-compiler.ts). */
export const AVRO_RUNTIME: Readonly<typeof RUNTIME> = RUNTIME;

function key(name: string): string {
  return name === '__proto__' ? `["__proto__"]` : JSON.stringify(name);
}

class Compiler {
  readonly fns: string[] = [];
  readonly consts: unknown[] = [];
  private readonly records = new Map<AvroRecord, string>();
  private counter = 0;

  private fn(prefix: string): string {
    return `${prefix}${this.counter++}`;
  }

  private constant(v: unknown): string {
    this.consts.push(v);
    return `C[${this.consts.length - 1}]`;
  }

  expr(t: AvroType): string {
    switch (t.kind) {
      case 'null':
        return 'null';
      case 'boolean':
        return 'R.boolean(r)';
      case 'int':
        return t.logical === 'time-millis' ? '(BigInt(R.int(r)) * 1000n)' : 'R.int(r)';
      case 'long':
        switch (t.logical) {
          case undefined:
            return 'R.long(r)';
          case 'timestamp-millis':
          case 'local-timestamp-millis':
            return '(R.longBig(r) * 1000n)';
          default:
            return 'R.longBig(r)';
        }
      case 'float':
        return 'R.float(r)';
      case 'double':
        return 'R.double(r)';
      case 'string':
        return t.logical === 'uuid' ? 'R.uuidString(r)' : `R.stringCached(r, ${this.constant(new StringCache())})`;
      case 'bytes':
        return t.decimal ? `R.decimalBytes(r, ${t.decimal.scale})` : 'R.bytes(r)';
      case 'fixed':
        if (t.decimal) return `R.decimalFixed(r, ${t.size}, ${t.decimal.scale})`;
        if (t.logical === 'uuid') return 'R.uuidFixed(r)';
        return `R.fixed(r, ${t.size})`;
      case 'enum':
        return `R.enumSymbol(r, ${this.constant(t.symbols)})`;
      case 'record':
        return `${this.record(t)}(r)`;
      case 'array': {
        const name = this.fn('a');
        const item = this.expr(t.items);
        this.fns.push(
          `function ${name}(r) { const out = []; for (let n = R.blockCount(r); n !== 0; n = R.blockCount(r)) {` +
            ` for (let i = 0; i < n; i++) { out.push(${item}); if (r.pos > r.len) throw R.truncated(); } } return out; }`,
        );
        return `${name}(r)`;
      }
      case 'map': {
        const name = this.fn('m');
        const value = this.expr(t.values);
        const keys = this.constant(new StringCache());
        this.fns.push(
          `function ${name}(r) { const out = new Map(); for (let n = R.blockCount(r); n !== 0; n = R.blockCount(r)) {` +
            ` for (let i = 0; i < n; i++) { const k = R.stringCached(r, ${keys}); out.set(k, ${value}); if (r.pos > r.len) throw R.truncated(); } } return out; }`,
        );
        return `${name}(r)`;
      }
      case 'union': {
        if (t.branches.length === 1) return `(R.int(r) === 0 ? ${this.expr(t.branches[0])} : (() => { throw R.badUnion(1, 1); })())`;
        const name = this.fn('u');
        const opt = optionUnion(t);
        if (opt) {
          const value = this.expr(opt.value);
          this.fns.push(`function ${name}(r) { const i = R.int(r); if (i === ${opt.nullIndex}) return null;` + ` if (i === ${opt.valueIndex}) return ${value}; throw R.badUnion(i, 2); }`);
          return `${name}(r)`;
        }
        // complex union → { tag, field0, field1, ... } over the non-null branches
        const nonNull = t.branches.map((b, i) => ({ b, i })).filter((x) => x.b.kind !== 'null');
        const cases: string[] = [];
        t.branches.forEach((b, i) => {
          if (b.kind === 'null') {
            cases.push(`case ${i}: return null;`);
            return;
          }
          const tag = nonNull.findIndex((x) => x.i === i);
          const props = nonNull.map((_, j) => `field${j}: ${j === tag ? this.expr(b) : 'null'}`);
          cases.push(`case ${i}: return { tag: ${tag}, ${props.join(', ')} };`);
        });
        this.fns.push(`function ${name}(r) { const i = R.int(r); switch (i) { ${cases.join(' ')} default: throw R.badUnion(i, ${t.branches.length}); } }`);
        return `${name}(r)`;
      }
    }
  }

  record(t: AvroRecord): string {
    const existing = this.records.get(t);
    if (existing) return existing;
    const name = this.fn('r');
    this.records.set(t, name);
    const props = t.fields.map((f) => `${key(f.name)}: ${this.expr(f.type)}`);
    this.fns.push(`function ${name}(r) { return { ${props.join(', ')} }; }`);
    return name;
  }
}

/**
 * A reader of one value of type `t` at the state's position, as the compiled decoder reads it
 * (same checks, same errors); the column-direct decoder uses it for fields the table does not take.
 */
export function compileAvroReader(t: AvroType): (r: AvroReadState) => unknown {
  const c = new Compiler();
  const root = c.expr(t);
  const source = `${c.fns.join('\n')}\nreturn function readValue(r) { return ${root}; };`;
  return new Function('R', 'C', source)(RUNTIME, c.consts) as (r: State) => unknown;
}

/** Compiles a decoder for payloads written with this (writer) schema. */
export function compileAvroDecoder(schema: AvroType): AvroDecoder {
  const c = new Compiler();
  const root = c.expr(schema);
  const source = `${c.fns.join('\n')}\nreturn function decodeRoot(r) { return ${root}; };`;
  const decodeRoot = new Function('R', 'C', source)(RUNTIME, c.consts) as (r: State) => unknown;
  const state: State = { buf: EMPTY, pos: 0, len: 0 };
  return function decodeAvro(bytes: Uint8Array, offset = 0): unknown {
    state.buf = bytes;
    state.pos = offset;
    state.len = bytes.length;
    let value: unknown;
    try {
      value = decodeRoot(state);
    } catch (e) {
      if (e instanceof DecodeError) throw e;
      throw new DecodeError('invalid-payload', `Avro payload does not decode: ${(e as Error).message}`, { cause: e });
    } finally {
      state.buf = EMPTY;
    }
    if (state.pos > state.len) throw truncated();
    if (state.pos < state.len) {
      throw new DecodeError('invalid-payload', `${state.len - state.pos} bytes left after the Avro value (schema does not match payload?)`);
    }
    return value;
  };
}

const EMPTY = new Uint8Array(0);
