// Table properties floe reads or sets, in Iceberg's names, and the defaults of the tables floe
// creates. A connector's `table.properties` override any default here. What the write.parquet.*
// properties ask of floe's writer (row-group size, codec, metrics) is read here too.
//
// Bounded metadata from the first commit: a connector that commits every few seconds writes a
// new metadata file per commit. With delete-after-commit on and a bounded history, the catalog
// (Iceberg's REST server, or floe's SQL catalog: sql-catalog.ts) deletes the metadata files that
// fall off the metadata log, so the metadata folder stays bounded even where no maintenance
// worker runs. (Snapshots themselves are bounded by the maintenance worker's expiry.)

export const METADATA_DELETE_AFTER_COMMIT = 'write.metadata.delete-after-commit.enabled';
export const METADATA_PREVIOUS_VERSIONS_MAX = 'write.metadata.previous-versions-max';
export const PARQUET_ROW_GROUP_SIZE_BYTES = 'write.parquet.row-group-size-bytes';
export const TARGET_FILE_SIZE_BYTES = 'write.target-file-size-bytes';
export const MAX_SNAPSHOT_AGE_MS = 'history.expire.max-snapshot-age-ms';
export const MIN_SNAPSHOTS_TO_KEEP = 'history.expire.min-snapshots-to-keep';
export const MAX_REF_AGE_MS = 'history.expire.max-ref-age-ms';

/** Metadata files kept besides the current one, for the tables floe creates (Iceberg's own default is 100, without deletion). */
export const CREATED_METADATA_VERSIONS_MAX = 25;

/** What a table floe creates gets unless the connector file says otherwise. */
export const CREATED_TABLE_DEFAULTS: Readonly<Record<string, string>> = {
  [METADATA_DELETE_AFTER_COMMIT]: 'true',
  [METADATA_PREVIOUS_VERSIONS_MAX]: String(CREATED_METADATA_VERSIONS_MAX),
};

/** The properties of a table floe creates: the defaults, then the configured ones. */
export function createdTableProperties(configured: Readonly<Record<string, string>> = {}): Record<string, string> {
  return { ...CREATED_TABLE_DEFAULTS, ...configured };
}

/**
 * A row group is cut when a partition's buffered rows reach this estimate in memory (the
 * columns as built, before encoding; about 4× their compressed size for typical events).
 * Iceberg's write.parquet.row-group-size-bytes, taken as that in-memory size, overrides it.
 * Smaller than Iceberg's 128 MiB default: this size, not the commit's, bounds the memory.
 */
export const DEFAULT_ROW_GROUP_BYTES = 16 * 1024 * 1024;

export function rowGroupBytesOf(props: Record<string, string>): number {
  const v = props[PARQUET_ROW_GROUP_SIZE_BYTES];
  if (v === undefined || v === '') return DEFAULT_ROW_GROUP_BYTES;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`write.parquet.row-group-size-bytes must be a positive integer, got "${v}"`);
  return n;
}

/**
 * What a table's properties ask of the Parquet writer: parquet/'s EncodeOptions takes it as it
 * is (declared here, as iceberg/ imports nothing outside itself).
 */
export interface ParquetWriteOptions {
  compression?: 'zstd' | 'snappy' | 'gzip' | 'uncompressed';
  zstdLevel?: number;
  rowGroupRows?: number;
  metricsTruncateLength?: number;
}

/** Parquet options from Iceberg's table properties. */
export function parquetOptionsFrom(props: Record<string, string>): ParquetWriteOptions {
  const o: ParquetWriteOptions = {};
  const codec = props['write.parquet.compression-codec'];
  if (codec) {
    const c = codec.toLowerCase();
    if (c !== 'zstd' && c !== 'snappy' && c !== 'gzip' && c !== 'uncompressed') throw new Error(`write.parquet.compression-codec "${codec}" is not supported (zstd, snappy, gzip, uncompressed)`);
    o.compression = c;
  }
  const level = props['write.parquet.compression-level'];
  if (level) o.zstdLevel = Number(level);
  const rowGroupRows = props['write.parquet.row-group-limit'];
  if (rowGroupRows) o.rowGroupRows = Number(rowGroupRows);
  const truncate = /^truncate\((\d+)\)$/.exec(props['write.metadata.metrics.default'] ?? '');
  if (truncate) o.metricsTruncateLength = Number(truncate[1]);
  return o;
}
