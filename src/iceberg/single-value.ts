// Iceberg's single-value binary serialization (spec appendix D), used for the lower/upper
// bounds of data-file metrics and for partition values in some places.
//
//   boolean            1 byte, 0x00 false / 0x01 true
//   int, date          4-byte little-endian
//   long, time,        8-byte little-endian
//   timestamp(tz)(_ns)
//   float, double      IEEE 754, little-endian
//   string             UTF-8 bytes, no length prefix
//   uuid               16 bytes, big-endian (the canonical string's hex digits in order)
//   fixed[L], binary   the bytes themselves
//   decimal(P,S)       unscaled value, two's-complement big-endian, minimum number of bytes
//
// In JS: int/date/float/double are numbers; long/time/timestamps are bigints (a safe-integer
// number is accepted on the way in); decimal is the *unscaled* value as a bigint (a decimal
// string such as "-12.30" is accepted on the way in and must fit the scale exactly);
// uuid is the canonical lower-case string (16 bytes accepted on the way in).
//
// Also here: Iceberg's truncation of string/binary bounds (`truncate(16)` metrics mode).
// A truncated lower bound is a prefix; a truncated upper bound is a prefix whose last
// code point (byte, for binary) is incremented so that it stays >= every value it bounds.

import type { IcebergType } from './types.ts';
import { decimalParams, primitiveKind, typeToString } from './types.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

function kindOf(type: IcebergType): string {
  if (typeof type !== 'string') throw new TypeError(`single-value serialization is for primitive types, got ${typeToString(type)}`);
  return primitiveKind(type);
}

function toBigInt(value: unknown, what: string): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  throw new TypeError(`${what}: expected bigint or safe integer, got ${typeof value} ${String(value)}`);
}

