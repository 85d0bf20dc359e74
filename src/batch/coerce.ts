// Which JS values each Iceberg primitive type accepts, and how they are stored.
//
// A writer validates one value and appends it to its leaf column. It returns undefined when
// the value was taken, or a reason ('' when the JS type simply does not fit) when it was not;
// the record builder turns a reason into a ValueError naming the table and column.
//
//   boolean          boolean
//   int              integer number in int32 range
//   long             bigint in int64 range, or a safe-integer number
//   float, double    number (NaN and ±Infinity allowed); float is rounded to float32; a bigint
//                    (an integer literal beyond 2^53 from the JSON parser) only when the column
//                    holds it exactly (2^60 yes, 2^60 + 1 no: a changed value is refused)
//   decimal(P,S)     string "-12.30" (no exponent), number, or bigint = the unscaled value;
//                    more than S fraction digits or more than P digits is an error (no rounding)
//   date             "YYYY-MM-DD", Date (its UTC day), or number of days since 1970-01-01
//   time             "HH:MM:SS[.ffffff]", or bigint/number of microseconds since midnight
//   timestamp        Date, string "YYYY-MM-DDTHH:MM:SS[.ffffff]" without offset, or
//                    bigint/number of microseconds since the epoch
//   timestamptz      Date, RFC 3339 string with "Z" or "±HH:MM", or bigint/number micros
//   timestamp(tz)_ns the same, in nanoseconds (numbers and bigints are nanoseconds)
//   string           string
//   uuid             canonical string (either case) or 16-byte Uint8Array
//   fixed[L]         Uint8Array of exactly L bytes
//   binary           Uint8Array (Buffer included)

import type { PrimitiveType } from '../iceberg/types.ts';
import { decimalParams, decimalRequiredBytes, fixedLength, primitiveKind } from '../iceberg/types.ts';
import type { LeafKind } from './column-batch.ts';
import type { LeafBuilder } from './leaf-builder.ts';

export type ValueWriter = (leaf: LeafBuilder, v: unknown) => string | undefined;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Storage of a primitive type: leaf kind and fixed width. */
export function storageOf(type: PrimitiveType): { kind: LeafKind; width: number } {
  const k = primitiveKind(type);
  switch (k) {
    case 'boolean':
      return { kind: 'boolean', width: 0 };
    case 'int':
    case 'date':
      return { kind: 'int32', width: 0 };
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns':
      return { kind: 'int64', width: 0 };
    case 'float':
      return { kind: 'float', width: 0 };
    case 'double':
      return { kind: 'double', width: 0 };
    case 'string':
    case 'binary':
      return { kind: 'bytes', width: 0 };
    case 'uuid':
      return { kind: 'fixed', width: 16 };
    case 'fixed':
      return { kind: 'fixed', width: fixedLength(type)! };
    case 'decimal': {
      const p = decimalParams(type)!.precision;
      if (p <= 9) return { kind: 'int32', width: 0 };
      if (p <= 18) return { kind: 'int64', width: 0 };
      return { kind: 'fixed', width: decimalRequiredBytes(p) };
    }
  }
}

export function valueWriter(type: PrimitiveType): ValueWriter {
  const k = primitiveKind(type);
  switch (k) {
    case 'boolean':
      return (leaf, v) => {
        if (typeof v !== 'boolean') return '';
        leaf.pushBoolean(v);
        return undefined;
      };
    case 'int':
      return (leaf, v) => {
        if (typeof v !== 'number') return '';
        if ((v | 0) !== v) return Number.isInteger(v) ? 'out of int32 range' : 'not an integer';
        leaf.pushInt32(v);
        return undefined;
      };
    case 'long':
      return writeInt64;
    case 'float':
      return (leaf, v) => {
        if (typeof v === 'number') leaf.pushFloat(v);
        else if (typeof v === 'bigint') {
          const n = Math.fround(Number(v));
          if (BigInt(n) !== v) return `the integer ${v} cannot be held exactly by a float column`;
          leaf.pushFloat(n);
        } else return '';
        return undefined;
      };
    case 'double':
      return (leaf, v) => {
        if (typeof v === 'number') leaf.pushDouble(v);
        else if (typeof v === 'bigint') {
          const n = Number(v);
          if (BigInt(n) !== v) return `the integer ${v} cannot be held exactly by a double column`;
          leaf.pushDouble(n);
        } else return '';
        return undefined;
      };
    case 'string':
      return (leaf, v) => {
        if (typeof v !== 'string') return '';
        leaf.pushString(v);
        return undefined;
      };
    case 'binary':
      return (leaf, v) => {
        if (!(v instanceof Uint8Array)) return '';
        leaf.pushBytes(v);
        return undefined;
      };
    case 'fixed': {
      const len = fixedLength(type)!;
      return (leaf, v) => {
        if (!(v instanceof Uint8Array)) return '';
        if (v.length !== len) return `${v.length} bytes instead of ${len}`;
        leaf.pushFixed(v);
        return undefined;
      };
    }
    case 'uuid':
      return writeUuid;
    case 'date':
      return writeDate;
    case 'time':
      return writeTime;
    case 'timestamp':
      return timestampWriter(false, 1e6);
    case 'timestamptz':
      return timestampWriter(true, 1e6);
    case 'timestamp_ns':
      return timestampWriter(false, 1e9);
    case 'timestamptz_ns':
      return timestampWriter(true, 1e9);
    case 'decimal':
      return decimalWriter(type);
  }
}

