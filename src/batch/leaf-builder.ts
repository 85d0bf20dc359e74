// One Parquet leaf column being built: Dremel levels plus densely packed values on growable
// typed arrays. String columns keep a dictionary (JS string → index) while it stays small,
// which is both the cheapest way to store repeated strings and what the Parquet writer
// wants; past the limits the column falls back to plain UTF-8 bytes. A string may also come as
// UTF-8 bytes (pushUtf8, pushJsonString): the dictionary then finds its entry by those bytes,
// without making the JS string, and a match by bytes is only taken where it is the entry
// pushString of the decoded string would find (dictFlags).
//
// Every append can be undone back to the last mark() (a record that fails validation halfway
// leaves no trace).

import type { PrimitiveType } from '../iceberg/types.ts';
import type { LeafColumn, LeafKind } from './column-batch.ts';
import { grow } from './growable.ts';
import { validUtf8 } from '../decode/string-cache.ts';

/** A dictionary is abandoned beyond this many entries or bytes (Parquet's usual 1 MiB page). */
export const DICT_MAX_ENTRIES = 1 << 16;
export const DICT_MAX_BYTES = 1 << 20;
/** Past this many entries, a dictionary holding more than half the values as distinct entries is dropped. */
export const DICT_PROBE = 4096;
/**
 * A batch that kept its dictionary with more than half its values distinct (at least this many
 * values), or gave it up, starts the next DICT_REST batches without one (ids, URLs with ids: a
 * small batch never reaches DICT_PROBE, and every value would be a new entry); then it tries again.
 */
const DICT_JUDGED_MIN = 64;
const DICT_REST = 8;
/** Values a leaf starts a batch with room for (it grows by doubling; a batch starts at the size of the last one). */
const START_CAPACITY = 32;

/** Slots of the byte-keyed lookup in front of a string dictionary (pushUtf8). */
const UTF8_SLOTS = 2048;
/** Slots of pushJsonString's guess: the entry last read with the same 4 bytes past the dictionary's common prefix. */
const GUESS_SLOTS = 256;
/** pushJsonString keys its guess by bytes at most this far into the string. */
const GUESS_MAX_AT = 32;
/** Per dictionary entry (dictFlags): its bytes are its string's UTF-8 and nothing else's (no lone surrogate). */
const WELL_FORMED = 1;
/** Per dictionary entry: its bytes need no escape in JSON (no '"', '\\' or control character), and it is WELL_FORMED. */
const JSON_PLAIN = 2;

type Utf8Slicer = { utf8Slice(this: Uint8Array, start: number, end: number): string };
const nativeSlice = (Buffer.prototype as unknown as Partial<Utf8Slicer>).utf8Slice;

/** UTF-8 bytes [start, end) of any Uint8Array as a string. */
const utf8: (buf: Uint8Array, start: number, end: number) => string =
  typeof nativeSlice === 'function'
    ? (buf, start, end) => nativeSlice.call(buf, start, end)
    : (buf, start, end) => Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('utf8', start, end);

export interface LeafSpec {
  fieldId: number;
  columnPath: string;
  parquetPath: string[];
  type: PrimitiveType;
  kind: LeafKind;
  width: number;
  maxDef: number;
  maxRep: number;
  /** Keep a dictionary for this 'bytes' column (strings). */
  dictionary: boolean;
}

