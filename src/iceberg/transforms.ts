// Iceberg partition transforms (table spec, "Partition Transforms" and "Appendix B"), with the
// values Iceberg's Java library gives, and the Hive-style path segment Java writes for a
// partition tuple (PartitionSpec.partitionToPath).
//
// Value representations (what the Parquet writer takes, after normalization):
//   int, date                          number (date = days since 1970-01-01)
//   long, time, timestamp, timestamptz bigint (micros; time = micros since midnight); a safe
//                                      integer number is accepted too
//   timestamp_ns, timestamptz_ns       bigint nanos (a safe integer number is accepted too)
//   float, double                      number
//   decimal(P,S)                       bigint unscaled value
//   string                             string
//   uuid                               canonical string or 16-byte Uint8Array
//   binary, fixed[L]                   Uint8Array
//   boolean                            boolean
// Results: bucket, year, month, hour → number (int); day → number (days, a date); identity and
// truncate → the source type's representation (long-like → bigint, uuid → lowercase canonical
// string); void → null. Every transform maps null/undefined to null.
//
// Pre-1970 values use floor semantics (day(-1µs) = -1), as the spec and PyIceberg do. Iceberg
// Java's DateTimeUtil.convertMicros differs on one family of negative values: a timestamp
// exactly `.999999` past a unit boundary (e.g. 1969-12-31T00:00:00.999999 → Java day -2,
// floor -1; 1969-12-31T23:00:00.999999 → Java hour -2, floor -1). We follow floor.
import type { IcebergType, PrimitiveType, Schema, StructType } from './types.ts';
import { decimalParams, primitiveKind, typeToString } from './types.ts';
import type { PartitionSpec } from './table-metadata.ts';
import { murmur3Bytes, murmur3Int, murmur3Long, murmur3Utf8 } from './murmur3.ts';
import { findField } from './schema.ts';
import { FloeError } from '../errors.ts';

// ---------------------------------------------------------------------------------------------
// Transforms and their names

export type Transform =
  { kind: 'identity' } | { kind: 'bucket'; numBuckets: number } | { kind: 'truncate'; width: number } | { kind: 'year' } | { kind: 'month' } | { kind: 'day' } | { kind: 'hour' } | { kind: 'void' };

export class UnknownTransformError extends FloeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('fatal', message, options);
  }
}

const WITH_PARAM = /^(\w+)\[(\d+)\]$/;

/**
 * Parse a transform as the spec writes it: "identity", "bucket[16]", "truncate[4]", "year",
 * "month", "day", "hour", "void" (case-insensitive, like Java's Transforms.fromString).
 */
export function parseTransform(s: string): Transform {
  const m = WITH_PARAM.exec(s);
  if (m) {
    const name = m[1].toLowerCase();
    const n = Number(m[2]);
    if (name === 'bucket' || name === 'truncate') {
      if (!Number.isSafeInteger(n) || n <= 0 || n > 0x7fffffff) {
        throw new UnknownTransformError(`invalid transform "${s}": ${name === 'bucket' ? 'number of buckets' : 'width'} must be between 1 and 2147483647`);
      }
      return name === 'bucket' ? { kind: 'bucket', numBuckets: n } : { kind: 'truncate', width: n };
    }
  }
  switch (s.toLowerCase()) {
    case 'identity':
      return { kind: 'identity' };
    case 'year':
      return { kind: 'year' };
    case 'month':
      return { kind: 'month' };
    case 'day':
      return { kind: 'day' };
    case 'hour':
      return { kind: 'hour' };
    case 'void':
      return { kind: 'void' };
  }
  throw new UnknownTransformError(`unknown partition transform "${s}" (expected identity, bucket[N], truncate[W], year, month, day, hour or void)`);
}

/** The spec's string form: "bucket[16]", "day", ... */
export function transformToString(t: Transform): string {
  if (t.kind === 'bucket') return `bucket[${t.numBuckets}]`;
  if (t.kind === 'truncate') return `truncate[${t.width}]`;
  return t.kind;
}