function writeInt64(leaf: LeafBuilder, v: unknown): string | undefined {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) return Number.isInteger(v) ? 'not a safe integer; pass a bigint' : 'not an integer';
    leaf.pushInt64Number(v);
    return undefined;
  }
  if (typeof v === 'bigint') {
    if (v < INT64_MIN || v > INT64_MAX) return 'out of int64 range';
    leaf.pushInt64BigInt(v);
    return undefined;
  }
  return '';
}

// ---- uuid ----

const HEX = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX[48 + i] = i;
for (let i = 0; i < 6; i++) HEX[97 + i] = HEX[65 + i] = 10 + i;
/** Index in the canonical string of each byte's first hex digit. */
const UUID_POS = Int8Array.from([0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34]);

function writeUuid(leaf: LeafBuilder, v: unknown): string | undefined {
  if (v instanceof Uint8Array) {
    if (v.length !== 16) return `${v.length} bytes instead of 16`;
    leaf.pushFixed(v);
    return undefined;
  }
  if (typeof v !== 'string') return '';
  if (v.length !== 36 || v.charCodeAt(8) !== 45 || v.charCodeAt(13) !== 45 || v.charCodeAt(18) !== 45 || v.charCodeAt(23) !== 45) {
    return 'not a canonical UUID';
  }
  const at = leaf.fixedSlot();
  const out = leaf.u8;
  let bad = 0;
  for (let j = 0; j < 16; j++) {
    const p = UUID_POS[j];
    const c1 = v.charCodeAt(p);
    const c2 = v.charCodeAt(p + 1);
    const hi = c1 < 128 ? HEX[c1] : -1;
    const lo = c2 < 128 ? HEX[c2] : -1;
    bad |= hi | lo;
    out[at + j] = (hi << 4) | lo;
  }
  if (bad < 0) {
    leaf.byteLength -= 16;
    leaf.valueCount--;
    return 'not a canonical UUID';
  }
  return undefined;
}

// ---- dates and times ----

/** Days since 1970-01-01 of a proleptic Gregorian date. */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function validDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const dim = m === 2 ? (leap ? 29 : 28) : m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
  return d <= dim;
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

function writeDate(leaf: LeafBuilder, v: unknown): string | undefined {
  if (typeof v === 'string') {
    const m = DATE_RE.exec(v);
    if (!m) return 'not a YYYY-MM-DD date';
    const y = +m[1],
      mo = +m[2],
      d = +m[3];
    if (!validDate(y, mo, d)) return 'no such date';
    leaf.pushInt32(daysFromCivil(y, mo, d));
    return undefined;
  }
  if (v instanceof Date) {
    const ms = v.getTime();
    if (Number.isNaN(ms)) return 'invalid Date';
    leaf.pushInt32(Math.floor(ms / 86400000));
    return undefined;
  }
  if (typeof v === 'number') {
    if ((v | 0) !== v) return 'not an int32 day number';
    leaf.pushInt32(v);
    return undefined;
  }
  return '';
}

const TIME_RE = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;
const MICROS_PER_DAY = 86400000000;

/** Fraction digits → units of 10^-digitsWanted; undefined if non-zero digits would be lost. */
function fraction(f: string | undefined, digits: number): number | undefined {
  if (f === undefined) return 0;
  if (f.length > digits) {
    for (let i = digits; i < f.length; i++) if (f.charCodeAt(i) !== 48) return undefined;
    f = f.slice(0, digits);
  }
  return Number(f.padEnd(digits, '0'));
}

