// A record value as a decoder hands it on: its bytes, the writer schema it was written with
// (known from the frame's header, without decoding the value) and the value itself, decoded only
// when something asks for it. A batch can take a frame straight from its bytes when the frame
// says how (`direct`, batch/append-frame.ts); everything else reads `value`.
//
// A plain object { value, schema?, schemaId? } is a frame too (already decoded, no direct way).
import type { Schema } from '../iceberg/types.ts';
import type { AvroType } from './avro-schema.ts';
import { NOT_READ, scanJsonField } from './json-field.ts';

/** How a batch can append a record straight from its bytes, without an object per record. */
export type DirectEncoding =
  /** An Avro record written with `writer`, starting at `offset` of the frame's bytes. */
  | { readonly format: 'avro'; readonly writer: AvroType; readonly offset: number }
  /** A plain JSON value (no registry schema), starting at `offset` of the frame's bytes. */
  | { readonly format: 'json'; readonly offset: number };

export interface RecordFrame {
  /**
   * The record as a plain object in floe's batch representation. Reading it decodes the bytes
   * (once; a lazy frame) and may throw a DecodeError (a bad record).
   */
  readonly value: Record<string, unknown>;
  /** The Iceberg schema of the writer schema (registry formats), the same object for every record of it. */
  readonly schema?: Schema;
  /** The registry's id of the writer schema. */
  readonly schemaId?: number;
  /** The record's bytes, when `direct` says how to read them. */
  readonly bytes?: Uint8Array;
  /** How a batch may take the record from `bytes`; undefined once `value` was decoded (the object is there). */
  readonly direct?: DirectEncoding;
}

/** A decode that waits (a schema lookup) hands a promise of its frame. */
export function isPendingFrame(x: RecordFrame | Promise<RecordFrame>): x is Promise<RecordFrame> {
  return typeof (x as Partial<Promise<RecordFrame>>).then === 'function';
}

/** A frame whose value is decoded from its bytes on first use. */
export class LazyFrame implements RecordFrame {
  readonly bytes: Uint8Array;
  readonly schema: Schema | undefined;
  readonly schemaId: number | undefined;
  private readonly encoding: DirectEncoding | undefined;
  private readonly decodeValue: (bytes: Uint8Array) => Record<string, unknown>;
  private decoded: Record<string, unknown> | undefined = undefined;
  /** `value` was handed out (its reader may change it): the bytes no longer say what the record is. */
  private taken = false;

  constructor(bytes: Uint8Array, decodeValue: (bytes: Uint8Array) => Record<string, unknown>, encoding: DirectEncoding | undefined, schema?: Schema, schemaId?: number) {
    this.bytes = bytes;
    this.decodeValue = decodeValue;
    this.encoding = encoding;
    this.schema = schema;
    this.schemaId = schemaId;
  }

  get value(): Record<string, unknown> {
    const v = (this.decoded ??= this.decodeValue(this.bytes));
    this.taken = true;
    return v;
  }

  /** The value, decoded once, for a reader that does not change it (routing): `direct` stays. */
  peek(): Readonly<Record<string, unknown>> {
    return (this.decoded ??= this.decodeValue(this.bytes));
  }

  /**
   * The value's top-level field `name` (`nameBytes` its UTF-8), for a reader that does not change
   * it (routing): read from plain JSON's bytes where they answer (json-field.ts), else from peek().
   */
  peekField(name: string, nameBytes: Uint8Array): unknown {
    const e = this.encoding;
    if (this.decoded === undefined && e !== undefined && e.format === 'json') {
      const v = scanJsonField(this.bytes, e.offset, nameBytes);
      if (v !== NOT_READ) return v;
    }
    return this.peek()[name];
  }

  get direct(): DirectEncoding | undefined {
    return this.taken ? undefined : this.encoding;
  }
}

/**
 * The frame's value for reading only (a route's field): a lazy frame keeps its direct way, so a
 * batch still takes the record from its bytes (`value` hands the object out to be changed, as
 * renamed columns do, and ends the direct way).
 */
export function peekValue(frame: RecordFrame): Readonly<Record<string, unknown>> {
  return frame instanceof LazyFrame ? frame.peek() : frame.value;
}
