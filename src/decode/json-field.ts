// One top-level field of a plain JSON object, read from its bytes without building the object:
// what field routing needs to know before a batch takes the record straight from its text.
//
// The answer is the value JSON.parse + decodeJson would give for that key, or NOT_READ when the
// scan cannot promise that cheaply; the caller then parses the text as before. So the scan
// answers only for a text it has checked whole: valid UTF-8, one object, every value well formed,
// nothing after it. It says NOT_READ for anything whose parse it would have to imitate: a key with
// an escape (it could spell the field), a number with an exponent or of 100 characters or more
// (decodeJson refuses some of those, or turns them into bigints), a routed value that is not a
// plain string, a short integer, true, false or null, nesting deeper than 256. A key given twice
// answers its last value, as JSON.parse does.
import { StringCache, validUtf8 } from './string-cache.ts';

/** scanJsonField could not answer: parse the text. */
export const NOT_READ: unique symbol = Symbol('not read');

const QUOTE = 34;
const BACKSLASH = 92;
const MAX_DEPTH = 256;
const MAX_NUMBER = 100;

/**
 * The value of the top-level key `name` (its UTF-8 bytes) of the JSON object in b[start..]:
 * undefined when the object has no such key, NOT_READ when the text must be parsed to know.
 */
export function scanJsonField(b: Uint8Array, start: number, name: Uint8Array): unknown {
  const n = b.length;
  let p = ws(b, start, n);
  if (b[p] !== 123) return NOT_READ; // not an object
  p = ws(b, p + 1, n);
  let found: unknown = undefined;
  if (b[p] === 125) p++;
  else {
    for (;;) {
      if (b[p] !== QUOTE) return NOT_READ;
      const keyStart = p + 1;
      const keyEnd = plainString(b, keyStart, n);
      if (keyEnd < 0) return NOT_READ; // an escape, a control character, no closing quote, not UTF-8
      p = ws(b, keyEnd + 1, n);
      if (b[p] !== 58) return NOT_READ; // ':'
      p = ws(b, p + 1, n);
      const valueStart = p;
      // most members are a string: skipped here, without skipValue's containers
      p = b[p] === QUOTE ? skipString(b, p + 1, n) : skipValue(b, p, n);
      if (p < 0) return NOT_READ;
      if (sameKey(b, keyStart, keyEnd, name)) {
        found = scalar(b, valueStart, p);
        if (found === NOT_READ) return NOT_READ;
      }
      p = ws(b, p, n);
      if (b[p] === 44) {
        p = ws(b, p + 1, n);
        continue;
      }
      if (b[p] !== 125) return NOT_READ;
      p++;
      break;
    }
  }
  return ws(b, p, n) === n ? found : NOT_READ;
}

/** Past JSON white space (space, tab, line feed, carriage return). */
function ws(b: Uint8Array, p: number, n: number): number {
  while (p < n) {
    const c = b[p];
    if (c !== 32 && c !== 10 && c !== 13 && c !== 9) break;
    p++;
  }
  return p;
}

/**
 * What a byte is inside a JSON string (STRING_BYTE): 0 for most, so the scan of a string is one
 * load and one compare a byte; the rest are the closing quote, a backslash, a control character
 * (refused) and a byte of a multi-byte UTF-8 sequence (checked once the string ends).
 */
const PLAIN = 0;
const CLOSE = 1;
const ESCAPE = 2;
const CONTROL = 3;
const HIGH = 4;
const STRING_BYTE = new Uint8Array(256).map((_, c) => (c === QUOTE ? CLOSE : c === BACKSLASH ? ESCAPE : c < 32 ? CONTROL : c >= 0x80 ? HIGH : PLAIN));

/** The closing quote of a string whose text starts at p and holds no escape or control character, and is valid UTF-8; -1 otherwise. */
function plainString(b: Uint8Array, p: number, n: number): number {
  const from = p;
  let high = false;
  while (p < n) {
    const k = STRING_BYTE[b[p]];
    if (k !== PLAIN) {
      if (k === CLOSE) return !high || validUtf8(b, from, p) ? p : -1;
      if (k !== HIGH) return -1;
      high = true;
    }
    p++;
  }
  return -1;
}