function writeTime(leaf: LeafBuilder, v: unknown): string | undefined {
  let micros: number;
  if (typeof v === 'string') {
    const m = TIME_RE.exec(v);
    if (!m) return 'not an HH:MM:SS[.ffffff] time';
    const h = +m[1],
      mi = +m[2],
      s = +m[3];
    if (h > 23 || mi > 59 || s > 59) return 'no such time';
    const f = fraction(m[4], 6);
    if (f === undefined) return 'finer than microseconds';
    micros = ((h * 60 + mi) * 60 + s) * 1e6 + f;
  } else if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) return 'not an integer';
    micros = v;
  } else if (typeof v === 'bigint') {
    if (v < 0n || v >= BigInt(MICROS_PER_DAY)) return 'outside 00:00:00–23:59:59.999999';
    micros = Number(v);
  } else return '';
  if (micros < 0 || micros >= MICROS_PER_DAY) return 'outside 00:00:00–23:59:59.999999';
  leaf.pushInt64Number(micros);
  return undefined;
}

const TS_RE = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))?$/;

const d2 = (s: string, i: number): number => {
  const a = s.charCodeAt(i) - 48,
    b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
};

/** Common shape "YYYY-MM-DDTHH:MM:SS[.f…][Z|±HH:MM]" by hand (no regex, no allocation). */
function fastTimestamp(v: string, withZone: boolean, unitDigits: number): [number, number] | undefined {
  const n = v.length;
  if (n < 19 || v.charCodeAt(4) !== 45 || v.charCodeAt(7) !== 45 || v.charCodeAt(13) !== 58 || v.charCodeAt(16) !== 58) return undefined;
  const t = v.charCodeAt(10);
  if (t !== 84 && t !== 116 && t !== 32) return undefined;
  const y1 = d2(v, 0),
    y2 = d2(v, 2),
    mo = d2(v, 5),
    d = d2(v, 8),
    h = d2(v, 11),
    mi = d2(v, 14),
    s = d2(v, 17);
  if (y1 < 0 || y2 < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || s < 0) return undefined;
  let i = 19;
  let frac = 0;
  let digits = 0;
  if (i < n && v.charCodeAt(i) === 46) {
    i++;
    for (; i < n; i++) {
      const c = v.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      if (digits < unitDigits) frac = frac * 10 + c;
      else if (c !== 0) return undefined; // let the slow path name the problem
      digits++;
    }
    if (digits === 0 || digits > 9) return undefined;
    for (let k = digits; k < unitDigits; k++) frac *= 10;
  }
  let offsetSec = 0;
  if (i === n) {
    if (withZone) return undefined;
  } else {
    if (!withZone) return undefined;
    const c = v.charCodeAt(i);
    if ((c === 90 || c === 122) && i + 1 === n) offsetSec = 0;
    else if ((c === 43 || c === 45) && i + 6 === n && v.charCodeAt(i + 3) === 58) {
      const oh = d2(v, i + 1),
        om = d2(v, i + 4);
      if (oh < 0 || om < 0 || oh > 23 || om > 59) return undefined;
      offsetSec = (oh * 60 + om) * 60 * (c === 45 ? -1 : 1);
    } else return undefined;
  }
  const y = y1 * 100 + y2;
  if (!validDate(y, mo, d) || h > 23 || mi > 59 || s > 59) return undefined;
  return [daysFromCivil(y, mo, d) * 86400 + (h * 60 + mi) * 60 + s - offsetSec, frac];
}

/** Parse a timestamp string into [seconds since epoch, fraction in units]; or a reason. */
function parseTimestamp(v: string, withZone: boolean, unitDigits: number): [number, number] | string {
  const fast = fastTimestamp(v, withZone, unitDigits);
  if (fast !== undefined) return fast;
  const m = TS_RE.exec(v);
  if (!m) return withZone ? 'not an RFC 3339 timestamp with offset' : 'not a YYYY-MM-DDTHH:MM:SS[.ffffff] timestamp';
  const hasOffset = m[8] !== undefined || m[9] !== undefined;
  if (withZone && !hasOffset) return 'timestamptz needs an offset (Z or ±HH:MM)';
  if (!withZone && hasOffset) return 'timestamp without zone takes no offset';
  const y = +m[1],
    mo = +m[2],
    d = +m[3],
    h = +m[4],
    mi = +m[5],
    s = +m[6];
  if (!validDate(y, mo, d) || h > 23 || mi > 59 || s > 59) return 'no such date or time';
  const f = fraction(m[7], unitDigits);
  if (f === undefined) return unitDigits === 6 ? 'finer than microseconds' : 'finer than nanoseconds';
  let offsetSec = 0;
  if (m[9] !== undefined) {
    const oh = +m[10],
      om = +m[11];
    if (oh > 23 || om > 59) return 'bad offset';
    offsetSec = (oh * 60 + om) * 60 * (m[9] === '-' ? -1 : 1);
  }
  return [daysFromCivil(y, mo, d) * 86400 + (h * 60 + mi) * 60 + s - offsetSec, f];
}

