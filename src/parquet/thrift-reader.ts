// Thrift compact protocol, read side (thrift.ts is the write side): decodes any struct into a
// generic tree that keeps every field with its wire type, so a Parquet footer can be read,
// changed in a few fields (offsets, ordinals) and written back with everything else as it was
// (encodeThriftStruct, the same encoding rules as thrift.ts's CompactWriter).
//
// Wire rules (as in thrift.ts): a field header is (delta << 4 | type) when the id grows by
// 1..15, else the type byte and the id as a zigzag varint; booleans live in the type nibble
// (1 true, 2 false) for fields and as one byte inside lists; integers are zigzag varints;
// doubles are 8 bytes little-endian; lists and sets are (size << 4 | elemType), or
// 0xF0 | elemType and a varint size; maps are a varint size then (keyType << 4 | valueType).

import { ByteWriter } from './byte-writer.ts';
import { CT } from './thrift.ts';
import { FloeError } from '../errors.ts';

export type ThriftValue = boolean | number | bigint | Uint8Array | ThriftList | ThriftMap | ThriftStruct;

/** A struct: field id → wire type and value, in the order read. i64 values are numbers when safe integers, else bigints. */
export interface ThriftStruct {
  kind: 'struct';
  fields: Map<number, ThriftField>;
}

export interface ThriftField {
  type: number;
  value: ThriftValue;
}

export interface ThriftList {
  kind: 'list';
  /** CT.LIST or CT.SET. */
  type: number;
  elemType: number;
  items: ThriftValue[];
}

export interface ThriftMap {
  kind: 'map';
  keyType: number;
  valueType: number;
  entries: [ThriftValue, ThriftValue][];
}

export class ThriftDecodeError extends FloeError {
  constructor(message: string) {
    super('fatal', message);
  }
}

const MAX_DEPTH = 64;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Reads compact-protocol values from `bytes` starting at `pos`. */
export class CompactReader {
  readonly bytes: Uint8Array;
  pos: number;
  private depth = 0;
  constructor(bytes: Uint8Array, pos = 0) {
    this.bytes = bytes;
    this.pos = pos;
  }

  private u8(): number {
    if (this.pos >= this.bytes.length) throw new ThriftDecodeError(`thrift: unexpected end of data at byte ${this.pos}`);
    return this.bytes[this.pos++];
  }