export class LeafBuilder {
  readonly spec: LeafSpec;
  readonly maxDef: number;
  readonly maxRep: number;
  levelCount = 0;
  def: Uint8Array;
  rep: Uint8Array;
  valueCount = 0;
  // values by kind
  u8: Uint8Array = new Uint8Array(0); // boolean values, fixed bytes, plain byte data
  byteLength = 0; // used bytes of u8 for 'bytes' and 'fixed'
  u8Buf: Buffer = Buffer.alloc(0); // Buffer view of u8 (plain strings)
  dictBuf: Buffer = Buffer.alloc(0); // Buffer view of dictData
  i32: Int32Array = new Int32Array(0); // int32 values, or int64 halves (view over i64)
  i64: BigInt64Array = new BigInt64Array(0);
  f32: Float32Array = new Float32Array(0);
  f64: Float64Array = new Float64Array(0);
  offsets: Int32Array = new Int32Array(0); // plain bytes offsets (valueCount + 1)
  // dictionary (strings)
  dictMap: Map<string, number> | null = null;
  dictKeys: string[] = [];
  dictOffsets: Int32Array = new Int32Array(0);
  dictData: Uint8Array = new Uint8Array(0);
  dictByteLength = 0;
  /** Per entry: WELL_FORMED, JSON_PLAIN (what a match by bytes may return). */
  dictFlags: Uint8Array = new Uint8Array(0);
  /** Per entry: the index of the value that added it (rollback() removes the entries its values added). */
  dictFirstUse: Int32Array = new Int32Array(0);
  indices: Int32Array = new Int32Array(0);
  /**
   * pushUtf8's lookup: hash of the UTF-8 bytes → dictionary index + 1 (0: empty). A hit is
   * verified against the entry's bytes in dictData, so entries left behind by rollback() or
   * finish() only cost a miss.
   */
  private utf8Slots: Int32Array | null = null;
  /**
   * pushJsonString's guess: by the 4 bytes at `guessAt` from the string's start, the entry + 1
   * last read there. Taken only for a JSON_PLAIN entry whose bytes the text repeats, followed by
   * its closing quote, so a stale or wrong guess only costs a miss.
   */
  private guesses: Int32Array | null = null;
  /** Where the guess's key bytes start: past the prefix all entries share (-1: no entry yet), at most GUESS_MAX_AT. */
  private guessAt = -1;
  // marks for rollback (the rest is found from these: see rollback())
  private mLevels = 0;
  private mValues = 0;
  /** The batch under way started with a dictionary. */
  private dictTried = false;
  /** Batches still to start without a dictionary (DICT_REST). */
  private dictRest = 0;

  constructor(spec: LeafSpec) {
    this.spec = spec;
    this.maxDef = spec.maxDef;
    this.maxRep = spec.maxRep;
    this.def = new Uint8Array(spec.maxDef > 0 ? 1024 : 0);
    this.rep = new Uint8Array(spec.maxRep > 0 ? 1024 : 0);
    this.reset();
  }

  private reset(): void {
    const s = this.spec;
    if (s.dictionary) {
      const n = this.valueCount;
      if (this.dictTried) {
        const given = this.dictMap === null || (n >= DICT_JUDGED_MIN && this.dictKeys.length * 2 > n);
        this.dictRest = given ? DICT_REST : 0;
      } else if (this.dictRest > 0) this.dictRest--;
    }
    // the next batch is likely the size of the last one: start there, skip the doublings
    const cap = Math.max(START_CAPACITY, this.levelCount + (this.levelCount >> 3));
    const byteCap = Math.max(cap * 16, this.byteLength + (this.byteLength >> 3));
    this.levelCount = 0;
    this.valueCount = 0;
    this.byteLength = 0;
    this.def = new Uint8Array(s.maxDef > 0 ? cap : 0);
    this.rep = new Uint8Array(s.maxRep > 0 ? cap : 0);
    this.u8 = new Uint8Array(0);
    this.i32 = new Int32Array(0);
    this.i64 = new BigInt64Array(0);
    this.f32 = new Float32Array(0);
    this.f64 = new Float64Array(0);
    this.offsets = new Int32Array(0);
    this.dictMap = null;
    switch (s.kind) {
      case 'boolean':
        this.u8 = new Uint8Array(cap);
        break;
      case 'int32':
        this.i32 = new Int32Array(cap);
        break;
      case 'int64':
        this.i64 = new BigInt64Array(cap);
        this.i32 = new Int32Array(this.i64.buffer);
        break;
      case 'float':
        this.f32 = new Float32Array(cap);
        break;
      case 'double':
        this.f64 = new Float64Array(cap);
        break;
      case 'fixed':
        this.u8 = new Uint8Array(cap * s.width);
        break;
      case 'bytes':
        this.dictTried = s.dictionary && this.dictRest === 0;
        if (this.dictTried) {
          this.dictMap = new Map();
          this.dictKeys = [];
          this.dictOffsets = new Int32Array(START_CAPACITY);
          this.dictFlags = new Uint8Array(START_CAPACITY);
          this.dictFirstUse = new Int32Array(START_CAPACITY);
          this.dictData = new Uint8Array(START_CAPACITY * 16);
          this.dictBuf = bufferOf(this.dictData);
          this.dictByteLength = 0;
          this.indices = new Int32Array(cap);
        } else {
          this.offsets = new Int32Array(cap + 1);
          this.u8 = new Uint8Array(byteCap);
          this.u8Buf = bufferOf(this.u8);
        }
        break;
    }
    this.mark();
  }