function timestampWriter(withZone: boolean, unitsPerSecond: number): ValueWriter {
  const unitDigits = unitsPerSecond === 1e6 ? 6 : 9;
  const big = BigInt(unitsPerSecond);
  const unitsPerMs = unitsPerSecond / 1000;
  return (leaf, v) => {
    if (v instanceof Date) {
      const ms = v.getTime();
      if (Number.isNaN(ms)) return 'invalid Date';
      const u = ms * unitsPerMs;
      if (Number.isSafeInteger(u)) leaf.pushInt64Number(u);
      else leaf.pushInt64BigInt(BigInt(ms) * BigInt(unitsPerMs));
      return undefined;
    }
    if (typeof v === 'string') {
      const r = parseTimestamp(v, withZone, unitDigits);
      if (typeof r === 'string') return r;
      const u = r[0] * unitsPerSecond + r[1];
      if (Number.isSafeInteger(u)) leaf.pushInt64Number(u);
      else {
        const b = BigInt(r[0]) * big + BigInt(r[1]);
        if (b < INT64_MIN || b > INT64_MAX) return 'out of range';
        leaf.pushInt64BigInt(b);
      }
      return undefined;
    }
    return writeInt64(leaf, v);
  };
}

// ---- decimals ----

const DEC_RE = /^([+-]?)(\d*)(?:\.(\d*))?$/;

function decimalWriter(type: PrimitiveType): ValueWriter {
  const { precision, scale } = decimalParams(type)!;
  const { kind, width } = storageOf(type);
  const pow = 10 ** scale;
  const limitNum = 10 ** precision; // exact for precision <= 22
  const limitBig = 10n ** BigInt(precision);
  const tooMany = `more than ${precision} digits`;

  const store = (leaf: LeafBuilder, u: number | bigint): string | undefined => {
    if (typeof u === 'number') {
      if (!(Math.abs(u) < limitNum)) return tooMany;
      if (kind === 'int32') leaf.pushInt32(u);
      else if (kind === 'int64') leaf.pushInt64Number(u);
      else writeFixedTwosComplement(leaf, BigInt(u), width);
      return undefined;
    }
    if (u <= -limitBig || u >= limitBig) return tooMany;
    if (kind === 'int32') leaf.pushInt32(Number(u));
    else if (kind === 'int64') leaf.pushInt64BigInt(u);
    else writeFixedTwosComplement(leaf, u, width);
    return undefined;
  };

  const fromString = (s: string): number | bigint | string => {
    const m = DEC_RE.exec(s);
    if (!m || (m[2] === '' && !m[3])) return 'not a decimal number';
    let frac = m[3] ?? '';
    if (frac.length > scale) {
      for (let i = scale; i < frac.length; i++) if (frac.charCodeAt(i) !== 48) return `more than ${scale} fraction digits`;
      frac = frac.slice(0, scale);
    }
    const digits = (m[2] || '0') + frac.padEnd(scale, '0');
    const neg = m[1] === '-';
    if (digits.length <= 15) {
      const n = Number(digits);
      return neg ? -n : n;
    }
    const b = BigInt(digits);
    return neg ? -b : b;
  };

  return (leaf, v) => {
    if (typeof v === 'string') {
      const u = fromString(v);
      return typeof u === 'string' ? u : store(leaf, u);
    }
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return 'not finite';
      if (scale <= 15) {
        const k = Math.round(v * pow);
        if (Number.isSafeInteger(k)) {
          if (k / pow !== v) return `more than ${scale} fraction digits`;
          return store(leaf, k === 0 ? 0 : k);
        }
      }
      const s = String(v);
      if (/e/i.test(s)) return 'not exactly representable; pass a string';
      const u = fromString(s);
      return typeof u === 'string' ? u : store(leaf, u);
    }
    if (typeof v === 'bigint') return store(leaf, v);
    return '';
  };
}

function writeFixedTwosComplement(leaf: LeafBuilder, u: bigint, width: number): void {
  const at = leaf.fixedSlot();
  const out = leaf.u8;
  let x = BigInt.asUintN(width * 8, u);
  for (let i = width - 1; i >= 0; i--) {
    out[at + i] = Number(x & 0xffn);
    x >>= 8n;
  }
}
