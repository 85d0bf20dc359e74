// A data file as a manifest entry describes it (Iceberg spec, "data_file" struct).
// Map-typed metrics are keyed by field id. Bounds are already in the spec's single-value
// binary form (see single-value.ts).

export type FileContent = 0 | 1 | 2; // data, position deletes, equality deletes

export interface DataFile {
  content: FileContent;
  'file-path': string;
  'file-format': 'PARQUET' | 'AVRO' | 'ORC';
  /** Partition tuple: one value per partition field, in spec order (null for a null value). */
  partition: unknown[];
  'record-count': number;
  'file-size-in-bytes': number;
  'column-sizes'?: Map<number, number>;
  'value-counts'?: Map<number, number>;
  'null-value-counts'?: Map<number, number>;
  'nan-value-counts'?: Map<number, number>;
  'lower-bounds'?: Map<number, Uint8Array>;
  'upper-bounds'?: Map<number, Uint8Array>;
  'split-offsets'?: number[];
  'sort-order-id'?: number;
  'equality-ids'?: number[];
  'key-metadata'?: Uint8Array;
}

/** What a Parquet writer reports about a file it wrote, before the file has a partition. */
export interface DataFileMetrics {
  'record-count': number;
  'column-sizes': Map<number, number>;
  'value-counts': Map<number, number>;
  'null-value-counts': Map<number, number>;
  'nan-value-counts': Map<number, number>;
  'lower-bounds': Map<number, Uint8Array>;
  'upper-bounds': Map<number, Uint8Array>;
  'split-offsets'?: number[];
}