  /** Remember where the column is (called before every record: two counts, nothing else). */
  mark(): void {
    this.mLevels = this.levelCount;
    this.mValues = this.valueCount;
  }

  /**
   * Undo everything appended since the last mark(). The byte length follows from the value
   * count (plain bytes: their offsets; fixed: the width), and the dictionary entries to drop
   * are those its values since the mark added (dictFirstUse). A dictionary abandoned since the
   * mark stays abandoned: its plain bytes were built from it, and are cut back the same way.
   */
  rollback(): void {
    const v = this.mValues;
    this.levelCount = this.mLevels;
    this.valueCount = v;
    const map = this.dictMap;
    if (map !== null) {
      const keys = this.dictKeys;
      let k = keys.length;
      if (k > 0 && this.dictFirstUse[k - 1] >= v) {
        while (k > 0 && this.dictFirstUse[k - 1] >= v) map.delete(keys[--k]);
        keys.length = k;
        this.dictByteLength = this.dictOffsets[k];
      }
    } else if (this.spec.kind === 'bytes') this.byteLength = this.offsets[v];
    else if (this.spec.kind === 'fixed') this.byteLength = v * this.spec.width;
  }

  /** One level entry (call before the value, or alone for a null / empty slot). */
  level(rep: number, def: number): void {
    const n = this.levelCount;
    if (this.maxDef > 0) {
      if (n === this.def.length) this.def = grow(this.def, n + 1);
      this.def[n] = def;
    }
    if (this.maxRep > 0) {
      if (n === this.rep.length) this.rep = grow(this.rep, n + 1);
      this.rep[n] = rep;
    }
    this.levelCount = n + 1;
  }

  /** level() for a leaf with no repetition (maxRep 0). */
  levelDef(def: number): void {
    const n = this.levelCount;
    if (n === this.def.length) this.def = grow(this.def, n + 1);
    this.def[n] = def;
    this.levelCount = n + 1;
  }

  /** level() for a required top-level leaf (maxDef 0 and maxRep 0: no level data). */
  levelNone(): void {
    this.levelCount++;
  }

  pushBoolean(v: boolean): void {
    const n = this.valueCount;
    if (n === this.u8.length) this.u8 = grow(this.u8, n + 1);
    this.u8[n] = v ? 1 : 0;
    this.valueCount = n + 1;
  }

  pushInt32(v: number): void {
    const n = this.valueCount;
    if (n === this.i32.length) this.i32 = grow(this.i32, n + 1);
    this.i32[n] = v;
    this.valueCount = n + 1;
  }

  private growI64(): void {
    this.i64 = grow(this.i64, this.valueCount + 1);
    this.i32 = new Int32Array(this.i64.buffer);
  }

  /** A safe integer, stored as two int32 halves (no BigInt allocation). */
  pushInt64Number(v: number): void {
    const n = this.valueCount;
    if (n === this.i64.length) this.growI64();
    const hi = Math.floor(v / 4294967296);
    this.i32[2 * n] = (v - hi * 4294967296) | 0;
    this.i32[2 * n + 1] = hi | 0;
    this.valueCount = n + 1;
  }

