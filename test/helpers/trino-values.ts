// Trino's JSON result values → the canonical forms of readers.ts, chosen by the column's type, so
// Trino's rows compare with PyIceberg's, DuckDB's and Spark's and with what a test wrote:
//   boolean "true"/"false"; tinyint..bigint decimal string (lossless); real the float32 widened,
//   Python repr; double Python repr ("nan", "inf", "-inf", "-0.0"); decimal as Trino prints it
//   (s fraction digits); date "YYYY-MM-DD"; time(6) "HH:MM:SS.ffffff"; timestamp(6)
//   "YYYY-MM-DDTHH:MM:SS.ffffff"; timestamp(6) with time zone the same + "+00:00" (the session's
//   zone must be UTC); varchar and uuid as is; varbinary lower-case hex (Trino sends base64);
//   row {name: value}; array [..]; map [[k, v], ...] in Trino's order; null null.
// Result rows are parsed by parseDataLossless: numbers keep their source text (a bigint above
// 2^53 would lose digits in JSON.parse) and objects keep their key order (a JS object moves
// integer-like keys first), so map entries stay in the order Trino sent them.
import type { CanonicalValue } from './readers.ts';

/** Trino's description of a column's type (the `typeSignature` of a result column). */
export interface TypeSignature {
  rawType: string;
  arguments: { kind: string; value: unknown }[];
}

/** A value of parseDataLossless: a number is its source text, an object a Map in key order. */
export type LosslessJson = null | boolean | string | LosslessJson[] | Map<string, LosslessJson>;

/** Parses JSON text; numbers come back as their source text, objects as Maps in key order. */
export function parseDataLossless(text: string): LosslessJson {
  let at = 0;
  const fail = (what: string): never => {
    throw new Error(`bad JSON at ${at}: ${what} (${text.slice(Math.max(0, at - 20), at + 20)})`);
  };
  const space = () => {
    while (at < text.length && ' \t\n\r'.includes(text[at])) at++;
  };
  const value = (): LosslessJson => {
    space();
    const c = text[at];
    if (c === '{') {
      at++;
      const out = new Map<string, LosslessJson>();
      space();
      if (text[at] === '}') {
        at++;
        return out;
      }
      for (;;) {
        space();
        if (text[at] !== '"') fail('expected a key');
        const key = string();
        space();
        if (text[at++] !== ':') fail('expected ":"');
        out.set(key, value());
        space();
        const sep = text[at++];
        if (sep === '}') return out;
        if (sep !== ',') fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      at++;
      const out: LosslessJson[] = [];
      space();
      if (text[at] === ']') {
        at++;
        return out;
      }
      for (;;) {
        out.push(value());
        space();
        const sep = text[at++];
        if (sep === ']') return out;
        if (sep !== ',') fail('expected "," or "]"');
      }
    }
    if (c === '"') return string();
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(word, at)) {
        at += word.length;
        return v;
      }
    }
    const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(at, at + 64));
    if (!m) fail('unexpected character');
    at += m![0].length;
    return m![0];
  };
  const string = (): string => {
    const start = at;
    at++;
    while (text[at] !== '"') {
      if (text[at] === '\\') at++;
      if (++at > text.length) fail('unterminated string');
    }
    at++;
    return JSON.parse(text.slice(start, at)) as string;
  };
  const out = value();
  space();
  if (at !== text.length) fail('trailing characters');
  return out;
}

/** Python's repr() of a double: shortest round-trip digits, exponent form below 1e-4 and from 1e16. */
export function pythonFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa, e] = x.toExponential().split('e'); // shortest digits that read back as x
  const exp = Number(e);
  const sign = x < 0 ? '-' : '';
  const digits = mantissa.replace('-', '').replace('.', '');
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return `${sign}${digits}${'0'.repeat(exp + 1 - digits.length)}.0`;
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

function floating(v: LosslessJson, float32: boolean): string {
  if (v === 'NaN') return 'nan';
  if (v === 'Infinity') return 'inf';
  if (v === '-Infinity') return '-inf';
  const x = Number(v);
  return pythonFloatRepr(float32 ? Math.fround(x) : x);
}

function utcTimestamp(v: string): string {
  const m = /^(\d{4,}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?) (UTC|Z|\+00:00)$/.exec(v);
  if (!m) throw new Error(`timestamp with time zone ${JSON.stringify(v)} is not in UTC: set the session's time zone to UTC`);
  return `${m[1]}T${m[2]}+00:00`;
}

const typeArg = (t: TypeSignature, i: number) => t.arguments[i].value as TypeSignature;

/** A Trino result value (from parseDataLossless) in the canonical form for its column's type. */
export function canonicalTrinoValue(type: TypeSignature, v: LosslessJson): CanonicalValue {
  if (v === null) return null;
  switch (type.rawType) {
    case 'boolean':
      return String(v);
    case 'real':
      return floating(v, true);
    case 'double':
      return floating(v, false);
    case 'varbinary':
      return Buffer.from(v as string, 'base64').toString('hex');
    case 'timestamp':
      return (v as string).replace(' ', 'T');
    case 'timestamp with time zone':
      return utcTimestamp(v as string);
    case 'array':
      return (v as LosslessJson[]).map((x) => canonicalTrinoValue(typeArg(type, 0), x));
    case 'map':
      return [...(v as Map<string, LosslessJson>)].map(([k, x]) => [canonicalTrinoValue(typeArg(type, 0), k), canonicalTrinoValue(typeArg(type, 1), x)]);
    case 'row': {
      const out: { [name: string]: CanonicalValue } = {};
      type.arguments.forEach((a, i) => {
        const f = a.value as { fieldName?: { name: string }; typeSignature: TypeSignature };
        out[f.fieldName?.name ?? `field${i}`] = canonicalTrinoValue(f.typeSignature, (v as LosslessJson[])[i]);
      });
      return out;
    }
    default:
      // integers (source text), decimal, varchar, char, date, time, uuid, json: as Trino sends them
      if (typeof v === 'string') return v;
      return JSON.stringify(v);
  }
}
