// Plain JSON payloads (no schema) and JSON Schema payloads.
//
// Integers beyond 2^53 must not lose digits: when the text has a run of 16 or more digits
// (the only way to write such an integer), it is parsed with a reviver that reads each number's
// source text and returns a bigint for integers outside the safe range; otherwise plain
// JSON.parse is used (the fast path; a reviver costs 2-3x). The same reviver refuses numbers
// beyond double's range (JSON.parse makes 1e400 Infinity and 1e-400 0): a dead letter, not a
// silently changed value. Invalid UTF-8 is refused too (decoding would make it U+FFFD).
import { Buffer, isUtf8 } from 'node:buffer';
import AjvModule from 'ajv';
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { ValidateFunction } from 'ajv';
import { DecodeError } from './decode-error.ts';
import type { IcebergType } from '../iceberg/types.ts';

type Reviver = (this: unknown, key: string, value: unknown, context: { source?: string }) => unknown;

let sawBigInt = false;
const INTEGER = /^-?\d+$/;
/** A number whose literal has non-zero digits before its exponent (underflow check). */
const NON_ZERO_MANTISSA = /^-?[0-9.]*[1-9]/;
const revive: Reviver = function (_key, value, context) {
  if (typeof value !== 'number' || context?.source === undefined) return value;
  const source = context.source;
  if (!Number.isFinite(value)) throw new DecodeError('invalid-payload', `the number ${source.slice(0, 40)} is out of a double's range`);
  if (value === 0 && NON_ZERO_MANTISSA.test(source)) throw new DecodeError('invalid-payload', `the number ${source.slice(0, 40)} is too small for a double (it would read as 0)`);
  if (!Number.isSafeInteger(value) && INTEGER.test(source)) {
    sawBigInt = true;
    return BigInt(source);
  }
  return value;
};
/**
 * Only an integer literal of 16+ digits (beyond 2^53), a run of 300 digits (a literal beyond
 * double's range, or one that underflows to 0) or a number with an exponent of 3 digits can
 * leave double's exact or finite range. A JSON number starts the text or follows ':', '[' or ','
 * (and white space), which tells it from digits in a string ("id": "3e854"). A double printed
 * with 16+ digits (0.30000000000000004) parses the same without the reviver.
 */
