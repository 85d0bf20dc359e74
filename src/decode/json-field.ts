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
import { validUtf8 } from './string-cache.ts';

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
  if (!validUtf8(b, start, n)) return NOT_READ;
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
      if (keyEnd < 0) return NOT_READ; // an escape, a control character, no closing quote
      p = ws(b, keyEnd + 1, n);
      if (b[p] !== 58) return NOT_READ; // ':'
      p = ws(b, p + 1, n);
      const valueStart = p;
      p = skipValue(b, p, n);
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

/** The closing quote of a string whose text starts at p and holds no escape or control character; -1 otherwise. */
function plainString(b: Uint8Array, p: number, n: number): number {
  while (p < n) {
    const c = b[p];
    if (c === QUOTE) return p;
    if (c === BACKSLASH || c < 32) return -1;
    p++;
  }
  return -1;
}

/** Past the string whose text starts at p (escapes checked); -1 if it is not a valid JSON string. */
function skipString(b: Uint8Array, p: number, n: number): number {
  while (p < n) {
    const c = b[p];
    if (c === QUOTE) return p + 1;
    if (c < 32) return -1;
    if (c === BACKSLASH) {
      const e = b[p + 1];
      if (e === 117) {
        // \uXXXX
        for (let i = p + 2; i < p + 6; i++) if (i >= n || !isHex(b[i])) return -1;
        p += 6;
        continue;
      }
      if (e !== QUOTE && e !== BACKSLASH && e !== 47 && e !== 98 && e !== 102 && e !== 110 && e !== 114 && e !== 116) return -1;
      p += 2;
      continue;
    }
    p++;
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
  // containers: a stack of what is open (1: object, 2: array); `expectKey` after '{' or ',' in an object
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
    } else if (c === 116) p = literal(b, p, TRUE);
    else if (c === 102) p = literal(b, p, FALSE);
    else if (c === 110) p = literal(b, p, NULL);
    else p = skipNumber(b, p, n);
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

/** The routed value in b[start, end) (a well-formed value): a plain string, a short integer, true, false or null; else NOT_READ. */
function scalar(b: Uint8Array, start: number, end: number): unknown {
  const c = b[start];
  if (c === QUOTE) {
    const close = plainString(b, start + 1, end);
    return close === end - 1 ? Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8', start + 1, close) : NOT_READ;
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
