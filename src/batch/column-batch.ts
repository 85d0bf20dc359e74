// A finished batch: one entry per Parquet leaf column, already shredded into Dremel
// repetition/definition levels (see record-batch.ts), with the non-null values packed densely
// in typed arrays. This is what the Parquet encoder consumes and what the encoder pool sends
// to a worker thread (every array owns its buffer, so the buffers can be transferred).

import type { PrimitiveType } from '../iceberg/types.ts';

/** How a leaf stores its values. */
export type LeafKind = 'boolean' | 'int32' | 'int64' | 'float' | 'double' | 'bytes' | 'fixed';

export interface DictionaryData {
  /** Number of distinct entries. */
  size: number;
  /** size + 1 offsets into data. */
  offsets: Int32Array;
  data: Uint8Array;
  /** One index per non-null value. */
  indices: Int32Array;
}

export interface LeafColumn {
  /** Iceberg field id of the primitive field (or element / key / value id). */
  fieldId: number;
  /** Iceberg column path as users write it: a.b.element.c, m.key, m.value. */
  columnPath: string;
  /** Names of the Parquet schema path: e.g. ["tags", "list", "element"]. */
  parquetPath: string[];
  type: PrimitiveType;
  kind: LeafKind;
  /** Bytes per value for kind 'fixed'; 0 otherwise. */
  width: number;
  maxDef: number;
  maxRep: number;
  /** Number of level entries (= rows for a top-level leaf; one per leaf slot when nested). */
  levelCount: number;
  /** Definition levels, one per entry; null when maxDef is 0 (every entry is a value). */
  def: Uint8Array | null;
  /** Repetition levels, one per entry; null when maxRep is 0. */
  rep: Uint8Array | null;
  /** Number of non-null values (entries whose def level is maxDef). */
  valueCount: number;
  /**
   * Dense values: boolean → Uint8Array of 0/1; int32 → Int32Array; int64 → BigInt64Array;
   * float → Float32Array; double → Float64Array; bytes → UTF-8/raw bytes (with `offsets`);
   * fixed → Uint8Array of valueCount * width bytes. For a dictionary column this is null.
   */
  values: Uint8Array | Int32Array | BigInt64Array | Float32Array | Float64Array | null;
  /** valueCount + 1 offsets into `values` for kind 'bytes' in plain form. */
  offsets: Int32Array | null;
  /** Set when a 'bytes' column kept a dictionary while building. */
  dict: DictionaryData | null;
}

export interface ColumnBatch {
  tableName: string;
  rowCount: number;
  columns: LeafColumn[];
}

/** The ArrayBuffers a batch owns, for worker transfer lists. */
export function batchBuffers(batch: ColumnBatch): ArrayBuffer[] {
  const set = new Set<ArrayBuffer>();
  const add = (a: { buffer: ArrayBufferLike } | null) => {
    if (a && a.buffer instanceof ArrayBuffer) set.add(a.buffer);
  };
  for (const c of batch.columns) {
    add(c.def);
    add(c.rep);
    add(c.values);
    add(c.offsets);
    if (c.dict) {
      add(c.dict.offsets);
      add(c.dict.data);
      add(c.dict.indices);
    }
  }
  return [...set];
}