  pushInt64BigInt(v: bigint): void {
    const n = this.valueCount;
    if (n === this.i64.length) this.growI64();
    this.i64[n] = v;
    this.valueCount = n + 1;
  }

  pushFloat(v: number): void {
    const n = this.valueCount;
    if (n === this.f32.length) this.f32 = grow(this.f32, n + 1);
    this.f32[n] = v;
    this.valueCount = n + 1;
  }

  pushDouble(v: number): void {
    const n = this.valueCount;
    if (n === this.f64.length) this.f64 = grow(this.f64, n + 1);
    this.f64[n] = v;
    this.valueCount = n + 1;
  }

  /** Exactly `width` bytes (already checked by the caller). */
  pushFixed(b: Uint8Array): void {
    const w = this.spec.width;
    const at = this.byteLength;
    if (at + w > this.u8.length) this.u8 = grow(this.u8, at + w);
    this.u8.set(b, at);
    this.byteLength = at + w;
    this.valueCount++;
  }

  /** A fixed-width value written by a callback into the column's storage at `at`. */
  fixedSlot(): number {
    const w = this.spec.width;
    const at = this.byteLength;
    if (at + w > this.u8.length) this.u8 = grow(this.u8, at + w);
    this.byteLength = at + w;
    this.valueCount++;
    return at;
  }

  pushBytes(b: Uint8Array): void {
    const n = this.valueCount;
    if (n + 1 >= this.offsets.length) this.offsets = grow(this.offsets, n + 2);
    const at = this.byteLength;
    if (at + b.length > this.u8.length) this.u8 = grow(this.u8, at + b.length);
    this.u8.set(b, at);
    this.byteLength = at + b.length;
    this.offsets[n + 1] = this.byteLength;
    this.valueCount = n + 1;
  }

  pushString(s: string): void {
    const map = this.dictMap;
    if (map !== null) {
      let idx = map.get(s);
      if (idx === undefined) {
        idx = this.dictKeys.length;
        // give up when too large, or early when most values are distinct (ids, URLs with ids)
        if (idx >= DICT_MAX_ENTRIES || this.dictByteLength > DICT_MAX_BYTES || (idx > DICT_PROBE && idx * 2 > this.valueCount)) {
          this.abandonDictionary();
          this.pushStringPlain(s);
          return;
        }
        map.set(s, idx);
        this.dictKeys.push(s);
        if (idx + 2 > this.dictOffsets.length) this.dictOffsets = grow(this.dictOffsets, idx + 2);
        if (idx >= this.dictFlags.length) {
          this.dictFlags = grow(this.dictFlags, idx + 1);
          this.dictFirstUse = grow(this.dictFirstUse, idx + 1);
        }
        this.dictFirstUse[idx] = this.valueCount;
        const start = this.dictByteLength;
        const end = writeUtf8(this, s, true);
        this.dictOffsets[idx + 1] = end;
        this.dictFlags[idx] = this.entryAdded(s, idx, start, end);
      }
      const n = this.valueCount;
      if (n === this.indices.length) this.indices = grow(this.indices, n + 1);
      this.indices[n] = idx;
      this.valueCount = n + 1;
      return;
    }
    this.pushStringPlain(s);
  }

