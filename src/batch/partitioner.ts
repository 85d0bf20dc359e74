// Which partition a record belongs to: each partition field's source value, taken through the
// same coercion the column builders use (so "2024-01-02T03:04:05Z", a Date and a bigint of
// micros all land in the same day), then through the partition transform.
import type { Schema } from '../iceberg/types.ts';
import type { PartitionSpec } from '../iceberg/table-metadata.ts';
import { bindPartitionSpec } from '../iceberg/partition-spec.ts';
import type { BoundPartitionField } from '../iceberg/partition-spec.ts';
import { decimalParams, primitiveKind } from '../iceberg/types.ts';
import type { PrimitiveType } from '../iceberg/types.ts';
import { murmur3Bytes } from '../iceberg/murmur3.ts';
import { storageOf, valueWriter } from './coerce.ts';
import { LeafBuilder } from './leaf-builder.ts';
import { ValueError } from './errors.ts';

const textDecoder = new TextDecoder();

/** Normalizes one value of a primitive type to the form transforms take. */
type Normalizer = (v: unknown) => unknown;

export class Partitioner {
  readonly spec: PartitionSpec;
  readonly fields: BoundPartitionField[];
  private readonly normalizers: Normalizer[];
  /** Per field: its partition value of a leaf builder's last value, not null (partitionOfLastRow). */
  private readonly lastApplied: ((leaf: LeafBuilder) => unknown)[];
  private readonly tableName: string;

  constructor(spec: PartitionSpec, schema: Schema, tableName: string) {
    this.spec = spec;
    this.tableName = tableName;
    this.fields = bindPartitionSpec(spec, schema);
    this.normalizers = this.fields.map((f) => normalizer(f.sourceType as PrimitiveType, tableName, f.sourcePath.join('.')));
    this.lastApplied = this.fields.map((f) => {
      const { kind, width } = storageOf(f.sourceType as PrimitiveType);
      return lastApplied(f, reader(f.sourceType as PrimitiveType, kind, width));
    });
  }

  get unpartitioned(): boolean {
    return this.fields.length === 0;
  }

  /** A one-field spec whose values are numbers (bucket, year, month, day, hour; identity of an int or date). */
  get oneNumber(): boolean {
    return this.fields.length === 1 && (this.fields[0].resultType === 'int' || this.fields[0].resultType === 'date');
  }

  /** The partition tuple of a record, one value per partition field in spec order. */
  partitionOf(record: Record<string, unknown>): unknown[] {
    const out = new Array<unknown>(this.fields.length);
    for (let i = 0; i < this.fields.length; i++) {
      const f = this.fields[i];
      let v: unknown = record;
      for (const name of f.sourcePath) {
        if (v === null || v === undefined || typeof v !== 'object') {
          v = null;
          break;
        }
        v = (v as Record<string, unknown>)[name];
      }
      out[i] = v === null || v === undefined ? null : f.apply(this.normalizers[i](v));
    }
    return out;
  }

  /**
   * The partition tuple of the row last appended to a batch, read from its columns: `sources`
   * holds each partition field's source column (a leaf builder of the batch), in spec order.
   * A column holds a value as the normalizers leave it (the same writers), so this is
   * partitionOf of the record the row came from; a null value, or a null struct above it,
   * gives null as there.
   */
  partitionOfLastRow(sources: readonly LeafBuilder[]): unknown[] {
    const fields = this.fields;
    const out = new Array<unknown>(fields.length);
    for (let i = 0; i < fields.length; i++) {
      const leaf = sources[i];
      const isNull = leaf.maxDef > 0 && leaf.def[leaf.levelCount - 1] < leaf.maxDef;
      out[i] = isNull ? null : this.lastApplied[i](leaf);
    }
    return out;
  }
}

/**
 * A field's partition value of a leaf's last value (not null). bucket(N) of a string column
 * held as plain bytes hashes those bytes where they are: they are the string's UTF-8 (written
 * by the builder's encoder or checked as UTF-8), which is what the transform would hash after
 * decoding them (no string made and encoded again per row).
 */
function lastApplied(f: BoundPartitionField, read: (leaf: LeafBuilder) => unknown): (leaf: LeafBuilder) => unknown {
  const t = f.transform;
  if (t.kind === 'bucket' && f.sourceType === 'string') {
    const n = t.numBuckets;
    return (l) => {
      if (l.dictMap !== null) return f.apply(read(l));
      const a = l.offsets[l.valueCount - 1];
      return (murmur3Bytes(l.u8, a, l.offsets[l.valueCount] - a) & 0x7fffffff) % n;
    };
  }
  return (l) => f.apply(read(l));
}

/** A stable string key for a partition tuple (bigint and bytes included). */
export function partitionKey(values: readonly unknown[]): string {
  let key = '';
  for (const v of values) {
    if (v === null || v === undefined) key += '\u0000n|';
    else if (v instanceof Uint8Array) key += `b${Buffer.from(v).toString('hex')}|`;
    else key += `${typeof v === 'bigint' ? 'i' : typeof v === 'string' ? 's' : 'v'}${String(v)}|`;
  }
  return key;
}

function normalizer(type: PrimitiveType, tableName: string, column: string): Normalizer {
  const { kind, width } = storageOf(type);
  const leaf = new LeafBuilder({ fieldId: 0, columnPath: column, parquetPath: [column], type, kind, width, maxDef: 0, maxRep: 0, dictionary: false });
  const write = valueWriter(type);
  const read = reader(type, kind, width);
  return (v) => {
    leaf.mark();
    const reason = write(leaf, v);
    if (reason !== undefined) {
      leaf.rollback();
      throw new ValueError(tableName, column, type, v, reason || undefined);
    }
    const out = read(leaf);
    leaf.rollback();
    return out;
  };
}

function reader(type: PrimitiveType, kind: string, width: number): (leaf: LeafBuilder) => unknown {
  const k = primitiveKind(type);
  const isDecimal = k === 'decimal';
  switch (kind) {
    case 'boolean':
      return (l) => l.u8[l.valueCount - 1] === 1;
    case 'int32':
      return isDecimal ? (l) => BigInt(l.i32[l.valueCount - 1]) : (l) => l.i32[l.valueCount - 1];
    case 'int64':
      return (l) => l.i64[l.valueCount - 1];
    case 'float':
      return (l) => l.f32[l.valueCount - 1];
    case 'double':
      return (l) => l.f64[l.valueCount - 1];
    case 'bytes':
      return k === 'string'
        ? (l) => (l.dictMap ? l.dictKeys[l.indices[l.valueCount - 1]] : textDecoder.decode(l.u8.subarray(l.offsets[l.valueCount - 1], l.offsets[l.valueCount])))
        : (l) => l.u8.slice(l.offsets[l.valueCount - 1], l.offsets[l.valueCount]);
    case 'fixed':
      if (isDecimal) {
        void decimalParams(type);
        return (l) => {
          const b = l.u8.subarray((l.valueCount - 1) * width, l.valueCount * width);
          let u = 0n;
          for (const x of b) u = (u << 8n) | BigInt(x);
          return b[0] & 0x80 ? u - (1n << BigInt(8 * width)) : u;
        };
      }
      return (l) => l.u8.slice((l.valueCount - 1) * width, l.valueCount * width);
    default:
      throw new Error(`no partition reader for ${type}`);
  }
}