function asTransform(t: string | Transform): Transform {
  return typeof t === 'string' ? parseTransform(t) : t;
}

// ---------------------------------------------------------------------------------------------
// Which types a transform takes, and what it gives

type Kind = ReturnType<typeof primitiveKind>;

const BUCKET_KINDS: ReadonlySet<Kind> = new Set<Kind>(['int', 'long', 'decimal', 'date', 'time', 'timestamp', 'timestamptz', 'timestamp_ns', 'timestamptz_ns', 'string', 'uuid', 'fixed', 'binary']);
const TRUNCATE_KINDS: ReadonlySet<Kind> = new Set<Kind>(['int', 'long', 'decimal', 'string', 'binary']);
const DATE_LIKE: ReadonlySet<Kind> = new Set<Kind>(['date', 'timestamp', 'timestamptz', 'timestamp_ns', 'timestamptz_ns']);
const TIMESTAMP_LIKE: ReadonlySet<Kind> = new Set<Kind>(['timestamp', 'timestamptz', 'timestamp_ns', 'timestamptz_ns']);

/** True if the transform can be applied to values of this type. */
export function canTransform(transform: string | Transform, sourceType: IcebergType): boolean {
  const t = asTransform(transform);
  if (t.kind === 'void') return true;
  if (typeof sourceType !== 'string') return false;
  const kind = primitiveKind(sourceType);
  switch (t.kind) {
    case 'identity':
      return true;
    case 'bucket':
      return BUCKET_KINDS.has(kind);
    case 'truncate':
      return TRUNCATE_KINDS.has(kind);
    case 'year':
    case 'month':
    case 'day':
      return DATE_LIKE.has(kind);
    case 'hour':
      return TIMESTAMP_LIKE.has(kind);
  }
}

export class TransformTypeError extends FloeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('fatal', message, options);
  }
}

function checkApplicable(t: Transform, sourceType: IcebergType): void {
  if (!canTransform(t, sourceType)) {
    throw new TransformTypeError(`transform ${transformToString(t)} cannot be applied to type ${typeToString(sourceType)}`);
  }
}

/** The partition value's type: bucket/year/month/hour → int, day → date, others → source type. */
export function transformResultType(transform: string | Transform, sourceType: IcebergType): IcebergType {
  const t = asTransform(transform);
  checkApplicable(t, sourceType);
  switch (t.kind) {
    case 'bucket':
    case 'year':
    case 'month':
    case 'hour':
      return 'int';
    case 'day':
      return 'date';
    default:
      return sourceType;
  }
}

/** True if the transform keeps the order of values (identity, truncate, the time transforms). */
export function preservesOrder(transform: string | Transform): boolean {
  const k = asTransform(transform).kind;
  return k !== 'bucket' && k !== 'void';
}

// ---------------------------------------------------------------------------------------------
// Value normalization

function describe(v: unknown): string {
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  if (typeof v === 'bigint') return `bigint ${v}`;
  if (v instanceof Uint8Array) return `Uint8Array(${v.length})`;
  if (typeof v === 'object') return v === null ? 'null' : `object ${Object.prototype.toString.call(v)}`;
  return `${typeof v} ${String(v)}`;
}

function badValue(what: string, expected: string, v: unknown): never {
  throw new TypeError(`${what}: expected ${expected}, got ${describe(v)}`);
}

function toInt(v: unknown, what: string): number {
  if (typeof v === 'number') {
    if ((v | 0) === v) return v;
  } else if (typeof v === 'bigint') {
    if (BigInt.asIntN(32, v) === v) return Number(v);
  }
  return badValue(what, 'a 32-bit integer number', v);
}

/** A long-like value as bigint. */
function toBigInt(v: unknown, what: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  return badValue(what, 'a bigint (or a safe integer number)', v);
}

/** A long-like value as a safe integer number when it is one, otherwise as bigint. */
function toLongish(v: unknown, what: string): number | bigint {
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v)) return v;
  } else if (typeof v === 'bigint') {
    if (v >= -9007199254740991n && v <= 9007199254740991n) return Number(v);
    return v;
  }
  return badValue(what, 'a bigint (or a safe integer number)', v);
}