  /**
   * The string of UTF-8 bytes buf[start, start + len), as pushString(that string) would store
   * it, mostly without making the string: a dictionary value already in the dictionary is
   * found by its bytes, and ASCII bytes of a plain column are copied as they are.
   */
  pushUtf8(buf: Uint8Array, start: number, len: number): void {
    const end = start + len;
    if (this.dictMap !== null) {
      // entryAt and pushIndex written out here: this is the Avro reader's string push, and the
      // calls cost it a few percent
      const slot = utf8Slot(buf, start, len);
      const slots = (this.utf8Slots ??= new Int32Array(UTF8_SLOTS));
      const k = slots[slot] - 1;
      if (k >= 0 && k < this.dictKeys.length && (this.dictFlags[k] & WELL_FORMED) !== 0) {
        const a = this.dictOffsets[k];
        if (this.dictOffsets[k + 1] - a === len && sameBytes(this.dictData, a, a + len, buf, start - a)) {
          const n = this.valueCount;
          if (n === this.indices.length) this.indices = grow(this.indices, n + 1);
          this.indices[n] = k;
          this.valueCount = n + 1;
          return;
        }
      }
      this.pushNewUtf8(buf, start, end, slot, -1);
      return;
    }
    // ASCII bytes are their string's UTF-8: copied as they are (checked while copying)
    const at = this.byteLength;
    if (at + len > this.u8.length) {
      this.u8 = grow(this.u8, at + len);
      this.u8Buf = bufferOf(this.u8);
    }
    const u8 = this.u8;
    let high = 0;
    for (let i = 0; i < len; i++) {
      const c = buf[start + i];
      high |= c;
      u8[at + i] = c;
    }
    if (high >= 0x80) {
      this.pushStringPlain(utf8(buf, start, end)); // not ASCII: the string's own UTF-8 (invalid bytes become U+FFFD)
      return;
    }
    this.endPlainValue(at + len);
  }

  /**
   * The JSON string whose text starts at b[s] (just past its opening quote), stored as
   * pushString(JSON.parse of it) would store it, in one read of its bytes where it can: a
   * dictionary column first compares the text with the entry last read with the same bytes a
   * little way in (the guess; a hit ends at the entry's length, on the closing quote), else
   * scans to the closing quote and looks the bytes up by hash; a plain column copies the bytes
   * while it scans. Returns the index of the closing quote; or -1, with nothing stored, for a
   * string with an escape, a control character or no closing quote, not valid UTF-8, or (plain
   * column) not ASCII: the caller reads those as JSON.parse does, or refuses them.
   */
  pushJsonString(b: Uint8Array, s: number): number {
    const n = b.length;
    if (this.dictMap === null) return this.pushJsonPlain(b, s, n);
    const keyAt = s + this.guessAt;
    let key = -1;
    if (this.guessAt >= 0 && keyAt + 4 <= n) {
      key = Math.imul(b[keyAt] | (b[keyAt + 1] << 8) | (b[keyAt + 2] << 16) | (b[keyAt + 3] << 24), 0x9e3779b1) >>> 24;
      const k = (this.guesses ??= new Int32Array(GUESS_SLOTS))[key] - 1;
      if (k >= 0 && k < this.dictKeys.length && (this.dictFlags[k] & JSON_PLAIN) !== 0) {
        // the entry's bytes hold no quote, backslash or control character: where the text
        // repeats them it has none either, so the byte after them must be the closing quote
        const a = this.dictOffsets[k];
        const e = this.dictOffsets[k + 1];
        const o = s - a;
        if (e + o < n && b[e + o] === 34 && sameBytes(this.dictData, a, e, b, o)) {
          this.pushIndex(k);
          return e + o;
        }
      }
    }
    let q = s;
    let high = 0;
    for (;;) {
      if (q >= n) return -1;
      const y = b[q];
      if (y === 34) break;
      if (y === 92 || y < 32) return -1;
      high |= y;
      q++;
    }
    const len = q - s;
    const slot = utf8Slot(b, s, len);
    const k = this.entryAt(slot, b, s, len);
    if (k >= 0) {
      this.pushIndex(k);
      if (key >= 0) this.guesses![key] = k + 1;
      return q;
    }
    if (high >= 0x80 && !validUtf8(b, s, q)) return -1;
    this.pushNewUtf8(b, s, q, slot, key);
    return q;
  }

  /** pushJsonString for a plain column: the bytes copied while scanning for the closing quote. */
  private pushJsonPlain(b: Uint8Array, s: number, n: number): number {
    const at = this.byteLength;
    if (at + (n - s) > this.u8.length) {
      this.u8 = grow(this.u8, at + (n - s));
      this.u8Buf = bufferOf(this.u8);
    }
    const u8 = this.u8;
    const o = at - s;
    let q = s;
    let high = 0;
    let y = 0;
    for (; q < n; q++) {
      y = b[q];
      if (y === 34 || y === 92 || y < 32) break;
      high |= y;
      u8[q + o] = y;
    }
    if (q >= n || y !== 34 || high >= 0x80) return -1;
    this.endPlainValue(q + o);
    return q;
  }