  /** Unsigned varint as a bigint (up to 64 bits). */
  varint(): bigint {
    const start = this.pos;
    const small = this.smallVarint();
    if (small >= 0) return BigInt(small);
    this.pos = start;
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.u8();
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) throw new ThriftDecodeError(`thrift: varint longer than 10 bytes at byte ${this.pos}`);
    }
  }

  /**
   * An unsigned varint of at most 7 bytes (49 bits) as a number, without BigInt (the common case:
   * offsets, sizes, counts); -1 when it is longer (the caller reads it again as a bigint).
   */
  private smallVarint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 7; i++) {
      const b = this.u8();
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
    return -1;
  }

  /** Unsigned varint that must fit a safe integer (sizes, lengths). */
  size(): number {
    const start = this.pos;
    const small = this.smallVarint();
    if (small >= 0) return small;
    this.pos = start;
    const v = this.varint();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ThriftDecodeError(`thrift: size ${v} too large`);
    return Number(v);
  }

  zigzag(): bigint {
    const start = this.pos;
    const small = this.smallVarint();
    if (small >= 0) return BigInt(small % 2 === 0 ? small / 2 : -(small + 1) / 2);
    this.pos = start;
    const v = this.varint();
    return BigInt.asIntN(64, (v >> 1n) ^ -(v & 1n));
  }

  /** An i64: a number when it is a safe integer (most are: offsets, sizes, counts), else a bigint. */
  i64(): number | bigint {
    const start = this.pos;
    const small = this.smallVarint();
    if (small >= 0) return small % 2 === 0 ? small / 2 : -(small + 1) / 2;
    this.pos = start;
    const v = this.zigzag();
    return v >= -MAX_SAFE && v <= MAX_SAFE ? Number(v) : v;
  }

  /** A zigzag integer of an i8/i16/i32 field. */
  int(): number {
    const start = this.pos;
    const small = this.smallVarint();
    if (small >= 0 && small <= 0xffffffff) return small % 2 === 0 ? small / 2 : -(small + 1) / 2;
    this.pos = start;
    const v = this.zigzag();
    if (v < -2147483648n || v > 2147483647n) throw new ThriftDecodeError(`thrift: ${v} does not fit 32 bits`);
    return Number(v);
  }

  binary(): Uint8Array {
    const n = this.size();
    if (this.pos + n > this.bytes.length) throw new ThriftDecodeError(`thrift: binary of ${n} bytes runs past the end at byte ${this.pos}`);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  double(): number {
    if (this.pos + 8 > this.bytes.length) throw new ThriftDecodeError(`thrift: double runs past the end at byte ${this.pos}`);
    const v = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.pos, 8).getFloat64(0, true);
    this.pos += 8;
    return v;
  }

  /** A value of a wire type (for list elements, a boolean is one byte). */
  value(type: number): ThriftValue {
    switch (type) {
      case CT.TRUE:
      case CT.FALSE:
        return this.u8() === CT.TRUE;
      case CT.BYTE:
        return (this.u8() << 24) >> 24;
      case CT.I16:
      case CT.I32:
        return this.int();
      case CT.I64:
        return this.i64();
      case CT.DOUBLE:
        return this.double();
      case CT.BINARY:
        return this.binary();
      case CT.LIST:
      case CT.SET:
        return this.list(type);
      case CT.MAP:
        return this.map();
      case CT.STRUCT:
        return this.struct();
    }
    throw new ThriftDecodeError(`thrift: unknown wire type ${type} at byte ${this.pos}`);
  }

  private enter(): void {
    if (++this.depth > MAX_DEPTH) throw new ThriftDecodeError('thrift: nesting too deep');
  }

  list(type: number = CT.LIST): ThriftList {
    this.enter();
    const h = this.u8();
    const elemType = h & 0x0f;
    const n = h >> 4 === 0x0f ? this.size() : h >> 4;
    if (n > this.bytes.length - this.pos + 1) throw new ThriftDecodeError(`thrift: list of ${n} elements cannot fit the data`);
    const items: ThriftValue[] = [];
    for (let i = 0; i < n; i++) items.push(this.value(elemType));
    this.depth--;
    return { kind: 'list', type, elemType, items };
  }

  map(): ThriftMap {
    this.enter();
    const n = this.size();
    const entries: [ThriftValue, ThriftValue][] = [];
    if (n === 0) {
      this.depth--;
      return { kind: 'map', keyType: 0, valueType: 0, entries };
    }
    const kv = this.u8();
    const keyType = kv >> 4;
    const valueType = kv & 0x0f;
    if (n > this.bytes.length - this.pos + 1) throw new ThriftDecodeError(`thrift: map of ${n} entries cannot fit the data`);
    for (let i = 0; i < n; i++) entries.push([this.value(keyType), this.value(valueType)]);
    this.depth--;
    return { kind: 'map', keyType, valueType, entries };
  }

  struct(): ThriftStruct {
    this.enter();
    const fields = new Map<number, ThriftField>();
    let last = 0;
    for (;;) {
      const h = this.u8();
      if (h === 0) break;
      const type = h & 0x0f;
      const delta = h >> 4;
      const id = delta === 0 ? this.int() : last + delta;
      last = id;
      const value = type === CT.TRUE || type === CT.FALSE ? type === CT.TRUE : this.value(type);
      fields.set(id, { type, value });
    }
    this.depth--;
    return { kind: 'struct', fields };
  }
}

// ---- stepping through a struct without building it (page headers: decode-chunk.ts) ----

/**
 * The next field header of the struct being read at r.pos, whose previous field id was `last`
 * (0 at its start): id * 16 + wire type, or -1 at its stop byte.
 */
export function nextField(r: CompactReader, last: number): number {
  if (r.pos >= r.bytes.length) throw new ThriftDecodeError(`thrift: struct runs past the end at byte ${r.pos}`);
  const b = r.bytes[r.pos++];
  if (b === 0) return -1;
  const id = b >> 4 === 0 ? r.int() : last + (b >> 4);
  if (id < 0) throw new ThriftDecodeError(`thrift: negative field id ${id} at byte ${r.pos}`); // not in Parquet's structs
  return id * 16 + (b & 0x0f);
}