const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function uuidToBytes(s: string): Uint8Array {
  if (!UUID_RE.test(s)) throw new TypeError(`not a UUID: ${JSON.stringify(s)}`);
  const hex = s.replaceAll('-', '');
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function uuidToString(b: Uint8Array): string {
  if (b.length !== 16) throw new TypeError(`a UUID has 16 bytes, got ${b.length}`);
  let s = '';
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) s += '-';
    s += HEX[b[i]];
  }
  return s;
}

function uuidBytes(v: unknown, what: string): Uint8Array {
  if (typeof v === 'string') return uuidToBytes(v);
  if (v instanceof Uint8Array && v.length === 16) return v;
  return badValue(what, 'a UUID string or 16 bytes', v);
}

function uuidCanonical(v: unknown, what: string): string {
  if (typeof v === 'string') {
    if (!UUID_RE.test(v)) badValue(what, 'a UUID string or 16 bytes', v);
    return v.toLowerCase();
  }
  if (v instanceof Uint8Array && v.length === 16) return uuidToString(v);
  return badValue(what, 'a UUID string or 16 bytes', v);
}

function toBytes(v: unknown, what: string): Uint8Array {
  if (v instanceof Uint8Array) return v;
  return badValue(what, 'a Uint8Array', v);
}

function toStr(v: unknown, what: string): string {
  if (typeof v === 'string') return v;
  return badValue(what, 'a string', v);
}

// ---------------------------------------------------------------------------------------------
// Hashing (Appendix B)

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const encoder = new TextEncoder();
let utf8Scratch = new Uint8Array(1024);

/**
 * UTF-8 bytes of a string, as Java's String.getBytes(UTF_8) gives them: an unpaired
 * surrogate becomes '?'. The returned view is only valid until the next call.
 */
function utf8Transient(s: string): Uint8Array {
  if (!s.isWellFormed()) s = s.replace(LONE_SURROGATE, '?');
  if (utf8Scratch.length < s.length * 3) utf8Scratch = new Uint8Array(Math.max(s.length * 3, utf8Scratch.length * 2));
  const { written } = encoder.encodeInto(s, utf8Scratch);
  return utf8Scratch.subarray(0, written);
}

/** Murmur3 of a string's UTF-8 bytes (Java's hashString(value, UTF_8)). */
export function hashString(s: string): number {
  return murmur3Utf8(s);
}

const MAX_SAFE = 9007199254740991n;

/** hashLong of a long-like value; small bigints take the number path (no bigint allocation). */
function hashLongish(v: unknown, what: string): number {
  if (typeof v === 'bigint') return v >= -MAX_SAFE && v <= MAX_SAFE ? murmur3Long(Number(v)) : murmur3Long(v);
  if (typeof v === 'number' && Number.isSafeInteger(v)) return murmur3Long(v);
  return badValue(what, 'a bigint (or a safe integer number)', v);
}

