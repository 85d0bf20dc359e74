// Thrift compact protocol, write side only: enough for Parquet's page headers and footer.
//
// Field header: (delta << 4 | type) when the field id grows by 1..15, else the type byte and
// the id as a zigzag varint. Booleans live in the type nibble (1 true, 2 false). Integers are
// zigzag varints. Lists: (size << 4 | elemType), or 0xF0 | elemType and a varint size.

import { ByteWriter } from './byte-writer.ts';

export const CT = {
  TRUE: 1,
  FALSE: 2,
  BYTE: 3,
  I16: 4,
  I32: 5,
  I64: 6,
  DOUBLE: 7,
  BINARY: 8,
  LIST: 9,
  SET: 10,
  MAP: 11,
  STRUCT: 12,
} as const;

const utf8 = new TextEncoder();

/**
 * Strings written again and again (column names and paths, the created-by text: every file's
 * footer has them all) as UTF-8, made once: TextEncoder.encode costs ~0.5-1 µs a call, ~40 µs a
 * footer of the sample event, which a commit of 1,000 small files pays 1,000 times. Short
 * strings only, and at most UTF8_KEPT of them.
 */
const utf8Kept = new Map<string, Uint8Array>();
const UTF8_KEPT = 4096;
const UTF8_KEPT_MAX_LENGTH = 256;

function utf8Of(s: string): Uint8Array {
  let b = utf8Kept.get(s);
  if (b === undefined) {
    b = utf8.encode(s);
    if (s.length <= UTF8_KEPT_MAX_LENGTH && utf8Kept.size < UTF8_KEPT) utf8Kept.set(s, b);
  }
  return b;
}

export class CompactWriter {
  readonly out: ByteWriter;
  private last = 0;
  private stack: number[] = [];
  constructor(out = new ByteWriter(256)) {
    this.out = out;
  }
  private header(id: number, type: number): void {
    const delta = id - this.last;
    if (delta > 0 && delta <= 15) this.out.u8((delta << 4) | type);
    else {
      this.out.u8(type);
      this.zigzag(id);
    }
    this.last = id;
  }
  private zigzag(v: number): void {
    // zigzag of a safe integer without 32-bit overflow
    this.out.varint(v >= 0 ? v * 2 : -v * 2 - 1);
  }
  i32(id: number, v: number): this {
    this.header(id, CT.I32);
    this.zigzag(v);
    return this;
  }
  i64(id: number, v: number): this {
    this.header(id, CT.I64);
    this.zigzag(v);
    return this;
  }
  bool(id: number, v: boolean): this {
    this.header(id, v ? CT.TRUE : CT.FALSE);
    return this;
  }
  binary(id: number, v: Uint8Array | string): this {
    this.header(id, CT.BINARY);
    const b = typeof v === 'string' ? utf8Of(v) : v;
    this.out.varint(b.length);
    this.out.bytes(b);
    return this;
  }
  /** Begin a struct-valued field; end it with end(). */
  struct(id: number): this {
    this.header(id, CT.STRUCT);
    this.stack.push(this.last);
    this.last = 0;
    return this;
  }
  end(): this {
    this.out.u8(0);
    this.last = this.stack.pop() ?? 0;
    return this;
  }
  /** A list field; `each` writes the elements (use the elem* methods, or beginElem/end for structs). */
  list(id: number, elemType: number, size: number): this {
    this.header(id, CT.LIST);
    if (size < 15) this.out.u8((size << 4) | elemType);
    else {
      this.out.u8(0xf0 | elemType);
      this.out.varint(size);
    }
    return this;
  }
  elemI32(v: number): this {
    this.zigzag(v);
    return this;
  }
  elemBinary(v: Uint8Array | string): this {
    const b = typeof v === 'string' ? utf8Of(v) : v;
    this.out.varint(b.length);
    this.out.bytes(b);
    return this;
  }
  /** A struct as a list element. */
  beginElem(): this {
    this.stack.push(this.last);
    this.last = 0;
    return this;
  }
  /** Stop byte of the top-level struct. */
  finish(): Uint8Array {
    this.out.u8(0);
    return this.out.result();
  }
}