/** Skips the value of a field of wire type `type` (a boolean field has none). */
export function skipField(r: CompactReader, type: number): void {
  if (type !== CT.TRUE && type !== CT.FALSE) r.value(type);
}

/** Decodes one struct at `offset`; `end` is the byte after it. */
export function readThriftStruct(bytes: Uint8Array, offset = 0): { struct: ThriftStruct; end: number } {
  const r = new CompactReader(bytes, offset);
  const struct = r.struct();
  return { struct, end: r.pos };
}

// ---- writing a tree back ----

function zigzag(out: ByteWriter, v: number | bigint): void {
  // Safe integers without BigInt (the common case), exactly as the BigInt path encodes them.
  const n = typeof v === 'number' ? v : v >= -MAX_SMALL && v <= MAX_SMALL ? Number(v) : undefined;
  if (n !== undefined && Number.isInteger(n) && n >= -MAX_SMALL_N && n <= MAX_SMALL_N) {
    out.varint(n >= 0 ? n * 2 : -n * 2 - 1);
    return;
  }
  const b = BigInt(v);
  const z = BigInt.asUintN(64, (b << 1n) ^ (b >> 63n));
  if (z <= BigInt(Number.MAX_SAFE_INTEGER)) out.varint(Number(z));
  else {
    let x = z;
    while (x >= 0x80n) {
      out.u8(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    out.u8(Number(x));
  }
}

/** Integers whose zigzag form stays a safe integer (|v| < 2^52). */
const MAX_SMALL_N = 2 ** 52 - 1;
const MAX_SMALL = BigInt(MAX_SMALL_N);

function writeValue(out: ByteWriter, type: number, v: ThriftValue): void {
  switch (type) {
    case CT.TRUE:
    case CT.FALSE:
      out.u8(v ? CT.TRUE : CT.FALSE);
      return;
    case CT.BYTE:
      out.u8((v as number) & 0xff);
      return;
    case CT.I16:
    case CT.I32:
    case CT.I64:
      zigzag(out, v as number | bigint);
      return;
    case CT.DOUBLE: {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setFloat64(0, v as number, true);
      out.bytes(b);
      return;
    }
    case CT.BINARY:
      out.varint((v as Uint8Array).length);
      out.bytes(v as Uint8Array);
      return;
    case CT.LIST:
    case CT.SET: {
      const l = v as ThriftList;
      if (l.items.length < 15) out.u8((l.items.length << 4) | l.elemType);
      else {
        out.u8(0xf0 | l.elemType);
        out.varint(l.items.length);
      }
      for (const item of l.items) writeValue(out, l.elemType, item);
      return;
    }
    case CT.MAP: {
      const m = v as ThriftMap;
      out.varint(m.entries.length);
      if (m.entries.length === 0) return;
      out.u8((m.keyType << 4) | m.valueType);
      for (const [k, x] of m.entries) {
        writeValue(out, m.keyType, k);
        writeValue(out, m.valueType, x);
      }
      return;
    }
    case CT.STRUCT:
      writeStruct(out, v as ThriftStruct);
      return;
  }
  throw new Error(`thrift: cannot write wire type ${type}`);
}

function writeStruct(out: ByteWriter, s: ThriftStruct): void {
  let last = 0;
  // Ascending ids, as thrift-generated writers emit them (and as the short header form favours).
  const ids = [...s.fields.keys()].sort((a, b) => a - b);
  for (const id of ids) {
    const f = s.fields.get(id)!;
    const wireType = f.type === CT.TRUE || f.type === CT.FALSE ? (f.value ? CT.TRUE : CT.FALSE) : f.type;
    const delta = id - last;
    if (delta > 0 && delta <= 15) out.u8((delta << 4) | wireType);
    else {
      out.u8(wireType);
      zigzag(out, id);
    }
    last = id;
    if (wireType !== CT.TRUE && wireType !== CT.FALSE) writeValue(out, wireType, f.value);
  }
  out.u8(0);
}

/** Encodes a struct tree (as readThriftStruct returns it, possibly changed). */
export function encodeThriftStruct(s: ThriftStruct): Uint8Array {
  const out = new ByteWriter(4096);
  writeStruct(out, s);
  return out.result().slice();
}