  /** The value whose bytes were just written to u8 up to `end` (a plain column). */
  private endPlainValue(end: number): void {
    const n = this.valueCount;
    if (n + 1 >= this.offsets.length) this.offsets = grow(this.offsets, n + 2);
    this.byteLength = end;
    this.offsets[n + 1] = end;
    this.valueCount = n + 1;
  }

  /** Dictionary entry k as the next value. */
  private pushIndex(k: number): void {
    const n = this.valueCount;
    if (n === this.indices.length) this.indices = grow(this.indices, n + 1);
    this.indices[n] = k;
    this.valueCount = n + 1;
  }

  /**
   * The dictionary entry whose bytes are buf[start, start + len), found through the hash slot
   * `slot` (utf8Slot); -1 if that slot holds another (or none). Only a WELL_FORMED entry is
   * returned: a lone surrogate's entry has U+FFFD's bytes but is not the string those bytes make.
   */
  private entryAt(slot: number, buf: Uint8Array, start: number, len: number): number {
    const slots = (this.utf8Slots ??= new Int32Array(UTF8_SLOTS));
    const k = slots[slot] - 1;
    if (k < 0 || k >= this.dictKeys.length || (this.dictFlags[k] & WELL_FORMED) === 0) return -1;
    const a = this.dictOffsets[k];
    if (this.dictOffsets[k + 1] - a !== len) return -1;
    return sameBytes(this.dictData, a, a + len, buf, start - a) ? k : -1;
  }

  /** A dictionary column's value of valid UTF-8 bytes buf[start, end) that entryAt did not find: through pushString, then remembered by its slot (and guess key, >= 0). */
  private pushNewUtf8(buf: Uint8Array, start: number, end: number, slot: number, key: number): void {
    this.pushString(utf8(buf, start, end));
    if (this.dictMap === null) return; // the dictionary was given up
    const k = this.indices[this.valueCount - 1];
    this.utf8Slots![slot] = k + 1;
    if (key >= 0) this.guesses![key] = k + 1;
  }

  /**
   * The flags of entry k of string s, just written to dictData[start, end); the first entry
   * sets where guesses are keyed, and an entry differing from entry 0 earlier moves it there.
   */
  private entryAdded(s: string, k: number, start: number, end: number): number {
    const d = this.dictData;
    let plain = true;
    for (let i = start; i < end; i++) {
      const c = d[i];
      if (c === 34 || c === 92 || c < 32) {
        plain = false;
        break;
      }
    }
    const flags = s.isWellFormed() ? (plain ? WELL_FORMED | JSON_PLAIN : WELL_FORMED) : 0;
    if (k === 0) {
      if (this.guessAt < 0) this.guessAt = Math.min(end - start, GUESS_MAX_AT);
    } else if (this.guessAt > 0) {
      // the common prefix with entry 0, when they differ within both (a prefix of the other keeps it)
      const a = this.dictOffsets[0];
      const max = Math.min(this.guessAt, end - start, this.dictOffsets[1] - a);
      let i = 0;
      while (i < max && d[a + i] === d[start + i]) i++;
      if (i < max) this.guessAt = i;
    }
    return flags;
  }

  /** pushBytes of buf[start, start + len) without a view of it. */
  pushByteRange(buf: Uint8Array, start: number, len: number): void {
    const n = this.valueCount;
    if (n + 1 >= this.offsets.length) this.offsets = grow(this.offsets, n + 2);
    const at = this.byteLength;
    if (at + len > this.u8.length) this.u8 = grow(this.u8, at + len);
    const u8 = this.u8;
    for (let i = 0; i < len; i++) u8[at + i] = buf[start + i];
    this.byteLength = at + len;
    this.offsets[n + 1] = this.byteLength;
    this.valueCount = n + 1;
  }