/** Past the string whose text starts at p (escapes checked, valid UTF-8); -1 if it is not a valid JSON string. */
function skipString(b: Uint8Array, p: number, n: number): number {
  const from = p;
  let high = false;
  while (p < n) {
    const k = STRING_BYTE[b[p]];
    if (k === PLAIN) {
      p++;
      continue;
    }
    if (k === CLOSE) return !high || validUtf8(b, from, p) ? p + 1 : -1;
    if (k === HIGH) {
      high = true;
      p++;
      continue;
    }
    if (k === CONTROL) return -1;
    const e = b[p + 1]; // after a backslash
    if (e === 117) {
      // \uXXXX
      for (let i = p + 2; i < p + 6; i++) if (i >= n || !isHex(b[i])) return -1;
      p += 6;
      continue;
    }
    if (e !== QUOTE && e !== BACKSLASH && e !== 47 && e !== 98 && e !== 102 && e !== 110 && e !== 114 && e !== 116) return -1;
    p += 2;
  }
  return -1;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Past the number at p: -?(0|[1-9][0-9]*)(.[0-9]+)?, shorter than MAX_NUMBER; -1 for anything else (an exponent too). */
function skipNumber(b: Uint8Array, p: number, n: number): number {
  const from = p;
  if (b[p] === 45) p++;
  if (b[p] === 48) p++;
  else if (p < n && b[p] >= 49 && b[p] <= 57) while (p < n && isDigit(b[p])) p++;
  else return -1;
  if (b[p] === 46) {
    p++;
    if (!(p < n && isDigit(b[p]))) return -1;
    while (p < n && isDigit(b[p])) p++;
  }
  if (b[p] === 101 || b[p] === 69) return -1; // an exponent: decodeJson's range checks
  return p - from < MAX_NUMBER ? p : -1;
}

function literal(b: Uint8Array, p: number, word: readonly number[]): number {
  for (let i = 0; i < word.length; i++) if (b[p + i] !== word[i]) return -1;
  return p + word.length;
}
const TRUE = [116, 114, 117, 101];
const FALSE = [102, 97, 108, 115, 101];
const NULL = [110, 117, 108, 108];

/** Past the JSON value at p (white space before it already skipped); -1 if it is not well formed (or not read: see the header). */
function skipValue(b: Uint8Array, p: number, n: number): number {
  const c0 = b[p];
  if (c0 !== 123 && c0 !== 91) return skipScalar(b, p, n);
  // containers: a stack of what is open (1: object, 2: array)
  const open: number[] = [];
  for (;;) {
    // one value at p
    const c = b[p];
    if (c === QUOTE) p = skipString(b, p + 1, n);
    else if (c === 123 || c === 91) {
      if (open.length >= MAX_DEPTH) return -1;
      open.push(c === 123 ? 1 : 2);
      p = ws(b, p + 1, n);
      if (b[p] === (c === 123 ? 125 : 93)) {
        open.pop();
        p++;
      } else if (c === 123) {
        p = skipKey(b, p, n); // the first key
        if (p < 0) return -1;
        continue;
      } else continue; // the array's first value
    } else p = skipScalar(b, p, n);
    if (p < 0) return -1;
    // after a value: close containers, or go on to the next member
    for (;;) {
      if (open.length === 0) return p;
      p = ws(b, p, n);
      const inObject = open[open.length - 1] === 1;
      if (b[p] === 44) {
        p = ws(b, p + 1, n);
        if (inObject) {
          p = skipKey(b, p, n);
          if (p < 0) return -1;
        }
        break;
      }
      if (b[p] !== (inObject ? 125 : 93)) return -1;
      open.pop();
      p++;
    }
  }
}

/** Past the string, number, true, false or null at p; -1 if it is not one, well formed. */
function skipScalar(b: Uint8Array, p: number, n: number): number {
  const c = b[p];
  if (c === QUOTE) return skipString(b, p + 1, n);
  if (c === 116) return literal(b, p, TRUE);
  if (c === 102) return literal(b, p, FALSE);
  if (c === 110) return literal(b, p, NULL);
  return skipNumber(b, p, n);
}

/** Past a member's key, its ':' and the white space after it (the key's quote at p); -1 if they are not well formed. */
function skipKey(b: Uint8Array, p: number, n: number): number {
  if (b[p] !== QUOTE) return -1;
  p = skipString(b, p + 1, n);
  if (p < 0) return -1;
  p = ws(b, p, n);
  return b[p] === 58 ? ws(b, p + 1, n) : -1;
}

function sameKey(b: Uint8Array, start: number, end: number, name: Uint8Array): boolean {
  if (end - start !== name.length) return false;
  for (let i = 0; i < name.length; i++) if (b[start + i] !== name[i]) return false;
  return true;
}

/** Routed string values by their bytes: a routing field repeats a few values (tenants, types), each made a string once. */
const routedStrings = new StringCache();

/** The routed value in b[start, end) (a well-formed value): a plain string, a short integer, true, false or null; else NOT_READ. */
function scalar(b: Uint8Array, start: number, end: number): unknown {
  const c = b[start];
  if (c === QUOTE) {
    const close = plainString(b, start + 1, end);
    return close === end - 1 ? routedStrings.get(b, start + 1, close - start - 1) : NOT_READ;
  }
  if (c === 116) return true;
  if (c === 102) return false;
  if (c === 110) return null;
  // an integer of at most 15 digits is a double exactly; anything else as decodeJson reads it
  if (end - start <= 15 && (c === 45 || isDigit(c))) {
    for (let i = start + (c === 45 ? 1 : 0); i < end; i++) if (!isDigit(b[i])) return NOT_READ;
    const v = Number(Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1', start, end));
    return Object.is(v, -0) ? NOT_READ : v;
  }
  return NOT_READ;
}