/** Minimal two's-complement big-endian bytes of a bigint (Java BigInteger.toByteArray). */
export function bigIntToMinimalBytes(v: bigint): Uint8Array {
  // number of bytes: smallest n with -2^(8n-1) <= v < 2^(8n-1)
  let n = 1;
  while (v >= 1n << BigInt(8 * n - 1) || v < -(1n << BigInt(8 * n - 1))) n++;
  const out = new Uint8Array(n);
  let x = BigInt.asUintN(8 * n, v);
  for (let i = n - 1; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

/** Two's-complement big-endian bytes (any length ≥ 1) → bigint. */
export function bigIntFromBytes(bytes: Uint8Array): bigint {
  if (bytes.length === 0) throw new RangeError("empty two's-complement value");
  let x = 0n;
  for (let i = 0; i < bytes.length; i++) x = (x << 8n) | BigInt(bytes[i]);
  return BigInt.asIntN(8 * bytes.length, x);
}

/**
 * Parse a decimal string ("-12.30", "5", "0.5", "1e3" not allowed) to its unscaled value at
 * `scale`. Throws if the string has more fraction digits than `scale` (no rounding).
 */
export function parseDecimalString(s: string, scale: number): bigint {
  const m = /^\s*([+-]?)(\d*)(?:\.(\d*))?\s*$/.exec(s);
  if (!m || (m[2] === '' && (m[3] === undefined || m[3] === ''))) throw new RangeError(`not a decimal number: "${s}"`);
  const frac = m[3] ?? '';
  // trailing zeros beyond the scale are harmless ("1.500" at scale 2)
  let f = frac;
  if (f.length > scale) {
    const extra = f.slice(scale);
    if (!/^0*$/.test(extra)) throw new RangeError(`"${s}" has more than ${scale} fraction digits`);
    f = f.slice(0, scale);
  }
  const digits = (m[2] || '0') + f.padEnd(scale, '0');
  const v = BigInt(digits);
  return m[1] === '-' ? -v : v;
}

/** Unscaled value and scale → decimal string, e.g. (1420n, 2) → "14.20". */
export function formatDecimal(unscaled: bigint, scale: number): string {
  const neg = unscaled < 0n;
  let s = (neg ? -unscaled : unscaled).toString();
  if (scale > 0) {
    s = s.padStart(scale + 1, '0');
    s = `${s.slice(0, s.length - scale)}.${s.slice(s.length - scale)}`;
  }
  return neg ? `-${s}` : s;
}

const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** Canonical UUID string → 16 bytes (big-endian, in the order the hex digits are written). */
export function uuidToBytes(s: string): Uint8Array {
  if (!UUID_RE.test(s)) throw new RangeError(`not a UUID: "${s}"`);
  const hex = s.replace(/-/g, '');
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function uuidFromBytes(b: Uint8Array): string {
  if (b.length !== 16) throw new RangeError(`a UUID has 16 bytes, got ${b.length}`);
  let h = '';
  for (let i = 0; i < 16; i++) h += b[i].toString(16).padStart(2, '0');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Serialize one value of a primitive type to Iceberg's single-value binary form. */
export function toSingleValue(type: IcebergType, value: unknown): Uint8Array {
  const kind = kindOf(type);
  switch (kind) {
    case 'boolean':
      if (typeof value !== 'boolean') throw new TypeError(`boolean: got ${typeof value}`);
      return Uint8Array.of(value ? 1 : 0);
    case 'int':
    case 'date': {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < -2147483648 || value > 2147483647) {
        throw new TypeError(`${kind}: expected int32 number, got ${typeof value} ${String(value)}`);
      }
      const b = new Uint8Array(4);
      new DataView(b.buffer).setInt32(0, value, true);
      return b;
    }
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns': {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigInt64(0, BigInt.asIntN(64, toBigInt(value, kind)), true);
      return b;
    }
    case 'float': {
      if (typeof value !== 'number') throw new TypeError(`float: got ${typeof value}`);
      const b = new Uint8Array(4);
      new DataView(b.buffer).setFloat32(0, value, true);
      return b;
    }
    case 'double': {
      if (typeof value !== 'number') throw new TypeError(`double: got ${typeof value}`);
      const b = new Uint8Array(8);
      new DataView(b.buffer).setFloat64(0, value, true);
      return b;
    }
    case 'string':
      if (typeof value !== 'string') throw new TypeError(`string: got ${typeof value}`);
      return encoder.encode(value);
    case 'uuid':
      if (typeof value === 'string') return uuidToBytes(value);
      if (value instanceof Uint8Array && value.length === 16) return Uint8Array.from(value);
      throw new TypeError(`uuid: expected canonical string or 16 bytes`);
    case 'fixed':
    case 'binary':
      if (!(value instanceof Uint8Array)) throw new TypeError(`${kind}: expected Uint8Array, got ${typeof value}`);
      return Uint8Array.from(value);
    case 'decimal': {
      const { scale } = decimalParams(type)!;
      const unscaled = typeof value === 'string' ? parseDecimalString(value, scale) : toBigInt(value, 'decimal');
      return bigIntToMinimalBytes(unscaled);
    }
  }
  throw new TypeError(`no single-value serialization for ${String(type)}`);
}

/** Read a value back from Iceberg's single-value binary form (see the module comment for JS shapes). */
export function fromSingleValue(type: IcebergType, bytes: Uint8Array): unknown {
  const kind = kindOf(type);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (n: number) => {
    if (bytes.length !== n) throw new RangeError(`${kind}: expected ${n} bytes, got ${bytes.length}`);
  };
  switch (kind) {
    case 'boolean':
      need(1);
      return bytes[0] !== 0;
    case 'int':
    case 'date':
      need(4);
      return dv.getInt32(0, true);
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns':
      need(8);
      return dv.getBigInt64(0, true);
    case 'float':
      need(4);
      return dv.getFloat32(0, true);
    case 'double':
      need(8);
      return dv.getFloat64(0, true);
    case 'string':
      return decoder.decode(bytes);
    case 'uuid':
      return uuidFromBytes(bytes);
    case 'fixed':
    case 'binary':
      return Uint8Array.from(bytes);
    case 'decimal':
      return bigIntFromBytes(bytes);
  }
  throw new TypeError(`no single-value serialization for ${String(type)}`);
}

// ---- truncation of bounds (Iceberg MetricsModes.Truncate) ----

/** First `length` code points of a string (lower bound). */
export function truncateStringLower(s: string, length: number): string {
  let cps = 0;
  for (let i = 0; i < s.length;) {
    if (cps === length) return s.slice(0, i);
    const c = s.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < s.length ? 2 : 1;
    cps++;
  }
  return s;
}

/**
 * Upper bound for strings truncated to `length` code points: the prefix with its last code
 * point incremented (dropping code points that cannot be incremented). Returns the string
 * unchanged if it is not longer than `length`, or undefined if no upper bound exists.
 */
export function truncateStringUpper(s: string, length: number): string | undefined {
  const cps = Array.from(s);
  if (cps.length <= length) return s;
  const prefix = cps.slice(0, length);
  for (let i = prefix.length - 1; i >= 0; i--) {
    let next = prefix[i].codePointAt(0)! + 1;
    if (next >= 0xd800 && next <= 0xdfff) next = 0xe000; // skip the surrogate range
    if (next <= 0x10ffff) {
      return prefix.slice(0, i).join('') + String.fromCodePoint(next);
    }
  }
  return undefined;
}

/** UTF-8 variants working on encoded bytes (what the Parquet writer holds). */
export function truncateUtf8Lower(b: Uint8Array, length: number): Uint8Array {
  let cps = 0;
  for (let i = 0; i < b.length;) {
    if (cps === length) return b.subarray(0, i);
    i += utf8Len(b[i]);
    cps++;
  }
  return b;
}

export function truncateUtf8Upper(b: Uint8Array, length: number): Uint8Array | undefined {
  // count code points cheaply; decode only when truncation is needed
  let cps = 0;
  for (let i = 0; i < b.length; i += utf8Len(b[i])) cps++;
  if (cps <= length) return b;
  const s = truncateStringUpper(decoder.decode(b), length);
  return s === undefined ? undefined : encoder.encode(s);
}

function utf8Len(lead: number): number {
  return lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
}

export function truncateBinaryLower(b: Uint8Array, length: number): Uint8Array {
  return b.length <= length ? b : b.subarray(0, length);
}

/** Prefix of `length` bytes with the last byte below 0xFF incremented (trailing 0xFF bytes dropped). */
export function truncateBinaryUpper(b: Uint8Array, length: number): Uint8Array | undefined {
  if (b.length <= length) return b;
  for (let i = length - 1; i >= 0; i--) {
    if (b[i] !== 0xff) {
      const out = Uint8Array.from(b.subarray(0, i + 1));
      out[i]++;
      return out;
    }
  }
  return undefined;
}