  /** pushFixed of buf[start, start + width). */
  pushFixedRange(buf: Uint8Array, start: number): void {
    const w = this.spec.width;
    const at = this.fixedSlot();
    const u8 = this.u8;
    for (let i = 0; i < w; i++) u8[at + i] = buf[start + i];
  }

  private pushStringPlain(s: string): void {
    const n = this.valueCount;
    if (n + 1 >= this.offsets.length) this.offsets = grow(this.offsets, n + 2);
    this.offsets[n + 1] = writeUtf8(this, s, false);
    this.valueCount = n + 1;
  }

  /** Turn the dictionary column into plain bytes (too many distinct values). */
  private abandonDictionary(): void {
    const n = this.valueCount;
    const dOff = this.dictOffsets;
    const dData = this.dictData;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const k = this.indices[i];
      total += dOff[k + 1] - dOff[k];
    }
    const offsets = new Int32Array(Math.max(16, n * 2 + 2));
    const data = new Uint8Array(Math.max(64, total * 2));
    let at = 0;
    for (let i = 0; i < n; i++) {
      const k = this.indices[i];
      const a = dOff[k];
      const b = dOff[k + 1];
      data.set(dData.subarray(a, b), at);
      at += b - a;
      offsets[i + 1] = at;
    }
    this.offsets = offsets;
    this.u8 = data;
    this.u8Buf = bufferOf(data);
    this.byteLength = at;
    this.dictMap = null;
    this.dictKeys = [];
    this.indices = new Int32Array(0);
    this.dictData = new Uint8Array(0);
    this.dictOffsets = new Int32Array(0);
    this.dictFlags = new Uint8Array(0);
    this.dictFirstUse = new Int32Array(0);
    this.dictByteLength = 0;
  }

  estimatedBytes(): number {
    const s = this.spec;
    const b = this.levelCount * ((s.maxDef > 0 ? 1 : 0) + (s.maxRep > 0 ? 1 : 0));
    switch (s.kind) {
      case 'boolean':
        return b + this.valueCount;
      case 'int32':
      case 'float':
        return b + this.valueCount * 4;
      case 'int64':
      case 'double':
        return b + this.valueCount * 8;
      case 'fixed':
        return b + this.byteLength;
      case 'bytes':
        if (this.dictMap !== null) return b + this.valueCount * 4 + this.dictByteLength + this.dictKeys.length * 4;
        return b + this.byteLength + this.valueCount * 4;
    }
  }

  /** Hand over the data and start empty. */
  finish(): LeafColumn {
    const s = this.spec;
    const n = this.valueCount;
    let values: LeafColumn['values'] = null;
    let offsets: Int32Array | null = null;
    let dict: LeafColumn['dict'] = null;
    switch (s.kind) {
      case 'boolean':
        values = this.u8.subarray(0, n);
        break;
      case 'int32':
        values = this.i32.subarray(0, n);
        break;
      case 'int64':
        values = this.i64.subarray(0, n);
        break;
      case 'float':
        values = this.f32.subarray(0, n);
        break;
      case 'double':
        values = this.f64.subarray(0, n);
        break;
      case 'fixed':
        values = this.u8.subarray(0, this.byteLength);
        break;
      case 'bytes':
        if (this.dictMap !== null) {
          const size = this.dictKeys.length;
          dict = {
            size,
            offsets: this.dictOffsets.subarray(0, size + 1),
            data: this.dictData.subarray(0, this.dictByteLength),
            indices: this.indices.subarray(0, n),
          };
        } else {
          values = this.u8.subarray(0, this.byteLength);
          offsets = this.offsets.subarray(0, n + 1);
        }
        break;
    }
    const out: LeafColumn = {
      fieldId: s.fieldId,
      columnPath: s.columnPath,
      parquetPath: s.parquetPath,
      type: s.type,
      kind: s.kind,
      width: s.width,
      maxDef: s.maxDef,
      maxRep: s.maxRep,
      levelCount: this.levelCount,
      def: s.maxDef > 0 ? this.def.subarray(0, this.levelCount) : null,
      rep: s.maxRep > 0 ? this.rep.subarray(0, this.levelCount) : null,
      valueCount: n,
      values,
      offsets,
      dict,
    };
    this.reset();
    return out;
  }
}