/** The minimal two's-complement big-endian bytes of a bigint (Java's BigInteger.toByteArray). */
export function minimalBigEndianBytes(u: bigint): Uint8Array {
  const magnitude = u < 0n ? -u - 1n : u;
  let bitLength = 0;
  if (magnitude !== 0n) {
    const hex = magnitude.toString(16);
    bitLength = (hex.length - 1) * 4 + (32 - Math.clz32(parseInt(hex[0], 16)));
  }
  const n = (bitLength >> 3) + 1;
  const out = new Uint8Array(n);
  let x = BigInt.asUintN(n * 8, u);
  for (let i = n - 1; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

const NANOS_PER_MICRO = 1000;

/**
 * The signed 32-bit hash Appendix B defines for a value of this type (before `& MAX_VALUE`
 * and `% N`).
 */
export function bucketHash(sourceType: IcebergType, value: unknown): number {
  return hasher(sourceType)(value);
}

function hasher(sourceType: IcebergType): (v: unknown) => number {
  const kind = typeof sourceType === 'string' ? primitiveKind(sourceType) : undefined;
  const what = `bucket of ${typeof sourceType === 'string' ? sourceType : typeToString(sourceType)}`;
  switch (kind) {
    case 'int':
    case 'date':
      return (v) => murmur3Int(toInt(v, what));
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
      return (v) => hashLongish(v, what);
    case 'timestamp_ns':
    case 'timestamptz_ns':
      return (v) => {
        const n = toLongish(v, what);
        return murmur3Long(typeof n === 'number' ? floorDiv(n, NANOS_PER_MICRO) : floorDivBig(n, 1000n));
      };
    case 'decimal':
      return (v) => murmur3Bytes(minimalBigEndianBytes(toBigInt(v, what)));
    case 'string':
      return (v) => hashString(toStr(v, what));
    case 'uuid':
      return (v) => murmur3Bytes(uuidBytes(v, what));
    case 'fixed':
    case 'binary':
      return (v) => murmur3Bytes(toBytes(v, what));
  }
  throw new TransformTypeError(`type ${typeToString(sourceType)} cannot be bucketed`);
}

// ---------------------------------------------------------------------------------------------
// Truncation

/** The first `width` code points of a string (a surrogate pair is one code point, as in Java). */
export function truncateString(s: string, width: number): string {
  if (s.length <= width) return s;
  let i = 0;
  let count = 0;
  const n = s.length;
  while (i < n && count < width) {
    const c = s.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < n && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
    count++;
  }
  return i >= n ? s : s.slice(0, i);
}

function truncateInt(v: number, w: number): number {
  // Java int arithmetic: every step wraps to 32 bits.
  const r = (((v % w) + w) | 0) % w;
  return (v - r) | 0;
}

function truncateLong(v: number | bigint, w: number): bigint {
  if (typeof v === 'number') {
    // |v| < 2^53 and w < 2^31: no 64-bit overflow is possible, plain arithmetic is exact.
    return BigInt(v - (((v % w) + w) % w));
  }
  const W = BigInt(w);
  const r = BigInt.asIntN(64, BigInt.asIntN(64, (v % W) + W) % W);
  return BigInt.asIntN(64, v - r);
}

function truncateDecimal(u: bigint, w: bigint): bigint {
  return u - (((u % w) + w) % w);
}

// ---------------------------------------------------------------------------------------------
// Dates and times

const MICROS_PER_HOUR = 3_600_000_000;
const MICROS_PER_DAY = 86_400_000_000;

/** floor(a / b) for a safe integer a and a positive integer b, exactly. */
function floorDiv(a: number, b: number): number {
  const r = a % b;
  const q = (a - r) / b;
  return r < 0 ? q - 1 : q;
}

function floorDivBig(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b < 0n ? q - 1n : q;
}

/** Proleptic Gregorian (year, month 1-12, day 1-31) of a day count since 1970-01-01. */
export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** Days since 1970-01-01 of a proleptic Gregorian date (month 1-12). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = month > 2 ? month - 3 : month + 9;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function daysToYears(days: number): number {
  return civilFromDays(days).year - 1970;
}

function daysToMonths(days: number): number {
  const c = civilFromDays(days);
  return (c.year - 1970) * 12 + (c.month - 1);
}

/** Days since epoch (floor) of a long-like count of units since epoch (`unitsPerMicro` per µs). */
function unitsToDays(v: number | bigint, unitsPerMicro: number): number {
  if (typeof v === 'number') {
    const micros = unitsPerMicro === 1 ? v : floorDiv(v, unitsPerMicro);
    return floorDiv(micros, MICROS_PER_DAY);
  }
  return Number(floorDivBig(v, BigInt(MICROS_PER_DAY) * BigInt(unitsPerMicro)));
}

function unitsToHours(v: number | bigint, unitsPerMicro: number): number {
  if (typeof v === 'number') {
    const micros = unitsPerMicro === 1 ? v : floorDiv(v, unitsPerMicro);
    return floorDiv(micros, MICROS_PER_HOUR);
  }
  return Number(floorDivBig(v, BigInt(MICROS_PER_HOUR) * BigInt(unitsPerMicro)));
}

// ---------------------------------------------------------------------------------------------
// Applying

export type TransformFn = (value: unknown) => unknown;

/** Normalizes a source value to its canonical representation (used by identity). */
function identityFn(sourceType: IcebergType): TransformFn {
  if (typeof sourceType !== 'string') throw new TransformTypeError(`identity cannot be applied to type ${typeToString(sourceType)}`);
  const what = `identity of ${sourceType}`;
  switch (primitiveKind(sourceType)) {
    case 'int':
    case 'date':
      return (v) => (v == null ? null : toInt(v, what));
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns':
    case 'decimal':
      return (v) => (v == null ? null : toBigInt(v, what));
    case 'float':
    case 'double':
      return (v) => (v == null ? null : typeof v === 'number' ? v : badValue(what, 'a number', v));
    case 'boolean':
      return (v) => (v == null ? null : typeof v === 'boolean' ? v : badValue(what, 'a boolean', v));
    case 'string':
      return (v) => (v == null ? null : toStr(v, what));
    case 'uuid':
      return (v) => (v == null ? null : uuidCanonical(v, what));
    case 'binary':
    case 'fixed':
      return (v) => (v == null ? null : toBytes(v, what));
  }
}

/**
 * A function applying the transform to one value of the source type, with the transform
 * parsed and the type checked once. Throws TransformTypeError if the transform does not
 * apply to the type; the function throws TypeError for a value of the wrong representation.
 */
export function transformFn(transform: string | Transform, sourceType: IcebergType): TransformFn {
  const t = asTransform(transform);
  checkApplicable(t, sourceType);
  if (t.kind === 'void') return () => null;
  if (t.kind === 'identity') return identityFn(sourceType);
  const kind = primitiveKind(sourceType as PrimitiveType);
  const name = `${transformToString(t)} of ${sourceType as string}`;
  switch (t.kind) {
    case 'bucket': {
      const hash = hasher(sourceType);
      const n = t.numBuckets;
      return (v) => (v == null ? null : (hash(v) & 0x7fffffff) % n);
    }
    case 'truncate': {
      const w = t.width;
      switch (kind) {
        case 'int':
          return (v) => (v == null ? null : truncateInt(toInt(v, name), w));
        case 'long':
          return (v) => (v == null ? null : truncateLong(toLongish(v, name), w));
        case 'decimal': {
          const W = BigInt(w);
          return (v) => (v == null ? null : truncateDecimal(toBigInt(v, name), W));
        }
        case 'string':
          return (v) => (v == null ? null : truncateString(toStr(v, name), w));
        default: // binary
          return (v) => {
            if (v == null) return null;
            const b = toBytes(v, name);
            return b.length <= w ? b : b.slice(0, w);
          };
      }
    }
    case 'year':
    case 'month':
    case 'day':
    case 'hour': {
      const perDay = t.kind === 'year' ? daysToYears : t.kind === 'month' ? daysToMonths : (d: number) => d;
      if (kind === 'date') return (v) => (v == null ? null : perDay(toInt(v, name)));
      const unitsPerMicro = kind === 'timestamp_ns' || kind === 'timestamptz_ns' ? NANOS_PER_MICRO : 1;
      if (t.kind === 'hour') return (v) => (v == null ? null : unitsToHours(toLongish(v, name), unitsPerMicro));
      return (v) => (v == null ? null : perDay(unitsToDays(toLongish(v, name), unitsPerMicro)));
    }
  }
}

/** Apply a transform to one value. For many values, use transformFn once and call its result. */
export function applyTransform(transform: string | Transform, sourceType: IcebergType, value: unknown): unknown {
  return transformFn(transform, sourceType)(value);
}

// ---------------------------------------------------------------------------------------------
// Human-readable values and partition paths (Java's Transform.toHumanString, partitionToPath)

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** Java's String.format("%04d", n): the sign counts toward the width. */
function format04(n: number): string {
  return n < 0 ? '-' + pad(-n, 3) : pad(n, 4);
}

export function humanYear(years: number): string {
  return format04(1970 + years);
}

export function humanMonth(months: number): string {
  return `${format04(1970 + Math.floor(months / 12))}-${pad((((months % 12) + 12) % 12) + 1, 2)}`;
}

export function humanDay(days: number): string {
  const c = civilFromDays(days);
  return `${format04(c.year)}-${pad(c.month, 2)}-${pad(c.day, 2)}`;
}

export function humanHour(hours: number): string {
  const days = Math.floor(hours / 24);
  const c = civilFromDays(days);
  return `${format04(c.year)}-${pad(c.month, 2)}-${pad(c.day, 2)}-${pad(hours - days * 24, 2)}`;
}

/** java.time ISO_LOCAL_DATE year: 4 digits, '+' above 9999, '-' and 4 digits below 0. */
function isoYear(y: number): string {
  if (y > 9999) return '+' + y;
  if (y < 0) return '-' + pad(-y, 4);
  return pad(y, 4);
}

/** Split a long-like count since epoch into days and nanos of day. */
function splitEpoch(v: bigint, unitsPerSecond: bigint): { days: number; nanoOfDay: bigint } {
  const perDay = 86400n * unitsPerSecond;
  const days = floorDivBig(v, perDay);
  const rem = v - days * perDay;
  return { days: Number(days), nanoOfDay: rem * (1_000_000_000n / unitsPerSecond) };
}

function timeParts(nanoOfDay: bigint): { h: number; m: number; s: number; nano: number } {
  const secs = Number(nanoOfDay / 1_000_000_000n);
  return { h: Math.floor(secs / 3600), m: Math.floor(secs / 60) % 60, s: secs % 60, nano: Number(nanoOfDay % 1_000_000_000n) };
}

/** java.time.LocalTime.toString: HH:mm, then :ss and .SSS/.SSSSSS/.SSSSSSSSS only as needed. */
function localTimeToString(nanoOfDay: bigint): string {
  const { h, m, s, nano } = timeParts(nanoOfDay);
  let out = `${pad(h, 2)}:${pad(m, 2)}`;
  if (s > 0 || nano > 0) {
    out += `:${pad(s, 2)}`;
    if (nano > 0) {
      if (nano % 1_000_000 === 0) out += '.' + pad(nano / 1_000_000, 3);
      else if (nano % 1000 === 0) out += '.' + pad(nano / 1000, 6);
      else out += '.' + pad(nano, 9);
    }
  }
  return out;
}

/** DateTimeFormatter.ISO_LOCAL_DATE_TIME: seconds always, fraction without trailing zeros. */
function isoLocalDateTime(days: number, nanoOfDay: bigint): string {
  const c = civilFromDays(days);
  const { h, m, s, nano } = timeParts(nanoOfDay);
  let out = `${isoYear(c.year)}-${pad(c.month, 2)}-${pad(c.day, 2)}T${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}`;
  if (nano > 0) out += '.' + pad(nano, 9).replace(/0+$/, '');
  return out;
}

/** Java's BigDecimal.toString for an unscaled value and a scale >= 0. */
export function bigDecimalToString(unscaled: bigint, scale: number): string {
  const neg = unscaled < 0n;
  const coeff = (neg ? -unscaled : unscaled).toString();
  const adjusted = coeff.length - 1 - scale;
  let out: string;
  if (scale === 0) out = coeff;
  else if (adjusted >= -6) {
    out = coeff.length > scale ? `${coeff.slice(0, coeff.length - scale)}.${coeff.slice(coeff.length - scale)}` : `0.${'0'.repeat(scale - coeff.length)}${coeff}`;
  } else {
    out = coeff.length > 1 ? `${coeff[0]}.${coeff.slice(1)}E${adjusted}` : `${coeff}E${adjusted}`;
  }
  return neg ? '-' + out : out;
}

/** Decimal digits (no trailing zeros) and exponent of a positive number's shortest form (JS). */
function shortestDouble(abs: number): { digits: string; exp: number } {
  const [m, ex = '0'] = String(abs).split('e');
  const [ip, fp = ''] = m.split('.');
  const all = ip + fp;
  const trimmed = all.replace(/^0+/, '');
  const exp = Number(ex) + ip.length - 1 - (all.length - trimmed.length);
  return { digits: trimmed.replace(/0+$/, '') || '0', exp };
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * Shortest decimal that reads back as this float (positive, finite), the closest one among
 * those of that length, ties to an even last digit; a one-digit result is replaced by the
 * closest of one or two digits (Java's Float.toString since JDK 19).
 */
function shortestFloat(abs: number): { digits: string; exp: number } {
  f32[0] = abs;
  const bits = u32[0];
  const be = bits >>> 23;
  const frac = bits & 0x7fffff;
  const m = BigInt(be === 0 ? frac : frac | 0x800000);
  const e = be === 0 ? -149 : be - 150; // abs = m * 2^e exactly
  const distance = (n: bigint, q: number, b: number): bigint => {
    // |n*10^q - m*2^e| scaled by 2^max(0,-e) * 10^b (b >= -q), exact
    const a = Math.max(0, -e);
    const x = m * 2n ** BigInt(e + a) * 10n ** BigInt(b);
    const d = n * 10n ** BigInt(q + b) * 2n ** BigInt(a);
    return d > x ? d - x : x - d;
  };
  const candidates = (len: number): { ok: bigint[]; q: number } => {
    const [mant, ex] = abs.toExponential(len - 1).split('e');
    const n0 = BigInt(mant.replace('.', ''));
    const q = Number(ex) - (len - 1);
    return { ok: [n0 - 1n, n0, n0 + 1n].filter((n) => n > 0n && Math.fround(Number(`${n}e${q}`)) === abs), q };
  };
  for (let len = 1; len <= 9; len++) {
    // When one digit is enough, Java picks the closest decimal of one or two digits; the
    // two-digit candidates include the one-digit ones (times ten).
    const { ok, q } = candidates(len === 1 && candidates(1).ok.length > 0 ? 2 : len);
    if (ok.length === 0) continue;
    let best = ok[0];
    const b = Math.max(0, -q);
    for (const n of ok.slice(1)) {
      const c = distance(n, q, b) - distance(best, q, b);
      if (c < 0n || (c === 0n && n % 2n === 0n)) best = n;
    }
    const raw = best.toString();
    const digits = raw.replace(/0+$/, '') || '0';
    return { digits, exp: q + raw.length - 1 };
  }
  return shortestDouble(abs);
}

/** Java's Double.toString / Float.toString (JDK 19+: shortest digits, at least two if one). */
export function javaFloatingToString(x: number, single: boolean): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  if (single) x = Math.fround(x);
  const abs = Math.abs(x);
  let { digits, exp } = single ? shortestFloat(abs) : shortestDouble(abs);
  if (!single && digits.length === 1) {
    // A one-digit shortest form: Java picks the closest decimal of one or two digits.
    const [mant, ex] = abs.toExponential(1).split('e');
    if (Number(abs.toExponential(1)) === abs) {
      digits = mant.replace('.', '').replace(/0+$/, '') || '0';
      exp = Number(ex);
    }
  }
  const sign = x < 0 ? '-' : '';
  if (abs >= 1e-3 && abs < 1e7) {
    if (exp >= 0) {
      const intPart = digits.length > exp + 1 ? digits.slice(0, exp + 1) : digits.padEnd(exp + 1, '0');
      const frac = digits.length > exp + 1 ? digits.slice(exp + 1) : '0';
      return `${sign}${intPart}.${frac}`;
    }
    return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  }
  return `${sign}${digits[0]}.${digits.length > 1 ? digits.slice(1) : '0'}E${exp}`;
}

function base64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}

/** How Java renders a value of a source type (identity, truncate, void). */
function humanValue(type: IcebergType, v: unknown): string {
  if (typeof type !== 'string') return String(v);
  switch (primitiveKind(type)) {
    case 'date':
      return humanDay(toInt(v, 'date'));
    case 'time':
      return localTimeToString(toBigInt(v, 'time') * 1000n);
    case 'timestamp': {
      const { days, nanoOfDay } = splitEpoch(toBigInt(v, 'timestamp'), 1_000_000n);
      return isoLocalDateTime(days, nanoOfDay);
    }
    case 'timestamptz': {
      const { days, nanoOfDay } = splitEpoch(toBigInt(v, 'timestamptz'), 1_000_000n);
      return isoLocalDateTime(days, nanoOfDay) + '+00:00';
    }
    case 'timestamp_ns': {
      const { days, nanoOfDay } = splitEpoch(toBigInt(v, 'timestamp_ns'), 1_000_000_000n);
      return isoLocalDateTime(days, nanoOfDay);
    }
    case 'timestamptz_ns': {
      const { days, nanoOfDay } = splitEpoch(toBigInt(v, 'timestamptz_ns'), 1_000_000_000n);
      return isoLocalDateTime(days, nanoOfDay) + '+00:00';
    }
    case 'binary':
    case 'fixed':
      return base64(toBytes(v, type));
    case 'uuid':
      return uuidCanonical(v, 'uuid');
    case 'decimal':
      return bigDecimalToString(toBigInt(v, type), decimalParams(type)!.scale);
    case 'float':
      return javaFloatingToString(v as number, true);
    case 'double':
      return javaFloatingToString(v as number, false);
    default:
      return String(v);
  }
}

/**
 * The human-readable form of a partition value (the result of `transform` on a value of
 * `sourceType`), as Iceberg Java's Transform.toHumanString gives it: "null" for null.
 */
export function humanString(transform: string | Transform, sourceType: IcebergType, value: unknown): string {
  if (value == null) return 'null';
  const t = asTransform(transform);
  switch (t.kind) {
    case 'year':
      return humanYear(value as number);
    case 'month':
      return humanMonth(value as number);
    case 'day':
      return humanDay(value as number);
    case 'hour':
      return humanHour(value as number);
    case 'bucket':
      return String(value);
    default:
      return humanValue(sourceType, value);
  }
}

const URL_SAFE = /^[A-Za-z0-9.\-*_]*$/;

/** java.net.URLEncoder.encode(s, UTF_8): unreserved a-zA-Z0-9.-*_, space → '+', rest %XX. */
export function javaUrlEncode(s: string): string {
  if (URL_SAFE.test(s)) return s;
  const bytes = utf8Transient(s);
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if ((b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a) || (b >= 0x30 && b <= 0x39) || b === 0x2e || b === 0x2d || b === 0x2a || b === 0x5f) {
      out += String.fromCharCode(b);
    } else if (b === 0x20) out += '+';
    else out += '%' + HEX[b].toUpperCase();
  }
  return out;
}

/**
 * The Hive-style path of a partition tuple, e.g. "ts_day=2024-01-02/id_bucket=3", exactly as
 * Iceberg Java's PartitionSpec.partitionToPath writes it (names and values URL-encoded).
 * `values` holds one transformed value per spec field, in spec order.
 */
export function partitionPath(spec: PartitionSpec, schema: Schema | StructType, values: readonly unknown[]): string {
  if (values.length !== spec.fields.length) {
    throw new Error(`partition tuple has ${values.length} values, spec ${spec['spec-id']} has ${spec.fields.length} fields`);
  }
  const parts: string[] = [];
  for (let i = 0; i < spec.fields.length; i++) {
    const f = spec.fields[i];
    const t = parseTransform(f.transform);
    let sourceType: IcebergType | undefined = findField(schema, f['source-id'])?.type;
    if (sourceType === undefined) {
      if (t.kind === 'identity' || t.kind === 'truncate') {
        throw new Error(`partition field ${f.name}: source field ${f['source-id']} is not in the schema`);
      }
      sourceType = 'int';
    }
    parts.push(`${javaUrlEncode(f.name)}=${javaUrlEncode(humanString(t, sourceType, values[i]))}`);
  }
  return parts.join('/');
}