const LONG_DIGITS = /[:[,]\s*-?\d{16,}(?![.eE\d])|\d{300}/;
const BIG_EXPONENT = /[:[,]\s*-?\d+(?:\.\d+)?[eE][+-]?0*[1-9]\d{2}/;
/** A text that is one bare number (the reviver checks it). */
const BARE_NUMBER = /^\s*[-\d]/;
/** The cheap tests first (most texts pass neither). */
const DIGITS_16 = /\d{16}/;
const ANY_EXPONENT = /[eE][+-]?0*[1-9]\d{2}/;

/** The payload as text; invalid UTF-8 is a DecodeError (decoding would put U+FFFD in its place). */
function toText(bytes: Uint8Array, offset: number): string {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!isUtf8(buf.subarray(offset))) throw new DecodeError('invalid-payload', 'the JSON payload is not valid UTF-8');
  return buf.toString('utf8', offset);
}

/**
 * JSON text → value; integers outside ±(2^53-1) come back as bigint; a number out of double's
 * range (1e400) or one that would underflow to 0 (1e-400) is a DecodeError, never Infinity or 0.
 */
export function parseJsonText(text: string): unknown {
  try {
    const risky = (DIGITS_16.test(text) && (LONG_DIGITS.test(text) || BARE_NUMBER.test(text))) || (ANY_EXPONENT.test(text) && (BIG_EXPONENT.test(text) || BARE_NUMBER.test(text)));
    return risky ? JSON.parse(text, revive as never) : JSON.parse(text);
  } catch (e) {
    if (e instanceof DecodeError) throw e;
    throw new DecodeError('invalid-payload', `not JSON: ${(e as Error).message}`);
  }
}

/** A plain JSON record value (UTF-8 bytes) → JS value, int64-safe. */
export function decodeJson(bytes: Uint8Array, offset = 0): unknown {
  return parseJsonText(toText(bytes, offset));
}

/** Decodes the JSON text in bytes[offset..]. */
export type JsonSchemaDecoder = (bytes: Uint8Array, offset?: number) => unknown;

export interface JsonSchemaReference {
  name: string;
  schema: unknown;
}

type AjvLike = {
  addSchema(schema: unknown, key?: string): unknown;
  compile(schema: unknown): ValidateFunction;
  errorsText(errors?: unknown): string;
};
type AjvCtor = new (opts: object) => AjvLike;
const Ajv = ((AjvModule as unknown as { default?: AjvCtor }).default ?? AjvModule) as unknown as AjvCtor;
const Ajv2020 = ((Ajv2020Module as unknown as { default?: AjvCtor }).default ?? Ajv2020Module) as unknown as AjvCtor;
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as unknown as (ajv: AjvLike) => void;

function newAjv(schema: unknown): AjvLike {
  const draft = (schema as { $schema?: unknown } | null)?.$schema;
  const Ctor = typeof draft === 'string' && /2019-09|2020-12/.test(draft) ? Ajv2020 : Ajv;
  const ajv = new Ctor({ strict: false, allErrors: false, validateFormats: true });
  addFormats(ajv);
  return ajv;
}

/**
 * Where an integer literal too long for a double (parsed as a bigint) must be a double anyway:
 * a float or double column, at any depth. A producer writing a long into a JSON Schema
 * "number" writes such literals.
 */
function bigintsToDoubles(v: unknown, t: IcebergType): unknown {
  if (typeof v === 'bigint') {
    if (t !== 'double' && t !== 'float') return v;
    const n = t === 'float' ? Math.fround(Number(v)) : Number(v);
    if (BigInt(n) !== v) throw new DecodeError('invalid-payload', `the integer ${v} cannot be held exactly by a ${t} column`);
    return n;
  }
  if (v === null || typeof v !== 'object' || typeof t === 'string') return v;
  if (t.type === 'struct') {
    const o = v as Record<string, unknown>;
    for (const f of t.fields) if (o[f.name] !== undefined) o[f.name] = bigintsToDoubles(o[f.name], f.type);
  } else if (t.type === 'list') {
    if (Array.isArray(v)) for (let i = 0; i < v.length; i++) v[i] = bigintsToDoubles(v[i], t.element);
  } else {
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) o[k] = bigintsToDoubles(o[k], t.value);
  }
  return v;
}

/**
 * Compiles a decoder that parses a JSON payload and validates it against `schema` (with the
 * schemas it references, keyed by reference name). The value is returned as parsed: the batch
 * builder takes RFC 3339 strings for timestamptz, "YYYY-MM-DD" for date, objects for maps.
 * `type`, the Iceberg type of the value, turns integers beyond 2^53 in double columns into
 * numbers (elsewhere they stay bigints, for long columns).
 */
export function compileJsonSchemaDecoder(schema: unknown, references: readonly JsonSchemaReference[] = [], type?: IcebergType): JsonSchemaDecoder {
  let validate: ValidateFunction;
  const ajv = newAjv(schema);
  try {
    for (const r of references) ajv.addSchema(r.schema, r.name);
    validate = ajv.compile(schema);
  } catch (e) {
    throw new DecodeError('unsupported-schema', `JSON Schema does not compile: ${(e as Error).message}`, { cause: e });
  }
  return function decodeJsonSchema(bytes: Uint8Array, offset = 0): unknown {
    const text = toText(bytes, offset);
    sawBigInt = false;
    const value = parseJsonText(text);
    // ajv knows no bigint: validate a plain parse (same structure, big integers rounded).
    const checked = sawBigInt ? JSON.parse(text) : value;
    if (!validate(checked)) {
      throw new DecodeError('schema-validation', `JSON does not match its schema: ${ajv.errorsText(validate.errors)}`);
    }
    return checked !== value && type !== undefined ? bigintsToDoubles(value, type) : value;
  };
}