/** pushUtf8's hash slot of buf[start, start + len): every byte up to 16, else 12 of them (first, middle, last 4). */
function utf8Slot(buf: Uint8Array, start: number, len: number): number {
  const end = start + len;
  let h = len;
  if (len <= 16) {
    for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i], 0x01000193);
  } else {
    const m = start + (len >> 1) - 2;
    h = Math.imul(len ^ buf[start] ^ (buf[start + 1] << 8) ^ (buf[start + 2] << 16) ^ (buf[start + 3] << 24), 0x9e3779b1);
    h = Math.imul(h ^ buf[m] ^ (buf[m + 1] << 8) ^ (buf[m + 2] << 16) ^ (buf[m + 3] << 24), 0x85ebca6b);
    h = Math.imul(h ^ buf[end - 4] ^ (buf[end - 3] << 8) ^ (buf[end - 2] << 16) ^ (buf[end - 1] << 24), 0xc2b2ae35);
  }
  return (h ^ (h >>> 15)) & (UTF8_SLOTS - 1);
}

/**
 * Whether d[a, e) equals b[a + o, e + o): differences or-ed together, 8 bytes a step (no branch
 * per byte, no call into Buffer's native compare).
 */
function sameBytes(d: Uint8Array, a: number, e: number, b: Uint8Array, o: number): boolean {
  const e8 = a + ((e - a) & ~7);
  let diff = 0;
  let i = a;
  for (; i < e8 && diff === 0; i += 8) {
    diff =
      (d[i] ^ b[i + o]) |
      (d[i + 1] ^ b[i + 1 + o]) |
      (d[i + 2] ^ b[i + 2 + o]) |
      (d[i + 3] ^ b[i + 3 + o]) |
      (d[i + 4] ^ b[i + 4 + o]) |
      (d[i + 5] ^ b[i + 5 + o]) |
      (d[i + 6] ^ b[i + 6 + o]) |
      (d[i + 7] ^ b[i + 7 + o]);
  }
  if (diff === 0 && i + 4 <= e) {
    diff = (d[i] ^ b[i + o]) | (d[i + 1] ^ b[i + 1 + o]) | (d[i + 2] ^ b[i + 2 + o]) | (d[i + 3] ^ b[i + 3 + o]);
    i += 4;
  }
  for (; i < e; i++) diff |= d[i] ^ b[i + o];
  return diff === 0;
}

/** A Buffer view of a Uint8Array (for Buffer's native utf8Write). */
function bufferOf(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.length);
}

/**
 * Append the UTF-8 bytes of `s` to the leaf's plain data (or dictionary data) and return the
 * new end offset. Short ASCII strings are copied by hand; the rest goes through Buffer's
 * native utf8Write.
 */
function writeUtf8(leaf: LeafBuilder, s: string, toDict: boolean): number {
  const len = s.length;
  let at = toDict ? leaf.dictByteLength : leaf.byteLength;
  let buf = toDict ? leaf.dictData : leaf.u8;
  if (at + len * 3 > buf.length) {
    buf = grow(buf, at + len * 3);
    if (toDict) {
      leaf.dictData = buf;
      leaf.dictBuf = bufferOf(buf);
    } else {
      leaf.u8 = buf;
      leaf.u8Buf = bufferOf(buf);
    }
  }
  if (len <= 8) {
    let i = 0;
    for (; i < len; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      buf[at + i] = c;
    }
    if (i === len) at += len;
    else at += (toDict ? leaf.dictBuf : leaf.u8Buf).write(s, at);
  } else {
    at += (toDict ? leaf.dictBuf : leaf.u8Buf).write(s, at);
  }
  if (toDict) leaf.dictByteLength = at;
  else leaf.byteLength = at;
  return at;
}
